"""The MCP bundle (.mcpb) for Claude Desktop, as a user gets it.

The committed manifest.json passes the official `mcpb validate` and agrees with the code (version,
settings, the tools and prompts the server really lists); `mcpb pack` of this checkout holds what
.mcpbignore allows and nothing else; unpacked far from the checkout it installs the way Claude
Desktop's uv runtime does (`uv`, a fresh environment, dependencies from pyproject.toml) and, started
with the manifest's own command and environment, serves every tool over stdio to a real MCP client,
on the demo and on a sandbox over 127.0.0.1. A canary API key goes in through the user_config ->
environment route and never shows in the manifest, the bundle or any log.

The `mcpb` CLI is the npm package pinned in tests/e2e/clients/package.json, installed by the same
`npm ci` as the other client tools; if it cannot be installed the tests fail with the reason.
Refresh the manifest's tools and prompts after a deliberate change:  uv run python -m scripts.bundle --refresh
"""

from __future__ import annotations

import copy
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from mcp import Client, StdioServerParameters
from mcp.client.stdio import stdio_client

from hyperrep_mcp import __version__
from hyperrep_mcp.config import WRITE_MODES, Settings, env_var
from scripts import bundle
from tests.e2e.helpers import child_env, reference
from tests.support import RunningSandbox, text_of

REPO = bundle.REPO
CANARY = "sk-canary-bundle-7c41e09ab3"
# Exactly what .mcpbignore lets through: the package (sandbox included, for --demo), the prompts, what
# building the package needs (pyproject.toml; README and LICENSE are its metadata) and the manifest.
TOP_LEVEL = {"manifest.json", "icon.png", "pyproject.toml", "README.md", "LICENSE", "hyperrep_mcp", "prompts"}
SPEC_SETTINGS_NOT_YET_IN_CODE = {"HYPERREP_TIMEZONE"}  # being added on another branch (SPEC section 1)
UV_TIMEOUT_S = 240.0
START_TIMEOUT_S = 60.0  # first start of `uv run` in a fresh environment


def uv() -> str:
    found = os.environ.get("UV") or shutil.which("uv")
    if not found:
        pytest.fail("uv is needed to install the bundle as Claude Desktop does: python3 -m pip install uv")
    return found


@pytest.fixture(scope="module")
def manifest() -> dict[str, Any]:
    return bundle.load_manifest()


def run_mcpb(*args: str) -> subprocess.CompletedProcess[str]:
    try:
        return bundle.mcpb(*args)
    except bundle.BundleError as exc:
        pytest.fail(f"the mcpb CLI could not run: {exc}", pytrace=False)


# --- the manifest --------------------------------------------------------------------------------


def test_the_official_cli_validates_the_committed_manifest() -> None:
    done = run_mcpb("validate", str(bundle.MANIFEST))
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Manifest schema validation passes" in done.stdout, done.stdout
    wanted = json.loads((REPO / "tests/e2e/clients/package.json").read_text())["dependencies"]
    assert wanted[bundle.MCPB_PACKAGE] == bundle.mcpb_version()  # the pinned CLI ran, not another copy


def test_the_validator_rejects_a_broken_manifest(manifest: dict[str, Any], tmp_path: Path) -> None:
    broken = copy.deepcopy(manifest)
    broken["user_config"]["api_key"]["sensitive"] = "yes"
    broken["server"]["type"] = "docker"
    path = tmp_path / "manifest.json"
    path.write_text(json.dumps(broken))
    done = run_mcpb("validate", str(path))
    assert done.returncode != 0
    assert "sensitive" in done.stdout + done.stderr and "server" in done.stdout + done.stderr


def test_version_is_the_package_version(manifest: dict[str, Any]) -> None:
    assert manifest["manifest_version"] == "0.4"
    assert manifest["version"] == __version__


def test_tools_and_prompts_are_what_the_server_lists(manifest: dict[str, Any]) -> None:
    """Equal to what `--refresh` writes from the live server (default mode), in the server's order;
    only the SPEC tools other branches are adding may be listed before the server has them."""
    fresh = bundle.refreshed(manifest)
    assert manifest["tools"] == fresh["tools"], "run: uv run python -m scripts.bundle --refresh"
    assert manifest["prompts"] == fresh["prompts"], "run: uv run python -m scripts.bundle --refresh"
    assert manifest == fresh
    assert {p["name"] for p in manifest["prompts"]} == {p.stem for p in (REPO / "prompts").glob("*.md")}


def test_prompt_text_uses_mcpb_template_syntax(manifest: dict[str, Any]) -> None:
    for prompt in manifest["prompts"]:
        used = set(re.findall(r"\$\{arguments\.([a-z_]+)\}", prompt["text"]))
        assert used == set(prompt["arguments"]), prompt["name"]
        assert not re.search(r"(?<!\$)\{[a-z_]+\}", prompt["text"]), f"{prompt['name']}: a raw placeholder"


def test_user_config_maps_onto_the_settings(manifest: dict[str, Any]) -> None:
    config = manifest["user_config"]
    env = manifest["server"]["mcp_config"]["env"]
    # Every value in the environment comes from the user: no literal, so no key, in the manifest.
    assert all(re.fullmatch(r"\$\{user_config\.[a-z_]+\}", v) for v in env.values()), env
    mapped = {v.removeprefix("${user_config.").removesuffix("}"): k for k, v in env.items()}
    assert set(mapped) == set(config), "every user setting reaches the server, and only those"
    known = {env_var(f) for f in Settings.model_fields} | SPEC_SETTINGS_NOT_YET_IN_CODE
    for key, variable in mapped.items():
        assert variable == f"HYPERREP_{key.upper()}" and variable in known, (key, variable)
    assert mapped.keys() == {"api_key", "organization_id", "write_mode", "timezone"}

    key = config["api_key"]
    assert (key["type"], key["sensitive"], key["required"]) == ("string", True, True)
    assert "default" not in key
    assert not any(c.get("sensitive") for name, c in config.items() if name != "api_key")
    # MCPB has no choice type: a string with the default, the allowed values named, the server checks.
    mode = config["write_mode"]
    assert mode["default"] == Settings.model_fields["write_mode"].default == "drafts"
    assert all(m in mode["description"] for m in WRITE_MODES)
    assert config["timezone"]["default"] == "UTC"  # SPEC section 1
    assert not config["organization_id"].get("required") and "default" not in config["organization_id"]


def test_server_runs_on_stdio_through_uv(manifest: dict[str, Any]) -> None:
    server = manifest["server"]
    assert server["type"] == "uv"
    assert (REPO / server["entry_point"]).is_file()
    config = server["mcp_config"]
    assert config["command"] == "uv"
    assert config["args"] == ["run", "--directory", "${__dirname}", "--no-dev", "hyperrep-mcp"]
    assert manifest["compatibility"]["runtimes"]["python"] == ">=3.11"


def test_the_icon_is_a_square_png(manifest: dict[str, Any]) -> None:
    data = (REPO / manifest["icon"]).read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert width == height >= 256


def test_the_readme_names_the_build_command_and_its_real_flags() -> None:
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    assert "uv run python -m scripts.bundle" in readme and "dist/hyperrep-mcp-<version>.mcpb" in readme
    args = bundle.parser().parse_args(["--refresh", "--release-url", "https://github.com/x.mcpb"])
    assert args.refresh is True and args.release_url == "https://github.com/x.mcpb"
    for flag in ("--refresh", "--release-url"):
        assert flag in readme


# --- the bundle ----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def packed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`mcpb pack` of this checkout, as `python -m scripts.bundle` does it, with the canary key in the
    packer's environment (it must not leak into the bundle from there either)."""
    out = tmp_path_factory.mktemp("dist")
    try:
        target = bundle.pack(out, env={**os.environ, "HYPERREP_API_KEY": CANARY})
    except bundle.BundleError as exc:
        pytest.fail(f"mcpb pack failed: {exc}", pytrace=False)
    assert target.name == f"hyperrep-mcp-{__version__}.mcpb"
    return target


@pytest.fixture(scope="module")
def unpacked(packed: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The bundle unzipped far from the checkout, as Claude Desktop does on install."""
    root = tmp_path_factory.mktemp("claude-extension") / "hyperrep-mcp"
    with zipfile.ZipFile(packed) as archive:
        archive.extractall(root)
    assert REPO not in root.parents
    return root


def test_the_bundle_holds_the_package_prompts_and_metadata_only(packed: Path) -> None:
    with zipfile.ZipFile(packed) as archive:
        names = set(archive.namelist())
        assert json.loads(archive.read("manifest.json")) == bundle.load_manifest()
    assert {n.split("/", 1)[0] for n in names} == TOP_LEVEL
    tracked = {
        p.relative_to(REPO).as_posix()
        for folder in ("hyperrep_mcp", "prompts")
        for p in (REPO / folder).rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    assert tracked <= names
    assert {
        "hyperrep_mcp/__main__.py",
        "hyperrep_mcp/sandbox/__init__.py",
        "prompts/triage_inbox.md",
    } <= names
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)
    assert packed.stat().st_size < 2_000_000


def test_mcpbignore_keeps_everything_else_out(tmp_path: Path) -> None:
    """A checkout full of things that must never ship: environments, tests, caches, a .env with a key."""
    source = tmp_path / "checkout"
    source.mkdir()
    for name in (*TOP_LEVEL, ".mcpbignore"):
        copy_ = shutil.copytree if (REPO / name).is_dir() else shutil.copy2
        copy_(REPO / name, source / name)
    decoys = {
        ".env": f"HYPERREP_API_KEY={CANARY}\n",
        "secrets.txt": CANARY,
        "uv.lock": "",
        "server.json": "{}",
        ".venv/bin/python": "",
        "node_modules/x/index.js": "",
        "tests/test_x.py": "",
        "tests/e2e/clients/node_modules/y/index.js": "",
        "bench/run.py": "",
        "scripts/bundle.py": "",
        "dist/hyperrep-mcp-0.0.1.mcpb": "",
        ".git/config": "",
        ".pytest_cache/x": "",
        "hyperrep_mcp/__pycache__/cli.cpython-311.pyc": "",
        "prompts/__pycache__/x.pyc": "",
    }
    for name, text in decoys.items():
        (source / name).parent.mkdir(parents=True, exist_ok=True)
        (source / name).write_text(text)
    target = bundle.pack(tmp_path / "out", source=source)
    with zipfile.ZipFile(target) as archive:
        names = set(archive.namelist())
        assert all(CANARY.encode() not in archive.read(n) for n in names)
    assert not names & set(decoys)
    assert {n.split("/", 1)[0] for n in names} == TOP_LEVEL


def test_no_key_in_the_manifest_or_the_bundle(packed: Path) -> None:
    assert CANARY not in bundle.MANIFEST.read_text()
    with zipfile.ZipFile(packed) as archive:
        for name in archive.namelist():
            assert CANARY.encode() not in archive.read(name), name
    assert CANARY.encode() not in packed.read_bytes()


# --- installed and started as Claude Desktop would -----------------------------------------------


def host_env(venv: Path, offline: bool = True) -> dict[str, str]:
    """What the host's uv sees: a short PATH and HOME, the environment it installs into, uv's cache."""
    env = child_env(UV_PROJECT_ENVIRONMENT=str(venv), UV_PYTHON=sys.executable, NO_COLOR="1")
    for name in ("UV_CACHE_DIR", "XDG_CACHE_HOME"):
        if name in os.environ:
            env[name] = os.environ[name]
    if offline:
        env["UV_OFFLINE"] = "1"
    return env


@pytest.fixture(scope="module")
def installed(unpacked: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`uv sync` of the unpacked bundle into a fresh environment (from uv's cache when it can: the
    dependencies are this project's own; from the index otherwise); returns that environment."""
    venv = tmp_path_factory.mktemp("uv-env") / "venv"
    command = [uv(), "sync", "--directory", str(unpacked), "--no-dev"]
    for offline in (True, False):
        done = subprocess.run(
            command,
            env=host_env(venv, offline),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=UV_TIMEOUT_S,
            check=False,
        )
        if done.returncode == 0:
            return venv
    pytest.fail(f"uv sync of the unpacked bundle failed:\n{done.stdout}\n{done.stderr}", pytrace=False)


def launch(
    manifest: dict[str, Any], dirname: Path, venv: Path, user: dict[str, str], *extra: str
) -> StdioServerParameters:
    """The manifest's mcp_config with ${__dirname} and ${user_config.*} filled in as the host does
    (a setting the user left empty takes its default, else the empty string)."""
    config = manifest["server"]["mcp_config"]
    values = {k: user.get(k, str(c.get("default", ""))) for k, c in manifest["user_config"].items()}

    def fill(text: str) -> str:
        text = text.replace("${__dirname}", str(dirname))
        return re.sub(r"\$\{user_config\.([a-z_]+)\}", lambda m: values[m.group(1)], text)

    env = host_env(venv)
    env.update({k: fill(v) for k, v in config["env"].items()})
    return StdioServerParameters(
        command=shutil.which(config["command"]) or config["command"],
        args=[fill(a) for a in config["args"]] + list(extra),
        env=env,
        cwd=str(dirname.parent),
    )


@asynccontextmanager
async def session(params: StdioServerParameters, log: Path) -> AsyncIterator[Client]:
    with log.open("w") as errlog:
        async with Client(
            stdio_client(params, errlog=errlog), read_timeout_seconds=START_TIMEOUT_S
        ) as client:
            yield client


def files_containing(root: Path, needle: str) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]


async def server_tool_names() -> list[str]:
    tools, _ = await bundle.server_listing()
    return [t["name"] for t in tools]


@pytest.mark.anyio
async def test_the_unpacked_bundle_serves_every_tool_on_the_demo(
    manifest: dict[str, Any], unpacked: Path, installed: Path, tmp_path: Path
) -> None:
    params = launch(manifest, unpacked, installed, {"api_key": ""}, "--demo")
    async with session(params, tmp_path / "stderr.log") as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        prompts = [p.name for p in (await client.list_prompts()).prompts]
        result = await client.call_tool("list_organizations", {})
    assert tools == await server_tool_names()
    assert set(tools) <= {t["name"] for t in manifest["tools"]}
    assert set(prompts) == {p["name"] for p in manifest["prompts"]}
    assert result.is_error is False, text_of(result)
    for org in reference().data.orgs.values():
        assert f"organization_id={org.organization_id}" in text_of(result)


@pytest.mark.anyio
async def test_the_unpacked_bundle_works_a_sandbox_with_the_users_key_and_never_shows_it(
    manifest: dict[str, Any], unpacked: Path, installed: Path, tmp_path: Path, sandbox_factory: Any
) -> None:
    sb: RunningSandbox = sandbox_factory(api_key=CANARY)
    data = sb.sandbox.data
    params = launch(manifest, unpacked, installed, {"api_key": CANARY})
    params.env["HYPERREP_BASE_URL"] = sb.url  # the one setting a desktop user never needs
    params.env["HYPERREP_LOG_LEVEL"] = "DEBUG"
    log = tmp_path / "stderr.log"
    async with session(params, log) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        organizations = await client.call_tool("list_organizations", {})
        contacts = await client.call_tool("list_contacts", {"organization_id": sb.org, "query": "Diana"})
    # Default write mode: drafts, every read and write tool except sending, all in the manifest.
    assert list(tools) == await server_tool_names()
    assert {"upsert_response_draft", "create_message_draft", "inbox_overview"} <= set(tools)
    assert "autosend_draft" not in json.dumps(tools["upsert_response_draft"].input_schema)
    assert organizations.is_error is False, text_of(organizations)
    for org in data.orgs.values():
        assert f"{org.org.name} · organization_id={org.organization_id}" in text_of(organizations)
    assert contacts.is_error is False, text_of(contacts)
    assert "Diana Prince" in text_of(contacts)
    # The key reached the sandbox (it answers only to that key) and no log, file or answer shows it.
    stderr = log.read_text()
    assert " DEBUG " in stderr and "/contacts" in stderr, stderr[-2000:]
    assert CANARY not in stderr
    assert CANARY not in text_of(organizations) + text_of(contacts)
    assert files_containing(unpacked, CANARY) == []


@pytest.mark.anyio
async def test_the_users_time_zone_works_without_a_system_zone_database(
    manifest: dict[str, Any], unpacked: Path, installed: Path, tmp_path: Path
) -> None:
    """The zone data installs with the bundle (tzdata): PYTHONTZPATH="" hides the system's, as on
    Windows, and "yesterday" is still the Chicago day."""
    chicago = ZoneInfo("America/Chicago")  # the test process reads the system database: the truth

    def yesterday_starts() -> str:
        day = datetime.now(chicago).date() - timedelta(days=1)
        return (
            datetime.combine(day, time.min, tzinfo=chicago).astimezone(UTC).isoformat().replace("+00:00", "Z")
        )

    before = yesterday_starts()
    params = launch(manifest, unpacked, installed, {"api_key": "", "timezone": "America/Chicago"}, "--demo")
    params.env["PYTHONTZPATH"] = ""
    async with session(params, tmp_path / "stderr.log") as client:
        rate = await client.call_tool("get_response_rate", {"period": "yesterday"})
    assert rate.is_error is False, text_of(rate)
    assert rate.structured_content["current"]["window"]["start_date"] in {before, yesterday_starts()}


def test_a_wrong_write_mode_stops_with_one_clear_line(
    manifest: dict[str, Any], unpacked: Path, installed: Path, tmp_path: Path
) -> None:
    """MCPB has no choice field: a typo in the write mode must fail loudly, not fall back silently."""
    params = launch(manifest, unpacked, installed, {"api_key": CANARY, "write_mode": "draft"})
    with tempfile.TemporaryFile("w+") as err:
        done = subprocess.run(
            [params.command, *params.args],
            env=params.env,
            cwd=params.cwd,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=err,
            timeout=START_TIMEOUT_S,
            check=False,
        )
        err.seek(0)
        stderr = err.read()
    assert done.returncode == 2 and done.stdout == b""
    assert "HYPERREP_WRITE_MODE: must be one of read_only, drafts, autosend (got 'draft')" in stderr
    assert "Traceback" not in stderr and CANARY not in stderr
