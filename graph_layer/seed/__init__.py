"""Synthetic Chainlit conversations for analytics: a deterministic generator (``synth``), a
writer through ``Neo4jDataLayer`` (``through_layer``) and a batched bulk writer (``bulk``)."""

from graph_layer.seed.synth import (
    DEFAULT_PRICES,
    FAST_MODEL,
    FLAKY_TOOL,
    SLOW_MODEL,
    ThreadSpec,
    UserSpec,
    iter_threads,
    make_users,
)

__all__ = [
    "DEFAULT_PRICES",
    "FAST_MODEL",
    "FLAKY_TOOL",
    "SLOW_MODEL",
    "ThreadSpec",
    "UserSpec",
    "iter_threads",
    "make_users",
]
