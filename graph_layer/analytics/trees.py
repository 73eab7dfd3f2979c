"""Conversation shapes: per-thread tree metrics, turn paths, and one thread as a networkx tree."""

from __future__ import annotations

import networkx as nx
import pandas as pd

from graph_layer.analytics.db import AnalyticsDB, When, filters
from graph_layer.analytics.quality import turn_feedback
from graph_layer.errors import InvalidInputError, NotFoundError

THREAD_NODE = "thread"


def thread_shapes(db: AnalyticsDB, start: When = None, end: When = None,
                  user: str | None = None) -> pd.DataFrame:
    """One row per thread (filtered by last activity): ``steps``, ``depth`` (longest
    root-to-leaf chain), ``max_branching`` (most children of one step), ``tool_steps``,
    ``llm_steps``, ``turns`` (user messages), ``errors``, ``steps_per_turn``."""
    df = db.frame("trees/thread_shapes", **filters(start, end, user))
    df["last_activity"] = pd.to_datetime(df["last_activity"], format="ISO8601")
    df["steps_per_turn"] = df["steps"] / df["turns"].where(df["turns"] > 0)
    return df


def turn_paths(db: AnalyticsDB, start: When = None, end: When = None, user: str | None = None,
               limit: int = 20) -> pd.DataFrame:
    """The most common step-type paths from a user message to the answer: ``path``, ``turns``,
    ``share`` (of the turns listed)."""
    if limit < 1:
        raise InvalidInputError(f"limit must be at least 1, got {limit}")
    paths = turn_feedback(db, "path", start, end, user)  # most turns first, then by path
    df = paths.head(limit)[["item", "turns"]].rename(columns={"item": "path"})
    df["share"] = df["turns"] / df["turns"].sum() if len(df) else 0.0
    return df


Layout = dict[str, tuple[float, float]]


def thread_tree(db: AnalyticsDB, thread_id: str) -> tuple[nx.DiGraph, Layout]:
    """One thread as a DiGraph (a ``thread`` root node, then steps along PARENT_OF; node
    attributes ``type``, ``name``, ``duration_ms``, ``is_error``, ``feedback``, ``label``) and
    a tidy top-down layout (node -> (x, y)) for ``nx.draw``."""
    steps = db.frame("trees/thread_steps", threadId=thread_id)
    if steps.empty:
        raise NotFoundError(f"no thread {thread_id!r} with steps")
    graph = nx.DiGraph()
    graph.add_node(THREAD_NODE, type="thread", name=thread_id, label="thread")
    for row in steps.itertuples(index=False):
        duration = None if pd.isna(row.duration_ms) else float(row.duration_ms)
        feedback = None if pd.isna(row.feedback) else int(row.feedback)
        graph.add_node(row.id, type=row.type, name=row.name, duration_ms=duration,
                       is_error=bool(row.is_error), feedback=feedback,
                       label=f"{row.type}\n{row.name}")
    for row in steps.itertuples(index=False):
        parent = row.parent_id if isinstance(row.parent_id, str) else THREAD_NODE
        graph.add_edge(parent, row.id)
    return graph, tree_layout(graph, THREAD_NODE)


def tree_layout(graph: nx.DiGraph, root: str) -> Layout:
    """Leaves on consecutive x positions (in child order), parents centred above their
    children, one row per depth (y = -depth)."""
    pos: Layout = {}
    next_leaf = 0.0

    def place(node: str, depth: int) -> float:
        nonlocal next_leaf
        children = list(graph.successors(node))
        if not children:
            x = next_leaf
            next_leaf += 1.0
        else:
            xs = [place(child, depth + 1) for child in children]
            x = (xs[0] + xs[-1]) / 2
        pos[node] = (x, -float(depth))
        return x

    place(root, 0)
    return pos
