"""The README's code example runs as written, against the real server."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest
from chainlit.user import User

import graph_layer.layer as layer_module
from graph_layer import Neo4jDataLayer
from graph_layer.plan_ahead import samples
from tests.conftest import Server

README = Path(__file__).resolve().parent.parent / "README.md"


def python_blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)


async def test_readme_data_layer_snippet(clean_db: Server, monkeypatch: pytest.MonkeyPatch,
                                         caplog: pytest.LogCaptureFixture) -> None:
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
    assert isinstance(layer, Neo4jDataLayer) and layer is namespace["layer"]
    monkeypatch.setattr(layer_module, "_PLANNED", set())
    caplog.set_level(logging.INFO, logger="graph_layer")
    try:
        assert config.code.on_app_startup.__wrapped__ is namespace["startup"]  # type: ignore[attr-defined]
        await namespace["startup"]()  # type: ignore[operator]
        assert any(r.getMessage().startswith(f"graph_layer: {len(samples())} queries planned")
                   for r in caplog.records)
        created = await layer.create_user(User(identifier="readme-user"))
        fetched = await layer.get_user("readme-user")
        assert created is not None and fetched is not None and fetched.id == created.id
    finally:
        await layer.close()
        config.code.data_layer = None
        config.code.on_app_startup = None
