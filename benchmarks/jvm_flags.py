"""``python -m benchmarks.jvm_flags -- FLAGS_A FLAGS_B``: what two sets of JVM flags for the
local server cost each call (``--`` keeps the flags from being read as options).

Starts a server with each set in ``server.jvm.additional`` (``LocalNeo4j`` adds them after
Neo4j's launcher defaults, so they win) side by side, and makes ``benchmarks.fulltext_refresh``'s
calls (message and tool step writes, 20 messages at once, a message then its search) in blocks
taking turns (``benchmarks.setting_ab``). Add ``-Xlog:gc:file=PATH`` to a set to see its
collections. Two comparisons (docs/performance.md; the C1 one and the first two
ParallelGC runs made with an ad-hoc script making this same call):

- ``-XX:+UseG1GC`` (a no-op: the default) against ``-XX:TieredStopAtLevel=1`` (no C2
  compiler, so none of its steady-state work on a 2-core host): writes 41-54% slower in one
  run; C2's code is worth its work.
- ``-XX:+UseG1GC`` against ``-XX:-UseG1GC -XX:+UseParallelGC``: the p50 from 14% faster to 1%
  slower in three runs, while an old generation fills that ParallelGC frees only in a full
  collection stopping everything.
"""

from __future__ import annotations

import typer

from benchmarks.fulltext_refresh import calls
from benchmarks.setting_ab import REVERSE_HELP, compare
from graph_layer.local_server import JVM_ADDITIONAL


def main(flags_a: str = typer.Argument(..., help="Flags of the first server, space-separated."),
         flags_b: str = typer.Argument(..., help="Flags of the second server."),
         warm: int = typer.Option(1000, help="Unrecorded calls of each kind first."),
         blocks: int = typer.Option(6, help="Rounds of blocks taking turns."),
         block: int = typer.Option(50, help="Calls per block."),
         settle: float = typer.Option(2.0, help="Seconds to wait after each block."),
         reverse: bool = typer.Option(False, help=REVERSE_HELP)) -> None:
    """Start a server with each set of JVM flags, compare the calls' latency and CPU."""
    if flags_a == flags_b:
        raise typer.BadParameter("the two sets of flags are the same")
    compare(JVM_ADDITIONAL, (flags_a, flags_b), calls, warm=warm, blocks=blocks, block=block,
            settle=settle, reverse=reverse)


if __name__ == "__main__":
    typer.run(main)
