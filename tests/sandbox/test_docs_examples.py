"""The curl examples from the API pages, replayed against the sandbox.

With the pages' example IDs every request gets past routing and validation to the documented 404;
with real IDs substituted, every request succeeds. The pages' addresses were mangled by the
publisher's e-mail obfuscation ("[email protected]"); real addresses stand in for them.
"""

from __future__ import annotations

import pytest

from hyperrep_mcp.sandbox import Messages
from tests.sandbox.helpers import BASE

EX_ORG = "HR_id_example_organization_id"
EX_ORG_FERNET = "gAAAAABexampleOrganizationIdReturnedByApi7mN4qP2xLs9dV5kTr8cY1hJ6uW3"
EX_CONTACT = "HR_id_example_contact_id"
EX_CONV = "HR_id_example_conversation_id"
EX_RESPONSE = "HR_id_example_response_draft_id"
EX_DRAFT = "HR_id_example_message_draft_id"
DATES = {"start_date": "2026-04-01T00:00:00Z", "end_date": "2026-04-30T23:59:59Z"}

PAGE01_DRAFT = {
    "modality": "email",
    "subject": "Following up on your quote",
    "body_html": "<p>Hi Diana, checking in on your quote.</p>",
    "to_email": "diana@example.com",
    "autosend_draft": False,
}
PAGE02_CONTACT = {
    "name": "Hal Jordan",
    "email": "hal@example.com",
    "phone_number": "+14155550199",
    "company_id": "HR_id_example_company_id",
    "custom_fields": {"notes": "Primary billing contact"},
    "company_role": "Controller",
}
PAGE03_RESPONSE = {
    "body_html": "<p>Hi Diana, thanks for the follow-up. We can do Tuesday at 2pm.</p>",
    "cc_emails": [],
    "bcc_emails": [],
    "autosend_draft": False,
    "add_notification": True,
}
PAGE05_DRAFT = {
    "modality": "email",
    "subject": "Following up on your quote",
    "body_html": "<p>Hi Diana, checking in on the quote we sent yesterday.</p>",
    "to_user_name": "Diana Prince",
    "to_email": "diana@example.com",
    "to_phone_number": "513-867-5309",
    "cc_emails": ["office@summitroofing.com"],
    "bcc_emails": [],
    "autosend_draft": False,
    "add_notification": True,
    "folder": "Sales Follow-up",
}

# (method, path, query, body)
EXAMPLES = [
    ("GET", f"{BASE}/{EX_ORG_FERNET}/conversations", {"limit": "25", **DATES}, None),
    ("POST", f"{BASE}/{EX_ORG_FERNET}/messages-drafts", None, PAGE01_DRAFT),
    ("GET", f"{BASE}/{EX_ORG_FERNET}/analytics/conversations/response-rate", DATES, None),
    ("GET", f"{BASE}/{EX_ORG}/contacts", {"limit": "25"}, None),
    ("POST", f"{BASE}/{EX_ORG}/contacts", None, PAGE02_CONTACT),
    ("GET", f"{BASE}/{EX_ORG}/contacts/{EX_CONTACT}", None, None),
    ("GET", f"{BASE}/{EX_ORG}/contacts/{EX_CONTACT}/conversations", {"limit": "25", **DATES}, None),
    ("POST", f"{BASE}/{EX_ORG}/conversations/{EX_CONV}/response-drafts", None, PAGE03_RESPONSE),
    ("GET", f"{BASE}/{EX_ORG}/conversations/{EX_CONV}/response-drafts", {"limit": "25"}, None),
    ("GET", f"{BASE}/{EX_ORG}/conversations/{EX_CONV}/response-drafts/{EX_RESPONSE}", None, None),
    ("DELETE", f"{BASE}/{EX_ORG}/conversations/{EX_CONV}/response-drafts/{EX_RESPONSE}", None, None),
    ("POST", f"{BASE}/{EX_ORG}/message-drafts", None, PAGE05_DRAFT),
    ("GET", f"{BASE}/{EX_ORG}/message-drafts", {"limit": "25"}, None),
    ("GET", f"{BASE}/{EX_ORG}/message-drafts/{EX_DRAFT}", None, None),
    ("DELETE", f"{BASE}/{EX_ORG}/message-drafts/{EX_DRAFT}", None, None),
]


def test_list_organizations_example(api):
    assert api.get(BASE).status_code == 200


@pytest.mark.parametrize(("method", "path", "query", "body"), EXAMPLES)
def test_examples_reach_the_lookup(api, method, path, query, body):
    response = api.request(method, path, params=query, json=body)
    assert response.status_code == 404 and response.json() == {"detail": Messages.INVALID_ORGANIZATION}


@pytest.mark.parametrize(("method", "path", "query", "body"), EXAMPLES)
def test_examples_succeed_with_real_ids(api, live, fx, method, path, query, body):
    org = live.data.org(fx.big_org_id)
    conv = fx.diana_email_conversation_id
    if "response-drafts/" in path:  # GET/DELETE need an existing draft
        created = api.post(
            f"{BASE}/{fx.big_org_id}/conversations/{conv}/response-drafts", json=PAGE03_RESPONSE
        )
        path = path.replace(EX_RESPONSE, created.json()["response_id"])
    if "message-drafts/" in path:
        path = path.replace(EX_DRAFT, next(iter(org.message_drafts)))
    if body is PAGE02_CONTACT:
        body = body | {"company_id": next(iter(org.companies))}
    for example, real in (
        (EX_ORG_FERNET, fx.big_org_id),
        (EX_ORG, fx.big_org_id),
        (EX_CONTACT, fx.diana_contact_id),
        (EX_CONV, conv),
    ):
        path = path.replace(example, real)
    response = api.request(method, path, params=query, json=body)
    assert response.status_code in (200, 204), response.text
