"""The upstream side of the bench: the sandbox as a separate process over real HTTP (like a
remote API: its CPU time is not ours and runs on the other core), the bench's extra data, and
what the sandbox's request log says about a call (how many requests, how many sequential round
trips). Run as ``python -m bench.upstream --latency-ms 50``: prints one JSON line (url, data), serves.

The listening socket is created with ``IPPROTO_TCP`` on purpose. A plain ``socket.socket()`` has
proto 0, asyncio then skips ``TCP_NODELAY`` on the accepted connections, and every request after
the first on a keep-alive connection waits ~40 ms for a delayed ACK (Nagle): that would swamp
every latency measured here.
"""

from __future__ import annotations

import argparse
import json
import socket
import subprocess
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from datetime import timedelta
from typing import Any
from urllib.parse import parse_qs

import httpx2
import uvicorn
from starlette.types import ASGIApp, Receive, Scope, Send

from hyperrep_mcp.sandbox import Sandbox, SandboxConfig, create_app
from hyperrep_mcp.sandbox.dataset import OrgData
from hyperrep_mcp.sandbox.records import Contact, Message

from .child import start_child, stop_child

API_KEY = "sandbox-key"
LOG_PATH = "/__bench/requests"


@dataclass(frozen=True)
class Seen:
    """One request in the sandbox's log: when it arrived (time.monotonic(), system-wide on Linux)."""

    at: float
    method: str
    path: str
    status: int


# --- the bench's data: 500 contacts and one 50-message thread ------------------------------------


@dataclass(frozen=True)
class BenchData:
    org_id: str
    contact_id: str  # a contact with a company and several conversations (Diana)
    long_thread_id: str  # an email conversation with `thread_messages` messages
    long_thread_messages: int
    contacts: int
    query: str  # matches a few contacts; a search for it scans every contact


def pad_dataset(sandbox: Sandbox, *, contacts: int = 500, thread_messages: int = 50) -> BenchData:
    """Grow the big organization to `contacts` contacts and give one old email conversation
    `thread_messages` messages (the generated data has 400 contacts and threads of at most 10).

    New contacts recombine generated first and last names; new messages are generated email
    messages of other threads (bodies, quoting, signatures as generated), re-addressed and re-dated
    to continue the thread. The thread stays older than 8 days so "the last 7 days" is unchanged.
    """
    fixtures = sandbox.data.fixtures
    org = sandbox.data.org(fixtures.big_org_id)
    assert org is not None
    now = sandbox.now()
    _add_contacts(org, sandbox, contacts - len(org.contacts), now)
    thread_id = _grow_thread(org, sandbox, thread_messages, now)
    return BenchData(
        org_id=org.organization_id,
        contact_id=fixtures.diana_contact_id,
        long_thread_id=thread_id,
        long_thread_messages=len(org.messages(thread_id)),
        contacts=len(org.contacts),
        query="diana",
    )


def _add_contacts(org: OrgData, sandbox: Sandbox, count: int, now: Any) -> None:
    existing = list(org.contacts.values())
    named = [c for c in existing if c.name and len(c.name.split()) == 2]
    for i in range(max(0, count)):
        first = named[i % len(named)].name.split()[0]  # type: ignore[union-attr]
        last = named[(i * 7 + 3) % len(named)].name.split()[1]  # type: ignore[union-attr]
        source = existing[i % len(existing)]
        cid = sandbox.new_id("contact")
        org.contacts[cid] = replace(
            source,
            contact_id=cid,
            name=f"{first} {last}",
            email=f"{first}.{last}{i}@example.net".lower(),
            phone_number=f"513-555-{i:04d}",
            created_at=now - timedelta(hours=12) + timedelta(seconds=i),
        )


def _grow_thread(org: OrgData, sandbox: Sandbox, total: int, now: Any) -> str:
    """Pick the oldest-active email conversation with the most messages that ended 30-200 days
    ago, and continue it with other email threads' messages up to `total` messages."""
    window = [
        c
        for c in org.conversations.values()
        if c.modality == "email" and timedelta(days=30) < now - c.last_activity_at < timedelta(days=200)
    ]
    target = max(window, key=lambda c: (len(c.plan), c.conversation_id))
    contact: Contact = org.contacts[target.contact_id]
    have = org.messages(target.conversation_id)
    subject = have[0].subject or ""
    reply_subject = subject if subject.lower().startswith("re:") else f"Re: {subject}"
    donors = sorted(
        (
            c
            for c in org.conversations.values()
            if c.modality == "email" and c is not target and len(c.plan) >= 4
        ),
        key=lambda c: c.conversation_id,
    )
    clones: list[Message] = []
    for donor in donors:
        clones.extend(org.messages(donor.conversation_id))
        if len(have) + len(clones) >= total:
            break
    clones = clones[: max(0, total - len(have))]
    # Continue after the last message, hours apart, ending at least 8 days before now.
    start = have[-1].sent_at
    step = min(timedelta(hours=6), (now - timedelta(days=8) - start) / max(1, len(clones) + 1))
    for i, source in enumerate(clones, 1):
        inbound = source.direction == "inbound"
        org.append_message(
            replace(
                source,
                message_id=sandbox.new_id("message"),
                conversation_id=target.conversation_id,
                subject=reply_subject,
                sender_name=contact.name if inbound else source.sender_name,
                sender_email=contact.email if inbound else source.sender_email,
                sender_phone_number=contact.phone_number if inbound else source.sender_phone_number,
                sent_at=start + step * i,
                is_read=True,
            )
        )
    return target.conversation_id


# --- what the request log says ------------------------------------------------------------------


def critical_path(records: Sequence[Seen], latency_s: float) -> int:
    """The longest chain of upstream requests that cannot have overlapped: B follows A when B
    arrived at least ~L after A did (A's answer cannot come back sooner). Requests sent together
    arrive within milliseconds of each other, so with L well above the scheduling noise this is
    the number of sequential round trips the call made, independent of wall time."""
    if not records:
        return 0
    gap = 0.8 * latency_s
    ordered = sorted(records, key=lambda r: r.at)
    depth: list[int] = []
    for i, r in enumerate(ordered):
        before = [depth[j] for j in range(i) if ordered[j].at + gap <= r.at]
        depth.append(1 + max(before, default=0))
    return max(depth)


# --- the sandbox process ------------------------------------------------------------------------


class WithRequestLog:
    """The sandbox app, plus GET /__bench/requests?since=&until= answering its request log as JSON
    (the bench reads it between calls; those reads are not in the log)."""

    def __init__(self, app: ASGIApp, sandbox: Sandbox) -> None:
        self.app = app
        self.sandbox = sandbox

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != LOG_PATH:
            await self.app(scope, receive, send)
            return
        query = parse_qs(scope.get("query_string", b"").decode())
        since = float(query.get("since", ["0"])[0])
        until = float(query.get("until", ["inf"])[0])
        seen = [
            asdict(Seen(r.at, r.method, r.path, r.status))
            for r in list(self.sandbox.requests)
            if since <= r.at <= until
        ]
        body = json.dumps(seen).encode()
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def build_app(
    *, latency_ms: float, contacts: int, thread_messages: int
) -> tuple[ASGIApp, Sandbox, BenchData]:
    app = create_app(SandboxConfig(api_key=API_KEY, latency_ms=latency_ms))
    sandbox: Sandbox = app.state.sandbox
    data = pad_dataset(sandbox, contacts=contacts, thread_messages=thread_messages)
    return WithRequestLog(app, sandbox), sandbox, data


class _Announcing(uvicorn.Server):
    """Prints the line the parent waits for once the socket accepts connections."""

    def __init__(self, config: uvicorn.Config, line: str) -> None:
        super().__init__(config)
        self.line = line

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        print(self.line, flush=True)


def main(argv: list[str] | None = None) -> None:
    p = argparse.ArgumentParser(prog="python -m bench.upstream")
    p.add_argument("--latency-ms", type=float, default=0.0)
    p.add_argument("--contacts", type=int, default=500)
    p.add_argument("--thread-messages", type=int, default=50)
    args = p.parse_args(argv)
    app, _, data = build_app(
        latency_ms=args.latency_ms, contacts=args.contacts, thread_messages=args.thread_messages
    )
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    line = json.dumps({"url": f"http://127.0.0.1:{sock.getsockname()[1]}", "data": asdict(data)})
    # The standard loop even where uvloop is installed: the sandbox's own cost per request stays
    # the same from one environment to the next, so depth figures compare.
    config = uvicorn.Config(app, log_level="warning", lifespan="off", loop="asyncio")
    _Announcing(config, line).run(sockets=[sock])


class SandboxProcess:
    """`python -m bench.upstream` in a child process: `url`, `data`, `pid`, and its request log."""

    def __init__(
        self,
        *,
        latency_ms: float = 0.0,
        contacts: int = 500,
        thread_messages: int = 50,
    ) -> None:
        self.latency_ms = latency_ms
        self.args = [
            "--latency-ms", str(latency_ms), "--contacts", str(contacts),
            "--thread-messages", str(thread_messages),
        ]  # fmt: skip
        self.proc: subprocess.Popen[str] | None = None
        self.url = ""
        self.data: BenchData | None = None

    def __enter__(self) -> SandboxProcess:
        self.proc, line = start_child("bench.upstream", *self.args)
        config = json.loads(line)
        self.url = config["url"]
        self.data = BenchData(**config["data"])
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc is not None:
            stop_child(self.proc)

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    async def requests_between(self, t0: float, t1: float) -> list[Seen]:
        """The requests that arrived in [t0, t1] (time.monotonic() of this process: same clock)."""
        async with httpx2.AsyncClient(base_url=self.url, timeout=30) as http:
            response = await http.get(LOG_PATH, params={"since": repr(t0), "until": repr(t1)})
        response.raise_for_status()
        return [Seen(**r) for r in response.json()]


if __name__ == "__main__":
    main()
