"""Settings from the environment (HYPERREP_*), overridden by command-line flags.

Bad configuration is a `ConfigError` with one line that names the variable and the fix; the CLI
prints it and exits 2. Secrets are `SecretStr`, so no repr, log line or error ever shows them.
"""

from __future__ import annotations

import ipaddress
import os
from dataclasses import dataclass
from datetime import UTC, tzinfo
from typing import Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationError,
    field_validator,
    model_validator,
)

DEFAULT_BASE_URL = "https://api.hyperrep.ai"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


class ConfigError(Exception):
    """Configuration that cannot work; the message is one actionable line."""


@dataclass(frozen=True)
class WritePolicy:
    """Everything one write mode (HYPERREP_WRITE_MODE) allows, decided here and asked everywhere else.

    Which tools register (`registers_writes`), which parameters vanish from the schemas (a tool's
    declared send parameters unless `may_send`), and what a person confirms (`confirms`). Adding a
    mode is one entry in `WRITE_POLICIES`.
    """

    mode: str
    registers_writes: bool
    # A draft may go out right away; every send still needs a person's yes through elicitation.
    may_send: bool
    summary: str

    @property
    def confirms(self) -> frozenset[str]:
        """The actions a person confirms before they happen (deleting is always confirmed)."""
        actions = {"delete"} if self.registers_writes else set()
        return frozenset(actions | ({"send"} if self.may_send else set()))

    def registers(self, *, writes: bool) -> bool:
        return self.registers_writes or not writes

    def hidden(self, send_parameters: frozenset[str]) -> frozenset[str]:
        """The parameters of a tool that this mode leaves out of its schema."""
        return frozenset() if self.may_send else send_parameters


WRITE_POLICIES: dict[str, WritePolicy] = {
    policy.mode: policy
    for policy in (
        WritePolicy(
            "read_only",
            registers_writes=False,
            may_send=False,
            summary="only reading tools are registered; nothing can be written",
        ),
        WritePolicy(
            "drafts",
            registers_writes=True,
            may_send=False,
            summary="writing tools save drafts for a person to review in HyperRep; nothing is sent",
        ),
        WritePolicy(
            "autosend",
            registers_writes=True,
            may_send=True,
            summary="drafts may be sent without review, after the user confirms each one",
        ),
    )
}
WRITE_MODES: tuple[str, ...] = tuple(WRITE_POLICIES)
# Built from the table, so the settings (and server.json's choices) follow it.
WriteMode = Literal[WRITE_MODES]  # type: ignore[valid-type]
DEFAULT_WRITE_MODE = "drafts"


def is_loopback(host: str) -> bool:
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class FromEnvironment(BaseModel):
    """A model whose fields not given are read from the environment: HYPERREP_ + the field's name
    (any case). Values are strings that the fields' own types parse.

    What pydantic-settings did for us, without loading it (and its dotenv, TOML and cloud sources)
    on the path to the answer to `initialize`.
    """

    model_config = ConfigDict(extra="ignore", validate_default=True)

    @model_validator(mode="before")
    @classmethod
    def _environment(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        environ = {name.upper(): value for name, value in os.environ.items()}
        given = {
            field: environ[f"HYPERREP_{field.upper()}"]
            for field in cls.model_fields
            if f"HYPERREP_{field.upper()}" in environ
        }
        return {**given, **data}


class Settings(FromEnvironment):
    """Every setting of SPEC section 1. Environment variable = HYPERREP_ + field name, upper-cased."""

    api_key: SecretStr | None = None
    base_url: str = DEFAULT_BASE_URL
    organization_id: str | None = None
    write_mode: WriteMode = DEFAULT_WRITE_MODE
    timeout: float = Field(default=30.0, gt=0, le=300)
    max_retries: int = Field(default=3, ge=0, le=10)
    max_output_chars: int = Field(default=24000, ge=2000, le=1_000_000)
    exclude_tools: frozenset[str] = frozenset()
    mcp_token: SecretStr | None = None
    mcp_state_key: SecretStr | None = None
    # Tool calls per minute per client address on the HTTP transport; unset: 600 on a public bind,
    # off on loopback (a local desktop client is its own user); 0: off.
    mcp_rate_limit: int | None = Field(default=None, ge=0, le=1_000_000)
    # Extra Host names clients use to reach the HTTP transport (comma-separated); --allowed-host adds more.
    mcp_allowed_hosts: str = ""
    # Proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated IPs or
    # networks; `*` is refused); --forwarded-allow-ips overrides. Unset: forwarded headers are ignored, so a
    # client cannot pick the address its rate limit is counted under.
    mcp_forwarded_allow_ips: str = ""
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    # IANA zone in which period names (this_month, yesterday) and bare dates are read.
    timezone: str = "UTC"
    # The inbox index (SPEC 8): a file for it (unset: in memory), and how many days back it reaches.
    index_path: str | None = None
    index_days: int = Field(default=90, ge=1, le=365)

    @field_validator("write_mode", "log_level", mode="before")
    @classmethod
    def _lower_mode(cls, value: Any, info: Any) -> Any:
        if not isinstance(value, str):
            return value
        value = value.strip()
        return value.upper() if info.field_name == "log_level" else value.lower().replace("-", "_")

    @field_validator("exclude_tools", mode="before")
    @classmethod
    def _split_names(cls, value: Any) -> Any:
        if isinstance(value, str):
            return frozenset(name.strip() for name in value.split(",") if name.strip())
        return value

    @field_validator("organization_id", "api_key", "mcp_token", "mcp_state_key", "index_path", mode="before")
    @classmethod
    def _blank_is_unset(cls, value: Any) -> Any:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("base_url")
    @classmethod
    def _check_base_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError(f"must be an http(s) URL such as {DEFAULT_BASE_URL}")
        if parts.query or parts.fragment:
            raise ValueError("must not carry a query or fragment")
        if parts.username or parts.password:
            raise ValueError("must not carry a user name or password (the API key goes in HYPERREP_API_KEY)")
        if parts.scheme == "http" and not is_loopback(parts.hostname):
            raise ValueError(
                "must use https (plain http would send the API key unencrypted); http is only for localhost"
            )
        return value

    @field_validator("mcp_token")
    @classmethod
    def _check_token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value()) < 16:
            raise ValueError("must be at least 16 characters (e.g. the output of `openssl rand -hex 32`)")
        return value

    @field_validator("mcp_state_key")
    @classmethod
    def _check_state_key(cls, value: SecretStr | None) -> SecretStr | None:
        if value is not None and len(value.get_secret_value().encode()) < 32:
            raise ValueError("must be at least 32 bytes (e.g. the output of `openssl rand -hex 32`)")
        return value

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        value = value.strip() or "UTC"
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(
                "must be an IANA time zone name such as Europe/Berlin or America/New_York"
            ) from None
        return value

    @property
    def zone(self) -> tzinfo:
        """HYPERREP_TIMEZONE as a tzinfo (UTC itself for UTC, so UTC windows stay plain UTC)."""
        return UTC if self.timezone == "UTC" else ZoneInfo(self.timezone)

    @property
    def write_policy(self) -> WritePolicy:
        return WRITE_POLICIES[self.write_mode]

    def api_key_value(self) -> str:
        """The API key, for the one place that needs it (the HTTP client header)."""
        if self.api_key is None:
            raise ConfigError(
                "HYPERREP_API_KEY is not set: export your HyperRep API key, or add --demo to try the sandbox."
            )
        return self.api_key.get_secret_value()


_SECRET_FIELDS = frozenset({"api_key", "mcp_token", "mcp_state_key"})
_ENV_NAMES = {name: f"HYPERREP_{name.upper()}" for name in Settings.model_fields}


def load_settings(**overrides: Any) -> Settings:
    """Settings from the environment with non-None `overrides` (command-line flags) on top."""
    try:
        return Settings(**{k: v for k, v in overrides.items() if v is not None})
    except ValidationError as exc:
        err = exc.errors()[0]
        field = str(err["loc"][0]) if err["loc"] else ""
        name = _ENV_NAMES.get(field, field)
        msg = err["msg"].removeprefix("Value error, ")
        if err["type"] == "literal_error" and field == "write_mode":
            msg = f"must be one of {', '.join(WRITE_MODES)}"
        given = err.get("input")
        echo = isinstance(given, str | int | float) and not (isinstance(given, str) and "@" in given)
        if field not in _SECRET_FIELDS and echo:  # a URL with user:password@ is a secret too
            msg = f"{msg} (got {err['input']!r})"
        raise ConfigError(f"{name}: {msg}" if name else msg) from None


def env_var(field: str) -> str:
    """The environment variable behind a settings field (for messages and docs)."""
    return _ENV_NAMES[field]
