"""``python -m benchmarks.element_task``: what running ``create_element``'s write in a task of
its own costs, per call and per wave of concurrent calls.

The layer runs an element's write (upload, upsert, removal of the file it replaced) in a task
of its own, so that a cancelled caller's write goes on and keeps its turn
(``graph_layer.batching.detached``). Four forms of the same write, on the same layer:

- **detached task**: ``Neo4jDataLayer.create_element`` as it is;
- **shielded task**: ``asyncio.shield`` of the task, the form before (one event-loop turn
  more at its end);
- **inline**: the write awaited in the caller's task; not what the layer may do (a cancelled
  caller's write would stop half-way), here as the reference;
- **inline after a turn**: the same after ``asyncio.sleep(0)``, the task's first turn alone.

With ``--against COMMIT``, a fifth: ``create_element`` of that commit's code (its
``graph_layer`` and ``cypher/`` from git, imported as the package ``graph_layer_at``, its
loggers keeping their names; on a layer of its own on the same server; a commit whose schema
differs from today's may refuse).

S sessions at once (1 and 20), each writing a new 512-byte file element to its own thread, as
the full run's chat does. The forms take turns wave by wave: the order rotates by one form
each wave, and every second full rotation runs reversed. Prints the floor of
the moment, then each form's p50 / p95 per call, the p50 / p95 of a whole wave (all S calls),
and the rows per ``element/upsert_element`` transaction.

Why the wave: twenty calls started in one event-loop pass each start their clock before any
of them runs. Inline, each call's first stretch of work (normalising, hashing, submitting the
upload) runs before the next call starts its clock; in a task, it runs after every call has
started its own. The per-call time then moves between the forms while the wave's time, the
work done, does not. Run it against a scratch ``NEO4J_URI``: it writes ``element-task``
threads and deletes them at the end.
"""

from __future__ import annotations

import asyncio
import importlib
import re
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

import typer
from chainlit.element import File

from benchmarks.peers import Neo4jPeer, scratch_peer
from benchmarks.report import pct
from benchmarks.workloads import new_message
from graph_layer import Neo4jDataLayer, elements
from graph_layer.context import use_http_context
from graph_layer.executor import timing_records

Write = Callable[[File], Awaitable[None]]


def layer_at(commit: str, peer: Neo4jPeer, root: Path) -> Any:
    """A layer of ``commit``'s code on ``peer``'s server and file store (see the docstring),
    its package extracted under ``root`` (which must outlive the layer: it reads its query
    files there)."""
    done = subprocess.run(["git", "archive", commit, "graph_layer", "cypher"],
                          capture_output=True, cwd=Path(__file__).resolve().parent.parent)
    if done.returncode:
        raise RuntimeError(f"git archive {commit}: {done.stderr.decode().strip()}")
    with tarfile.open(fileobj=BytesIO(done.stdout)) as tar:
        tar.extractall(root, filter="data")
    package = root / "graph_layer_at"
    (root / "graph_layer").rename(package)
    for source in package.rglob("*.py"):
        source.write_text(re.sub(r"^(\s*(?:from|import) )graph_layer\b", r"\1graph_layer_at",
                                 source.read_text(), flags=re.MULTILINE))  # only its imports
    sys.path.insert(0, str(root))
    try:
        module = importlib.import_module("graph_layer_at")
    finally:
        sys.path.remove(str(root))
    mixed = sorted({f"{name}: {value.__name__}" for name, loaded in sys.modules.items()
                    if name.startswith("graph_layer_at") for value in vars(loaded).values()
                    if isinstance(value, ModuleType) and value.__name__.startswith("graph_layer")
                    and not value.__name__.startswith("graph_layer_at")})
    if mixed:  # an import the rewrite missed: the old code would run today's modules
        raise RuntimeError(f"{commit}'s code imports today's graph_layer: {mixed}")
    return module.Neo4jDataLayer(peer.uri, auth=peer.auth, database=peer.db,
                                 storage_client=peer.storage)


def forms(layer: Neo4jDataLayer) -> dict[str, Write]:
    """The four forms of one element write (the layer's private steps, as the layer runs them)."""
    def write_of(element: File) -> elements.ElementWrite:
        return elements.normalise(element, None)

    async def shielded(element: File) -> None:
        await asyncio.shield(asyncio.ensure_future(layer._element_write(write_of(element))))

    async def inline(element: File) -> None:
        await layer._element_write(write_of(element))

    async def inline_after_a_turn(element: File) -> None:
        await asyncio.sleep(0)
        await layer._element_write(write_of(element))

    return {"detached task": layer.create_element, "shielded task": shielded,
            "inline": inline, "inline after a turn": inline_after_a_turn}


async def wave(write: Write, targets: list[tuple[str, str]], tag: int
               ) -> tuple[list[float], float]:
    """One element write per (thread, step) at once; each call's ms and the wave's."""
    times: list[float] = []

    async def one(thread_id: str, step_id: str) -> None:
        element = File(name=f"notes-{tag}.txt", content=b"x" * 512, mime="text/plain",
                       display="inline", for_id=step_id, thread_id=thread_id)
        began = time.perf_counter()
        await write(element)
        times.append((time.perf_counter() - began) * 1000)

    began = time.perf_counter()
    await asyncio.gather(*(one(thread_id, step_id) for thread_id, step_id in targets))
    return times, (time.perf_counter() - began) * 1000


async def probe(warm: int, waves: int, against: str | None) -> None:
    with tempfile.TemporaryDirectory(prefix="element-task-") as root:
        async with scratch_peer() as peer:
            await _probe(peer, warm, waves, against, Path(root))


async def _probe(peer: Neo4jPeer, warm: int, waves: int, against: str | None, root: Path
                 ) -> None:
    layer = peer.ours
    await layer.setup()
    use_http_context("element-task")
    threads: list[str] = []
    then = None
    try:
        if against:
            then = layer_at(against, peer, root)
            await then.setup()
        print("the floor now (the machine's speed), p50 / p95 ms of 200 after 100 unrecorded: "
              f"read {_p(await _floor(peer.floor_read))}, "
              f"write {_p(await _floor(lambda: peer.floor_write(1)))}")
        print(f"create_element, S sessions at once, {waves} waves of each form taking turns "
              f"after {warm} unrecorded (p50 / p95 ms):")
        for sessions in (1, 20):
            targets = []
            for _ in range(sessions):
                thread_id = f"element-task-{uuid.uuid4()}"
                threads.append(thread_id)
                step = new_message(thread_id, None, "assistant_message", "Assistant", "hi")
                await layer.create_step(step)
                targets.append((thread_id, step["id"]))
            ways = forms(layer)
            if then is not None:
                ways[f"at {against}"] = then.create_element
            names = list(ways)
            calls: dict[str, list[float]] = {name: [] for name in names}
            walls: dict[str, list[float]] = {name: [] for name in names}
            rows: dict[str, list[int]] = {name: [] for name in names}
            for n in range(warm + waves):
                shift = n % len(names)
                order = names[shift:] + names[:shift]
                if (n // len(names)) % 2:
                    order.reverse()
                for name in order:
                    with timing_records() as records:
                        ms, wall = await wave(ways[name], targets, n)
                    if n >= warm:
                        calls[name] += ms
                        walls[name].append(wall)
                        rows[name] += [r.rows for r in records
                                       if r.query == "element/upsert_element"]
            for name in names:
                print(f"  S={sessions:2d} {name:20s} per call {_p(calls[name])}   "
                      f"per wave {_p(walls[name])}   rows per transaction median "
                      f"{statistics.median(rows[name]):.0f}")
    finally:
        for thread_id in threads:
            await layer.delete_thread(thread_id)
        if then is not None:
            await then.close()


async def _floor(call: Callable[[], Awaitable[None]]) -> list[float]:
    times = []
    for n in range(300):
        began = time.perf_counter()
        await call()
        if n >= 100:
            times.append((time.perf_counter() - began) * 1000)
    return times


def _p(values: list[Any]) -> str:
    return f"{pct(values, 0.5):6.2f} / {pct(values, 0.95):6.2f}"


def main(warm: int = typer.Option(10, help="Unrecorded waves of each form first."),
         waves: int = typer.Option(100, help="Recorded waves of each form, taking turns."),
         against: str = typer.Option("", help="A commit whose create_element is a fifth form.")
         ) -> None:
    """Print the element write's figures in its forms."""
    asyncio.run(probe(warm, waves, against or None))


if __name__ == "__main__":
    typer.run(main)
