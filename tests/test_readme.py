"""The README is true of the code, and its generated parts cannot drift.

Generated from the live server, between marker comments: the tool table (`<!-- tools:begin ... -->`)
and the example outputs (`<!-- example keep=... -->` before a ```text block whose first line is the
`$ uv run hyperrep-mcp call ...` command). After a deliberate change, regenerate both with:

    UPDATE_README=1 uv run pytest tests/test_readme.py

Checked against the code: the two commands at the top, the client configurations (= what
`hyperrep-mcp doctor` prints), the configuration table (= Settings), every command line and flag,
every tool, resource and prompt named, and the error messages quoted under Troubleshooting.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import mcp
import pytest
from mcp import Client
from mcp.types import Tool

from hyperrep_mcp.assembly import ServeOptions
from hyperrep_mcp.cli import _parser, main
from hyperrep_mcp.config import ConfigError, Settings, env_var, load_settings
from hyperrep_mcp.doctor import client_configs
from hyperrep_mcp.logs import THIRD_PARTY_LOGGERS
from hyperrep_mcp.server.app import build_server
from hyperrep_mcp.server.registry import by_name
from hyperrep_mcp.server.tools import ALL_TOOLS

TOOLS = by_name(ALL_TOOLS)

REPO = Path(__file__).resolve().parent.parent
README = REPO / "README.md"
UPDATE = bool(os.environ.get("UPDATE_README"))
REGENERATE = "UPDATE_README=1 uv run pytest tests/test_readme.py"

TOOLS_BEGIN = re.compile(r"<!-- tools:begin[^>]*-->\n")
TOOLS_END = "<!-- tools:end -->"
EXAMPLE = re.compile(r"<!-- example keep=(?P<keep>[0-9a-z,\-]+) -->\n```text\n(?P<body>.*?)```\n", re.DOTALL)
ID_LENGTH_SHOWN = 12
LONG_ID = re.compile(r"\b([a-z_]*id=)(\"?)([A-Za-z0-9_\-]{17,}=*)")
# Flags in the README that belong to other commands (uv, ruff, the conformance suite, the Inspector,
# scripts/bundle.py: tests/e2e/test_bundle.py checks that one's; uvicorn).
OTHER_TOOLS_FLAGS = {
    "--from",
    "--directory",
    "--check",
    "--requirements",
    "--strict",
    "--refresh",
    "--release-url",
    "--factory",
    "--no-proxy-headers",
}


def readme() -> str:
    return README.read_text(encoding="utf-8")


def section(text: str, heading: str) -> str:
    """The body of the `## heading` (or deeper) section, up to the next heading of the same level."""
    level = heading.split(" ", 1)[0]
    start = text.index(f"\n{heading}\n") + len(heading) + 2
    following = re.search(rf"^{level} ", text[start:], re.MULTILINE)
    return text[start : start + following.start()] if following else text[start:]


def code_blocks(text: str, language: str | None = None) -> list[str]:
    blocks = re.findall(r"^```(\w*)\n(.*?)^```", text, re.MULTILINE | re.DOTALL)
    return [body for lang, body in blocks if language is None or lang == language]


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """No HYPERREP_* from the runner's environment; the root logger restored after `main()` set it up."""
    for name in list(os.environ):
        if name.startswith("HYPERREP_"):
            monkeypatch.delenv(name)
    root = logging.getLogger()
    saved = root.handlers[:], root.level, {n: logging.getLogger(n).level for n in THIRD_PARTY_LOGGERS}
    yield
    root.handlers[:] = saved[0]
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)


# --- the generated tool table --------------------------------------------------------------------


async def live_tools() -> list[Tool]:
    async with Client(build_server(load_settings(api_key="k"))) as client:
        return (await client.list_tools()).tools


def _kind(tool: Tool) -> str:
    hints = tool.annotations
    assert hints is not None
    if hints.read_only_hint:
        return "read"
    return "write · destructive" if hints.destructive_hint else "write"


def render_tool_table(tools: list[Tool]) -> str:
    """One row per tool: name, title, read/write, and the first paragraph of its description."""
    rows = ["| tool | title | kind | what it is for |", "|---|---|---|---|"]
    for tool in tools:
        purpose = " ".join((tool.description or "").split("\n\n")[0].split()).replace("|", "\\|")
        rows.append(f"| `{tool.name}` | {tool.title} | {_kind(tool)} | {purpose} |")
    return "\n".join(rows) + "\n"


def splice_tool_table(text: str, table: str) -> str:
    begin = TOOLS_BEGIN.search(text)
    assert begin, "README.md lost its <!-- tools:begin --> marker"
    end = text.index(TOOLS_END, begin.end())
    return text[: begin.end()] + "\n" + table + "\n" + text[end:]


@pytest.mark.anyio
async def test_the_tool_table_is_the_live_server() -> None:
    tools = await live_tools()
    text = readme()
    wanted = splice_tool_table(text, render_tool_table(tools))
    if UPDATE and wanted != text:
        README.write_text(wanted, encoding="utf-8")
        text = wanted
    assert text == wanted, f"the README's tool table differs from the live server; regenerate: {REGENERATE}"
    assert f"gives a model {len(tools)} tools" in text


# --- the generated example outputs ---------------------------------------------------------------


def _kept_lines(keep: str, count: int) -> list[int]:
    """`1-7,last` -> the 1-based line numbers to show (those that exist)."""
    wanted: set[int] = set()
    for part in keep.split(","):
        if part == "last":
            wanted.add(count)
        elif "-" in part:
            first, last = part.split("-")
            wanted.update(range(int(first), int(last) + 1))
        else:
            wanted.add(int(part))
    return sorted(n for n in wanted if 1 <= n <= count)


def _short_ids(line: str) -> str:
    return LONG_ID.sub(lambda m: f"{m[1]}{m[2]}{m[3][:ID_LENGTH_SHOWN]}…", line)


def render_example(command: str, output: str, keep: str) -> str:
    """The command, then the kept lines of its output with `…` where lines were left out."""
    lines = [line.rstrip() for line in output.rstrip("\n").splitlines()]
    shown, previous = [command], 0
    for number in _kept_lines(keep, len(lines)):
        if number != previous + 1:
            shown.append("…")
        shown.append(_short_ids(lines[number - 1]))
        previous = number
    if previous < len(lines):
        shown.append("…")
    return "\n".join(shown) + "\n"


def run_example(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    argv = shlex.split(command.removeprefix("$ "))
    assert argv[:4] == ["uv", "run", "hyperrep-mcp", "call"] and "--demo" in argv, command
    code = main(argv[2 + 1 :])
    out, err = capsys.readouterr()
    assert code == 0, f"{command} failed: {err}"
    return out


def _generalized(line: str) -> str:
    """Digits (dates, counts) and ID values move with the clock; words and structure must not drift."""
    line = re.sub(r"\b([a-z_]*id=)\"?[A-Za-z0-9_\-]*(…|=*)", r"\1…", _short_ids(line))
    # Which folders have activity in the last 7 days moves with the clock too (a spam message comes and goes).
    line = re.sub(r"folders: [^·\n]*", "folders: …", line)
    # Which agent answered a generated thread moves with the clock too.
    line = re.sub(r"· [^·(\n]+ \(us\)", "· … (us)", line)
    return re.sub(r"\d+(?:\.\d+)?", "0", line)  # 84.1% and 83% alike


def _skeleton(line: str) -> str:
    """A list item's shape: its fields and their wording, whatever the names and quoted texts in them."""
    line = re.sub(r'"[^"]*"', '"…"', _generalized(line))
    # Which folder a generated conversation sits in, and how long its customer has waited ('8 min',
    # '5 h 12 min', '3 d 4 h': records.waited), move with the clock too.
    line = re.sub(r"· (?:inbox|primary) ·", "· folder ·", line)
    line = re.sub(r"waiting (?:0 d 0 h|0 h 0 min|0 min)\b", "waiting …", line)
    line = re.sub(r"[^\W\d_]+", lambda word: "A" if word[0][0].isupper() else word[0], line)
    return re.sub(r"A(?:[ &'.\-]+A)+", "A", line)  # a name of any length


def example_matches(shown: str, fresh: str, output: str) -> bool:
    """Lines match line by line; a list item may be any item of the same shape, since which
    customers are newest depends on the minute the sandbox was generated."""
    shown_lines, fresh_lines = shown.rstrip("\n").splitlines(), fresh.rstrip("\n").splitlines()
    items = {_skeleton(line) for line in output.splitlines() if line.startswith("- ")}
    if len(shown_lines) != len(fresh_lines):
        return False
    for was, now in zip(shown_lines, fresh_lines, strict=True):
        if was.startswith("- ") and now.startswith("- "):
            if _skeleton(was) not in items:
                return False
        elif _generalized(was) != _generalized(now):
            return False
    return True


def test_an_example_item_matches_one_that_waited_longer_or_sits_elsewhere_but_not_a_reworded_one() -> None:
    shown = '- Sharon Harris · text · inbox · unread · awaiting our reply, waiting 6 min · "Leaking again"'
    later = '- Raymond Cook · text · inbox · unread · awaiting our reply, waiting 1 h 39 min · "ok"'
    days = '- Jessica Sanchez · text · inbox · unread · awaiting our reply, waiting 1 d 4 h · "Friday?"'
    for output in (later, days):
        assert example_matches(shown, later, output)
    reworded = later.replace("awaiting our reply", "awaiting a reply")
    assert not example_matches(shown, reworded, reworded)
    assert example_matches(shown, later, later.replace("inbox", "primary"))  # folders move too
    assert not example_matches(shown, later, later.replace("text", "email"))


def test_the_examples_are_real_output_of_the_demo(capsys: pytest.CaptureFixture[str]) -> None:
    text = readme()
    examples = list(EXAMPLE.finditer(text))
    assert len(examples) >= 5, "the example conversations lost their <!-- example --> markers"
    wanted, stale = text, []
    for match in reversed(examples):  # from the end, so earlier offsets stay valid
        command = match["body"].splitlines()[0]
        output = run_example(command, capsys)
        fresh = render_example(command, output, match["keep"])
        if not example_matches(match["body"], fresh, output):
            stale.append(command)
            start, end = match.span("body")
            wanted = wanted[:start] + fresh + wanted[end:]
    if UPDATE and stale:
        README.write_text(wanted, encoding="utf-8")
        stale = []
    assert stale == [], f"README examples no longer match the demo ({stale}); regenerate: {REGENERATE}"


def test_the_example_questions_are_those_of_the_spec() -> None:
    examples = section(readme(), "## Example conversations")
    for question in (
        "Who's waiting on a reply from us this week?",
        "Show me Diana Prince's last conversation.",
        "Draft a follow-up to that thread.",
        "Response rate this month vs last month?",
        "Email hal@example.com about his quote.",
        "Which customers mentioned insurance this month?",
        "How fast do we answer texts?",
    ):
        assert f'**"{question}"**' in examples


# --- what a newcomer reads first -----------------------------------------------------------------


def test_the_two_commands_come_first_exactly() -> None:
    text = readme()
    before_quickstart = text[: text.index("\n## Quickstart")]
    assert code_blocks(before_quickstart, "bash") == [
        "uv run hyperrep-mcp call inbox_overview --demo\n",
        "uv run pytest\n",
    ]
    assert "<!-- mcp-name: io.github.hyperrep/hyperrep-mcp -->" in text.splitlines()[:5]


def test_the_sections_a_newcomer_needs_are_there_in_order() -> None:
    headings = re.findall(r"^## (.+)$", readme(), re.MULTILINE)
    expected = [
        "Two commands",
        "Quickstart: 60 seconds on the sandbox",
        "Install",
        "Connect a client",
        "Tools",
        "Write modes and their guarantees",
        "Resources and prompts",
        "Example conversations",
        "Configuration",
        "Security",
        "Troubleshooting",
        "Reliability",
        "Performance",
        "Development",
    ]
    assert [h for h in headings if h in expected] == expected
    assert "bench/RESULTS.md" in section(readme(), "## Performance")


# --- client configurations = what doctor prints --------------------------------------------------


def _doctor_sections() -> dict[str, list[str]]:
    sections: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in client_configs(load_settings(), demo=False):
        if m := re.fullmatch(r"== (.+) ==", line):
            current = sections.setdefault(m[1], [])
        elif current is not None:
            current.append(line)
    return sections


def _json_documents(lines: list[str]) -> list[Any]:
    documents, buffer = [], None
    for line in lines:
        if line == "{":
            buffer = [line]
        elif buffer is not None:
            buffer.append(line)
            if line == "}":
                documents.append(json.loads("\n".join(buffer)))
                buffer = None
    return documents


def test_client_sections_match_what_doctor_prints() -> None:
    connect = section(readme(), "## Connect a client")
    doctor = _doctor_sections()
    assert list(doctor) == re.findall(r"^### (.+)$", connect, re.MULTILINE)
    for title, lines in doctor.items():
        body = section(connect, f"### {title}")
        readme_json = [json.loads(block) for block in code_blocks(body, "json")]
        for document in _json_documents(lines):
            assert document in readme_json, f"{title}: the README lacks doctor's configuration {document}"
        commands = [
            line.strip()
            for line in lines
            if line.startswith("claude mcp add") or line.strip().startswith("HYPERREP_API_KEY=")
        ]
        shell = "".join(code_blocks(body, "bash")).splitlines()
        for command in commands:
            assert command in shell, f"{title}: the README lacks doctor's command {command!r}"


# --- configuration -------------------------------------------------------------------------------


def _config_rows() -> dict[str, list[str]]:
    rows = {}
    for line in section(readme(), "## Configuration").splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if cells and (m := re.fullmatch(r"`(HYPERREP_[A-Z_]+)`", cells[0])):
            rows[m[1]] = cells[1:]
    return rows


def _shown(default: Any) -> str:
    if isinstance(default, float) and default.is_integer():
        default = int(default)
    return f"`{default}`"


def test_the_configuration_table_is_the_settings() -> None:
    rows = _config_rows()
    serving = {f"HYPERREP_{name.upper()}" for name in ServeOptions.model_fields}
    assert sorted(rows) == sorted([*(env_var(f) for f in Settings.model_fields), *serving])
    flags = _all_flags(server_only=True)
    for name in serving:  # the serving options' flags are named for people (--host), not after the setting
        assert rows[name][2] and rows[name][0].strip("`") in flags, name
    for field, info in Settings.model_fields.items():
        flag_cell, default_cell, meaning = rows[env_var(field)]
        assert meaning, field
        default = info.default
        if default in (None, "", frozenset()):  # unset
            assert default_cell in ("—", "random per process"), field
        else:
            assert default_cell == _shown(default), f"{env_var(field)}: README says {default_cell}"
        option = f"--{field.replace('_', '-')}"
        if option in flags:
            assert flag_cell == f"`{option}`", field
        else:  # secrets have no flag on purpose: a flag would show them in the process list
            assert flag_cell == "—" or flag_cell.strip("`") in flags, field


# --- commands, flags, tools, resources, prompts named in the text ---------------------------------


def _parsers() -> list[argparse.ArgumentParser]:
    top = _parser()
    subs = [a for a in top._actions if isinstance(a, argparse._SubParsersAction)]
    return [top, *(p for action in subs for p in action.choices.values())]


def _all_flags(*, server_only: bool = False) -> set[str]:
    """Every option of every subcommand; `server_only`: those of the server, not of the sandbox."""
    parsers = [p for p in _parsers() if not (server_only and p.prog.endswith(" sandbox"))]
    return {opt for p in parsers for a in p._actions for opt in a.option_strings}


def _hyperrep_arguments(line: str) -> list[str] | None:
    """The arguments after the `hyperrep-mcp` command word on a shell line, or None if it has none."""
    try:
        words = shlex.split(line, comments=True)
    except ValueError:
        return None
    if "hyperrep-mcp" not in words:
        return None
    return words[len(words) - 1 - words[::-1].index("hyperrep-mcp") + 1 :]


def test_every_documented_command_line_parses() -> None:
    text = readme()
    lines = [line for block in code_blocks(text, "bash") for line in block.replace("\\\n", " ").splitlines()]
    lines += [
        line[2:] for block in code_blocks(text, "text") for line in block.splitlines() if line[:2] == "$ "
    ]
    # Inline commands a reader copies (not prose mentions such as `hyperrep-mcp call`).
    lines += re.findall(r"`((?:uv run|uvx|HYPERREP_\w+=\S*) [^`\n]*hyperrep-mcp[^`\n]*)`", text)
    checked = 0
    for line in lines:
        arguments = _hyperrep_arguments(line)
        if arguments is None:
            continue
        try:
            _parser().parse_args(arguments)
        except SystemExit as exc:
            if exc.code not in (0, None):  # --help and --version exit 0
                pytest.fail(f"the README shows a command hyperrep-mcp refuses: {line}")
        checked += 1
    assert checked >= 15


def test_every_flag_mentioned_exists() -> None:
    mentioned = set(re.findall(r"(?<![\w-])(--[a-z][a-z-]+)", readme()))
    assert mentioned - OTHER_TOOLS_FLAGS <= _all_flags()
    assert "--allowed-host" in mentioned


def test_every_tool_mentioned_exists() -> None:
    mentioned = set(re.findall(r"\b((?:list|get|create|upsert|delete|inbox)_[a-z_]+)\b", readme()))
    assert mentioned - set(TOOLS) == set()


@pytest.mark.anyio
async def test_resources_and_prompts_are_the_live_ones() -> None:
    async with Client(build_server(load_settings(api_key="k"))) as client:
        uris = [str(r.uri) for r in (await client.list_resources()).resources]
        uris += [t.uri_template for t in (await client.list_resource_templates()).resource_templates]
        prompts = {p.name: p for p in (await client.list_prompts()).prompts}
    documented = section(readme(), "## Resources and prompts")
    assert set(re.findall(r"`(hyperrep://[^`]+)`", readme())) == set(uris)
    rows = dict(re.findall(r"^\| `([a-z_]+)` \| (.*?) \|", documented, re.MULTILINE))
    assert set(rows) == set(prompts)
    for name, prompt in prompts.items():
        for argument in prompt.arguments or []:
            suffix = "" if argument.required else "?"
            assert f"`{argument.name}{suffix}`" in rows[name], f"{name}: argument {argument.name}"


# --- troubleshooting quotes real messages ----------------------------------------------------------


def _sources() -> str:
    """Our code and the SDK's server (Host/Origin refusals), plus messages assembled at run time."""
    ours = (REPO / "hyperrep_mcp").rglob("*.py")
    sdk = (Path(mcp.__file__).parent / "server").rglob("*.py")
    rendered = []
    for bad in ({"write_mode": "send"}, {"timeout": 0}):
        with pytest.raises(ConfigError) as refused:
            load_settings(api_key="k", **bad)
        rendered.append(str(refused.value))
    return "\n".join([*(p.read_text(encoding="utf-8") for p in [*ours, *sdk]), *rendered])


def test_troubleshooting_quotes_messages_the_code_really_produces() -> None:
    quoted = re.findall(r"^#### `([^`]+)`$", section(readme(), "## Troubleshooting"), re.MULTILINE)
    assert len(quoted) >= 15
    sources = _sources()
    missing = [message for message in quoted if message not in sources]
    assert missing == [], "these messages are no longer in the code: update Troubleshooting"
