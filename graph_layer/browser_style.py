"""The Neo4j Browser style (``cypher/browser/graph_layer.grass``) as a post-connect command.

Neo4j Browser runs the server's ``browser.post_connect_cmd`` after it connects; its ``:style``
command takes GraSS text or JSON inline. The command string is split on ``;`` outside quotes,
which GraSS text is full of, so the style is passed as JSON (no semicolons), parsed the way
Browser parses GraSS: ``selector { key: value; ... }`` with quotes dropped from values.
"""

from __future__ import annotations

import json
from pathlib import Path

from graph_layer.errors import ConfigurationError
from graph_layer.queries import cypher_root


def style_path() -> Path:
    """The shipped GraSS file."""
    return cypher_root() / "browser" / "graph_layer.grass"


def parse_grass(text: str) -> dict[str, dict[str, str]]:
    """``{selector: {property: value}}`` from GraSS text, the way Browser reads it: braces and
    semicolons inside quotes are text (``caption: "{name}"``), and quotes are dropped."""
    blocks: dict[str, str] = {}
    quoted, selector, body, inside = False, "", "", False
    for char in text:
        if char in "'\"":
            quoted = not quoted
        elif char == "{" and not quoted and not inside:
            inside = True
        elif char == "}" and not quoted and inside:
            blocks[selector] = body
            inside, selector, body = False, "", ""
        elif inside:
            body += char
        elif not char.isspace():
            selector += char
    style: dict[str, dict[str, str]] = {}
    for name, declarations in blocks.items():
        rules = {}
        for declaration in declarations.split(";"):
            key, sep, value = declaration.partition(":")
            if sep and key.strip():
                rules[key.strip()] = value.strip()
        style[name] = rules
    if not style:
        raise ConfigurationError("the Browser style file holds no `selector { ... }` block")
    return style


def post_connect_command() -> str:
    """``style {...json...}``: the value for ``browser.post_connect_cmd``."""
    style = parse_grass(style_path().read_text(encoding="utf-8"))
    encoded = json.dumps(style, separators=(",", ":"), ensure_ascii=True)
    if ";" in encoded or "\n" in encoded:
        raise ConfigurationError("the Browser style must not contain ';' or line breaks")
    return f"style {encoded}"
