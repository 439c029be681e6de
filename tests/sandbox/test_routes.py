"""Every route answers in the documented shape."""

from __future__ import annotations

import pytest

from hyperrep_mcp.sandbox import Messages
from tests.sandbox.helpers import BASE, make_client

SUMMARY_KEYS = {"conversation_id", "start_at", "last_activity_at", "folder", "is_read", "contact_id"}
CONTACT_KEYS = {
    "contact_id",
    "name",
    "email",
    "phone_number",
    "created_at",
    "company_id",
    "custom_fields",
    "company_role",
}
MESSAGE_KEYS = {
    "message_id",
    "conversation_id",
    "direction",
    "modality",
    "subject",
    "body_html",
    "body_text",
    "sender_name",
    "sender_email",
    "sender_phone_number",
    "sent_at",
    "is_read",
}


def test_organizations(api, fx):
    body = api.get(BASE).json()
    assert [o["organization_id"] for o in body["data"]] == [fx.big_org_id, fx.mid_org_id, fx.small_org_id]
    assert body["data"][0]["name"] == "Summit Roofing & Restoration"
    assert any(not o["name"].isascii() for o in body["data"])


def test_contacts_list_and_detail(api, big, fx):
    page = api.get(f"{big}/contacts").json()
    assert page["pagination"]["limit"] == 25 and page["pagination"]["has_more"] is True
    assert all(set(c) == CONTACT_KEYS for c in page["data"])
    created = [c["created_at"] for c in page["data"]]
    assert created == sorted(created)
    diana = api.get(f"{big}/contacts/{fx.diana_contact_id}").json()
    assert diana["name"] == "Diana Prince" and diana["email"] == "diana@example.com"
    assert (
        diana["custom_fields"] == {"notes": "Prefers SMS"} and diana["company_role"] == "Facilities Manager"
    )


def test_contact_conversations_default_limit_50(api, big, fx):
    body = api.get(f"{big}/contacts/{fx.diana_contact_id}/conversations").json()
    assert body["pagination"]["limit"] == 50
    assert body["data"][0]["conversation_id"] == fx.diana_email_conversation_id
    assert len(body["data"]) == 3 and all(set(c) == SUMMARY_KEYS for c in body["data"])


def test_contact_conversations_date_filter(api, big, fx):
    body = api.get(
        f"{big}/contacts/{fx.diana_contact_id}/conversations",
        params={"start_date": "2026-05-01T00:00:00Z", "end_date": "2026-05-10T00:00:00Z"},
    ).json()
    assert len(body["data"]) == 1  # the text thread 16 days before the anchor


def test_create_contact_normalizes(api, big, live):
    response = api.post(
        f"{big}/contacts",
        json={"name": "Kyle Rayner", "email": "Kyle@Example.COM", "phone_number": "(415) 555-0199"},
    )
    assert response.status_code == 200
    contact = response.json()
    assert contact["email"] == "Kyle@example.com" and contact["phone_number"] == "+14155550199"
    assert api.get(f"{big}/contacts/{contact['contact_id']}").json() == contact
    assert live.data.find_contact(live.data.fixtures.big_org_id, name="kyle rayner") is not None


@pytest.mark.parametrize("phone", ["+14155550199", "415-555-0199", "(415) 555-0199", "1-415-555-0199"])
def test_documented_phone_formats(api, big, phone):
    response = api.post(f"{big}/contacts", json={"phone_number": phone})
    assert response.json()["phone_number"] == "+14155550199"


def test_companies_agents_sales(api, big):
    companies = api.get(f"{big}/companies", params={"limit": 100}).json()["data"]
    assert len(companies) == 40 and {"company_id", "name", "domain", "phone", "city"} <= set(companies[0])
    agents = api.get(f"{big}/agents").json()["data"]
    assert len(agents) == 8 and {"agent_id", "name", "email", "role"} <= set(agents[0])
    sales = api.get(f"{big}/sales", params={"limit": 100}).json()
    assert sales["pagination"]["has_more"] is True
    first = sales["data"][0]
    assert set(first) == {"sale_id", "contact_id", "amount", "currency", "closed_at", "description"}
    closed = [s["closed_at"] for s in sales["data"]]
    assert closed == sorted(closed, reverse=True)


def test_sales_date_filter(api, big):
    sales = api.get(
        f"{big}/sales", params={"start_date": "2026-05-01T00:00:00Z", "end_date": "2026-05-10T00:00:00Z"}
    ).json()["data"]
    assert sales and all("2026-05-01" <= s["closed_at"] < "2026-05-10" for s in sales)


def test_conversations_sorted_and_filtered(api, big):
    page = api.get(f"{big}/conversations", params={"limit": 100}).json()
    activity = [c["last_activity_at"] for c in page["data"]]
    assert activity == sorted(activity, reverse=True)
    assert all(set(c) == SUMMARY_KEYS for c in page["data"])
    window = api.get(
        f"{big}/conversations",
        params={"start_date": "2026-05-13T00:00:00Z", "end_date": "2026-05-14T00:00:00Z", "limit": 100},
    ).json()["data"]
    assert window and all(c["last_activity_at"].startswith("2026-05-13") for c in window)


def test_conversation_folder_and_contact_filters(api, big, fx):
    archived = api.get(f"{big}/conversations", params={"folder": " Archived "}).json()["data"]
    assert archived and {c["folder"] for c in archived} == {"archived"}
    hal = api.get(f"{big}/conversations", params={"contact_id": fx.hal_contact_id}).json()["data"]
    assert {c["contact_id"] for c in hal} == {fx.hal_contact_id}
    missing = api.get(f"{big}/conversations", params={"contact_id": "HR_id_nope"})
    assert missing.status_code == 404 and missing.json() == {"detail": Messages.INVALID_CONTACT}


def test_conversation_detail_and_messages(api, big, fx):
    cid = fx.diana_email_conversation_id
    detail = api.get(f"{big}/conversations/{cid}").json()
    assert detail["modality"] == "email" and detail["subject"] == "Question about the estimate you sent"
    messages = api.get(f"{big}/conversations/{cid}/messages").json()["data"]
    assert all(set(m) == MESSAGE_KEYS for m in messages)
    assert [m["direction"] for m in messages] == ["inbound", "outbound", "inbound"]
    assert [m["sent_at"] for m in messages] == sorted(m["sent_at"] for m in messages)
    one = api.get(f"{big}/conversations/{cid}/messages/{messages[1]['message_id']}").json()
    assert one == messages[1]


def test_text_thread_has_plain_bodies(api, big, fx):
    convs = api.get(f"{big}/contacts/{fx.diana_contact_id}/conversations").json()["data"]
    text = next(c for c in convs if c["folder"] == "primary")
    messages = api.get(f"{big}/conversations/{text['conversation_id']}/messages").json()["data"]
    assert all(m["modality"] == "text" and m["body_html"] is None and m["body_text"] for m in messages)
    assert messages[0]["sender_phone_number"] == "513-867-5309"


def test_messages_date_filter(api, big, fx):
    cid = fx.diana_email_conversation_id
    messages = api.get(f"{big}/conversations/{cid}/messages").json()["data"]
    later = api.get(
        f"{big}/conversations/{cid}/messages", params={"start_date": messages[1]["sent_at"]}
    ).json()["data"]
    assert later == messages[1:]


def test_implied_endpoints_can_be_turned_off(fx):
    api = make_client(implied_endpoints=False)
    big = f"{BASE}/{fx.big_org_id}"
    cid = fx.diana_email_conversation_id
    for path in (f"{big}/conversations/{cid}", f"{big}/conversations/{cid}/messages/x"):
        response = api.get(path)
        assert response.status_code == 404 and response.json() == {"detail": "Not Found"}
    assert api.get(f"{big}/conversations/{cid}/messages").status_code == 200


def test_unknown_route_and_method(api, big):
    assert api.get(f"{big}/invoices").json() == {"detail": "Not Found"}
    response = api.delete(f"{big}/contacts")
    assert response.status_code == 405 and response.json() == {"detail": "Method Not Allowed"}
