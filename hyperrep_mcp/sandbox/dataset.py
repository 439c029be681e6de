"""The sandbox's data: one :class:`OrgData` per organization, grouped in a :class:`Dataset`.

A pristine dataset is generated once per (seed, now) and cached; every sandbox works on a
:meth:`Dataset.fork`, which copies only the containers (dicts of records). Records themselves are
frozen and shared, and rendered message threads are memoized in a cache shared by all forks —
safe because rendering is deterministic and a thread's generated messages never change (new
messages are appended per fork in ``appended``).

The response-rate metric (:func:`response_rate`) is computed here too, from message directions
and times:

* received: conversations whose *first inbound* message falls in ``[start, end)``;
* responded: those of them with an outbound message after that first inbound message (at any
  time, even after the window);
* rate: responded / received as a 0..1 float, 0.0 when nothing was received.
"""

from __future__ import annotations

import bisect
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from hyperrep_mcp.sandbox.records import (
    Agent,
    Company,
    Contact,
    Conversation,
    Fixtures,
    Message,
    MessageDraft,
    Organization,
    PromotedMessageDraft,
    PromotedResponseDraft,
    ResponseDraft,
    Sale,
)
from hyperrep_mcp.sandbox.threads import render_thread


class VersionedDict(dict[str, Any]):
    """A dict that counts its writes, so a view derived from it can tell when it went stale."""

    version = 0

    def __setitem__(self, key: str, value: Any) -> None:
        self.version += 1
        super().__setitem__(key, value)

    def __delitem__(self, key: str) -> None:
        self.version += 1
        super().__delitem__(key)

    def pop(self, *args: Any) -> Any:
        self.version += 1
        return super().pop(*args)

    def popitem(self) -> tuple[str, Any]:
        self.version += 1
        return super().popitem()

    def clear(self) -> None:
        self.version += 1
        super().clear()

    def update(self, *args: Any, **kwargs: Any) -> None:
        self.version += 1
        super().update(*args, **kwargs)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self.version += 1
        return super().setdefault(key, default)

    def __ior__(self, other: Any) -> VersionedDict:  # type: ignore[override]
        self.update(other)
        return self


def _fold(text: str | None) -> str:
    """Case- and accent-insensitive form for lookups ("zoe muller" finds "Zoë Müller")."""
    if not text:
        return ""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(ch for ch in decomposed if unicodedata.category(ch)[0] in "LNZ").strip()


@dataclass
class OrgData:
    org: Organization
    agents: dict[str, Agent] = field(default_factory=dict)
    companies: dict[str, Company] = field(default_factory=dict)
    contacts: dict[str, Contact] = field(default_factory=dict)  # in created_at order
    conversations: dict[str, Conversation] = field(default_factory=VersionedDict)
    sales: dict[str, Sale] = field(default_factory=dict)
    message_drafts: dict[str, MessageDraft] = field(default_factory=dict)
    response_drafts: dict[str, ResponseDraft] = field(default_factory=dict)
    promoted_message_drafts: dict[str, PromotedMessageDraft] = field(default_factory=dict)
    promoted_response_drafts: dict[str, PromotedResponseDraft] = field(default_factory=dict)
    # Messages added after generation (promoted drafts), per conversation, oldest first.
    appended: dict[str, tuple[Message, ...]] = field(default_factory=dict)
    # Rendered generated threads; shared between forks on purpose (see module docstring).
    thread_cache: dict[str, tuple[Message, ...]] = field(default_factory=dict)
    # (first inbound, last outbound) of each generated thread; shared like thread_cache.
    reply_cache: dict[str, tuple[datetime | None, datetime | None]] = field(default_factory=dict)
    # Views derived from `conversations` (by activity, by first inbound), each with the write version
    # it was built at: every listing and rate request reads one, and rebuilding them per request
    # made the sandbox, not the code under test, dominate the bench's latency figures.
    _derived: dict[str, tuple[int, Any]] = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.conversations, VersionedDict):
            self.conversations = VersionedDict(self.conversations)

    def fork(self) -> OrgData:
        return replace(
            self,
            agents=dict(self.agents),
            companies=dict(self.companies),
            contacts=dict(self.contacts),
            conversations=VersionedDict(self.conversations),
            sales=dict(self.sales),
            message_drafts=dict(self.message_drafts),
            response_drafts=dict(self.response_drafts),
            promoted_message_drafts=dict(self.promoted_message_drafts),
            promoted_response_drafts=dict(self.promoted_response_drafts),
            appended=dict(self.appended),
        )

    # --- reads -------------------------------------------------------------------------------

    @property
    def organization_id(self) -> str:
        return self.org.organization_id

    def agent_list(self) -> list[Agent]:
        return list(self.agents.values())

    def messages(self, conversation_id: str) -> list[Message]:
        """Every message of a conversation, oldest first."""
        conv = self.conversations[conversation_id]
        generated = self.thread_cache.get(conversation_id)
        if generated is None and conv.plan:
            contact = self.contacts[conv.contact_id]
            generated = render_thread(conv, contact, self.org, self.agent_list())
            self.thread_cache[conversation_id] = generated
        return [*(generated or ()), *self.appended.get(conversation_id, ())]

    def timeline(self, conversation_id: str) -> list[tuple[str, datetime]]:
        """(direction, sent_at) of every message, oldest first, without rendering bodies."""
        conv = self.conversations[conversation_id]
        steps = [(p.direction, p.sent_at) for p in conv.plan]
        steps.extend((m.direction, m.sent_at) for m in self.appended.get(conversation_id, ()))
        return steps

    def _view(self, name: str, build: Callable[[], Any]) -> Any:
        """`build()`'s result, rebuilt only after a write to `conversations`."""
        assert isinstance(self.conversations, VersionedDict)
        version = self.conversations.version
        cached = self._derived.get(name)
        if cached is None or cached[0] != version:
            cached = self._derived[name] = (version, build())
        return cached[1]

    def conversations_by_activity(self) -> list[Conversation]:
        """Newest activity first; ties broken by ID so pages never shuffle. Do not mutate it."""

        def build() -> list[Conversation]:
            convs = sorted(self.conversations.values(), key=lambda c: c.conversation_id)
            convs.sort(key=lambda c: c.last_activity_at, reverse=True)
            return convs

        return self._view("by_activity", build)

    def received_and_answered(self) -> tuple[list[datetime], list[int]]:
        """First-inbound times, ascending, and a running count of the answered ones (answered[i] =
        how many of the first i were answered): what the response-rate metric needs, per write."""

        def build() -> tuple[list[datetime], list[int]]:
            pairs = []
            for conversation_id in self.conversations:
                first_in, last_out = self.first_inbound_and_last_outbound(conversation_id)
                if first_in is not None:
                    pairs.append((first_in, last_out is not None and last_out > first_in))
            pairs.sort(key=lambda p: p[0])
            answered = [0]
            for _, was_answered in pairs:
                answered.append(answered[-1] + was_answered)
            return [at for at, _ in pairs], answered

        return self._view("by_first_inbound", build)

    def first_inbound_and_last_outbound(
        self, conversation_id: str
    ) -> tuple[datetime | None, datetime | None]:
        """When the customer first wrote, and when we last wrote (None if never), without
        rendering bodies: what the response-rate metric needs of each conversation."""
        plan = self.conversations[conversation_id].plan
        summary = self.reply_cache.get(conversation_id) if plan else (None, None)
        if summary is None:  # only generated plans are cached: they never change for an ID
            first_in = next((p.sent_at for p in plan if p.direction == "inbound"), None)
            last_out = max((p.sent_at for p in plan if p.direction == "outbound"), default=None)
            summary = self.reply_cache[conversation_id] = (first_in, last_out)
        first_in, last_out = summary
        for m in self.appended.get(conversation_id, ()):  # newer than the plan: few, per fork
            if m.direction == "inbound" and first_in is None:
                first_in = m.sent_at
            elif m.direction == "outbound" and (last_out is None or m.sent_at > last_out):
                last_out = m.sent_at
        return first_in, last_out

    def response_draft_for(self, conversation_id: str) -> ResponseDraft | None:
        for draft in self.response_drafts.values():
            if draft.conversation_id == conversation_id:
                return draft
        return None

    def find_contacts(
        self, *, name: str | None = None, email: str | None = None, phone_digits: str | None = None
    ) -> list[Contact]:
        """Contacts matching every given criterion (name: accent/case-insensitive substring)."""
        wanted_name = _fold(name) if name else None
        wanted_email = email.casefold() if email else None
        found = []
        for contact in self.contacts.values():
            if wanted_name and wanted_name not in _fold(contact.name):
                continue
            if wanted_email and (contact.email or "").casefold() != wanted_email:
                continue
            if phone_digits and _digits(contact.phone_number)[-10:] != phone_digits[-10:]:
                continue
            found.append(contact)
        return found

    # --- writes ------------------------------------------------------------------------------

    def append_message(self, message: Message) -> None:
        """Add a live message and move the conversation's activity forward."""
        cid = message.conversation_id
        self.appended[cid] = (*self.appended.get(cid, ()), message)
        conv = self.conversations[cid]
        self.conversations[cid] = replace(conv, last_activity_at=max(conv.last_activity_at, message.sent_at))


def _digits(text: str | None) -> str:
    return "".join(ch for ch in text or "" if ch.isdigit())


def response_rate(org: OrgData, start: datetime, end: datetime) -> dict[str, Any]:
    times, answered = org.received_and_answered()  # an index, like a real API's database has
    lo, hi = bisect.bisect_left(times, start), bisect.bisect_left(times, end)
    received, responded = hi - lo, answered[hi] - answered[lo]
    return {
        "numConversationsRespondedTo": responded,
        "numConversationsReceived": received,
        "responseRate": responded / received if received else 0.0,
    }


@dataclass
class Dataset:
    seed: int
    anchor: datetime  # the "now" the data was generated relative to
    orgs: dict[str, OrgData]
    fixtures: Fixtures

    def fork(self) -> Dataset:
        return replace(self, orgs={oid: org.fork() for oid, org in self.orgs.items()})

    def org(self, organization_id: str) -> OrgData | None:
        return self.orgs.get(organization_id)

    def org_ids(self) -> list[str]:
        return list(self.orgs)

    def find_org(self, name: str) -> OrgData | None:
        """Organization by (accent/case-insensitive substring of) name."""
        wanted = _fold(name)
        return next((o for o in self.orgs.values() if wanted in _fold(o.org.name)), None)

    def find_contact(
        self, organization_id: str, *, name: str | None = None, email: str | None = None
    ) -> Contact | None:
        """First contact in the org whose name contains ``name`` and/or whose email equals ``email``."""
        org = self.orgs[organization_id]
        matches = org.find_contacts(name=name, email=email)
        return matches[0] if matches else None

    def contact_conversations(self, organization_id: str, contact_id: str) -> list[Conversation]:
        """A contact's conversations, newest activity first."""
        org = self.orgs[organization_id]
        return [c for c in org.conversations_by_activity() if c.contact_id == contact_id]

    def awaiting_reply(self, organization_id: str, since: datetime | None = None) -> list[Conversation]:
        """Conversations whose last message is inbound (optionally active since ``since``)."""
        org = self.orgs[organization_id]
        result: Iterable[Conversation] = org.conversations_by_activity()
        if since is not None:
            result = (c for c in result if c.last_activity_at >= since)
        return [c for c in result if (tl := org.timeline(c.conversation_id)) and tl[-1][0] == "inbound"]
