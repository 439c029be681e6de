"""Resources and completions against the sandbox over real HTTP, on both protocol eras.

A resource must be the tool's rendering, byte for byte; its errors must be the tool's actionable
message as a protocol error; completions must offer the IDs the templates need and never fail.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import pytest
from mcp import Client, MCPError
from mcp.types import INTERNAL_ERROR, INVALID_PARAMS, PromptReference, ResourceTemplateReference

from hyperrep_mcp.server.resources import (
    CONTACT_URI,
    CONVERSATION_URI,
    ORGANIZATION_URI,
    ORGANIZATIONS_URI,
    ranked,
)
from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio
ERAS = pytest.mark.parametrize("mode", ["legacy", "auto"])


def contact_uri(org: str, contact_id: str) -> str:
    return f"hyperrep://organizations/{org}/contacts/{contact_id}"


def conversation_uri(org: str, conversation_id: str) -> str:
    return f"hyperrep://organizations/{org}/conversations/{conversation_id}"


async def read(client: Client, uri: str) -> str:
    result = await client.read_resource(uri)
    assert len(result.contents) == 1
    content = result.contents[0]
    assert content.mime_type == "text/markdown"
    assert str(content.uri) == uri
    return content.text


async def tool_text(client: Client, name: str, **arguments: Any) -> str:
    result = await client.call_tool(name, arguments)
    assert not result.is_error, text_of(result)
    return text_of(result)


async def read_error(client: Client, uri: str) -> MCPError:
    with pytest.raises(MCPError) as info:
        await client.read_resource(uri)
    return info.value


async def complete(client: Client, ref: Any, name: str, value: str = "", **context: str) -> list[str]:
    result = await client.complete(ref, {"name": name, "value": value}, context_arguments=context or None)
    return result.completion.values


def template(uri: str) -> ResourceTemplateReference:
    return ResourceTemplateReference(type="ref/resource", uri=uri)


# --- listing -----------------------------------------------------------------------------------


@ERAS
async def test_lists_the_organizations_resource_and_three_templates(sandbox: RunningSandbox, mode: str):
    async with connect(sandbox, mode=mode) as client:
        resources = (await client.list_resources()).resources
        templates = (await client.list_resource_templates()).resource_templates
    assert [str(r.uri) for r in resources] == [ORGANIZATIONS_URI]
    assert {t.uri_template: t.name for t in templates} == {
        ORGANIZATION_URI: "organization_overview",
        CONTACT_URI: "contact",
        CONVERSATION_URI: "conversation",
    }
    for item in [*resources, *templates]:
        assert item.mime_type == "text/markdown"
        assert item.title and item.description and len(item.description) > 40


# --- reading: the tool's text ------------------------------------------------------------------


@ERAS
async def test_organizations_resource_is_list_organizations(sandbox: RunningSandbox, mode: str):
    async with connect(sandbox, mode=mode) as client:
        text = await read(client, ORGANIZATIONS_URI)
        assert text == await tool_text(client, "list_organizations")
    for org_id, org in sandbox.sandbox.data.orgs.items():
        assert f"{org.org.name} · organization_id={org_id}" in text


@ERAS
async def test_contact_resource_is_get_contact(sandbox: RunningSandbox, mode: str):
    fx = sandbox.sandbox.data.fixtures
    diana = sandbox.sandbox.data.org(fx.big_org_id).contacts[fx.diana_contact_id]
    async with connect(sandbox, mode=mode) as client:
        text = await read(client, contact_uri(fx.big_org_id, fx.diana_contact_id))
        expected = await tool_text(
            client, "get_contact", organization_id=fx.big_org_id, contact_id=fx.diana_contact_id
        )
    assert text == expected
    assert diana.name in text and diana.email in text
    for conv in sandbox.sandbox.data.contact_conversations(fx.big_org_id, fx.diana_contact_id):
        assert conv.conversation_id in text


@ERAS
async def test_conversation_resource_is_get_conversation_thread(sandbox: RunningSandbox, mode: str):
    fx = sandbox.sandbox.data.fixtures
    org = sandbox.sandbox.data.org(fx.big_org_id)
    async with connect(sandbox, mode=mode) as client:
        text = await read(client, conversation_uri(fx.big_org_id, fx.diana_email_conversation_id))
        expected = await tool_text(
            client,
            "get_conversation_thread",
            organization_id=fx.big_org_id,
            conversation_id=fx.diana_email_conversation_id,
        )
    assert text == expected
    assert org.contacts[fx.diana_contact_id].name in text
    assert f"conversation_id={fx.diana_email_conversation_id}" in text
    assert len(org.messages(fx.diana_email_conversation_id)) >= 1


@ERAS
async def test_overview_resource_is_inbox_overview(sandbox: RunningSandbox, mode: str):
    fx = sandbox.sandbox.data.fixtures
    async with connect(sandbox, mode=mode) as client:
        before = await tool_text(client, "inbox_overview", organization_id=fx.big_org_id)
        text = await read(client, f"hyperrep://organizations/{fx.big_org_id}")
        after = await tool_text(client, "inbox_overview", organization_id=fx.big_org_id)
    # The overview's window ends "now" (to the minute): the read equals a call on one side of it.
    assert text in (before, after)
    name = sandbox.sandbox.data.org(fx.big_org_id).org.name
    assert text.startswith(f"Inbox overview — {name}")
    assert "Awaiting our reply" in text


async def test_reads_any_organization_not_only_the_default(sandbox: RunningSandbox):
    """Organization IDs come in both shapes ('HR_id_…' and Fernet-like tokens with '=', '-', '_')."""
    data = sandbox.sandbox.data
    async with connect(sandbox, default_org=False) as client:
        for org_id in (data.fixtures.mid_org_id, data.fixtures.small_org_id):
            org = data.org(org_id)
            contact = next(iter(org.contacts.values()))
            text = await read(client, contact_uri(org_id, contact.contact_id))
            assert text.startswith(f"Contact in {org.org.name}: {contact.name}")


async def test_percent_encoded_ids_read_the_same(client: Client, sandbox: RunningSandbox):
    """RFC 6570 expansion encodes '=' as %3D; the template must decode it back."""
    fx = sandbox.sandbox.data.fixtures
    assert "=" in fx.big_org_id
    plain = await read(client, contact_uri(fx.big_org_id, fx.diana_contact_id))
    encoded_uri = contact_uri(quote(fx.big_org_id, safe=""), fx.diana_contact_id)
    encoded = (await client.read_resource(encoded_uri)).contents[0].text
    assert encoded == plain


# --- reading: errors ---------------------------------------------------------------------------


@ERAS
async def test_unknown_contact_and_conversation_are_not_found_with_the_tool_message(
    sandbox: RunningSandbox, mode: str
):
    org, missing = sandbox.org, "HR_id_doesnotexist"
    async with connect(sandbox, mode=mode) as client:
        contact = await read_error(client, contact_uri(org, missing))
        conversation = await read_error(client, conversation_uri(org, missing))
        contact_tool = await client.call_tool("get_contact", {"contact_id": missing})
        conversation_tool = await client.call_tool("get_conversation_thread", {"conversation_id": missing})
    assert contact_tool.is_error and conversation_tool.is_error
    assert (contact.error.code, contact.error.message) == (INVALID_PARAMS, text_of(contact_tool))
    assert (conversation.error.code, conversation.error.message) == (
        INVALID_PARAMS,
        text_of(conversation_tool),
    )
    assert missing in contact.error.message and missing in conversation.error.message
    assert contact.error.data == {"uri": contact_uri(org, missing)}


async def test_unknown_organization_lists_the_organizations(client: Client, sandbox: RunningSandbox):
    error = await read_error(client, "hyperrep://organizations/HR_id_nosuchorg")
    assert error.error.code == INVALID_PARAMS
    for org_id, org in sandbox.sandbox.data.orgs.items():
        assert org_id in error.error.message and org.org.name in error.error.message


async def test_blank_ids_and_traversal_are_refused_clearly(client: Client, sandbox: RunningSandbox):
    blank_org = await read_error(client, "hyperrep://organizations/")
    assert blank_org.error.code == INVALID_PARAMS
    assert "names no organization" in blank_org.error.message and ORGANIZATIONS_URI in blank_org.error.message
    blank_contact = await read_error(client, contact_uri(sandbox.org, ""))
    assert "names no contact_id" in blank_contact.error.message
    traversal = await read_error(client, conversation_uri(sandbox.org, ".."))
    assert traversal.error.code == INVALID_PARAMS
    assert not [r for r in sandbox.sandbox.requests if "/conversations/" in r.path]


async def test_upstream_failure_is_an_internal_error_carrying_the_tool_message(sandbox: RunningSandbox):
    async with connect(sandbox, api_key="not-the-sandbox-key") as client:
        error = await read_error(
            client, contact_uri(sandbox.org, sandbox.sandbox.data.fixtures.diana_contact_id)
        )
        orgs = await read_error(client, ORGANIZATIONS_URI)
    for e in (error, orgs):
        assert e.error.code == INTERNAL_ERROR
        assert "HYPERREP_API_KEY" in e.error.message
        assert "not-the-sandbox-key" not in e.error.message


# --- pinned organization -------------------------------------------------------------------------


@ERAS
async def test_pinned_server_refuses_other_organizations_and_serves_its_own(
    sandbox: RunningSandbox, mode: str
):
    data = sandbox.sandbox.data
    pinned, other = data.fixtures.mid_org_id, data.fixtures.big_org_id
    mine = next(iter(data.org(pinned).contacts.values()))
    async with connect(sandbox, organization_id=pinned, default_org=False, mode=mode) as client:
        refused = await read_error(client, contact_uri(other, data.fixtures.diana_contact_id))
        overview = await read_error(client, f"hyperrep://organizations/{other}")
        text = await read(client, contact_uri(pinned, mine.contact_id))
        listing = await read(client, ORGANIZATIONS_URI)
        orgs = await complete(client, template(CONTACT_URI), "organization_id")
        others_contacts = await complete(client, template(CONTACT_URI), "contact_id", organization_id=other)
        own_contacts = await complete(client, template(CONTACT_URI), "contact_id")
    for error in (refused, overview):
        assert error.error.code == INVALID_PARAMS
        assert "HYPERREP_ORGANIZATION_ID" in error.error.message
        assert data.org(pinned).org.name in error.error.message and pinned in error.error.message
    assert not [r for r in sandbox.sandbox.requests if other in r.path]
    assert text.startswith(f"Contact in {data.org(pinned).org.name}: {mine.name}")
    assert f"organization_id={pinned} (pinned by configuration)" in listing
    assert orgs == [pinned]
    assert others_contacts == []
    assert own_contacts[:5] == [c.contact_id for c in list(data.org(pinned).contacts.values())[:5]]


# --- completions -------------------------------------------------------------------------------


@ERAS
async def test_organization_id_completes_by_name_or_id_prefix(sandbox: RunningSandbox, mode: str):
    data = sandbox.sandbox.data
    fx = data.fixtures
    ref = template(CONTACT_URI)
    async with connect(sandbox, mode=mode) as client:
        everything = await complete(client, ref, "organization_id")
        by_name = await complete(
            client, ref, "organization_id", data.org(fx.small_org_id).org.name[:4].upper()
        )
        by_word = await complete(client, template(ORGANIZATION_URI), "organization_id", "núñez")
        by_id = await complete(client, ref, "organization_id", fx.mid_org_id[:9])
        nothing = await complete(client, ref, "organization_id", "zzzz")
    assert everything == list(data.orgs)
    assert by_name == [fx.small_org_id]
    assert by_word == [fx.mid_org_id]
    assert by_id == [fx.mid_org_id]
    assert nothing == []


@ERAS
async def test_contact_id_completes_from_one_page_by_name_email_or_id(sandbox: RunningSandbox, mode: str):
    org_id = sandbox.org
    page = list(sandbox.sandbox.data.org(org_id).contacts.values())[:100]
    target = next(c for c in page[10:] if c.name and c.email and " " in c.name)
    first, last = target.name.split()[0], target.name.split()[-1]
    ref = template(CONTACT_URI)
    async with connect(sandbox, mode=mode) as client:
        all_ids = await complete(client, ref, "contact_id", organization_id=org_id)
        by_first = await complete(client, ref, "contact_id", first[:3].lower(), organization_id=org_id)
        by_last = await complete(client, ref, "contact_id", last.upper(), organization_id=org_id)
        by_email = await complete(
            client, ref, "contact_id", target.email.split("@")[0], organization_id=org_id
        )
        by_id = await complete(client, ref, "contact_id", target.contact_id[:12], organization_id=org_id)
        default_org = await complete(client, ref, "contact_id", first[:3])
    assert all_ids == [c.contact_id for c in page]
    for values in (by_first, by_last, by_email, by_id):
        assert target.contact_id in values
    assert by_first == default_org
    needle = first[:3].casefold()
    for value in by_first:
        contact = next(c for c in page if c.contact_id == value)
        assert needle in f"{contact.name} {contact.email} {contact.contact_id}".casefold()
    contact_lists = [r for r in sandbox.sandbox.requests if r.path.endswith("/contacts")]
    assert contact_lists and all(
        r.query.get("limit") == "100" and "cursor" not in r.query for r in contact_lists
    )


@ERAS
async def test_conversation_id_completes_most_recent_first(sandbox: RunningSandbox, mode: str):
    fx = sandbox.sandbox.data.fixtures
    org = sandbox.sandbox.data.org(fx.big_org_id)
    recent = [c.conversation_id for c in org.conversations_by_activity()[:100]]
    dianas = sorted(
        sandbox.sandbox.data.contact_conversations(fx.big_org_id, fx.diana_contact_id),
        key=lambda c: c.last_activity_at,
        reverse=True,
    )
    async with connect(sandbox, mode=mode) as client:
        values = await complete(
            client, template(CONVERSATION_URI), "conversation_id", organization_id=fx.big_org_id
        )
        prefixed = await complete(
            client,
            template(CONVERSATION_URI),
            "conversation_id",
            recent[3][:10],
            organization_id=fx.big_org_id,
        )
        for_contact = await complete(
            client, template(CONVERSATION_URI), "conversation_id", contact_id=fx.diana_contact_id
        )
        prompt = await complete(
            client, PromptReference(type="ref/prompt", name="draft_follow_up"), "conversation_id"
        )
    assert values == recent
    assert recent[3] in prefixed and all(v.lower().startswith(recent[3][:10].lower()) for v in prefixed)
    assert for_contact == [c.conversation_id for c in dianas]
    assert prompt == recent


async def test_conversation_id_matches_names_of_contacts_already_seen(
    client: Client, sandbox: RunningSandbox
):
    org = sandbox.sandbox.data.org(sandbox.org)
    recent = org.conversations_by_activity()[:100]
    contact = org.contacts[recent[0].contact_id]
    before = await complete(client, template(CONVERSATION_URI), "conversation_id", contact.name.split()[0])
    await client.call_tool("get_contact", {"contact_id": contact.contact_id})  # now cached
    values = await complete(client, template(CONVERSATION_URI), "conversation_id", contact.name.split()[0])
    assert before == []
    assert values == [c.conversation_id for c in recent if c.contact_id == contact.contact_id]


@ERAS
async def test_completions_never_fail_on_upstream_errors(sandbox: RunningSandbox, mode: str):
    ref = template(CONTACT_URI)
    async with connect(sandbox, mode=mode, max_retries=0) as client:
        sandbox.sandbox.faults.script("status", times=10, status=503, path_contains="/contacts")
        failing = await complete(client, ref, "contact_id", "a", organization_id=sandbox.org)
        unknown_org = await complete(client, ref, "contact_id", "a", organization_id="HR_id_nosuchorg")
    async with connect(sandbox, api_key="not-the-sandbox-key", mode=mode, max_retries=0) as client:
        bad_key = await complete(client, ref, "organization_id")
    assert failing == unknown_org == bad_key == []


async def test_without_a_default_organization_ids_need_the_organization_first(sandbox: RunningSandbox):
    async with connect(sandbox, default_org=False) as client:
        unknown = await complete(client, template(CONTACT_URI), "contact_id", "a")
        known = await complete(client, template(CONTACT_URI), "contact_id", "", organization_id=sandbox.org)
    assert unknown == []
    assert len(known) == 100


def test_ranking_puts_prefix_matches_first_and_ignores_short_id_fragments():
    candidates = [
        ("HR_id_aaa111", ["Zoë Müller", "zoe@example.com"]),
        ("HR_id_bbb222", ["Anna Zorn", "anna@example.com"]),
        ("HR_id_ccc333", ["Bob Lazo", None]),
        ("HR_id_zoddd4", [None]),
    ]
    assert ranked("zo", candidates) == ["HR_id_aaa111", "HR_id_bbb222", "HR_id_ccc333"]
    assert ranked("ZOË", candidates) == ["HR_id_aaa111"]
    assert ranked("hr_id_b", candidates) == ["HR_id_bbb222"]
    assert ranked("id_zoddd", candidates) == ["HR_id_zoddd4"]
    assert ranked("", candidates) == [c[0] for c in candidates]


async def test_a_resource_goes_with_its_excluded_tool(sandbox):
    from tests.support import connect as connect_with

    async with connect_with(sandbox, exclude_tools="get_contact,inbox_overview") as client:
        templates = {t.uri_template for t in (await client.list_resource_templates()).resource_templates}
    assert not any("/contacts/" in t for t in templates)
    assert "hyperrep://organizations/{organization_id}" not in templates
    assert any("/conversations/" in t for t in templates)


async def test_contact_completion_reuses_one_page_while_typing(sandbox):
    from mcp.types import ResourceTemplateReference

    from tests.support import connect as connect_with

    ref = ResourceTemplateReference(uri="hyperrep://organizations/{organization_id}/contacts/{contact_id}")
    async with connect_with(sandbox) as client:
        before = len(sandbox.sandbox.requests)
        for typed in ("d", "di", "dia", "dian"):
            await client.complete(
                ref,
                {"name": "contact_id", "value": typed},
                context_arguments={"organization_id": sandbox.org},
            )
    contact_pages = [r for r in sandbox.sandbox.requests[before:] if r.path.endswith("/contacts")]
    assert len(contact_pages) == 1


async def test_completion_context_ids_are_checked_before_any_request(
    client: Client, sandbox: RunningSandbox, caplog: pytest.LogCaptureFixture
):
    """A client's context arguments are IDs on their way into an API path: a dot segment, a '/',
    a control character or a 300 KB string gives no suggestions and sends nothing."""
    conversations = template(CONVERSATION_URI)
    await complete(client, conversations, "conversation_id")  # warms whatever a valid call loads
    before = len(sandbox.sandbox.requests)
    bad_ids = ["../../../users", "..", ".", "a/b", "x\u202e", "a\nb", "x" * 300_000]
    for bad in bad_ids:
        assert await complete(client, conversations, "conversation_id", contact_id=bad) == [], bad
        assert await complete(client, conversations, "conversation_id", organization_id=bad) == [], bad
        assert await complete(client, template(CONTACT_URI), "contact_id", organization_id=bad) == [], bad
    sent = sandbox.sandbox.requests[before:]
    assert sent == [], [(r.method, r.path[:120]) for r in sent]
    assert "InvalidURL" not in caplog.text
    # a well-formed context still completes, from the sandbox's own data
    fx = sandbox.sandbox.data.fixtures
    expected = {
        c.conversation_id
        for c in sandbox.sandbox.data.contact_conversations(fx.big_org_id, fx.diana_contact_id)
    }
    got = await complete(client, conversations, "conversation_id", contact_id=fx.diana_contact_id)
    assert expected and set(got) == expected
