"""Documented status codes and detail messages, and FastAPI-style 422 bodies."""

from __future__ import annotations

import pytest

from hyperrep_mcp.sandbox import Messages
from tests.sandbox.helpers import BASE


def detail(response, status: int):
    assert response.status_code == status, response.text
    return response.json()["detail"]


ROUTES = [
    ("GET", "{org}"),
    ("GET", "{org}/x/contacts"),
    ("POST", "{org}/x/contacts"),
    ("GET", "{org}/x/contacts/y"),
    ("GET", "{org}/x/contacts/y/conversations"),
    ("GET", "{org}/x/companies"),
    ("GET", "{org}/x/agents"),
    ("GET", "{org}/x/sales"),
    ("GET", "{org}/x/conversations"),
    ("GET", "{org}/x/conversations/y"),
    ("GET", "{org}/x/conversations/y/messages"),
    ("GET", "{org}/x/conversations/y/messages/z"),
    ("GET", "{org}/x/analytics/conversations/response-rate"),
    ("GET", "{org}/x/message-drafts"),
    ("POST", "{org}/x/message-drafts"),
    ("POST", "{org}/x/messages-drafts"),
    ("GET", "{org}/x/message-drafts/d"),
    ("DELETE", "{org}/x/message-drafts/d"),
    ("GET", "{org}/x/conversations/y/response-drafts"),
    ("POST", "{org}/x/conversations/y/response-drafts"),
    ("GET", "{org}/x/conversations/y/response-drafts/r"),
    ("DELETE", "{org}/x/conversations/y/response-drafts/r"),
]


@pytest.mark.parametrize(("method", "path"), ROUTES)
@pytest.mark.parametrize("headers", [{}, {"X-API-KEY": "wrong"}])
def test_bad_key_is_403_on_every_route(api, method, path, headers):
    url = path.replace("{org}", BASE)
    response = api.request(method, url, headers={"X-API-KEY": ""} | headers, json={})
    assert detail(response, 403) == Messages.INVALID_API_KEY


@pytest.mark.parametrize(("method", "path"), [r for r in ROUTES if r[1] != "{org}"])
def test_unknown_org_is_404(api, method, path):
    body = {"modality": "email", "subject": "s", "to_email": "a@b.co", "body_html": "<p>x</p>"}
    response = api.request(method, path.replace("{org}", BASE), json=body)
    assert detail(response, 404) == Messages.INVALID_ORGANIZATION


def test_missing_resources(api, big, fx):
    cid = fx.diana_email_conversation_id
    assert detail(api.get(f"{big}/contacts/nope"), 404) == Messages.INVALID_CONTACT
    assert detail(api.get(f"{big}/contacts/nope/conversations"), 404) == Messages.INVALID_CONTACT
    assert detail(api.get(f"{big}/conversations/nope"), 404) == Messages.CONVERSATION_NOT_FOUND
    assert detail(api.get(f"{big}/conversations/nope/messages"), 404) == Messages.CONVERSATION_NOT_FOUND
    assert detail(api.get(f"{big}/conversations/{cid}/messages/nope"), 404) == Messages.MESSAGE_NOT_FOUND
    assert detail(api.get(f"{big}/message-drafts/nope"), 404) == Messages.MESSAGE_DRAFT_NOT_FOUND
    assert detail(api.get(f"{big}/conversations/{cid}/response-drafts/nope"), 404) == (
        Messages.RESPONSE_DRAFT_NOT_FOUND
    )


def test_ids_are_scoped_to_their_organization(api, fx):
    mid = f"{BASE}/{fx.mid_org_id}"
    assert detail(api.get(f"{mid}/contacts/{fx.diana_contact_id}"), 404) == Messages.INVALID_CONTACT
    assert detail(api.get(f"{mid}/conversations/{fx.diana_email_conversation_id}"), 404) == (
        Messages.CONVERSATION_NOT_FOUND
    )


@pytest.mark.parametrize(
    ("limit", "kind"),
    [("abc", "int_parsing"), ("0", "greater_than_equal"), ("101", "less_than_equal"), ("2.5", "int_parsing")],
)
def test_bad_limit_is_422_list(api, big, limit, kind):
    errors = detail(api.get(f"{big}/contacts", params={"limit": limit}), 422)
    assert isinstance(errors, list)
    assert errors[0]["loc"] == ["query", "limit"] and errors[0]["type"] == kind and errors[0]["msg"]


def test_limit_bounds_are_inclusive(api, big):
    assert api.get(f"{big}/contacts", params={"limit": 1}).status_code == 200
    assert len(api.get(f"{big}/contacts", params={"limit": 100}).json()["data"]) == 100


def test_all_query_errors_are_reported_together(api, big):
    errors = detail(api.get(f"{big}/conversations", params={"limit": "x", "start_date": "yesterday"}), 422)
    assert {tuple(e["loc"]) for e in errors} == {("query", "limit"), ("query", "start_date")}


@pytest.mark.parametrize(
    "path", ["conversations", "sales", "message-drafts", "analytics/conversations/response-rate"]
)
def test_malformed_date_is_422(api, big, path):
    errors = detail(api.get(f"{big}/{path}", params={"end_date": "2026-13-45"}), 422)
    assert errors[0]["loc"] == ["query", "end_date"]


@pytest.mark.parametrize(
    "path", ["conversations", "sales", "message-drafts", "analytics/conversations/response-rate"]
)
def test_reversed_range_is_400(api, big, path):
    params = {"start_date": "2026-05-10T00:00:00Z", "end_date": "2026-05-01T00:00:00Z"}
    assert detail(api.get(f"{big}/{path}", params=params), 400) == Messages.REVERSED_RANGE


def test_equal_dates_are_allowed(api, big):
    params = {"start_date": "2026-05-10T00:00:00Z", "end_date": "2026-05-10T00:00:00Z"}
    assert api.get(f"{big}/conversations", params=params).json()["data"] == []


def test_dates_accept_offsets_fractions_and_bare_dates(api, big):
    for value in ("2026-05-01", "2026-05-01T00:00:00.123456Z", "2026-05-01T02:00:00+02:00"):
        assert api.get(f"{big}/conversations", params={"start_date": value}).status_code == 200


def test_invalid_json_body_is_422(api, big):
    response = api.post(f"{big}/contacts", content=b"{not json", headers={"Content-Type": "application/json"})
    errors = detail(response, 422)
    assert errors[0]["type"] == "json_invalid" and errors[0]["loc"][0] == "body"
    errors = detail(api.post(f"{big}/contacts", json=["a list"]), 422)
    assert errors[0]["loc"] == ["body"]


def test_wrong_types_are_422(api, big, fx):
    errors = detail(api.post(f"{big}/contacts", json={"name": 5, "custom_fields": "x"}), 422)
    assert {tuple(e["loc"]) for e in errors} == {("body", "name"), ("body", "custom_fields")}
    cid = fx.diana_email_conversation_id
    errors = detail(
        api.post(
            f"{big}/conversations/{cid}/response-drafts",
            json={"body_html": "<p>x</p>", "cc_emails": "a@b.co", "autosend_draft": "maybe"},
        ),
        422,
    )
    assert {tuple(e["loc"]) for e in errors} == {("body", "cc_emails"), ("body", "autosend_draft")}


def test_missing_required_body_fields_are_422(api, big, fx):
    cid = fx.diana_email_conversation_id
    errors = detail(api.post(f"{big}/conversations/{cid}/response-drafts", json={}), 422)
    assert errors[0]["loc"] == ["body", "body_html"] and errors[0]["type"] == "missing"
    errors = detail(api.post(f"{big}/message-drafts", json={"subject": "hi"}), 422)
    assert errors[0]["loc"] == ["body", "modality"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, Messages.CONTACT_NEEDS_IDENTITY),
        ({"name": "  "}, Messages.CONTACT_NEEDS_IDENTITY),
        ({"email": "not-an-email"}, Messages.INVALID_EMAIL.format(value="not-an-email")),
        ({"email": "a@b"}, Messages.INVALID_EMAIL.format(value="a@b")),
        ({"phone_number": "555-CALL-NOW"}, Messages.INVALID_PHONE.format(value="555-CALL-NOW")),
        ({"phone_number": "12345"}, Messages.INVALID_PHONE.format(value="12345")),
        ({"name": "X", "company_id": "HR_id_unknown"}, Messages.INVALID_COMPANY),
    ],
)
def test_contact_create_400s(api, big, body, message):
    assert detail(api.post(f"{big}/contacts", json=body), 400) == message


def test_contact_company_must_be_same_org(api, big, fx, live):
    other_company = next(iter(live.data.org(fx.mid_org_id).companies))
    response = api.post(f"{big}/contacts", json={"name": "X", "company_id": other_company})
    assert detail(response, 400) == Messages.INVALID_COMPANY


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"modality": "fax", "subject": "s", "to_email": "a@b.co"}, Messages.INVALID_MODALITY),
        ({"modality": "email", "to_email": "a@b.co"}, Messages.DRAFT_NEEDS_CONTENT),
        (
            {"modality": "email", "subject": "s", "to_email": "a@b.co", "autosend_draft": True},
            Messages.FLAGS_EXCLUSIVE,
        ),
        ({"modality": "email", "subject": "s"}, Messages.EMAIL_RECIPIENT_REQUIRED),
        ({"modality": "text", "body_html": "hi"}, Messages.TEXT_RECIPIENT_REQUIRED),
        (
            {"modality": "email", "subject": "s", "to_email": "nope"},
            Messages.INVALID_EMAIL.format(value="nope"),
        ),
        (
            {"modality": "email", "subject": "s", "to_email": "a@b.co", "cc_emails": ["x@"]},
            Messages.INVALID_EMAIL.format(value="x@"),
        ),
        (
            {"modality": "text", "body_html": "hi", "to_phone_number": "12"},
            Messages.INVALID_PHONE.format(value="12"),
        ),
    ],
)
def test_message_draft_400s(api, big, body, message):
    assert detail(api.post(f"{big}/message-drafts", json=body), 400) == message


def test_no_text_credentials_in_small_org(api, fx):
    small = f"{BASE}/{fx.small_org_id}"
    body = {"modality": "text", "body_html": "hi", "to_phone_number": "415-555-0199"}
    assert detail(api.post(f"{small}/message-drafts", json=body), 400) == Messages.NO_CREDENTIALS.format(
        modality="text"
    )
    body = {"modality": "email", "subject": "hi", "to_email": "a@example.com"}
    assert api.post(f"{small}/message-drafts", json=body).status_code == 200


def test_response_draft_400s(api, big, fx):
    url = f"{big}/conversations/{fx.diana_email_conversation_id}/response-drafts"
    both = {"body_html": "<p>x</p>", "autosend_draft": True, "add_notification": True}
    assert detail(api.post(url, json=both), 400) == Messages.FLAGS_EXCLUSIVE
    default_notify = {"body_html": "<p>x</p>", "autosend_draft": True}  # add_notification defaults true
    assert detail(api.post(url, json=default_notify), 400) == Messages.FLAGS_EXCLUSIVE
    assert detail(api.post(url, json={"body_html": "  "}), 400) == Messages.EMPTY_BODY
    assert detail(api.post(url, json={"body_html": "x", "bcc_emails": ["bad"]}), 400) == (
        Messages.INVALID_EMAIL.format(value="bad")
    )
    missing = f"{big}/conversations/nope/response-drafts"
    assert detail(api.post(missing, json={"body_html": "x"}), 404) == Messages.CONVERSATION_NOT_FOUND


def test_analytics_rejects_future(api, big):
    url = f"{big}/analytics/conversations/response-rate"
    assert detail(api.get(url, params={"end_date": "2026-06-01T00:00:00Z"}), 400) == Messages.FUTURE_RANGE
    assert detail(api.get(url, params={"start_date": "2026-05-21T00:00:00Z"}), 400) == Messages.FUTURE_RANGE
