"""Conversation analytics over the graph: each function reads with a file from
``cypher/analytics/`` (after refreshing the summaries it reads, see
``AnalyticsDB.refresh_summaries``) and returns a pandas DataFrame (``thread_tree``: a networkx
tree).

    from graph_layer import analytics
    db = analytics.connect()              # NEO4J_* settings, as the layer
    analytics.activity_per_day(db, start="2026-09-01", user="user0001@example.com")
"""

from graph_layer.analytics.activity import activity_per_day, retention_by_cohort
from graph_layer.analytics.cost import token_cost
from graph_layer.analytics.db import AnalyticsDB, connect
from graph_layer.analytics.latency import latency_by_step, slowest_steps, slowest_tools
from graph_layer.analytics.quality import error_rate_by_step, feedback_by, thumbs_down_lift
from graph_layer.analytics.trees import thread_shapes, thread_tree, tree_layout, turn_paths

__all__ = [
    "AnalyticsDB",
    "activity_per_day",
    "connect",
    "error_rate_by_step",
    "feedback_by",
    "latency_by_step",
    "retention_by_cohort",
    "slowest_steps",
    "slowest_tools",
    "thread_shapes",
    "thread_tree",
    "thumbs_down_lift",
    "token_cost",
    "tree_layout",
    "turn_paths",
]
