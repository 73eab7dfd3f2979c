"""A Chainlit context for code that calls the layer outside a Chainlit server (the seeder,
scripts, benchmarks, tests): the layer's queued methods read ``context.session``."""

from __future__ import annotations

import uuid
from contextvars import Token

from chainlit.context import ChainlitContext, context_var
from chainlit.session import HTTPSession


def use_http_context(thread_id: str | None = None) -> Token[ChainlitContext]:
    """Enter a Chainlit HTTP-session context in the current task, as an API call or a
    Slack/Teams handler runs (queued methods run at once); ``context_var.reset`` the token
    returned to leave it."""
    session = HTTPSession(id=str(uuid.uuid4()), thread_id=thread_id or str(uuid.uuid4()),
                          token=None, user=None, client_type="webapp")
    return context_var.set(ChainlitContext(session))
