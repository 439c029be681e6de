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
from tests.support import SANDBOX_KEY, RunningSandbox, text_of

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
    async with httpx2.AsyncClient(transport=transport) as http:
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
