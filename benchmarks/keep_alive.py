"""``python -m benchmarks.keep_alive``: what the server's Bolt keep-alive mode costs each call.

Starts two local Neo4j servers side by side, the same but for
``server.bolt.connection_keep_alive_for_requests``: ``ALL`` (Neo4j's default) and ``STREAMING``
(what ``graph-layer neo4j start`` and the benchmark's own server use). With ``ALL`` the server
also sends the ``connection.recv_timeout_seconds`` hint, and the Python driver then wraps each
socket read in ``asyncio.wait_for``: a task and a timer per read. With ``STREAMING`` the server
sends no hint and still sends keep-alive NOOPs while a result streams.

Blocks of calls take turns between the servers (which goes first alternates each round), so
both see the same host: the benchmark's
floor (a trivial read, a trivial write transaction) and, through the layer, ``create_step`` of
a new message, 20 such calls at once (as 20 sessions write; the time is for all 20) and
``get_thread`` of a 20-step thread. Prints each call's p50/p95 latency and
this process's CPU time per call (the client's side: the servers are other processes).
"""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import typer

from benchmarks.peers import Neo4jPeer
from benchmarks.report import pct
from benchmarks.run import free_port
from benchmarks.workloads import Recorder
from graph_layer.context import use_http_context
from graph_layer.convert import utc_now
from graph_layer.local_server import LocalNeo4j
from graph_layer.settings import DEFAULT_PASSWORD

SETTING = "server.bolt.connection_keep_alive_for_requests"
MODES = ("ALL", "STREAMING")
Call = Callable[[int], Awaitable[Any]]


async def _calls(peer: Neo4jPeer) -> dict[str, Call]:
    """The measured calls against one server, after loading the thread they read."""
    layer = peer.ours
    await layer.setup()
    thread_id = f"keep-alive-{uuid.uuid4()}"
    use_http_context(thread_id)  # create_step is queued outside a Chainlit context
    await layer.update_thread(thread_id, name="keep-alive")

    def message(text: str) -> Any:
        now = utc_now()
        return {"id": str(uuid.uuid4()), "threadId": thread_id, "type": "assistant_message",
                "name": "Assistant", "output": text, "createdAt": now, "start": now,
                "end": now, "metadata": {}}

    for turn in range(20):
        await layer.create_step(message(f"turn {turn}: " + "some answer text " * 8))
    writes = f"keep-alive-writes-{uuid.uuid4()}"
    await layer.update_thread(writes, name="keep-alive writes")

    async def create_step(i: int) -> None:
        await layer.create_step({**message("Here is what I found. " * 12), "threadId": writes})

    async def create_20_steps(i: int) -> None:  # 20 sessions writing at once
        await asyncio.gather(*(create_step(i) for _ in range(20)))

    async def get_thread(i: int) -> None:
        assert await layer.get_thread(thread_id) is not None

    async def floor_read(i: int) -> None:
        await peer.floor_read()

    return {"floor: trivial read": floor_read, "floor: trivial write tx": peer.floor_write,
            "create_step (a message)": create_step, "20 create_step at once": create_20_steps,
            "get_thread (20 steps)": get_thread}


async def compare(uris: dict[str, str], warm: int, blocks: int, block: int) -> None:
    with tempfile.TemporaryDirectory() as files:
        peers = {mode: Neo4jPeer(Path(files) / mode, uri, ("neo4j", DEFAULT_PASSWORD), "neo4j")
                 for mode, uri in uris.items()}
        try:
            calls = {mode: await _calls(peer) for mode, peer in peers.items()}
            for per_mode in calls.values():
                for call in per_mode.values():
                    for i in range(warm):
                        await call(i)
            rec = Recorder()
            cpu: dict[tuple[str, str], float] = {}
            for block_round in range(blocks):
                # which server goes first alternates: each leaves background work behind
                order = MODES if block_round % 2 == 0 else MODES[::-1]
                for mode, per_mode in ((m, calls[m]) for m in order):
                    for name, call in per_mode.items():
                        key = (name, mode)
                        started_cpu = time.process_time()
                        for i in range(block):
                            await rec.timed(SETTING, name, mode, call(i))
                        cpu[key] = cpu.get(key, 0.0) + (time.process_time() - started_cpu) * 1e3
        finally:
            for peer in peers.values():
                await peer.close()
    print(f"{SETTING}: {blocks} blocks of {block} calls taking turns, after {warm} unrecorded "
          "calls of each; ms per call (client CPU = this process's CPU time)")
    print(f"  {'call':26s} " + "  ".join(f"{m + ': p50 / p95 / client CPU':>36s}" for m in MODES)
          + "   p50 change")
    for name in calls[MODES[0]]:
        cells, p50s = [], []
        for mode in MODES:
            values = rec.line(SETTING, name, mode).ms
            p50s.append(pct(values, 0.5))
            cells.append(f"{p50s[-1]:12.2f} / {pct(values, 0.95):6.2f} / "
                         f"{cpu[(name, mode)] / len(values):6.2f}")
        print(f"  {name:26s} " + "  ".join(f"{c:>36s}" for c in cells)
              + f"   {(p50s[1] / p50s[0] - 1) * 100:+5.0f}%")


def main(warm: int = typer.Option(300, help="Unrecorded calls of each kind first."),
         blocks: int = typer.Option(10, help="Rounds of blocks taking turns."),
         block: int = typer.Option(20, help="Calls per block.")) -> None:
    """Start a server in each keep-alive mode, compare the calls' latency and client CPU."""
    with tempfile.TemporaryDirectory() as homes:
        servers = {mode: LocalNeo4j(home=Path(homes) / mode, bolt_port=free_port(),
                                    http_port=free_port(), password=DEFAULT_PASSWORD,
                                    extra_settings={SETTING: mode}) for mode in MODES}
        try:
            for server in servers.values():
                server.start()
            asyncio.run(compare({m: s.uri for m, s in servers.items()}, warm, blocks, block))
        finally:
            for server in servers.values():
                server.stop()


if __name__ == "__main__":
    typer.run(main)
