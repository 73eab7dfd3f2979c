"""The ``bench`` command (``python -m benchmarks`` or ``graph-layer bench``)."""

from __future__ import annotations

import asyncio
import logging
import tempfile
from dataclasses import replace
from pathlib import Path
from typing import Annotated

import typer

from benchmarks.run import FULL, QUICK, run

ALL_LAYERS = "neo4j,chainlit,sqlalchemy,sqlite"
WORKDIR = Path(tempfile.gettempdir()) / "graph-layer-bench"


def bench(
    quick: Annotated[bool, typer.Option(help="Small sizes: about two minutes.")] = False,
    layers: Annotated[str, typer.Option(help=f"Comma-separated subset of {ALL_LAYERS}.")] = (
        ALL_LAYERS),
    scale: Annotated[str, typer.Option(
        help="Background thread totals for the scale line, e.g. 1000,10000,100000.")] = "",
    workdir: Annotated[Path, typer.Option(help="Databases and files (scratch).")] = WORKDIR,
    pg_port: Annotated[int, typer.Option(help="Port of the private PostgreSQL.")] = 55433,
    out: Annotated[Path, typer.Option(help="Where the .md and .json results go.")] = Path(
        "benchmarks/results"),
    sqlalchemy_documented_ddl: Annotated[bool, typer.Option(
        help="Use only the documented SQLAlchemy DDL (shows the silently dropped steps).")] = (
        False),
    warmup_rounds: Annotated[int | None, typer.Option(
        min=0, help=f"Unrecorded rounds of the measured calls per layer before anything is "
                    f"measured (default {QUICK.warmup_rounds} quick, {FULL.warmup_rounds} full; "
                    f"at most {QUICK.warmup_s:.0f} / {FULL.warmup_s:.0f} s a layer).")] = None,
) -> None:
    """Benchmark Neo4jDataLayer against ChainlitDataLayer and SQLAlchemyDataLayer.

    Starts its own PostgreSQL (Debian package) and, unless NEO4J_URI is set, its own Neo4j;
    the Neo4j database is wiped (only if it holds benchmark or test data).
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("chainlit").setLevel(logging.ERROR)
    logging.getLogger("neo4j").setLevel(logging.ERROR)  # "label does not exist" notices
    plan = QUICK if quick else FULL
    if scale:
        plan = replace(plan, scale=tuple(int(x) for x in scale.split(",") if x))
    if warmup_rounds is not None:
        plan = replace(plan, warmup_rounds=warmup_rounds)
    chosen = {x.strip() for x in layers.split(",") if x.strip()}
    unknown = chosen - set(ALL_LAYERS.split(","))
    if unknown:
        raise typer.BadParameter(f"unknown layers {sorted(unknown)}")
    asyncio.run(run(plan, workdir, chosen, pg_port, out, sqlalchemy_documented_ddl))


app = typer.Typer(add_completion=False)
app.command()(bench)
