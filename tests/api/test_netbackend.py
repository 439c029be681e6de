"""The asyncio socket layer under httpcore2: used by default, and it keeps every guarantee the
anyio one gave — TLS with verification, the usual httpx2 errors, keep-alive that notices a
connection the server closed."""

from __future__ import annotations

import asyncio
import contextlib
import ssl
import time
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import httpcore2
import httpx2
import pytest
import trustme
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.api import errors as e
from hyperrep_mcp.api.client import KEEPALIVE_S
from hyperrep_mcp.api.netbackend import AsyncioBackend, install
from tests.support import SANDBOX_KEY, RunningSandbox, UvicornThread

pytestmark = pytest.mark.anyio


def backend_of(client: httpx2.AsyncClient) -> object:
    return client._transport._pool._network_backend  # type: ignore[attr-defined]


async def test_the_api_client_runs_on_the_asyncio_backend(sandbox: RunningSandbox):
    async with HyperRepClient(SANDBOX_KEY, base_url=sandbox.url) as api:
        assert len(await api.list_organizations()) >= 3
        assert isinstance(backend_of(api._http), AsyncioBackend)


async def test_a_transport_given_by_the_caller_is_left_alone():
    mock = httpx2.MockTransport(lambda request: httpx2.Response(200, json={"data": []}))
    async with HyperRepClient(SANDBOX_KEY, base_url="http://127.0.0.1:9", transport=mock) as api:
        assert await api.list_organizations() == []
        assert api._http._transport is mock  # type: ignore[attr-defined]
    assert install(object()) is False  # not an httpcore2 pool: nothing changed


# --- TLS -----------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def tls_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, trustme.CA]]:
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    folder: Path = tmp_path_factory.mktemp("tls")
    certfile, keyfile = folder / "cert.pem", folder / "key.pem"
    cert.cert_chain_pems[0].write_to_path(certfile)
    cert.private_key_pem.write_to_path(keyfile)
    app = Starlette(routes=[Route("/ping", lambda request: JSONResponse({"pong": True}))])
    with UvicornThread(app, ssl_certfile=str(certfile), ssl_keyfile=str(keyfile)) as server:
        yield server.url, ca


@contextlib.asynccontextmanager
async def fast_client(**kw: object) -> AsyncIterator[httpx2.AsyncClient]:
    async with httpx2.AsyncClient(**kw) as client:  # type: ignore[arg-type]
        assert install(client._transport._pool)  # type: ignore[attr-defined]
        yield client


async def test_https_with_a_trusted_certificate_and_connection_reuse(tls_server: tuple[str, trustme.CA]):
    url, ca = tls_server
    context = ssl.create_default_context()
    ca.configure_trust(context)
    async with fast_client(verify=context) as client:
        for _ in range(3):
            response = await client.get(f"{url}/ping")
            assert response.json() == {"pong": True}
            assert response.extensions["network_stream"].get_extra_info("ssl_object") is not None
        assert len(client._transport._pool.connections) == 1  # type: ignore[attr-defined]


async def test_https_refuses_an_untrusted_certificate(tls_server: tuple[str, trustme.CA]):
    url, _ = tls_server
    async with fast_client(verify=ssl.create_default_context()) as client:
        with pytest.raises(httpx2.ConnectError):
            await client.get(f"{url}/ping")


# --- errors as httpx2 names them -----------------------------------------------------------------


@contextlib.asynccontextmanager
async def raw_server(handle: Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]):
    server = await asyncio.start_server(handle, "127.0.0.1", 0)  # type: ignore[arg-type]
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def test_connection_refused_is_a_connect_error_and_the_api_client_says_unreachable():
    async with raw_server(lambda r, w: None) as url:
        pass  # closed again: nothing listens on that port now
    async with fast_client() as client:
        with pytest.raises(httpx2.ConnectError):
            await client.get(url)
    async with HyperRepClient(SANDBOX_KEY, base_url=url, max_retries=0) as api:
        with pytest.raises(e.UnreachableError):
            await api.list_organizations()


async def test_a_silent_server_is_a_read_timeout():
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1000)
        await asyncio.sleep(5)

    async with raw_server(silent) as url, fast_client(timeout=0.2) as client:
        with pytest.raises(httpx2.ReadTimeout):
            await client.get(url)


async def test_a_dropped_connection_is_a_protocol_error_not_a_hang():
    async def drop(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read(1000)
        writer.close()

    async with raw_server(drop) as url, fast_client(timeout=5) as client:
        with pytest.raises(httpx2.RemoteProtocolError):
            await client.get(url)


@pytest.mark.parametrize(
    "afterwards",
    [
        pytest.param(None, id="closed-while-idle"),
        # An unsolicited answer (a server's 408 before it gives up) sits in the stream's buffer:
        # the next request must not read it as its own.
        pytest.param(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n", id="408-while-idle"),
    ],
)
async def test_an_idle_connection_the_server_closed_or_wrote_to_is_not_reused(afterwards: bytes | None):
    served = 0

    async def answer_then(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal served
        await reader.readuntil(b"\r\n\r\n")
        served += 1
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        await writer.drain()
        await asyncio.sleep(0.03)
        if afterwards is None:
            writer.close()  # keep-alive promised, then closed while idle
            return
        writer.write(afterwards)  # and the connection stays open
        await writer.drain()
        await asyncio.sleep(1)

    async with raw_server(answer_then) as url, fast_client(timeout=5) as client:
        assert (await client.get(url)).status_code == 200
        await asyncio.sleep(0.2)  # the close or the stray answer has arrived
        second = await client.get(url)
        assert (second.status_code, second.text) == (200, "ok")  # a new connection, not a failed reuse
    assert served == 2


def test_our_deadline_is_a_timeout_but_a_kernel_etimedout_is_a_broken_connection():
    import errno

    from hyperrep_mcp.api.netbackend import _mapped

    with pytest.raises(httpcore2.ReadTimeout), _mapped(httpcore2.ReadTimeout, httpcore2.ReadError):
        raise TimeoutError
    with pytest.raises(httpcore2.ReadError), _mapped(httpcore2.ReadTimeout, httpcore2.ReadError):
        raise TimeoutError(errno.ETIMEDOUT, "Connection timed out")


# --- uvloop: uvicorn runs on it whenever it is installed ------------------------------------------

try:
    import uvloop
except ImportError:  # Windows: uvloop does not exist there (elsewhere it is a dev dependency)
    uvloop = None


@pytest.mark.skipif(uvloop is None, reason="uvloop is not installed (Windows)")
def test_the_api_client_and_tls_work_on_uvloop(sandbox: RunningSandbox, tls_server: tuple[str, trustme.CA]):
    url, ca = tls_server
    context = ssl.create_default_context()
    ca.configure_trust(context)

    async def main() -> None:
        assert type(asyncio.get_running_loop()).__module__.startswith("uvloop")
        async with HyperRepClient(SANDBOX_KEY, base_url=sandbox.url) as api:
            assert len(await api.list_organizations()) >= 3
            assert isinstance(backend_of(api._http), AsyncioBackend)
        async with fast_client(verify=context) as client:
            assert (await client.get(f"{url}/ping")).json() == {"pong": True}

    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        runner.run(main())


class _Clock:
    """time.monotonic() moved forward at will: idle time without waiting for it."""

    def __init__(self) -> None:
        self.offset = 0.0

    def monotonic(self) -> float:
        return time.monotonic() + self.offset


async def test_an_idle_connection_is_kept_for_the_next_call_seconds_later(
    sandbox: RunningSandbox, monkeypatch: pytest.MonkeyPatch
):
    clock = _Clock()
    monkeypatch.setattr(httpcore2._async.http11, "time", clock)  # the pool's keep-alive clock
    async with HyperRepClient(SANDBOX_KEY, base_url=sandbox.url) as api:
        pool = api._http._transport._pool  # type: ignore[attr-defined]
        await api.list_organizations()
        (first,) = pool.connections
        clock.offset += 30  # an assistant thinking between two calls
        await api.list_organizations()
        assert pool.connections == [first]
        clock.offset += KEEPALIVE_S + 1
        await api.list_organizations()
        assert first not in pool.connections
