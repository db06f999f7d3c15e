"""A review copy's info box in pixels (``output.burn_info``): for each caption of the
timeline's :class:`~assembler.timeline.info.InfoTrack`, the item's name and, on the line
below it, where the timecode is drawn, set by ``typeset`` at the top left of the frame
(inside the title-safe margin, so inside the frame at any size and shape), and the box
behind them.

The size follows the frame's height (36 px at 1080 lines, never below 8 px, where a
digit is still a digit); ``typeset`` wraps or shrinks a block that would not fit the
frame's width (a vertical's). The timecode's line is set with :data:`SAMPLE` in it: its
digits change every frame, and the box is measured for the sample, padded for the rest.
Reads font files (to measure text); spawns nothing.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace

from assembler.layout.typeset import Lettering, Run, set_text
from assembler.timeline.info import InfoTrack
from assembler.timeline.items import Text
from assembler.timeline.sources import Face

__all__ = ["COLOR", "FILL", "InfoCard", "SAMPLE", "info_cards"]

SIZE = 36  # pixels of a 1080-line frame
LEAST = 8  # pixels: smaller digits blur into one another
SAMPLE = "00:00:00:00"  # the timecode's line, as measured
LONGEST = 32  # characters of a name; a longer one is cut, with an ellipsis (a box, not a caption)
COLOR = "0xFFFFFF"  # the text
# The box: opaque. A translucent drawbox came out grey over red in a body's yuv420p and dark
# red in a transition's frames (measured): the box would change its look at every join.
# Opaque, and on even pixels (4:2:0 chroma), it is the same in every segment.
FILL = "0x202020"


@dataclass(frozen=True)
class InfoCard:
    """Frames ``[start, end)`` of the timeline: ``text`` (the name) set in ``name``, the
    timecode's pen at ``clock`` (its ``text`` the sample, drawn in ``name.size``), over
    ``box`` (x, y, width, height, inside the frame)."""

    start: int
    end: int
    text: Text
    name: Lettering
    clock: Run
    box: tuple[int, int, int, int]


def info_cards(info: InfoTrack, width: int, height: int) -> tuple[InfoCard, ...]:
    """Each caption of ``info`` laid out on a ``width`` x ``height`` frame."""
    size = max(LEAST, round(SIZE * height / 1080))
    return tuple(_card(c.start, c.end, _short(c.name), info.face, size, (width, height)) for c in info.captions)


def _short(name: str) -> str:
    return name if len(name) <= LONGEST else name[:LONGEST - 1] + "\u2026"


@functools.lru_cache(maxsize=1024)
def _set(name: str, face: Face, size: int, frame: tuple[int, int]) -> tuple[Lettering, Run, tuple[int, int, int, int]]:
    lettering = set_text(f"{name}\n{SAMPLE}", face, size, frame, "top-left")
    last = max(run.y for run in lettering.runs)  # the timecode's baseline: the block's last line
    clock = next(run for run in lettering.runs if run.y == last)
    name_runs = tuple(run for run in lettering.runs if run.y != last)
    # Room around the ink (a third of the text's size), and half a size more on the right:
    # the bundled face's digits are all one width (measured), a fonts_dir face's may not be.
    # Kept inside the frame.
    pad = max(2, lettering.size // 3)
    x, y, w, h = lettering.box
    left, top = max(0, (x - pad) // 2 * 2), max(0, (y - pad) // 2 * 2)
    right = min(frame[0] // 2 * 2, -(-(x + w + pad + lettering.size // 2) // 2) * 2)
    bottom = min(frame[1] // 2 * 2, -(-(y + h + pad) // 2) * 2)
    # The name's runs and lines; its box stays the whole block's ink (the card's box is drawn)
    return replace(lettering, runs=name_runs, lines=lettering.lines - 1), clock, (left, top, right - left, bottom - top)


def _card(start: int, end: int, name: str, face: Face, size: int, frame: tuple[int, int]) -> InfoCard:
    lettering, clock, box = _set(name, face, size, frame)
    return InfoCard(start, end, Text(name, face, SIZE, COLOR, "top-left"), lettering, clock, box)
