"""Smoke tests of the bench's building blocks with tiny parameters: the request-log depth, the
raw-JSON denominators, the direct-API baselines, the spawned servers and the load driver all measure
what they claim. No timing assertions: timings belong to `python -m bench`."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from urllib.parse import quote

import httpx2
import pytest
from mcp import Client

from bench import coldstart, firstcall, http_load, memory, report, tokens
from bench.servers import build_ours, text_of
from bench.upstream import API_KEY, LOG_PATH, BenchData, SandboxProcess, Seen, build_app, critical_path
from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.server.concurrency import gather

pytestmark = pytest.mark.anyio

# Well above the scheduling noise of a loaded 2-core machine, so concurrent requests are not
# mistaken for sequential ones by critical_path.
LATENCY_MS = 60.0
# The bench's own pause before the first call (firstcall.run's default: a person typing). Our
# server's warm-up (imports and the invisible-character table, in threads) fits in it; after a
# shorter pause the call races the warm-up's work on a loaded machine, and its two concurrent
# requests can reach the sandbox more than an RTT apart (counted as depth 2).
IDLE_S = 1.5


@pytest.fixture(scope="module")
def upstream() -> Iterator[SandboxProcess]:
    """One small sandbox process (a latency that makes sequential round trips visible in its log)."""
    with SandboxProcess(latency_ms=LATENCY_MS, contacts=420, thread_messages=12) as sb:
        yield sb


def data_of(sb: SandboxProcess) -> BenchData:
    assert sb.data is not None
    return sb.data


# --- pure pieces ---------------------------------------------------------------------------------


def test_critical_path_counts_waves_not_requests() -> None:
    seen = lambda at: Seen(at, "GET", "/x", 200)  # noqa: E731
    # one request, then three sent together, then one that waited for them
    records = [seen(0.000), seen(0.051), seen(0.052), seen(0.053), seen(0.104)]
    assert critical_path(records, 0.05) == 3
    assert critical_path(records[1:4], 0.05) == 1
    assert critical_path([], 0.05) == 0


@pytest.mark.parametrize(
    ("path", "kind"),
    [
        ("/api/v2/organizations", "organizations"),
        ("/api/v2/organizations/o/contacts", "contacts"),
        ("/api/v2/organizations/o/contacts/c", "contact"),
        ("/api/v2/organizations/o/contacts/c/conversations", "contact-conversations"),
        ("/api/v2/organizations/o/conversations/v", "conversation"),
        ("/api/v2/organizations/o/conversations/v/messages", "messages"),
        ("/api/v2/organizations/o/conversations/v/response-drafts", "response-drafts"),
        ("/api/v2/organizations/o/analytics/conversations/response-rate", "response-rate"),
        ("/api/v2/organizations/o/message-drafts", "message-drafts"),
    ],
)
def test_kind_of_names_each_api_answer(path: str, kind: str) -> None:
    assert tokens.kind_of(path) == kind


async def test_bench_data_and_request_log_route() -> None:
    app, sandbox, data = build_app(latency_ms=0, contacts=430, thread_messages=15)
    org = sandbox.data.org(data.org_id)
    assert org is not None
    assert data.contacts == len(org.contacts) == 430
    assert data.long_thread_messages == len(org.messages(data.long_thread_id)) == 15
    assert org.find_contacts(name=data.query)
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://127.0.0.1") as http:
        response = await http.get(
            f"/api/v2/organizations/{quote(data.org_id, safe='')}/contacts", headers={"X-API-KEY": API_KEY}
        )
        assert len(response.json()["data"]) == 25
        log = (await http.get(LOG_PATH)).json()
    assert [(r["method"], r["path"].rsplit("/", 1)[-1], r["status"]) for r in log] == [
        ("GET", "contacts", 200)
    ]


# --- against the sandbox process -----------------------------------------------------------------


async def test_request_log_sees_sequential_and_concurrent_requests(upstream: SandboxProcess) -> None:

    org = data_of(upstream).org_id
    async with HyperRepClient(API_KEY, base_url=upstream.url) as api:
        t0 = time.monotonic()
        await api.list_organizations()
        await gather(*(lambda: api.list_contacts(org, limit=5) for _ in range(3)))
        await api.list_organizations()
        t1 = time.monotonic()
    records = await upstream.requests_between(t0, t1)
    assert len(records) == 5
    assert critical_path(records, LATENCY_MS / 1000) == 3


@pytest.mark.parametrize("server", list(firstcall.SERVERS))
async def test_first_call_spawns_a_server_and_records_wall_and_requests(
    upstream: SandboxProcess, server
) -> None:
    case = next(c for c in firstcall.cases(data_of(upstream)) if c.tool == "get_response_rate")
    samples = firstcall.Samples()
    await firstcall.first_call(server, upstream, case, idle_s=IDLE_S, into=samples)
    assert samples.errors == []
    # compare_to_previous: the two windows, sent at once (ours: the organization list was loaded
    # by the warm-up, before the call)
    assert samples.requests == [2]
    assert samples.upstream_depth == [1]
    assert samples.wall_s[0] > LATENCY_MS / 1000


def test_first_call_table_and_targets_render() -> None:
    side = {"wall_rtt": 1.2, "upstream_depth": 1, "requests": 2, "errors": 0}
    row = {
        "label": "get_contact",
        "tool": "get_contact",
        "target": 2.5,
        "ours": side,
        "naive": side,
        "pass": True,
    }
    results = {"firstcall": {"rtt_ms": 100, "idle_s": 1.5, "rounds": 1, "rows": [row]}}
    text = "\n".join(report.firstcall_lines(results["firstcall"]))
    assert "| get_contact" in text and "PASS (<= 2.5)" in text
    assert report.targets(results) == [
        {
            "target": "first call after idle: get_contact (wall/RTT)",
            "measured": 1.2,
            "limit": "<= 2.5",
            "pass": True,
        }
    ]


async def test_shown_json_is_the_page_plus_the_records_the_text_names(upstream: SandboxProcess) -> None:
    data = data_of(upstream)
    measured = await tokens.measure(upstream, data, "list_contacts", {"limit": 3}, tokens.shown_contacts)
    org = quote(data.org_id, safe="")
    headers = {"X-API-KEY": API_KEY}
    async with httpx2.AsyncClient(base_url=upstream.url, headers=headers) as http:
        page = (await http.get(f"/api/v2/organizations/{org}/contacts", params={"limit": 3})).text
        companies = (await http.get(f"/api/v2/organizations/{org}/companies", params={"limit": 100})).json()[
            "data"
        ]
        orgs = (await http.get("/api/v2/organizations")).json()["data"]
    by_id = {c["company_id"]: c for c in companies}
    named = {c["company_id"] for c in json.loads(page)["data"] if c["company_id"] in by_id}
    compact = lambda v: json.dumps(v, ensure_ascii=False, separators=(",", ":"))  # noqa: E731
    expected = len(page) + sum(len(compact(by_id[cid])) for cid in named)
    expected += len(compact(next(o for o in orgs if o["organization_id"] == data.org_id)))
    assert measured["shown_json_chars"] == expected
    assert 0 < measured["text_chars"] < measured["fetched_json_chars"]
    assert measured["id_chars"] >= 3 * 20  # three contact ids at least, each repeated verbatim


async def test_memory_run_drives_the_stdio_server(upstream: SandboxProcess) -> None:
    result = await memory.run(upstream.url, data_of(upstream), calls=8, rotation=1)
    assert result["errors"] == 0, result["first_error"]
    assert result["baseline_rss_mb"] > 10
    assert [n for n, _ in result["samples_mb"]] == list(range(9))


def test_cold_start_commands_answer_initialize(upstream: SandboxProcess) -> None:
    for name in ("bare", "ours", "ours_demo"):
        cmd, env = coldstart.commands(upstream.url)[name]
        assert coldstart.spawn_to_initialize(cmd, env) > 0


async def test_http_driver_counts_calls_and_errors() -> None:
    with http_load.bare_server(http_load.free_port()) as bare:
        tally = http_load.Tally()
        await http_load.drive(bare.url, "noop", {}, clients=2, seconds=0.3, into=tally)
        assert tally.latencies
        assert tally.errors == 0
        bad = http_load.Tally()
        await http_load.drive(bare.url, "no_such_tool", {}, clients=1, seconds=0.1, into=bad)
        assert bad.errors == len(bad.latencies) > 0
        assert bare.memory_mb()["peak_rss_mb"] > 10


async def test_thread_fixture_is_readable_through_our_server(upstream: SandboxProcess) -> None:
    data = data_of(upstream)
    async with Client(build_ours(upstream.url, data.org_id)) as client:
        result = await client.call_tool(
            "get_conversation_thread", {"conversation_id": data.long_thread_id, "limit": 50}
        )
    assert not result.is_error, text_of(result)
    assert len(result.structured_content["messages"]) == data.long_thread_messages == 12
