"""Every organization's index in one process: one store, one background task group."""

from __future__ import annotations

from types import TracebackType

import anyio
from anyio.abc import TaskGroup

from hyperrep_mcp.api import HyperRepClient
from hyperrep_mcp.index.store import Store
from hyperrep_mcp.index.sync import OrgIndex

MAX_IDLE_ORGS = 64


class Indexes:
    """`async with Indexes(api, path=..., days=...) as indexes: indexes.get(org)`.

    Syncs that outlive a tool call run in this object's task group, so they end with the server
    (the lifespan), never with the call that started them.
    """

    def __init__(self, api: HyperRepClient, *, path: str | None = None, days: int = 90) -> None:
        self.api = api
        self.path = path
        self.days = days
        self._store: Store | None = None
        self._tg: TaskGroup | None = None
        self._orgs: dict[str, OrgIndex] = {}

    async def __aenter__(self) -> Indexes:
        self._tg = anyio.create_task_group()
        await self._tg.__aenter__()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> bool | None:
        assert self._tg is not None
        self._tg.cancel_scope.cancel()  # a background sync stops with the server
        try:
            return await self._tg.__aexit__(exc_type, exc, tb)
        finally:
            self._tg = None
            if self._store is not None:
                self._store.close()
                self._store = None
            self._orgs.clear()

    @property
    def store(self) -> Store:
        """Opened on first use: a server whose tools never touch the index pays nothing for it."""
        if self._store is None:
            self._store = Store(self.path)
        return self._store

    def get(self, org: str) -> OrgIndex:
        """The index of one organization (made on first use; nothing is fetched until asked)."""
        index = self._orgs.get(org)
        if index is None:
            if self._tg is None:
                raise RuntimeError("Indexes used outside its `async with` block")
            if len(self._orgs) >= MAX_IDLE_ORGS:  # ids that never held anything (mistyped) are forgotten
                for key, idle in list(self._orgs.items()):
                    if not idle.syncing and self.store.counts(key)[0] == 0:
                        del self._orgs[key]
            index = self._orgs[org] = OrgIndex(org, self.store, self.api, self._tg, days=self.days)
        return index
