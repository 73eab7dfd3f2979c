"""``graph-layer demo``: start the local Neo4j, apply the schema and serve the demo app.

The app runs as ``python -m chainlit run …/demo/app.py`` in a child process whose working folder
is the demo home (``GRAPH_LAYER_DEMO_HOME``, default ``~/.local/share/graph-layer/demo``): Chainlit
reads ``.chainlit/config.toml`` there (written from this package on every start), keeps its
session files in ``.files/``, and the demo keeps element files in ``files/``.
"""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph_layer.demo.users import DEMO_PASSWORD, DEMO_USERS

console = Console(stderr=True)
PACKAGE = resources.files("graph_layer.demo")


def default_home() -> Path:
    """``GRAPH_LAYER_DEMO_HOME`` or ``~/.local/share/graph-layer/demo``."""
    configured = os.environ.get("GRAPH_LAYER_DEMO_HOME")
    return Path(configured) if configured else Path.home() / ".local/share/graph-layer/demo"


def prepare_home(home: Path) -> str:
    """Write the Chainlit config and readme into ``home``; return the login-token secret
    (``CHAINLIT_AUTH_SECRET``, else one kept in ``home/.auth-secret``)."""
    (home / ".chainlit").mkdir(parents=True, exist_ok=True)
    (home / ".chainlit" / "config.toml").write_text(
        (PACKAGE / "config.toml").read_text(encoding="utf-8"), encoding="utf-8")
    (home / "chainlit.md").write_text(
        (PACKAGE / "welcome.md").read_text(encoding="utf-8"), encoding="utf-8")
    if secret := os.environ.get("CHAINLIT_AUTH_SECRET"):
        return secret
    secret_file = home / ".auth-secret"
    if not secret_file.exists():
        secret_file.write_text(secrets.token_urlsafe(48))
        secret_file.chmod(0o600)
    return secret_file.read_text().strip()


def app_command(host: str, port: int) -> list[str]:
    """The command line that serves the demo app."""
    app_file = str(PACKAGE / "app.py")
    return [sys.executable, "-m", "chainlit", "run", app_file, "--headless",
            "--host", host, "--port", str(port)]


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def demo_command(
    port: Annotated[int, typer.Option(help="Port of the chat app.")] = 8000,
    host: Annotated[str, typer.Option(help="Interface to serve on.")] = "127.0.0.1",
    home: Annotated[Path | None, typer.Option(
        help="Folder for the app's config and files [default: GRAPH_LAYER_DEMO_HOME or "
             "~/.local/share/graph-layer/demo].")] = None,
    local_neo4j: Annotated[bool, typer.Option(
        "--local-neo4j/--no-local-neo4j",
        help="Start the local Neo4j (else use the server NEO4J_URI names).")] = True,
) -> None:
    """Start Neo4j, apply the schema and serve the demo chat app (Ctrl-C stops the app)."""
    from graph_layer.cli import neo4j_start, schema_apply

    if local_neo4j:
        from graph_layer.local_server import LocalNeo4j

        neo4j_start()  # prints where it runs; exits on failure
        os.environ.setdefault("NEO4J_URI", LocalNeo4j.from_env().uri)
    schema_apply()  # prints the version; exits on failure
    env = dict(os.environ)
    folder = (home or default_home()).resolve()
    env["CHAINLIT_AUTH_SECRET"] = prepare_home(folder)
    env["CHAINLIT_APP_ROOT"] = env["GRAPH_LAYER_DEMO_HOME"] = str(folder)
    users = ", ".join(DEMO_USERS)
    console.print(f"Demo chat app: http://{host}:{port}/  (log in as {users}; "
                  f"password {DEMO_PASSWORD!r})\nFiles and config: {folder}")
    signal.signal(signal.SIGTERM, _interrupt)
    with subprocess.Popen(app_command(host, port), cwd=folder, env=env) as child:
        try:
            code = child.wait()
        except KeyboardInterrupt:
            child.terminate()
            code = child.wait(timeout=10)
    raise typer.Exit(code=code)
