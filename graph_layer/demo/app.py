"""The demo's Chainlit module: ``chainlit run graph_layer/demo/app.py`` (``graph-layer demo``
prepares the folder and the environment first).

Environment: ``NEO4J_*`` (the database), ``GRAPH_LAYER_DEMO_HOME`` (element files go to its
``files/`` folder; default: the current directory), ``CHAINLIT_AUTH_SECRET`` (login tokens).
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

import chainlit as cl
from chainlit.server import app as chainlit_app
from chainlit.types import ThreadDict

from graph_layer import Neo4jDataLayer
from graph_layer.demo.assistant import reply
from graph_layer.demo.files import STORAGE_PATH, mount_storage_route
from graph_layer.demo.users import DEMO_USERS, check_login
from graph_layer.storage import LocalFileStorageClient

logging.getLogger("neo4j.notifications").setLevel(logging.ERROR)  # "unknown label" on a new db
HOME = Path(os.environ.get("GRAPH_LAYER_DEMO_HOME") or Path.cwd())
storage = LocalFileStorageClient(HOME / "files", base_url=STORAGE_PATH)
mount_storage_route(chainlit_app, storage)


layer = Neo4jDataLayer.from_env(storage_client=storage)  # connects on first use


@cl.data_layer
def data_layer() -> Neo4jDataLayer:
    """Everything the UI saves goes to Neo4j; element bytes to ``storage``."""
    return layer


@cl.on_app_startup
async def startup() -> None:
    """Apply the schema and plan the queries before the first user comes (``setup``)."""
    await layer.setup()


@cl.password_auth_callback
async def login(username: str, password: str) -> cl.User | None:
    """The demo users (see ``graph_layer.demo.users``)."""
    if not check_login(username, password):
        return None
    return cl.User(identifier=username, display_name=DEMO_USERS[username],
                   metadata={"role": "demo", "provider": "credentials"})


@cl.on_chat_resume
async def resume(thread: ThreadDict) -> None:
    """Continue an old thread: Chainlit shows its steps and rebuilds the chat context."""


@cl.on_message
async def on_message(message: cl.Message) -> None:
    """Answer deterministically (see ``graph_layer.demo.assistant``)."""
    await reply(message)


@cl.on_shared_thread_view
async def shared_view(thread: ThreadDict, viewer: cl.User | None) -> bool:
    """A thread its author shared may be read by any logged-in demo user."""
    return bool((thread.get("metadata") or {}).get("is_shared")) and viewer is not None
