"""graph_layer: the Neo4j data layer for Chainlit, and analytics over its conversations."""

from graph_layer.errors import (
    ConfigurationError,
    DatabaseError,
    GraphLayerError,
    InvalidInputError,
    NotFoundError,
    OwnershipError,
    QueryFileError,
)
from graph_layer.layer import Neo4jDataLayer
from graph_layer.settings import Neo4jSettings

__all__ = [
    "ConfigurationError",
    "DatabaseError",
    "GraphLayerError",
    "InvalidInputError",
    "Neo4jDataLayer",
    "Neo4jSettings",
    "NotFoundError",
    "OwnershipError",
    "QueryFileError",
]
