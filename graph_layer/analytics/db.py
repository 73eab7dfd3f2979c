"""A synchronous connection for analytics (notebooks run their own event loop): every analysis
reads with a named file from ``cypher/analytics/`` and gets a pandas DataFrame back."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import neo4j
import pandas as pd
from neo4j import Driver, GraphDatabase, RoutingControl
from neo4j.exceptions import DriverError, Neo4jError

from graph_layer import purge, queries
from graph_layer.convert import parse_time
from graph_layer.errors import ConfigurationError, DatabaseError, write_refused
from graph_layer.schema import code_version
from graph_layer.settings import Neo4jSettings

log = logging.getLogger("graph_layer")
When = datetime | date | str | None
_READ_VERSION = "schema/read_version"


class AnalyticsDB:
    """Runs analytics queries on Neo4j. Pass a sync ``driver`` (borrowed, never closed) or
    settings (default: ``NEO4J_*`` from the environment)."""

    def __init__(self, driver: Driver | None = None, *, settings: Neo4jSettings | None = None,
                 database: str | None = None) -> None:
        self.settings = settings or Neo4jSettings()
        self.database = database or self.settings.database
        self._owns = driver is None
        self._schema_checked = False
        self._may_purge = True  # until the server refuses this user a write
        self.driver = driver or GraphDatabase.driver(
            self.settings.uri, auth=self.settings.auth, notifications_min_severity="OFF"
        )

    def frame(self, name: str, **params: Any) -> pd.DataFrame:
        """Run ``cypher/analytics/<name>.cypher`` and return its rows as a DataFrame; a query
        marked ``// reads: summaries`` runs after ``refresh_summaries()``; every query after
        ``purge_deleted()``, unless the server refuses this user writes (logged once; then a
        thread deleted but not yet purged can still be counted by the analyses that read
        steps directly)."""
        query = queries.get(f"analytics/{name}")
        if self._may_purge:
            try:
                self.purge_deleted()
            except DatabaseError as err:
                if not write_refused(err):
                    raise
                self._may_purge = False
                log.warning("graph_layer: deleted threads are not purged before the analyses "
                            "(this user may not write here): %s", err)
        if query.reads_summaries:
            self.refresh_summaries()
        records, keys = self._run(query, params)
        return pd.DataFrame([r.values() for r in records], columns=list(keys))

    def purge_deleted(self) -> int:
        """Free the nodes of deleted threads that wait for their purge (``graph_layer.purge``:
        an app's layer does it in the background), so that no analysis counts them; return
        how many were removed. Nothing waits, usually: one short query."""
        query = queries.get(purge.QUERY)
        removed, more = 0, True
        while more:
            records, _ = self._run(query, {"batch": purge.PURGE_BATCH})
            done, more = purge.batch_result([r.data() for r in records])
            removed += done
        return removed

    def refresh_summaries(self, batch: int = 100,
                          on_batch: Callable[[int], None] | None = None) -> int:
        """Bring the thread and turn summaries up to date (``summaries/refresh.cypher``, one
        transaction per ``batch`` threads, whose writers wait meanwhile) and return how many
        stale threads were taken: those written since the last refresh, so usually a few.
        Queries that read summaries get this first; a large import is refreshed once, by
        ``graph-layer seed`` or by calling this."""
        refresh = queries.get("analytics/summaries/refresh")
        taken = 0
        while True:
            records, _ = self._run(refresh, {"batch": batch})
            done = int(records[0]["taken"])
            taken += done
            if on_batch is not None:
                on_batch(done)
            if done < batch:
                return taken

    def _run(self, query: queries.Query,
             params: dict[str, Any]) -> tuple[list[neo4j.Record], list[str]]:
        """Run one query file (after checking the schema once); errors name the file."""
        if not self._schema_checked and query.name != _READ_VERSION:
            self._check_schema()
        query.check_params(params)
        routing = self.routing(query)
        try:
            records, _, keys = self.driver.execute_query(
                neo4j.Query(query.text), params, database_=self.database, routing_=routing,
            )
        except (Neo4jError, DriverError) as err:
            raise DatabaseError(f"cypher/{query.name}.cypher failed: {err}") from err
        return records, keys

    def routing(self, query: queries.Query) -> RoutingControl:
        """Where a query goes: readers for reads, the writer for writes."""
        return RoutingControl.READ if query.is_read else RoutingControl.WRITE

    def _check_schema(self) -> None:
        """Refuse a database whose schema is older than this package's: the analyses read
        properties and indexes that only its upgrade brings (durations, summaries)."""
        records, _ = self._run(queries.get(_READ_VERSION), {})
        recorded = records[0]["version"] if records else None
        if recorded is None or recorded < code_version():
            raise ConfigurationError(
                f"the database's graph_layer schema is version {recorded}, the analytics need "
                f"{code_version()}: run `graph-layer schema apply` (or start the app once)"
            )
        self._schema_checked = True

    def close(self) -> None:
        """Close the driver if this object created it."""
        if self._owns:
            self.driver.close()

    def __enter__(self) -> AnalyticsDB:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def connect(uri: str | None = None, *, auth: tuple[str, str] | None = None,
            database: str | None = None) -> AnalyticsDB:
    """An AnalyticsDB from the ``NEO4J_*`` settings (the layer's), or the given URI and auth."""
    settings = Neo4jSettings()
    update: dict[str, Any] = {}
    if uri is not None:
        update["uri"] = uri
    if auth is not None:
        from pydantic import SecretStr

        update["username"], update["password"] = auth[0], SecretStr(auth[1])
    return AnalyticsDB(settings=settings.model_copy(update=update), database=database)


def instant(value: When, what: str) -> datetime | None:
    """A filter bound as an aware UTC datetime (dates are midnight UTC; strings ISO-8601)."""
    if isinstance(value, date) and not isinstance(value, datetime):
        value = datetime(value.year, value.month, value.day)
    return parse_time(value, what)


def filters(start: When, end: When, user: str | None) -> dict[str, Any]:
    """The common ``start`` (inclusive), ``end`` (exclusive) and ``user`` (identifier) params."""
    return {"start": instant(start, "start"), "end": instant(end, "end"), "user": user}
