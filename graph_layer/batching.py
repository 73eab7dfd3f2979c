"""Group commit: rows that concurrent callers give one row-wise write query share a transaction.

Chainlit fires its step writes as concurrent tasks. With twenty conversations at once, each
write in a transaction of its own, the driver's per-call work on the client and each commit's
work on the server queue up behind one another. A ``RowBatcher`` sends a row at once when
nothing is in flight, collects the rows that arrive while a transaction runs, and sends them
together as the next one (a query file that starts ``UNWIND $rows``). A lone caller waits for
nothing; a busy moment costs one round trip and one commit for many rows
(``python -m benchmarks.group_commit``).

Each row is all or nothing as before: its transaction commits every row or none. When a
transaction of several rows fails for a reason the executor does not retry (a value the server
refuses, say), each row runs again alone, so one caller's bad row is that caller's error only.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from neo4j.exceptions import DriverError, Neo4jError

from graph_layer.errors import DatabaseError, InvalidInputError

log = logging.getLogger("graph_layer")

Row = dict[str, Any]
#: Runs the query with ``rows`` and returns one result row per row, in their order.
RunRows = Callable[[list[Row]], Awaitable[list[Row]]]


def _alone_may_differ(err: BaseException) -> bool:
    """True when a row run alone may fare otherwise: the failure was about the data (a value
    refused by the driver or the server), not the connection or a retried transient error
    (those would fail each row again, one retry period after another)."""
    if isinstance(err, InvalidInputError):
        return True
    cause = err.__cause__ if isinstance(err, DatabaseError) else err
    return isinstance(cause, (Neo4jError, DriverError)) and not cause.is_retryable()


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

    At most one transaction is in flight; rows wait for the next one while it runs, at most
    ``max_rows`` a transaction. A transaction's rows are sorted by ``order_key`` (stably), so
    that transactions from several processes lock the same things in the same order.
    """

    def __init__(self, name: str, run_rows: RunRows, order_key: str, max_rows: int = 100) -> None:
        self.name = name
        self.order_key = order_key
        self.max_rows = max_rows
        self._run_rows = run_rows
        self._pending: list[tuple[Row, asyncio.Future[Row]]] = []
        self._flusher: asyncio.Task[None] | None = None  # referenced while it runs

    async def run(self, row: Row) -> Row:
        """The query's result row for ``row``, once a transaction holding it has committed;
        raises what running ``row`` alone would raise."""
        future: asyncio.Future[Row] = asyncio.get_running_loop().create_future()
        self._pending.append((row, future))
        if self._flusher is None:  # its first step runs after the callers ready now
            self._flusher = asyncio.create_task(self._flush())
        return await future

    async def _flush(self) -> None:
        """Send the waiting rows, at most ``max_rows`` a transaction, until none wait. The
        callers a transaction wakes give their next rows to the next flusher, in one batch."""
        batch: list[tuple[Row, asyncio.Future[Row]]] = []
        try:
            while self._pending:
                batch = self._pending[: self.max_rows]
                del self._pending[: self.max_rows]
                await self._commit(batch)
        except asyncio.CancelledError:  # the loop is closing: so are the callers' waits
            for _, future in batch + self._pending:
                future.cancel()
            self._pending.clear()
            raise
        finally:
            self._flusher = None

    async def _commit(self, batch: list[tuple[Row, asyncio.Future[Row]]]) -> None:
        """Run ``batch`` in one transaction and settle every caller's future."""
        batch.sort(key=lambda item: str(item[0].get(self.order_key)))
        try:
            results = await self._run_rows([row for row, _ in batch])
            if len(results) != len(batch):
                raise DatabaseError(f"cypher/{self.name}.cypher returned {len(results)} rows "
                                    f"for {len(batch)}")
        except Exception as err:
            if len(batch) > 1 and _alone_may_differ(err):
                log.warning("graph_layer: %s: %d rows failed together (%s); each runs alone",
                            self.name, len(batch), err)
                for item in batch:
                    await self._commit([item])
                return
            for _, future in batch:
                if not future.done():
                    future.set_exception(_own_copy(err))
            return
        for (_, future), result in zip(batch, results, strict=True):
            if not future.done():  # a caller cancelled: its row is written all the same
                future.set_result(result)
