"""Group commit: rows that concurrent callers give one row-wise write query share a transaction.

Chainlit fires its writes as concurrent tasks. With twenty conversations at once, each write in
a transaction of its own, the driver's per-call work on the client and each commit's work on
the server queue up behind one another. A ``RowBatcher`` sends a caller's row at once when no
transaction of its query is in flight, collects the rows that arrive while one is, and sends
them together as the next (a query file that starts ``UNWIND`` over ``$rows``). A lone caller
waits for nothing; a busy moment costs one round trip and one commit for many rows
(``python -m benchmarks.group_commit``).

Each row is all or nothing as before: its transaction commits every row or none. When a
transaction of several rows fails because of what a row holds (a value the driver or the server
refuses), each row runs again alone, so one caller's bad row is that caller's error only. A
transaction that stalls (waiting for a lock, or for the executor's retries in an outage) does
not hold up the rows behind it for long: after ``stall_after`` seconds another transaction
takes them, up to ``max_in_flight`` at once. A caller cancelled while its row waits has it
written all the same (Chainlit's writes are fire-and-forget; an upsert is idempotent).

A write that must follow earlier ones (a rating of a step, a delete) waits for them: for the
rows a batcher holds (``unsettled``) or, with ``InFlight``, for whole calls under way. Chainlit
fires a step's write and moves on, so on a slow server the user can rate a reply, or a step
can be deleted, before the step's own write has committed. ``detached`` runs a write of many
steps (an element's upload, upsert and cleanup) in a task of its own that a cancelled caller
does not stop.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Iterator
from contextlib import asynccontextmanager, contextmanager
from typing import Any

from neo4j.exceptions import Neo4jError

from graph_layer.errors import DatabaseError

log = logging.getLogger("graph_layer")

Row = dict[str, Any]
#: Runs the query with ``rows`` and returns one result row per row, in their order.
RunRows = Callable[[list[Row]], Awaitable[list[Row]]]
_Waiting = tuple[Row, "asyncio.Future[Row]", float]

#: Neo4j errors about a statement's values or a schema rule: another row alone may pass.
_DATA_ERRORS = ("Neo.ClientError.Statement.", "Neo.ClientError.Schema.")


def _about_a_row(err: BaseException) -> bool:
    """True when the failure may be one row's doing: a value the server refused (a statement
    or schema error) or one the driver could not pack (``InvalidInputError`` and other
    ``ValueError``s, ``TypeError``, ``OverflowError``). Not for a lost connection, a retried
    transient error, a refused login or a missing database: every row would fail again."""
    cause = err.__cause__ if isinstance(err, DatabaseError) else err
    if isinstance(cause, Neo4jError):
        return not cause.is_retryable() and (cause.code or "").startswith(_DATA_ERRORS)
    return isinstance(err, (ValueError, TypeError, OverflowError))


def _own_copy(err: Exception) -> Exception:
    """The same error as a fresh object for each caller (raising one object in many tasks
    would pile their tracebacks onto it)."""
    try:
        copy = type(err)(*err.args)
    except Exception:  # an error type whose constructor takes other arguments
        return err
    copy.__cause__ = err.__cause__
    return copy


class RowBatcher:
    """Runs one row-wise write query for many concurrent callers (see the module docstring).

    A transaction takes the rows waiting when it starts, at most ``max_rows``, sorted (stably)
    by ``order_key``: transactions then lock the same things in the same order.
    """

    def __init__(self, name: str, run_rows: RunRows, order_key: str, *, max_rows: int = 100,
                 stall_after: float = 0.25, max_in_flight: int = 4) -> None:
        self.name = name
        self.order_key = order_key
        self.max_rows = max_rows
        self.stall_after = stall_after
        self.max_in_flight = max_in_flight
        self._run_rows = run_rows
        self._waiting: list[_Waiting] = []
        self._unsettled: dict[asyncio.Future[Row], Row] = {}  # waiting or in a transaction
        self._loop: asyncio.AbstractEventLoop | None = None  # of the rows in _unsettled
        self._flushers: set[asyncio.Task[None]] = set()
        self._stall_check_due: float | None = None  # when the scheduled stall check runs

    async def run(self, row: Row) -> Row:
        """The query's result row for ``row``, once a transaction holding it has committed.
        Raises what running ``row`` alone raises (``DatabaseError``, ``InvalidInputError``)."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Row] = loop.create_future()
        self._waiting.append((row, future, time.monotonic()))
        if self._loop is not loop:  # rows of another (a closed) event loop never settle here
            self._unsettled, self._loop = {}, loop
        self._unsettled[future] = row
        future.add_done_callback(self._settled)
        # a flusher of a closed event loop never finishes: forget it
        self._flushers = {t for t in self._flushers if not t.done() and t.get_loop() is loop}
        if not self._flushers:
            self._start(loop)  # its first step runs after the callers ready now: one batch
        else:
            self._schedule_stall_check(loop, self.stall_after)
        # shielded: a cancelled caller's row is still written, and still ``unsettled`` until then
        return await asyncio.shield(future)

    def _settled(self, future: asyncio.Future[Row]) -> None:
        self._unsettled.pop(future, None)
        if not future.cancelled():
            future.exception()  # a cancelled caller's error is logged by _commit, not at exit

    def unsettled(self, key: str | None = None, value: object = None
                  ) -> list[asyncio.Future[Row]]:
        """The rows given so far (all of them, or those whose ``key`` is ``value``) that have
        not committed or failed yet, as futures to wait for (``asyncio.wait``: their outcomes
        are their callers'). Only rows of the running event loop."""
        if self._loop is not asyncio.get_running_loop():
            return []
        return [future for future, row in self._unsettled.items()
                if key is None or row.get(key) == value]

    def _schedule_stall_check(self, loop: asyncio.AbstractEventLoop, delay: float) -> None:
        due = self._stall_check_due
        if due is None or time.monotonic() > due + 1.0:  # none, or one of a closed loop
            self._stall_check_due = time.monotonic() + delay
            loop.call_later(delay, self._check_stall, loop)

    def _start(self, loop: asyncio.AbstractEventLoop) -> None:
        task = loop.create_task(self._flush())
        self._flushers.add(task)
        task.add_done_callback(lambda done: self._flushers.discard(done))  # the current set

    def _check_stall(self, loop: asyncio.AbstractEventLoop) -> None:
        """Start another transaction when the oldest row has waited ``stall_after``."""
        self._stall_check_due = None
        if not self._waiting:
            return
        waited = time.monotonic() - self._waiting[0][2]
        if waited < self.stall_after:
            self._schedule_stall_check(loop, self.stall_after - waited)
            return
        if len(self._flushers) < self.max_in_flight:
            self._start(loop)
        self._schedule_stall_check(loop, self.stall_after)

    async def _flush(self) -> None:
        """Send the waiting rows, at most ``max_rows`` a transaction, until none wait. The
        callers a transaction wakes give their next rows to the next flusher, in one batch."""
        batch: list[_Waiting] = []
        try:
            while self._waiting:
                batch = self._waiting[: self.max_rows]
                del self._waiting[: self.max_rows]
                await self._commit([(row, future) for row, future, _ in batch])
        except BaseException as err:  # cancelled with its loop, or a bug: settle every caller
            stranded = batch + self._waiting
            self._waiting = []
            for _, future, _ in stranded:
                if future.done():
                    continue
                if isinstance(err, asyncio.CancelledError):
                    future.cancel()
                else:
                    future.set_exception(err)
            raise

    async def _commit(self, batch: list[tuple[Row, asyncio.Future[Row]]]) -> None:
        """Run ``batch`` in one transaction and settle every caller's future."""
        batch.sort(key=lambda item: str(item[0].get(self.order_key)))
        try:
            results = await self._run_rows([row for row, _ in batch])
            if len(results) != len(batch):
                raise DatabaseError(f"cypher/{self.name}.cypher returned {len(results)} rows "
                                    f"for {len(batch)}")
        except Exception as err:
            if len(batch) > 1 and _about_a_row(err):
                log.warning("graph_layer: query %s: %d rows failed together (%s); each runs "
                            "alone", self.name, len(batch), err)
                for item in batch:
                    await self._commit([item])
                return
            log.error("graph_layer: query %s failed (%d rows): %s", self.name, len(batch), err)
            for _, future in batch:
                if not future.done():
                    future.set_exception(_own_copy(err))
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # settled already only when its loop closed mid-way
                future.set_result(result)


class InFlight:
    """Calls under way, each under a key: ``track`` marks one for its duration, ``settled``
    waits for those begun so far (for a write whose row reaches a batcher only after other
    work, such as an element's upload)."""

    def __init__(self) -> None:
        self._calls: dict[asyncio.Future[None], str] = {}

    @contextmanager
    def track(self, key: str) -> Iterator[None]:
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._calls[done] = key
        try:
            yield
        finally:
            del self._calls[done]
            done.set_result(None)

    @asynccontextmanager
    async def in_turn(self, key: str) -> AsyncIterator[None]:
        """``track``, once every call under ``key`` begun before this one has ended: the calls
        on one key run one at a time, in the order they began."""
        loop = asyncio.get_running_loop()
        earlier = [done for done, k in self._calls.items()
                   if k == key and done.get_loop() is loop]
        with self.track(key):
            if earlier:
                await asyncio.wait(earlier)
            yield

    def pending(self, key: str | None = None) -> dict[asyncio.Future[None], str]:
        """The calls tracked so far (all, or those under ``key``) that have not ended, as
        futures to wait for, each with its key; only calls of the running event loop."""
        loop = asyncio.get_running_loop()
        return {done: k for done, k in self._calls.items()
                if done.get_loop() is loop and (key is None or k == key)}

    async def settled(self, key: str | None = None) -> None:
        """Return once every call tracked so far (all, or those under ``key``) has ended."""
        pending = self.pending(key)
        if pending:
            await asyncio.wait(pending)


_DETACHED: set[asyncio.Task[None]] = set()  # running detached work (the loop keeps weak refs)


async def detached(work: Coroutine[Any, Any, None], what: str) -> None:
    """Await ``work`` run in a task of its own, which goes on when the caller is cancelled
    (as with ``asyncio.shield`` of a task). The task settles the caller's future itself; when
    the caller was cancelled and ``work`` fails, the error is logged at once, saying ``what``
    failed (a shielded task's error waits for asyncio's "never retrieved" report)."""
    loop = asyncio.get_running_loop()
    outcome: asyncio.Future[None] = loop.create_future()

    def lost(err: BaseException) -> None:
        log.error("graph_layer: %s failed after its caller was cancelled", what, exc_info=err)

    async def run() -> None:
        try:
            await work
        except Exception as err:
            if outcome.cancelled():
                lost(err)
            else:
                outcome.set_exception(err)
        else:
            if not outcome.done():
                outcome.set_result(None)

    def ended(task: asyncio.Task[None]) -> None:
        """Settle the caller when the task ended otherwise: cancelled (also before it began)
        or a ``BaseException`` that is not an ``Exception`` (logged when nobody waits)."""
        _DETACHED.discard(task)
        if task.cancelled():
            work.close()  # never started: no "never awaited" warning (no-op once it ran)
            outcome.cancel()
            return
        err = task.exception()
        if err is not None and outcome.cancelled():
            lost(err)
        elif not outcome.done():
            outcome.set_exception(err or RuntimeError(f"{what} ended unsettled"))

    task = loop.create_task(run())
    _DETACHED.add(task)
    task.add_done_callback(ended)
    try:
        await outcome
    except asyncio.CancelledError:
        # cancelled in the same pass as the work failed: the error is nobody's now
        err = outcome.exception() if outcome.done() and not outcome.cancelled() else None
        if err is not None:
            lost(err)
        raise
