"""Tools as data: each tool's handler, title, hints and kind, declared by `tool(...)` as a `ToolSpec`.

Declaring a tool registers nothing: `server/tools/__init__.py` lists the specs (`ALL_TOOLS`) and
`build_server` receives that list. It filters it (the write policy, excluded tools), tailors signatures (a pinned
organization and, where the write policy may not send, a tool's send parameters vanish from the
schema) and wraps every
handler once with the same guard: upstream and input errors become tool errors that say what to
do, anything unexpected is logged server-side and reported without a traceback, each call is
bounded in time, and one log line records it.
"""

from __future__ import annotations

import functools
import inspect
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, get_type_hints

import anyio
from mcp.server.mcpserver import Context
from mcp.types import CallToolResult, ToolAnnotations

from hyperrep_mcp.api import HyperRepError, track_calls
from hyperrep_mcp.config import WritePolicy
from hyperrep_mcp.server.confirm import Confirmation, resolver_annotation
from hyperrep_mcp.server.cursor import InvalidToolCursor
from hyperrep_mcp.server.hints import error_text
from hyperrep_mcp.server.results import ToolInputError, bound_result, tool_error
from hyperrep_mcp.server.state import CALL_CLOCK, AppState, system_clock

log = logging.getLogger("hyperrep_mcp.tools")

# One tool call never outlives a client's usual 60 s timeout.
TOOL_DEADLINE_S = 45.0


# Compared and hashed by identity: one declaration is one tool (and a cache key for its SDK object).
@dataclass(frozen=True, eq=False)
class ToolSpec:
    name: str
    handler: Callable[..., Any]
    title: str
    writes: bool
    destructive: bool
    idempotent: bool
    open_world: bool
    # Parameters filled by a person's answer (elicitation), never by the model.
    confirmations: dict[str, Confirmation] = field(default_factory=dict)
    # Parameters that exist only where the write policy may send (the request to send, its confirmation).
    send_parameters: frozenset[str] = frozenset()

    def annotations(self, policy: WritePolicy) -> ToolAnnotations:
        # A tool that can send reaches people outside the inbox: open world where the policy may send.
        sends = policy.may_send and bool(self.send_parameters)
        return ToolAnnotations(
            title=self.title,
            read_only_hint=not self.writes,
            destructive_hint=self.destructive,
            idempotent_hint=self.idempotent,
            open_world_hint=self.open_world or sends,
        )


def tool(
    title: str,
    *,
    writes: bool = False,
    destructive: bool = False,
    idempotent: bool | None = None,
    open_world: bool = False,
    confirmations: dict[str, Confirmation] | None = None,
    sends: tuple[str, ...] = (),
) -> Callable[[Callable[..., Any]], ToolSpec]:
    """Declare a tool: the decorated handler becomes its `ToolSpec`, named after the function.

    Reads are idempotent by nature; writes say so explicitly. `sends` names the parameters through
    which the tool can send a message (hidden where the write policy may not send)."""

    def declare(fn: Callable[..., Any]) -> ToolSpec:
        name = fn.__name__
        missing = set(sends) - set(inspect.signature(fn).parameters)
        if missing:
            raise ValueError(f"tool {name} declares send parameters it does not have: {sorted(missing)}")
        return ToolSpec(
            name=name,
            handler=fn,
            title=title,
            writes=writes,
            destructive=destructive,
            idempotent=(not writes) if idempotent is None else idempotent,
            open_world=open_world,
            confirmations=dict(confirmations or {}),
            send_parameters=frozenset(sends),
        )

    return declare


def by_name(tools: Iterable[ToolSpec]) -> dict[str, ToolSpec]:
    """The tools keyed by name, in their order; a name declared twice is refused."""
    named: dict[str, ToolSpec] = {}
    for spec in tools:
        if spec.name in named:
            raise ValueError(f"tool {spec.name} is listed twice")
        named[spec.name] = spec
    return named


def tailored(spec: ToolSpec, drop: set[str]) -> Callable[..., Any]:
    """The handler guarded, with the parameters in `drop` removed from its public signature (and so
    from its schema), and each confirmation parameter turned into a resolver over the visible arguments."""
    fn = spec.handler
    sig = inspect.signature(fn, eval_str=True)
    hints = get_type_hints(fn, include_extras=True)
    kept = [p for p in sig.parameters.values() if p.name not in drop]
    arg_names = [p.name for p in kept if p.name not in spec.confirmations and p.annotation is not Context]
    params = []
    for p in kept:
        if p.name in spec.confirmations:
            annotation = resolver_annotation(spec.name, p.name, spec.confirmations[p.name], arg_names)
            p = p.replace(annotation=annotation)
            hints[p.name] = annotation
        params.append(p)
    for name in drop:
        hints.pop(name, None)

    @functools.wraps(fn)
    async def guarded(*args: Any, **kwargs: Any) -> Any:
        for key in drop:  # defence in depth: a dropped parameter never reaches the handler
            kwargs.pop(key, None)
        return await run_guarded(spec.name, fn, args, kwargs)

    guarded.__signature__ = sig.replace(parameters=params)  # type: ignore[attr-defined]
    guarded.__annotations__ = hints
    return guarded


async def run_guarded(
    name: str, fn: Callable[..., Any], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> Any:
    stats = track_calls()
    started = time.perf_counter()
    outcome = "ok"
    state = _state_of(kwargs)
    clock = CALL_CLOCK.set(state.clock if isinstance(state, AppState) else system_clock)
    try:
        with anyio.fail_after(TOOL_DEADLINE_S):
            result = await fn(*args, **kwargs)
        if isinstance(result, CallToolResult) and result.is_error:
            outcome = "tool_error"
        settings = getattr(_state_of(kwargs), "settings", None)
        if isinstance(result, CallToolResult) and settings is not None:
            # structuredContent within the output limit, whatever built the result
            result = bound_result(result, settings.max_output_chars)
        return result
    except ToolInputError as exc:
        outcome = "invalid_input"
        return tool_error(str(exc))
    except InvalidToolCursor:
        outcome = "invalid_input"
        return tool_error(
            "The cursor is damaged or not from this server. Restart from the first page (omit cursor)."
        )
    except HyperRepError as exc:
        outcome = "upstream_error"
        return tool_error(await error_text(exc, _state_of(kwargs)))
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
        CALL_CLOCK.reset(clock)
        log.info(
            "tool=%s outcome=%s duration_ms=%.0f upstream_requests=%d retries=%d",
            name,
            outcome,
            (time.perf_counter() - started) * 1000,
            stats.requests,
            stats.retries,
        )


def _state_of(kwargs: dict[str, Any]) -> Any:
    ctx = next((v for v in kwargs.values() if isinstance(v, Context)), None)
    try:
        return ctx.request_context.lifespan_context if ctx is not None else None
    except Exception:  # no request context (direct calls in tests): hints without org names
        return None
