"""Per-process server state: the one API client, the caches, organization resolution.

The lifespan builds one `AppState`; every tool reaches it through its `Context`. Nothing here is
per-user state a second replica would need: caches are optimisations, so any replica can serve
any request.
"""

from __future__ import annotations

import importlib
import logging
from collections.abc import Callable, Iterable, Mapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import anyio
import anyio.abc

from hyperrep_mcp.api import HyperRepClient, paginate
from hyperrep_mcp.api.errors import NotFoundError
from hyperrep_mcp.api.models import Company, Contact, Message, Organization
from hyperrep_mcp.config import Settings
from hyperrep_mcp.index import Indexes, OrgIndex
from hyperrep_mcp.render import records
from hyperrep_mcp.render.text import strip_invisible
from hyperrep_mcp.render.views import MessageView
from hyperrep_mcp.server.cache import AsyncTTLCache
from hyperrep_mcp.server.concurrency import map_bounded
from hyperrep_mcp.server.ledger import WriteLedger
from hyperrep_mcp.server.results import ToolInputError

# Parallel upstream requests one step of a tool call may have in flight (a page's contacts resolve in
# one round); the API client's pool of 64 connections bounds the total.
FANOUT = 32
COMPANY_PAGES = 5
# Modules the answer to `initialize` does not need: the code using them imports them where it uses
# them, and the warm-up loads them in the background, so that neither start-up nor the first call
# pays for them (SPEC section 9; tests/server/test_warm_up.py watches both over stdio).
WARM_UP_MODULES = ("stamina",)
# The write tools' validation libraries: loaded by the warm-up when a write tool is registered.
WRITE_PATH_MODULES = ("email_validator", "phonenumbers")
WRITE_TOOLS = frozenset({"create_contact", "create_message_draft", "upsert_response_draft"})

if TYPE_CHECKING:
    from hyperrep_mcp.server.registry import ToolSpec

log = logging.getLogger(__name__)


def _load(modules: tuple[str, ...]) -> None:
    for name in modules:
        importlib.import_module(name)


def system_clock() -> datetime:
    return datetime.now(UTC)


# The clock of the tool call being served (the server's `AppState.clock`, set by the tool guard), so
# that date windows and "how long ago" read one injectable clock without threading the state
# through every pure helper.
CALL_CLOCK: ContextVar[Callable[[], datetime]] = ContextVar("hyperrep_call_clock", default=system_clock)


@dataclass
class AppState:
    settings: Settings
    api: HyperRepClient
    # Used when a call names no organization (the demo's main org); unlike a pinned one it stays overridable.
    default_organization_id: str | Callable[[], str] | None = None
    # Registered tool names: suggestions never point at a tool this configuration hides.
    tool_names: frozenset[str] = frozenset()
    # The registered tools by name (the resources render through them).
    tools: Mapping[str, ToolSpec] = field(default_factory=dict)
    # What "now" is for the tools (a fixed instant in snapshot tests); read through `tools.common.now`.
    clock: Callable[[], datetime] = system_clock
    orgs: AsyncTTLCache[list[Organization]] = field(
        default_factory=lambda: AsyncTTLCache(ttl_s=300, max_size=1)
    )
    contacts: AsyncTTLCache[Contact] = field(default_factory=lambda: AsyncTTLCache(ttl_s=300, max_size=5000))
    # Was a create or send already done? (an identical create within a minute returns the first)
    ledger: WriteLedger = field(default_factory=WriteLedger)
    # Answers worth reusing for seconds, not minutes (completion pages, asked on every keystroke).
    short_lived: AsyncTTLCache[Any] = field(default_factory=lambda: AsyncTTLCache(ttl_s=30, max_size=256))
    # Sent messages do not change: their rendering (HTML parsing, trimming) is done once.
    message_views: AsyncTTLCache[MessageView] = field(
        default_factory=lambda: AsyncTTLCache(ttl_s=900, max_size=5000)
    )
    companies: AsyncTTLCache[dict[str, Company]] = field(
        default_factory=lambda: AsyncTTLCache(ttl_s=600, max_size=64)
    )
    # Where the warm-up runs: the lifespan's task group, cancelled when the server stops.
    background: anyio.abc.TaskGroup | None = None
    warm_up_started: bool = False

    # --- warm-up -----------------------------------------------------------------------------

    def start_warm_up(self) -> None:
        """Start `warm_up` in the background, once per process (called when a client has initialized)."""
        if self.warm_up_started or self.background is None:
            return
        self.warm_up_started = True
        self.background.start_soon(self.warm_up)

    async def warm_up(self) -> None:
        """Pay now what the first tool call would otherwise pay: the modules start-up left out,
        the HTTP stack, the connection to the API (TLS included), the organization list (in
        --demo: the in-process sandbox), the invisible-character table and the write tools'
        validation libraries. A failure is left for the first call to report."""
        self.api.prepare()
        async with anyio.create_task_group() as tasks:
            tasks.start_soon(self._warm_organizations)  # first: it waits on the network
            # Built from the Unicode database on first use (a scan of every code point): off the loop.
            tasks.start_soon(anyio.to_thread.run_sync, strip_invisible, "")
        # Then, also off the loop, which keeps answering the client meanwhile (the request for the
        # organizations has already loaded what it uses).
        modules = WARM_UP_MODULES + (WRITE_PATH_MODULES if self.tool_names & WRITE_TOOLS else ())
        await anyio.to_thread.run_sync(_load, modules)

    async def _warm_organizations(self) -> None:
        try:
            await self.organizations()
        except Exception as exc:  # the class only: a message could quote the upstream
            log.debug("warm-up: the organization list could not be loaded (%s)", type(exc).__name__)

    # The inbox index of every organization (SPEC 8); None outside a running server.
    indexes: Indexes | None = None

    def index(self, org: str) -> OrgIndex:
        """The organization's inbox index (hyperrep_mcp.index); synced on demand by the tools."""
        if self.indexes is None:
            raise RuntimeError("the inbox index is only available inside the server's lifespan")
        return self.indexes.get(org)

    def rendered_message(self, message: Message, *, detailed: bool) -> MessageView:
        key = (message.message_id, message.conversation_id, detailed)
        view = self.message_views.get(key)
        if view is None:
            view = records.message_view(message, detailed=detailed)
            self.message_views.put(key, view)
        return view

    def available(self, calls: Iterable[str]) -> list[str]:
        """The suggested calls whose tool is registered here (e.g. no write tools in read_only mode)."""
        return [c for c in calls if c.split("(", 1)[0] in self.tool_names]

    # --- organizations -----------------------------------------------------------------------

    async def organizations(self) -> list[Organization]:
        return await self.orgs.get_or_load("all", self.api.list_organizations)

    async def org_id(self, organization_id: str | None) -> str:
        """The organization a call is about: pinned > given > the only one the key sees."""
        pinned = self.settings.organization_id
        if pinned:
            return pinned
        if organization_id:
            return organization_id
        default = self.default_organization_id
        if callable(default):  # resolved on first use (the demo builds its sandbox lazily)
            default = self.default_organization_id = default()
        if default:
            return default
        orgs = await self.organizations()
        if len(orgs) == 1:
            return orgs[0].organization_id
        if not orgs:
            raise ToolInputError("This API key cannot see any organization. Check HYPERREP_API_KEY.")
        raise ToolInputError(
            "This key can access several organizations; pass organization_id. Organizations: "
            + "; ".join(f"{o.name or '(unnamed)'} (organization_id={o.organization_id})" for o in orgs)
        )

    async def org_name(self, org_id: str) -> str:
        """The organization's name for headers; its id when the name cannot be had."""
        try:
            orgs = await self.organizations()
        except Exception:  # a header must not fail the call
            return org_id
        for org in orgs:
            if org.organization_id == org_id:
                return org.name or org_id
        return org_id

    async def org_list_text(self) -> str:
        try:
            orgs = await self.organizations()
        except Exception:
            return ""
        return "; ".join(f"{o.name or '(unnamed)'} (organization_id={o.organization_id})" for o in orgs)

    # --- contacts and companies --------------------------------------------------------------

    async def contact(self, org: str, contact_id: str) -> Contact | None:
        """One contact, cached; None when it no longer exists."""
        try:
            return await self.contacts.get_or_load(
                (org, contact_id), lambda: self.api.get_contact(org, contact_id)
            )
        except NotFoundError:
            return None

    def remember_contacts(self, org: str, contacts: Iterable[Contact]) -> None:
        for c in contacts:
            self.contacts.put((org, c.contact_id), c)

    async def contacts_by_id(self, org: str, ids: Iterable[str | None]) -> dict[str, Contact]:
        """Resolve many contact ids at once: cache first, the rest concurrently (bounded)."""
        out: dict[str, Contact] = {}
        missing = []
        for cid in dict.fromkeys(i for i in ids if i):
            cached = self.contacts.get((org, cid))
            if cached is not None:
                out[cid] = cached
            else:
                missing.append(cid)
        if missing:  # a task per cached contact would cost more than the lookup itself
            found = await map_bounded(lambda cid: self.contact(org, cid), missing, limit=FANOUT)
            out.update((c.contact_id, c) for c in found if c is not None)
        return out

    async def company_map(self, org: str) -> dict[str, Company]:
        """Companies by id (a few pages at most; the API has no company detail route)."""

        async def load() -> dict[str, Company]:
            out: dict[str, Company] = {}
            fetch = lambda cursor: self.api.list_companies(org, limit=100, cursor=cursor)  # noqa: E731
            async for page in paginate(fetch, max_pages=COMPANY_PAGES):
                out.update((c.company_id, c) for c in page.data)
            return out

        return await self.companies.get_or_load(org, load)
