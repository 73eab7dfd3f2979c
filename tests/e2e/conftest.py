"""Fixtures for the browser test: the demo app in a child process (headless Chromium is
``tests/conftest.py``'s ``chromium``).

The app is started with ``python -m graph_layer.cli demo --no-local-neo4j`` against the test
database (``neo4j_server`` from tests/conftest.py), on a free port, with its own demo home under
the test's tmp path.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from tests.conftest import Server, free_port

APP_START_SECONDS = 180.0  # importing Chainlit takes ~20 s on a busy 2-core machine


@dataclass(frozen=True)
class DemoApp:
    """A running demo app."""

    url: str
    home: Path
    log: Path


def _wait_until_up(url: str, child: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + APP_START_SECONDS
    while time.monotonic() < deadline:
        if child.poll() is not None:
            raise RuntimeError(f"demo app exited with {child.returncode}:\n{log.read_text()}")
        try:
            if httpx.get(f"{url}/auth/config", timeout=5).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.5)
    raise TimeoutError(f"demo app not up after {APP_START_SECONDS} s:\n{log.read_text()}")


def _stop(child: subprocess.Popen[bytes]) -> None:
    """Stop the launcher and the Chainlit process it started (one process group)."""
    try:
        os.killpg(child.pid, signal.SIGTERM)
        child.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(child.pid, signal.SIGKILL)
        child.wait(timeout=10)
    except ProcessLookupError:
        pass


@pytest.fixture
def demo_app(clean_db: Server, tmp_path: Path) -> Iterator[DemoApp]:
    """The demo app on a free port, writing to the (wiped) test database."""
    port = free_port()
    home = tmp_path / "demo-home"
    log = tmp_path / "demo-app.log"
    env = dict(os.environ, NEO4J_URI=clean_db.uri, NEO4J_USERNAME=clean_db.auth[0],
               NEO4J_PASSWORD=clean_db.auth[1], NEO4J_DATABASE=clean_db.database,
               GRAPH_LAYER_DEMO_HOME=str(home), CHAINLIT_AUTH_SECRET="e2e-" + "s" * 60,
               PYTHONUNBUFFERED="1")
    command = [sys.executable, "-m", "graph_layer.cli", "demo", "--no-local-neo4j",
               "--port", str(port)]
    with log.open("wb") as out:
        child = subprocess.Popen(command, env=env, stdout=out, stderr=subprocess.STDOUT,
                                 cwd=tmp_path, start_new_session=True)
    url = f"http://127.0.0.1:{port}"
    try:
        _wait_until_up(url, child, log)
        yield DemoApp(url, home, log)
    finally:
        _stop(child)
