"""Every notebook in notebooks/ runs without error against the seeded database, is committed
without outputs, and holds no Cypher."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

from tests.analytics.conftest import Seeded

NOTEBOOKS = sorted((Path(__file__).resolve().parents[2] / "notebooks").glob("*.ipynb"))
CYPHER_WORDS = ("MATCH (", "MERGE (", "RETURN ", "execute_query", ".run(")


def test_there_are_notebooks() -> None:
    assert len(NOTEBOOKS) >= 4


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs(path: Path, seeded: Seeded, monkeypatch: pytest.MonkeyPatch) -> None:
    book = nbformat.read(path, as_version=4)
    for cell in book.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None, f"{path.name}: outputs"
            assert not any(word in cell.source for word in CYPHER_WORDS), f"{path.name}: Cypher"
    server = seeded.server
    monkeypatch.setenv("NEO4J_URI", server.uri)
    monkeypatch.setenv("NEO4J_USERNAME", server.auth[0])
    monkeypatch.setenv("NEO4J_PASSWORD", server.auth[1])
    monkeypatch.setenv("NEO4J_DATABASE", server.database)
    client = NotebookClient(book, timeout=120, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}})
    client.execute()  # raises CellExecutionError on any failing cell
    figures = sum(1 for cell in book.cells if cell.cell_type == "code"
                  for out in cell.outputs if "image/png" in out.get("data", {}))
    assert figures >= 2, f"{path.name}: expected plots"
