"""The seeded data: deterministic, sized, realistic, with the fixtures other tests rely on."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hyperrep_mcp.sandbox import Sandbox, SandboxConfig, create_app
from hyperrep_mcp.sandbox.generate import build_dataset, pristine_dataset
from hyperrep_mcp.sandbox.threads import INJECTION_PHRASE
from tests.sandbox.helpers import BASE, NOW, make_client

FERNET = re.compile(r"^gAAAAAB[A-Za-z0-9_-]+=+$")
HR_ID = re.compile(r"^HR_id_[A-Za-z0-9_-]+$")


def all_ids(dataset) -> list[str]:
    ids = []
    for org in dataset.orgs.values():
        ids.append(org.organization_id)
        ids += list(org.contacts) + list(org.conversations) + list(org.companies) + list(org.agents)
        ids += [p.message_id for c in org.conversations.values() for p in c.plan]
    return ids


def test_same_seed_same_data():
    a, b = pristine_dataset(7, NOW), build_dataset(7, NOW)
    assert all_ids(a) == all_ids(b)
    org = a.fixtures.big_org_id
    assert [c.to_json() for c in a.orgs[org].contacts.values()] == [
        c.to_json() for c in b.orgs[org].contacts.values()
    ]
    cid = a.fixtures.diana_email_conversation_id
    assert a.orgs[org].messages(cid) == b.orgs[org].messages(cid)


def digest(dataset) -> str:
    """A fingerprint of every record and rendered message."""
    h = hashlib.sha256()
    for org in dataset.orgs.values():
        for records in (
            org.contacts,
            org.companies,
            org.agents,
            org.sales,
            org.message_drafts,
            org.response_drafts,
        ):
            for record in records.values():
                h.update(json.dumps(record.to_json(), sort_keys=True).encode())
        for cid, conv in org.conversations.items():
            h.update(json.dumps(conv.detail()).encode())
            for message in org.messages(cid):
                h.update(json.dumps(message.to_json()).encode())
    return h.hexdigest()


def test_same_data_in_another_process():
    """Nothing depends on hash randomization or process state."""
    code = (
        "from datetime import datetime, UTC;"
        "from hyperrep_mcp.sandbox.generate import build_dataset;"
        "from tests.sandbox.test_data import digest;"
        "print(digest(build_dataset(7, datetime(2026, 5, 20, 15, 30, tzinfo=UTC))))"
    )
    env = os.environ | {"PYTHONHASHSEED": "12345"}
    root = Path(__file__).resolve().parents[2]
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, cwd=root
    )
    assert out.stdout.strip() == digest(pristine_dataset(7, NOW))


def test_ids_do_not_depend_on_now_and_change_with_seed():
    assert all_ids(pristine_dataset(7, NOW))[:500] == all_ids(build_dataset(7, NOW + timedelta(days=3)))[:500]
    assert set(all_ids(build_dataset(8, NOW))[:50]).isdisjoint(all_ids(pristine_dataset(7, NOW))[:50])


def test_ids_are_unique_and_in_both_forms(live):
    ids = all_ids(live.data)
    assert len(ids) == len(set(ids))
    fernet = [i for i in ids if FERNET.match(i)]
    hr = [i for i in ids if HR_ID.match(i)]
    assert len(fernet) + len(hr) == len(ids) and fernet and hr
    assert any("-" in i for i in fernet) and any("_" in i for i in fernet)


def test_sizes(live, fx):
    sizes = {o.org.name: (len(o.contacts), len(o.conversations)) for o in live.data.orgs.values()}
    assert sizes == {
        "Summit Roofing & Restoration": (400, 2500),
        "Böhm & Núñez General Contractors": (140, 600),
        "Pine Hollow Exteriors": (30, 90),
    }
    big = live.data.org(fx.big_org_id)
    span = NOW - min(c.start_at for c in big.conversations.values())
    assert timedelta(days=85) < span <= timedelta(days=91)
    assert all(c.last_activity_at < NOW for c in big.conversations.values())
    assert Counter(c.modality for c in big.conversations.values()).keys() == {"email", "text"}
    assert {len(c.plan) for c in big.conversations.values()} == set(range(1, 11))
    assert {c.folder for c in big.conversations.values()} == {"inbox", "primary", "archived", "spam"}
    small = live.data.org(fx.small_org_id)
    assert {c.modality for c in small.conversations.values()} == {"email"}


def test_recent_week_has_many_awaiting_reply(live, fx):
    awaiting = live.data.awaiting_reply(fx.big_org_id, since=NOW - timedelta(days=7))
    week = [
        c
        for c in live.data.org(fx.big_org_id).conversations.values()
        if c.last_activity_at >= NOW - timedelta(days=7)
    ]
    assert len(week) > 150 and 0.25 < len(awaiting) / len(week) < 0.6
    assert fx.diana_email_conversation_id in {c.conversation_id for c in awaiting}
    assert fx.injection_conversation_id in {c.conversation_id for c in awaiting}


def test_unicode_names(live, fx):
    names = [c.name or "" for c in live.data.org(fx.big_org_id).contacts.values()]
    assert sum(not n.isascii() for n in names) > 40
    for name in ("Zoë Müller", "José Núñez", "Łukasz Wiśniewski"):
        assert name in names
        assert live.data.find_contact(fx.big_org_id, name=name).contact_id == fx.unicode_contact_ids[name]
    assert live.data.find_contact(fx.big_org_id, name="zoe muller").name == "Zoë Müller"
    assert any("\u200b" in n for n in names)


def test_fixture_lookups(live, fx):
    diana = live.data.find_contact(fx.big_org_id, name="Diana Prince")
    assert diana.contact_id == fx.diana_contact_id and diana.email == "diana@example.com"
    hal = live.data.find_contact(fx.big_org_id, email="hal@example.com")
    assert hal.contact_id == fx.hal_contact_id and hal.name == "Hal Jordan"
    assert live.data.find_org("böhm").organization_id == fx.mid_org_id
    assert live.primary_organization_id() == fx.big_org_id
    convs = live.data.contact_conversations(fx.big_org_id, fx.diana_contact_id)
    assert convs[0].conversation_id == fx.diana_email_conversation_id and convs[0].modality == "email"


def test_email_bodies_look_real(live, fx):
    org = live.data.org(fx.big_org_id)
    bodies = [m.body_html for cid in list(org.conversations)[:600] for m in org.messages(cid) if m.body_html]
    joined = "\n".join(bodies)
    for marker in ("<blockquote", " wrote:", "-- <br>", "&amp;", "&rsquo;", "display:none", "<!--"):
        assert marker in joined, marker
    assert any(ch in joined for ch in ("\u200b", "\u200d", "\u2060", "\u202e"))
    texts = [m.body_text for cid in list(org.conversations)[:600] for m in org.messages(cid) if m.body_text]
    assert texts and all("<" not in t for t in texts)


def test_injection_thread(api, big, fx):
    messages = api.get(f"{big}/conversations/{fx.injection_conversation_id}/messages").json()["data"]
    latest = messages[-1]
    assert latest["message_id"] == fx.injection_message_id and latest["direction"] == "inbound"
    assert INJECTION_PHRASE in latest["body_html"] and latest["modality"] == "email"
    hits = [
        m
        for cid in api.app.state.sandbox.data.org(fx.big_org_id).conversations
        for m in api.app.state.sandbox.data.org(fx.big_org_id).messages(cid)
        if INJECTION_PHRASE in (m.body_html or "")
    ]
    assert [m.message_id for m in hits] == [fx.injection_message_id]


def test_sales_and_drafts_seeded(live, fx):
    big = live.data.org(fx.big_org_id)
    assert len(big.sales) == 180 and all(s.currency == "USD" and s.amount > 0 for s in big.sales.values())
    assert len(big.response_drafts) == 14 and len(big.message_drafts) == 12
    assert big.promoted_message_drafts and big.promoted_response_drafts
    assert big.response_draft_for(fx.diana_email_conversation_id) is None


def test_apps_fork_one_cached_dataset_instead_of_regenerating():
    # How fast that is belongs to bench/, not to a timed test on a noisy machine.
    create_app(SandboxConfig(now=NOW))
    before = pristine_dataset.cache_info()
    apps = [create_app(SandboxConfig(now=NOW)) for _ in range(3)]
    after = pristine_dataset.cache_info()
    assert after.misses == before.misses and after.hits >= before.hits + 3
    datasets = [a.state.sandbox.data for a in apps]
    assert len({id(d) for d in datasets}) == 3  # forks: each app has its own mutable state


def test_apps_do_not_share_state(fx):
    a, b = make_client(), make_client()
    url = f"{BASE}/{fx.big_org_id}/contacts"
    a.post(url, json={"name": "Only In A"})
    assert a.app.state.sandbox.data.find_contact(fx.big_org_id, name="Only In A")
    assert b.app.state.sandbox.data.find_contact(fx.big_org_id, name="Only In A") is None


def test_default_now_is_current_minute():
    sandbox = Sandbox()
    real = datetime.now(UTC)
    assert real - timedelta(minutes=1, seconds=5) <= sandbox.data.anchor <= real
    assert sandbox.data.anchor.second == 0 and sandbox.data.anchor.microsecond == 0
    assert abs((sandbox.now() - real).total_seconds()) < 5
    recent = sandbox.data.awaiting_reply(sandbox.primary_organization_id(), since=real - timedelta(days=7))
    assert len(recent) > 50


def test_pinned_clock_starts_at_now_and_advances():
    sandbox = Sandbox(SandboxConfig(now=NOW))
    assert NOW <= sandbox.now() < NOW + timedelta(seconds=5)
    sandbox.advance(60)
    assert sandbox.now() >= NOW + timedelta(seconds=60)
    naive = Sandbox(SandboxConfig(now=NOW.replace(tzinfo=None)))
    assert naive.data.anchor == NOW


def test_activity_order_follows_writes_and_stays_per_fork(fx):
    first, second = make_client(), make_client()
    org_a = first.app.state.sandbox.data.org(fx.big_org_id)
    org_b = second.app.state.sandbox.data.org(fx.big_org_id)
    oldest = org_a.conversations_by_activity()[-1]
    newest = org_a.conversations_by_activity()[0]
    last = org_a.messages(oldest.conversation_id)[-1]
    later = newest.last_activity_at + timedelta(minutes=1)
    org_a.append_message(dataclasses.replace(last, message_id="m-new", sent_at=later))
    assert org_a.conversations_by_activity()[0].conversation_id == oldest.conversation_id
    assert org_b.conversations_by_activity()[0].conversation_id == newest.conversation_id
    del org_a.conversations[oldest.conversation_id]
    assert oldest.conversation_id not in {c.conversation_id for c in org_a.conversations_by_activity()}
