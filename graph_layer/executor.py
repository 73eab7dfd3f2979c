"""One thin executor over the async driver: every query runs by name through ``Executor.run``."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from typing import Any

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, RoutingControl
from neo4j.exceptions import DriverError, Neo4jError, TransientError
from neo4j.spatial import Point
from neo4j.time import Date, DateTime, Duration, Time

from graph_layer import queries
from graph_layer.errors import DatabaseError, InvalidInputError
from graph_layer.settings import Neo4jSettings

log = logging.getLogger("graph_layer")
#: At DEBUG, one record per query: its name, rows, the server's time and the whole call's
#: (also as the record's ``query``, ``server_ms`` and ``total_ms`` attributes).
timing_log = logging.getLogger("graph_layer.timing")

Row = dict[str, Any]

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
        max_transaction_retry_time=settings.max_transaction_retry_time,
        # The queries are fixed files whose plans a test pins; the server's hints (e.g. "label
        # does not exist yet" on an empty database) would only be logged as noise.
        notifications_min_severity="OFF",
    )


def _log_timing(name: str, rows: int, summary: neo4j.ResultSummary, start: float) -> None:
    """The DEBUG record of ``timing_log`` for one query: the server's time to its first row
    and then to its last (NaN if the server gave none), and the driver's whole call since
    ``start``, retries included (the rows are converted after it)."""
    first, last = summary.result_available_after, summary.result_consumed_after
    server = math.nan if first is None or last is None else float(first + last)
    total = (time.perf_counter() - start) * 1000
    timing_log.debug("cypher/%s.cypher: %d rows, %.0f ms on the server, %.1f ms in all", name,
                     rows, server, total,
                     extra={"query": name, "server_ms": server, "total_ms": total})


class Executor:
    """Runs named queries from ``cypher/`` in managed (retried) transactions."""

    def __init__(self, driver: AsyncDriver, database: str, max_concurrency: int = 0) -> None:
        self.driver = driver
        self.database = database
        # Chainlit fires writes as unobserved tasks: beyond the pool size they would fail after
        # connection_acquisition_timeout and be lost, so extra queries wait here instead.
        self._slots = asyncio.Semaphore(max_concurrency) if max_concurrency > 0 else None

    async def run(self, name: str, **params: Any) -> list[Row]:
        """Run query ``name`` with ``params`` in one managed transaction and return its rows.

        Reads are routed to READ; the driver retries transient failures. Any other failure is
        logged and raised as DatabaseError naming the query file.
        """
        query = queries.get(name)
        query.check_params(params)
        routing = RoutingControl.READ if query.is_read else RoutingControl.WRITE
        try:
            async with self._slots or contextlib.nullcontext():
                start = time.perf_counter()  # after waiting for a slot
                records, summary, _ = await self.driver.execute_query(
                    neo4j.Query(query.text),
                    params,
                    database_=self.database,
                    routing_=routing,
                )
        except (Neo4jError, DriverError) as err:
            log.error("graph_layer: query %s failed: %s", name, err)
            raise DatabaseError(f"cypher/{name}.cypher failed: {err}") from err
        except UnicodeEncodeError as err:  # a lone surrogate: refused while packing, unsent
            raise InvalidInputError(f"cypher/{name}.cypher: a value is not valid UTF-8: {err}") \
                from err
        if timing_log.isEnabledFor(logging.DEBUG):
            _log_timing(name, len(records), summary, start)
        return [row_of(record, query.plain_values) for record in records]

    async def run_statement(self, name: str, text: str, attempts: int = 3) -> None:
        """Run one parameterless statement from a query file (schema DDL, upgrades) in an
        auto-commit transaction: the only kind a batching ``CALL ... IN TRANSACTIONS`` runs in.
        The driver retries none of those, so a transient error (a deadlock with a live writer)
        is retried here; schema statements are idempotent."""
        for attempt in range(1, attempts + 1):
            try:
                async with self.driver.session(database=self.database) as session:
                    await (await session.run(neo4j.Query(text))).consume()
                return
            except TransientError as err:
                if attempt < attempts:
                    log.warning("graph_layer: %s: retrying after %s", name, err)
                    await asyncio.sleep(0.5 * attempt)
                    continue
                failure: Exception = err
            except (Neo4jError, DriverError) as err:
                failure = err
            log.error("graph_layer: schema statement in %s failed: %s", name, failure)
            raise DatabaseError(f"cypher/{name}.cypher failed: {failure}") from failure
