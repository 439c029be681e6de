"""The API client against the sandbox over real HTTP on 127.0.0.1: endpoints, errors, paging, retries."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest

from hyperrep_mcp.api import HyperRepClient, paginate, track_calls
from hyperrep_mcp.api import errors as e
from hyperrep_mcp.api.client import EndpointMissingError
from tests.support import SANDBOX_KEY, RunningSandbox

pytestmark = pytest.mark.anyio


def api_for(sb: RunningSandbox, **kw) -> HyperRepClient:
    kw.setdefault("retry_wait_initial", 0.01)
    kw.setdefault("retry_wait_max", 0.05)
    return HyperRepClient(kw.pop("api_key", SANDBOX_KEY), base_url=sb.url, **kw)


# --- every endpoint ------------------------------------------------------------------------------


async def test_read_endpoints_parse(sandbox: RunningSandbox):
    async with api_for(sandbox) as api:
        orgs = await api.list_organizations()
        assert len(orgs) >= 3 and all(o.organization_id and o.name for o in orgs)
        org = sandbox.org
        contacts = await api.list_contacts(org, limit=5)
        assert len(contacts.data) == 5 and contacts.next_cursor
        one = await api.get_contact(org, contacts.data[0].contact_id)
        assert one.contact_id == contacts.data[0].contact_id and one.name == contacts.data[0].name
        assert (await api.list_companies(org, limit=3)).data[0].company_id
        assert (await api.list_agents(org, limit=3)).data[0].agent_id
        convs = await api.list_conversations(org, limit=10)
        conv = convs.data[0]
        assert conv.last_activity_at is not None and conv.last_activity_at.tzinfo is not None
        detail = await api.get_conversation(org, conv.conversation_id)
        assert detail.conversation_id == conv.conversation_id
        msgs = await api.list_messages(org, conv.conversation_id)
        assert msgs.data and all(m.direction in ("inbound", "outbound") for m in msgs.data)
        msg = await api.get_message(org, conv.conversation_id, msgs.data[0].message_id)
        assert msg.message_id == msgs.data[0].message_id
        by_contact = await api.list_contact_conversations(org, conv.contact_id)
        assert conv.conversation_id in {c.conversation_id for c in by_contact.data} or by_contact.next_cursor
        rate = await api.get_response_rate(org)
        assert rate.received >= rate.responded >= 0 and rate.rate is not None
        assert (await api.list_sales(org, limit=2)).data
        assert isinstance((await api.list_message_drafts(org, limit=5)).data, list)
        assert isinstance((await api.list_response_drafts(org, conv.conversation_id)).data, list)


async def test_draft_lifecycle_endpoints(sandbox: RunningSandbox):
    org = sandbox.org
    async with api_for(sandbox) as api:
        receipt = await api.create_message_draft(
            org,
            {"modality": "email", "subject": "Quote", "body_html": "<p>Hi</p>", "to_email": "hal@example.com",
             "folder": "Sales Follow-up"},
        )  # fmt: skip
        assert receipt.draft_id and receipt.scheduled_to_send is False and receipt.folder == "sales-follow-up"
        draft = await api.get_message_draft(org, receipt.draft_id)
        assert draft.subject == "Quote" and draft.status == "saved"
        await api.delete_message_draft(org, receipt.draft_id)
        with pytest.raises(e.NotFoundError):
            await api.get_message_draft(org, receipt.draft_id)

        conv = (await api.list_conversations(org, limit=1)).data[0]
        saved = await api.upsert_response_draft(
            org, conv.conversation_id, {"body_html": "<p>Tuesday works</p>"}
        )
        assert (
            saved.response_id
            and saved.conversation_id == conv.conversation_id
            and not saved.scheduled_to_send
        )
        got = await api.get_response_draft(org, conv.conversation_id, saved.response_id)
        assert "Tuesday" in (got.body_html or "")
        await api.delete_response_draft(org, conv.conversation_id, saved.response_id)

        contact = await api.create_contact(org, {"name": "Zoë Test", "phone_number": "(415) 555-0199"})
        assert contact.contact_id and contact.name == "Zoë Test"


async def test_both_draft_receipt_shapes(sandbox: RunningSandbox):
    """Page 01 answers queued_to_send/send_at, page 05 scheduled_to_send/scheduled_send_at."""
    from hyperrep_mcp.api.models import DraftReceipt

    body = {"modality": "email", "subject": "s", "body_html": "<p>b</p>", "to_email": "a@example.com"}
    async with api_for(sandbox) as api:
        legacy = await api.request(
            "POST", f"/api/v2/organizations/{sandbox.org}/messages-drafts", what="t", json=body
        )
        modern = await api.request(
            "POST", f"/api/v2/organizations/{sandbox.org}/message-drafts", what="t", json=body
        )
    assert "queued_to_send" in legacy and "scheduled_to_send" in modern
    for raw in (legacy, modern):
        receipt = DraftReceipt.model_validate(raw)
        assert receipt.id and receipt.scheduled_to_send is False and receipt.scheduled_send_at is None
    queued = DraftReceipt.model_validate(
        {"draft_id": "x", "queued_to_send": True, "send_at": "2026-05-02T21:17:42Z"}
    )
    assert queued.scheduled_to_send and queued.scheduled_send_at == datetime(
        2026, 5, 2, 21, 17, 42, tzinfo=UTC
    )


# --- documented errors -----------------------------------------------------------------------------


async def test_invalid_key_is_auth_error_without_the_key(sandbox: RunningSandbox):
    secret = "canary-key-0123456789"
    async with api_for(sandbox, api_key=secret) as api:
        with pytest.raises(e.AuthError) as info:
            await api.list_organizations()
        assert "HYPERREP_API_KEY" in info.value.message
        assert secret not in str(info.value) and secret not in repr(api) and secret not in repr(info.value)


@pytest.mark.parametrize(
    ("call", "error", "detail"),
    [
        (lambda api, org: api.list_contacts("nope"), e.NotFoundError, "Invalid organization_id"),
        (lambda api, org: api.get_contact(org, "nope"), e.NotFoundError, "Invalid contact_id"),
        (lambda api, org: api.list_contact_conversations(org, "nope"), e.NotFoundError, "Invalid contact_id"),
        (lambda api, org: api.list_contacts(org, cursor="garbage"), e.InvalidCursorError, "Invalid cursor"),
        (lambda api, org: api.list_messages(org, "nope"), e.NotFoundError, "Conversation not found"),
        (lambda api, org: api.get_conversation(org, "nope"), e.NotFoundError, "Conversation not found"),
        (
            lambda api, org: api.get_response_rate(
                org, start_date="2026-02-01T00:00:00Z", end_date="2026-01-01T00:00:00Z"
            ),
            e.BadRequestError,
            "start_date must be less than or equal to end_date",
        ),
        (
            lambda api, org: api.get_response_rate(org, start_date=datetime.now(UTC) + timedelta(days=2)),
            e.BadRequestError,
            "start_date and end_date cannot be in the future",
        ),
    ],
)
async def test_documented_errors(sandbox: RunningSandbox, call, error, detail):
    async with api_for(sandbox) as api:
        with pytest.raises(error) as info:
            await call(api, sandbox.org)
    assert info.value.detail == detail
    assert info.value.status in (400, 404)


async def test_message_not_found(sandbox: RunningSandbox):
    async with api_for(sandbox) as api:
        conv = (await api.list_conversations(sandbox.org, limit=1)).data[0]
        with pytest.raises(e.NotFoundError) as info:
            await api.get_message(sandbox.org, conv.conversation_id, "nope")
    assert info.value.detail == "Message not found"


async def test_validation_error_422_reads_fastapi_detail(sandbox: RunningSandbox):
    async with api_for(sandbox) as api:
        with pytest.raises(e.ValidationError) as info:
            await api.request(
                "GET", f"/api/v2/organizations/{sandbox.org}/contacts", what="t", params={"limit": 0}
            )
    assert info.value.status == 422 and "limit" in (info.value.detail or "")


async def test_ids_are_url_encoded(sandbox: RunningSandbox):
    """An opaque ID with "=", "+", "?", "#" or a space stays one path segment: the API says it is unknown."""
    async with api_for(sandbox) as api:
        with pytest.raises(e.NotFoundError) as info:
            await api.get_contact(sandbox.org, "gAAAA+B?x=1#frag ok==")
    assert info.value.detail == "Invalid contact_id"


async def test_implied_endpoint_missing_is_distinguished(sandbox_factory):
    sb = sandbox_factory(implied_endpoints=False)
    async with api_for(sb) as api:
        conv = (await api.list_conversations(sb.org, limit=1)).data[0]
        with pytest.raises(EndpointMissingError):
            await api.get_conversation(sb.org, conv.conversation_id)


# --- pagination ------------------------------------------------------------------------------------


async def test_paginate_walks_every_page(sandbox: RunningSandbox):
    async with api_for(sandbox) as api:
        pages = [p async for p in paginate(lambda c: api.list_contacts(sandbox.org, limit=37, cursor=c))]
    ids = [c.contact_id for p in pages for c in p.data]
    assert len(pages) > 5 and len(ids) == len(set(ids))
    assert len(ids) == len(sandbox.sandbox.data.org(sandbox.org).contacts)
    assert pages[-1].next_cursor is None


async def test_paginate_bounds(sandbox: RunningSandbox):
    async with api_for(sandbox) as api:
        pages = [
            p
            async for p in paginate(lambda c: api.list_contacts(sandbox.org, limit=10, cursor=c), max_pages=3)
        ]
        assert len(pages) == 3 and pages[-1].next_cursor
        pages = [
            p
            async for p in paginate(
                lambda c: api.list_contacts(sandbox.org, limit=10, cursor=c), max_items=25
            )
        ]
        assert len(pages) == 3


# --- retries ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("status", {"status": 503}),
        ("status", {"status": 500}),
        ("status", {"status": 502}),
        ("rate_limit", {"retry_after": "0"}),
        ("drop", {}),
        ("malformed", {}),
        ("html_error", {}),
    ],
)
async def test_safe_requests_survive_transient_faults(sandbox: RunningSandbox, kind, params):
    sandbox.sandbox.faults.script(kind, times=2, method="GET", path_contains="/contacts", **params)
    async with api_for(sandbox, max_retries=3) as api:
        stats = track_calls()
        page = await api.list_contacts(sandbox.org, limit=3)
    assert len(page.data) == 3
    assert stats.requests == 3 and stats.retries == 2


async def test_timeouts_are_retried_and_bounded(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script("slow", times=1, method="GET", path_contains="/contacts", delay_s=2.0)
    async with api_for(sandbox, timeout=0.3) as api:
        started = time.monotonic()
        page = await api.list_contacts(sandbox.org, limit=2)
    assert len(page.data) == 2 and time.monotonic() - started < 2.0


async def test_retry_budget_exhausted_says_so(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script("status", times=10, method="GET", path_contains="/contacts", status=503)
    async with api_for(sandbox, max_retries=2) as api:
        with pytest.raises(e.ServerError) as info:
            await api.list_contacts(sandbox.org)
    assert "gave up after 3 attempts" in info.value.message and "retry" in info.value.message.lower()


async def test_deadline_bounds_a_call_whatever_upstream_does(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script("slow", times=10, method="GET", path_contains="/contacts", delay_s=5.0)
    async with api_for(sandbox, timeout=5, deadline_s=1.0) as api:
        started = time.monotonic()
        with pytest.raises(e.UpstreamTimeoutError):
            await api.list_contacts(sandbox.org)
    assert time.monotonic() - started < 2.5


async def test_long_retry_after_is_not_waited(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script(
        "rate_limit", times=5, method="GET", path_contains="/contacts", retry_after="120"
    )
    async with api_for(sandbox) as api:
        started = time.monotonic()
        with pytest.raises(e.RateLimitedError) as info:
            await api.list_contacts(sandbox.org)
    assert time.monotonic() - started < 1.0 and info.value.retry_after == 120 and "120" in info.value.message


@pytest.mark.parametrize(
    ("kind", "params"), [("commit_then_fail", {}), ("commit_then_fail", {"then": "drop"})]
)
async def test_create_with_unknown_outcome_is_not_retried(sandbox: RunningSandbox, kind, params):
    sandbox.sandbox.faults.script(kind, times=1, method="POST", path_contains="/message-drafts", **params)
    before = len(sandbox.sandbox.data.org(sandbox.org).message_drafts)
    async with api_for(sandbox, max_retries=3) as api:
        with pytest.raises(e.OutcomeUnknownError) as info:
            await api.create_message_draft(
                sandbox.org,
                {
                    "modality": "email",
                    "subject": "once",
                    "body_html": "<p>x</p>",
                    "to_email": "a@example.com",
                },
            )
    assert "not retried" in info.value.message
    posts = [r for r in sandbox.sandbox.writes() if r.method == "POST"]
    assert len(posts) == 1
    assert len(sandbox.sandbox.data.org(sandbox.org).message_drafts) == before + 1


async def test_create_is_retried_when_refused_by_rate_limit(sandbox: RunningSandbox):
    sandbox.sandbox.faults.script(
        "rate_limit", times=1, method="POST", path_contains="/contacts", retry_after="0"
    )
    async with api_for(sandbox) as api:
        contact = await api.create_contact(sandbox.org, {"email": "new.person@example.com"})
    assert contact.email == "new.person@example.com"
    assert [r.status for r in sandbox.sandbox.writes()] == [429, 200]


def test_error_detail_echoing_the_key_is_scrubbed():
    err = e.error_for_status(400, e.scrub("bad header X-API-KEY: sk-live-123456", "sk-live-123456"), what="t")
    assert "sk-live-123456" not in err.message and "[redacted]" in err.message
