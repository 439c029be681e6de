"""The one delete flow of both delete tools, parameterised by the kind of draft (SPEC section 3):
a person confirms after seeing the draft, then it is fetched, deleted, and its full content returned
so that nothing is lost. Declined, cancelled or impossible to ask: nothing is deleted.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from mcp.server.mcpserver import Context, Elicit, ElicitationResult
from mcp.types import CallToolResult

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.api.client import current_stats
from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.render.writes import WriteOut, one_line, recipient
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.confirm import ConfirmDelete, require_elicitation
from hyperrep_mcp.server.tools.common import app, org_ref
from hyperrep_mcp.server.tools.write_common import confirmed, shown

REFUSAL = (
    "Nothing was deleted: this client cannot ask you to confirm a deletion. Delete the draft in the "
    "HyperRep app instead."
)

# (api, organization, the tool's draft arguments) -> the draft / its deletion
Fetch = Callable[[HyperRepClient, str, dict[str, Any]], Awaitable[Any]]


@dataclass(frozen=True)
class DraftKind:
    """A kind of draft as the delete flow needs it: its name, how to get and delete one by the tool's
    arguments, its view (short for the question, detailed for the result) and its result type."""

    noun: str  # "message draft", "reply draft"
    get: Fetch
    delete: Fetch
    view: Callable[..., Any]  # (draft, detailed=bool) -> the draft's view
    out: type[WriteOut]

    async def ask(self, ctx: Context, args: dict[str, Any]) -> Any:
        """The confirmation: the draft's recipient, subject (if any) and body, as HyperRep holds it."""
        state = app(ctx)
        org = await state.org_id(args.get("organization_id"))
        draft = await self.get(state.api, org, args)
        require_elicitation(ctx, REFUSAL)
        view = self.view(draft)
        to = recipient(view.recipient_name, view.recipient_email, view.recipient_phone_number)
        subject = getattr(view, "subject", None)
        shown_subject = f"\nSubject: {one_line(subject)}" if subject else ""
        return Elicit(
            f"Delete this {self.noun} permanently?\n\nTo: {to}{shown_subject}\n\n{view.body_text or ''}",
            ConfirmDelete,
        )

    async def run(
        self,
        ctx: Context,
        args: dict[str, Any],
        answer: ElicitationResult[ConfirmDelete] | None,
        organization_id: str | None,
    ) -> CallToolResult:
        """Fetch the draft, delete it if the person said yes, and return its full content either way."""
        state = app(ctx)
        org = await state.org_id(organization_id)
        draft, organization = await gather(
            lambda: self.get(state.api, org, args), lambda: org_ref(state, org)
        )
        view = self.view(draft, detailed=True)
        if not confirmed(answer, "delete"):
            summary = "Not deleted: the deletion was not confirmed."
            outcome = "kept"
        else:
            await _delete(lambda: self.delete(state.api, org, args))
            summary = f"Deleted this {self.noun} (its full content is below, in case it is needed again)."
            outcome = "deleted"
        out = self.out(organization=organization, outcome=outcome, sent=False, summary=summary, draft=view)
        return shown(state, out)


async def _delete(do_delete: Callable[[], Awaitable[Any]]) -> None:
    """DELETE is retried on transient failures; a retry that finds it gone means the first one worked."""
    try:
        await do_delete()
    except NotFoundError:
        stats = current_stats()
        if stats is None or stats.retries == 0:
            raise
