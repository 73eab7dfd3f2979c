"""A window of concurrent tasks: the seed writers keep a few writes in flight at a time."""

from __future__ import annotations

import asyncio
from collections.abc import Coroutine
from types import TracebackType
from typing import Any


class TaskWindow:
    """At most ``limit`` tasks at once. ``add`` waits for room, and raises the error of a task
    that failed if it had to wait; leaving the ``async with`` waits for the rest and raises the
    first failure, or (on an error) cancels them and waits until they have ended."""

    def __init__(self, limit: int) -> None:
        self.limit = max(limit, 1)
        self._pending: set[asyncio.Task[None]] = set()

    async def add(self, work: Coroutine[Any, Any, None]) -> None:
        """Start ``work`` once fewer than ``limit`` tasks run."""
        try:
            await self._drain(self.limit - 1)
        except BaseException:
            work.close()  # never started: no "coroutine was never awaited" warning
            raise
        self._pending.add(asyncio.create_task(work))

    async def _drain(self, until: int) -> None:
        while len(self._pending) > until:
            done, self._pending = await asyncio.wait(self._pending,
                                                     return_when=asyncio.FIRST_COMPLETED)
            for task in done:
                task.result()

    async def __aenter__(self) -> TaskWindow:
        return self

    async def __aexit__(self, kind: type[BaseException] | None, error: BaseException | None,
                        trace: TracebackType | None) -> None:
        try:
            if kind is None:
                await self._drain(0)
        finally:
            for task in self._pending:
                task.cancel()
            await asyncio.gather(*self._pending, return_exceptions=True)
