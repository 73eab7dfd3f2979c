"""The ``graph-layer`` command: run the local Neo4j and apply the schema."""

from __future__ import annotations

import asyncio
import json
from importlib.util import find_spec
from typing import Annotated

import typer
from rich.console import Console

from graph_layer.demo.launcher import demo_command
from graph_layer.errors import GraphLayerError
from graph_layer.extras import analytics_installed
from graph_layer.seed.command import seed_command
from graph_layer.user_cli import user_app

app = typer.Typer(help="graph_layer: the Neo4j data layer for Chainlit.", no_args_is_help=True)
neo4j_app = typer.Typer(help="The local Neo4j server (Community 5.26 from Maven Central).",
                        no_args_is_help=True)
schema_app = typer.Typer(help="Constraints and indexes.", no_args_is_help=True)
app.add_typer(neo4j_app, name="neo4j")
app.add_typer(schema_app, name="schema")
console = Console(stderr=True)


def _fail(err: Exception) -> typer.Exit:
    console.print(f"[red]error:[/red] {err}")
    return typer.Exit(code=1)


@neo4j_app.command("start")
def neo4j_start(
    timeout: Annotated[float, typer.Option(help="Seconds to wait for Bolt.")] = 180.0,
    setting: Annotated[list[str] | None, typer.Option(
        help="A neo4j.conf setting for this start, NAME=VALUE (repeat for more). neo4j.conf is "
             "written anew on every start: give them again on the next one.")] = None,
) -> None:
    """Provision (first time) and start the local Neo4j; wait until Bolt answers."""
    from graph_layer.local_server import LocalNeo4j, parse_settings

    try:
        server = LocalNeo4j.from_env(parse_settings(setting or []))
        with console.status("Starting Neo4j (the first start downloads it from Maven Central)"):
            message = server.start(timeout=timeout)
    except GraphLayerError as err:
        raise _fail(err) from err
    console.print(message)


@neo4j_app.command("stop")
def neo4j_stop() -> None:
    """Stop the local Neo4j this project started (and nothing else)."""
    from graph_layer.local_server import LocalNeo4j

    try:
        stopped = LocalNeo4j.from_env().stop()
    except GraphLayerError as err:
        raise _fail(err) from err
    console.print("stopped" if stopped else "not running")


@neo4j_app.command("status")
def neo4j_status() -> None:
    """Say what runs where."""
    from graph_layer.local_server import LocalNeo4j

    typer.echo(json.dumps(LocalNeo4j.from_env().status(), indent=2, default=str))


@schema_app.command("apply")
def schema_apply() -> None:
    """Create the constraints and indexes (idempotent) on the server NEO4J_URI names, and
    plan the layer's queries there (a just-started server's first user then waits for no
    query plan)."""
    from graph_layer.layer import Neo4jDataLayer

    async def run() -> int:
        layer = Neo4jDataLayer.from_env()
        try:
            return await layer.setup()
        finally:
            await layer.close()

    try:
        version = asyncio.run(run())
    except GraphLayerError as err:
        raise _fail(err) from err
    console.print(f"schema version {version} applied")


app.add_typer(user_app, name="user")
app.command("demo")(demo_command)
app.command("seed")(seed_command)

# Commands that need more than the base install: the [analytics] extra, or the repository's
# benchmarks/ folder (not shipped in the wheel).
if analytics_installed():
    from graph_layer.analytics.timing import timing_command

    app.command("analytics-timing")(timing_command)
if find_spec("benchmarks") is not None and find_spec("asyncpg") is not None:
    from benchmarks.cli import bench as bench_command

    app.command("bench")(bench_command)


if __name__ == "__main__":
    app()
