"""A synchronous connection for analytics (notebooks run their own event loop): every analysis
runs one named file from ``cypher/analytics/`` and gets a pandas DataFrame back."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

import neo4j
import pandas as pd
from neo4j import Driver, GraphDatabase, RoutingControl
from neo4j.exceptions import DriverError, Neo4jError

from graph_layer import queries
from graph_layer.convert import parse_time
from graph_layer.errors import DatabaseError
from graph_layer.settings import Neo4jSettings

When = datetime | date | str | None


class AnalyticsDB:
    """Runs analytics queries on Neo4j. Pass a sync ``driver`` (borrowed, never closed) or
    settings (default: ``NEO4J_*`` from the environment)."""

    def __init__(self, driver: Driver | None = None, *, settings: Neo4jSettings | None = None,
                 database: str | None = None) -> None:
        self.settings = settings or Neo4jSettings()
        self.database = database or self.settings.database
        self._owns = driver is None
        self.driver = driver or GraphDatabase.driver(
            self.settings.uri, auth=self.settings.auth, notifications_min_severity="OFF"
        )

    def frame(self, name: str, **params: Any) -> pd.DataFrame:
        """Run ``cypher/analytics/<name>.cypher`` (a read) and return its rows as a DataFrame."""
        records, keys = self._run(name, params)
        return pd.DataFrame([r.values() for r in records], columns=list(keys))

    def refresh_summaries(self, batch: int = 500,
                          on_batch: Callable[[int], None] | None = None) -> int:
        """Bring the thread and turn summaries up to date (``summaries/refresh.cypher``, one
        transaction per ``batch`` threads) and return how many threads were refreshed: the
        threads written since the last refresh, so usually a few. Every analysis that reads
        summaries calls this first; a large import is refreshed once, by ``graph-layer seed``
        or by calling this."""
        refreshed = 0
        while True:
            records, _ = self._run("summaries/refresh", {"batch": batch})
            done = int(records[0]["refreshed"]) if records else 0
            refreshed += done
            if on_batch is not None:
                on_batch(done)
            if done < batch:
                return refreshed

    def _run(self, name: str, params: dict[str, Any]) -> tuple[list[neo4j.Record], list[str]]:
        query = queries.get(f"analytics/{name}")
        query.check_params(params)
        routing = RoutingControl.READ if query.is_read else RoutingControl.WRITE
        try:
            records, _, keys = self.driver.execute_query(
                neo4j.Query(query.text), params, database_=self.database, routing_=routing,
            )
        except (Neo4jError, DriverError) as err:
            raise DatabaseError(f"cypher/analytics/{name}.cypher failed: {err}") from err
        return records, keys

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
