"""One write policy per mode, chosen once from settings: every refusal path of the guard it drives.

Unconfigured, unknown mode, read_only (no write tool listed or callable), drafts (no send parameter
in any schema; passing one anyway sends nothing and asks no one), autosend (a send asks a person
first; a client that cannot ask sends nothing), and a new mode being one entry. Outcomes are checked
on the sandbox's own request log and data, not through our code.
"""

from __future__ import annotations

import typing
from typing import Any, Literal

import pytest
from mcp.types import ElicitRequestParams, ElicitResult

from hyperrep_mcp.config import WRITE_MODES, WRITE_POLICIES, ConfigError, Settings, WritePolicy, load_settings
from hyperrep_mcp.doctor import run_doctor
from hyperrep_mcp.server.app import tool_plan
from hyperrep_mcp.server.registry import by_name
from hyperrep_mcp.server.tools import ALL_TOOLS
from tests.support import RunningSandbox, connect, text_of

TOOLS = by_name(ALL_TOOLS)

pytestmark = pytest.mark.anyio

EMAIL = {"modality": "email", "to_email": "hal@example.com", "subject": "Your quote", "body_text": "Hi"}
WRITERS = {name for name, spec in TOOLS.items() if spec.writes}
SENDERS = {name for name, spec in TOOLS.items() if spec.send_parameters}
SEND_PARAMETERS = {"autosend_draft", "send_confirmation"}


class Asked:
    """An elicitation callback that records each question and answers yes."""

    def __init__(self) -> None:
        self.questions: list[str] = []

    async def __call__(self, _context: Any, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        return ElicitResult(action="accept", content={"send": True})


async def listed_and_sent(sb: RunningSandbox, mode: str, person: Asked) -> tuple[dict[str, Any], Any]:
    """The tools listed in `mode`, and a create_message_draft that asks to send (autosend_draft=true)."""
    async with connect(sb, write_mode=mode, elicitation_callback=person) as client:
        tools = {t.name: t for t in (await client.list_tools()).tools}
        return tools, await client.call_tool("create_message_draft", {**EMAIL, "autosend_draft": True})


def bodies(sb: RunningSandbox) -> list[dict[str, Any]]:
    return [w.json for w in sb.sandbox.writes() if w.json is not None]


def test_unconfigured_means_drafts(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.delenv("HYPERREP_WRITE_MODE", raising=False)
    policy = load_settings(api_key="k").write_policy
    assert policy.mode == "drafts" and policy.registers_writes and not policy.may_send


@pytest.mark.parametrize("given", ["sometimes", "", "send", "read only please"])
def test_an_unknown_mode_fails_at_start_naming_the_variable_and_the_modes(given: str):
    with pytest.raises(ConfigError) as refused:
        load_settings(api_key="k", write_mode=given)
    assert str(refused.value).startswith("HYPERREP_WRITE_MODE: must be one of read_only, drafts, autosend")


@pytest.mark.parametrize(("given", "mode"), [("READ-ONLY", "read_only"), (" Autosend ", "autosend")])
def test_mode_spelling_is_forgiving(given: str, mode: str):
    assert load_settings(api_key="k", write_mode=given).write_policy is WRITE_POLICIES[mode]


def test_the_policies_say_what_each_mode_allows():
    read_only, drafts, autosend = (WRITE_POLICIES[m] for m in ("read_only", "drafts", "autosend"))
    assert WRITE_MODES == ("read_only", "drafts", "autosend")
    assert not read_only.registers(writes=True) and read_only.registers(writes=False)
    assert read_only.confirms == frozenset()
    assert drafts.confirms == {"delete"} and autosend.confirms == {"send", "delete"}
    sends = frozenset(SEND_PARAMETERS)
    assert drafts.hidden(sends) == sends and autosend.hidden(sends) == frozenset()


def test_send_parameters_are_declared_not_guessed_from_names():
    assert {"create_message_draft", "upsert_response_draft"} == SENDERS
    for name in SENDERS:
        assert TOOLS[name].send_parameters == SEND_PARAMETERS


async def test_read_only_lists_and_runs_no_write_tool(sandbox: RunningSandbox):
    async with connect(sandbox, write_mode="read_only") as client:
        tools = (await client.list_tools()).tools
        refused = {name: await client.call_tool(name, {}) for name in sorted(WRITERS)}
    assert {t.name for t in tools} == set(TOOLS) - WRITERS
    assert all(t.annotations.read_only_hint for t in tools)
    assert all(r.is_error for r in refused.values())
    assert sandbox.sandbox.writes() == []


async def test_drafts_hides_the_send_parameters_and_a_passed_one_sends_nothing(sandbox: RunningSandbox):
    person = Asked()
    tools, r = await listed_and_sent(sandbox, "drafts", person)
    for name in SENDERS:
        assert not SEND_PARAMETERS & set(tools[name].input_schema["properties"]), name
        assert tools[name].annotations.open_world_hint is False, name
    assert not r.is_error, text_of(r)
    assert r.structured_content["sent"] is False and "not sent" in text_of(r)
    assert person.questions == []  # nobody was asked: there was nothing to confirm
    [body] = bodies(sandbox)
    assert body["autosend_draft"] is False
    [draft] = [
        d for d in sandbox.sandbox.data.org(sandbox.org).message_drafts.values() if d.subject == "Your quote"
    ]
    assert draft.scheduled_send_at is None


async def test_autosend_asks_a_person_before_sending(sandbox: RunningSandbox):
    person = Asked()
    tools, r = await listed_and_sent(sandbox, "autosend", person)
    for name in SENDERS:
        assert "autosend_draft" in tools[name].input_schema["properties"], name
        assert tools[name].annotations.open_world_hint is True, name  # it can reach people outside
    assert not r.is_error, text_of(r)
    assert len(person.questions) == 1 and "hal@example.com" in person.questions[0]
    [body] = bodies(sandbox)
    assert body["autosend_draft"] is True


async def test_autosend_without_a_client_that_can_ask_sends_nothing(sandbox: RunningSandbox):
    async with connect(sandbox, write_mode="autosend") as client:
        r = await client.call_tool("create_message_draft", {**EMAIL, "autosend_draft": True})
    assert r.is_error and "Nothing was sent" in text_of(r)
    assert sandbox.sandbox.writes() == []


def test_the_settings_modes_are_the_policy_table():
    """The settings accept exactly the modes in WRITE_POLICIES: derived from the table, not listed."""
    field = Settings.model_fields["write_mode"]
    assert typing.get_args(field.annotation) == tuple(WRITE_POLICIES) == WRITE_MODES


def test_a_new_mode_is_one_entry(monkeypatch: pytest.MonkeyPatch):
    """A mode that registers writes but can never send: no other code needs to learn its name."""
    review = WritePolicy("review", registers_writes=True, may_send=False, summary="drafts, reviewed twice")
    monkeypatch.setitem(WRITE_POLICIES, "review", review)

    # The settings derive their modes from the table when config is imported (checked above); with
    # the patched table, the same derivation, validated as usual.
    class ReviewSettings(Settings):
        write_mode: Literal[tuple(WRITE_POLICIES)] = "drafts"  # type: ignore[valid-type]

    # A closed local port: the doctor's probe fails fast and nothing leaves the machine.
    settings = ReviewSettings(api_key="k", base_url="http://127.0.0.1:9", write_mode="review")
    assert settings.write_policy is review
    plan = {spec.name: hidden for spec, hidden in tool_plan(settings)}
    assert set(plan) == set(TOOLS)
    assert all(plan[name] >= SEND_PARAMETERS for name in SENDERS)
    report, _ = run_doctor(settings)  # the doctor once raised KeyError for a mode it did not know
    assert "Write mode" in report and "drafts, reviewed twice" in report
    assert "needs a person's yes to: delete\n" in report
