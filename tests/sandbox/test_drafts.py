"""Draft lifecycle: saved drafts, overwrite in place, queued -> sending -> promoted, route hints."""

from __future__ import annotations

import time

from hyperrep_mcp.sandbox import Messages
from tests.sandbox.helpers import BASE, make_client

EMAIL_DRAFT = {
    "modality": "email",
    "subject": "Following up on your quote",
    "body_html": "<p>Hi Hal, checking in on the quote.</p>",
    "to_user_name": "Hal Jordan",
    "to_email": "hal@example.com",
}


def test_saved_message_draft_round_trip(api, big):
    created = api.post(f"{big}/message-drafts", json=EMAIL_DRAFT | {"folder": "Sales Follow-up"}).json()
    assert created == {
        "draft_id": created["draft_id"],
        "scheduled_to_send": False,
        "scheduled_send_at": None,
        "folder": "sales-follow-up",
    }
    draft = api.get(f"{big}/message-drafts/{created['draft_id']}").json()
    assert draft["recipient_email"] == "hal@example.com" and draft["folder"] == "sales-follow-up"
    assert draft["agent_id"] and draft["created_at"].endswith("Z")
    listed = api.get(f"{big}/message-drafts").json()["data"]
    assert listed[0]["draft_id"] == created["draft_id"]  # newest first
    assert api.delete(f"{big}/message-drafts/{created['draft_id']}").status_code == 204
    assert api.get(f"{big}/message-drafts/{created['draft_id']}").status_code == 404


def test_folder_normalization(api, big):
    cases = {
        "Sales Follow-up": "sales-follow-up",
        "  Q3 -- Storm Leads!! ": "q3-storm-leads",
        "Présupuestos 2026": "presupuestos-2026",
        "": "drafts",
        "---": "drafts",
    }
    for raw, expected in cases.items():
        created = api.post(f"{big}/message-drafts", json=EMAIL_DRAFT | {"folder": raw}).json()
        assert created["folder"] == expected, raw
    assert api.post(f"{big}/message-drafts", json=EMAIL_DRAFT).json()["folder"] == "drafts"


def test_legacy_alias_answers_page01_shape(api, big):
    body = {
        "modality": "email",
        "subject": "Following up on your quote",
        "body_html": "<p>Hi Diana, checking in on your quote.</p>",
        "to_email": "diana@example.com",
        "autosend_draft": False,
    }
    created = api.post(f"{big}/messages-drafts", json=body).json()
    assert set(created) == {"draft_id", "queued_to_send", "send_at", "folder"}
    assert created["queued_to_send"] is False and created["send_at"] is None
    assert api.get(f"{big}/message-drafts/{created['draft_id']}").status_code == 200


def test_message_draft_list_date_filter(api, big, live):
    created = api.post(f"{big}/message-drafts", json=EMAIL_DRAFT).json()
    now = live.now()
    listed = api.get(
        f"{big}/message-drafts", params={"start_date": (now.replace(microsecond=0)).isoformat()}
    ).json()["data"]
    assert [d["draft_id"] for d in listed] == [created["draft_id"]]


def test_queued_message_draft_is_sending_then_promoted(api, big, live, fx):
    body = EMAIL_DRAFT | {
        "autosend_draft": True,
        "add_notification": False,
        "to_email": "new.lead@example.org",
    }
    created = api.post(f"{big}/message-drafts", json=body).json()
    assert created["scheduled_to_send"] is True and created["scheduled_send_at"].endswith("Z")
    draft_url = f"{big}/message-drafts/{created['draft_id']}"
    response = api.delete(draft_url)
    assert response.status_code == 400 and response.json() == {"detail": Messages.MESSAGE_DRAFT_SENDING}
    assert api.get(draft_url).json()["scheduled_send_at"] == created["scheduled_send_at"]

    contacts_before = len(live.data.org(fx.big_org_id).contacts)
    live.advance(live.config.promote_after_s + 0.1)
    response = api.get(draft_url)
    assert response.status_code == 404
    org = live.data.org(fx.big_org_id)
    conv_id = org.promoted_message_drafts[created["draft_id"]].conversation_id
    assert response.json()["detail"] == Messages.MESSAGE_DRAFT_PROMOTED.format(
        org=fx.big_org_id, conversation_id=conv_id
    )
    assert f"/conversations/{conv_id}/messages" in response.json()["detail"]
    assert api.delete(draft_url).status_code == 404
    # The new conversation, with a contact created for the unknown recipient, tops the list.
    assert len(org.contacts) == contacts_before + 1
    newest = api.get(f"{big}/conversations", params={"limit": 1}).json()["data"][0]
    assert newest["conversation_id"] == conv_id
    messages = api.get(f"{big}/conversations/{conv_id}/messages").json()["data"]
    assert [m["direction"] for m in messages] == ["outbound"]
    assert messages[0]["subject"] == "Following up on your quote"
    contact = api.get(f"{big}/contacts/{newest['contact_id']}").json()
    assert contact["email"] == "new.lead@example.org" and contact["name"] == "Hal Jordan"


def test_promotion_reuses_matching_contact(api, big, live, fx):
    body = EMAIL_DRAFT | {"autosend_draft": True, "add_notification": False, "to_email": "HAL@example.com"}
    created = api.post(f"{big}/message-drafts", json=body).json()
    assert live.promote_due_drafts(force=True) == 1
    org = live.data.org(fx.big_org_id)
    conv = org.conversations[org.promoted_message_drafts[created["draft_id"]].conversation_id]
    assert conv.contact_id == fx.hal_contact_id


def test_text_message_draft_promotes_to_text_thread(api, big, live, fx):
    body = {
        "modality": "text",
        "body_html": "<p>Hi Diana, crew arrives at 8am &amp; leaves by 4.</p>",
        "to_phone_number": "(513) 867-5309",
        "autosend_draft": True,
        "add_notification": False,
    }
    created = api.post(f"{big}/message-drafts", json=body).json()
    live.promote_due_drafts(force=True)
    org = live.data.org(fx.big_org_id)
    conv_id = org.promoted_message_drafts[created["draft_id"]].conversation_id
    assert org.conversations[conv_id].contact_id == fx.diana_contact_id
    message = api.get(f"{big}/conversations/{conv_id}/messages").json()["data"][0]
    assert (
        message["body_text"] == "Hi Diana, crew arrives at 8am & leaves by 4."
        and message["body_html"] is None
    )


def test_promotion_waits_for_the_clock(live, api, big):
    body = EMAIL_DRAFT | {"autosend_draft": True, "add_notification": False}
    created = api.post(f"{big}/message-drafts", json=body).json()
    assert live.promote_due_drafts() == 0
    assert api.get(f"{big}/message-drafts/{created['draft_id']}").status_code == 200


def test_real_time_promotion():
    api = make_client(promote_after_s=0.05)
    sandbox = api.app.state.sandbox
    big = f"{BASE}/{sandbox.data.fixtures.big_org_id}"
    body = EMAIL_DRAFT | {"autosend_draft": True, "add_notification": False}
    created = api.post(f"{big}/message-drafts", json=body).json()
    time.sleep(0.1)
    assert api.get(f"{big}/message-drafts/{created['draft_id']}").status_code == 404


def test_response_draft_create_overwrite_delete(api, big, fx):
    url = f"{big}/conversations/{fx.diana_email_conversation_id}/response-drafts"
    assert api.get(url).json()["data"] == []
    first = api.post(url, json={"body_html": "<p>Tuesday at 2pm works.</p>"}).json()
    assert first["scheduled_to_send"] is False and first["scheduled_send_at"] is None
    assert first["conversation_id"] == fx.diana_email_conversation_id
    second = api.post(url, json={"body_html": "<p>Actually, Wednesday.</p>", "cc_emails": ["a@b.co"]}).json()
    assert second["response_id"] == first["response_id"]  # one row per conversation
    listed = api.get(url).json()["data"]
    assert len(listed) == 1
    draft = listed[0]
    assert draft["body_html"] == "<p>Actually, Wednesday.</p>" and draft["cc_emails"] == ["a@b.co"]
    assert draft["recipient_name"] == "Diana Prince" and draft["recipient_email"] == "diana@example.com"
    assert draft["recipient_phone_number"] == "513-867-5309"
    assert api.get(f"{url}/{first['response_id']}").json() == draft
    assert api.delete(f"{url}/{first['response_id']}").status_code == 204
    assert api.get(url).json()["data"] == []


def test_response_draft_scoped_to_conversation(api, big, fx, live):
    url = f"{big}/conversations/{fx.diana_email_conversation_id}/response-drafts"
    created = api.post(url, json={"body_html": "<p>x</p>"}).json()
    other = next(c for c in live.data.org(fx.big_org_id).conversations if c != fx.diana_email_conversation_id)
    response = api.get(f"{big}/conversations/{other}/response-drafts/{created['response_id']}")
    assert response.json() == {"detail": Messages.RESPONSE_DRAFT_NOT_FOUND}


def test_queued_response_draft_lifecycle(api, big, fx, live):
    cid = fx.diana_email_conversation_id
    url = f"{big}/conversations/{cid}/response-drafts"
    created = api.post(
        url, json={"body_html": "<p>See you Tuesday.</p>", "autosend_draft": True, "add_notification": False}
    ).json()
    assert created["scheduled_to_send"] is True
    draft_url = f"{url}/{created['response_id']}"
    assert api.delete(draft_url).json() == {"detail": Messages.RESPONSE_DRAFT_SENDING}
    response = api.post(url, json={"body_html": "<p>changed</p>"})
    assert response.status_code == 400 and response.json() == {
        "detail": Messages.RESPONSE_DRAFT_SENDING_UPDATE
    }
    before = api.get(f"{big}/conversations/{cid}/messages").json()["data"]

    live.advance(5)
    response = api.get(draft_url)
    assert response.status_code == 404
    promoted = live.data.org(fx.big_org_id).promoted_response_drafts[created["response_id"]]
    assert response.json()["detail"] == Messages.RESPONSE_DRAFT_PROMOTED.format(
        org=fx.big_org_id, conversation_id=cid, message_id=promoted.message_id
    )
    after = api.get(f"{big}/conversations/{cid}/messages").json()["data"]
    assert len(after) == len(before) + 1
    sent = after[-1]
    assert sent["message_id"] == promoted.message_id and sent["direction"] == "outbound"
    assert sent["body_html"] == "<p>See you Tuesday.</p>" and sent["subject"].startswith("Re: ")
    detail = api.get(f"{big}/conversations/{cid}").json()
    assert detail["last_activity_at"] == sent["sent_at"]
    # The conversation no longer has a pending draft: a new POST makes a new one.
    fresh = api.post(url, json={"body_html": "<p>follow-up</p>"}).json()
    assert fresh["response_id"] != created["response_id"]


def test_seeded_promoted_ids_answer_hints(api, big, fx, live):
    org = live.data.org(fx.big_org_id)
    for draft_id, promoted in org.promoted_message_drafts.items():
        detail = api.get(f"{big}/message-drafts/{draft_id}").json()["detail"]
        assert detail.startswith("Message draft was sent") and promoted.conversation_id in detail
        assert api.get(f"{big}/conversations/{promoted.conversation_id}").status_code == 200
    for response_id, promoted in org.promoted_response_drafts.items():
        url = f"{big}/conversations/{promoted.conversation_id}/response-drafts/{response_id}"
        detail = api.get(url).json()["detail"]
        assert detail.startswith("Response draft was sent") and promoted.message_id in detail
        message_url = f"{big}/conversations/{promoted.conversation_id}/messages/{promoted.message_id}"
        assert api.get(message_url).json()["direction"] == "outbound"
    assert set(org.promoted_message_drafts) <= set(fx.promoted_message_draft_ids)


def test_promoted_hint_without_detail_routes(fx):
    api = make_client(implied_endpoints=False)
    org = api.app.state.sandbox.data.org(fx.big_org_id)
    response_id, promoted = next(iter(org.promoted_response_drafts.items()))
    url = f"{BASE}/{fx.big_org_id}/conversations/{promoted.conversation_id}/response-drafts/{response_id}"
    detail = api.get(url).json()["detail"]
    assert detail.endswith(f"/conversations/{promoted.conversation_id}/messages")


def test_cross_route_hints(api, big, fx, live):
    org = live.data.org(fx.big_org_id)
    response_draft = next(iter(org.response_drafts.values()))
    message_draft = next(iter(org.message_drafts.values()))
    on_message_route = api.get(f"{big}/message-drafts/{response_draft.response_id}")
    assert on_message_route.status_code == 404
    assert on_message_route.json()["detail"] == Messages.IS_RESPONSE_DRAFT.format(
        org=fx.big_org_id, conversation_id=response_draft.conversation_id, draft_id=response_draft.response_id
    )
    url = f"{big}/conversations/{response_draft.conversation_id}/response-drafts/{message_draft.draft_id}"
    on_response_route = api.get(url)
    assert on_response_route.status_code == 404
    assert on_response_route.json()["detail"] == Messages.IS_MESSAGE_DRAFT.format(
        org=fx.big_org_id, draft_id=message_draft.draft_id
    )
    assert "/message-drafts/" in on_response_route.json()["detail"]
    assert api.delete(f"{big}/message-drafts/{response_draft.response_id}").status_code == 404
    assert response_draft.response_id in org.response_drafts  # nothing deleted


def test_seeded_drafts_exist(api, big, fx):
    drafts = api.get(f"{big}/message-drafts").json()["data"]
    assert len(drafts) == 12 and all(d["scheduled_send_at"] is None for d in drafts)
    created = [d["created_at"] for d in drafts]
    assert created == sorted(created, reverse=True)
    assert {"drafts"} < {d["folder"] for d in drafts}
