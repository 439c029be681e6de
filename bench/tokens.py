"""Token efficiency: characters of our text result / characters of the raw API JSON that holds the
same information.

"Raw JSON that holds the same information" (the `shown` denominator) is, per tool, the API JSON a
model would need to be handed to know what our text tells it, exactly as the API serialises it
(compact JSON, as received by the call):
- a listing shown page by page (list_conversations, list_contacts without a query, the thread's
  messages, a contact's conversations, response-draft pages): the whole page response(s) the tool
  read, envelope included, because that is the smallest unit the API answers with;
- every record the text names beyond that: the contact record behind each contact name shown, the
  company record behind each company name, the conversation detail, the organization record behind
  the organization name in the header;
- a search (list_contacts with a query) shows only its matches, so only the matching contact
  records count, not the pages scanned to find them;
- inbox_overview: the response-rate and message-drafts answers, and for each conversation listed as
  awaiting a reply its conversation record, its last message, its contact and its response-draft
  page. Its folder and unread counts summarise every conversation of the week and are left out of
  the denominator (counting the ~300 records they summarise would flatter the ratio).
The `fetched` denominator is every response body the call actually received, for comparison.
Calls are made on a fresh session (cold caches) against a zero-latency sandbox, so every record
the text relies on was received by the call itself and is taken from what it received.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from mcp import Client

from hyperrep_mcp.api import HyperRepClient

from .servers import Exchange, RecordingTransport, build_ours, compact, text_of
from .upstream import API_KEY, BenchData, SandboxProcess

ID_KEYS = {
    "contacts": ("contact", "contact_id"),
    "contact": ("contact", "contact_id"),
    "contact-conversations": ("conversation", "conversation_id"),
    "conversations": ("conversation", "conversation_id"),
    "conversation": ("conversation", "conversation_id"),
    "messages": ("message", "message_id"),
    "response-drafts": ("response_draft", "response_id"),
    "message-drafts": ("message_draft", "draft_id"),
    "companies": ("company", "company_id"),
    "organizations": ("organization", "organization_id"),
}


def kind_of(path: str) -> str:
    """Which API answer a path is ("contacts", "contact", "messages", ...)."""
    parts = [p for p in path.removeprefix("/api/v2/organizations").split("/") if p]
    if not parts:
        return "organizations"
    rest = parts[1:]
    if rest[:1] == ["analytics"]:
        return "response-rate"
    if len(rest) == 1:
        return rest[0]
    if len(rest) == 2:
        return {"contacts": "contact", "conversations": "conversation"}.get(rest[0], rest[0])
    if rest[0] == "contacts" and rest[2] == "conversations":
        return "contact-conversations"
    return rest[2]


class Received:
    """The API answers one call received, by kind, with every record indexed by its id."""

    def __init__(self, exchanges: list[Exchange]) -> None:
        self.exchanges = exchanges
        self.records: dict[tuple[str, str], str] = {}
        self.parsed: dict[tuple[str, str], dict[str, Any]] = {}
        for ex in exchanges:
            kind = kind_of(ex.path)
            if kind not in ID_KEYS:
                continue
            entity, key = ID_KEYS[kind]
            body = json.loads(ex.body) if ex.body else None
            is_page = isinstance(body, dict) and isinstance(body.get("data"), list)
            for item in body["data"] if is_page else [body]:
                if isinstance(item, dict) and key in item:
                    # A detail answer is its own JSON text; a list item is re-serialised the same way.
                    self.records.setdefault((entity, item[key]), compact(item) if is_page else ex.body)
                    self.parsed.setdefault((entity, item[key]), item)

    @property
    def fetched_chars(self) -> int:
        return sum(len(ex.body) for ex in self.exchanges)

    def pages(self, kind: str, path_contains: str = "") -> list[str]:
        return [ex.body for ex in self.exchanges if kind_of(ex.path) == kind and path_contains in ex.path]

    def record(self, entity: str, record_id: str | None) -> list[str]:
        text = self.records.get((entity, record_id or ""))
        return [text] if text else []

    def organization(self, org: dict[str, Any]) -> list[str]:
        return self.record("organization", org["organization_id"]) or [compact(org)]


Shown = Callable[[dict[str, Any], Received], list[str]]


def _contacts_named(s: dict[str, Any], got: Received, contacts: list[dict[str, Any]]) -> list[str]:
    out = []
    for c in contacts:
        out += got.record("contact", c["contact_id"])
        if c.get("company_name"):
            out += got.record("company", c.get("company_id"))
    return out


def shown_conversations(s: dict[str, Any], got: Received) -> list[str]:
    named = {c["contact_id"] for c in s["conversations"] if c.get("contact_name") and c.get("contact_id")}
    contacts = [got.record("contact", cid) for cid in sorted(named)]
    return got.pages("conversations") + [t for c in contacts for t in c] + got.organization(s["organization"])


def shown_contacts(s: dict[str, Any], got: Received) -> list[str]:
    if s.get("query"):  # a search shows its matches, not the pages scanned for them
        base = [t for c in s["contacts"] for t in got.record("contact", c["contact_id"])]
    else:
        base = got.pages("contacts")
    companies = {c.get("company_id") for c in s["contacts"] if c.get("company_name")}
    return (
        base
        + [t for cid in sorted(companies) for t in got.record("company", cid)]
        + got.organization(s["organization"])
    )


def shown_contact(s: dict[str, Any], got: Received) -> list[str]:
    return (
        _contacts_named(s, got, [s["contact"]])
        + got.pages("contact-conversations")
        + got.organization(s["organization"])
    )


def shown_thread(s: dict[str, Any], got: Received) -> list[str]:
    out = got.pages("messages") + got.record("conversation", s["conversation"]["conversation_id"])
    if s.get("contact"):
        out += _contacts_named(s, got, [s["contact"]])
    return out + got.pages("response-drafts") + got.organization(s["organization"])


def shown_rate(s: dict[str, Any], got: Received) -> list[str]:
    return got.pages("response-rate") + got.organization(s["organization"])


def shown_overview(s: dict[str, Any], got: Received) -> list[str]:
    out = got.pages("response-rate") + got.pages("message-drafts")
    for item in s["awaiting_reply"]:
        cid = item["conversation_id"]
        out += got.record("conversation", cid)
        messages = [
            m
            for (entity, _), m in got.parsed.items()
            if entity == "message" and m.get("conversation_id") == cid
        ]
        if messages:
            last = max(messages, key=lambda m: m.get("sent_at") or "")
            out += got.record("message", last["message_id"])
        out += got.record("contact", item.get("contact_id"))
        out += got.pages("response-drafts", path_contains=_seg(cid))
    return out + got.organization(s["organization"])


def _seg(value: str) -> str:
    from urllib.parse import quote

    return "/" + quote(value, safe="") + "/"


@dataclass(frozen=True)
class Case:
    label: str
    tool: str
    args: dict[str, Any]
    shown: Shown
    target: float | None  # concise text / shown JSON must be <= target
    group: str  # "lists", "thread" or "" (no target)


def cases(data: BenchData) -> list[Case]:
    return [
        Case(
            "list_conversations(limit=25)",
            "list_conversations",
            {"limit": 25},
            shown_conversations,
            0.35,
            "lists",
        ),
        Case("list_contacts(limit=25)", "list_contacts", {"limit": 25}, shown_contacts, 0.35, "lists"),
        Case(
            f'list_contacts(query="{data.query}")',
            "list_contacts",
            {"query": data.query},
            shown_contacts,
            0.35,
            "lists",
        ),
        Case(
            f"get_conversation_thread ({data.long_thread_messages} messages)",
            "get_conversation_thread",
            {"conversation_id": data.long_thread_id, "limit": 50},
            shown_thread,
            0.5,
            "thread",
        ),
        Case("get_contact", "get_contact", {"contact_id": data.contact_id}, shown_contact, None, ""),
        Case(
            "get_response_rate(compare_to_previous)",
            "get_response_rate",
            {"compare_to_previous": True},
            shown_rate,
            None,
            "",
        ),
        Case("inbox_overview (last 7 days)", "inbox_overview", {}, shown_overview, None, ""),
    ]


async def measure(
    upstream: SandboxProcess, data: BenchData, tool: str, args: dict[str, Any], shown: Shown
) -> dict[str, Any]:
    """One call on a fresh server session; its text, structured content and the JSON behind them."""
    transport = RecordingTransport()
    server = build_ours(upstream.url, data.org_id, transport=transport)
    async with Client(server) as client:
        result = await client.call_tool(tool, args)
    if result.is_error:
        raise RuntimeError(f"{tool}({args}) failed: {text_of(result)}")
    got = Received(transport.exchanges)
    structured = result.structured_content or {}
    shown_chars = sum(len(t) for t in shown(structured, got))
    text = text_of(result)
    return {
        "text_chars": len(text),
        "id_chars": sum(len(i) * text.count(i) for i in _ids(structured)),
        "structured_chars": len(compact(structured)),
        "shown_json_chars": shown_chars,
        "fetched_json_chars": got.fetched_chars,
        "requests": len(transport.exchanges),
    }


def _ids(value: Any) -> set[str]:
    """Every record id in a structured result (values of *_id keys): the opaque strings the text
    must repeat verbatim so the model can pass them on."""
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            if key.endswith("_id") and isinstance(item, str) and len(item) >= 8:
                found.add(item)
            else:
                found |= _ids(item)
    elif isinstance(value, list):
        for item in value:
            found |= _ids(item)
    return found


async def formats(upstream: SandboxProcess, data: BenchData) -> set[str]:
    """The tools that take `response_format` (the others have one shape: concise)."""
    async with Client(build_ours(upstream.url, data.org_id)) as client:
        listing = await client.list_tools()
    return {t.name for t in listing.tools if "response_format" in (t.input_schema.get("properties") or {})}


async def run(upstream: SandboxProcess, data: BenchData, *, sample_threads: int) -> dict[str, Any]:
    rows = []
    with_formats = await formats(upstream, data)
    for case in cases(data):
        two = case.tool in with_formats
        concise_args = {**case.args, "response_format": "concise"} if two else case.args
        concise = await measure(upstream, data, case.tool, concise_args, case.shown)
        detailed = None
        if two:
            detailed_args = {**case.args, "response_format": "detailed"}
            detailed = await measure(upstream, data, case.tool, detailed_args, case.shown)
        ratio = concise["text_chars"] / concise["shown_json_chars"]
        rows.append(
            {
                "label": case.label,
                "group": case.group,
                "concise": concise,
                "detailed": detailed,
                "ratio_concise": round(ratio, 3),
                "ratio_detailed": round(detailed["text_chars"] / detailed["shown_json_chars"], 3)
                if detailed
                else None,
                "ratio_concise_vs_fetched": round(concise["text_chars"] / concise["fetched_json_chars"], 3),
                "ratio_structured": round(concise["structured_chars"] / concise["shown_json_chars"], 3),
                "target": case.target,
                "pass": None if case.target is None else ratio <= case.target,
            }
        )
    rows.append(await _sample_threads(upstream, data, sample_threads))
    return {"rows": rows}


async def _sample_threads(upstream: SandboxProcess, data: BenchData, count: int) -> dict[str, Any]:
    """The same ratio over ordinary generated threads (the most recently active ones), as a check
    that the long thread is not a lucky case."""
    async with HyperRepClient(API_KEY, base_url=upstream.url) as api:
        recent = (await api.list_conversations(data.org_id, limit=count)).data
    concise, detailed = [], []
    for conv in recent:
        args = {"conversation_id": conv.conversation_id, "limit": 50}
        c = await measure(
            upstream, data, "get_conversation_thread", {**args, "response_format": "concise"}, shown_thread
        )
        d = await measure(
            upstream, data, "get_conversation_thread", {**args, "response_format": "detailed"}, shown_thread
        )
        concise.append(c["text_chars"] / c["shown_json_chars"])
        detailed.append(d["text_chars"] / d["shown_json_chars"])
    return {
        "label": f"get_conversation_thread ({count} recent threads, median)",
        "group": "",
        "concise": None,
        "detailed": None,
        "ratio_concise": round(statistics.median(concise), 3),
        "ratio_detailed": round(statistics.median(detailed), 3),
        "ratio_concise_range": [round(min(concise), 3), round(max(concise), 3)],
        "target": None,
        "pass": None,
    }
