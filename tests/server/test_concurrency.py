"""gather: results in call order, one typed error, the first call in the current task."""

from __future__ import annotations

import anyio
import pytest

from hyperrep_mcp.server.concurrency import gather

pytestmark = pytest.mark.anyio


async def test_results_in_call_order_and_calls_overlap():
    order: list[str] = []

    async def slow(name: str, delay: float) -> str:
        order.append(f"start {name}")
        await anyio.sleep(delay)
        order.append(f"end {name}")
        return name

    with anyio.fail_after(1):
        assert await gather(lambda: slow("a", 0.05), lambda: slow("b", 0.0), lambda: slow("c", 0.02)) == [
            "a",
            "b",
            "c",
        ]
    assert order.index("end b") < order.index("end a")  # concurrent, not one after another
    assert await gather() == []
    assert await gather(lambda: slow("only", 0)) == ["only"]


@pytest.mark.parametrize("failing", [0, 1])
async def test_the_first_failure_is_raised_alone_and_cancels_the_rest(failing: int):
    finished: list[int] = []

    async def call(i: int) -> int:
        if i == failing:
            await anyio.sleep(0.01)
            raise KeyError(f"call {i}")
        await anyio.sleep(1)
        finished.append(i)
        return i

    with pytest.raises(KeyError, match=f"call {failing}"):
        await gather(lambda: call(0), lambda: call(1), lambda: call(2))
    assert finished == []
