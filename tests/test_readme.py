"""The README's code example runs as written, against the real server."""

from __future__ import annotations

import re
from pathlib import Path

import chainlit.data
import pytest
from chainlit.user import User
from neo4j import AsyncDriver

import graph_layer.layer as layer_module
from graph_layer import Neo4jDataLayer
from graph_layer.warmup import samples
from tests.conftest import Server
from tests.test_warmup import clear_plans

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


async def test_readme_data_layer_snippet(clean_db: Server, driver: AsyncDriver,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEO4J_URI", clean_db.uri)
    monkeypatch.setenv("NEO4J_USERNAME", clean_db.auth[0])
    monkeypatch.setenv("NEO4J_PASSWORD", clean_db.auth[1])
    monkeypatch.setenv("NEO4J_DATABASE", clean_db.database)
    blocks = python_blocks()
    assert blocks, "README has no python example"
    namespace: dict[str, object] = {}
    exec(compile(blocks[0], str(README), "exec"), namespace)
    from chainlit.config import config

    factory = config.code.data_layer
    assert factory is namespace["data_layer"]
    layer = factory()
    assert isinstance(layer, Neo4jDataLayer)
    monkeypatch.setattr(chainlit.data, "_data_layer", layer)
    monkeypatch.setattr(chainlit.data, "_data_layer_initialized", True)
    monkeypatch.setattr(layer_module, "_PLANNED", set())
    try:
        await clear_plans(driver)
        assert config.code.on_app_startup is not None
        await namespace["startup"]()  # type: ignore[operator]  # Chainlit's wrapper logs errors
        assert await clear_plans(driver) >= len(samples())
        created = await layer.create_user(User(identifier="readme-user"))
        fetched = await layer.get_user("readme-user")
        assert created is not None and fetched is not None and fetched.id == created.id
    finally:
        await layer.close()
        config.code.data_layer = None
        config.code.on_app_startup = None
