"""Benchmark graph_layer's Neo4jDataLayer against Chainlit's own data layers (``python -m
benchmarks --help``, or ``graph-layer bench``)."""
