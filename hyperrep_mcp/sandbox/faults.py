"""Which requests fail and how: scripted faults for tests, seeded random ones for benchmarks.

``FaultPlan.script("status", status=503, times=2, path_contains="/contacts")`` makes the next two
matching requests fail; scripted faults are consumed in the order they were queued. With a
``fault_rate`` the plan also fails that share of the remaining requests with a transient kind,
drawn from its own seeded stream so a benchmark run is reproducible.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, Final

FAULT_KINDS: Final = ("status", "rate_limit", "slow", "drop", "malformed", "html_error", "commit_then_fail")
# What fault_rate draws from: failures a well-behaved client should retry or survive.
RANDOM_READ_KINDS: Final = ("status", "status", "rate_limit", "html_error", "drop")
# Writes may also be committed before failing, so the client cannot know whether they happened.
RANDOM_WRITE_KINDS: Final = (*RANDOM_READ_KINDS, "commit_then_fail")
WRITE_METHODS: Final = frozenset({"POST", "PUT", "PATCH", "DELETE"})


@dataclass
class Fault:
    kind: str
    params: dict[str, Any] = field(default_factory=dict)

    def param(self, name: str, default: Any) -> Any:
        return self.params.get(name, default)


@dataclass
class ScriptedFault:
    fault: Fault
    remaining: int
    method: str | None
    path_contains: str | None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method != method:
            return False
        if self.method is None and self.fault.kind == "commit_then_fail" and method not in WRITE_METHODS:
            return False  # "commit" only means something for writes
        return self.path_contains is None or self.path_contains in path


class FaultPlan:
    def __init__(self, rate: float = 0.0, seed: int = 0) -> None:
        self.rate = rate
        self._rng = random.Random(f"faults/{seed}")
        self._scripted: list[ScriptedFault] = []

    def script(
        self,
        kind: str,
        *,
        times: int = 1,
        method: str | None = None,
        path_contains: str | None = None,
        **params: Any,
    ) -> FaultPlan:
        """Fail the next ``times`` requests matching ``method``/``path_contains`` with ``kind``.

        Params by kind: ``status`` (status=500|502|503|504), ``rate_limit`` (retry_after="1"),
        ``slow`` (delay_s=5.0), ``commit_then_fail`` (then="status"|"drop", status=500).
        """
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(FAULT_KINDS)}")
        if times < 1:
            raise ValueError("times must be >= 1")
        self._scripted.append(
            ScriptedFault(Fault(kind, dict(params)), times, method.upper() if method else None, path_contains)
        )
        return self

    def clear(self) -> None:
        """Drop every scripted fault (the random rate stays)."""
        self._scripted.clear()

    @property
    def pending(self) -> int:
        """How many scripted faults are still waiting for a request."""
        return sum(s.remaining for s in self._scripted)

    def next_for(self, method: str, path: str) -> Fault | None:
        """The fault to apply to this request, if any (consumes a scripted one)."""
        for scripted in self._scripted:
            if scripted.matches(method, path):
                scripted.remaining -= 1
                if scripted.remaining == 0:
                    self._scripted.remove(scripted)
                return scripted.fault
        if self.rate > 0 and self._rng.random() < self.rate:
            kinds = RANDOM_WRITE_KINDS if method in WRITE_METHODS else RANDOM_READ_KINDS
            kind = self._rng.choice(kinds)
            params = {"status": self._rng.choice((500, 502, 503, 504))} if kind == "status" else {}
            return Fault(kind, params)
        return None
