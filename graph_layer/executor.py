"""One thin executor over the async driver: every query runs by name through ``Executor.run``."""

from __future__ import annotations

import logging
from typing import Any

import neo4j
from neo4j import AsyncDriver, AsyncGraphDatabase, RoutingControl
from neo4j.exceptions import DriverError, Neo4jError

from graph_layer import queries
from graph_layer.errors import DatabaseError
from graph_layer.settings import Neo4jSettings

log = logging.getLogger("graph_layer")

Row = dict[str, Any]


def create_driver(settings: Neo4jSettings) -> AsyncDriver:
    """A driver built from settings (the caller owns and closes it)."""
    return AsyncGraphDatabase.driver(
        settings.uri,
        auth=settings.auth,
        max_connection_pool_size=settings.max_connection_pool_size,
        connection_acquisition_timeout=settings.connection_acquisition_timeout,
        max_transaction_retry_time=settings.max_transaction_retry_time,
    )


class Executor:
    """Runs named queries from ``cypher/`` in managed (retried) transactions."""

    def __init__(self, driver: AsyncDriver, database: str) -> None:
        self.driver = driver
        self.database = database

    async def run(self, name: str, **params: Any) -> list[Row]:
        """Run query ``name`` with ``params`` in one managed transaction and return its rows.

        Reads are routed to READ; the driver retries transient failures. Any other failure is
        logged and raised as DatabaseError naming the query file.
        """
        query = queries.get(name)
        query.check_params(params)
        routing = RoutingControl.READ if query.is_read else RoutingControl.WRITE
        try:
            records, _, _ = await self.driver.execute_query(
                neo4j.Query(query.text),
                params,
                database_=self.database,
                routing_=routing,
            )
        except (Neo4jError, DriverError) as err:
            log.error("graph_layer: query %s failed: %s", name, err)
            raise DatabaseError(f"cypher/{name}.cypher failed: {err}") from err
        return [record.data() for record in records]

    async def run_statement(self, name: str, text: str) -> None:
        """Run one parameterless statement from a query file (schema DDL) in its own transaction."""
        try:
            await self.driver.execute_query(
                neo4j.Query(text),
                database_=self.database,
                routing_=RoutingControl.WRITE,
            )
        except (Neo4jError, DriverError) as err:
            log.error("graph_layer: schema statement in %s failed: %s", name, err)
            raise DatabaseError(f"cypher/{name}.cypher failed: {err}") from err
