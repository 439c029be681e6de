"""The `hyperrep-mcp` command: serve (stdio / HTTP), sandbox, call, doctor.

The entry point: it turns flags into settings and hands them to `assembly` (which builds the
server and the HTTP app) or the doctor; nothing imports this module. Heavy imports happen inside
the commands, so `--help` and start-up stay fast. In stdio mode
nothing but protocol goes to stdout: logs go to stderr, secrets redacted. Bad configuration ends
the process with exit code 2 and one line on stderr.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
from typing import Any

from hyperrep_mcp import __version__
from hyperrep_mcp.config import WRITE_MODES, ConfigError, Settings, is_loopback, load_settings
from hyperrep_mcp.logs import THIRD_PARTY_LOGGERS, setup_logging

__all__ = ["THIRD_PARTY_LOGGERS", "main"]

EXIT_CONFIG = 2
SANDBOX_URL = "http://127.0.0.1:8765"  # nominal: --demo talks to the sandbox in-process, not over TCP


def main(argv: list[str] | None = None) -> int:
    parser = _parser()
    args = parser.parse_args(argv)
    command = args.command or "serve"
    try:
        if command == "sandbox":
            return _sandbox(args)
        if command == "doctor":
            return _doctor(args)
        settings = _settings(args)
        # `call` prints a result for a person: its per-call log line is noise unless asked for.
        setup_logging(settings, quiet=command == "call" and not _log_level_given(args))
        if command == "serve":
            return _serve(args, settings)
        if command == "call":
            return _call(args, settings)
    except ConfigError as exc:
        print(f"hyperrep-mcp: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 130
    parser.error(f"unknown command {command}")
    return EXIT_CONFIG


# --- arguments ---------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="hyperrep-mcp",
        description="MCP server for the HyperRep sales inbox. Without a command: serve on stdio.",
    )
    p.add_argument("--version", action="version", version=f"hyperrep-mcp {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the MCP server (stdio by default)")
    serve.add_argument("--transport", choices=["stdio", "http"], default="stdio")
    serve.add_argument("--host", default="127.0.0.1", help="HTTP bind address (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="HTTP port (default 8000)")
    serve.add_argument("--stateless", action="store_true", help="no sessions for 2025-era clients either")
    serve.add_argument("--workers", type=int, default=1, help="uvicorn worker processes (HTTP)")
    serve.add_argument(
        "--allowed-host",
        action="append",
        default=[],
        metavar="NAME",
        help="a Host name clients use to reach this server (e.g. mcp.example.com behind a proxy); "
        "repeatable. Loopback names are always allowed.",
    )

    serve.add_argument(
        "--forwarded-allow-ips",
        default=None,
        metavar="IPS",
        help="reverse proxies (comma-separated IPs or networks, or *) whose X-Forwarded-For is "
        "trusted for the client address (default: none; HYPERREP_MCP_FORWARDED_ALLOW_IPS)",
    )

    call = sub.add_parser("call", help="call one tool through an MCP client session and print its text")
    call.add_argument("tool")
    call.add_argument("arguments", nargs="?", default="{}", help="JSON object of arguments")

    sub.add_parser("doctor", help="check the key, the base URL and reachability; print client configs")

    sandbox = sub.add_parser("sandbox", help="serve the simulated HyperRep API over HTTP")
    sandbox.add_argument("--host", default="127.0.0.1")
    sandbox.add_argument("--port", type=int, default=8765)
    sandbox.add_argument("--seed", type=int, default=7)
    sandbox.add_argument("--latency-ms", type=float, default=0.0)
    sandbox.add_argument("--fault-rate", type=float, default=0.0)
    sandbox.add_argument("--api-key", default="sandbox-key")

    for cmd in (p, serve, call, sub.choices["doctor"]):
        _settings_flags(cmd, top=cmd is p)
    return p


def _settings_flags(p: argparse.ArgumentParser, *, top: bool) -> None:
    # On subcommands the defaults are SUPPRESS so a flag given before the command is not reset.
    d = None if top else argparse.SUPPRESS
    p.add_argument("--demo", action="store_true", default=False if top else argparse.SUPPRESS,
                   help="use the built-in sandbox in-process: no key, no network")  # fmt: skip
    p.add_argument("--base-url", default=d, help="HyperRep API origin (HYPERREP_BASE_URL)")
    p.add_argument("--organization-id", default=d, help="pin one organization (HYPERREP_ORGANIZATION_ID)")
    p.add_argument("--write-mode", default=d, help=f"{' | '.join(WRITE_MODES)} (HYPERREP_WRITE_MODE)")
    p.add_argument("--timeout", type=float, default=d, help="seconds per upstream request (HYPERREP_TIMEOUT)")
    p.add_argument(
        "--max-retries", type=int, default=d, help="retries of safe requests (HYPERREP_MAX_RETRIES)"
    )
    p.add_argument(
        "--max-output-chars", type=int, default=d, help="budget of one result (HYPERREP_MAX_OUTPUT_CHARS)"
    )
    p.add_argument(
        "--exclude-tools", default=d, help="comma-separated tools not to register (HYPERREP_EXCLUDE_TOOLS)"
    )
    p.add_argument("--log-level", default=d, help="DEBUG | INFO | WARNING | ERROR (HYPERREP_LOG_LEVEL)")


def _settings(args: argparse.Namespace, *, require_key: bool = True) -> Settings:
    flags = {
        name: getattr(args, name, None)
        for name in (
            "base_url",
            "organization_id",
            "write_mode",
            "timeout",
            "max_retries",
            "max_output_chars",
            "exclude_tools",
            "log_level",
        )
    }
    if getattr(args, "demo", False):
        from hyperrep_mcp.sandbox import SandboxConfig

        flags.update(base_url=SANDBOX_URL, api_key=SandboxConfig().api_key)
        # A real organization pinned in the environment means nothing to the sandbox (every call
        # would fail "not found"); only an explicit --organization-id applies to the demo.
        if flags["organization_id"] is None:
            flags["organization_id"] = ""  # blank = unset
    settings = load_settings(**flags)
    if require_key and settings.api_key is None:
        settings.api_key_value()  # raises the one-line ConfigError with the fix
    return settings


def _log_level_given(args: argparse.Namespace) -> bool:
    return bool(getattr(args, "log_level", None) or os.environ.get("HYPERREP_LOG_LEVEL", "").strip())


def _friendly_stdout() -> None:
    """Results and reports hold customer names in any script: never crash on a narrow console encoding."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None:
        reconfigure(errors="replace")


# --- commands ----------------------------------------------------------------------------------


def _serve(args: argparse.Namespace, settings: Settings) -> int:
    from hyperrep_mcp import assembly

    transport = getattr(args, "transport", "stdio")
    demo = getattr(args, "demo", False)
    if transport == "stdio":
        server = assembly.make_server(settings, demo=demo)
        signal.signal(signal.SIGINT, _interrupt_stdio)
        server.run()
        return 0
    host, port, workers = args.host, args.port, args.workers
    if not is_loopback(host) and settings.mcp_token is None:
        raise ConfigError(
            f"refusing to serve on {host} without HYPERREP_MCP_TOKEN: set a bearer token (or bind 127.0.0.1)."
        )
    if not 0 <= port <= 65535:
        raise ConfigError(f"--port must be between 0 and 65535 (got {port})")
    if workers < 1:
        raise ConfigError(f"--workers must be at least 1 (got {workers})")
    hosts = assembly.allowed_hosts([*args.allowed_host, settings.mcp_allowed_hosts])
    settings = settings.model_copy(update={"mcp_allowed_hosts": ",".join(hosts)})
    # Workers build their servers in fresh processes, where a bad setting would only show up as a
    # traceback and a restart loop: check what they will check, here and now.
    assembly.check_tools(settings)
    check_bindable(host, port)
    if host in ("0.0.0.0", "::") and not hosts:  # noqa: S104 - comparing, not binding
        logging.getLogger("hyperrep_mcp.http").warning(
            "listening on all interfaces, but only loopback Host names are accepted (others get 421): "
            "add --allowed-host NAME for each name or address clients use to reach this server"
        )
    forwarded = assembly.forwarded_allow_ips(args.forwarded_allow_ips, settings.mcp_forwarded_allow_ips)
    settings = settings.model_copy(update={"mcp_forwarded_allow_ips": forwarded})
    options = assembly.ServeOptions(mcp_host=host, mcp_stateless=args.stateless, demo=demo)
    assembly.serve_http(settings, options, port=port, workers=workers)
    return 0


def _interrupt_stdio(signum: int, _frame: Any) -> None:
    """Ctrl+C on a stdio server: the SDK reads stdin in a thread that cancellation cannot interrupt,
    so the default handling would wait for the next input line. Stop now, as SIGTERM does."""
    sys.stderr.flush()
    os._exit(128 + signum)


def check_bindable(host: str, port: int) -> None:
    """Fail with one line now, rather than with a server log line and exit code 1 later."""
    import socket

    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
        family, _, _, _, address = infos[0]
        with socket.socket(family, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does
            sock.bind(address)
    except OSError as exc:
        reason = exc.strerror or str(exc)
        raise ConfigError(
            f"cannot listen on {host}:{port}: {reason} (choose another --port or --host)"
        ) from None


def _call(args: argparse.Namespace, settings: Settings) -> int:
    try:
        arguments: Any = json.loads(args.arguments)
    except ValueError as exc:
        raise ConfigError(f"ARGS must be a JSON object, e.g. '{{\"limit\": 5}}' ({exc.msg})") from None
    if not isinstance(arguments, dict):
        raise ConfigError("ARGS must be a JSON object, e.g. '{\"limit\": 5}'")
    import anyio

    from hyperrep_mcp import assembly

    server = assembly.make_server(settings, demo=args.demo)
    text, is_error = anyio.run(_call_tool, server, args.tool, arguments)
    _friendly_stdout()
    if is_error:
        print(f"hyperrep-mcp: {args.tool} failed: {text}", file=sys.stderr)
        return 1
    try:
        print(text, flush=True)
    except BrokenPipeError:  # `hyperrep-mcp call ... | head`: the reader left; not an error of ours
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    return 0


async def _call_tool(server: Any, tool: str, arguments: dict[str, Any]) -> tuple[str, bool]:
    import difflib

    from mcp import Client

    async with Client(server) as client:
        names = [t.name for t in (await client.list_tools()).tools]
        if tool not in names:
            close = difflib.get_close_matches(tool, names, n=3)
            hint = f" Did you mean {' or '.join(close)}?" if close else ""
            return f"no tool named {tool!r} in this configuration.{hint} Tools: {', '.join(names)}", True
        result = await client.call_tool(tool, arguments)
    text = "\n".join(getattr(block, "text", "") for block in result.content)
    return text, bool(result.is_error)


def _doctor(args: argparse.Namespace) -> int:
    from hyperrep_mcp.doctor import report_config_error, run_doctor

    _friendly_stdout()
    try:
        # The doctor reports a missing key as a failed check (with the fix) instead of refusing to run.
        settings = _settings(args, require_key=False)
    except ConfigError as exc:
        text, code = report_config_error(exc)
    else:
        setup_logging(settings, quiet=not _log_level_given(args))
        text, code = run_doctor(settings, demo=args.demo)
    print(text, flush=True)
    return code


def _sandbox(args: argparse.Namespace) -> int:
    from hyperrep_mcp.sandbox import SandboxConfig, serve

    if not 0.0 <= args.fault_rate <= 1.0:
        raise ConfigError(f"--fault-rate must be between 0 and 1 (got {args.fault_rate})")
    if args.latency_ms < 0:
        raise ConfigError(f"--latency-ms must not be negative (got {args.latency_ms})")
    check_bindable(args.host, args.port)
    config = SandboxConfig(
        seed=args.seed, api_key=args.api_key, latency_ms=args.latency_ms, fault_rate=args.fault_rate
    )
    serve(config, host=args.host, port=args.port)
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
