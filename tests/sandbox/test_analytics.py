"""Response-rate rules: first inbound in window, answered by a later outbound, 0..1 rate."""

from __future__ import annotations

from datetime import timedelta

from hyperrep_mcp.sandbox.records import iso
from tests.sandbox.helpers import NOW


def rate(api, big, start=None, end=None):
    params = {k: iso(v) for k, v in (("start_date", start), ("end_date", end)) if v is not None}
    response = api.get(f"{big}/analytics/conversations/response-rate", params=params)
    assert response.status_code == 200, response.text
    return response.json()


def first_inbound(live, fx, cid):
    return next(at for d, at in live.data.org(fx.big_org_id).timeline(cid) if d == "inbound")


def test_shape_and_default_window(api, big):
    body = rate(api, big)
    assert set(body) == {"numConversationsRespondedTo", "numConversationsReceived", "responseRate"}
    assert 0 < body["numConversationsRespondedTo"] < body["numConversationsReceived"]
    assert body["responseRate"] == body["numConversationsRespondedTo"] / body["numConversationsReceived"]
    assert body == rate(api, big, NOW - timedelta(days=30), NOW)


def test_answered_conversation_counts_as_responded(api, big, live, fx):
    at = first_inbound(live, fx, fx.diana_email_conversation_id)  # answered 4 hours later
    assert rate(api, big, at, at + timedelta(microseconds=1)) == {
        "numConversationsRespondedTo": 1,
        "numConversationsReceived": 1,
        "responseRate": 1.0,
    }


def test_unanswered_then_answered(api, big, live, fx):
    cid = fx.injection_conversation_id  # outbound first, then an unanswered inbound
    at = first_inbound(live, fx, cid)
    window = (at, at + timedelta(microseconds=1))
    assert rate(api, big, *window)["numConversationsReceived"] == 1
    assert rate(api, big, *window)["responseRate"] == 0.0
    url = f"{big}/conversations/{cid}/response-drafts"
    api.post(url, json={"body_html": "<p>No.</p>", "autosend_draft": True, "add_notification": False})
    live.promote_due_drafts(force=True)
    assert rate(api, big, *window)["numConversationsRespondedTo"] == 1


def test_window_is_half_open(api, big, live, fx):
    at = first_inbound(live, fx, fx.diana_email_conversation_id)
    assert rate(api, big, at - timedelta(seconds=1), at)["numConversationsReceived"] == 0


def test_empty_window_rate_is_zero(api, big):
    body = rate(api, big, NOW - timedelta(days=400), NOW - timedelta(days=399))
    assert body == {"numConversationsRespondedTo": 0, "numConversationsReceived": 0, "responseRate": 0.0}


def test_only_one_bound_given(api, big):
    start = NOW - timedelta(days=30)
    assert rate(api, big, start=start) == rate(api, big, start, NOW)
    end = NOW - timedelta(days=10)
    assert rate(api, big, end=end) == rate(api, big, end - timedelta(days=30), end)


def test_windows_partition_the_period(api, big):
    mid = NOW - timedelta(days=15)
    whole = rate(api, big, NOW - timedelta(days=30), NOW)
    halves = [rate(api, big, NOW - timedelta(days=30), mid), rate(api, big, mid, NOW)]
    for key in ("numConversationsReceived", "numConversationsRespondedTo"):
        assert whole[key] == sum(h[key] for h in halves)


def brute_force_rate(org, start, end):
    """The metric straight from each conversation's full timeline (no cached summaries)."""
    received = responded = 0
    for cid in org.conversations:
        timeline = org.timeline(cid)
        first = next((at for d, at in timeline if d == "inbound"), None)
        if first is None or not start <= first < end:
            continue
        received += 1
        responded += any(d == "outbound" and at > first for d, at in timeline)
    return responded, received


def test_cached_summaries_agree_with_the_timelines_before_and_after_a_reply(api, big, live, fx):
    org = live.data.org(fx.big_org_id)
    start, end = NOW - timedelta(days=400), NOW

    def both():
        body = rate(api, big, start, end)
        return (body["numConversationsRespondedTo"], body["numConversationsReceived"]), brute_force_rate(
            org, start, end
        )

    served, expected = both()
    assert served == expected
    url = f"{big}/conversations/{fx.injection_conversation_id}/response-drafts"
    api.post(url, json={"body_html": "<p>No.</p>", "autosend_draft": True, "add_notification": False})
    live.promote_due_drafts(force=True)
    served_after, expected_after = both()
    assert served_after == expected_after and served_after[0] == served[0] + 1
