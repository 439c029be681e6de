"""Tools as data: each tool's handler, title, hints and kind, registered in one place.

`build_server` filters this data (read-only mode, excluded tools), tailors signatures (a pinned
organization and, outside autosend mode, `autosend_draft` vanish from the schema) and wraps every
handler once with the same guard: upstream and input errors become tool errors that say what to
do, anything unexpected is logged server-side and reported without a traceback, each call is
bounded in time, and one log line records it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anyio
from mcp.types import CallToolResult, ToolAnnotations

from hyperrep_mcp.api import HyperRepError, track_calls
from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.server.cursor import InvalidToolCursor
from hyperrep_mcp.server.results import ToolInputError, tool_error

log = logging.getLogger("hyperrep_mcp.tools")

# One tool call never outlives a client's usual 60 s timeout.
TOOL_DEADLINE_S = 45.0


@dataclass(frozen=True)
class ToolSpec:
    name: str
    handler: Callable[..., Any]
    title: str
    writes: bool
    destructive: bool
    idempotent: bool
    open_world: bool

    def annotations(self, *, autosend: bool) -> ToolAnnotations:
        # A write that may send reaches people outside the inbox: open world in autosend mode.
        sends = autosend and "autosend_draft" in inspect.signature(self.handler).parameters
        return ToolAnnotations(
            title=self.title,
            read_only_hint=not self.writes,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world or sends,
        )


REGISTRY: dict[str, ToolSpec] = {}


def tool(
    title: str,
    *,
    writes: bool = False,
    destructive: bool = False,
    idempotent: bool | None = None,
    open_world: bool = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Declare a tool. Reads are idempotent by nature; writes say so explicitly."""

    def register(fn: Callable[..., Any]) -> Callable[..., Any]:
        name = fn.__name__
        if name in REGISTRY:
            raise ValueError(f"tool {name} declared twice")
        REGISTRY[name] = ToolSpec(
            name=name,
            handler=fn,
            title=title,
            writes=writes,
            destructive=destructive,
            idempotent=(not writes) if idempotent is None else idempotent,
            open_world=open_world,
        )
        return fn

    return register


def tailored(fn: Callable[..., Any], drop: set[str]) -> Callable[..., Any]:
    """`fn` guarded, with the parameters in `drop` removed from its public signature (and schema)."""
    sig = inspect.signature(fn, eval_str=True)
    name = fn.__name__

    @functools.wraps(fn)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        for key in drop:  # defence in depth: a dropped parameter never reaches the handler
            kwargs.pop(key, None)
        return await run_guarded(name, fn, args, kwargs)

    params = [p for p in sig.parameters.values() if p.name not in drop]
    guarded.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    return guarded


async def run_guarded(
    name: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    stats = track_calls()
    started = time.perf_counter()
    outcome = "ok"
    try:
        with anyio.fail_after(TOOL_DEADLINE_S):
            result = await fn(*args, **kwargs)
        if isinstance(result, CallToolResult) and result.is_error:
            outcome = "tool_error"
        return result
    except ToolInputError as exc:
        outcome = "invalid_input"
        return tool_error(str(exc))
    except InvalidToolCursor:
        outcome = "invalid_input"
        return tool_error(
            "The cursor is damaged or not from this server. Restart from the first page (omit cursor)."
        )
    except NotFoundError as exc:
        outcome = "upstream_error"
        return tool_error(await _not_found_text(exc, kwargs))
    except HyperRepError as exc:
        outcome = "upstream_error"
        return tool_error(exc.message)
    except TimeoutError:
        outcome = "timeout"
        return tool_error(
            f"{name} did not finish within {TOOL_DEADLINE_S:.0f} s because HyperRep is answering slowly. "
            "Try again later, or narrow the request (a shorter date range, a smaller limit)."
        )
    except Exception:
        outcome = "internal_error"
        log.exception("tool %s failed unexpectedly", name)
        return tool_error(
            f"{name} failed because of an internal error in hyperrep-mcp (details are in the server log)."
        )
    finally:
        log.info(
            "tool=%s outcome=%s duration_ms=%.0f upstream_requests=%d retries=%d",
            name,
            outcome,
            (time.perf_counter() - started) * 1000,
            stats.requests,
            stats.retries,
        )


async def _not_found_text(exc: NotFoundError, kwargs: dict[str, Any]) -> str:
    """A 404 says what to do next: which organizations exist, or which tool a moved draft needs."""
    detail = (exc.detail or "").lower()
    text = exc.message
    if "organization" in detail:
        ctx = next((v for v in kwargs.values() if hasattr(v, "request_context")), None)
        orgs = ""
        if ctx is not None:
            try:
                orgs = await ctx.request_context.lifespan_context.org_list_text()
            except Exception:  # the hint is a courtesy; the error stands without it
                orgs = ""
        return f"{text} Organizations this key can access: {orgs}" if orgs else text
    if exc.route_hint and "/messages" in exc.route_hint:
        return f"{text} Use get_conversation_thread to read it as a sent message."
    if exc.route_hint and "/response-drafts" in exc.route_hint:
        return f"{text} It is a response draft: use get_response_draft (conversation_id, response_id)."
    if exc.route_hint and "/message-drafts" in exc.route_hint:
        return f"{text} It is a message draft: use get_message_draft (draft_id)."
    if exc.route_hint and "/conversations" in exc.route_hint:
        return f"{text} It was sent: use list_conversations or get_conversation_thread to find it."
    return text
