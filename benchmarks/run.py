"""Run every layer through the same workloads and write the table (markdown + JSON)."""

from __future__ import annotations

import json
import logging
import os
import platform
import shlex
import socket
import sys
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from chainlit.context import context_var

from benchmarks import data as ds
from benchmarks import workloads as wl
from benchmarks.peers import (
    ChainlitPgPeer,
    Neo4jPeer,
    Peer,
    SqlAlchemyPgPeer,
    SqlAlchemySqlitePeer,
)
from benchmarks.postgres import LocalPostgres
from benchmarks.report import markdown, rows
from graph_layer.context import use_http_context

log = logging.getLogger("benchmarks")
P = TypeVar("P")


@dataclass
class Plan:
    """Sizes and repetitions of one run."""

    mode: str
    chat_turns: int
    single_rounds: int  # conversations of the one-session chat line, one after the other
    wave_rounds: int  # waves of the 20-session chat line, one after the other
    sidebar_sizes: tuple[int, ...]
    resume_sizes: tuple[int, ...]
    delete_reps: int
    reps: int
    resume_reps: int  # recorded calls of each resume line, in resume_rounds rounds
    resume_rounds: int
    budget_s: float
    floor_reps: int
    scale: tuple[int, ...]
    warmup_rounds: int  # per layer, unrecorded, before anything is measured
    warmup_s: float  # cap on each layer's warm-up
    scale_reps: int  # recorded calls of each scale line (the search: half)
    scale_settle_s: float  # unrecorded rounds of a scale point's calls for this long first
    scale_rounds: int  # the recorded calls of a scale point, in rounds of every layer


QUICK = Plan("quick", chat_turns=2, single_rounds=3, wave_rounds=1, sidebar_sizes=(1000,),
             resume_sizes=(20, 200, 2000), delete_reps=1, reps=10, resume_reps=10,
             resume_rounds=2, budget_s=3.0, floor_reps=30, scale=(), warmup_rounds=6,
             warmup_s=60.0, scale_reps=10, scale_settle_s=5.0, scale_rounds=2)
FULL = Plan("full", chat_turns=4, single_rounds=20, wave_rounds=3, sidebar_sizes=(1000, 10000),
            resume_sizes=(20, 200, 2000), delete_reps=2, reps=20, resume_reps=40,
            resume_rounds=5, budget_s=8.0, floor_reps=100, scale=(), warmup_rounds=93,
            warmup_s=240.0, scale_reps=60, scale_settle_s=20.0, scale_rounds=5)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _unrecorded_passes(seconds: float) -> Iterator[wl.Recorder]:
    """The unrecorded passes of a scale point's calls before the recorded ones: one, then
    more until ``seconds`` have passed."""
    until = time.monotonic() + seconds
    yield wl.Recorder()
    while time.monotonic() < until:
        yield wl.Recorder()


def in_turns(peers: Sequence[P], rounds: int) -> Iterator[tuple[int, P]]:
    """(round, peer) for ``rounds`` rounds of every peer, each round starting one peer later:
    a line measured in rounds spreads each layer's calls over the line's whole time, so a slow
    moment of the host or of a server's background work falls on every layer alike, and no
    layer always follows the same one."""
    for r in range(rounds):
        for k in range(len(peers)):
            yield r, peers[(r + k) % len(peers)]


async def _settle(peers: list[Peer]) -> None:
    """Let every layer's background work finish before the next measured phase."""
    for peer in peers:
        await peer.settle()


def _machine() -> str:
    cpus = os.cpu_count()
    try:
        mem = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    except (ValueError, OSError):
        mem = float("nan")
    load = os.getloadavg()[0]
    return (f"{platform.platform()}, {cpus} CPUs, {mem:.0f} GiB RAM, Python "
            f"{platform.python_version()}, load average at start {load:.2f}")


async def run(plan: Plan, workdir: Path, layers: set[str], pg_port: int, out: Path,
              documented_only: bool) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    peers: list[Peer] = []
    neo4j_server = None
    pg: LocalPostgres | None = None
    if "neo4j" in layers:
        from graph_layer.settings import DEFAULT_PASSWORD, Neo4jSettings

        settings = Neo4jSettings()
        uri = os.environ.get("NEO4J_URI")  # unset: a Neo4j of our own
        if not uri:
            from graph_layer.local_server import LocalNeo4j

            neo4j_server = LocalNeo4j(home=workdir / "neo4j", bolt_port=free_port(),
                                      http_port=free_port(), password=DEFAULT_PASSWORD)
            log.info("starting a local Neo4j in %s", workdir / "neo4j")
            neo4j_server.start()
            uri = neo4j_server.uri
        peers.append(Neo4jPeer(workdir / "files-neo4j", uri, settings.auth, settings.database))
    if layers & {"chainlit", "sqlalchemy"}:
        pg = LocalPostgres(workdir / f"pg-{pg_port}", pg_port)
        log.info("starting PostgreSQL on 127.0.0.1:%s", pg_port)
        pg.start()
        admin = pg.dsn("postgres")
        if "chainlit" in layers:
            peers.append(ChainlitPgPeer(workdir / "files-cdl", admin, "bench_chainlit"))
        if "sqlalchemy" in layers:
            peers.append(SqlAlchemyPgPeer(workdir / "files-sqla", admin, "bench_sqlalchemy",
                                          documented_only))
    if "sqlite" in layers:
        peers.append(SqlAlchemySqlitePeer(workdir / "files-sqlite", workdir / "sqlalchemy.db",
                                          documented_only))

    rec = wl.Recorder()
    meta: dict[str, Any] = {
        "mode": plan.mode, "when": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": _machine(), "command": " ".join(shlex.quote(a) for a in sys.argv),
        "layers": [p.name for p in peers], "plan": plan.__dict__}
    try:
        # background data, the same rows in each layer's own schema
        world = ds.Dataset()
        sidebar_users = {n: f"sidebar-{n}" for n in plan.sidebar_sizes}
        expected: dict[int, tuple[list[str], list[str]]] = {}
        for k, n in enumerate(plan.sidebar_sizes):
            part = ds.sidebar_user(sidebar_users[n], n, ds.BASE_TIME + timedelta(days=30 * k))
            world.extend(part)
            order = [t.id for t in sorted(part.threads, key=lambda t: t.last_activity,
                                          reverse=True)]
            matching = {t.id for t in part.threads if ds.SEARCH_WORD in t.name}
            expected[n] = (order, [t for t in order if t in matching])
        convs = {}
        for n in plan.resume_sizes:
            conv = ds.conversation("resume-user", f"resume-{n}", n, ds.BASE_TIME)
            convs[n] = conv
            world.extend(conv)
        doomed, world_doomed = [], []
        for i in range(plan.delete_reps):
            conv = ds.conversation("delete-user", f"delete-{i}", 2000, ds.BASE_TIME)
            doomed.append(conv.threads[0].id)
            world_doomed.append(conv)
            world.extend(conv)
        for peer in peers:
            t0 = time.perf_counter()
            await peer.reset()
            await peer.load(world)
            await peer.settle()
            log.info("%s: loaded %d threads, %d steps in %.1fs", peer.name,
                     len(world.threads), len(world.steps), time.perf_counter() - t0)
        base = {p.name: await p.counts() for p in peers}
        for peer in peers:
            want = {"threads": len(world.threads), "steps": len(world.steps),
                    "elements": len(world.elements), "feedbacks": len(world.feedbacks)}
            rec.finding(peer.name, "bulk load", base[peer.name] == want,
                        f"rows after load {base[peer.name]}")

        token = use_http_context("bench-main")
        # warm-up (not recorded): query plans, prepared statements, pools, the JVM's JIT
        first, conv = plan.sidebar_sizes[0], convs[plan.resume_sizes[0]]
        meta["warm_up"] = {}
        for peer in peers:
            t0 = time.perf_counter()
            done, made = await wl.warm_up(
                peer, rec, plan.warmup_rounds, plan.warmup_s,
                (sidebar_users[first], *expected[first]),
                (conv.threads[0].id, len(conv.steps), len(conv.elements), len(conv.feedbacks)))
            took = time.perf_counter() - t0
            meta["warm_up"][peer.name] = {"rounds": done, "calls": made, "seconds": round(took)}
            log.info("%s: warmed up with %d rounds, %d calls in %.1fs", peer.name, done, made,
                     took)
        await _settle(peers)
        # The chat lines in rounds of one conversation (one session) or one wave (twenty) of
        # each layer in turn; each one-session round measures the floor first, so the floor is
        # taken at the moments the writes are.
        for sessions, rounds in ((1, plan.single_rounds), (20, plan.wave_rounds)):
            workload = wl.chat_workload(sessions, plan.chat_turns, rounds)
            before = {peer.name: await peer.counts() for peer in peers}
            added: dict[str, Counter[str]] = {peer.name: Counter() for peer in peers}
            for r, peer in in_turns(peers, rounds):
                log.info("%s, round %d: %s", workload, r + 1, peer.name)
                if sessions == 1 and peer.has_floor:
                    await wl.floor(peer, rec, max(1, plan.floor_reps // rounds))
                added[peer.name].update(await wl.chat(peer, rec, sessions, plan.chat_turns,
                                                      f"{sessions}-{r}", workload=workload))
            for peer in peers:
                after = await peer.counts()
                delta = {k: after[k] - before[peer.name][k] for k in after}
                rec.finding(peer.name, workload, delta == dict(added[peer.name]),
                            f"rows added {delta}, expected {dict(added[peer.name])}")
        await _settle(peers)  # what the chat writes left in the background
        for n in plan.sidebar_sizes:
            order, hits = expected[n]
            for peer in peers:
                log.info("sidebar %d: %s", n, peer.name)
                # One unrecorded call of each query shape first, as in the scale line: the
                # chat's writes moved the statistics, and one re-plan is not a line's p95.
                for recorder, reps, pages in ((wl.Recorder(), 1, 1), (rec, plan.reps, None)):
                    await wl.sidebar(peer, recorder, sidebar_users[n], order, hits, reps,
                                     plan.budget_s, f"{n // 1000}k" if n >= 1000 else str(n),
                                     max_pages=pages)
        await _settle(peers)
        for n, conv in convs.items():
            shape = (conv.threads[0].id, len(conv.steps), len(conv.elements), len(conv.feedbacks))
            for peer in peers:  # one unrecorded call each first, as in the sidebar
                await wl.resume(peer, wl.Recorder(), *shape, 1, plan.budget_s, f"{n} steps")
            for r, peer in in_turns(peers, plan.resume_rounds):
                log.info("resume %d, round %d: %s", n, r + 1, peer.name)
                await wl.resume(peer, rec, *shape, plan.resume_reps // plan.resume_rounds,
                                plan.budget_s / plan.resume_rounds, f"{n} steps")
        doomed_rows = {"threads": len(doomed), "steps": 0, "elements": 0, "feedbacks": 0}
        for conv in world_doomed:
            doomed_rows["steps"] += len(conv.steps)
            doomed_rows["elements"] += len(conv.elements)
            doomed_rows["feedbacks"] += len(conv.feedbacks)
        before = {peer.name: await peer.counts() for peer in peers}
        for r, peer in in_turns(peers, len(doomed)):  # one delete of each layer in turn
            await wl.delete(peer, rec, [doomed[r]], "2000 steps")
        for peer in peers:
            after = await peer.counts()
            removed = {k: before[peer.name][k] - after[k] for k in after}
            rec.finding(peer.name, "delete 2000 steps", removed == doomed_rows,
                        f"rows removed {removed}, expected {doomed_rows}")
        for peer in peers:
            final = await peer.counts()
            rec.finding(peer.name, "rows after run", True, f"{final}")
        # scale: more background threads, then the 1k sidebar page and the 200-step resume again
        resume = convs[plan.resume_sizes[1]]

        async def scale_calls(peer: Peer, recorder: wl.Recorder, reps: int, at: str) -> None:
            with wl.server_times(recorder, peer, f" {at}"):
                await wl.sidebar(peer, recorder, sidebar_users[first], *expected[first], reps,
                                 plan.budget_s, f"{first // 1000}k {at}", max_pages=0)
                await wl.resume(peer, recorder, resume.threads[0].id, len(resume.steps),
                                len(resume.elements), len(resume.feedbacks), reps,
                                plan.budget_s, f"{plan.resume_sizes[1]} steps {at}")

        loaded = 0
        for target in plan.scale:
            extra = ds.background(target - loaded, ds.BASE_TIME + timedelta(days=400), loaded)
            loaded = target
            for peer in peers:
                await peer.load(extra)
            # after every load: a layer's load leaves background work (autovacuum, index
            # updates) that would otherwise run while the layers loaded before it are measured
            await _settle(peers)
            at = f"@ +{target // 1000}k background"
            for peer in peers:
                # Unrecorded passes of the calls first, for scale_settle_s: the load moved the
                # statistics (a query the server re-plans on its next call is not what a user
                # then sees), and for some seconds after a bulk load every call is slower
                # (benchmarks.after_load). Databases grow by bulk loads only here.
                for recorder in _unrecorded_passes(plan.scale_settle_s):
                    await scale_calls(peer, recorder, 1, at)
            # Then the recorded calls in rounds, each layer in turn (change 29): the layer
            # measured first would otherwise be the one nearest the loads' after-effects.
            for _, peer in in_turns(peers, plan.scale_rounds):
                await scale_calls(peer, rec, plan.scale_reps // plan.scale_rounds, at)
                if peer.has_floor:  # the control: the smallest calls, at the same moments
                    await wl.floor(peer, rec, max(1, plan.floor_reps // plan.scale_rounds),
                                   f" {at}")
        context_var.reset(token)
    finally:
        for peer in peers:
            try:
                await peer.close()
            except Exception as err:  # closing must not hide the run's own error
                log.warning("closing %s: %s", peer.name, err)
        if neo4j_server is not None:
            neo4j_server.stop()
        if pg is not None:
            pg.stop()

    meta["load_average_at_end"] = os.getloadavg()[0]
    table = markdown(rec, meta)
    result = {"meta": meta, "rows": rows(rec), "findings": rec.findings}
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{plan.mode}.md").write_text(table)
    (out / f"{plan.mode}.json").write_text(json.dumps(result, indent=2, default=str))
    print(table)
    print(f"saved {out / (plan.mode + '.md')} and {out / (plan.mode + '.json')}")
    return result
