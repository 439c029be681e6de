"""Independent MCP clients against the real server: the official conformance suite and the MCP Inspector.

One run of tests/e2e/clients/client_checks.py per module (the same run as scripts/client_checks.sh):
`hyperrep-mcp serve --transport http --demo` with sessions and `--stateless`, the conformance suite
on protocol 2025-11-25 (0.1.16 and the 0.2.0 alpha) and 2026-07-28 (the alpha), and the Inspector
CLI over stdio and HTTP, judged against the demo's seeded data. The first run installs the npm
packages (`npm ci`, bounded); if that is impossible the tests fail with the reason, never skip.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.e2e.clients import client_checks as cc

SESSIONS, STATELESS = "sessions", "stateless"
STABLE, NEXT = "@modelcontextprotocol/conformance", "conformance-next"


@pytest.fixture(scope="module")
def report(tmp_path_factory: pytest.TempPathFactory) -> cc.Report:
    try:
        return cc.run_all(tmp_path_factory.mktemp("client-checks"))
    except cc.SetupError as exc:
        pytest.fail(f"the MCP client checks could not run: {exc}", pytrace=False)


def table(run: cc.ConformanceRun) -> str:
    return cc.conformance_table(run)


# --- the judge itself: it must be able to fail ---------------------------------------------------------


def checks(*pairs: tuple[str, str], details: str = "null") -> list[cc.Check]:
    return [cc.Check(id=i, status=s, message=f"{i} said {s}", details=details) for i, s in pairs]


def test_judge_fails_what_is_not_excused_and_excuses_only_what_is_listed() -> None:
    ok, bad, warn = "SUCCESS", "FAILURE", "WARNING"
    excused = {
        "tools-call-image": "fixture absent",
        "server-stateless/needs-fixture": "fixture absent",
        "resources-read-text": "fixture absent",
        "stale-one": "fixture absent",
    }
    results = {
        "ping": checks(("ping", bad)),  # a generic scenario failing
        "tools-call-image": checks(("tools-call-image", bad), (cc.WIRE_SCHEMA, ok)),
        "resources-read-text": checks(("resources-read-text", bad), (cc.WIRE_SCHEMA, bad)),
        "server-stateless": checks(("needs-fixture", warn), ("real-check", ok)),
        "stale-one": checks(("stale-one", ok)),
        "tools-call-error": checks(("tools-call-error", ok), details='{"text": "Unknown tool: test_error"}'),
        "tasks-status-notifications": checks(("tasks", "SKIPPED")),
    }
    rows = {r.scenario: r for r in cc.judge(results, excused, ("ping", "server-stateless", "caching"))}
    assert {name: r.outcome for name, r in rows.items()} == {
        "ping": "FAIL",
        "tools-call-image": "expected",
        "resources-read-text": "FAIL",  # our messages broke the spec's schema: never excused
        "server-stateless": "pass*",
        "stale-one": "FAIL",  # listed but passing: the list must shrink
        "tools-call-error": "vacuous",
        "tasks-status-notifications": "skipped",
        "caching": "FAIL",  # a generic scenario that did not run
    }
    assert "ping: ping said FAILURE" in rows["ping"].note
    assert rows["caching"].note == "did not run"
    assert "needs-fixture" in rows["server-stateless"].note
    whole = cc.judge({"ping": checks(("ping", bad))}, {"ping": "no reason"}, ("ping",))
    assert [r.outcome for r in whole] == ["FAIL"]  # a generic scenario cannot be excused as a whole


def test_expected_failures_file_lists_only_known_sections_and_no_generic_scenario() -> None:
    expected = cc.load_expected()
    assert set(expected) == {"2025-11-25", "2026-07-28", "stateless"}
    generic = {name for suite in cc.SUITES for name in suite.generic}
    for section, entries in expected.items():
        for key, reason in entries.items():
            assert len(reason) > 15, (section, key)
            assert key.split("/")[0] not in generic or "/" in key, f"{section}: {key} is generic"


def test_a_malformed_expected_failures_file_is_an_error(tmp_path: Path) -> None:
    bad = tmp_path / "expected.yml"
    bad.write_text("2025-11-25:\n  - tools-call-image\n")
    with pytest.raises(ValueError, match="expected 'section:'"):
        cc.load_expected(bad)


# --- the conformance suite ---------------------------------------------------------------------------


@pytest.mark.parametrize("server", [SESSIONS, STATELESS])
@pytest.mark.parametrize("package", [STABLE, NEXT])
def test_conformance_2025_11_25(report: cc.Report, package: str, server: str) -> None:
    run = report.run("2025-11-25", package, server)
    assert not run.failures, table(run)
    wanted = json.loads((cc.CLIENTS_DIR / "package.json").read_text())["dependencies"][package]
    assert wanted.endswith(run.suite.version)  # the pinned suite ran, not some other copy
    for name in ("server-initialize", "ping", "tools-list", "resources-list", "prompts-list"):
        assert run.row(name).outcome == "pass", table(run)
    rebinding = run.row("dns-rebinding-protection")
    assert (rebinding.outcome, rebinding.passed) == ("pass", 2), table(run)
    streams = run.row("server-sse-multiple-streams")
    # A stateless server hands out no session ID: the suite's one session check is listed for it.
    assert streams.outcome == ("pass" if server == SESSIONS else "expected"), table(run)
    if package == NEXT:
        lifecycle = run.row("server-session-lifecycle")
        assert lifecycle.outcome == ("pass" if server == SESSIONS else "skipped"), table(run)


@pytest.mark.parametrize("server", [SESSIONS, STATELESS])
def test_conformance_2026_07_28(report: cc.Report, server: str) -> None:
    run = report.run("2026-07-28", NEXT, server)
    assert not run.failures, table(run)
    for name in (
        "tools-list",
        "resources-list",
        "prompts-list",
        "dns-rebinding-protection",
        "caching",
        "sep-2164-resource-not-found",
        "server-sse-multiple-streams",
    ):
        assert run.row(name).outcome == "pass", table(run)
    headers = run.row("http-header-validation")
    assert (headers.outcome, headers.passed, headers.total) == ("pass", 14, 14), table(run)
    stateless = run.row("server-stateless")
    assert stateless.outcome == "pass*" and stateless.passed >= 26, table(run)
    # Only the checks that need the suite's fixture tools are excused.
    excused = {k.split("/")[1] for k in cc.load_expected()["2026-07-28"] if k.startswith("server-stateless/")}
    assert all(check in stateless.note for check in excused), table(run)
    assert stateless.total - stateless.passed == len(excused), table(run)


def test_every_expected_failure_was_seen_failing(report: cc.Report) -> None:
    """No dead entries: each one names a scenario (or check) that ran and failed as listed."""
    for section, entries in cc.load_expected().items():
        runs = [
            run
            for run in report.conformance
            if run.suite.revision == section or (section == "stateless" and run.server == STATELESS)
        ]
        for key in entries:
            scenario, _, check = key.partition("/")
            rows = [row for run in runs if (row := run.row(scenario)) is not None]
            seen = [r for r in rows if r.outcome in ("expected", "pass*") and (not check or check in r.note)]
            assert seen, f"{section}: {key} never failed as listed:\n" + "\n".join(map(table, runs))


# --- the MCP Inspector CLI ---------------------------------------------------------------------------


def inspector_table(report: cc.Report) -> str:
    return cc.inspector_table(report)


@pytest.mark.parametrize("transport", ["stdio", "http"])
def test_inspector_cli_lists_calls_reads_and_gets_prompts(report: cc.Report, transport: str) -> None:
    results = [r for r in report.inspector if r.call.transport == transport]
    assert results and all(r.ok for r in results), inspector_table(report)
    methods = {r.call.args[1] for r in results}
    assert methods >= {"tools/list", "tools/call", "resources/read", "prompts/get"}
    assert {r.call.era for r in results} == {"legacy", "modern"}
    # --strict: the Inspector found nothing in our tool schemas that would not port to other clients.
    strict = next(r for r in results if "--strict" in r.call.args)
    assert strict.exit_code == 0 and len(strict.output["tools"]) >= 15, inspector_table(report)
    diana = next(r for r in results if "query=Diana" in r.call.args)
    fx = cc.reference().fixtures
    assert diana.output["structuredContent"]["contacts"][0]["contact_id"] == fx.diana_contact_id


def test_inspector_sees_the_same_tools_over_stdio_and_http(report: cc.Report) -> None:
    listed = {
        r.call.transport: [t["name"] for t in r.output["tools"]]
        for r in report.inspector
        if "--strict" in r.call.args
    }
    assert listed["stdio"] == listed["http"], inspector_table(report)


def test_inspector_reports_a_tool_error_with_its_exit_code(report: cc.Report) -> None:
    failed = next(r for r in report.inspector if r.call.expect_exit == 5)
    assert failed.ok and failed.exit_code == 5, inspector_table(report)
    assert failed.output["isError"] is True
