"""Human confirmation through elicitation, for sending and deleting.

A tool that needs a person's consent declares a `Confirmation` on one of its parameters. At
registration the parameter becomes an SDK resolver (`Annotated[ElicitationResult[M], Resolve(r)]`)
whose signature is generated from the tool's *visible* arguments: the resolver sees exactly what the
model passed, including a pinned organization being absent. The SDK then asks the person with the
2025-11-25 `elicitation/create` request or the 2026-07-28 `input_required` round trip, whichever the
client speaks, and seals the answer in request state that any replica sharing
HYPERREP_MCP_STATE_KEY can open.

Fail closed: a client that cannot elicit gets a tool error and nothing happens. The model has no
argument that counts as consent; only the person's answer does, and only a JSON `true` ("yes", 1 or
"true" are not consent: answer_is_yes refuses them with a plain message).

One confirmation authorizes one send. On 2026-07-28 the answer arrives with a sealed request state;
the sealed token is unique per question asked (random AEAD nonce, issue time), so its digest is the
confirmation's single-use identity (`confirmation_id()`). A replica records the identities it has
acted on (`claim()`); that set is per process, so the write tools also look upstream for the same
message already queued or sent before sending (ledger.py): a replay at a second replica
finds the first send there. On 2025-11-25 the answer comes back inside the call, once; no replay.
"""

from __future__ import annotations

import contextvars
import hashlib
import inspect
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any

from mcp.server.mcpserver import AcceptedElicitation, Context, ElicitationResult, Resolve
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, ConfigDict, Field, WithJsonSchema

from hyperrep_mcp.api.errors import HyperRepError
from hyperrep_mcp.server.hints import error_text
from hyperrep_mcp.server.results import ToolInputError

# The person's answer as the client sent it. The question asks for a boolean, but the field accepts
# any value, so that a wrong one ("yes", 1) reaches our code, which refuses it with our own message
# (answer_is_yes), instead of failing the SDK's validation with the SDK's text.
AnyAnswer = Annotated[Any, WithJsonSchema({"type": "boolean"})]


class ConfirmSend(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["send"]})

    send: AnyAnswer = Field(
        None, description="Send this message now? It goes out to the recipient right away."
    )


class ConfirmDelete(BaseModel):
    model_config = ConfigDict(json_schema_extra={"required": ["delete"]})

    delete: AnyAnswer = Field(None, description="Delete this draft permanently?")


UNCLEAR_ANSWER = (
    "Nothing was sent, saved or deleted: the answer to the confirmation was not a plain yes or no (only "
    "true counts as yes). Call the tool again to be asked again."
)


def answer_is_yes(answer: ElicitationResult[Any] | None, field: str) -> bool:
    """Consent is only an accepted answer whose `field` is JSON true. Declined, cancelled or no answer,
    or false: no. Anything else ("yes", 1, "true", missing) is refused as unclear, naming no SDK detail."""
    if not isinstance(answer, AcceptedElicitation):
        return False
    value = getattr(answer.data, field, None)
    if isinstance(value, bool):
        return value
    raise ToolInputError(UNCLEAR_ANSWER)


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
    # The SDK binds a confirmation's request state to the tool's name and arguments, and keys the
    # answer by this resolver; both are the same on every replica running this code.
    return Annotated[ElicitationResult[confirmation.model], Resolve(resolver)]  # type: ignore[name-defined]


# --- single use ------------------------------------------------------------------------------------

# Longer than the SDK's request-state lifetime (600 s): a token older than that is refused anyway.
USED_TTL_S = 900.0
_MAX_USED = 100_000
_token: contextvars.ContextVar[str | None] = contextvars.ContextVar("hyperrep_confirmation", default=None)


async def remember_confirmation(ctx: Any, call_next: Any) -> Any:
    """Middleware, outside the SDK's state boundary: note which sealed state this tools/call carries.

    Only a digest is kept (the token itself never reaches a log or the tool)."""
    params = ctx.params if isinstance(ctx.params, Mapping) else {}
    wire = params.get("requestState") if ctx.method == "tools/call" else None
    # surrogatepass: JSON can carry a lone surrogate (\ud800); such a state is still just a wrong
    # token, which the SDK's state boundary then refuses (EXPIRED_CONFIRMATION), not an encoding crash.
    digest = (
        hashlib.sha256(wire.encode("utf-8", "surrogatepass")).hexdigest()[:32]
        if isinstance(wire, str)
        else None
    )
    token = _token.set(digest)
    try:
        return await call_next(ctx)
    finally:
        _token.reset(token)


def confirmation_id() -> str | None:
    """The single-use identity of the confirmation answered in this call, if it came as request state."""
    return _token.get()


class UsedConfirmations:
    """Identities this process has already acted on, for the state's lifetime (bounded, thread-safe)."""

    def __init__(self) -> None:
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def claim(self, identity: str) -> bool:
        """True the first time `identity` is claimed within USED_TTL_S; False for a replay."""
        now = time.monotonic()
        with self._lock:
            while self._seen and (
                next(iter(self._seen.values())) < now - USED_TTL_S or len(self._seen) > _MAX_USED
            ):
                self._seen.popitem(last=False)
            if identity in self._seen:
                return False
            self._seen[identity] = now
            return True

    def release(self, identity: str) -> None:
        """Undo a claim whose send certainly did not reach HyperRep, so the same yes can be retried."""
        with self._lock:
            self._seen.pop(identity, None)


USED = UsedConfirmations()
