"""Fixtures of the reliability suites: a layer with a file store, a recording driver, and every
test here marked ``reliability``."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from chainlit.session import HTTPSession
from neo4j import AsyncDriver

from graph_layer import Neo4jDataLayer
from graph_layer.storage import LocalFileStorageClient
from tests.conftest import Server


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    here = Path(__file__).parent
    for item in items:
        if here in Path(str(item.fspath)).parents:
            item.add_marker(pytest.mark.reliability)


@pytest.fixture
def storage(tmp_path: Path) -> LocalFileStorageClient:
    """Element files on local disk (signed URLs), in the test's own folder."""
    return LocalFileStorageClient(tmp_path / "files", "http://files.test", secret="s" * 32)


@pytest.fixture
async def slayer(clean_db: Server, driver: AsyncDriver, chainlit_context: HTTPSession,
                 storage: LocalFileStorageClient) -> AsyncIterator[Neo4jDataLayer]:
    """A layer with a file store on an empty database, inside a Chainlit HTTP context."""
    layer = Neo4jDataLayer(driver=driver, database=clean_db.database, storage_client=storage)
    await layer.setup()
    yield layer
    await layer.close()


class RetryCounter(logging.Handler):
    """Counts the driver's 'Transaction failed and will be retried' warnings."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.retries = 0
        self.reasons: dict[str, int] = {}

    def emit(self, record: logging.LogRecord) -> None:
        if "will be retried" in record.getMessage():
            self.retries += 1
            reason = type(record.args[1]).__name__ if isinstance(record.args, tuple) else "?"
            self.reasons[reason] = self.reasons.get(reason, 0) + 1


@pytest.fixture
def retries() -> Any:
    """A RetryCounter attached to the driver's session logger for one test."""
    counter = RetryCounter()
    logger = logging.getLogger("neo4j.session")
    logger.addHandler(counter)
    yield counter
    logger.removeHandler(counter)
