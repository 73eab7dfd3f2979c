"""The demo Chainlit app on ``Neo4jDataLayer``: password login, a deterministic assistant with
nested steps and elements, element files on local disk. ``graph-layer demo`` serves it."""
