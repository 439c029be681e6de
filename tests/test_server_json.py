"""server.json, the MCP Registry entry: valid by the registry's rules and true to the code.

The registry's schema (2025-12-11, JSON Schema draft-07) cannot be downloaded from these machines,
so SCHEMA below restates the rules of /work/shared/docs/server-json.md; the explicit checks add what
a schema cannot say (version = package version, variables = settings fields, defaults that parse).
After changing a setting in hyperrep_mcp/config.py, update server.json's environmentVariables (and
the README's configuration table) to match; these tests name what differs.
"""

from __future__ import annotations

import copy
import hashlib
import json
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from pydantic import SecretStr

from hyperrep_mcp import __version__
from hyperrep_mcp.config import WRITE_MODES, ConfigError, Settings, env_var, load_settings
from scripts import bundle

REPO = Path(__file__).resolve().parent.parent
SERVER_JSON = REPO / "server.json"
SCHEMA_URL = "https://static.modelcontextprotocol.io/schemas/2025-12-11/server.schema.json"
NAME = "io.github.hyperrep/hyperrep-mcp"

_NOT_A_RANGE = {
    "type": "string",
    "minLength": 1,
    "not": {"anyOf": [{"enum": ["latest"]}, {"pattern": r"^[\^~<>=*]|[\s,|]|(^|\.)[xX*](\.|$)"}]},
}
_KEY_VALUE_INPUT = {
    "type": "object",
    "required": ["name"],
    "additionalProperties": False,
    "properties": {
        "name": {"type": "string", "minLength": 1},
        "description": {"type": "string"},
        "isRequired": {"type": "boolean"},
        "isSecret": {"type": "boolean"},
        "default": {"type": "string"},
        "format": {"enum": ["string", "number", "boolean", "filepath"]},
        "choices": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        "placeholder": {"type": "string"},
        "value": {"type": "string"},
    },
}
_ARGUMENT = {
    "type": "object",
    "required": ["type"],
    "properties": {"type": {"enum": ["positional", "named"]}},
    "oneOf": [
        {
            "properties": {"type": {"const": "positional"}},
            "anyOf": [{"required": ["value"]}, {"required": ["valueHint"]}],
        },
        {"properties": {"type": {"const": "named"}}, "required": ["name"]},
    ],
}
_TRANSPORT = {
    "oneOf": [
        {
            "type": "object",
            "required": ["type"],
            "additionalProperties": False,
            "properties": {"type": {"const": "stdio"}},
        },
        {
            "type": "object",
            "required": ["type", "url"],
            "properties": {
                "type": {"enum": ["streamable-http", "sse"]},
                "url": {"type": "string", "format": "uri"},
                "headers": {"type": "array", "items": _KEY_VALUE_INPUT},
            },
        },
    ]
}
# The rules of docs/server-json.md as a draft-07 schema; stricter than the registry on unknown keys,
# so a misspelt field ("isSecrets") fails here instead of being silently ignored there.
SCHEMA: dict[str, Any] = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "required": ["name", "description", "version"],
    "additionalProperties": False,
    "properties": {
        "$schema": {"type": "string", "format": "uri"},
        "name": {
            "type": "string",
            "minLength": 3,
            "maxLength": 200,
            "pattern": r"^[a-zA-Z0-9.-]+/[a-zA-Z0-9._-]+$",
        },
        "title": {"type": "string", "minLength": 1, "maxLength": 100},
        "description": {"type": "string", "minLength": 1, "maxLength": 100},
        "version": _NOT_A_RANGE,
        "websiteUrl": {"type": "string", "format": "uri"},
        "repository": {
            "type": "object",
            "required": ["url", "source"],
            "additionalProperties": False,
            "properties": {
                "url": {"type": "string", "format": "uri"},
                "source": {"type": "string", "minLength": 1},
                "subfolder": {"type": "string"},
                "id": {"type": "string"},
            },
        },
        "icons": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["src"],
                "additionalProperties": False,
                "properties": {
                    "src": {"type": "string", "format": "uri", "maxLength": 255, "pattern": "^https://"},
                    "mimeType": {"type": "string"},
                    "sizes": {"type": "array", "items": {"type": "string"}},
                    "theme": {"type": "string"},
                },
            },
        },
        "packages": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["registryType", "identifier", "transport"],
                "additionalProperties": False,
                "properties": {
                    "registryType": {"type": "string", "minLength": 1},
                    "identifier": {"type": "string", "minLength": 1},
                    "version": _NOT_A_RANGE,
                    "registryBaseUrl": {"type": "string", "format": "uri"},
                    "runtimeHint": {"type": "string", "minLength": 1},
                    "transport": _TRANSPORT,
                    "runtimeArguments": {"type": "array", "items": _ARGUMENT},
                    "packageArguments": {"type": "array", "items": _ARGUMENT},
                    "environmentVariables": {"type": "array", "items": _KEY_VALUE_INPUT},
                    "fileSha256": {"type": "string", "pattern": "^[a-f0-9]{64}$"},
                },
                # An MCP bundle: its release download URL (GitHub or GitLab) and the file's SHA-256.
                "if": {"properties": {"registryType": {"const": "mcpb"}}},
                "then": {
                    "required": ["fileSha256"],
                    "properties": {
                        "identifier": {"pattern": r"^https://(github\.com|gitlab\.com)/.+\.mcpb$"},
                        "transport": {"const": {"type": "stdio"}},
                    },
                },
            },
        },
        "remotes": {"type": "array", "items": _TRANSPORT},
        "_meta": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"io.modelcontextprotocol.registry/publisher-provided": {"type": "object"}},
        },
    },
}


def validate(document: dict[str, Any]) -> list[str]:
    """Every rule the document breaks, as 'path: message' (empty when valid)."""
    validator = jsonschema.Draft7Validator(SCHEMA, format_checker=jsonschema.Draft7Validator.FORMAT_CHECKER)
    return [
        f"{'/'.join(map(str, e.absolute_path)) or '(top)'}: {e.message}"
        for e in validator.iter_errors(document)
    ]


@pytest.fixture(scope="module")
def server_json() -> dict[str, Any]:
    return json.loads(SERVER_JSON.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def package(server_json: dict[str, Any]) -> dict[str, Any]:
    pypi = [p for p in server_json.get("packages", []) if p.get("registryType") == "pypi"]
    assert len(pypi) == 1, "server.json needs exactly one pypi package entry"
    return pypi[0]


@pytest.fixture(scope="module")
def variables(package: dict[str, Any]) -> dict[str, dict[str, Any]]:
    entries = package.get("environmentVariables", [])
    names = [v["name"] for v in entries]
    assert len(names) == len(set(names)), f"a variable is listed twice: {names}"
    return {v["name"]: v for v in entries}


# --- the registry's rules ------------------------------------------------------------------------


def test_server_json_follows_the_registry_schema(server_json: dict[str, Any]) -> None:
    assert validate(server_json) == []
    assert server_json["$schema"] == SCHEMA_URL


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda d: d.update(description="x" * 101), "is too long"),
        (lambda d: d.update(name="io.github.hyperrep/hyperrep/mcp"), "does not match"),
        (lambda d: d.update(version="latest"), "should not be valid"),
        (lambda d: d["packages"][0].update(version="^0.1"), "should not be valid"),
        (lambda d: d["packages"][0].update(transport={"type": "streamable-http"}), "is not valid under any"),
        (
            lambda d: d["packages"][0]["environmentVariables"][0].update(isSecrets=True),
            "Additional properties",
        ),
        (lambda d: d["packages"][0]["environmentVariables"][1].update(default=30), "is not of type 'string'"),
        (lambda d: d["packages"][0]["environmentVariables"][1].update(format="integer"), "is not one of"),
        (lambda d: d.pop("version"), "'version' is a required property"),
    ],
)
def test_the_schema_rejects_what_the_registry_rejects(
    server_json: dict[str, Any], change: Any, complaint: str
) -> None:
    broken = copy.deepcopy(server_json)
    change(broken)
    problems = validate(broken)
    assert any(complaint in p for p in problems), problems


def test_identity_name_description_and_repository(server_json: dict[str, Any]) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert server_json["name"] == NAME
    assert len(server_json["description"]) <= 100
    # io.github.<owner>/... is proven by GitHub sign-in as <owner>: the repository must be theirs.
    owner = NAME.split("/")[0].removeprefix("io.github.")
    repository = server_json["repository"]
    assert repository["source"] == "github"
    assert repository["url"] == f"https://github.com/{owner}/{pyproject['project']['name']}"
    assert repository["url"] == pyproject["project"]["urls"]["Repository"]


def test_version_is_the_package_version(server_json: dict[str, Any], package: dict[str, Any]) -> None:
    assert re.fullmatch(r"\d+\.\d+\.\d+([.+-][0-9A-Za-z.+-]+)?", __version__)
    assert server_json["version"] == __version__
    assert package["version"] == __version__


def test_the_pypi_package_runs_with_uvx_over_stdio(package: dict[str, Any]) -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert package["identifier"] == pyproject["project"]["name"] == "hyperrep-mcp"
    assert package["runtimeHint"] == "uvx"
    assert package["transport"] == {"type": "stdio"}
    # The console script serves on stdio without arguments; nothing to pass.
    assert "packageArguments" not in package and "runtimeArguments" not in package


def test_no_registry_base_url_anywhere() -> None:
    # The default for pypi is the official index; naming a registry host is not ours to do.
    assert "registryBaseUrl" not in SERVER_JSON.read_text(encoding="utf-8")


def test_the_readme_carries_the_ownership_marker() -> None:
    """The registry proves PyPI ownership by finding `mcp-name: <name>` in the published README."""
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))
    assert pyproject["project"]["readme"] == "README.md"
    assert f"<!-- mcp-name: {NAME} -->" in (REPO / "README.md").read_text(encoding="utf-8")


# --- the MCP bundle entry, written by the release step ---------------------------------------------

RELEASE_URL = (
    f"https://github.com/hyperrep/hyperrep-mcp/releases/download/v{__version__}/{bundle.bundle_name()}"
)


@pytest.fixture
def released(tmp_path: Path) -> Path:
    """Stands in for the built bundle: the release step hashes whatever file it is given."""
    path = tmp_path / bundle.bundle_name()
    path.write_bytes(b"PK\x03\x04 a bundle")
    return path


def test_the_committed_file_has_no_bundle_entry(server_json: dict[str, Any]) -> None:
    """URL and hash exist only once the release is built: `python -m scripts.bundle --release-url` adds them."""
    assert [p["registryType"] for p in server_json["packages"]] == ["pypi"]


def test_the_release_step_adds_a_valid_bundle_entry(server_json: dict[str, Any], released: Path) -> None:
    once = bundle.with_mcpb_package(server_json, RELEASE_URL, released)
    again = bundle.with_mcpb_package(once, RELEASE_URL, released)
    assert again == once  # rerunning replaces the entry, never adds a second
    assert validate(once) == []
    assert once["packages"][0] == server_json["packages"][0]
    assert once["packages"][1] == {
        "registryType": "mcpb",
        "identifier": RELEASE_URL,
        "version": __version__,
        "fileSha256": hashlib.sha256(released.read_bytes()).hexdigest(),
        "transport": {"type": "stdio"},
    }


@pytest.mark.parametrize(
    "url",
    [
        RELEASE_URL.replace("https://", "http://"),
        RELEASE_URL.replace("github.com", "example.com"),
        RELEASE_URL.replace(bundle.bundle_name(), "other.mcpb"),
    ],
)
def test_the_release_step_refuses_a_url_the_registry_would_not_take(
    server_json: dict[str, Any], released: Path, url: str
) -> None:
    with pytest.raises(bundle.BundleError, match="--release-url must"):
        bundle.with_mcpb_package(server_json, url, released)


@pytest.mark.parametrize(
    ("change", "complaint"),
    [
        (lambda e: e.pop("fileSha256"), "'fileSha256' is a required property"),
        (lambda e: e.update(fileSha256="ABC"), "does not match"),
        (lambda e: e.update(identifier="https://example.com/x.mcpb"), "does not match"),
        (lambda e: e.update(transport={"type": "sse", "url": "https://x"}), "was expected"),
    ],
)
def test_the_schema_rejects_a_broken_bundle_entry(
    server_json: dict[str, Any], released: Path, change: Any, complaint: str
) -> None:
    document = bundle.with_mcpb_package(server_json, RELEASE_URL, released)
    change(document["packages"][1])
    problems = validate(document)
    assert any(complaint in p for p in problems), problems


# --- agreement with the settings code ------------------------------------------------------------


def _base_type(annotation: Any) -> Any:
    """`int`, `float`, `SecretStr`, a `Literal[...]`, ... without Optional/Annotated around it."""
    if typing.get_origin(annotation) is typing.Annotated:
        return _base_type(typing.get_args(annotation)[0])
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(annotation) if a is not type(None)]
        assert len(inner) == 1, annotation
        return _base_type(inner[0])
    return annotation


def _expected_format(annotation: Any) -> str:
    base = _base_type(annotation)
    if base is bool:
        return "boolean"
    if base in (int, float):
        return "number"
    return "string"


FIELDS = sorted(Settings.model_fields)


def test_every_setting_has_its_variable_and_nothing_else(variables: dict[str, dict[str, Any]]) -> None:
    assert sorted(variables) == sorted(env_var(f) for f in FIELDS)


@pytest.mark.parametrize("field", FIELDS)
def test_variable_matches_the_setting(field: str, variables: dict[str, dict[str, Any]]) -> None:
    info = Settings.model_fields[field]
    entry = variables[env_var(field)]
    base = _base_type(info.annotation)
    assert entry.get("description"), "every variable needs a description for the registry's UI"
    assert entry.get("isSecret", False) is (base is SecretStr)
    assert entry.get("format", "string") == _expected_format(info.annotation)
    # Required means the server refuses to start without it: only the API key (outside --demo).
    assert entry.get("isRequired", False) is (field == "api_key")
    if typing.get_origin(base) is typing.Literal:
        assert entry.get("choices") == [str(c) for c in typing.get_args(base)]
    else:
        assert "choices" not in entry
    default = info.default
    if default in (None, "", frozenset()):  # unset
        assert "default" not in entry
    elif isinstance(default, int | float):
        assert float(entry["default"]) == default
    else:
        assert entry["default"] == default


def test_write_mode_choices_are_the_write_modes(variables: dict[str, dict[str, Any]]) -> None:
    entry = variables["HYPERREP_WRITE_MODE"]
    assert entry["choices"] == list(WRITE_MODES)
    assert entry["default"] == Settings.model_fields["write_mode"].default == "drafts"


@pytest.fixture
def clean_env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for field in FIELDS:
        monkeypatch.delenv(env_var(field), raising=False)
    return monkeypatch


def test_the_defaults_parse_to_the_settings_defaults(
    variables: dict[str, dict[str, Any]], clean_env: pytest.MonkeyPatch
) -> None:
    """A client that sets every default explicitly gets exactly the server's own defaults."""
    implicit = load_settings(api_key="k")
    with_defaults = {name: entry["default"] for name, entry in variables.items() if "default" in entry}
    assert with_defaults, "no defaults at all: server.json lost them"
    for name, value in with_defaults.items():
        clean_env.setenv(name, value)
    assert load_settings(api_key="k") == implicit


def test_every_choice_is_accepted(
    variables: dict[str, dict[str, Any]], clean_env: pytest.MonkeyPatch
) -> None:
    for name, entry in variables.items():
        for choice in entry.get("choices", []):
            clean_env.setenv(name, choice)
            load_settings(api_key="k")  # raises ConfigError if the server would refuse it
        clean_env.delenv(name, raising=False)


def test_the_required_key_is_really_required(clean_env: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigError, match="HYPERREP_API_KEY is not set"):
        load_settings().api_key_value()
