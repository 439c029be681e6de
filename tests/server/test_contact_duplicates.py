"""create_contact refuses a duplicate of an existing contact (same email in any case, or the same phone
in any format), naming it, unless allow_duplicate=true. Checked against the sandbox's own contacts."""

from __future__ import annotations

import pytest

from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio


def posts(sb: RunningSandbox) -> list:
    return [r for r in sb.sandbox.requests if r.method == "POST" and r.path.endswith("/contacts")]


def diana(sb: RunningSandbox):
    return sb.sandbox.data.org(sb.org).contacts[sb.sandbox.data.fixtures.diana_contact_id]


@pytest.mark.parametrize(
    ("args", "what"),
    [
        ({"name": "D. Prince", "email": "DIANA@Example.COM"}, "email"),
        ({"name": "Di", "phone_number": "+1 513 867 5309"}, "phone number"),
        ({"phone_number": "513.867.5309"}, "phone number"),
    ],
)
async def test_a_duplicate_is_refused_and_named(sandbox: RunningSandbox, args: dict, what: str):
    existing = diana(sandbox)
    assert existing.email == "diana@example.com" and existing.phone_number == "513-867-5309"
    count = len(sandbox.sandbox.data.org(sandbox.org).contacts)
    async with connect(sandbox) as client:
        r = await client.call_tool("create_contact", args)
    text = text_of(r)
    assert r.is_error, text
    assert (
        f"A contact with this {what} already exists: Diana Prince (contact_id={existing.contact_id})" in text
    )
    assert "allow_duplicate=true" in text
    assert posts(sandbox) == []
    assert len(sandbox.sandbox.data.org(sandbox.org).contacts) == count


async def test_allow_duplicate_creates_it_anyway(sandbox: RunningSandbox):
    count = len(sandbox.sandbox.data.org(sandbox.org).contacts)
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "create_contact", {"name": "Diana P.", "email": "Diana@example.com", "allow_duplicate": True}
        )
    assert not r.is_error, text_of(r)
    assert len(posts(sandbox)) == 1
    assert len(sandbox.sandbox.data.org(sandbox.org).contacts) == count + 1


async def test_a_new_person_is_created(sandbox: RunningSandbox):
    emails = {(c.email or "").casefold() for c in sandbox.sandbox.data.org(sandbox.org).contacts.values()}
    assert "kyle.rayner@example.org" not in emails
    async with connect(sandbox) as client:
        r = await client.call_tool(
            "create_contact", {"name": "Kyle Rayner", "email": "kyle.rayner@example.org"}
        )
    assert not r.is_error, text_of(r)
    assert len(posts(sandbox)) == 1
