"""One thin executor over the async driver: every query runs by name through ``Executor.run``
(or ``run_row``, ``run_mapped``)."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import asdict, dataclass, fields
from typing import Any, TypeVar

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase
from neo4j.exceptions import DriverError, Neo4jError
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time

from graph_layer import queries
from graph_layer.batching import RowBatcher
from graph_layer.errors import DatabaseError, InvalidInputError, QueryFileError
from graph_layer.settings import Neo4jSettings

log = logging.getLogger("graph_layer")
#: At DEBUG, one record per query: its name, rows, the server's time and the whole call's
#: (also as the record's attributes, which ``QueryTiming.of`` reads).
timing_log = logging.getLogger("graph_layer.timing")

Row = dict[str, Any]
T = TypeVar("T")

# Values Record.data() returns unchanged; a row made only of these (in plain dicts and lists)
# needs no transformation, and checking exact types is far cheaper than data()'s ABC checks.
_LEAVES = frozenset({str, int, float, bool, bytes, type(None)})
_AS_IS = (Point, Date, Time, DateTime, Duration)


def _plain(value: Any) -> bool:
    kind = type(value)
    if kind in _LEAVES:
        return True
    if kind is dict:
        return all(_plain(v) for v in value.values())
    if kind is list:
        return all(_plain(v) for v in value)
    return isinstance(value, _AS_IS)


def row_of(record: neo4j.Record, plain: bool = False) -> Row:
    """``record.data()``, without its costly walk when no value needs transforming (checked,
    or promised by ``plain``: the query file says ``// values: plain``)."""
    if plain or all(_plain(v) for v in record.values()):
        return dict(zip(record.keys(), record.values(), strict=True))
    return record.data()


def create_driver(settings: Neo4jSettings) -> AsyncDriver:
    """A driver built from settings (the caller owns and closes it)."""
    return AsyncGraphDatabase.driver(
        settings.uri,
        auth=settings.auth,
        max_connection_pool_size=settings.max_connection_pool_size,
        connection_acquisition_timeout=settings.connection_acquisition_timeout,
        # No max_transaction_retry_time: the layer runs no managed transaction; Executor
        # retries with settings.max_transaction_retry_time itself.
        # The queries are fixed files whose plans a test pins; the server's hints (e.g. "label
        # does not exist yet" on an empty database) would only be logged as noise.
        notifications_min_severity="OFF",
    )


@dataclass(frozen=True)
class QueryTiming:
    """One ``timing_log`` record: the query's name, its rows, the server's time (NaN if it
    gave none) and the whole call's, in ms."""
    query: str
    rows: int
    server_ms: float
    total_ms: float

    @classmethod
    def of(cls, record: logging.LogRecord) -> QueryTiming | None:
        """The timing a ``timing_log`` record carries as attributes (None for another)."""
        extra = vars(record)
        if not all(f.name in extra for f in fields(cls)):
            return None
        return cls(*(extra[f.name] for f in fields(cls)))


def _log_timing(name: str, rows: int, summary: neo4j.ResultSummary, start: float) -> None:
    """The DEBUG record of ``timing_log`` for one query: the server's time to its first row
    and then to its last (NaN if the server gave none), and the whole call since ``start``,
    the executor's retries included (``run`` converts the rows after it; ``run_mapped`` maps
    them as they arrive, within it)."""
    first, last = summary.result_available_after, summary.result_consumed_after
    server = math.nan if first is None or last is None else float(first + last)
    timing = QueryTiming(name, rows, server, (time.perf_counter() - start) * 1000)
    timing_log.debug("cypher/%s.cypher: %d rows, %.0f ms on the server, %.1f ms in all", name,
                     rows, server, timing.total_ms, extra=asdict(timing))


@contextlib.contextmanager
def timing_records() -> Iterator[list[QueryTiming]]:
    """The timings of the queries that succeed in the block, in order (``timing_log``'s DEBUG
    is switched on for the block)."""
    records: list[QueryTiming] = []

    class Collect(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            timing = QueryTiming.of(record)
            if timing is not None:
                records.append(timing)

    handler, level = Collect(logging.DEBUG), timing_log.level
    timing_log.addHandler(handler)
    timing_log.setLevel(logging.DEBUG)
    try:
        yield records
    finally:
        timing_log.removeHandler(handler)
        timing_log.setLevel(level)


def retry_delays(initial: float = 1.0, multiplier: float = 2.0,
                 jitter: float = 0.2) -> Iterator[float]:
    """Seconds to wait before each retry: the driver's managed-transaction defaults (1 s,
    doubling, +/- 20% jitter)."""
    delay = initial
    while True:
        yield delay * (1 + random.uniform(-jitter, jitter))
        delay *= multiplier


class Executor:
    """Runs named queries from ``cypher/`` as auto-commit transactions, retried as the driver
    retries managed ones.

    Each query is one transaction whichever way it runs; an auto-commit one is one round trip
    (RUN and PULL; the server commits when the result is consumed) where a managed one is two
    (BEGIN, RUN and PULL, then COMMIT): 0.2-0.8 ms and a fifth to two fifths of the client's CPU
    per call here (``python -m benchmarks.auto_commit``). The driver retries only managed
    transactions, so ``auto_commit`` retries what the driver would: errors whose
    ``is_retryable()`` is true, with its delays, for up to ``retry_time`` seconds after the
    first failure. Running a write again after an error that hid whether it committed (a lost
    connection; the driver does not retry a managed transaction's COMMIT then) leaves the
    same graph: upserts MERGE on unique keys and SET given values, deletes find nothing left.
    A delete's second run reports what it found then, though: nothing (see the README's
    "Retries").
    """

    def __init__(self, driver: AsyncDriver, database: str, max_concurrency: int = 0,
                 retry_time: float = 30.0) -> None:
        self.driver = driver
        self.database = database
        self.retry_time = retry_time
        # Chainlit fires writes as unobserved tasks: beyond the pool size they would fail after
        # connection_acquisition_timeout and be lost, so extra queries wait here instead.
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency > 0 else None
        self._batchers: dict[str, RowBatcher] = {}

    async def auto_commit(self, name: str, query: neo4j.Query, params: dict[str, Any],
                          access_mode: str) -> neo4j.EagerResult:
        """Run ``query`` in an auto-commit transaction, retrying retryable failures (``name``
        only labels the log). The session follows the driver's ``execute_query`` bookmarks, so
        on a cluster a read still sees every write this driver made before it. ``run_statement``
        calls it with a query file's text, ``run`` and ``run_mapped`` call
        ``auto_commit_read``; the benchmarks call it with their own."""
        return await self.auto_commit_read(name, query, params, access_mode,
                                           neo4j.AsyncResult.to_eager_result)

    async def auto_commit_read(self, name: str, query: neo4j.Query, params: dict[str, Any],
                               access_mode: str, read: Callable[[neo4j.AsyncResult],
                                                                Awaitable[T]]) -> T:
        """``auto_commit``, with ``read`` taking the records from the open result as they
        arrive (and its summary): all of them again when a retry runs the query again. A
        value the driver cannot pack is refused before anything is sent: InvalidInputError."""
        delays = retry_delays()
        first_failure: float | None = None
        while True:
            try:
                async with self.driver.session(
                    database=self.database, default_access_mode=access_mode,
                    bookmark_manager=self.driver.execute_query_bookmark_manager,
                ) as session:
                    try:
                        result = await session.run(query, params)
                    except UnicodeEncodeError as err:  # a lone surrogate
                        raise InvalidInputError(
                            f"query {name}: a value is not valid UTF-8: {err}") from err
                    except OverflowError as err:  # an integer beyond 64 bits
                        raise InvalidInputError(
                            f"query {name}: a value is out of range: {err}") from err
                    return await read(result)
            except (Neo4jError, DriverError) as err:
                if not err.is_retryable():
                    raise
                now = time.monotonic()
                first_failure = now if first_failure is None else first_failure
                if now - first_failure > self.retry_time:
                    raise
                delay = next(delays)
                log.warning("graph_layer: query %s: retrying in %.1f s after %s", name, delay,
                            err)
                await asyncio.sleep(delay)

    def access_mode(self, query: queries.Query) -> str:
        """The session's access mode for ``query``: reads go to READ servers."""
        return neo4j.READ_ACCESS if query.is_read else neo4j.WRITE_ACCESS

    async def run(self, name: str, **params: Any) -> list[Row]:
        """Run query ``name`` with ``params`` in one auto-commit transaction (retried) and
        return its rows.

        Reads go to READ servers. A failure the retries do not cure is logged and raised as
        DatabaseError naming the query file; a value the driver cannot send, as
        InvalidInputError.
        """
        return await self._run(name, params, log_failure=True)

    async def run_mapped(self, name: str, map_row: Callable[[Row], T], **params: Any
                         ) -> list[T]:
        """``run``, with each row given to ``map_row`` as it arrives, while the server still
        makes the next ones; returns what it made of each. ``map_row`` must not keep state:
        after a retry it sees every row again."""
        plain = queries.get(name).plain_values
        return await self._run_each(name, params, lambda r: map_row(row_of(r, plain)),
                                    log_failure=True)

    async def _run(self, name: str, params: dict[str, Any], log_failure: bool) -> list[Row]:
        records = await self._run_each(name, params, lambda r: r, log_failure)
        plain = queries.get(name).plain_values
        return [row_of(record, plain) for record in records]

    async def _run_each(self, name: str, params: dict[str, Any],
                        each: Callable[[neo4j.Record], T], log_failure: bool) -> list[T]:
        """Run query ``name`` (one auto-commit transaction, retried), giving ``each`` every
        record as it arrives; log and raise failures as ``run`` says."""
        query = queries.get(name)
        query.check_params(params)

        async def read(result: neo4j.AsyncResult) -> tuple[list[T], neo4j.ResultSummary]:
            return [each(record) async for record in result], await result.consume()

        try:
            async with self._slots or contextlib.nullcontext():
                start = time.perf_counter()  # after waiting for a slot
                rows, summary = await self.auto_commit_read(
                    name, neo4j.Query(query.text), params, self.access_mode(query), read)
        except (Neo4jError, DriverError) as err:
            if log_failure:
                log.error("graph_layer: query %s failed: %s", name, err)
            raise DatabaseError(f"cypher/{name}.cypher failed: {err}") from err
        if timing_log.isEnabledFor(logging.DEBUG):
            _log_timing(name, len(rows), summary, start)
        return rows

    async def run_row(self, name: str, row: dict[str, Any]) -> Row:
        """Run query ``name`` (a ``// batch:`` file) for one row and return that row's result;
        rows given at the same moment by concurrent callers share one transaction (see
        ``batching``). Raises as ``run`` does."""
        batcher = self._batchers.get(name)
        if batcher is None:
            key = queries.get(name).batch_key
            if key is None:
                raise QueryFileError(f"cypher/{name}.cypher has no '// batch:' line")

            async def run_rows(rows: list[Row]) -> list[Row]:
                return await self._run(name, {"rows": rows}, log_failure=False)  # the batcher logs

            batcher = self._batchers[name] = RowBatcher(name, run_rows, key)
        return await batcher.run(row)

    async def writes_settled(self, name: str, key: str | None = None, value: object = None
                             ) -> None:
        """Wait until every row that reached query ``name``'s batcher so far (all, or those
        whose ``key`` is ``value``) has committed or failed: a write that must come after them
        calls this first. Their failures are their callers'; nothing is raised here."""
        batcher = self._batchers.get(name)
        pending = batcher.unsettled(key, value) if batcher is not None else []
        if pending:
            await asyncio.wait(pending)

    def unsettled_writes(self) -> dict[asyncio.Future[Row], str]:
        """The rows of every batcher that have not committed or failed yet, as futures to
        wait for (``asyncio.wait``; their outcomes are their callers'), each with its query."""
        return {future: f"cypher/{name}.cypher" for name, batcher in self._batchers.items()
                for future in batcher.unsettled()}

    async def rehearse(self, name: str, params: dict[str, Any]) -> None:
        """Run query ``name`` with ``params`` in a transaction that is rolled back, once and
        unretried: the server plans it and caches the plan for later calls sending parameters
        of the same types and size classes. Nothing is committed; only names the database had
        not seen (a property key, a label) stay, as Neo4j creates them outside transactions.
        Raises the driver's error."""
        query = queries.get(name)
        query.check_params(params)
        mode = self.access_mode(query)
        async with self.driver.session(database=self.database, default_access_mode=mode) as session:
            tx = await session.begin_transaction()
            try:
                await (await tx.run(query.text, params)).consume()
            finally:
                # rolls back; should that fail, the server aborts the transaction when the
                # connection goes, and the run's own error (if any) is the one raised
                with contextlib.suppress(Neo4jError, DriverError):
                    await tx.close()

    async def run_statement(self, name: str, text: str) -> None:
        """Run one parameterless statement from a query file (schema DDL, upgrades), retried
        the same way: an auto-commit transaction is the only kind a batching ``CALL ... IN
        TRANSACTIONS`` runs in, and schema statements are idempotent."""
        try:
            await self.auto_commit(name, neo4j.Query(text), {}, neo4j.WRITE_ACCESS)
        except (Neo4jError, DriverError) as err:
            log.error("graph_layer: schema statement in %s failed: %s", name, err)
            raise DatabaseError(f"cypher/{name}.cypher failed: {err}") from err
