"""The `hyperrep-mcp` command: configuration errors, `call`, `doctor`, `sandbox`, and secrets.

Most cases run `main()` in-process (fast, output captured); the ones where the process itself is the
point (the console script's exit code, `python -m`, a server that must refuse to start, the sandbox
on a port) run the real command as a child process.
"""

from __future__ import annotations

import json
import logging
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest

from hyperrep_mcp.cli import main
from hyperrep_mcp.logs import THIRD_PARTY_LOGGERS
from tests.e2e.helpers import big_org_name, child_env, command, free_port, reference, run_cli
from tests.support import RunningSandbox

CANARY = "sk-canary-cli-4e7d2a9f60b1"
PLACEHOLDER = "<your HyperRep API key>"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No HYPERREP_* from the runner's environment; the root logger restored after `main()` set it up."""
    import os

    for name in list(os.environ):
        if name.startswith("HYPERREP_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in THIRD_PARTY_LOGGERS}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


# --- configuration errors: exit 2, one line, no traceback ---------------------------------------

CONFIG_ERRORS = [
    pytest.param({"HYPERREP_WRITE_MODE": "sometimes"}, ["call", "inbox_overview", "--demo"],
                 "HYPERREP_WRITE_MODE: must be one of read_only, drafts, autosend (got 'sometimes')", id="write-mode"),
    pytest.param({"HYPERREP_API_KEY": "k", "HYPERREP_BASE_URL": "api.hyperrep.ai"}, ["call", "inbox_overview"],
                 "HYPERREP_BASE_URL: must be an http(s) URL", id="malformed-url"),
    pytest.param({"HYPERREP_API_KEY": "k", "HYPERREP_BASE_URL": "http://api.example.com"}, ["call", "inbox_overview"],
                 "HYPERREP_BASE_URL: must use https", id="plain-http-to-remote-host"),
    pytest.param({"HYPERREP_EXCLUDE_TOOLS": "list_contacts,list_contcts"}, ["call", "inbox_overview", "--demo"],
                 "HYPERREP_EXCLUDE_TOOLS names unknown tools: list_contcts", id="unknown-excluded-tool"),
    pytest.param({"HYPERREP_TIMEZONE": "Mars/Olympus"}, ["call", "inbox_overview", "--demo"],
                 "HYPERREP_TIMEZONE: must be an IANA time zone name", id="timezone"),
    pytest.param({"HYPERREP_TIMEZONE": "../../etc/passwd"}, ["call", "inbox_overview", "--demo"],
                 "HYPERREP_TIMEZONE: must be an IANA time zone name", id="timezone-path"),
    pytest.param({}, ["call", "list_contacts", "{limit: 5}", "--demo"],
                 "ARGS must be a JSON object", id="bad-json"),
    pytest.param({}, ["call", "list_contacts", "[5]", "--demo"], "ARGS must be a JSON object", id="json-not-object"),
    pytest.param({}, ["serve", "--transport", "http", "--port", "70000", "--demo"],
                 "--port must be between 0 and 65535", id="port-range"),
    pytest.param({}, ["serve", "--transport", "http", "--workers", "0", "--demo"],
                 "--workers must be at least 1", id="workers"),
    pytest.param({}, ["sandbox", "--fault-rate", "2"], "--fault-rate must be between 0 and 1", id="fault-rate"),
    pytest.param({"HYPERREP_MCP_TOKEN": "t0ken-e2e-0123456789"}, ["serve", "--transport", "http", "--allowed-host",
                 "https://mcp.example.com/", "--demo"], "--allowed-host takes a host name", id="allowed-host"),
]  # fmt: skip


@pytest.mark.parametrize(("env", "argv", "message"), CONFIG_ERRORS)
def test_bad_configuration_is_one_line_and_exit_2(capsys, monkeypatch, env, argv, message) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, err = run(capsys, *argv)
    assert code == 2
    assert out == ""
    assert err.count("\n") == 1 and err.startswith("hyperrep-mcp: error: ")
    assert message in err


def test_busy_port_is_a_configuration_error(capsys) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        code, _, err = run(capsys, "serve", "--transport", "http", "--port", str(port), "--demo")
    assert code == 2
    assert re.fullmatch(rf"hyperrep-mcp: error: cannot listen on 127\.0\.0\.1:{port}: .+\n", err), err


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["serve"], {}, "HYPERREP_API_KEY is not set"),  # what a client config without env gets
        (["serve", "--transport", "http", "--host", "0.0.0.0", "--demo"], {},
         "refusing to serve on 0.0.0.0 without HYPERREP_MCP_TOKEN"),
    ],
    ids=["missing-key", "public-bind-without-token"],
)  # fmt: skip
def test_the_console_script_refuses_to_start(argv, env, message) -> None:
    """As a real process (a regression here would start a server, so the timeout bounds it)."""
    done = run_cli(*argv, env=child_env(**env), timeout=20)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1 and message in done.stderr
    assert "Traceback" not in done.stderr


# --- the commands ------------------------------------------------------------------------------


def test_python_dash_m_help_lists_the_commands() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "hyperrep_mcp", "--help"],
        env=child_env(),
        capture_output=True,
        text=True,
        timeout=20,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    for name in ("serve", "sandbox", "call", "doctor", "--demo"):
        assert name in done.stdout


def test_call_inbox_overview_on_the_demo() -> None:
    """The README's first command, as a user types it."""
    done = run_cli("call", "inbox_overview", "--demo")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"Inbox overview — {big_org_name()}, ")
    assert any(line.startswith("Response rate: ") for line in lines)
    assert any(line.startswith("Awaiting our reply") for line in lines)
    assert re.search(r"^- .+ · (email|text) · .+conversation_id=\S+", done.stdout, re.MULTILINE)
    assert done.stderr == ""  # no per-call log line unless asked for


def test_call_prints_structured_search_results(capsys) -> None:
    code, out, err = run(capsys, "call", "list_contacts", '{"query": "diana"}', "--demo")
    assert code == 0, err
    assert "Diana Prince" in out and reference().data.fixtures.diana_contact_id in out


def test_demo_ignores_an_organization_pinned_in_the_environment(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HYPERREP_ORGANIZATION_ID", "HR_id_of_a_real_account")
    code, out, err = run(capsys, "call", "list_contacts", '{"query": "diana"}', "--demo")
    assert code == 0, err
    assert "Diana Prince" in out


def test_call_of_an_unknown_tool_names_the_right_one(capsys) -> None:
    code, out, err = run(capsys, "call", "inbox_overveiw", "--demo")
    assert code == 1 and out == ""
    assert "no tool named 'inbox_overveiw'" in err and "Did you mean inbox_overview?" in err


def test_call_with_invalid_arguments_says_which(capsys) -> None:
    code, out, err = run(capsys, "call", "list_contacts", '{"limit": "lots"}', "--demo")
    assert code == 1 and out == ""
    assert err.startswith("hyperrep-mcp: list_contacts failed: ") and "limit" in err


def test_call_of_a_write_tool_in_read_only_mode_is_unknown(capsys) -> None:
    code, _, err = run(capsys, "call", "create_message_draft", "{}", "--demo", "--write-mode", "read_only")
    assert code == 1 and "no tool named 'create_message_draft'" in err


def json_blocks(text: str) -> list[dict]:
    """Every top-level JSON object printed in `text` (each starts with '{' alone on a line)."""
    blocks, lines = [], text.splitlines()
    for i, line in enumerate(lines):
        if line == "{":
            end = lines.index("}", i)
            blocks.append(json.loads("\n".join(lines[i : end + 1])))
    return blocks


def test_doctor_on_the_demo(capsys) -> None:
    code, out, err = run(capsys, "doctor", "--demo")
    assert code == 0, out
    assert "All checks passed." in out and "[FAIL]" not in out
    data = reference().data
    for org_id in data.org_ids():
        assert f"- {data.org(org_id).org.name}  organization_id={org_id}" in out
    for title in ("Claude Desktop", "Claude Code", "Cursor", "VS Code", "Any Streamable HTTP client"):
        assert f"== {title} ==" in out
    desktop, cursor, vscode, http = json_blocks(out)
    assert desktop["mcpServers"]["hyperrep"] == {
        "command": "uvx",
        "args": ["hyperrep-mcp"],
        "env": {"HYPERREP_API_KEY": PLACEHOLDER},
    }
    assert cursor == desktop
    assert vscode["inputs"][0] | {"id": "x"} == {
        "type": "promptString",
        "id": "x",
        "description": "HyperRep API key",
        "password": True,
    }
    key_ref = f"${{input:{vscode['inputs'][0]['id']}}}"
    assert vscode["servers"]["hyperrep"]["env"] == {"HYPERREP_API_KEY": key_ref}
    assert http["mcpServers"]["hyperrep"]["url"] == "http://127.0.0.1:8000/mcp"
    assert f"claude mcp add hyperrep -e HYPERREP_API_KEY='{PLACEHOLDER}' -- uvx hyperrep-mcp" in out
    assert "sandbox-key" not in out and err == ""


def test_doctor_fills_in_this_machines_settings(capsys, monkeypatch, sandbox_factory) -> None:
    sb: RunningSandbox = sandbox_factory(api_key=CANARY)
    mid = sb.sandbox.data.fixtures.mid_org_id
    monkeypatch.setenv("HYPERREP_API_KEY", CANARY)
    monkeypatch.setenv("HYPERREP_BASE_URL", sb.url)
    monkeypatch.setenv("HYPERREP_ORGANIZATION_ID", mid)
    monkeypatch.setenv("HYPERREP_WRITE_MODE", "read_only")
    code, out, err = run(capsys, "doctor")
    assert code == 0, out
    assert f"API key        set ({len(CANARY)} characters)" in out
    assert f"HYPERREP_ORGANIZATION_ID is {sb.sandbox.data.org(mid).org.name}" in out
    env = json_blocks(out)[0]["mcpServers"]["hyperrep"]["env"]
    assert env == {
        "HYPERREP_API_KEY": PLACEHOLDER,
        "HYPERREP_ORGANIZATION_ID": mid,
        "HYPERREP_BASE_URL": sb.url,
        "HYPERREP_WRITE_MODE": "read_only",
    }
    assert CANARY not in out + err


@pytest.mark.parametrize(
    ("env", "failing", "fix"),
    [
        ({"HYPERREP_API_KEY": CANARY}, "Authenticated", "HYPERREP_API_KEY is not an active key"),
        ({"HYPERREP_API_KEY": "sandbox-key", "HYPERREP_ORGANIZATION_ID": "HR_id_nope"}, "Organization",
         "set it to one of the organization_id values listed above"),
        ({}, "API key", "export HYPERREP_API_KEY="),
    ],
    ids=["wrong-key", "unknown-organization", "no-key"],
)  # fmt: skip
def test_doctor_names_the_failing_check_and_its_fix(capsys, monkeypatch, sandbox, env, failing, fix) -> None:
    monkeypatch.setenv("HYPERREP_BASE_URL", sandbox.url)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert re.search(rf"^  \[FAIL\] {failing} ", out, re.MULTILINE), out
    assert f"fix: {fix}" in out
    assert f"1 check(s) failed: {failing}." in out
    assert "== VS Code ==" in out  # the configs are printed all the same
    assert CANARY not in out


def test_doctor_on_an_unreachable_api(capsys, monkeypatch) -> None:
    monkeypatch.setenv("HYPERREP_API_KEY", CANARY)
    monkeypatch.setenv("HYPERREP_BASE_URL", f"http://127.0.0.1:{free_port()}")  # nothing listens
    code, out, _ = run(capsys, "doctor")
    assert code == 1
    assert "[FAIL] Reachable" in out and "fix: check HYPERREP_BASE_URL" in out
    assert CANARY not in out


def test_sandbox_serves_the_curl_example_of_page_01() -> None:
    """curl https://api.hyperrep.ai/api/v2/organizations -H "X-API-KEY: your-api-key", on the sandbox."""
    port = free_port()
    proc = subprocess.Popen(
        command("sandbox", "--port", str(port)),
        env=child_env(),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        url = f"http://127.0.0.1:{port}/api/v2/organizations"
        deadline = time.monotonic() + 15
        while True:
            assert proc.poll() is None, proc.stderr.read() if proc.stderr else ""
            try:
                answer = httpx2.get(url, headers={"X-API-KEY": "sandbox-key"}, timeout=1)
                break
            except httpx2.TransportError:
                assert time.monotonic() < deadline, "sandbox did not start"
                time.sleep(0.05)
        assert answer.status_code == 200
        data = reference().data
        assert answer.json()["data"] == [
            {"organization_id": org_id, "name": data.org(org_id).org.name} for org_id in data.org_ids()
        ]
        assert httpx2.get(url, headers={"X-API-KEY": "wrong"}, timeout=2).status_code == 403
    finally:
        proc.terminate()
        proc.wait(10)


# --- secrets -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["call", "inbox_overview"],
        ["call", "list_contacts", '{"query": "diana"}'],
        ["call", "list_contacts", '{"limit": "lots"}'],
        ["call", "no_such_tool"],
        ["doctor"],
        ["call", "inbox_overview", "--write-mode", "sometimes"],
        ["serve", "--transport", "http", "--host", "0.0.0.0"],
    ],
    ids=["call", "call-query", "call-invalid", "call-unknown", "doctor", "config-error", "refused-bind"],
)
def test_no_command_ever_prints_the_api_key(capsys, monkeypatch, sandbox_factory, argv) -> None:
    sb: RunningSandbox = sandbox_factory(api_key=CANARY)
    monkeypatch.setenv("HYPERREP_API_KEY", CANARY)
    monkeypatch.setenv("HYPERREP_BASE_URL", sb.url)
    monkeypatch.setenv("HYPERREP_ORGANIZATION_ID", sb.org)
    code, out, err = run(capsys, *argv, "--log-level", "DEBUG")
    assert out or err  # each of them said something
    assert CANARY not in out and CANARY not in err
    if argv[0] == "call" and code == 0:
        assert " DEBUG " in err and "/api/v2/organizations" in err  # DEBUG really was on


def test_a_rejected_key_is_not_echoed(capsys, monkeypatch, sandbox) -> None:
    monkeypatch.setenv("HYPERREP_API_KEY", CANARY)  # the sandbox expects another key: 403
    monkeypatch.setenv("HYPERREP_BASE_URL", sandbox.url)
    code, out, err = run(capsys, "call", "list_organizations", "--log-level", "DEBUG")
    assert code == 1 and "rejected the API key" in err
    assert CANARY not in out + err


def test_call_into_a_closed_pipe_exits_quietly() -> None:
    """`hyperrep-mcp call ... | head`: the reader leaving is not an error and prints no traceback."""
    import subprocess
    import sys

    proc = subprocess.Popen(
        [sys.executable, "-m", "hyperrep_mcp", "call", "list_organizations", "--demo"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(30) == 0
    assert "Traceback" not in err and "BrokenPipe" not in err


def test_start_up_loads_neither_the_sandbox_nor_the_http_stack():
    # What answering `initialize` needs, and no more (bench: cold start): --demo reads only the
    # sandbox's config; the sandbox and the HTTP stack are loaded by the warm-up that starts once
    # the client has initialized (tests/server/test_warm_up.py), never by the first call.
    code = (
        "import sys\n"
        "from hyperrep_mcp import cli\n"
        "from hyperrep_mcp import assembly\n"
        "assembly.make_server(cli._settings(cli._parser().parse_args(['--demo'])), demo=True)\n"
        "heavy = ['hyperrep_mcp.sandbox.app', 'hyperrep_mcp.sandbox.dataset', 'httpcore2']\n"
        "print(','.join(m for m in heavy if m in sys.modules))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=child_env(), timeout=60
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == ""


# --- assembly: who builds what, and how workers get their settings ------------------------------------


def _imports(path: Any) -> set[str]:
    """Every hyperrep_mcp module `path` imports at run time, at any level (function-level imports
    included; `if TYPE_CHECKING:` blocks are not imports at run time)."""
    import ast

    tree = ast.parse(path.read_text())
    typing_only = {
        id(n)
        for node in ast.walk(tree)
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING")
        for stmt in node.body
        for n in ast.walk(stmt)
    }
    found = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("hyperrep_mcp"):
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            found.update(a.name for a in node.names if a.name.startswith("hyperrep_mcp"))
    return found


def _import_graph() -> dict[str, set[str]]:
    """Module -> the package's modules it imports. A package's __init__ re-exporting its own
    submodules is a facade, not a layer: those edges are left out (a submodule may import the package)."""
    from pathlib import Path

    import hyperrep_mcp

    package = Path(hyperrep_mcp.__file__).parent

    def name(path: Path) -> str:
        parts = path.relative_to(package).with_suffix("").parts
        return ".".join(("hyperrep_mcp", *(parts[:-1] if parts[-1] == "__init__" else parts)))

    raw = {name(p): _imports(p) for p in package.rglob("*.py")}
    return {
        m: {d for d in deps if d in raw and d != m and not d.startswith(m + ".")} for m, deps in raw.items()
    }


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's algorithm: every set of modules that import one another, directly or not."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = set()
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.add(w)
                if w == v:
                    break
            components.append(component)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return components


def test_strongly_connected_finds_a_cycle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert sorted(map(sorted, _strongly_connected(graph))) == [["a", "b", "c"], ["d"]]


def test_nothing_imports_the_entry_point_and_there_is_no_import_cycle():
    graph = _import_graph()
    importers_of_cli = sorted(m for m, deps in graph.items() if "hyperrep_mcp.cli" in deps)
    assert importers_of_cli == ["hyperrep_mcp.__main__"]  # `python -m hyperrep_mcp`, itself an entry point
    # Layers only point down (the doctor uses the assembly, which uses the server and its HTTP
    # transport): no set of modules imports one another, whichever the edge.
    assert "hyperrep_mcp.server.app" in graph["hyperrep_mcp.assembly"]  # the graph has real edges
    cycles = [sorted(c) for c in _strongly_connected(graph) if len(c) > 1]
    assert cycles == []


def test_workers_get_their_settings_from_public_environment(monkeypatch: pytest.MonkeyPatch):
    from hyperrep_mcp.assembly import ServeOptions, worker_environment
    from hyperrep_mcp.config import load_settings

    settings = load_settings(
        api_key=CANARY,
        write_mode="read_only",
        exclude_tools="list_sales",
        mcp_allowed_hosts="mcp.example.com",
    )
    options = ServeOptions(mcp_host="0.0.0.0", mcp_stateless=True, demo=True)
    env = worker_environment(settings, options)
    assert all(name.startswith("HYPERREP_") for name in env), sorted(env)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    again = load_settings()
    assert ServeOptions() == options
    assert again.write_policy is settings.write_policy and again.exclude_tools == {"list_sales"}
    assert again.mcp_allowed_hosts == "mcp.example.com" and again.api_key.get_secret_value() == CANARY
    assert again.mcp_state_key is not None  # one key shared by every worker


def test_the_quieted_http_loggers_are_the_ones_httpx2_and_httpcore2_use():
    """A misspelt name quiets nothing: every logger the HTTP stack creates falls under one we set."""
    import httpcore2  # noqa: F401  (importing creates the library's loggers)

    used = [n for n in logging.root.manager.loggerDict if n.split(".")[0] in ("httpx2", "httpcore2")]
    assert used
    for name in used:
        assert any(name == q or name.startswith(q + ".") for q in THIRD_PARTY_LOGGERS), name
