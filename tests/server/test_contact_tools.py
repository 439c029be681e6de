"""list_contacts finds a company's people by the company's name or id; get_contact's conversations say
their channel, subject, who wrote last and what about. Checked against the sandbox's own data."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import AsyncIterator, Iterator

import pytest
from mcp import Client

from hyperrep_mcp.render.text import message_text
from hyperrep_mcp.sandbox import SandboxConfig, create_app
from tests.support import RunningSandbox, UvicornThread, connect, text_of

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def sandbox() -> Iterator[RunningSandbox]:
    app = create_app(SandboxConfig())
    with UvicornThread(app) as server:
        yield RunningSandbox(server.url, app.state.sandbox)


@pytest.fixture
async def client(sandbox: RunningSandbox) -> AsyncIterator[Client]:
    async with connect(sandbox) as c:
        yield c


def companies_with_people(sb: RunningSandbox, at_least: int = 3) -> list[tuple[str, str, set[str]]]:
    org = sb.sandbox.data.org(sb.org)
    sizes = Counter(c.company_id for c in org.contacts.values() if c.company_id)
    return [
        (cid, org.companies[cid].name, {c.contact_id for c in org.contacts.values() if c.company_id == cid})
        for cid, n in sizes.most_common()
        if n >= at_least
    ]


def ids_in(text: str) -> set[str]:
    return set(re.findall(r"contact_id=(\S+)", text))


async def test_query_matches_the_company_s_full_name(client: Client, sandbox: RunningSandbox):
    companies = companies_with_people(sandbox)
    assert len(companies) >= 3
    for _cid, name, people in companies[:5]:
        result = await client.call_tool("list_contacts", {"query": name, "limit": 100})
        assert not result.is_error, text_of(result)
        found = {c["contact_id"] for c in result.structured_content["contacts"]}
        assert people <= found, name
        assert all(c["company_name"] == name for c in result.structured_content["contacts"]), name
        assert f"at {name}" in text_of(result)


async def test_company_name_match_ignores_case_accents_and_punctuation(
    client: Client, sandbox: RunningSandbox
):
    org = sandbox.sandbox.data.org(sandbox.org)
    staff = Counter(c.company_id for c in org.contacts.values())
    accented = max(
        (c for c in org.companies.values() if c.name.startswith("Ø")), key=lambda c: staff[c.company_id]
    )
    people = {c.contact_id for c in org.contacts.values() if c.company_id == accented.company_id}
    assert len(people) >= 3
    folded = accented.name.replace("Ø", "O").lower().replace(" ", ", ", 1)  # "orsted, park holdings"
    result = await client.call_tool("list_contacts", {"query": folded, "limit": 100})
    assert {c["contact_id"] for c in result.structured_content["contacts"]} == people


async def test_company_id_lists_exactly_its_contacts(client: Client, sandbox: RunningSandbox):
    for cid, name, people in companies_with_people(sandbox)[:3]:
        result = await client.call_tool("list_contacts", {"company_id": cid, "limit": 100})
        assert not result.is_error, text_of(result)
        assert {c["contact_id"] for c in result.structured_content["contacts"]} == people
        assert ids_in(text_of(result)) == people
        assert text_of(result).startswith(
            f"Contacts in Summit Roofing & Restoration at {name} — {len(people)} matches"
        )


async def test_unknown_company_id_is_a_tool_error_naming_it(client: Client, sandbox: RunningSandbox):
    result = await client.call_tool("list_contacts", {"company_id": "HR_id_nope"})
    assert result.is_error
    assert "company_id=HR_id_nope" in text_of(result) and "list_companies" in text_of(result)


async def test_get_contact_conversations_have_channel_subject_and_gist(
    client: Client, sandbox: RunningSandbox
):
    data = sandbox.sandbox.data
    org = data.org(sandbox.org)
    diana = data.fixtures.diana_contact_id
    result = await client.call_tool("get_contact", {"contact_id": diana})
    assert not result.is_error, text_of(result)
    views = result.structured_content["conversations"]
    truth = sorted(
        data.contact_conversations(sandbox.org, diana), key=lambda c: c.last_activity_at, reverse=True
    )
    assert [v["conversation_id"] for v in views] == [c.conversation_id for c in truth[:5]]
    text = text_of(result)
    for v, conv in zip(views, truth, strict=False):
        last = org.messages(conv.conversation_id)[-1]
        assert v["modality"] == conv.modality
        assert v.get("subject") == conv.subject
        assert v["last_from"] == ("customer" if last.direction == "inbound" else "us")
        words = message_text(last.body_html, last.body_text, concise=True).body.split()
        gist = v["gist"].rstrip("…").split()
        assert gist and all(w in words for w in gist[:-1])
        line = next(line for line in text.splitlines() if v["conversation_id"] in line)
        assert re.search(rf"(^- | · ){conv.modality} · ", line) and f"last from {v['last_from']}" in line
        if conv.subject:
            assert f'"{conv.subject}"' in line
