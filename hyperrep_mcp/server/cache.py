"""A small async TTL cache with single-flight loading.

Used for stable lookups (organizations, contacts by id, companies): per process, bounded in size
and age, and only ever an optimisation — a miss just costs a request. Concurrent misses for the same
key share one upstream request instead of each sending their own.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

import anyio

V = TypeVar("V")


class AsyncTTLCache(Generic[V]):
    def __init__(self, *, ttl_s: float, max_size: int) -> None:
        self.ttl_s = ttl_s
        self.max_size = max_size
        self._items: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._loading: dict[Hashable, anyio.Event] = {}

    def get(self, key: Hashable) -> V | None:
        hit = self._items.get(key)
        if hit is None:
            return None
        expires, value = hit
        if expires < time.monotonic():
            del self._items[key]
            return None
        self._items.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        self._items[key] = (time.monotonic() + self.ttl_s, value)
        self._items.move_to_end(key)
        while len(self._items) > self.max_size:
            self._items.popitem(last=False)

    def forget(self, key: Hashable) -> None:
        self._items.pop(key, None)

    async def get_or_load(self, key: Hashable, load: Callable[[], Awaitable[V]]) -> V:
        """The cached value, or `load()`'s result (shared with concurrent callers of the same key).

        A failed load caches nothing; waiters then try their own load.
        """
        while True:
            value = self.get(key)
            if value is not None:
                return value
            pending = self._loading.get(key)
            if pending is None:
                break
            await pending.wait()
            if key not in self._items:  # the load we waited for failed: load ourselves
                break
        done = anyio.Event()
        self._loading[key] = done
        try:
            value = await load()
            self.put(key, value)
            return value
        finally:
            self._loading.pop(key, None)
            done.set()

    def __len__(self) -> int:
        return len(self._items)
