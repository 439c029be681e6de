"""The bench's helper processes (the sandbox, the delay proxy): started, announced, stopped."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def start_child(module: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    """`python -m module args` with the repository importable, and the first line it prints (what it
    announces once it accepts connections). RuntimeError if it exits before saying anything."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", module, *args],
        cwd=ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        stop_child(proc)
        raise RuntimeError(f"python -m {module} exited before it was ready")
    return proc, line


def stop_child(proc: subprocess.Popen[str]) -> None:
    proc.terminate()
    try:
        proc.wait(10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(5)
