"""MCP prompts, loaded from the markdown files in prompts/ (SPEC section 6).

A prompt file is TOML front matter between `+++` lines, then the markdown text sent as the user
message. The front matter names the prompt (= the file's stem) and describes its arguments:

    +++
    name = "triage_inbox"
    title = "Triage the inbox"
    description = "What the prompt does, for the person picking it."

    [[arguments]]
    name = "days"
    description = "How many days back to look"
    kind = "days"          # text (default) · id · days · date
    default = 7            # required for optional arguments; dates: "today" or "today-30"
    suggestions = [7, 14, 30]   # offered as completions
    +++
    Look at the last {days} days (since {days_ago}) ...

The text may use `{argument}` for every argument, `{today}` (the server's date in HYPERREP_TIMEZONE),
and `{NAME_ago}` for a `days` argument NAME (the date NAME days before today); other braces are left alone. Arguments
named start_date and end_date must come in that order. Files are checked when loaded, so a typo
fails at start-up and in the tests, not in a client.

Arguments are validated before rendering and refused with -32602 and the reason (the SDK's own
check turns a missing argument into an opaque internal error). The wheel ships the folder as
`hyperrep_mcp/prompts`; a source checkout has it at the repository root.
"""

from __future__ import annotations

import functools
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from mcp.server import MCPServer
from mcp.server.mcpserver.prompts.base import Message, Prompt, PromptArgument, UserMessage
from mcp.shared.exceptions import MCPError
from mcp.types import INVALID_PARAMS

from hyperrep_mcp.server.results import ToolInputError
from hyperrep_mcp.server.validation import api_id, names_list

PACKAGE_DIR = Path(__file__).resolve().parent.parent  # hyperrep_mcp/
KINDS = ("text", "id", "days", "date")
MAX_TEXT = 2000
DAYS_RANGE = (1, 365)
_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_RELATIVE_DATE = re.compile(r"^today(?:-(\d+))?$")
_SAMPLES = {"text": "sample", "id": "HR_id_sample", "days": "1", "date": "today"}


class PromptFileError(Exception):
    """A prompt file is malformed; the message names the file and the problem."""


def prompts_dir(package_dir: Path = PACKAGE_DIR) -> Path:
    """The prompts folder: inside the package when installed from the wheel, else the checkout's root.

    The checkout's folder is used only beside the project's pyproject.toml, so an installed copy never
    picks up some other `prompts/` that happens to sit in site-packages.
    """
    installed = package_dir / "prompts"
    if installed.is_dir():
        return installed
    checkout = package_dir.parent
    if (checkout / "prompts").is_dir() and (checkout / "pyproject.toml").is_file():
        return checkout / "prompts"
    raise PromptFileError(
        f"prompt files not found: no {installed} (installed package) and no {checkout / 'prompts'} "
        "beside pyproject.toml (source checkout); the installation is incomplete"
    )


# --- the files -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArgumentSpec:
    name: str
    description: str
    required: bool
    kind: str
    default: Any
    suggestions: tuple[str, ...]

    def value(self, raw: Any, today: date) -> str:
        """The argument as it goes into the text; MCPError (-32602) with the reason when unusable."""
        text = str(raw).strip()
        if self.kind == "text":
            if len(text) > MAX_TEXT:
                raise _invalid(f"{self.name} is too long ({len(text)} characters; at most {MAX_TEXT}).")
            return " ".join(text.split())
        if self.kind == "id":
            # The tools' own rule: the prompt tells the model to pass this ID to them, and a value
            # they would refuse ('..', '/', '?', bidi controls) has no business in the text either.
            try:
                return api_id(text, self.name)
            except ToolInputError as exc:
                raise _invalid(str(exc)) from None
        if self.kind == "days":
            low, high = DAYS_RANGE
            if not text.isdigit() or not low <= int(text) <= high:
                raise _invalid(
                    f"{self.name} must be a whole number of days from {low} to {high}, not {text!r}."
                )
            return str(int(text))
        parsed = _date(text, today)
        if parsed is None:
            raise _invalid(f"{self.name} {text!r} is not a date: use YYYY-MM-DD, e.g. {today.isoformat()}.")
        return parsed.isoformat()


@dataclass(frozen=True)
class PromptFile:
    name: str
    title: str
    description: str
    arguments: tuple[ArgumentSpec, ...]
    body: str

    def render(self, arguments: Mapping[str, Any], today: date | None = None) -> str:
        """The prompt text for these arguments (blank optional ones take their defaults)."""
        today = today or datetime.now(UTC).date()
        known = {a.name: a for a in self.arguments}
        unknown = sorted(set(arguments) - known.keys())
        if unknown:
            raise _invalid(
                f"{self.name} has no argument {names_list(unknown)}; it takes {_signature(self.arguments)}."
            )
        values: dict[str, str] = {"today": today.isoformat()}
        for arg in self.arguments:
            raw = arguments.get(arg.name)
            if raw is None or not str(raw).strip():
                if arg.required:
                    raise _invalid(f"{self.name} needs {arg.name}: {arg.description}.")
                raw = arg.default
            values[arg.name] = arg.value(raw, today)
            if arg.kind == "days":
                values[f"{arg.name}_ago"] = (today - timedelta(days=int(values[arg.name]))).isoformat()
        if values.get("start_date", "") > values.get("end_date", "9999"):
            raise _invalid(f"start_date ({values['start_date']}) is after end_date ({values['end_date']}).")
        return _PLACEHOLDER.sub(lambda m: values.get(m.group(1), m.group(0)), self.body)


def _invalid(message: str) -> MCPError:
    return MCPError(code=INVALID_PARAMS, message=message)


def _signature(arguments: tuple[ArgumentSpec, ...]) -> str:
    return ", ".join(a.name if a.required else f"{a.name} (optional)" for a in arguments) or "no arguments"


def _date(text: str, today: date) -> date | None:
    relative = _RELATIVE_DATE.match(text)
    if relative:
        return today - timedelta(days=int(relative.group(1) or 0))
    try:
        return date.fromisoformat(text[:10]) if len(text) == 10 else None
    except ValueError:
        return None


def parse_prompt_file(path: Path) -> PromptFile:
    """One prompt file, checked: every problem is a `PromptFileError` naming the file."""
    text = path.read_text(encoding="utf-8")
    parts = re.split(r"^\+\+\+[ \t]*$\n?", text, maxsplit=2, flags=re.MULTILINE)
    if len(parts) != 3 or parts[0].strip():
        raise PromptFileError(f"{path.name}: must start with TOML front matter between '+++' lines")
    try:
        meta = tomllib.loads(parts[1])
    except tomllib.TOMLDecodeError as exc:
        raise PromptFileError(f"{path.name}: front matter is not valid TOML: {exc}") from None
    body = parts[2].strip() + "\n"

    def need(table: Mapping[str, Any], key: str, where: str) -> str:
        value = table.get(key)
        if not isinstance(value, str) or not value.strip():
            raise PromptFileError(f"{path.name}: {where} needs a non-empty string '{key}'")
        return value.strip()

    name = need(meta, "name", "the front matter")
    if name != path.stem:
        raise PromptFileError(f"{path.name}: name {name!r} must equal the file name {path.stem!r}")
    arguments = tuple(_argument(path, raw, need) for raw in meta.get("arguments", []))
    names = [a.name for a in arguments]
    if len(set(names)) != len(names):
        raise PromptFileError(f"{path.name}: an argument is declared twice")
    available = {"today", *names, *(f"{a.name}_ago" for a in arguments if a.kind == "days")}
    used = set(_PLACEHOLDER.findall(body))
    if used - available:
        raise PromptFileError(f"{path.name}: unknown placeholders {sorted(used - available)}")
    if set(names) - used:
        raise PromptFileError(f"{path.name}: arguments never used in the text: {sorted(set(names) - used)}")
    prompt = PromptFile(
        name=name,
        title=need(meta, "title", "the front matter"),
        description=need(meta, "description", "the front matter"),
        arguments=arguments,
        body=body,
    )
    try:  # the defaults must render: a bad default is a bug in the file, not in a client's request
        prompt.render({a.name: _SAMPLES[a.kind] for a in arguments if a.required})
    except MCPError as exc:
        raise PromptFileError(f"{path.name}: defaults do not render: {exc}") from None
    return prompt


def _argument(path: Path, raw: Any, need: Any) -> ArgumentSpec:
    if not isinstance(raw, dict):
        raise PromptFileError(f"{path.name}: each [[arguments]] entry must be a table")
    name = need(raw, "name", "an argument")
    where = f"argument {name!r}"
    if not _NAME.match(name):
        raise PromptFileError(f"{path.name}: {where}: names are lowercase letters, digits and '_'")
    kind = raw.get("kind", "text")
    if kind not in KINDS:
        raise PromptFileError(f"{path.name}: {where}: kind must be one of {', '.join(KINDS)}")
    required = raw.get("required", False)
    if not isinstance(required, bool):
        raise PromptFileError(f"{path.name}: {where}: required must be true or false")
    if not required and "default" not in raw:
        raise PromptFileError(f"{path.name}: {where}: an optional argument needs a default")
    return ArgumentSpec(
        name=name,
        description=need(raw, "description", where),
        required=required,
        kind=kind,
        default=raw.get("default"),
        suggestions=tuple(str(s) for s in raw.get("suggestions", [])),
    )


def load_prompt_files(directory: Path | None = None) -> list[PromptFile]:
    """Every prompt file in the folder (README.md excepted), sorted by name."""
    folder = directory or prompts_dir()
    paths = sorted(p for p in folder.glob("*.md") if p.name.lower() != "readme.md")
    return [parse_prompt_file(p) for p in paths]


@functools.cache
def _shipped() -> dict[str, PromptFile]:
    """The shipped prompt files, read once per process (they are part of the installed code)."""
    return {p.name: p for p in load_prompt_files()}


# --- MCP ---------------------------------------------------------------------------------------------


class FilePrompt(Prompt):
    """A prompt rendered from its file. `render` is ours so that argument problems reach the client
    as -32602 with the reason, instead of the SDK's opaque internal error."""

    async def render(self, arguments: dict[str, Any] | None, context: Any) -> list[Message]:  # type: ignore[override]
        return [
            UserMessage(
                self.fn(arguments or {}, today=server_today(context.request_context.lifespan_context))
            )
        ]


def server_today(state: Any) -> date:
    """Today as the tools read it: the server's clock in HYPERREP_TIMEZONE."""
    return state.clock().astimezone(state.settings.zone).date()


def as_mcp_prompt(prompt: PromptFile) -> FilePrompt:
    return FilePrompt(
        name=prompt.name,
        title=prompt.title,
        description=prompt.description,
        arguments=[
            PromptArgument(name=a.name, description=a.description, required=a.required)
            for a in prompt.arguments
        ],
        fn=prompt.render,
    )


def register_prompts(server: MCPServer) -> None:
    """Register every prompts/*.md file as a prompt."""
    for prompt in _shipped().values():
        server.add_prompt(as_mcp_prompt(prompt))
    server.middleware.append(_unknown_prompt_is_invalid_params(frozenset(_shipped())))


def _unknown_prompt_is_invalid_params(names: frozenset[str]) -> Any:
    """prompts/get for a name we lack: -32602 naming ours, as the spec asks. The SDK raises a
    ValueError, which reaches the client as code 0 (2025) or -32603 (2026) and logs a traceback."""

    async def check(ctx: Any, call_next: Any) -> Any:
        if ctx.method == "prompts/get":
            name = (ctx.params or {}).get("name")
            if isinstance(name, str) and name not in names:
                raise _invalid(f"Unknown prompt: {names_list([name])}. Prompts: {', '.join(sorted(names))}.")
        return await call_next(ctx)

    return check


def suggested_values(
    prompt_name: str, argument: str, typed: str, today: date | None = None
) -> list[str] | None:
    """Completions a prompt file offers for one of its arguments (dates relative to today resolved)."""
    prompt = _shipped().get(prompt_name)
    spec = next((a for a in prompt.arguments if a.name == argument), None) if prompt else None
    if spec is None:
        return None
    today = today or datetime.now(UTC).date()
    values = []
    for suggestion in spec.suggestions:
        resolved = _date(suggestion, today) if spec.kind == "date" else None
        values.append(resolved.isoformat() if resolved else suggestion)
    needle = typed.strip().casefold()
    return [v for v in dict.fromkeys(values) if v.casefold().startswith(needle)]
