"""Over a real socket: the server announces itself, and "drop" is a transport error."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import httpx2
import pytest

from hyperrep_mcp.sandbox import Sandbox, SandboxConfig
from hyperrep_mcp.sandbox.http_server import SandboxServer, build_server
from tests.sandbox.helpers import KEY, NOW


@pytest.fixture
def server(capfd: pytest.CaptureFixture[str]) -> Iterator[SandboxServer]:
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    server = build_server(SandboxConfig(now=NOW), host="127.0.0.1", port=sock.getsockname()[1])
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.01)
    server.banner = capfd.readouterr().err  # what was printed on start-up
    yield server
    server.should_exit = True
    thread.join(10)
    sock.close()


def test_drop_is_a_transport_error_over_tcp(server: SandboxServer, capfd):
    sandbox: Sandbox = server.config.app.state.sandbox
    base = f"http://127.0.0.1:{server.bound_port()}"
    org = sandbox.primary_organization_id()
    with httpx2.Client(base_url=base, headers={"X-API-KEY": KEY}, timeout=5) as client:
        assert client.get(f"/api/v2/organizations/{org}/agents").status_code == 200
        sandbox.faults.script("drop", path_contains="/contacts")
        with pytest.raises((httpx2.RemoteProtocolError, httpx2.ReadError)):
            client.get(f"/api/v2/organizations/{org}/contacts")
        assert sandbox.requests[-1].status == 0
        # The server survives and keeps answering.
        assert client.get(f"/api/v2/organizations/{org}/contacts").status_code == 200
    expected = f"HyperRep sandbox on http://127.0.0.1:{server.bound_port()} (API key: sandbox-key)\n"
    assert server.banner == expected
    assert (
        "Exception in ASGI application" not in capfd.readouterr().err
    )  # the deliberate drop is not logged as a crash


def test_serve_stays_the_function_whichever_sandbox_modules_are_loaded():
    """`hyperrep_mcp.sandbox.serve` is the function the CLI runs; a submodule of the same name would
    replace it on the package as soon as anything imported that submodule."""
    import importlib
    import inspect
    import pkgutil

    import hyperrep_mcp.sandbox as package

    submodules = {m.name for m in pkgutil.iter_modules(package.__path__)}
    assert not submodules & set(package.__all__), "a public name of the package is also a submodule"
    for name in submodules:
        importlib.import_module(f"{package.__name__}.{name}")
    from hyperrep_mcp.sandbox import serve

    assert inspect.isfunction(serve) and package.serve is serve
    assert list(inspect.signature(serve).parameters) == ["config", "host", "port"]
