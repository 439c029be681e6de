"""A canary API key never appears in a tool result, an error, a log record or a repr — in any failure mode.

Logs are captured at DEBUG for every logger (ours, the SDK's, httpx2's, httpcore2's, stamina's, and h2's
and hpack's against an upstream that offers HTTP/2) *without* the CLI's redaction filter, so the test
proves nobody logs the key, not merely that the filter hides it.
"""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

import pytest
import stamina
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import Route

from hyperrep_mcp.api import HyperRepClient, HyperRepError
from hyperrep_mcp.config import load_settings
from tests.server.tools.snapshot import PINNED, read_examples
from tests.support import HypercornThread, RunningSandbox, UvicornThread, connect, text_of, tls_files

pytestmark = pytest.mark.anyio
CANARY = "sk-canary-7f3a9c1e5b2d4f6a8091"


@pytest.fixture(autouse=True)
def instant_retries():
    """Retries still happen (the paths under test) but without backoff waits: timing is not tested here."""
    stamina.set_testing(True, attempts=2, cap=True)
    yield
    stamina.set_testing(False)


def leaks(value: Any) -> bool:
    return CANARY in (value if isinstance(value, str) else json.dumps(value, default=str))


def assert_clean(results: list[Any], caplog: pytest.LogCaptureFixture) -> None:
    for result in results:
        assert not leaks(text_of(result)), text_of(result)
        assert not leaks(result.structured_content or {})
    for record in caplog.records:
        rendered = record.getMessage() + (
            logging.Formatter().formatException(record.exc_info) if record.exc_info else ""
        )
        assert CANARY not in rendered, f"{record.name}: {rendered[:200]}"


async def call_everything(client: Any, sb: RunningSandbox) -> list[Any]:
    """Every read tool's example (on a sandbox generated at PINNED), each write, and two errors."""
    fx = sb.sandbox.data.fixtures
    org = sb.sandbox.data.org(sb.org)
    draft_id = next(iter(org.message_drafts))
    calls = [
        *read_examples(),
        ("create_contact", {"name": "Canary Test", "email": "canary.test@example.com"}),
        (
            "create_message_draft",
            {"modality": "email", "to_email": "hal@example.com", "subject": "s", "body_text": "b"},
        ),
        ("upsert_response_draft", {"conversation_id": fx.hal_contact_id, "body_text": "x"}),
        ("delete_message_draft", {"draft_id": draft_id}),
        ("get_contact", {"contact_id": "missing"}),
        ("list_contacts", {"cursor": "garbage"}),
    ]
    return [await client.call_tool(name, args) for name, args in calls]


async def test_canary_never_leaks_on_the_happy_and_error_paths(sandbox_factory, caplog):
    caplog.set_level(logging.DEBUG)
    sb = sandbox_factory(api_key=CANARY, now=PINNED)
    async with connect(sb, api_key=CANARY, clock=lambda: PINNED) as client:
        results = await call_everything(client, sb)
    reads = results[: len(read_examples())]
    assert not any(r.is_error for r in reads), [text_of(r) for r in reads if r.is_error]  # they really ran
    assert sum(not r.is_error for r in results) >= len(reads) + 2  # both creates
    assert_clean(results, caplog)


@pytest.mark.parametrize(
    ("kind", "params"),
    [
        ("status", {"status": 500}),
        ("status", {"status": 503}),
        ("rate_limit", {"retry_after": "0"}),
        ("drop", {}),
        ("malformed", {}),
        ("html_error", {}),
        ("commit_then_fail", {}),
    ],
)
async def test_canary_never_leaks_under_faults(sandbox_factory, caplog, kind, params):
    caplog.set_level(logging.DEBUG)
    sb = sandbox_factory(api_key=CANARY, now=PINNED)
    sb.sandbox.faults.script(kind, times=40, **params)
    # index_days=2: the index tools still sync under the fault, over a few days' conversations
    async with connect(sb, api_key=CANARY, max_retries=1, clock=lambda: PINNED, index_days=2) as client:
        results = await call_everything(client, sb)
    assert any(r.is_error for r in results) or kind in ("rate_limit", "commit_then_fail")
    assert_clean(results, caplog)


async def test_wrong_key_errors_do_not_echo_any_key(sandbox_factory, caplog):
    caplog.set_level(logging.DEBUG)
    sb = sandbox_factory(now=PINNED)
    async with connect(sb, api_key=CANARY, clock=lambda: PINNED) as client:  # another key: 403 everywhere
        results = await call_everything(client, sb)
    assert all(r.is_error for r in results)
    assert all("HYPERREP_API_KEY" in text_of(r) for r in results if "organization" not in text_of(r).lower())
    assert_clean(results, caplog)


def echoing_upstream() -> Starlette:
    """A hostile upstream whose error bodies echo the request's headers back."""

    async def echo_json(request: Request) -> JSONResponse:
        return JSONResponse({"detail": f"bad request, headers were {dict(request.headers)}"}, status_code=400)

    async def echo_text(request: Request) -> PlainTextResponse:
        return PlainTextResponse(f"<html>proxy error for key {request.headers.get('x-api-key')}</html>", 502)

    return Starlette(
        routes=[
            Route("/api/v2/organizations", echo_json),
            Route("/api/v2/organizations/{org}/contacts", echo_text),
            Route("/api/v2/organizations/{org}/conversations", echo_json),
        ]
    )


async def test_error_bodies_that_echo_the_key_are_scrubbed(caplog):
    caplog.set_level(logging.DEBUG)
    with UvicornThread(echoing_upstream()) as upstream:
        settings = load_settings(api_key=CANARY, base_url=upstream.url, max_retries=0)
        from mcp import Client

        from hyperrep_mcp.server.app import build_server

        async with Client(build_server(settings, default_organization_id="org")) as client:
            results = [
                await client.call_tool("list_organizations", {}),
                await client.call_tool("list_contacts", {}),
                await client.call_tool("list_conversations", {}),
            ]
    assert all(r.is_error for r in results)
    assert "[redacted]" in text_of(results[0])  # the echoed header was kept as context, minus the secret
    assert_clean(results, caplog)


def test_reprs_hide_the_key():
    settings = load_settings(api_key=CANARY, mcp_token="tok-" + CANARY, mcp_state_key=CANARY * 2)
    api = HyperRepClient(CANARY)
    for thing in (settings, api, settings.model_dump(), settings.model_dump_json()):
        assert not leaks(repr(thing)) and not leaks(str(thing))


# --- an HTTP/2-capable upstream, every logger at DEBUG (issue 12, finding 7) -----------------------

# hpack writes each header it encodes ("Adding b'x-api-key'=b'...'") and the encoded block at DEBUG.
HTTP_STACK_LOGGERS = ("h2", "hpack", "httpcore2", "httpx2", "hyperrep_mcp")


@pytest.fixture
def h2_upstream(tmp_path):
    certfile, keyfile, trusting = tls_files(tmp_path)
    with HypercornThread(certfile, keyfile, ["h2", "http/1.1"], latency_ms=0, api_key=CANARY) as server:
        yield server, trusting


async def test_canary_never_leaks_into_debug_logs_against_an_http2_upstream(h2_upstream, caplog):
    server, trusting = h2_upstream
    caplog.set_level(logging.DEBUG)
    for name in HTTP_STACK_LOGGERS:
        caplog.set_level(logging.DEBUG, logger=name)
    sandbox = server.app.state.sandbox
    org = sandbox.data.fixtures.big_org_id
    contact_id = next(iter(sandbox.data.org(org).contacts))
    sandbox.faults.script("status", times=1, status=503, path_contains="/contacts/")
    me = threading.get_ident()  # the upstream's own (server-side) decoding runs in its thread
    async with HyperRepClient(
        CANARY, base_url=server.url, ssl_context=trusting, retry_wait_initial=0.01
    ) as api:
        assert await api.list_organizations()
        assert (await api.get_contact(org, contact_id)).contact_id == contact_id  # after a retried 503
        await api.create_contact(org, {"name": "Canary Test", "email": "canary.h2@example.com"})
        with pytest.raises(HyperRepError):
            await api.get_contact(org, "HR_id_nobody")
    ours = [r for r in caplog.records if r.thread == me]
    assert any(r.name.startswith("httpcore2") for r in ours)  # the HTTP stack's DEBUG output was captured
    for record in ours:
        assert CANARY not in record.getMessage(), f"{record.name}: {record.getMessage()[:200]}"
