"""A fan-out over HTTPS, as the API is reached in production: the concurrent requests of a call's
contact lookups, against the sandbox behind hypercorn.

Two servers (offering HTTP/2, or only HTTP/1.1) times two clients (ours, which offers HTTP/2 and
accepts HTTP/1.1; and one that offers only HTTP/1.1), rounds interleaved.

`run`: on a fresh connection pool, with latency L per request (the sandbox's setting): wall time,
the client's CPU time (the server is another process) and connections opened, each a TLS handshake.
`run_network`: through a simulated network (bench/netsim.py: every byte waits RTT/2 each way, a new
connection one RTT more), so handshakes cost their round trips too: wall/RTT on a fresh pool, and on
a pool that kept the connection of the call before.
"""

from __future__ import annotations

import asyncio
import ssl
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2
import trustme

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.api.netbackend import install

from .netsim import DelayProxy
from .upstream import API_KEY, SandboxProcess

SERVERS = {"HTTP/2 and HTTP/1.1": "h2,http/1.1", "HTTP/1.1 only": "http/1.1"}
CLIENTS = ("ours: HTTP/2 offered", "HTTP/1.1 only")


def _client(name: str, url: str, context: ssl.SSLContext) -> HyperRepClient:
    if name == CLIENTS[0]:
        return HyperRepClient(API_KEY, base_url=url, ssl_context=context)
    transport = httpx2.AsyncHTTPTransport(
        verify=context, http2=False, limits=httpx2.Limits(max_connections=64, max_keepalive_connections=64)
    )
    install(transport._pool)  # the same socket layer as ours: only the protocol offer differs
    return HyperRepClient(API_KEY, base_url=url, transport=transport)


def _connections(api: HyperRepClient) -> int:
    transport = api._http._transport  # type: ignore[attr-defined]
    return len(transport._pool.connections)


async def _fan_out(api: HyperRepClient, org: str, ids: list[str]) -> tuple[float, float, int]:
    wall, cpu = time.perf_counter(), time.process_time()
    found = await asyncio.gather(*(api.get_contact(org, cid) for cid in ids))
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    assert [c.contact_id for c in found] == ids
    return wall, cpu, _connections(api)


async def run(*, latency_ms: float, requests: int = 25, rounds: int = 5) -> dict[str, Any]:
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        certfile, keyfile, context = _certificates(folder)
        for server, alpn in SERVERS.items():
            tls = (certfile, keyfile, alpn)
            with SandboxProcess(latency_ms=latency_ms, contacts=0, thread_messages=0, tls=tls) as up:
                assert up.data is not None
                org = up.data.org_id
                async with _client(CLIENTS[0], up.url, context) as api:
                    ids = [c.contact_id for c in (await api.list_contacts(org, limit=requests)).data]
                samples: dict[str, list[tuple[float, float, int]]] = {c: [] for c in CLIENTS}
                for _ in range(rounds + 1):  # the first round warms imports and the server up
                    for name in CLIENTS:
                        async with _client(name, up.url, context) as api:
                            samples[name].append(await _fan_out(api, org, ids))
                # asyncio finishes closing the clients' sockets on its next turns; the server, told
                # to stop, would otherwise wait for those connections while this loop blocks.
                await asyncio.sleep(0.05)
                for name in CLIENTS:
                    timed = samples[name][1:]
                    wall = statistics.median(s[0] for s in timed)
                    rows.append(
                        {
                            "server": server,
                            "client": name,
                            "requests": len(ids),
                            "wall_ms": round(wall * 1000, 1),
                            "wall_per_L": round(wall * 1000 / latency_ms, 2),
                            "client_cpu_ms": round(statistics.median(s[1] for s in timed) * 1000, 1),
                            "connections": statistics.median(s[2] for s in timed),
                        }
                    )
    return {"latency_ms": latency_ms, "rounds": rounds, "rows": rows}


def _certificates(folder: str) -> tuple[str, str, ssl.SSLContext]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    certfile, keyfile = Path(folder) / "cert.pem", Path(folder) / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    context = ssl.create_default_context()
    ca.configure_trust(context)
    return str(certfile), str(keyfile), context


async def run_network(*, rtt_ms: float, requests: int = 25, rounds: int = 3) -> dict[str, Any]:
    rtt_s = rtt_ms / 1000
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        certfile, keyfile, context = _certificates(folder)
        for server, alpn in SERVERS.items():
            with SandboxProcess(contacts=0, thread_messages=0, tls=(certfile, keyfile, alpn)) as up:
                assert up.data is not None
                org = up.data.org_id
                port = int(up.url.rsplit(":", 1)[1])
                with DelayProxy(port, rtt_ms) as proxy_port:
                    url = f"https://127.0.0.1:{proxy_port}"
                    async with _client(CLIENTS[0], up.url, context) as api:
                        ids = [c.contact_id for c in (await api.list_contacts(org, limit=requests + 1)).data]
                    first, ids = ids[0], ids[1:]
                    samples: dict[str, dict[str, list[float]]] = {
                        c: {"cold": [], "warm": [], "cold_connections": [], "warm_connections": []}
                        for c in CLIENTS
                    }
                    for _ in range(rounds + 1):  # the first round warms imports and the server up
                        for name in CLIENTS:
                            for kind in ("cold", "warm"):
                                async with _client(name, url, context) as api:
                                    if kind == "warm":  # the call before left one idle connection
                                        await api.get_contact(org, first)
                                    before = _connections(api)
                                    wall, _, after = await _fan_out(api, org, ids)
                                samples[name][kind].append(wall / rtt_s)
                                samples[name][f"{kind}_connections"].append(after - before)
                    await asyncio.sleep(0.05)  # let the clients' sockets close before the server stops
                    for name in CLIENTS:
                        got = {k: statistics.median(v[1:]) for k, v in samples[name].items()}
                        rows.append(
                            {
                                "server": server,
                                "client": name,
                                "requests": len(ids),
                                "cold_rtts": round(got["cold"], 2),
                                "cold_new_connections": got["cold_connections"],
                                "warm_rtts": round(got["warm"], 2),
                                "warm_new_connections": got["warm_connections"],
                            }
                        )
    return {"rtt_ms": rtt_ms, "rounds": rounds, "rows": rows}
