"""Apply the numbered schema files under ``cypher/schema/`` (idempotent) and record the version."""

from __future__ import annotations

import logging
import re

from graph_layer import queries
from graph_layer.errors import ConfigurationError
from graph_layer.executor import Executor

log = logging.getLogger("graph_layer")

_NUMBERED = re.compile(r"^schema/(\d{3})_")


def schema_files() -> list[queries.Query]:
    """The numbered schema files, in order."""
    found = [q for name, q in queries.load_all().items() if _NUMBERED.match(name)]
    return sorted(found, key=lambda q: q.name)


def code_version() -> int:
    """The schema version this package brings: the number of its last schema file, the one
    that records it (an upgrade file's own comment names the version that brought it: file
    008 is schema 9's)."""
    match = _NUMBERED.match(schema_files()[-1].name)
    assert match is not None
    return int(match.group(1))


def statements(query: queries.Query) -> list[str]:
    """The ``;``-separated statements of a schema file."""
    return [part.strip() for part in query.text.split(";") if part.strip()]


async def apply_schema(executor: Executor) -> int:
    """Create constraints and indexes (IF NOT EXISTS) and record the version; return it.

    Refuses a database whose recorded schema is newer than this package's.
    """
    rows = await executor.run("schema/read_version")
    recorded = rows[0]["version"] if rows else None
    version = code_version()
    if recorded is not None and recorded > version:
        raise ConfigurationError(
            f"database schema version {recorded} is newer than this graph_layer's ({version}); "
            "upgrade graph_layer"
        )
    for query in schema_files():
        for statement in statements(query):
            await executor.run_statement(query.name, statement)
    await executor.run("schema/await_indexes", seconds=300)
    log.info("graph_layer: schema version %s applied (was %s)", version, recorded)
    return version
