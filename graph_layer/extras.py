"""Which optional parts of graph_layer are installed."""

from __future__ import annotations

from importlib.util import find_spec


def analytics_installed() -> bool:
    """True when the [analytics] extra's libraries (pandas, networkx) can be imported."""
    return all(find_spec(name) is not None for name in ("pandas", "networkx"))
