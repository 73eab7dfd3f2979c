"""``python -m benchmarks.pauses``: what a pause before a call costs, ours against
ChainlitDataLayer, at the same moments.

The benchmark's lines make most of their calls back to back. In an app, a call mostly comes
after a pause: the user typing, an LLM answering. This probe makes the same calls three ways;
the conditions, within each the calls, and within each call the ways and layers, take turns
in blocks (every order reversed every other round):

- **back to back**: the next call as soon as the last returns;
- **after a 20 ms pause**: the client's event loop idle (``asyncio.sleep``), the servers idle;
- **after 100 ms of other work**: the client busy in Python, the servers idle.

The calls: the floor (a trivial read and a trivial write, each through the driver, through
``benchmarks.raw_bolt`` and through asyncpg), a new assistant message (``create_step``) and a
resume of 20 and of 200 steps (``get_thread``), through our layer and ChainlitDataLayer.
Printed per call and way: p50 / p95 ms and the client's CPU per call (p50 of
``time.thread_time``); what the CPU leaves of the time is the wait for the server, the wire
and the client's own wake-up.

Both databases first get what the full run's resume lines read among: 10,000 two-message
threads of another user (``--background``; as the full run's 10k sidebar user), then a
conversation of 20 and one of 200 steps. PostgreSQL's database is new; the Neo4j one keeps
what it held (a server on a new home holds only these).

Run it against a scratch ``NEO4J_URI`` (plain ``bolt://``); it starts a PostgreSQL of its own
(Debian's ``postgresql``) in a temporary folder and removes it at the end. In the Neo4j
database it leaves what it loads, the users it made (``pauses-...``), the tombstone of the
thread its messages went to, and the floor's node.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Iterable
from pathlib import Path
from typing import Any

import typer
from chainlit.user import User

from benchmarks import data as ds
from benchmarks.peers import ChainlitPgPeer, Neo4jPeer, Peer, scratch_peer
from benchmarks.postgres import LocalPostgres
from benchmarks.report import pct
from benchmarks.workloads import new_message
from graph_layer.context import use_http_context

Call = Callable[[], Awaitable[Any]]

WORK_S = 0.1
PAUSE_S = 0.02


async def _before(condition: str) -> None:
    """What comes before each recorded call under ``condition``."""
    if condition == "pause":
        await asyncio.sleep(PAUSE_S)
    elif condition == "work":
        until = time.perf_counter() + WORK_S
        while time.perf_counter() < until:  # the client busy, no event-loop turn
            pass


CONDITIONS = {"back to back": "none", "after a 20 ms pause": "pause",
              "after 100 ms of other work": "work"}


def _block_sizes(block: int, work_block: int) -> dict[str, int]:
    """Calls in a block, by condition label (fewer after other work: each waits 100 ms)."""
    return {label: work_block if condition == "work" else block
            for label, condition in CONDITIONS.items()}


async def _layer_calls(peer: Peer, threads: dict[int, str]) -> tuple[dict[str, Call], str]:
    """A new message in a thread of its own, and the two resumes, through ``peer``'s layer;
    and that thread's id."""
    layer = peer.layer
    thread_id = str(uuid.uuid4())
    use_http_context(thread_id)  # create_step is queued outside a Chainlit context
    user = await layer.create_user(User(identifier=f"pauses-{uuid.uuid4()}"))
    assert user is not None
    first = new_message(thread_id, None, "user_message", "User", "hello")
    await layer.create_step(first)
    await layer.update_thread(thread_id, name="pauses", user_id=user.id)

    async def message() -> None:
        await layer.create_step(new_message(thread_id, first["id"], "assistant_message",
                                            "Assistant", "Here is what I found. " * 12))

    def resume(thread: str) -> Call:
        return lambda: layer.get_thread(thread)

    calls: dict[str, Call] = {"create_step (a message)": message}
    for n, tid in threads.items():
        calls[f"get_thread ({n} steps)"] = resume(tid)
    return calls, thread_id


async def _floor_calls(ours: Neo4jPeer, cdl: ChainlitPgPeer) -> dict[str, dict[str, Call]]:
    raw = await ours.floor_extras()
    return {
        "trivial read": {
            "neo4j, driver": ours.floor_read,
            "neo4j, raw Bolt": lambda: raw["trivial read, raw Bolt"](0),
            "postgresql, asyncpg": cdl.floor_read},
        "trivial write": {
            "neo4j, driver": lambda: ours.floor_write(1),
            "neo4j, raw Bolt": lambda: raw["trivial write tx, raw Bolt"](1),
            "postgresql, asyncpg": lambda: cdl.floor_write(1)},
    }


Samples = dict[tuple[str, str, str], list[float]]  # (condition, line, way) -> ms per call


def _in_order(names: Iterable[str], round_: int) -> list[str]:
    """``names`` in their order, reversed every other round."""
    ordered = list(names)
    return ordered if round_ % 2 == 0 else ordered[::-1]


async def measure(lines: dict[str, dict[str, Call]], blocks: int, sizes: dict[str, int]
                  ) -> tuple[Samples, Samples]:
    """``blocks`` rounds; in each, every condition, in it every line, and in that every way,
    one block each, in turn (each order reversed every other round). Returns each call's time
    and client CPU (``time.thread_time``) in ms."""
    times: Samples = {}
    cpu: Samples = {}
    for b in range(blocks):
        for label in _in_order(CONDITIONS, b):
            condition, size = CONDITIONS[label], sizes[label]
            for line in _in_order(lines, b):
                ways = lines[line]
                for way in _in_order(ways, b):
                    for _ in range(size):
                        await _before(condition)
                        began, spent = time.perf_counter(), time.thread_time()
                        await ways[way]()
                        cpu.setdefault((label, line, way), []).append(
                            (time.thread_time() - spent) * 1000)
                        times.setdefault((label, line, way), []).append(
                            (time.perf_counter() - began) * 1000)
    return times, cpu


def report(lines: dict[str, dict[str, Call]], times: Samples, cpu: Samples, blocks: int,
           sizes: dict[str, int]) -> None:
    for label, size in sizes.items():
        print(f"{label} ({blocks} blocks of {size} calls of each way, the conditions and the "
              "ways taking turns), ms:")
        for line, ways in lines.items():
            for way in ways:
                key = (label, line, way)
                print(f"  {line:26s} {way:30s} p50 {pct(times[key], 0.5):6.2f}  "
                      f"p95 {pct(times[key], 0.95):6.2f}  client CPU {pct(cpu[key], 0.5):5.2f}")


async def probe(warm: int, blocks: int, block: int, work_block: int, pg_port: int,
                background: int) -> None:
    folder = Path(tempfile.mkdtemp(prefix="graph-layer-pauses-"))
    folder.chmod(0o755)  # the server runs as the postgres user where this runs as root
    try:
        pg = LocalPostgres(folder / "pg", pg_port)
        try:
            pg.start()
            async with scratch_peer() as ours:
                cdl = ChainlitPgPeer(folder / "files-cdl", pg.dsn("postgres"), "pauses")
                try:
                    await _run(ours, cdl, warm, blocks, block, work_block, background)
                finally:
                    await cdl.close()
        finally:
            pg.stop()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


async def _run(ours: Neo4jPeer, cdl: ChainlitPgPeer, warm: int, blocks: int, block: int,
               work_block: int, background: int) -> None:
    await cdl.reset()
    world = ds.Dataset()
    if background:  # the full run's sidebar user: tables and indexes of its size
        world.extend(ds.sidebar_user(f"pauses-{uuid.uuid4()}", background, ds.BASE_TIME))
    for n in (20, 200):
        world.extend(ds.conversation("pauses-resume", f"pauses-{uuid.uuid4()}", n, ds.BASE_TIME))
    for peer in (ours, cdl):
        await peer.load(world)
        await peer.settle()
    threads = {len([s for s in world.steps if s.thread_id == t.id]): t.id
               for t in world.threads[background:]}
    lines = await _floor_calls(ours, cdl)
    mine, my_thread = await _layer_calls(ours, threads)
    theirs, their_thread = await _layer_calls(cdl, threads)
    for line in mine:
        lines[line] = {ours.name: mine[line], cdl.name: theirs[line]}
    try:
        for ways in lines.values():
            for call in ways.values():
                for _ in range(warm):
                    await call()
        for peer in (ours, cdl):  # what the warm-up's writes left in the background
            await peer.settle()
        sizes = _block_sizes(block, work_block)
        times, cpu = await measure(lines, blocks, sizes)
        report(lines, times, cpu, blocks, sizes)
    finally:
        await ours.layer.delete_thread(my_thread)
        await cdl.layer.delete_thread(their_thread)


def main(warm: int = typer.Option(1000, help="Unrecorded calls of each way first."),
         blocks: int = typer.Option(6, help="Blocks of each way, taking turns."),
         block: int = typer.Option(25, help="Recorded calls in a block (back to back, pause)."),
         work_block: int = typer.Option(8, help="Recorded calls in a block after other work."),
         pg_port: int = typer.Option(55434, help="Port of the probe's PostgreSQL."),
         background: int = typer.Option(
             10_000, help="Two-message threads of another user loaded first (0: none).")) -> None:
    """Print what a pause before a call costs each layer and database."""
    asyncio.run(probe(warm, blocks, block, work_block, pg_port, background))


if __name__ == "__main__":
    typer.run(main)
