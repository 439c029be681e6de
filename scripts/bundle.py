"""The MCP bundle for Claude Desktop: dist/hyperrep-mcp-<version>.mcpb, built from manifest.json.

    uv run python -m scripts.bundle             # validate manifest.json, pack dist/hyperrep-mcp-<version>.mcpb
    uv run python -m scripts.bundle --refresh   # first rewrite manifest.json's version, tools and prompts
                                                # from the server itself (default mode: drafts)
    uv run python -m scripts.bundle --release-url URL   # release step: also add the bundle to server.json

The release step: build, attach dist/hyperrep-mcp-<version>.mcpb to the GitHub release, then run
with `--release-url` set to that asset's download URL: server.json gains (or updates) its `mcpb`
package entry with that URL and the SHA-256 of the file just built, ready for `mcp-publisher
publish`. Neither is ever written by hand, and the committed server.json carries no mcpb entry.

Packing uses the official `@anthropic-ai/mcpb` CLI, pinned in tests/e2e/clients/package.json and
installed there by the same `npm ci` step as the other client tools (the first run needs the npm
registry). What goes into the bundle is decided by .mcpbignore (an allow-list). Exit 0: built;
1: the manifest is out of date or invalid, or packing failed; 2: the CLI cannot run.

tests/test_bundle.py checks that the committed manifest equals what --refresh would write, so the
list of tools and prompts shown in Claude Desktop cannot drift from the server.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import anyio
from mcp import Client

from hyperrep_mcp import __version__
from hyperrep_mcp.config import load_settings
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.prompts import load_prompt_files
from tests.e2e.clients import client_checks as cc

REPO = Path(__file__).resolve().parent.parent
MANIFEST = REPO / "manifest.json"
DIST = REPO / "dist"
MCPB_PACKAGE = "@anthropic-ai/mcpb"
MCPB_TIMEOUT_S = 120.0
SERVER_JSON = REPO / "server.json"
# The MCP Registry accepts bundles from these release hosts only.
RELEASE_HOSTS = ("github.com", "gitlab.com")

# Tools of the SPEC's table that other branches are adding right now: listed in the manifest ahead of
# the server (with these display titles) until the server has them; from then on the server's own
# title is used. Empty this once both are merged.
PENDING_TOOLS = {
    "search_messages": "Search messages",
    "get_response_times": "Get response times",
}

_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")


class BundleError(RuntimeError):
    """Something the person building the bundle must fix; the message says what."""


class CliUnavailable(BundleError):
    """The mcpb CLI cannot run here (no npm or Node, or the npm registry unreachable on first use)."""


# --- the manifest, from the server ---------------------------------------------------------------


async def server_listing() -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """(tools, prompts) as a real MCP client sees them in the default mode, in the server's order."""
    server = build_server(load_settings(api_key="listing-only", write_mode="drafts"))
    async with Client(server) as client:
        tools = (await client.list_tools()).tools
        prompts = (await client.list_prompts()).prompts
    return (
        [{"name": t.name, "description": t.title or t.name} for t in tools],
        [{"name": p.name, "description": p.description or p.name} for p in prompts],
    )


def prompt_text(body: str, arguments: list[str]) -> str:
    """A prompt file's text in MCPB's template syntax: `{goal}` becomes `${arguments.goal}`.

    The two values the server computes itself are spelt out: `{today}` and `{days_ago}` (the date that
    many days back)."""

    def swap(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in arguments:
            return f"${{arguments.{name}}}"
        if name == "today":
            return "today's date"
        if name.endswith("_ago") and name.removesuffix("_ago") in arguments:
            return f"the date ${{arguments.{name.removesuffix('_ago')}}} days ago"
        return match.group(0)

    return _PLACEHOLDER.sub(swap, body).strip()


def refreshed(manifest: dict[str, Any]) -> dict[str, Any]:
    """`manifest` with version, tools and prompts taken from the package, the server and prompts/."""
    tools, prompts = anyio.run(server_listing)
    names = {t["name"] for t in tools}
    tools += [{"name": n, "description": title} for n, title in PENDING_TOOLS.items() if n not in names]
    files = {p.name: p for p in load_prompt_files()}
    for prompt in prompts:
        arguments = [a.name for a in files[prompt["name"]].arguments]
        prompt["arguments"] = arguments
        prompt["text"] = prompt_text(files[prompt["name"]].body, arguments)
    return {**manifest, "version": __version__, "tools": tools, "prompts": prompts}


def dump(manifest: dict[str, Any]) -> str:
    return json.dumps(manifest, indent=2, ensure_ascii=False) + "\n"


def load_manifest(path: Path = MANIFEST) -> dict[str, Any]:
    return json.loads(path.read_text(encoding="utf-8"))


# --- the official CLI ----------------------------------------------------------------------------


def mcpb(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the pinned `mcpb` CLI (installed on first use); output captured as text."""
    try:
        cc.ensure_installed()
        node = cc.node()
    except cc.SetupError as exc:
        raise CliUnavailable(str(exc)) from None
    cli = cc.NODE_MODULES / MCPB_PACKAGE / "dist" / "cli" / "cli.js"
    return subprocess.run(
        [node, str(cli), *args],
        cwd=REPO,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        encoding="utf-8",
        timeout=MCPB_TIMEOUT_S,
        check=False,
    )


def mcpb_version() -> str:
    return json.loads((cc.NODE_MODULES / MCPB_PACKAGE / "package.json").read_text())["version"]


def validate(path: Path = MANIFEST) -> str:
    """`mcpb validate` on the manifest; its output, or BundleError with it."""
    done = mcpb("validate", str(path))
    if done.returncode != 0:
        raise BundleError(
            f"mcpb validate {path} failed (exit {done.returncode}):\n{done.stdout}{done.stderr}"
        )
    return done.stdout


def bundle_name(version: str = __version__) -> str:
    return f"hyperrep-mcp-{version}.mcpb"


def pack(out_dir: Path = DIST, source: Path = REPO, env: dict[str, str] | None = None) -> Path:
    """`mcpb pack` of the checkout into out_dir/hyperrep-mcp-<version>.mcpb (it validates first)."""
    target = out_dir / bundle_name(load_manifest(source / "manifest.json")["version"])
    done = mcpb("pack", str(source), str(target), env=env)
    if done.returncode != 0 or not target.is_file():
        raise BundleError(f"mcpb pack failed (exit {done.returncode}):\n{done.stdout}{done.stderr}")
    return target


# --- the registry entry (release step) -------------------------------------------------------------


def with_mcpb_package(server_json: dict[str, Any], url: str, bundle: Path) -> dict[str, Any]:
    """server.json with one `mcpb` package entry: the released bundle's URL and the built file's hash."""
    parts = urlsplit(url)
    if parts.scheme != "https" or parts.hostname not in RELEASE_HOSTS:
        raise BundleError(f"--release-url must be an https URL on {' or '.join(RELEASE_HOSTS)}, not {url!r}")
    if not parts.path.endswith(f"/{bundle.name}"):
        raise BundleError(f"--release-url must end in /{bundle.name} (the file built), not {url!r}")
    entry = {
        "registryType": "mcpb",
        "identifier": url,
        "version": server_json["version"],
        "fileSha256": hashlib.sha256(bundle.read_bytes()).hexdigest(),
        "transport": {"type": "stdio"},
    }
    packages = [p for p in server_json.get("packages", []) if p.get("registryType") != "mcpb"]
    return {**server_json, "packages": [*packages, entry]}


def parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m scripts.bundle", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--refresh", action="store_true", help="rewrite manifest.json's version, tools and prompts first"
    )
    parser.add_argument("--out", type=Path, default=DIST, help="output folder (default: dist/)")
    parser.add_argument(
        "--release-url", help="the released bundle's download URL: write its mcpb entry into server.json"
    )
    return parser


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    manifest = load_manifest()
    current = refreshed(manifest)
    if args.refresh:
        MANIFEST.write_text(dump(current), encoding="utf-8")
        print(f"manifest.json refreshed: version {current['version']}, {len(current['tools'])} tools")
    elif current != manifest:
        print(
            "manifest.json is out of date (version, tools or prompts differ from the server): "
            "run `uv run python -m scripts.bundle --refresh`",
            file=sys.stderr,
        )
        return 1
    try:
        validate()
        target = pack(args.out)
        if args.release_url:
            entry = with_mcpb_package(
                json.loads(SERVER_JSON.read_text(encoding="utf-8")), args.release_url, target
            )
            SERVER_JSON.write_text(json.dumps(entry, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
            print(f"server.json: mcpb package {args.release_url}")
    except BundleError as exc:
        print(exc, file=sys.stderr)
        return 2 if isinstance(exc, CliUnavailable) else 1
    print(f"{target} ({target.stat().st_size} bytes, mcpb {mcpb_version()})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
