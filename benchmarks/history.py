"""``python -m benchmarks.history [RESULT.json ...]``: which layer led each line over many runs.

One full run cannot say who leads a line: on this shared two-core host a layer's p50 moved by
up to 2.1x between two consecutive runs on the same host on a line measured in rounds (2.8x on
a scale line not yet in rounds). This reads the JSON results of ``graph-layer bench`` (by
default every kept full run, ``benchmarks/results/full*.json``, with all four layers, from the
first that measured the layers in rounds, change 29, on) and prints, per workload line and
peer, in how many runs we led (our p50 below the peer's), the range of the peer's p50 divided
by ours (> 1: we are faster) and, where the peer led, the range of its lead; then our
one-session writes against our own trivial-write floor of the same run (the issue's 2x
target), the scale line's growth from 1k to 100k other threads (its 1.5x target), and the
twenty-session chat's calls per second.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import typer

from benchmarks.report import OURS

RESULTS = Path(__file__).parent / "results"
#: The first full run with the layers in rounds, each in turn (change 29; its scale lines, and
#: those of 18:48, were still measured one layer after the other: in rounds from 19:08 on).
FIRST_IN_ROUNDS = "2026-11-28T18:33"
#: The layer name of our floor rows (the floor is per database).
OUR_FLOOR = "neo4j"
#: Rows that are not a layer's line against the others.
_NOT_LINES = ("floor", "background", "server time")
ONE_SESSION = "chat 1x4x20"
TWENTY_SESSIONS = "chat 20x4x3"


@dataclass(frozen=True)
class Run:
    """One benchmark result: when it ran, on what, and its rows by (workload, call, layer)."""

    name: str
    when: str
    machine: str
    rows: dict[tuple[str, str, str], dict[str, Any]]

    @classmethod
    def load(cls, path: Path) -> Run:
        data = json.loads(path.read_text())
        rows = {(r["workload"], r["call"], r["layer"]): r for r in data["rows"]}
        return cls(path.name, data["meta"]["when"], data["meta"]["machine"], rows)

    @property
    def layers(self) -> set[str]:
        return {layer for workload, _, layer in self.rows if workload not in _NOT_LINES}

    def p50(self, workload: str, call: str, layer: str) -> float | None:
        row = self.rows.get((workload, call, layer))
        return None if row is None else float(row["p50_ms"])


def distinct(runs: list[Run]) -> list[Run]:
    """One run per start time (``full.json`` is a copy of the latest run), oldest first; of
    two copies the first given is kept."""
    by_when: dict[str, Run] = {}
    for run in runs:
        by_when.setdefault(run.when, run)
    return [run for _, run in sorted(by_when.items())]


def default_runs() -> list[Path]:
    """Every kept full run with all four layers since change 29, oldest first (``full.json``
    counted once, under its dated name)."""
    paths = sorted(RESULTS.glob("full*.json"))  # a dated name sorts before full.json
    full = [run for run in map(Run.load, paths)
            if run.when >= FIRST_IN_ROUNDS and len(run.layers) == 4]
    return [RESULTS / run.name for run in distinct(full)]


def _span(values: list[float]) -> str:
    lo, hi = min(values), max(values)
    return f"{lo:.2f}x" if f"{lo:.2f}" == f"{hi:.2f}" else f"{lo:.2f}-{hi:.2f}x"


def lead_table(runs: list[Run]) -> list[str]:
    """Per line and peer: the runs we led (our p50 below the peer's; a tie is the peer's) of
    the runs with both, the range of the peer's p50 over ours, and, where the peer led, the
    range of its lead (ours over its, from the unrounded p50s)."""
    peers = sorted(set().union(*(run.layers for run in runs)) - {OURS})
    lines: list[tuple[str, str]] = []
    for run in runs:
        for workload, call, layer in run.rows:
            if layer == OURS and workload not in _NOT_LINES and (workload, call) not in lines:
                lines.append((workload, call))
    out = ["| workload | call | " + " | ".join(f"{p}: we led, ratio" for p in peers) + " |",
           "|---|---|" + "---|" * len(peers)]
    for workload, call in lines:
        cells = []
        for peer in peers:
            ratios = []
            for run in runs:
                ours, theirs = run.p50(workload, call, OURS), run.p50(workload, call, peer)
                if ours and theirs:
                    ratios.append(theirs / ours)
            led = sum(1 for ratio in ratios if ratio > 1)
            theirs_led = [1 / ratio for ratio in ratios if ratio <= 1]
            lead = f" (its lead {_span(theirs_led)})" if theirs_led else ""
            cells.append(f"{led} of {len(ratios)}, {_span(ratios)}{lead}" if ratios else "")
        out.append(f"| {workload} | {call} | " + " | ".join(cells) + " |")
    return out


def floor_table(runs: list[Run]) -> list[str]:
    """Our one-session writes over our trivial-write floor of the same run, per run."""
    out = ["| run | write floor ms | each write / floor (p50) | within 2x |", "|---|---:|---|---:|"]
    for run in runs:
        floor = run.p50("floor", "trivial write tx", OUR_FLOOR)
        writes = {call: p50 for (workload, call, layer), row in run.rows.items()
                  if workload == ONE_SESSION and layer == OURS
                  and (p50 := float(row["p50_ms"])) > 0}
        if not floor or not writes:
            continue
        ratios = {call: p50 / floor for call, p50 in writes.items()}
        within = sum(1 for ratio in ratios.values() if ratio <= 2)
        shown = ", ".join(f"{call} {ratio:.2f}" for call, ratio in sorted(ratios.items()))
        out.append(f"| {run.name} | {floor:.2f} | {shown} | {within} of {len(ratios)} |")
    return out


#: The scale line's three calls: (workload with the background size left out, call).
SCALE_LINES = (("sidebar 1k @ +{} background", "list_threads first=35"),
               ("sidebar 1k @ +{} background search", "list_threads search"),
               ("resume 200 steps @ +{} background", "get_thread"))


def scale_table(runs: list[Run]) -> list[str]:
    """Our p50 with 100k other threads in the database over ours with 1k (the issue's target:
    within 1.5x), for the sidebar page, its search and the 200-step resume, per run."""
    out = ["| run | page | search | resume | within 1.5x |", "|---|---:|---:|---:|---:|"]
    for run in runs:
        ratios = []
        for workload, call in SCALE_LINES:
            small = run.p50(workload.format("1k"), call, OURS)
            large = run.p50(workload.format("100k"), call, OURS)
            if small and large:
                ratios.append(large / small)
        if len(ratios) == len(SCALE_LINES):
            held = sum(1 for ratio in ratios if ratio <= 1.5)
            out.append(f"| {run.name} | " + " | ".join(f"{ratio:.2f}x" for ratio in ratios)
                       + f" | {held} of {len(ratios)} |")
    return out


def workload_rate(runs: list[Run]) -> list[str]:
    """The twenty-session chat's calls per second: ours over each peer's, per run (> 1: ours
    is the higher)."""
    out = []
    for run in runs:
        rates = {layer: float(row["workload_calls_per_s"])
                 for (workload, _, layer), row in run.rows.items() if workload == TWENTY_SESSIONS}
        ours = rates.pop(OURS, None)
        if ours:
            shown = ", ".join(f"{peer} {ours / rate:.2f}x" for peer, rate in sorted(rates.items()))
            out.append(f"- {run.name}: ours {ours:.0f} calls/s; ours over a peer's: {shown}")
    return out


def report(paths: list[Path]) -> str:
    """The whole printout for the results at ``paths`` (a run given twice counts once)."""
    runs = distinct([Run.load(path) for path in paths])
    machines = sorted({run.machine.split(", load average")[0] for run in runs})
    head = [f"Runs ({len(runs)}): " + ", ".join(f"{run.name} ({run.when[:16]})" for run in runs),
            "Machines: " + "; ".join(machines), "",
            "## Who led each line (p50): runs we led, a peer's p50 over ours, and its lead "
            "(ours over its) where it led", ""]
    return "\n".join([*head, *lead_table(runs), "",
                      "## One-session writes against our trivial-write floor", "",
                      *floor_table(runs), "",
                      "## Scale: ours at +100k background threads over ours at +1k", "",
                      *scale_table(runs), "",
                      f"## {TWENTY_SESSIONS}: the whole workload's calls per second", "",
                      *workload_rate(runs)]) + "\n"


def main(results: list[Path] | None = typer.Argument(  # noqa: B008 (typer's way)
        None, help="Result JSON files (default: the kept full runs since change 29).")) -> None:
    """Print who led each line over the runs, and how our writes stand against our floor."""
    paths = results or default_runs()
    if not paths:
        raise typer.BadParameter("no result files")
    print(report(paths), end="")


if __name__ == "__main__":
    typer.run(main)
