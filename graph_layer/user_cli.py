"""``graph-layer user delete IDENTIFIER``: remove a user and everything of theirs."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from graph_layer.errors import GraphLayerError

user_app = typer.Typer(help="Users and their data.", no_args_is_help=True)
console = Console(stderr=True)


@user_app.command("delete")
def user_delete(
    identifier: Annotated[str, typer.Argument(help="The user's identifier (their login).")],
    files: Annotated[
        Path | None,
        typer.Option(help="Root folder of a LocalFileStorageClient whose files to delete too."),
    ] = None,
    yes: Annotated[bool, typer.Option("--yes", help="Do not ask for confirmation.")] = False,
) -> None:
    """Delete the user's threads, steps, elements, feedback and stored files (NEO4J_* env)."""
    from graph_layer.layer import Neo4jDataLayer
    from graph_layer.storage import LocalFileStorageClient

    if not yes:
        typer.confirm(f"Delete user {identifier!r} and all their data?", abort=True)

    async def run() -> dict[str, int] | None:
        storage = LocalFileStorageClient(files, "http://unused") if files is not None else None
        layer = Neo4jDataLayer.from_env(storage_client=storage)
        try:
            return await layer.delete_user(identifier)
        finally:
            await layer.close()

    try:
        counts = asyncio.run(run())
    except GraphLayerError as err:
        console.print(f"[red]error:[/red] {err}")
        raise typer.Exit(code=1) from err
    if counts is None:
        console.print(f"no user {identifier!r}")
        raise typer.Exit(code=2)
    typer.echo(json.dumps({"deleted": identifier, **counts}))
