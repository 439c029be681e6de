"""IDs and cursors cannot leave their route (issue 12, finding 6).

Through a real MCP client against the sandbox over HTTP: an ID or cursor outside the API's alphabet
(a dot segment, '/', '%2F', '?', '#', whitespace, control characters) or over its length bound is
refused with a tool error naming the argument, before any request: the sandbox's own request log
must not grow. Real IDs of both forms still work. The alphabet and length bounds are enforced, not
published (the tool list's size budget).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
from mcp import Client, MCPError

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.api.errors import UnsafePathError
from hyperrep_mcp.sandbox import SandboxConfig, create_app
from tests.support import SANDBOX_KEY, RunningSandbox, UvicornThread, connect, text_of

pytestmark = pytest.mark.anyio

HOSTILE = [
    ".",
    "..",
    "../contacts",
    "a/b",
    "%2F",
    "a%2F..",
    "a?limit=100",
    "a#frag",
    " x",
    "a b",
    "a\tb",
    "a\nb",
    "abc\n",
    "a\x00b",
    "a\x7fb",
    "x" * 2_000_000,
]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    app = create_app(SandboxConfig())
    with UvicornThread(app) as server:
        yield RunningSandbox(server.url, app.state.sandbox)


@pytest.fixture
async def client(sandbox: RunningSandbox) -> Any:
    async with connect(sandbox, write_mode="autosend") as client:
        yield client


def no_traceback(caplog: pytest.LogCaptureFixture) -> None:
    for record in caplog.records:
        assert record.exc_info is None, record.getMessage()
        assert "Traceback" not in record.getMessage()


async def refused(client: Client, sb: RunningSandbox, tool: str, argument: str, **args: Any) -> str:
    before = len(sb.sandbox.requests)
    result = await client.call_tool(tool, args)
    text = text_of(result)
    assert result.is_error, text[:300]
    assert argument in text, text
    assert len(text) < 600, "the error must not echo the input back"
    assert len(sb.sandbox.requests) == before, [r.path for r in sb.sandbox.requests[before:]]
    return text


def _ids(sb: RunningSandbox) -> dict[str, str]:
    org = sb.sandbox.data.org(sb.org)
    return {
        "contact_id": next(iter(org.contacts)),
        "conversation_id": org.conversations_by_activity()[0].conversation_id,
        "draft_id": next(iter(org.message_drafts)),
        "response_id": next(iter(org.response_drafts)),
    }


async def test_dot_segment_organization_cannot_create_outside_any_organization(client, sandbox, caplog):
    """Today's bug: POST /api/v2/contacts, outside any organization."""
    caplog.set_level(logging.DEBUG)
    text = await refused(
        client, sandbox, "create_contact", "organization_id", organization_id="..", name="Hal Jordan"
    )
    assert "not a HyperRep ID" in text
    assert not any(r.path.rstrip("/").endswith("/api/v2/contacts") for r in sandbox.sandbox.requests)
    no_traceback(caplog)


async def test_dot_segment_contact_does_not_list_the_whole_organization(client, sandbox):
    """Today's bug: GET .../contacts/../conversations = every conversation, labelled as one contact's."""
    await refused(client, sandbox, "list_conversations", "contact_id", contact_id="..")


CASES = [
    ("get_contact", "contact_id"),
    ("list_conversations", "contact_id"),
    ("get_conversation_thread", "conversation_id"),
    ("get_message_draft", "draft_id"),
    ("list_response_drafts", "conversation_id"),
    ("get_response_draft", "response_id"),
    ("delete_message_draft", "draft_id"),
    ("delete_response_draft", "conversation_id"),
    ("upsert_response_draft", "conversation_id"),
    ("list_contacts", "organization_id"),
    ("create_contact", "company_id"),
]


@pytest.mark.parametrize(("tool", "argument"), CASES)
async def test_hostile_ids_are_refused_before_any_request(client, sandbox, caplog, tool, argument):
    caplog.set_level(logging.DEBUG)
    base = {**_ids(sandbox), "body_text": "Thanks, see you Tuesday.", "name": "Hal Jordan"}
    tools = {t.name: t for t in (await client.list_tools()).tools}
    props = tools[tool].input_schema["properties"]
    args = {k: v for k, v in base.items() if k in props}
    for value in HOSTILE:
        await refused(client, sandbox, tool, argument, **{**args, argument: value})
    no_traceback(caplog)


@pytest.mark.parametrize("value", [".", "..", "/x", "a/b", "a?b", "a#b", "a b", "a\nb", "x" * 2_000_000])
async def test_hostile_cursors_are_refused_before_any_request(client, sandbox, caplog, value):
    caplog.set_level(logging.DEBUG)
    text = await refused(client, sandbox, "list_contacts", "cursor", cursor=value)
    assert "Restart from the first page" in text or "at most" in text
    no_traceback(caplog)


async def test_real_ids_of_both_forms_and_our_cursors_still_work(client, sandbox):
    org = sandbox.sandbox.data.org(sandbox.org)
    fernet = next(c for c in org.contacts if c.startswith("gAAAAAB"))
    legacy = next((c for c in org.contacts if c.startswith("HR_id_")), None)
    for contact_id in filter(None, (fernet, legacy)):
        result = await client.call_tool("get_contact", {"contact_id": contact_id})
        assert not result.is_error, text_of(result)
    first = await client.call_tool("list_contacts", {"limit": 3})
    cursor = first.structured_content["next_cursor"]
    assert cursor
    page = await client.call_tool("list_contacts", {"limit": 3, "cursor": cursor})
    assert not page.is_error, text_of(page)
    # an empty optional argument still means "not given"
    empty = await client.call_tool("list_contacts", {"limit": 3, "cursor": "", "organization_id": ""})
    assert not empty.is_error, text_of(empty)


def _strings(schema: dict[str, Any], defs: dict[str, Any], path: str) -> Iterator[tuple[str, dict]]:
    if "$ref" in schema:
        schema = defs[schema["$ref"].rsplit("/", 1)[-1]]
    for option in schema.get("anyOf", []):
        yield from _strings(option, defs, path)
    kind = schema.get("type")
    if kind == "string":
        yield path, schema
    elif kind == "array":
        yield from _strings(schema.get("items", {}), defs, path + "[]")
    elif kind == "object":
        for name, sub in schema.get("properties", {}).items():
            yield from _strings(sub, defs, f"{path}.{name}" if path else name)


# Valid values for every required argument, so that only the argument under test is wrong.
REQUIRED = {"query": "roof", "modality": "email", "to_email": "hal@example.com", "body_text": "Thanks."}


@pytest.mark.parametrize("mode", ["drafts", "autosend", "read_only"])
async def test_ids_and_cursors_are_not_published_but_still_refused(sandbox: RunningSandbox, mode: str):
    """The ID and cursor alphabets are kept off the model-facing list (its size budget, SPEC section
    5), and so are length bounds (strict modes refuse maxLength): the server enforces both. Every ID
    and cursor argument of every tool refuses a value outside the alphabet, naming the argument,
    before any request. (test_fuzz sends 2 MB and hostile IDs to every string argument.)"""
    async with connect(sandbox, default_org=False, write_mode=mode) as client:
        tools = (await client.list_tools()).tools
        base = {**_ids(sandbox), **REQUIRED, "organization_id": sandbox.org}
        checked = set()
        for tool in tools:
            schema = tool.input_schema
            props = schema["properties"]
            for path, string in _strings(schema, schema.get("$defs", {}), ""):
                assert "pattern" not in string, f"{tool.name}.{path} publishes a pattern"
                assert "maxLength" not in string, f"{tool.name}.{path} publishes maxLength"
            for argument in props:
                if not (argument.endswith("_id") or argument == "cursor"):
                    continue
                args = {k: v for k, v in base.items() if k in props}
                # "HR_id_..." is what a model copies from an elided example; a strict client's
                # constrained decoding used to rule it out, now the server refuses it. (A cursor
                # may hold dots.)
                hostile = ["a/b", "..", "a b"] + ([] if argument == "cursor" else ["HR_id_..."])
                for value in hostile:
                    await refused(client, sandbox, tool.name, argument, **{**args, argument: value})
                checked.add(f"{tool.name}.{argument}")
    # every tool but list_organizations takes organization_id; the ID tools more
    assert len(checked) > len(tools) + 8, sorted(checked)
    assert {"get_contact.contact_id", "get_response_draft.response_id", "list_contacts.cursor"} <= checked


async def test_client_refuses_dot_and_empty_path_segments(sandbox: RunningSandbox):
    """Defence in depth, for any caller that skips the server's checks (resource templates)."""
    before = len(sandbox.sandbox.requests)
    async with HyperRepClient(SANDBOX_KEY, base_url=sandbox.url, max_retries=0) as api:
        for bad in ("", ".", ".."):
            with pytest.raises(UnsafePathError):
                await api.get_contact(sandbox.org, bad)
            with pytest.raises(UnsafePathError):
                await api.list_contacts(bad)
    assert len(sandbox.sandbox.requests) == before


async def test_resource_templates_check_ids_before_any_request(client, sandbox):
    """Template arguments skip the tools' schemas; the resources check IDs themselves."""
    org = sandbox.org
    before = len(sandbox.sandbox.requests)
    for uri, argument in (
        (f"hyperrep://organizations/{org}/contacts/..", None),
        (f"hyperrep://organizations/{org}/contacts/a%2Fb", "contact_id"),
        (f"hyperrep://organizations/{org}/contacts/a%20b", "contact_id"),
        (f"hyperrep://organizations/{org}/contacts/a%0Ab", "contact_id"),
        (f"hyperrep://organizations/{org}/contacts/{'x' * 600}", "contact_id"),
        (f"hyperrep://organizations/{org}/conversations/.", "conversation_id"),
        (f"hyperrep://organizations/{org}/conversations/%2E", "conversation_id"),
        (f"hyperrep://organizations/{org}/conversations/x%3Flimit%3D100", "conversation_id"),
        ("hyperrep://organizations/../contacts/x", None),
        ("hyperrep://organizations/%2E/contacts/x", "organization_id"),
    ):
        with pytest.raises(MCPError) as info:
            await client.read_resource(uri)
        message = info.value.error.message
        assert "Traceback" not in message
        # a literal dot segment does not even match a template; an encoded one reaches our check
        if argument:
            assert argument in message and "not a HyperRep ID" in message, (uri, message)
        else:
            assert message.startswith("Unknown resource"), message
    assert len(sandbox.sandbox.requests) == before, [r.path for r in sandbox.sandbox.requests[before:]]
