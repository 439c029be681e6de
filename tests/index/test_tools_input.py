"""Bad input to the index tools: a tool error naming the argument, and nothing sent upstream."""

from __future__ import annotations

import pytest

from tests.support import RunningSandbox, connect, text_of

pytestmark = pytest.mark.anyio

BAD = [
    ("search_messages", {"query": ""}, "query"),
    ("search_messages", {"query": "   "}, "query"),
    ("search_messages", {"query": "x" * 501}, "query"),
    ("search_messages", {"query": "-- ^ : ()"}, "query"),
    ("search_messages", {"query": "roof", "channel": "fax"}, "channel"),
    ("search_messages", {"query": "roof", "direction": "sideways"}, "direction"),
    ("search_messages", {"query": "roof", "period": "fortnight"}, "period"),
    ("search_messages", {"query": "roof", "period": "this_month", "start_date": "2026-11-01"}, "period"),
    ("search_messages", {"query": "roof", "start_date": "yesterday-ish"}, "start_date"),
    ("search_messages", {"query": "roof", "cursor": "not-one-of-ours"}, "cursor"),
    ("get_response_times", {"channel": "voice"}, "channel"),
    ("get_response_times", {"period": "last_month", "end_date": "2026-11-30"}, "period"),
    ("get_response_times", {"start_date": "2026-12-01", "end_date": "2026-11-01"}, "start_date"),
]


@pytest.mark.parametrize(
    ("tool", "args", "named"), BAD, ids=[f"{t}-{n}-{i}" for i, (t, _, n) in enumerate(BAD)]
)
async def test_bad_input_is_a_tool_error_naming_the_argument(
    sandbox: RunningSandbox, tool: str, args: dict, named: str
) -> None:
    async with connect(sandbox) as client:
        before = len(sandbox.sandbox.requests)
        result = await client.call_tool(tool, args)
        assert result.is_error
        text = text_of(result)
        assert named in text, text
        assert "Traceback" not in text
        assert len(sandbox.sandbox.requests) == before  # nothing sent upstream


async def test_punctuation_and_fts_syntax_are_plain_words(sandbox: RunningSandbox) -> None:
    async with connect(sandbox, index_days=3) as client:
        for query in (
            "-roof",
            "roof:leak",
            '"unbalanced',
            "NEAR(roof leak)",
            "^gutter",
            "roof OR",
            "OR roof",
        ):
            result = await client.call_tool("search_messages", {"query": query, "limit": 2})
            assert not result.is_error, (query, text_of(result))
            assert "index covers activity since" in text_of(result)


async def test_a_first_search_reports_progress_and_says_what_it_covered(sandbox: RunningSandbox) -> None:
    seen: list[tuple[float, float | None, str | None]] = []

    async def on_progress(progress: float, total: float | None, message: str | None) -> None:
        seen.append((progress, total, message))

    async with connect(sandbox, index_days=7) as client:
        result = await client.call_tool("search_messages", {"query": "roof"}, progress_callback=on_progress)
    assert not result.is_error, text_of(result)
    assert seen, "no progress notification reached the client"
    assert [p for p, _, _ in seen] == sorted(p for p, _, _ in seen)
    assert any("index:" in (m or "") for _, _, m in seen)
    coverage = result.structured_content["coverage"]
    assert coverage["complete"] is True
    assert coverage["reach_days"] == 7
    assert coverage["conversations"] > 0 and coverage["messages"] > 0
    assert "index covers activity since" in text_of(result)
