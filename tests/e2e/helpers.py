"""Running the real `hyperrep-mcp` console script as a child process, with bounded waits.

Every child gets a minimal environment (what a desktop client passes), never the test runner's
HYPERREP_* variables, and is always terminated (then killed) when the test is done.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import httpx2

from hyperrep_mcp.sandbox import Sandbox, SandboxConfig

SCRIPT = Path(sys.executable).with_name("hyperrep-mcp")  # the venv's console script
START_TIMEOUT_S = 15.0


def command(*args: str) -> list[str]:
    """The console script (as installed by the project), else the module: same entry point."""
    if SCRIPT.exists():
        return [str(SCRIPT), *args]
    return [sys.executable, "-m", "hyperrep_mcp", *args]


def child_env(**extra: str) -> dict[str, str]:
    """PATH and HOME only (like an MCP client's spawn), plus `extra`."""
    env = {name: os.environ[name] for name in ("PATH", "HOME", "SYSTEMROOT", "TMPDIR") if name in os.environ}
    env.update(extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@cache
def reference() -> Sandbox:
    """The data the demo's in-process sandbox holds (same seed, deterministic IDs and names)."""
    return Sandbox(SandboxConfig())


def big_org_name() -> str:
    data = reference().data
    return data.org(data.fixtures.big_org_id).org.name


@dataclass
class Child:
    proc: subprocess.Popen[bytes]
    url: str
    stderr_path: Path

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def stderr(self) -> str:
        return self.stderr_path.read_text(errors="replace")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 10.0) -> tuple[int, float]:
        """Send `sig`; return (exit code, seconds it took to exit)."""
        started = time.monotonic()
        self.proc.send_signal(sig)
        code = self.proc.wait(timeout)
        return code, time.monotonic() - started


@contextmanager
def http_server(*args: str, env: dict[str, str] | None = None, port: int | None = None) -> Iterator[Child]:
    """`hyperrep-mcp serve --transport http --port P ARGS`, up once /healthz answers 200."""
    port = port or free_port()
    with tempfile.TemporaryDirectory() as tmp:
        stderr_path = Path(tmp) / "stderr.txt"
        with stderr_path.open("wb") as err:
            proc = subprocess.Popen(
                command("serve", "--transport", "http", "--port", str(port), *args),
                env=env if env is not None else child_env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=err,
            )
        child = Child(proc, f"http://127.0.0.1:{port}", stderr_path)
        try:
            wait_until_healthy(child)
            yield child
        finally:
            if proc.poll() is None:
                proc.terminate()
                try:
                    proc.wait(10)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(5)


def wait_until_healthy(child: Child, headers: dict[str, str] | None = None) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if child.proc.poll() is not None:
            raise AssertionError(f"server exited with {child.proc.returncode}:\n{child.stderr()}")
        try:
            if httpx2.get(f"{child.url}/healthz", headers=headers, timeout=1.0).status_code == 200:
                return
        except httpx2.TransportError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"server did not answer /healthz within {START_TIMEOUT_S} s:\n{child.stderr()}")


def run_cli(
    *args: str, env: dict[str, str] | None = None, timeout: float = 30.0
) -> subprocess.CompletedProcess[str]:
    """One short-lived command; output captured as text."""
    return subprocess.run(
        command(*args),
        env=env if env is not None else child_env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=timeout,
        check=False,
    )
