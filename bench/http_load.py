"""HTTP throughput: stateless Streamable HTTP, N concurrent clients, calls/s and p50/p99 latency,
ours against the bare-MCPServer floor, each server alone in its own uvicorn process.

The load is raw JSON-RPC `tools/call` POSTs (2026-07-28 protocol: no handshake, no session, one
JSON answer), one keep-alive httpx2 client per simulated client. An `mcp.Client` per request would
spend more CPU in this process than the servers do in theirs, and on a 2-core machine the load
generator would then set the pace; raw POSTs keep the bottleneck on the server. Variants alternate
in short windows (after a warm-up) so machine noise hits all alike.

Ours is the real command (`hyperrep-mcp serve --transport http --stateless`, organization pinned)
on the zero-latency sandbox process. Two of its tools are driven: list_organizations (answered
from the server's cache: no upstream request, so it isolates our server's own cost per call) and
get_contact(include_conversations=false) (one upstream request per call: the realistic case).
"""

from __future__ import annotations

import json
import os
import socket
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from typing import Any

import anyio
import httpx2
import psutil

from .child import ROOT
from .upstream import API_KEY, BenchData

PROTOCOL = "2026-07-28"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class HttpServer:
    """A server process on 127.0.0.1:`port`, ready once the port accepts connections."""

    def __init__(self, cmd: list[str], env: dict[str, str], port: int) -> None:
        self.cmd, self.env, self.port = cmd, env, port
        self.url = f"http://127.0.0.1:{port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> HttpServer:
        self.proc = subprocess.Popen(
            self.cmd, cwd=ROOT, env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        try:
            self._wait_ready()
        except BaseException:
            self.__exit__()  # never leave a server behind when start-up fails
            raise
        return self

    def _wait_ready(self) -> None:
        assert self.proc is not None
        deadline = time.monotonic() + 30
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"{self.cmd} exited with {self.proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.cmd} did not start") from None
                time.sleep(0.05)

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def memory_mb(self) -> dict[str, float]:
        """Current RSS and peak RSS (VmHWM) of the server process."""
        assert self.proc is not None
        rss = psutil.Process(self.proc.pid).memory_info().rss
        peak = rss
        try:
            with open(f"/proc/{self.proc.pid}/status") as status:
                for line in status:
                    if line.startswith("VmHWM:"):
                        peak = int(line.split()[1]) * 1024
        except OSError:  # not Linux: the current RSS is the best we have
            pass
        return {"rss_mb": round(rss / 2**20, 1), "peak_rss_mb": round(peak / 2**20, 1)}


def bare_server(port: int) -> HttpServer:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return HttpServer(
        [sys.executable, str(ROOT / "bench" / "bare_server.py"), "--http", str(port)], env, port
    )


def our_server(port: int, sandbox_url: str, org_id: str) -> HttpServer:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HYPERREP_")}
    env.update(
        {
            "HYPERREP_API_KEY": API_KEY,
            "HYPERREP_BASE_URL": sandbox_url,
            "HYPERREP_ORGANIZATION_ID": org_id,
            "PYTHONPATH": str(ROOT),
        }
    )
    cmd = [
        sys.executable,
        "-m",
        "hyperrep_mcp",
        "serve",
        "--transport",
        "http",
        "--stateless",
        "--port",
        str(port),
    ]
    return HttpServer(cmd, env, port)


def tool_call(name: str, arguments: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {
            "name": name,
            "arguments": arguments,
            "_meta": {
                "io.modelcontextprotocol/protocolVersion": PROTOCOL,
                "io.modelcontextprotocol/clientInfo": {"name": "bench", "version": "0"},
                "io.modelcontextprotocol/clientCapabilities": {},
            },
        },
    }
    headers = {
        "accept": "application/json, text/event-stream",
        "content-type": "application/json",
        "mcp-protocol-version": PROTOCOL,
        "mcp-method": "tools/call",
        "mcp-name": name,
    }
    return json.dumps(body).encode(), headers


def answer_ok(response: httpx2.Response) -> bool:
    """A 200 whose JSON-RPC result is a non-error tool result (JSON or a one-event SSE stream)."""
    if response.status_code != 200:
        return False
    text = response.text
    if response.headers.get("content-type", "").startswith("text/event-stream"):
        text = next((ln[5:].strip() for ln in text.splitlines() if ln.startswith("data:")), "")
    try:
        result = json.loads(text)["result"]
    except (ValueError, KeyError, TypeError):
        return False
    return not result.get("isError", False)


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    seconds: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)  # CPU seconds spent by each process


def cpu_seconds(pid: int) -> float:
    times = psutil.Process(pid).cpu_times()
    return times.user + times.system


async def drive(
    url: str, name: str, arguments: dict[str, Any], *, clients: int, seconds: float, into: Tally | None
) -> None:
    body, headers = tool_call(name, arguments)
    deadline = time.perf_counter() + seconds

    async def one_client() -> None:
        async with httpx2.AsyncClient(base_url=url, timeout=30) as http:
            while time.perf_counter() < deadline:
                started = time.perf_counter()
                try:
                    response = await http.post("/mcp", content=body, headers=headers)
                    ok = answer_ok(response)
                except httpx2.TransportError:
                    ok = False
                if into is not None:
                    into.latencies.append(time.perf_counter() - started)
                    into.errors += not ok

    started = time.perf_counter()
    async with anyio.create_task_group() as tg:
        for _ in range(clients):
            tg.start_soon(one_client)
    if into is not None:
        into.seconds += time.perf_counter() - started


def _percentile(xs: list[float], q: float) -> float:
    ordered = sorted(xs)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run(
    sandbox_url: str, sandbox_pid: int, data: BenchData, *, clients: int, seconds: float, rounds: int
) -> dict[str, Any]:
    with bare_server(free_port()) as bare, our_server(free_port(), sandbox_url, data.org_id) as ours:
        variants = {
            "floor: bare MCPServer noop": (bare, "noop", {}),
            "ours: list_organizations (cached, 0 upstream requests)": (ours, "list_organizations", {}),
            "ours: get_contact (1 upstream request)": (
                ours, "get_contact", {"contact_id": data.contact_id, "include_conversations": False},
            ),
        }  # fmt: skip
        tallies = {label: Tally() for label in variants}
        for server, tool, args in variants.values():  # warm-up: imports, caches, connections
            await drive(server.url, tool, args, clients=clients, seconds=1.0, into=None)
        for _ in range(rounds):
            for label, (server, tool, args) in variants.items():
                pids = {"server": server.pid, "sandbox": sandbox_pid, "load generator": os.getpid()}
                before = {name: cpu_seconds(pid) for name, pid in pids.items()}
                await drive(
                    server.url, tool, args, clients=clients, seconds=seconds / rounds, into=tallies[label]
                )
                for name, pid in pids.items():
                    spent = cpu_seconds(pid) - before[name]
                    tallies[label].cpu_s[name] = tallies[label].cpu_s.get(name, 0.0) + spent
        memory = {"bare": bare.memory_mb(), "ours": ours.memory_mb()}
    floor = tallies["floor: bare MCPServer noop"]
    floor_rate = len(floor.latencies) / floor.seconds
    rows = []
    for label, tally in tallies.items():
        rate = len(tally.latencies) / tally.seconds
        is_floor = label.startswith("floor")
        ratio = rate / floor_rate
        rows.append(
            {
                "label": label,
                "calls": len(tally.latencies),
                "calls_per_s": round(rate, 1),
                "p50_ms": round(statistics.median(tally.latencies) * 1000, 2),
                "p99_ms": round(_percentile(tally.latencies, 0.99) * 1000, 2),
                "errors": tally.errors,
                "vs_floor": round(ratio, 2),
                "peak_rss_mb": memory["bare" if is_floor else "ours"]["peak_rss_mb"],
                "cpu_ms_per_call": {
                    name: round(spent * 1000 / max(1, len(tally.latencies)), 3)
                    for name, spent in tally.cpu_s.items()
                },
                "target": None if is_floor else 0.7,
                "pass": None if is_floor else (ratio >= 0.7 and tally.errors == 0),
            }
        )
    return {"clients": clients, "seconds": seconds, "rounds": rounds, "memory": memory, "rows": rows}
