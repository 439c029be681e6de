"""Every upstream failure reaches the model as a tool error (`isError`) that says what happened and
what to do next, with no traceback, and the lifecycle 404s name the tool that reads the record now."""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

import pytest
from mcp import Client

from hyperrep_mcp.sandbox import SandboxConfig, create_app
from hyperrep_mcp.server.tools import ALL_TOOLS
from tests.index import helpers as truth
from tests.server.tools.snapshot import read_examples
from tests.support import RunningSandbox, UvicornThread, connect, text_of

pytestmark = pytest.mark.anyio

TRACE = re.compile(r"Traceback|File \"|\.py\b|Exception|Error:|\bNone\b|\bnull\b")


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    """Shared by the tests that only read; tests that script faults use `fresh`."""
    app = create_app(SandboxConfig())
    with UvicornThread(app) as server:
        yield RunningSandbox(server.url, app.state.sandbox)


@pytest.fixture
def fresh(sandbox_factory: Callable[..., RunningSandbox]) -> RunningSandbox:
    return sandbox_factory()


async def failing(client: Client, tool: str, **args: Any) -> str:
    """Call a tool that must fail; its error text, checked for leaks."""
    result = await client.call_tool(tool, args)
    text = text_of(result)
    assert result.is_error, text
    assert not TRACE.search(text), text
    assert result.structured_content is None
    return text


def read_calls() -> list[tuple[str, dict[str, Any]]]:
    """One call of every read tool that takes an organization, with its EXAMPLE."""
    takes_org = {s.name for s in ALL_TOOLS if "organization_id" in inspect.signature(s.handler).parameters}
    return [(name, args) for name, args in read_examples() if name in takes_org]


# --- configuration -------------------------------------------------------------------------------


async def test_invalid_key_names_the_variable_on_every_tool(sandbox: RunningSandbox):
    async with connect(sandbox, api_key="wrong") as client:
        for tool, args in [("list_organizations", {}), *read_calls()]:
            text = await failing(client, tool, **args)
            assert "HYPERREP_API_KEY" in text, tool
            assert "wrong" not in text


async def test_unknown_organization_lists_the_organizations(client: Client, sandbox: RunningSandbox):
    for tool, args in read_calls():
        text = await failing(client, tool, organization_id="HR_id_not_an_org", **args)
        for oid, org in sandbox.sandbox.data.orgs.items():
            assert f"{org.org.name} (organization_id={oid})" in text, (tool, text)


async def test_several_organizations_and_no_default_lists_them(sandbox: RunningSandbox):
    before = len(sandbox.sandbox.requests)
    async with connect(sandbox, default_org=False) as client:
        text = await failing(client, "inbox_overview")
        assert "pass organization_id" in text
        for oid, org in sandbox.sandbox.data.orgs.items():
            assert f"{org.org.name} (organization_id={oid})" in text
        # Passing one of them then works.
        ok = await client.call_tool(
            "list_agents", {"organization_id": sandbox.sandbox.data.fixtures.small_org_id}
        )
        assert not ok.is_error
    # Only the organization list was asked for before the error: nothing org-scoped.
    paths = [r.path for r in sandbox.sandbox.requests[before:]]
    assert paths[0] == "/api/v2/organizations"


# --- cursors -------------------------------------------------------------------------------------


async def test_invalid_cursor_says_restart_from_the_first_page(client: Client, sandbox: RunningSandbox):
    other_listing = (await client.call_tool("list_companies", {"limit": 1})).structured_content["next_cursor"]
    for tool, args in [
        ("list_contacts", {"cursor": "not-a-real-cursor"}),
        ("list_conversations", {"cursor": other_listing}),  # a cursor from another listing
        ("list_message_drafts", {"cursor": "eyJjIjoiMSIsIm8iOjF9AAAAAAAAAAAAAAAA"}),
    ]:
        text = await failing(client, tool, **args)
        assert "Restart from the first page" in text, (tool, text)


async def test_damaged_cursor_of_ours_is_refused_before_any_request(client: Client, sandbox: RunningSandbox):
    before = len(sandbox.sandbox.requests)
    text = await failing(client, "list_contacts", cursor="hc1.@@@garbage")
    assert "Restart from the first page (omit cursor)" in text
    assert not [r for r in sandbox.sandbox.requests[before:] if r.path.endswith("/contacts")]


# --- unknown records -----------------------------------------------------------------------------


async def test_unknown_contact(client: Client):
    for tool, args in [
        ("get_contact", {"contact_id": "HR_id_nobody"}),
        ("list_conversations", {"contact_id": "HR_id_nobody"}),
    ]:
        text = await failing(client, tool, **args)
        assert "No contact with contact_id=HR_id_nobody" in text
        assert "list_contacts(query=" in text


async def test_unknown_conversation(client: Client):
    for tool, args in [
        ("get_conversation_thread", {"conversation_id": "HR_id_nothing"}),
        ("list_response_drafts", {"conversation_id": "HR_id_nothing"}),
        ("get_response_draft", {"conversation_id": "HR_id_nothing", "response_id": "HR_id_x"}),
    ]:
        text = await failing(client, tool, **args)
        assert "No conversation with conversation_id=HR_id_nothing" in text, (tool, text)
        assert "list_conversations" in text


async def test_unknown_drafts_point_at_the_listings(client: Client, sandbox: RunningSandbox):
    text = await failing(client, "get_message_draft", draft_id="HR_id_gone")
    assert "No message draft with that ID" in text and "list_message_drafts()" in text
    conv = next(iter(sandbox.sandbox.data.org(sandbox.org).response_drafts.values())).conversation_id
    text = await failing(client, "get_response_draft", conversation_id=conv, response_id="HR_id_gone")
    assert "No response draft with that ID" in text
    assert f'list_response_drafts(conversation_id="{conv}")' in text


# --- the draft lifecycle -------------------------------------------------------------------------


def org_holding(sb: RunningSandbox, attribute: str, key: str) -> str:
    return next(oid for oid, org in sb.sandbox.data.orgs.items() if key in getattr(org, attribute))


async def test_promoted_message_draft_names_the_thread(client: Client, sandbox: RunningSandbox):
    for draft_id, conversation_id in sandbox.sandbox.data.fixtures.promoted_message_draft_ids.items():
        oid = org_holding(sandbox, "promoted_message_drafts", draft_id)
        text = await failing(client, "get_message_draft", draft_id=draft_id, organization_id=oid)
        assert "already sent" in text
        assert f'get_conversation_thread(conversation_id="{conversation_id}")' in text


async def test_promoted_response_draft_names_the_thread(client: Client, sandbox: RunningSandbox):
    for response_id, conversation_id in sandbox.sandbox.data.fixtures.promoted_response_draft_ids.items():
        oid = org_holding(sandbox, "promoted_response_drafts", response_id)
        text = await failing(
            client,
            "get_response_draft",
            conversation_id=conversation_id,
            response_id=response_id,
            organization_id=oid,
        )
        assert "already sent" in text and "a message in its conversation" in text
        assert f'get_conversation_thread(conversation_id="{conversation_id}")' in text


async def test_cross_route_ids_name_the_other_draft_tool(client: Client, sandbox: RunningSandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    rdraft = next(iter(org.response_drafts.values()))
    text = await failing(client, "get_message_draft", draft_id=rdraft.response_id)
    assert "belongs to a response draft" in text
    assert (
        f'get_response_draft(conversation_id="{rdraft.conversation_id}", response_id="{rdraft.response_id}")'
        in text
    )
    mdraft = next(iter(org.message_drafts))
    text = await failing(
        client, "get_response_draft", conversation_id=rdraft.conversation_id, response_id=mdraft
    )
    assert "belongs to a message draft" in text
    assert f'get_message_draft(draft_id="{mdraft}")' in text


# --- transient failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "params", "says"),
    [
        ("status", {"status": 503}, "retry in a moment"),
        ("status", {"status": 500}, "retry in a moment"),
        ("rate_limit", {"retry_after": "1"}, "Retry in about 1 s"),
        ("html_error", {}, ""),
        ("malformed", {}, ""),
        ("drop", {}, ""),
    ],
)
async def test_upstream_failures_beyond_the_retry_budget(
    fresh: RunningSandbox, kind: str, params: dict, says: str
):
    fresh.sandbox.faults.script(kind, times=50, path_contains="/contacts", **params)
    async with connect(fresh, max_retries=1) as client:
        text = await failing(client, "list_contacts")
    assert says in text
    assert "HyperRep" in text and "list contacts" in text
    assert (
        len([r for r in fresh.sandbox.requests if r.path.endswith("/contacts")]) == 2
    )  # one retry, then the error


async def test_a_transient_failure_within_the_budget_is_invisible(fresh: RunningSandbox):
    fresh.sandbox.faults.script("status", times=1, status=502, path_contains="/contacts")
    async with connect(fresh) as client:
        result = await client.call_tool("list_contacts", {"limit": 3})
    assert not result.is_error
    assert len(result.structured_content["contacts"]) == 3


async def test_overview_survives_a_failing_side_request(fresh: RunningSandbox):
    """The response rate and the drafts count are extras: their failure must not sink the overview."""
    fresh.sandbox.faults.script("status", times=50, status=503, path_contains="/response-rate")
    async with connect(fresh, max_retries=0) as client:
        result = await client.call_tool("inbox_overview", {})
    assert not result.is_error
    assert "Response rate: unavailable right now." in text_of(result)


async def test_bad_arguments_are_tool_errors_naming_the_field(client: Client, sandbox: RunningSandbox):
    before = len(sandbox.sandbox.requests)
    for tool, args, says in [
        ("list_conversations", {"start_date": "yesterday"}, "start_date 'yesterday' is not an ISO 8601 date"),
        ("list_conversations", {"start_date": "2026-11-10", "end_date": "2026-11-01"}, "swap them"),
        ("list_sales", {"end_date": "2026-13-01"}, "end_date '2026-13-01' is not an ISO 8601 date"),
        ("list_message_drafts", {"start_date": "2026-11-10", "end_date": "2026-11-01"}, "swap them"),
        ("inbox_overview", {"start_date": "2999-01-01"}, "in the future"),
    ]:
        text = await failing(client, tool, **args)
        assert says in text, (tool, text)
    assert len(sandbox.sandbox.requests) == before


async def test_overview_survives_failing_message_reads(fresh: RunningSandbox):
    """Failed message reads during the index sync: the answer is still right, or says what it lacks."""
    fresh.sandbox.faults.script("status", times=3, status=503, path_contains="/messages")
    async with connect(fresh, max_retries=0) as client:
        result = await client.call_tool("inbox_overview", {})
    assert not result.is_error
    text, sc = text_of(result), result.structured_content
    assert not TRACE.search(text)
    org = fresh.sandbox.data.org(fresh.org)
    start, end = (
        datetime.fromisoformat(sc["window"][k].replace("Z", "+00:00")) for k in ("start_date", "end_date")
    )
    if sc["awaiting_complete"]:
        in_window = truth.active(org, start, end)
        assert sc["conversations"] == len(in_window)
        assert sc["awaiting_total"] == len(truth.awaiting(org, in_window))
    else:
        assert "The index does not cover the whole window yet" in text


async def test_thread_survives_a_failing_draft_check(fresh: RunningSandbox):
    cid = fresh.sandbox.data.fixtures.diana_email_conversation_id
    fresh.sandbox.faults.script("status", times=5, status=503, path_contains="/response-drafts")
    async with connect(fresh, max_retries=0) as client:
        result = await client.call_tool("get_conversation_thread", {"conversation_id": cid})
    assert not result.is_error
    text = text_of(result)
    assert "Whether a response draft is pending could not be checked right now" in text
    expected = [m.message_id for m in fresh.sandbox.data.org(fresh.org).messages(cid)]
    assert [m["message_id"] for m in result.structured_content["messages"]] == expected


async def test_listing_survives_failing_name_lookups(fresh: RunningSandbox):
    fresh.sandbox.faults.script("status", times=500, status=503, path_contains="/contacts/")
    async with connect(fresh, max_retries=0) as client:
        result = await client.call_tool("list_conversations", {"limit": 5})
    assert not result.is_error
    convs = fresh.sandbox.data.org(fresh.org).conversations_by_activity()[:5]
    assert [c["conversation_id"] for c in result.structured_content["conversations"]] == [
        c.conversation_id for c in convs
    ]
    assert f"- contact {convs[0].contact_id} · " in text_of(result)  # the id stands in for the name
