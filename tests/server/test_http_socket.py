"""Small guarantees of the HTTP/embedding set-up that the bench found to matter."""

from __future__ import annotations

import logging
import socket

from hyperrep_mcp.config import load_settings
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.http import _listening_socket


def test_the_workers_listening_socket_has_nodelay():
    """Without TCP_NODELAY every reused connection to a --workers N server stalled ~40 ms."""
    sock = _listening_socket("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
        assert sock.proto == socket.IPPROTO_TCP
    finally:
        sock.close()


def test_embedding_quiets_per_request_logs_but_respects_a_chosen_level(monkeypatch):
    for name in ("httpx2", "httpcore2"):
        monkeypatch.setattr(logging.getLogger(name), "level", logging.NOTSET)
    build_server(load_settings(api_key="k"))
    assert logging.getLogger("httpx2").level == logging.WARNING
    logging.getLogger("httpx2").setLevel(logging.DEBUG)  # the embedder's choice
    build_server(load_settings(api_key="k"))
    assert logging.getLogger("httpx2").level == logging.DEBUG
