"""The demo's users (password login, no external identity provider)."""

from __future__ import annotations

import hmac

DEMO_PASSWORD = "graph-layer"
"""The password of every demo user."""

DEMO_USERS: dict[str, str] = {
    "alice": "Alice Analyst",
    "bob": "Bob Builder",
    "carol": "Carol Curator",
}
"""Login identifier -> display name."""


def check_login(username: str, password: str) -> bool:
    """True for a demo user with the demo password."""
    return username in DEMO_USERS and hmac.compare_digest(password, DEMO_PASSWORD)
