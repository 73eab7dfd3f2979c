"""The package's exception tree: one root, a few documented subclasses."""


class GraphLayerError(Exception):
    """Root of every error graph_layer raises on purpose."""


class ConfigurationError(GraphLayerError):
    """Settings are missing or inconsistent (URI, credentials, query files)."""


class QueryFileError(ConfigurationError):
    """A file under cypher/ is missing, malformed, or its parameters do not match."""


class InvalidInputError(GraphLayerError, ValueError):
    """A caller passed a value the layer refuses; nothing was written."""


class NotFoundError(GraphLayerError, LookupError):
    """A write referred to something that does not exist; nothing was written."""


class OwnershipError(GraphLayerError, PermissionError):
    """A write would have moved or touched data owned by another user; nothing was written."""


class DatabaseError(GraphLayerError):
    """Neo4j or the driver failed while running a named query."""


#: Neo4j's codes for a write refused to this user or on this server (a role without write
#: rights, a read-only database, a session in read access mode, a cluster member that does
#: not lead the database reached by a ``bolt://`` URI).
WRITE_REFUSED = frozenset({"Neo.ClientError.Security.Forbidden",
                           "Neo.ClientError.General.ForbiddenOnReadOnlyDatabase",
                           "Neo.ClientError.Statement.AccessMode",
                           "Neo.ClientError.Cluster.NotALeader"})


def write_refused(err: BaseException | None) -> bool:
    """True when ``err`` (or the error it was raised from) is a refused write."""
    while err is not None:
        if getattr(err, "code", None) in WRITE_REFUSED:
            return True
        err = err.__cause__
    return False
