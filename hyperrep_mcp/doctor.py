"""`hyperrep-mcp doctor`: check the setup, then print ready-to-paste client configurations.

Checks, in order: the API key is set (never shown: only its length), the base URL, that the API
answers and accepts the key (listing organizations with a short timeout), whether
HYPERREP_ORGANIZATION_ID is one of them, and what the write mode allows. Every failed check says
how to fix it. The configurations for Claude Desktop, Claude Code, Cursor, VS Code and a generic
Streamable HTTP client carry this machine's settings and a placeholder instead of the key.

Output goes to stdout (this is not the stdio server). Exit code 0 when every check passes, 1 when
one fails.
"""

from __future__ import annotations

import json
import shlex
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from hyperrep_mcp import __version__
from hyperrep_mcp.assembly import check_tools, demo_transport
from hyperrep_mcp.config import DEFAULT_BASE_URL, DEFAULT_WRITE_MODE, ConfigError, Settings

KEY_PLACEHOLDER = "<your HyperRep API key>"
TOKEN_PLACEHOLDER = "<your HYPERREP_MCP_TOKEN>"  # noqa: S105 - a placeholder, not a secret
URL_PASSWORD_PLACEHOLDER = "<password>"  # noqa: S105 - a placeholder, not a secret
SERVER_NAME = "hyperrep"
PACKAGE = "hyperrep-mcp"
PROBE_TIMEOUT_S = 10.0  # a doctor that hangs for the default 30 s x retries helps nobody
HTTP_PORT = 8000
INDENT = " " * 24  # under a check's summary


@dataclass
class Check:
    name: str
    ok: bool | None  # None: informational
    summary: str
    details: list[str] = field(default_factory=list)
    fix: str | None = None

    def lines(self) -> list[str]:
        mark = {True: "ok", False: "FAIL", None: "--"}[self.ok]
        out = [f"  [{mark:^4}] {self.name:<14} {self.summary}"]
        out += [f"{INDENT}{line}" for line in self.details]
        if self.fix:
            out.append(f"{INDENT}fix: {self.fix}")
        return out


@dataclass
class Probe:
    """What the API said when asked for the organizations."""

    organizations: list[tuple[str, str]] | None = None  # (organization_id, name)
    reachable: bool = False
    error: Exception | None = None
    elapsed_ms: float = 0.0


def run_doctor(settings: Settings, *, demo: bool = False) -> tuple[str, int]:
    """The report, and 0 when every check passes, 1 otherwise (the CLI prints it)."""
    checks = [_key_check(settings, demo), _base_url_check(settings, demo)]
    if settings.api_key is None or checks[1].ok is False:
        checks.append(Check("API", None, "not contacted (fix the checks above first)"))
    else:
        probe = _probe(settings, demo)
        checks += _api_checks(settings, probe, demo)
    checks += [_write_mode_check(settings), _tools_check(settings), _token_check(settings)]

    failed = [c for c in checks if c.ok is False]
    lines = [f"hyperrep-mcp doctor ({__version__}){' - demo: the built-in sandbox' if demo else ''}", ""]
    for check in checks:
        lines += check.lines()
    lines.append("")
    if failed:
        lines.append(f"{len(failed)} check(s) failed: {', '.join(c.name for c in failed)}. See 'fix:' above.")
    else:
        lines.append("All checks passed.")
    lines += ["", *client_configs(settings, demo=demo)]
    return _redacted(lines, settings), 1 if failed else 0


def report_config_error(exc: ConfigError) -> tuple[str, int]:
    """The configuration could not even be loaded: say which setting and how to fix it."""
    lines = [
        f"hyperrep-mcp doctor ({__version__})\n",
        Check("Configuration", False, str(exc)).lines()[0],
        "\n1 check(s) failed: Configuration. Fix that setting and run `hyperrep-mcp doctor` again.",
    ]
    return "\n".join(lines), 1


def _redacted(lines: list[str], settings: Settings) -> str:
    """The report with every secret removed: nothing in it may ever show one."""
    secrets = [
        s.get_secret_value() for s in (settings.api_key, settings.mcp_token, settings.mcp_state_key) if s
    ]
    secrets.append(urlsplit(settings.base_url).password or "")  # user:password@ in the URL, if any
    text = "\n".join(lines)
    for secret in secrets:
        if len(secret) >= 4:
            text = text.replace(secret, "[redacted]")
    return text


# --- checks ------------------------------------------------------------------------------------


def _key_check(settings: Settings, demo: bool) -> Check:
    if demo:
        return Check("API key", True, "the sandbox's demo key (--demo)")
    if settings.api_key is None:
        return Check(
            "API key",
            False,
            "HYPERREP_API_KEY is not set",
            fix="export HYPERREP_API_KEY=... (your HyperRep API key), or try the sandbox with --demo",
        )
    key = settings.api_key.get_secret_value()
    check = Check("API key", True, f"set ({len(key)} characters)")
    if key != key.strip():
        check.ok, check.fix = False, "the key has leading or trailing spaces: remove them"
    return check


def _base_url_check(settings: Settings, demo: bool) -> Check:
    if demo:
        return Check("Base URL", True, "in-process sandbox (no network)")
    url = _display_url(settings.base_url)
    default = " (default)" if settings.base_url == DEFAULT_BASE_URL else ""
    check = Check("Base URL", True, f"{url}{default}")
    path = urlsplit(settings.base_url).path
    if path not in ("", "/"):
        check.ok = False
        check.fix = (
            f"HYPERREP_BASE_URL is the API origin only, without a path: "
            f"{_display_url(urlunsplit(urlsplit(settings.base_url)._replace(path='')))}"
        )
    return check


def _probe(settings: Settings, demo: bool) -> Probe:
    import anyio

    from hyperrep_mcp.api import HyperRepClient
    from hyperrep_mcp.api import errors as e

    transport = None
    if demo:
        transport, _ = demo_transport()
    timeout = min(settings.timeout, PROBE_TIMEOUT_S)

    async def ask() -> Probe:
        started = time.monotonic()
        probe = Probe()
        try:
            async with HyperRepClient(
                settings.api_key_value(),
                base_url=settings.base_url,
                timeout=timeout,
                max_retries=1,
                deadline_s=timeout + 5,
                transport=transport,
            ) as api:
                orgs = await api.list_organizations()
            probe.organizations = [(o.organization_id, o.name or "(unnamed)") for o in orgs]
            probe.reachable = True
        except (e.APIStatusError, e.MalformedResponseError) as exc:  # something answered
            probe.reachable, probe.error = True, exc
        except e.HyperRepError as exc:
            probe.error = exc
        probe.elapsed_ms = (time.monotonic() - started) * 1000
        return probe

    return anyio.run(ask)


def _api_checks(settings: Settings, probe: Probe, demo: bool) -> list[Check]:
    from hyperrep_mcp.api import errors as e

    where = "the sandbox" if demo else _display_url(settings.base_url)
    if not probe.reachable:
        reason = str(probe.error) if probe.error else "no answer"
        return [
            Check(
                "Reachable",
                False,
                f"no answer from {where}",
                details=[reason],
                fix="check HYPERREP_BASE_URL, the network, a proxy (HTTPS_PROXY) or firewall; "
                "raise HYPERREP_TIMEOUT on a slow link",
            )
        ]
    checks = [Check("Reachable", True, f"{where} answered in {probe.elapsed_ms:.0f} ms")]
    if probe.organizations is None:
        error = probe.error
        if isinstance(error, e.AuthError):
            fix = "HYPERREP_API_KEY is not an active key for this account: copy it again from HyperRep"
        elif isinstance(error, e.NotFoundError | e.MalformedResponseError):
            fix = (
                "HYPERREP_BASE_URL does not point at the HyperRep API: use the origin, e.g. "
                + DEFAULT_BASE_URL
            )
        else:
            fix = "retry in a moment; if it persists, the API may be having trouble"
        checks.append(Check("Authenticated", False, "the API refused the request", [str(error)], fix))
        return checks
    orgs = probe.organizations
    listing = [f"- {name}  organization_id={org_id}" for org_id, name in orgs]
    if not orgs:
        checks.append(
            Check(
                "Authenticated",
                False,
                "the key works but sees no organization",
                fix="use a key of a user who belongs to an organization",
            )
        )
        return checks
    plural = "s" if len(orgs) != 1 else ""
    checks.append(Check("Authenticated", True, f"the key sees {len(orgs)} organization{plural}", listing))
    checks.append(_organization_check(settings, orgs, demo))
    return checks


def _organization_check(settings: Settings, orgs: list[tuple[str, str]], demo: bool) -> Check:
    pinned = settings.organization_id
    names = dict(orgs)
    if pinned:
        if pinned in names:
            return Check("Organization", True, f"HYPERREP_ORGANIZATION_ID is {names[pinned]}")
        return Check(
            "Organization",
            False,
            "HYPERREP_ORGANIZATION_ID is not one of this key's organizations",
            fix="set it to one of the organization_id values listed above (or unset it)",
        )
    if demo:
        return Check("Organization", True, f"not pinned; the demo defaults to {orgs[0][1]}")
    if len(orgs) == 1:
        return Check("Organization", True, f"not pinned; the only organization is used: {orgs[0][1]}")
    return Check(
        "Organization",
        None,
        "not pinned: the model passes organization_id to each tool",
        details=["to pin one: export HYPERREP_ORGANIZATION_ID=<an organization_id above>"],
    )


def _write_mode_check(settings: Settings) -> Check:
    policy = settings.write_policy
    asks = [f"needs a person's yes to: {', '.join(sorted(policy.confirms))}"] if policy.confirms else []
    return Check("Write mode", True, f"{policy.mode}: {policy.summary}", details=asks)


def _tools_check(settings: Settings) -> Check:
    try:
        count = check_tools(settings)
    except ConfigError as exc:
        return Check("Tools", False, str(exc), fix="correct HYPERREP_EXCLUDE_TOOLS")
    excluded = f"; excluded: {', '.join(sorted(settings.exclude_tools))}" if settings.exclude_tools else ""
    return Check("Tools", True, f"{count} registered{excluded}")


def _token_check(settings: Settings) -> Check:
    if settings.mcp_token is None:
        return Check(
            "HTTP token", None, "HYPERREP_MCP_TOKEN not set (needed only to serve HTTP beyond localhost)"
        )
    return Check("HTTP token", True, f"set ({len(settings.mcp_token.get_secret_value())} characters)")


def _display_url(url: str, *, password: str | None = None) -> str:
    """The URL without its user:password part (or with `password` in place of the password)."""
    parts = urlsplit(url)
    if parts.username is None and parts.password is None:
        return url
    host = parts.hostname or ""
    netloc = f"{host}:{parts.port}" if parts.port else host
    if password is not None:
        netloc = f"{parts.username or ''}:{password}@{netloc}"
    return urlunsplit(parts._replace(netloc=netloc))


# --- client configurations ---------------------------------------------------------------------


def server_env(settings: Settings, *, demo: bool, key: str = KEY_PLACEHOLDER) -> dict[str, str]:
    """The environment a client should give the server: the key and whatever differs from defaults."""
    env = {"HYPERREP_API_KEY": key}
    if not demo:  # the sandbox's organization and URL mean nothing for a real account
        if settings.organization_id:
            env["HYPERREP_ORGANIZATION_ID"] = settings.organization_id
        if settings.base_url != DEFAULT_BASE_URL:
            env["HYPERREP_BASE_URL"] = _display_url(settings.base_url, password=URL_PASSWORD_PLACEHOLDER)
    if settings.write_mode != DEFAULT_WRITE_MODE:
        env["HYPERREP_WRITE_MODE"] = settings.write_mode
    if settings.exclude_tools:
        env["HYPERREP_EXCLUDE_TOOLS"] = ",".join(sorted(settings.exclude_tools))
    return env


def client_configs(settings: Settings, *, demo: bool) -> list[str]:
    """Ready-to-paste configurations for five kinds of client, with a placeholder for the key."""
    env = server_env(settings, demo=demo)
    stdio = {"command": "uvx", "args": [PACKAGE], "env": env}
    lines = [
        "Client configuration",
        f"Replace {KEY_PLACEHOLDER} with your key (this report never prints it).",
    ]
    if demo:
        lines.append('To try the sandbox in a client first: args ["hyperrep-mcp", "--demo"] and no env.')
    sections: list[tuple[str, Callable[[], list[str]]]] = [
        ("Claude Desktop", lambda: _claude_desktop(stdio)),
        ("Claude Code", lambda: _claude_code(env)),
        ("Cursor", lambda: _cursor(stdio)),
        ("VS Code", lambda: _vscode(env)),
        ("Any Streamable HTTP client", lambda: _http_client(settings, env)),
    ]
    for title, render in sections:
        lines += ["", f"== {title} ==", *render()]
    return lines


def _json(value: Any) -> list[str]:
    return json.dumps(value, indent=2, ensure_ascii=False).splitlines()


def _claude_desktop(stdio: dict[str, Any]) -> list[str]:
    return [
        "claude_desktop_config.json (Settings > Developer > Edit Config;",
        "macOS ~/Library/Application Support/Claude/, Windows %APPDATA%\\Claude\\):",
        *_json({"mcpServers": {SERVER_NAME: stdio}}),
    ]


def _claude_code(env: dict[str, str]) -> list[str]:
    flags = " ".join(f"-e {name}={shlex.quote(value)}" for name, value in env.items())
    return [f"claude mcp add {SERVER_NAME} {flags} -- uvx {PACKAGE}"]


def _cursor(stdio: dict[str, Any]) -> list[str]:
    return [
        ".cursor/mcp.json in your project (or ~/.cursor/mcp.json for every project):",
        *_json({"mcpServers": {SERVER_NAME: stdio}}),
    ]


def _vscode(env: dict[str, str]) -> list[str]:
    input_id = "hyperrep-api-key"
    vs_env = {**env, "HYPERREP_API_KEY": f"${{input:{input_id}}}"}
    config = {
        "inputs": [
            {"type": "promptString", "id": input_id, "description": "HyperRep API key", "password": True}
        ],
        "servers": {SERVER_NAME: {"type": "stdio", "command": "uvx", "args": [PACKAGE], "env": vs_env}},
    }
    return [".vscode/mcp.json (VS Code asks for the key once and stores it securely):", *_json(config)]


def _http_client(settings: Settings, env: dict[str, str]) -> list[str]:
    assignments = " ".join(f"{name}={shlex.quote(value)}" for name, value in env.items())
    url = f"http://127.0.0.1:{HTTP_PORT}/mcp"
    entry: dict[str, Any] = {"type": "http", "url": url}
    lines = [
        "Start the server (it keeps running):",
        f"  {assignments} uvx {PACKAGE} serve --transport http --port {HTTP_PORT}",
        f"then point the client at {url} (health check: GET http://127.0.0.1:{HTTP_PORT}/healthz).",
    ]
    if settings.mcp_token is not None:
        entry["headers"] = {"Authorization": f"Bearer {TOKEN_PLACEHOLDER}"}
        lines.append("HYPERREP_MCP_TOKEN is set here, so clients send it as a bearer token.")
    else:
        lines.append(
            "To serve other machines: --host 0.0.0.0 with HYPERREP_MCP_TOKEN set (clients send "
            "'Authorization: Bearer <token>') and --allowed-host <the name they use>."
        )
    lines += _json({"mcpServers": {SERVER_NAME: entry}})
    return lines
