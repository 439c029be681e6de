"""The tool errors the model reads come from our messages, not from the SDK's wrapper text.

`HyperRepTool` rebuilds each anticipated failure's message from the `ToolError`'s `__cause__` (the
SDK's contract), so neither the SDK's "Error executing tool ..." prefix nor pydantic's input echoes
and documentation links reach the model.
"""

from __future__ import annotations

import pytest
from mcp import Client

from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio
SDK_PREFIX = "Error executing tool"


async def test_argument_errors_name_each_field_without_echo_or_links(sandbox: RunningSandbox):
    async with connect(sandbox) as client:
        result = await client.call_tool(
            "list_conversations", {"contact_id": "../secret-value", "limit": 0, "start_date": "x" * 100}
        )
    text = text_of(result)
    assert result.is_error
    assert text.startswith("Invalid arguments for list_conversations: "), text
    for field in ("contact_id", "limit", "start_date"):
        assert field in text
    assert SDK_PREFIX not in text and "secret-value" not in text and "pydantic.dev" not in text, text


async def test_a_resolver_refusal_reads_as_our_message(sandbox: RunningSandbox):
    """delete_message_draft asks a person through its resolver; a client that cannot be asked gets
    the resolver's own refusal, verbatim."""
    draft_id = next(iter(sandbox.sandbox.data.org(sandbox.org).message_drafts))
    before = len(sandbox.sandbox.writes())
    async with connect(sandbox) as client:
        result = await client.call_tool("delete_message_draft", {"draft_id": draft_id})
    text = text_of(result)
    assert result.is_error
    assert SDK_PREFIX not in text and not text.startswith(":"), text
    assert text[0].isupper(), text
    assert len(sandbox.sandbox.writes()) == before


async def test_an_unknown_argument_lists_the_real_ones(sandbox: RunningSandbox):
    async with connect(sandbox) as client:
        result = await client.call_tool("list_contacts", {"querry": "Diana"})
    assert result.is_error
    assert text_of(result) == (
        "list_contacts has no argument 'querry'. Its arguments are: company_id, cursor, limit, organization_id, "
        "query, response_format."
    )


async def test_unknown_argument_names_are_cut_short_in_the_error(client: Client, sandbox: RunningSandbox):
    """A 500,000-character argument name is not echoed back whole (a 500 KB error for the model)."""
    before = len(sandbox.sandbox.requests)
    arguments = {f"{i}{'q' * 500_000}": 1 for i in range(8)}
    result = await client.call_tool("list_contacts", arguments)
    assert result.is_error
    message = text_of(result)
    assert len(message) < 600, len(message)
    assert message.startswith("list_contacts has no argument '0qqq") and "and 3 more (8 in all)" in message
    assert "Its arguments are: company_id, cursor, limit, organization_id, query, response_format." in message
    assert sandbox.sandbox.requests[before:] == []
