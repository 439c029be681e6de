"""The real `hyperrep-mcp` console script over stdio, as Claude Desktop launches it.

Both protocol eras through the SDK client; a raw JSON-RPC exchange that proves nothing but protocol
reaches stdout even at DEBUG (and that the API key never shows); a non-demo child that reaches a
real sandbox over HTTP with only the environment a client config would give it.
"""

from __future__ import annotations

import json
import signal
import subprocess
import tempfile
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp import Client, StdioServerParameters

from tests.e2e.helpers import big_org_name, child_env, command, reference
from tests.support import SANDBOX_KEY, RunningSandbox, text_of

pytestmark = pytest.mark.anyio

CANARY = "sk-canary-stdio-51f0c2d9e8"


def stdio_params(*args: str, **env: str) -> StdioServerParameters:
    cmd = command(*args)
    return StdioServerParameters(command=cmd[0], args=cmd[1:], env=child_env(**env))


@pytest.mark.parametrize(("mode", "version"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
async def test_demo_over_stdio_in_both_protocol_eras(mode: str, version: str) -> None:
    fx = reference().data.fixtures
    async with Client(stdio_params("--demo"), mode=mode) as client:
        assert client.protocol_version == version
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert {"inbox_overview", "list_contacts", "get_contact", "get_conversation_thread"} <= set(tools)
        assert tools["inbox_overview"].annotations.read_only_hint is True

        overview = await client.call_tool("inbox_overview", {})
        assert overview.is_error is False, text_of(overview)
        text = text_of(overview)
        assert text.startswith(f"Inbox overview — {big_org_name()}")
        assert "Response rate:" in text and "Awaiting our reply" in text
        assert overview.structured_content["organization"]["organization_id"] == fx.big_org_id

        found = await client.call_tool("list_contacts", {"query": "Diana"})
        assert found.is_error is False, text_of(found)
        assert "Diana Prince" in text_of(found)
        assert [c["contact_id"] for c in found.structured_content["contacts"]] == [fx.diana_contact_id]


async def test_a_named_time_zone_works_without_a_system_zone_database() -> None:
    """Windows and slim containers have no /usr/share/zoneinfo: PYTHONTZPATH="" gives the child none,
    so only the installed package's own zone data can read America/Chicago. "yesterday" is then the
    Chicago day."""
    chicago = ZoneInfo("America/Chicago")  # the test process reads the system database: the truth

    def yesterday_starts() -> str:
        day = datetime.now(chicago).date() - timedelta(days=1)
        start = datetime.combine(day, time.min, tzinfo=chicago).astimezone(UTC)
        return start.isoformat().replace("+00:00", "Z")

    before = yesterday_starts()
    params = stdio_params("--demo", HYPERREP_TIMEZONE="America/Chicago", PYTHONTZPATH="")
    async with Client(params, mode="auto") as client:
        rate = await client.call_tool("get_response_rate", {"period": "yesterday"})
    assert rate.is_error is False, text_of(rate)
    assert rate.structured_content["current"]["window"]["start_date"] in {before, yesterday_starts()}


def test_an_unknown_time_zone_without_a_system_zone_database_is_one_clear_line() -> None:
    done = subprocess.run(
        command("--demo"),
        env=child_env(HYPERREP_TIMEZONE="America/Chicgo", PYTHONTZPATH=""),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )
    assert done.returncode == 2 and done.stdout == ""
    assert done.stderr.count("\n") == 1 and "HYPERREP_TIMEZONE: must be an IANA time zone name" in done.stderr
    assert "Traceback" not in done.stderr


def rpc(id_: int | None, method: str, params: dict[str, Any] | None = None) -> str:
    message: dict[str, Any] = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        message["id"] = id_
    if params is not None:
        message["params"] = params
    return json.dumps(message) + "\n"


def test_stdout_carries_only_protocol_even_at_debug(sandbox_factory) -> None:
    """A hand-written 2025-11-25 session against a non-demo child: every stdout line is a JSON-RPC
    message, the DEBUG logs (including the upstream requests) all went to stderr, and the API key
    appears in neither."""
    sb: RunningSandbox = sandbox_factory(api_key=CANARY)
    env = child_env(HYPERREP_API_KEY=CANARY, HYPERREP_BASE_URL=sb.url, HYPERREP_ORGANIZATION_ID=sb.org)
    with tempfile.TemporaryFile() as err:
        proc = subprocess.Popen(
            command("--log-level", "DEBUG"),
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=err,  # a file, not a pipe: DEBUG output must never block the child
        )
        try:
            assert proc.stdin is not None and proc.stdout is not None

            def send(line: str) -> None:
                proc.stdin.write(line.encode())
                proc.stdin.flush()

            def answer(id_: int) -> dict[str, Any]:
                while True:  # notifications (progress) may come first
                    message = json.loads(proc.stdout.readline())
                    if message.get("id") == id_:
                        return message

            send(rpc(1, "initialize", {
                "protocolVersion": "2025-11-25",
                "capabilities": {},
                "clientInfo": {"name": "e2e", "version": "0"},
            }))  # fmt: skip
            assert answer(1)["result"]["protocolVersion"] == "2025-11-25"
            send(rpc(None, "notifications/initialized"))
            send(rpc(2, "tools/call", {"name": "list_contacts", "arguments": {"query": "Diana"}}))
            result = answer(2)["result"]
            assert result["isError"] is False
            assert "Diana Prince" in result["content"][0]["text"]
            proc.stdin.close()  # end of the session: the server exits on EOF
            proc.wait(10)
            rest = proc.stdout.read()
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait(5)
        assert proc.returncode == 0
        err.seek(0)
        stderr = err.read().decode()

    for line in rest.decode().splitlines():  # whatever came after the answers: protocol too
        assert json.loads(line)["jsonrpc"] == "2.0", line
    assert " DEBUG " in stderr and "/contacts" in stderr  # the logs exist, on stderr
    assert "tool=list_contacts outcome=ok" in stderr
    assert CANARY not in stderr and CANARY not in rest.decode() and CANARY not in json.dumps(result)
    assert any(r.path.endswith("/contacts") for r in sb.sandbox.requests)  # it really went over HTTP


async def test_real_api_mode_reaches_the_sandbox_over_http(sandbox: RunningSandbox) -> None:
    """No --demo: the key, base URL and a pinned organization come from the client's env block."""
    data = sandbox.sandbox.data
    mid = data.fixtures.mid_org_id
    params = stdio_params(
        HYPERREP_API_KEY=SANDBOX_KEY,
        HYPERREP_BASE_URL=sandbox.url,
        HYPERREP_ORGANIZATION_ID=mid,
        HYPERREP_WRITE_MODE="read_only",
    )
    async with Client(params, mode="auto") as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        assert all(t.annotations.read_only_hint for t in tools.values())  # read_only: no write tools
        assert "organization_id" not in tools["list_contacts"].input_schema.get("properties", {})
        overview = await client.call_tool("inbox_overview", {})
    assert overview.is_error is False, text_of(overview)
    assert text_of(overview).startswith(f"Inbox overview — {data.org(mid).org.name}")
    assert any(mid in r.path for r in sandbox.sandbox.requests)


def test_ctrl_c_stops_a_stdio_server_waiting_for_input() -> None:
    """The SDK reads stdin in a thread: without our handler, Ctrl+C would wait for the next line."""
    proc = subprocess.Popen(
        command("--demo"),
        env=child_env(),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert proc.stdin is not None and proc.stdout is not None
        proc.stdin.write(rpc(1, "ping").encode())  # any answer proves it is up and reading
        proc.stdin.flush()
        assert json.loads(proc.stdout.readline())["id"] == 1
        proc.send_signal(signal.SIGINT)
        assert proc.wait(3) == 130
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(5)
