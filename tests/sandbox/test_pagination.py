"""Cursor pagination: complete, stable walks and the documented "Invalid cursor"."""

from __future__ import annotations

import base64

import pytest

from hyperrep_mcp.sandbox import Messages
from tests.sandbox.helpers import BASE, make_client


def walk(api, url, **params):
    items, cursor, pages = [], None, 0
    while True:
        query = dict(params, **({"cursor": cursor} if cursor else {}))
        body = api.get(url, params=query).json()
        pages += 1
        assert body["pagination"]["cursor"] == cursor
        items += body["data"]
        cursor = body["pagination"]["next_cursor"]
        assert body["pagination"]["has_more"] is (cursor is not None)
        if cursor is None:
            return items, pages


def test_walk_all_contacts(api, big, live, fx):
    items, pages = walk(api, f"{big}/contacts", limit=37)
    ids = [c["contact_id"] for c in items]
    assert len(ids) == len(set(ids)) == len(live.data.org(fx.big_org_id).contacts) == 400
    assert pages == 11


def test_walk_all_conversations_in_order(api, big):
    items, _ = walk(api, f"{big}/conversations", limit=100)
    assert len(items) == 2500
    activity = [c["last_activity_at"] for c in items]
    assert activity == sorted(activity, reverse=True)


def test_default_limit_is_25(api, big):
    body = api.get(f"{big}/conversations").json()
    assert len(body["data"]) == 25 and body["pagination"]["limit"] == 25


def test_cursor_survives_changed_limit(api, big):
    first = api.get(f"{big}/contacts", params={"limit": 10}).json()
    second = api.get(
        f"{big}/contacts", params={"limit": 5, "cursor": first["pagination"]["next_cursor"]}
    ).json()
    everything = api.get(f"{big}/contacts", params={"limit": 15}).json()["data"]
    assert second["data"] == everything[10:15]


def test_last_page_has_no_next_cursor(api, fx):
    small = f"{BASE}/{fx.small_org_id}"
    body = api.get(f"{small}/contacts", params={"limit": 100}).json()
    assert len(body["data"]) == 30
    assert body["pagination"] == {"limit": 100, "cursor": None, "next_cursor": None, "has_more": False}


def _cursor(api, url):
    return api.get(url, params={"limit": 2}).json()["pagination"]["next_cursor"]


@pytest.mark.parametrize("bad", ["abc", "!!!", "eyJjIjoieCIsIm8iOjJ9", "", "%%%"])
def test_garbage_cursor_is_400(api, big, bad):
    if not bad:
        return  # an empty cursor means "first page"
    response = api.get(f"{big}/contacts", params={"cursor": bad})
    assert response.status_code == 400 and response.json() == {"detail": Messages.INVALID_CURSOR}


def test_tampered_cursor_is_400(api, big):
    cursor = _cursor(api, f"{big}/contacts")
    raw = bytearray(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
    raw[raw.index(b'"o":') + 4] = ord("9")  # jump ahead without re-signing
    forged = base64.urlsafe_b64encode(bytes(raw)).decode().rstrip("=")
    response = api.get(f"{big}/contacts", params={"cursor": forged})
    assert response.json() == {"detail": Messages.INVALID_CURSOR}


def test_cursor_from_another_collection_is_400(api, big, fx):
    contacts_cursor = _cursor(api, f"{big}/contacts")
    for url in (
        f"{big}/conversations",
        f"{big}/companies",
        f"{BASE}/{fx.mid_org_id}/contacts",
        f"{big}/contacts/{fx.diana_contact_id}/conversations",
    ):
        response = api.get(url, params={"cursor": contacts_cursor})
        assert response.status_code == 400, url
        assert response.json() == {"detail": Messages.INVALID_CURSOR}


def test_cursor_from_another_seed_is_400(big):
    other = make_client(seed=8)
    mine = make_client()
    big_other = f"{BASE}/{other.app.state.sandbox.data.fixtures.big_org_id}"
    cursor = _cursor(other, f"{big_other}/contacts")
    big_mine = f"{BASE}/{mine.app.state.sandbox.data.fixtures.big_org_id}"
    assert mine.get(f"{big_mine}/contacts", params={"cursor": cursor}).status_code == 400


def test_cursors_are_deterministic(api, big):
    assert _cursor(api, f"{big}/contacts") == _cursor(make_client(), f"{big}/contacts")
