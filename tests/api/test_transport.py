"""The API client's transport, through httpx2's public interface only: HTTPS as in production.

HTTP/1.1 with kept connections, also against a server that offers HTTP/2 (hypercorn, TLS ALPN):
each concurrent request has its own connection, an idle one is kept for the next call, a request
that times out fails alone. Transport failures become our typed errors. Answers are checked
against the sandbox's own data.
"""

from __future__ import annotations

import asyncio
import contextlib
import inspect
import ssl
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.api import errors as e
from hyperrep_mcp.api.client import KEEPALIVE_S
from tests.support import SANDBOX_KEY, HypercornThread, tls_files

try:
    import uvloop
except ImportError:  # Windows: uvloop does not exist there (elsewhere it is a dev dependency)
    uvloop = None

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, ssl.SSLContext]:
    return tls_files(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def server(
    request: pytest.FixtureRequest, certs: tuple[Path, Path, ssl.SSLContext]
) -> Iterator[HypercornThread]:
    certfile, keyfile, _ = certs
    alpn = request.param
    # Latency makes the requests overlap as a real network does, and outlasts 25 TLS handshakes.
    with HypercornThread(certfile, keyfile, alpn, latency_ms=300) as running:
        yield running


def client_for(
    server: HypercornThread, certs: tuple[Path, Path, ssl.SSLContext], **kw: Any
) -> HyperRepClient:
    return HyperRepClient(SANDBOX_KEY, base_url=server.url, ssl_context=certs[2], **kw)


def contact_ids(server: HypercornThread, count: int) -> tuple[str, list[str]]:
    org = server.app.state.sandbox.data.fixtures.big_org_id
    return org, list(server.app.state.sandbox.data.org(org).contacts)[:count]


@pytest.mark.parametrize("server", [["h2", "http/1.1"]], indirect=True)
async def test_http1_with_a_connection_per_concurrent_request_even_where_http2_is_offered(
    server: HypercornThread, certs
):
    org, ids = contact_ids(server, 20)
    async with client_for(server, certs) as api:
        found = await asyncio.gather(*(api.get_contact(org, cid) for cid in ids))
    assert [c.contact_id for c in found] == ids
    assert server.seen.versions() == {"1.1"}
    assert server.seen.connections() == len(ids)


@pytest.mark.parametrize("server", [["h2", "http/1.1"]], indirect=True)
async def test_writes_errors_and_retries_over_https(server: HypercornThread, certs):
    org, (cid,) = contact_ids(server, 1)
    sandbox = server.app.state.sandbox
    async with client_for(server, certs, retry_wait_initial=0.01) as api:
        receipt = await api.create_message_draft(
            org,
            {
                "modality": "email",
                "subject": "Quote",
                "body_html": "<p>Hi</p>",
                "to_email": "hal@example.com",
            },
        )
        assert receipt.draft_id and (await api.get_message_draft(org, receipt.draft_id)).subject == "Quote"
        with pytest.raises(e.NotFoundError):
            await api.get_contact(org, "HR_id_nobody")
        sandbox.faults.script("status", times=2, status=503, path_contains="/contacts/")
        assert (await api.get_contact(org, cid)).contact_id == cid
    # One request after another: one kept connection served them all.
    assert server.seen.connections() == 1


@pytest.mark.parametrize("server", [["http/1.1"]], indirect=True)
async def test_big_answers_at_once(server: HypercornThread, certs):
    org, _ = contact_ids(server, 0)
    data = server.app.state.sandbox.data.org(org)
    async with client_for(server, certs) as api:
        pages = await asyncio.gather(
            api.list_contacts(org, limit=100),
            api.list_conversations(org, limit=100),
            api.list_contacts(org, limit=100),
        )
    assert [c.contact_id for c in pages[0].data] == list(data.contacts)[:100]
    assert pages[2] == pages[0] and len(pages[1].data) == 100


@pytest.mark.parametrize("server", [["h2", "http/1.1"]], indirect=True)
async def test_a_request_that_times_out_fails_alone(server: HypercornThread, certs):
    org, ids = contact_ids(server, 3)
    sandbox = server.app.state.sandbox
    # Every answer takes the fixture's 0.3 s, plus what the faults add.
    async with client_for(server, certs, timeout=1.5, max_retries=0) as api:
        await api.get_contact(org, ids[2])  # a connection exists
        sandbox.faults.script("slow", times=1, delay_s=3.0, path_contains=ids[0])  # gives up at 1.5 s
        sandbox.faults.script("slow", times=1, delay_s=0.5, path_contains=ids[1])

        async def neighbour():  # in flight from 1.0 to 1.8 s: across the first one's timeout
            await asyncio.sleep(1.0)
            return await api.get_contact(org, ids[1])

        started = time.monotonic()
        stalled, answered = await asyncio.gather(
            api.get_contact(org, ids[0]), neighbour(), return_exceptions=True
        )
        assert isinstance(stalled, e.UpstreamTimeoutError)
        assert not isinstance(answered, BaseException) and answered.contact_id == ids[1]
        assert time.monotonic() - started < 2.8  # the stalled one was not waited for to the end
        assert (await api.get_contact(org, ids[2])).contact_id == ids[2]


@pytest.mark.parametrize("server", [["http/1.1"]], indirect=True)
async def test_an_idle_connection_is_kept_for_the_next_call_then_let_go(server: HypercornThread, certs):
    org, (cid,) = contact_ids(server, 1)
    async with client_for(server, certs, keepalive_s=1.0) as api:
        await api.get_contact(org, cid)
        await asyncio.sleep(0.4)  # an assistant thinking between two calls
        await api.get_contact(org, cid)
        assert server.seen.connections() == 1
        await asyncio.sleep(1.4)  # longer than kept
        await api.get_contact(org, cid)
        assert server.seen.connections() == 2


def test_the_default_keeps_connections_across_an_assistants_thinking():
    # httpx2's default (5 s) would reconnect, and shake hands over TLS, on nearly every tool call;
    # load balancers commonly drop idle connections at 60 s.
    assert 30 < KEEPALIVE_S < 60
    assert inspect.signature(HyperRepClient).parameters["keepalive_s"].default == KEEPALIVE_S


@pytest.mark.parametrize("server", [["http/1.1"]], indirect=True)
async def test_an_untrusted_certificate_is_refused_as_unreachable(server: HypercornThread):
    org, (cid,) = contact_ids(server, 1)
    async with HyperRepClient(SANDBOX_KEY, base_url=server.url, max_retries=0) as api:
        with pytest.raises(e.UnreachableError):
            await api.get_contact(org, cid)
    assert server.seen.requests == []


@pytest.mark.skipif(uvloop is None, reason="uvloop is not installed (Windows)")
@pytest.mark.parametrize("server", [["h2", "http/1.1"], ["http/1.1"]], indirect=True)
def test_https_on_uvloop(server: HypercornThread, certs):
    # uvicorn runs our HTTP transport on uvloop when it is installed: TLS must hold there.
    async def main() -> None:
        assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
        org, ids = contact_ids(server, 25)
        async with client_for(server, certs) as api:
            found = await asyncio.gather(*(api.get_contact(org, cid) for cid in ids))
        assert [c.contact_id for c in found] == ids

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:  # type: ignore[union-attr]
        runner.run(main())
    assert server.seen.versions() == {"1.1"}
    assert server.seen.connections() == 25


# --- transport failures, each translated to our error ---------------------------------------------


@contextlib.asynccontextmanager
async def raw_server(handle):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


def raw_client(url: str, **kw: Any) -> HyperRepClient:
    return HyperRepClient(SANDBOX_KEY, base_url=url, max_retries=0, **kw)


async def test_connection_refused_is_unreachable():
    async with raw_server(lambda r, w: None) as url:
        pass  # closed again: nothing listens on that port now
    async with raw_client(url) as api:
        with pytest.raises(e.UnreachableError):
            await api.list_organizations()


async def test_a_silent_server_is_a_timeout():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1000)
        await asyncio.sleep(5)

    async with raw_server(silent) as url, raw_client(url, timeout=0.3) as api:
        with pytest.raises(e.UpstreamTimeoutError):
            await api.list_organizations()


async def test_a_dropped_connection_is_said_so_not_a_hang():
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1000)
        writer.close()

    async with raw_server(drop) as url, raw_client(url, timeout=5) as api:
        with pytest.raises(e.ConnectionDroppedError):
            await api.list_organizations()


OK = b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 11\r\nConnection: keep-alive\r\n\r\n{"data":[]}'


@pytest.mark.parametrize(
    "afterwards",
    [
        pytest.param(None, id="closed-while-idle"),
        # An unsolicited answer (a server's 408 before it gives up): the next request must not
        # read it as its own.
        pytest.param(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n", id="408-while-idle"),
    ],
)
async def test_an_idle_connection_the_server_closed_or_wrote_to_is_not_reused(afterwards: bytes | None):
    served = 0

    async def answer_then(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        served += 1
        writer.write(OK)
        await writer.drain()
        await asyncio.sleep(0.03)
        if afterwards is None:
            writer.close()  # keep-alive promised, then closed while idle
            return
        writer.write(afterwards)  # and the connection stays open
        await writer.drain()
        await asyncio.sleep(1)

    async with raw_server(answer_then) as url, raw_client(url, timeout=5) as api:
        assert await api.list_organizations() == []
        await asyncio.sleep(0.2)  # the close or the stray answer has arrived
        assert await api.list_organizations() == []  # a new connection, not a failed reuse
    assert served == 2
