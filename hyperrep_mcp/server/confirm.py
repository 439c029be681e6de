"""Human confirmation through elicitation, for sending and deleting.

A tool that needs a person's consent declares a `Confirmation` on one of its parameters. At
registration the parameter becomes an SDK resolver (`Annotated[ElicitationResult[M], Resolve(r)]`)
whose signature is generated from the tool's *visible* arguments: the resolver sees exactly what the
model passed, including a pinned organization being absent. The SDK then asks the person with the
2025-11-25 `elicitation/create` request or the 2026-07-28 `input_required` round trip, whichever the
client speaks, and seals the answer in request state that any replica sharing
HYPERREP_MCP_STATE_KEY can open.

Fail closed: a client that cannot elicit gets a tool error and nothing happens. The model has no
argument that counts as consent; only the person's answer does.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import Context, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.server.hints import error_text
from hyperrep_mcp.server.results import ToolInputError


class ConfirmSend(BaseModel):
    send: bool = Field(description="Send this message now? It goes out to the recipient right away.")


class ConfirmDelete(BaseModel):
    delete: bool = Field(description="Delete this draft permanently?")


Ask = Callable[[Context, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class Confirmation:
    """`ask(ctx, args)` returns the model instance (no question needed) or `Elicit(message, model)`."""

    model: type[BaseModel]
    ask: Ask


def can_elicit(ctx: Context) -> bool:
    """The client declared form elicitation (a bare `elicitation: {}` counts, as in the SDK)."""
    caps = ctx.client_capabilities
    elicitation = caps.elicitation if caps is not None else None
    return elicitation is not None and (elicitation.form is not None or elicitation.url is None)


def require_elicitation(ctx: Context, refusal: str) -> None:
    if not can_elicit(ctx):
        raise ToolInputError(refusal)


def resolver_annotation(tool: str, param: str, confirmation: Confirmation, arg_names: list[str]) -> Any:
    """The `Annotated[..., Resolve(...)]` for `param`, with a resolver taking `arg_names` by name."""

    async def resolver(ctx: Context, **args: Any) -> Any:
        try:
            return await confirmation.ask(ctx, args)
        except ToolInputError as exc:  # raised before anyone was asked: a plain tool error
            raise ToolError(str(exc)) from None
        except HyperRepError as exc:
            raise ToolError(await error_text(exc, ctx.request_context.lifespan_context)) from None

    params = [inspect.Parameter("ctx", inspect.Parameter.KEYWORD_ONLY, annotation=Context)]
    params += [inspect.Parameter(n, inspect.Parameter.KEYWORD_ONLY) for n in arg_names]
    resolver.__signature__ = inspect.Signature(params)  # type: ignore[attr-defined]
    resolver.__annotations__ = {"ctx": Context}
    # The wire key of the elicitation is module:qualname: stable across processes and replicas.
    resolver.__module__ = __name__
    resolver.__qualname__ = resolver.__name__ = f"confirm_{tool}_{param}"
    return Annotated[ElicitationResult[confirmation.model], Resolve(resolver)]  # type: ignore[name-defined]
