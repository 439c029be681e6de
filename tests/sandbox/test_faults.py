"""Fault injection (scripted and random), latency, and the request log."""

from __future__ import annotations

import json
import time

import pytest

from hyperrep_mcp.sandbox import DroppedConnection, FaultPlan, Messages
from tests.sandbox.helpers import BASE, make_client


def test_status_fault(api, big, live):
    live.faults.script("status", status=503, path_contains="/contacts")
    response = api.get(f"{big}/contacts")
    assert response.status_code == 503 and response.json() == {"detail": Messages.SERVICE_UNAVAILABLE}
    assert api.get(f"{big}/contacts").status_code == 200  # consumed
    live.faults.script("status")
    assert api.get(f"{big}/agents").json() == {"detail": Messages.INTERNAL_ERROR}


def test_rate_limit_fault(api, big, live):
    live.faults.script("rate_limit", retry_after="7")
    response = api.get(f"{big}/contacts")
    assert response.status_code == 429 and response.headers["retry-after"] == "7"
    assert response.json() == {"detail": Messages.TOO_MANY_REQUESTS}
    live.faults.script("rate_limit")
    assert api.get(f"{big}/contacts").headers["retry-after"] == "1"


def test_slow_fault(api, big, live):
    live.faults.script("slow", delay_s=0.2)
    started = time.monotonic()
    response = api.get(f"{big}/contacts", params={"limit": 1})
    assert response.status_code == 200 and time.monotonic() - started >= 0.2


def test_drop_fault_in_process(api, big, live):
    live.faults.script("drop")
    with pytest.raises(DroppedConnection):
        api.get(f"{big}/contacts")
    assert isinstance(DroppedConnection(), ConnectionResetError)
    assert live.requests[-1].status == 0


def test_malformed_fault(api, big, live):
    live.faults.script("malformed")
    response = api.get(f"{big}/contacts")
    assert response.status_code == 200 and response.headers["content-type"] == "application/json"
    with pytest.raises(json.JSONDecodeError):
        json.loads(response.text)


def test_html_error_fault(api, big, live):
    live.faults.script("html_error")
    response = api.get(f"{big}/contacts")
    assert response.status_code == 502 and response.headers["content-type"].startswith("text/html")
    assert "<h1>502 Bad Gateway</h1>" in response.text


def test_commit_then_fail(api, big, live, fx):
    live.faults.script("commit_then_fail")
    assert api.get(f"{big}/contacts").status_code == 200  # reads are not "commits": untouched
    response = api.post(f"{big}/contacts", json={"name": "Committed Anyway"})
    assert response.status_code == 500 and response.json() == {"detail": Messages.INTERNAL_ERROR}
    assert live.data.find_contact(fx.big_org_id, name="Committed Anyway") is not None
    assert live.faults.pending == 0


def test_commit_then_drop(api, big, live, fx):
    live.faults.script("commit_then_fail", then="drop", path_contains="/message-drafts")
    before = len(live.data.org(fx.big_org_id).message_drafts)
    body = {"modality": "email", "subject": "once", "to_email": "a@example.com"}
    with pytest.raises(DroppedConnection):
        api.post(f"{big}/message-drafts", json=body)
    assert len(live.data.org(fx.big_org_id).message_drafts) == before + 1
    assert live.writes()[-1].status == 0


def test_matching_by_method_path_and_times(api, big, live):
    live.faults.script("status", status=502, times=2, method="post", path_contains="/contacts")
    assert api.get(f"{big}/contacts").status_code == 200
    assert api.post(f"{big}/agents").status_code == 405
    assert [api.post(f"{big}/contacts", json={"name": "A"}).status_code for _ in range(3)] == [502, 502, 200]


def test_scripted_faults_queue_in_order_and_clear(api, big, live):
    live.faults.script("status", status=500).script("rate_limit")
    assert live.faults.pending == 2
    assert [api.get(f"{big}/agents").status_code for _ in range(3)] == [500, 429, 200]
    live.faults.script("status", times=5)
    live.faults.clear()
    assert live.faults.pending == 0 and api.get(f"{big}/agents").status_code == 200


def test_script_validates():
    plan = FaultPlan()
    with pytest.raises(ValueError, match="unknown fault kind"):
        plan.script("explode")
    with pytest.raises(ValueError, match="times"):
        plan.script("status", times=0)


def test_faults_apply_before_auth(big):
    api = make_client()
    api.app.state.sandbox.faults.script("status", status=504)
    assert api.get(f"{big}/agents", headers={"X-API-KEY": "wrong"}).status_code == 504


def _statuses(api, big, n):
    out = []
    for _ in range(n):
        try:
            out.append(api.get(f"{big}/agents").status_code)
        except DroppedConnection:
            out.append(0)
    return out


def test_random_faults_are_seeded(fx):
    big = f"{BASE}/{fx.big_org_id}"
    first = _statuses(make_client(fault_rate=0.5), big, 40)
    second = _statuses(make_client(fault_rate=0.5), big, 40)
    assert first == second
    assert 200 in first and set(first) - {200} <= {0, 429, 500, 502, 503, 504}
    assert len(set(first)) >= 3
    assert set(_statuses(make_client(fault_rate=1.0), big, 20)).isdisjoint({200})


def test_latency(fx):
    api = make_client(latency_ms=60)
    started = time.monotonic()
    api.get(f"{BASE}/{fx.big_org_id}/agents")
    api.get(f"{BASE}/{fx.big_org_id}/agents")
    assert time.monotonic() - started >= 0.12


def test_request_log(api, big, live):
    api.get(f"{big}/contacts", params={"limit": "2"})
    api.get(f"{big}/contacts", headers={"X-API-KEY": "nope"})
    api.post(f"{big}/contacts", json={"name": "Logged"})
    api.delete(f"{big}/message-drafts/nope")
    records = live.requests
    assert [(r.method, r.status) for r in records] == [
        ("GET", 200),
        ("GET", 403),
        ("POST", 200),
        ("DELETE", 404),
    ]
    assert records[0].path == f"{big}/contacts" and records[0].query == {"limit": "2"}
    assert records[0].json is None and records[2].json == {"name": "Logged"}
    assert [r.at for r in records] == sorted(r.at for r in records)
    assert [r.method for r in live.writes()] == ["POST", "DELETE"]


def test_the_request_log_stays_bounded(monkeypatch):
    from hyperrep_mcp.sandbox import state

    monkeypatch.setattr(state, "REQUEST_LOG_LIMIT", 10)
    sandbox = state.Sandbox()
    for i in range(25):
        sandbox.log(state.RequestRecord("GET", f"/r{i}", {}, None, 200, float(i)))
    assert len(sandbox.requests) <= 10
    assert sandbox.requests[-1].path == "/r24"  # the newest are kept
