"""Scale-out: two replica processes behind a "load balancer" that sends each round trip elsewhere.

Protocol 2026-07-28 is sessionless: an autosend confirmation is two tools/call requests, the second
carrying the person's answer and the sealed request state of the first. With one shared
HYPERREP_MCP_STATE_KEY any replica can finish what another started; with different keys the second
replica must refuse cleanly and nothing may be sent.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client
from mcp.types import ElicitResult

from tests.e2e.helpers import Child, child_env, http_server
from tests.support import HTTP_TIMEOUT_S, SANDBOX_KEY, RunningSandbox, text_of

pytestmark = pytest.mark.anyio


class SplitRoundTrips(httpx2.AsyncBaseTransport):
    """Sends the n-th tools/call to replica n (mod the number of replicas); everything else to the first."""

    def __init__(self, replicas: list[Child]) -> None:
        self.replicas = replicas
        self.inner = httpx2.AsyncHTTPTransport()
        self.tool_calls: list[int] = []  # which replica served each tools/call

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        target = self.replicas[0]
        if request.method == "POST":
            body = json.loads(request.content or b"{}")
            if isinstance(body, dict) and body.get("method") == "tools/call":
                index = len(self.tool_calls) % len(self.replicas)
                self.tool_calls.append(index)
                target = self.replicas[index]
        request.url = request.url.copy_with(port=target.port)
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


@contextmanager
def replicas(sb: RunningSandbox, keys: list[str]) -> Iterator[list[Child]]:
    with ExitStack() as stack:
        children = []
        for key in keys:
            env = child_env(
                HYPERREP_API_KEY=SANDBOX_KEY,
                HYPERREP_BASE_URL=sb.url,
                HYPERREP_ORGANIZATION_ID=sb.org,
                HYPERREP_WRITE_MODE="autosend",
                HYPERREP_MCP_STATE_KEY=key,
            )
            children.append(stack.enter_context(http_server("--stateless", env=env)))
        yield children


async def confirm_send(context: Any, params: Any) -> ElicitResult:
    return ElicitResult(action="accept", content={"send": True})


DRAFT = {
    "modality": "email",
    "to_email": "hal@example.com",
    "subject": "Your quote",
    "body_text": "Confirmed on one replica, sent from another.",
    "autosend_draft": True,
}


async def call_across(children: list[Child]) -> tuple[Any, SplitRoundTrips]:
    transport = SplitRoundTrips(children)
    async with httpx2.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT_S) as http:
        url = f"{children[0].url}/mcp"
        async with Client(
            streamable_http_client(url, http_client=http), elicitation_callback=confirm_send
        ) as client:
            assert client.protocol_version == "2026-07-28"
            return await client.call_tool("create_message_draft", DRAFT), transport


def posted_drafts(sb: RunningSandbox) -> list[Any]:
    return [w for w in sb.sandbox.writes() if w.method == "POST" and "/message-drafts" in w.path]


async def test_a_confirmation_started_on_one_replica_completes_on_another(sandbox: RunningSandbox):
    key = os.urandom(32).hex()
    with replicas(sandbox, [key, key]) as children:
        result, transport = await call_across(children)
    assert not result.is_error, text_of(result)
    assert transport.tool_calls[:2] == [0, 1]  # round one on replica A, the answer on replica B
    assert result.structured_content["sent"] is True and "Queued to send" in text_of(result)
    [post] = posted_drafts(sandbox)
    assert post.json["autosend_draft"] is True


async def test_replicas_with_different_keys_refuse_cleanly_and_send_nothing(sandbox: RunningSandbox):
    with replicas(sandbox, [os.urandom(32).hex(), os.urandom(32).hex()]) as children:
        result, transport = await call_across(children)
    assert transport.tool_calls == [0, 1]  # the answer reached the replica that cannot open the state
    assert result.is_error
    assert text_of(result).startswith("Nothing was sent or saved") and "HYPERREP_MCP_STATE_KEY" in text_of(
        result
    )
    assert posted_drafts(sandbox) == []


# --- one confirmation, one send (issue 12, finding 4) ---------------------------------------------


class RecordingRoundTrips(SplitRoundTrips):
    """SplitRoundTrips that also keeps the final round (the tools/call carrying the person's answer and
    the sealed request state) byte for byte, so a test can send it again as an attacker would."""

    def __init__(self, replicas: list[Child]) -> None:
        super().__init__(replicas)
        self.final_rounds: list[tuple[dict[str, str], bytes]] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        if request.method == "POST":
            body = json.loads(request.content or b"{}")
            if isinstance(body, dict) and (body.get("params") or {}).get("requestState"):
                self.final_rounds.append((dict(request.headers), bytes(request.content)))
        return await super().handle_async_request(request)


async def replay(child: Child, headers: dict[str, str], content: bytes) -> str:
    """POST the recorded final round to `child` again, as raw protocol bytes."""
    keep = {k: v for k, v in headers.items() if k.lower() not in ("host", "content-length")}
    async with httpx2.AsyncClient(timeout=HTTP_TIMEOUT_S) as http:
        response = await http.post(f"{child.url}/mcp", headers=keep, content=content)
    assert response.status_code == 200, response.text
    return response.text


async def confirm_once(children: list[Child], draft: dict[str, Any]) -> RecordingRoundTrips:
    transport = RecordingRoundTrips(children)
    async with (
        httpx2.AsyncClient(transport=transport, timeout=HTTP_TIMEOUT_S) as http,
        Client(
            streamable_http_client(f"{children[0].url}/mcp", http_client=http),
            elicitation_callback=confirm_send,
        ) as client,
    ):
        result = await client.call_tool(draft["tool"], draft["args"])
    assert not result.is_error, text_of(result)
    assert result.structured_content["sent"] is True
    [_final] = transport.final_rounds
    return transport


def sends(sb: RunningSandbox) -> list[Any]:
    return [
        w for w in sb.sandbox.writes() if w.method == "POST" and (w.json or {}).get("autosend_draft") is True
    ]


@pytest.mark.parametrize("tool", ["create_message_draft", "upsert_response_draft"])
async def test_replaying_the_final_round_sends_nothing_more(sandbox: RunningSandbox, tool: str):
    conv = sandbox.sandbox.data.fixtures.diana_email_conversation_id
    args = (
        DRAFT
        if tool == "create_message_draft"
        else {"conversation_id": conv, "body_text": "Confirmed once.", "autosend_draft": True}
    )
    with replicas(sandbox, [os.urandom(32).hex()]) as [only]:
        transport = await confirm_once([only], {"tool": tool, "args": args})
        headers, content = transport.final_rounds[0]
        answers = [await replay(only, headers, content) for _ in range(3)]
        sandbox.sandbox.advance(30)  # the queued one is sent (promoted): replays after that too
        answers.append(await replay(only, headers, content))
    assert len(sends(sandbox)) == 1
    assert all("Not sent again" in a and '"isError":false' in a.replace(" ", "") for a in answers), answers


@pytest.mark.parametrize("tool", ["create_message_draft", "upsert_response_draft"])
async def test_the_same_answer_at_a_second_replica_sends_nothing_more(sandbox: RunningSandbox, tool: str):
    """Replica B has never seen this confirmation (its used-set is its own): it finds the first send
    upstream before sending, so the answer replayed there sends nothing."""
    conv = sandbox.sandbox.data.fixtures.diana_email_conversation_id
    args = (
        DRAFT
        if tool == "create_message_draft"
        else {"conversation_id": conv, "body_text": "Confirmed at A.", "autosend_draft": True}
    )
    key = os.urandom(32).hex()
    with replicas(sandbox, [key, key]) as children:
        transport = await confirm_once(children, {"tool": tool, "args": args})
        assert transport.tool_calls[:2] == [0, 1]  # asked at A, answered (and sent) at B
        headers, content = transport.final_rounds[0]
        at_a = await replay(children[0], headers, content)
        sandbox.sandbox.advance(30)
        at_a_later = await replay(children[0], headers, content)
    assert len(sends(sandbox)) == 1
    assert "Not sent again" in at_a and "Not sent again" in at_a_later
