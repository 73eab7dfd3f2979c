"""Remove deleted threads' content after ``delete_thread`` has returned.

``cypher/thread/delete_thread.cypher`` turns the thread into a tombstone labelled ``:Purge``
in one short transaction; no call of the layer reads or writes its steps, elements or feedback
from then on (an analysis purges first, but for a user that may not write). Freeing those
nodes with their index entries took about 100-430 ms for a 2,000-step thread in one commit
(docs/performance.md, change 27), so a :class:`Purger` does it in the background, one batch of
``cypher/thread/purge_deleted.cypher`` per transaction. A purge that fails (after the
executor's own retries) is logged; the label stays, and the background task tries again after
``RETRY_FIRST_S``, then at doubling intervals up to ``RETRY_MAX_S``, until a pass succeeds or
the layer closes (not when the server refuses this user writes); the next delete, ``setup()``,
``purge_deleted()`` or analysis takes the thread sooner.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from graph_layer.errors import write_refused

log = logging.getLogger("graph_layer")

#: Steps and elements removed per transaction (with their feedback): a 2,000-step thread's
#: took three transactions, 95-400 ms in all here (docs/performance.md, change 27).
PURGE_BATCH = 1000
#: How long ``close()`` waits for a background purge before it cancels it (the rest is
#: taken by the next purge).
CLOSE_WAIT_S = 10.0
QUERY = "thread/purge_deleted"
#: After a failed background pass: the first wait before the next, and the longest.
RETRY_FIRST_S = 30.0
RETRY_MAX_S = 600.0

RunQuery = Callable[..., Awaitable[list[dict[str, Any]]]]


def batch_result(rows: Sequence[Mapping[str, Any]]) -> tuple[int, bool]:
    """(nodes removed, whether a thread still waits) from one batch's rows."""
    if not rows:
        return 0, False
    return int(rows[0]["removed"]), bool(rows[0]["more"])


class Purger:
    """Runs ``thread/purge_deleted`` until no thread waits, in the background or when asked."""

    def __init__(self, run: RunQuery) -> None:
        self._run = run
        self._lock = asyncio.Lock()
        self._task: asyncio.Task[None] | None = None
        self._again = False
        self._closed = False
        self._retry: asyncio.Task[None] | None = None  # the wait after a failed pass
        self._delay: float | None = None  # that wait's length (None: RETRY_FIRST_S)

    def start(self) -> None:
        """Purge in the background; a purge under way goes round once more, and one waiting
        to try again after a failure starts now. Nothing after ``close()`` (the next
        ``setup()`` or ``purge()`` takes what is left)."""
        if self._closed:
            return
        self._again = True
        self._cancel_retry()  # it only sleeps: this pass is the retry
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._background())

    def reopen(self) -> None:
        """Let ``start()`` purge again (``setup()`` after ``close()``)."""
        self._closed = False
        self._delay = None

    async def wait(self, timeout: float | None = None) -> bool:
        """Wait for the background purge of this event loop, if one is under way (its errors
        are logged, never raised here); False if it was still running after ``timeout``."""
        task = self._task
        if task is None or task.done() or task.get_loop() is not asyncio.get_running_loop():
            return True
        done, _ = await asyncio.wait([task], timeout=timeout)
        return bool(done)

    async def close(self) -> None:
        """Start no more background purges (a wait to try again after a failure is cancelled);
        wait up to ``CLOSE_WAIT_S`` for the one under way, then cancel it."""
        self._closed = True
        retry = self._cancel_retry()
        if retry is not None and retry.get_loop() is asyncio.get_running_loop():
            await asyncio.wait([retry])
        if not await self.wait(CLOSE_WAIT_S) and self._task is not None:
            log.warning("graph_layer: purge of deleted threads still running after %.0f s; "
                        "cancelled, the next purge takes the rest", CLOSE_WAIT_S)
            self._task.cancel()
            await asyncio.wait([self._task])

    async def purge(self) -> int:
        """Wait for the background purge, then purge what is left; return the nodes removed.
        Errors are raised."""
        await self.wait()
        removed = await self._purge_all()
        self._delay = None  # succeeded: a later failure waits RETRY_FIRST_S again
        self._cancel_retry()
        return removed

    def _cancel_retry(self) -> asyncio.Task[None] | None:
        """Cancel the wait to try again, if any (on whichever loop it sleeps); return it."""
        retry, self._retry = self._retry, None
        if retry is None or retry.done():
            return retry
        loop = retry.get_loop()
        try:
            running = asyncio.get_running_loop()
        except RuntimeError:
            running = None
        if loop is running:
            retry.cancel()
        elif not loop.is_closed():
            loop.call_soon_threadsafe(retry.cancel)
        return retry

    async def _purge_all(self) -> int:
        async with self._lock:
            removed = 0
            more = True
            while more:
                done, more = batch_result(await self._run(QUERY, batch=PURGE_BATCH))
                removed += done
            return removed

    async def _background(self) -> None:
        error: Exception | None = None
        delay = self._delay or RETRY_FIRST_S
        while self._again:  # a start() during a pass, even a failed one, asks for another
            self._again = False
            try:
                await self._purge_all()
                error = None
            except Exception as err:
                error = err
                if self._again:  # another pass follows at once: say so, keep the traceback
                    log.error("graph_layer: purging deleted threads failed; trying again now",
                              exc_info=err)
        if error is None:
            self._delay = None
            return
        if self._closed or write_refused(error):
            log.error("graph_layer: purging deleted threads failed; their content stays hidden "
                      "until the next purge: %s", error, exc_info=error)
            return
        if self._delay is None:  # the first failure of a streak: the whole traceback
            log.error("graph_layer: purging deleted threads failed; their content stays hidden; "
                      "trying again in %g s", delay, exc_info=error)
        else:
            log.warning("graph_layer: purging deleted threads failed again (%s); trying again "
                        "in %g s", error, delay)
        self._delay = min(delay * 2, RETRY_MAX_S)
        self._retry = asyncio.create_task(self._try_again(delay))

    async def _try_again(self, delay: float) -> None:
        await asyncio.sleep(delay)
        self._retry = None
        self.start()
