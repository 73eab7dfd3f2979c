"""Connection settings from ``NEO4J_*`` environment variables (the names Neo4j's tools use)."""

from pydantic import SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_PASSWORD = "graph-layer-dev"


class Neo4jSettings(BaseSettings):
    """Where the layer connects: ``NEO4J_URI``, ``NEO4J_USERNAME``, ``NEO4J_PASSWORD``,
    ``NEO4J_DATABASE``.

    ``NEO4J_BROWSER_URL`` (optional) enables ``build_debug_url`` links into Neo4j Browser.
    ``NEO4J_PLAN_AHEAD=false`` stops ``Neo4jDataLayer.setup`` from planning the layer's queries
    (``graph_layer.plan_ahead``).
    """

    model_config = SettingsConfigDict(env_prefix="NEO4J_", extra="ignore")

    uri: str = "bolt://127.0.0.1:7687"
    username: str = "neo4j"
    password: SecretStr = SecretStr(DEFAULT_PASSWORD)
    database: str = "neo4j"
    browser_url: str | None = None
    max_connection_pool_size: int = 100
    connection_acquisition_timeout: float = 60.0
    max_transaction_retry_time: float = 30.0
    plan_ahead: bool = True

    @property
    def auth(self) -> tuple[str, str]:
        """The (user, password) pair the driver takes."""
        return (self.username, self.password.get_secret_value())
