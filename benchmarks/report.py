"""Percentiles, the markdown table (with each peer's ratio to us) and the JSON result."""

from __future__ import annotations

import statistics
from typing import Any

from benchmarks.workloads import Line, Recorder

OURS = "neo4j (graph_layer)"


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(line: Line) -> dict[str, Any]:
    return {
        "workload": line.workload, "call": line.call, "layer": line.layer, "n": len(line.ms),
        "p50_ms": pct(line.ms, 0.5), "p95_ms": pct(line.ms, 0.95), "p99_ms": pct(line.ms, 0.99),
        "mean_ms": statistics.fmean(line.ms) if line.ms else float("nan"),
        "workload_calls_per_s": line.calls / line.wall_s if line.wall_s else float("nan"),
    }


def rows(rec: Recorder) -> list[dict[str, Any]]:
    out = [summary(line) for line in rec.lines.values()]
    ours = {(r["workload"], r["call"]): r for r in out if r["layer"] == OURS}
    for r in out:
        mine = ours.get((r["workload"], r["call"]))
        if mine and r["layer"] != OURS:
            r["p50_vs_ours"] = r["p50_ms"] / mine["p50_ms"]
            r["p95_vs_ours"] = r["p95_ms"] / mine["p95_ms"]
    return out


def _f(x: float) -> str:
    if x != x:  # nan
        return "-"
    return f"{x:.1f}" if x < 100 else f"{x:.0f}"


def markdown(rec: Recorder, meta: dict[str, Any]) -> str:
    lines = [f"# graph_layer benchmark ({meta['mode']})", "",
             f"- when: {meta['when']}; machine: {meta['machine']}",
             f"- command: `{meta['command']}`",
             "- unrecorded warm-up per layer: " + "; ".join(
                 f"{name} {w['rounds']} rounds, {w['calls']} calls, {w['seconds']} s"
                 for name, w in meta.get("warm_up", {}).items()),
             "- latencies in ms per call (p50 / p95 / p99); calls/s = all calls of the workload "
             "line divided by its wall time; `x us` = a peer's p50 (p95) divided by ours "
             "(> 1: we are faster)", ""]
    layers = [OURS, *sorted({ln.layer for ln in rec.lines.values()} - {OURS})]
    data = rows(rec)
    lines += ["## Summary: p50 / p95 ms (a peer's p50 divided by ours)", "", compact(data),
              "## All lines", ""]
    lines.append("| workload | call | layer | n | p50 | p95 | p99 | calls/s | x us p50 (p95) |")
    lines.append("|---|---|---|---:|---:|---:|---:|---:|---:|")
    order: list[tuple[str, str]] = []
    for r in data:
        if (r["workload"], r["call"]) not in order:
            order.append((r["workload"], r["call"]))
    for workload, call in order:
        for layer in layers:
            for r in data:
                if (r["workload"], r["call"], r["layer"]) != (workload, call, layer):
                    continue
                ratio = (f"{r['p50_vs_ours']:.2f} ({r['p95_vs_ours']:.2f})"
                         if "p50_vs_ours" in r else "")
                lines.append(f"| {workload} | {call} | {layer} | {r['n']} | {_f(r['p50_ms'])} | "
                             f"{_f(r['p95_ms'])} | {_f(r['p99_ms'])} | "
                             f"{_f(r['workload_calls_per_s'])} | {ratio} |")
    lines += ["", "## Correctness findings", "", "| layer | workload | ok | finding |",
              "|---|---|---|---|"]
    for f in rec.findings:
        lines.append(f"| {f['layer']} | {f['workload']} | {'yes' if f['ok'] else '**NO**'} | "
                     f"{f['what']} |")
    return "\n".join(lines) + "\n"


def compact(data: list[dict[str, Any]]) -> str:
    """One line per workload call: p50 / p95 per layer, and each peer's p50 ratio to ours."""
    layers = [OURS, *sorted({r["layer"] for r in data if r["workload"] != "floor"} - {OURS})]
    head = "| workload | call | " + " | ".join(layers) + " |"
    out = [head, "|---|---|" + "---:|" * len(layers)]
    keys: list[tuple[str, str]] = []
    for r in data:
        if r["workload"] != "floor" and (r["workload"], r["call"]) not in keys:
            keys.append((r["workload"], r["call"]))
    cells = {(r["workload"], r["call"], r["layer"]): r for r in data}
    for workload, call in keys:
        row = []
        for layer in layers:
            cell = cells.get((workload, call, layer))
            if cell is None:
                row.append("")
                continue
            ratio = f" ({cell['p50_vs_ours']:.1f}x)" if "p50_vs_ours" in cell else ""
            row.append(f"{_f(cell['p50_ms'])} / {_f(cell['p95_ms'])}{ratio}")
        out.append(f"| {workload} | {call} | " + " | ".join(row) + " |")
    floor = [r for r in data if r["workload"] == "floor"]
    out += ["", "| floor (per database) | p50 / p95 ms |", "|---|---:|"]
    out += [f"| {r['layer']}: {r['call']} | {_f(r['p50_ms'])} / {_f(r['p95_ms'])} |"
            for r in floor]
    return "\n".join(out) + "\n"
