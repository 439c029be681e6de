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
from hyperrep_mcp.render import records
from hyperrep_mcp.render.text import one_line
from hyperrep_mcp.render.writes import WriteOut, recipient, render
from hyperrep_mcp.server.concurrency import gather
from hyperrep_mcp.server.confirm import ConfirmDelete, require_elicitation
from hyperrep_mcp.server.tools.common import app, org_ref
from hyperrep_mcp.server.tools.write_common import confirmed, shown

REFUSAL = (
    "Nothing was deleted: this client cannot ask you to confirm a deletion. Delete the draft in the "
    "HyperRep app instead."
)

# Rendered whole first, to measure what the budget cannot hold.
UNBOUNDED = 10**9

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
        budget = state.settings.max_output_chars
        return shown(
            whole_body(out, records.draft_text(draft.body_html), budget),
            budget=budget,
            zone=state.settings.zone,
        )


def whole_body(out: WriteOut, body: str | None, budget: int) -> WriteOut:
    """`out` with the draft's whole body; when the whole result cannot fit `budget`, the body is cut on
    a line and ends by saying how many characters were left out (never a silent cut)."""
    full = out.model_copy(update={"draft": out.draft.model_copy(update={"body_text": body})})
    over = len(render(full, budget=UNBOUNDED)) - budget
    if body is None or over <= 0:
        return full
    where = (
        "the draft is deleted in HyperRep, so they are not kept anywhere"
        if out.outcome == "deleted"
        else "the draft is still in HyperRep, whole"
    )
    room = len(body) - over
    for _ in range(8):  # each round shrinks by what is still over; the marker's length barely varies
        kept = body[: max(0, room)]
        kept = (kept[: kept.rfind("\n")] if "\n" in kept else kept).rstrip()
        left = len(body) - len(kept)
        marker = (
            f"[… {left:,} more characters of this draft were left out: a result holds at most {budget:,} "
            f"characters (HYPERREP_MAX_OUTPUT_CHARS); {where}. Raise HYPERREP_MAX_OUTPUT_CHARS to get "
            "whole drafts back.]"
        )
        cut = out.model_copy(
            update={"draft": out.draft.model_copy(update={"body_text": f"{kept}\n\n{marker}"})}
        )
        over = len(render(cut, budget=UNBOUNDED)) - budget
        if over <= 0:
            return cut
        room = len(kept) - over
    return cut


async def _delete(do_delete: Callable[[], Awaitable[Any]]) -> None:
    """DELETE is retried on transient failures; a retry that finds it gone means the first one worked."""
    try:
        await do_delete()
    except NotFoundError:
        stats = current_stats()
        if stats is None or stats.retries == 0:
            raise
