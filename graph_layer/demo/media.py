"""Deterministic element contents for the demo's replies (no network, no plotting library)."""

from __future__ import annotations

import json
import struct
import zlib
from typing import ClassVar

import chainlit as cl
from chainlit.element import Element, ElementType
from pydantic.dataclasses import dataclass

WEEKLY_MESSAGES = {"Mon": 12, "Tue": 19, "Wed": 7, "Thu": 15, "Fri": 22}


def gradient_png(width: int = 96, height: int = 64) -> bytes:
    """A small RGB gradient as PNG bytes (written with zlib, no imaging library)."""
    rows = b"".join(
        b"\x00" + b"".join(bytes((x * 255 // width, y * 255 // height, 160)) for x in range(width))
        for y in range(height)
    )

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header)
            + chunk(b"IDAT", zlib.compress(rows)) + chunk(b"IEND", b""))


def weekly_csv() -> str:
    """The report's data as CSV."""
    return "day,messages\n" + "".join(f"{d},{n}\n" for d, n in WEEKLY_MESSAGES.items())


@dataclass
class PlotlyJson(Element):
    """A Plotly figure given as its JSON (the UI renders it; the plotly package is not needed)."""

    type: ClassVar[ElementType] = "plotly"
    mime: str = "application/json"


def weekly_plot(name: str) -> PlotlyJson:
    """A bar chart of messages per weekday."""
    figure = {
        "data": [{"type": "bar", "x": list(WEEKLY_MESSAGES), "y": list(WEEKLY_MESSAGES.values()),
                  "name": "messages"}],
        "layout": {"title": {"text": "Messages per weekday"}, "autosize": True},
    }
    return PlotlyJson(name=name, content=json.dumps(figure), display="inline", size="medium")


def report_elements() -> list[Element]:
    """The four attachments of a 'report' reply: text, image, file and plot."""
    return [
        cl.Text(name="summary", display="inline",
                content="Weekly summary: 75 messages, busiest day Friday (22)."),
        cl.Image(name="gradient.png", display="inline", content=gradient_png(), mime="image/png"),
        cl.File(name="weekly.csv", display="inline", content=weekly_csv().encode(),
                mime="text/csv"),
        weekly_plot("weekly-plot"),
    ]
