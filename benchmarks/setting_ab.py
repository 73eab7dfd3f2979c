"""Two local Neo4j servers side by side, the same but for one setting (or their data): what it
costs each call.

The probe scripts ``keep_alive``, ``fulltext_refresh`` and ``jvm_flags`` give the setting, its
two values and the calls to make; this module starts a server for each value (in temporary
homes, on free ports), makes every call ``warm`` times on each unrecorded, the servers taking
turns (the JVM compiles its hot paths as they get hot), waits ``settle`` seconds, then runs
blocks of each call, the servers taking turns (which goes first alternates each round), so
both see the same host. After each block it waits ``settle`` seconds for the work a call
leaves behind on the server (index updates after commit, merges) before reading the server's
CPU time. Prints each call's p50/p95 latency and, per call, this process's CPU time (the
client's side) and the server JVM's (all its threads, from ``/proc/<pid>/stat``), then the
server's own time for each query (the p50 of the executor's timing log,
``graph_layer.timing``).

``benchmarks.scale_ab`` uses the same runner for two servers with the same settings and
different amounts of data (``side_by_side``).

The order is not neutral: two servers with the same data and settings (``python -m
benchmarks.scale_ab --small 999 --large 1000``, three runs, one reversed) differed by up to
16%, the server going second the faster on seven of nine lines. ``--reverse`` in each probe
(``reverse``) sends the second value's server first; a result that holds in both orders is
the setting's, not the order's. The timing log is on during the blocks (on both servers
alike): a record per query on the client.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from benchmarks.peers import Neo4jPeer
from benchmarks.report import pct
from benchmarks.run import free_port
from benchmarks.workloads import Recorder, server_times
from graph_layer.local_server import LocalNeo4j
from graph_layer.settings import DEFAULT_PASSWORD

Call = Callable[[int], Awaitable[Any]]
MakeCalls = Callable[[Neo4jPeer], Awaitable[dict[str, Call]]]
# the calls for one server, given its label (a setting's value, or what data it holds)
CallsFor = Callable[[str, Neo4jPeer], Awaitable[dict[str, Call]]]
REVERSE_HELP = "The second value's server first (the order favours the server going second)."


def jvm_cpu_ms(pid: int) -> float:
    """CPU time (user + system) of process ``pid`` so far, in ms."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) * 1000 / os.sysconf("SC_CLK_TCK")


async def _block(rec: Recorder, key: tuple[str, str, str], call: Call, block: int,
                 settle: float, pid: int) -> tuple[float, float]:
    """``block`` recorded calls of ``call`` under ``key`` (title, call name, label); returns
    the client's and the server's CPU ms for them (the server's counted ``settle`` s after)."""
    server_start = jvm_cpu_ms(pid)
    client_start = time.process_time()
    for i in range(block):
        await rec.timed(*key, call(i))
    client = (time.process_time() - client_start) * 1e3
    await asyncio.sleep(settle)
    return client, jvm_cpu_ms(pid) - server_start


async def _compare(title: str, servers: dict[str, LocalNeo4j], calls_for: CallsFor,
                   warm: int, blocks: int, block: int, settle: float, shown: list[str]) -> None:
    """Set up, warm and measure the servers (by label) in ``servers``' order; print them in
    ``shown``'s, the p50 change being the second's against the first's."""
    values = list(servers)
    pids = {value: server.pid() for value, server in servers.items()}
    client_cpu: dict[tuple[str, str], float] = {}
    server_cpu: dict[tuple[str, str], float] = {}
    rec = Recorder()
    queries = Recorder()  # the server's time per query: workload "server time", layer = value
    with tempfile.TemporaryDirectory() as files:
        peers = {value: Neo4jPeer(Path(files) / f"peer{i}", server.uri,  # a value may hold "/"
                                  ("neo4j", DEFAULT_PASSWORD), "neo4j")
                 for i, (value, server) in enumerate(servers.items())}
        try:
            calls = {value: await calls_for(value, peer) for value, peer in peers.items()}
            for i in range(warm):  # taking turns too, so both end their warm-up together
                for per_value in calls.values():
                    for call in per_value.values():
                        await call(i)
            await asyncio.sleep(settle)  # the warm-up's leftover work, before the first block
            for block_round in range(blocks):
                for value in values if block_round % 2 == 0 else values[::-1]:
                    pid = pids[value]
                    assert pid is not None, f"the {value} server is not running"
                    for name, call in calls[value].items():
                        with server_times(queries, peers[value], f" ({name})", value):
                            client, server = await _block(rec, (title, name, value), call,
                                                          block, settle, pid)
                        client_cpu[name, value] = client_cpu.get((name, value), 0.0) + client
                        server_cpu[name, value] = server_cpu.get((name, value), 0.0) + server
        finally:
            for peer in peers.values():
                await peer.close()
    print(f"{title}: {blocks} blocks of {block} calls taking turns, after {warm} unrecorded "
          "calls of each; ms per call (client CPU = this process's CPU time, server CPU = the "
          f"server JVM's, counted until {settle:g} s after each block)")
    head = ": p50 / p95 / client CPU / server CPU"
    print(f"  {'call':28s} " + "  ".join(f"{v + head:>48s}" for v in shown) + "   p50 change")
    for name in calls[values[0]]:
        cells, p50s = [], []
        for value in shown:
            ms = rec.line(title, name, value).ms
            p50s.append(pct(ms, 0.5))
            cells.append(f"{p50s[-1]:10.2f} / {pct(ms, 0.95):6.2f} / "
                         f"{client_cpu[(name, value)] / len(ms):6.2f} / "
                         f"{server_cpu[(name, value)] / len(ms):6.2f}")
        print(f"  {name:28s} " + "  ".join(f"{c:>48s}" for c in cells)
              + f"   {(p50s[1] / p50s[0] - 1) * 100:+5.0f}%")
    print("The server's own time per query (p50 of the timing log, whole ms), by call:")
    for query in sorted({line.call for line in queries.lines.values()}):
        cells = [f"{pct(queries.line('server time', query, value).ms, 0.5):10.1f}"
                 for value in shown]
        print(f"  {query:60s} " + "  ".join(f"{c:>12s}" for c in cells))


def side_by_side(title: str, settings: dict[str, dict[str, str]], calls_for: CallsFor, *,
                 warm: int, blocks: int, block: int, settle: float = 0.0,
                 reverse: bool = False) -> None:
    """Start a server for each of the two labels with its extra settings, compare
    ``calls_for``' calls on them (printed under ``title``, in ``settings``' order). The first
    label's server is started first, its calls set up first, it makes each warm-up round's
    calls first and is measured first in the first round; ``reverse`` swaps all of that (not
    the printed order), so that whatever the order favours favours the other server."""
    labels = list(settings)
    if len(labels) != 2:
        raise ValueError(f"side_by_side compares two servers, got {labels}")
    with tempfile.TemporaryDirectory() as homes:
        # homes by index: a label (JVM flags) may hold "/" or the classpath's ":"
        servers = {label: LocalNeo4j(home=Path(homes) / f"server{i}", bolt_port=free_port(),
                                     http_port=free_port(), password=DEFAULT_PASSWORD,
                                     extra_settings=settings[label])
                   for i, label in enumerate(labels[::-1] if reverse else labels)}
        try:
            for srv in servers.values():
                srv.start()
            asyncio.run(_compare(title, servers, calls_for, warm, blocks, block, settle,
                                 labels))
        finally:
            for srv in servers.values():
                srv.stop()


def compare(setting: str, values: tuple[str, str], make_calls: MakeCalls, *, warm: int,
            blocks: int, block: int, settle: float = 0.0, reverse: bool = False) -> None:
    """Start a server for each value of ``setting``, compare ``make_calls``' calls on them
    (``reverse``: the second value's server goes first; see ``side_by_side``)."""

    async def calls_for(value: str, peer: Neo4jPeer) -> dict[str, Call]:
        return await make_calls(peer)

    side_by_side(setting, {value: {setting: value} for value in values}, calls_for,
                 warm=warm, blocks=blocks, block=block, settle=settle, reverse=reverse)
