"""One output's pixels for a timeline: the timeline holds time and the EDL's own sizes and
places; ``layout(timeline, width, height)`` turns them into pixels for a frame of that
size, so that a second deliverable (9:16 beside 16:9) is a second layout of the same timeline.

Contract: :class:`~assembler.timeline.build.Timeline` + a frame size -> :class:`Layout`
(frozen): each title card's and text overlay's text set in lines (``typeset``), each
overlay's box, the subtitles' style in pixels, and the problems found on the way (text
wrapped, shrunk or moved into the frame: warnings; a font that cannot be set: an error),
located where the EDL says the text. Reads font files (to measure text); spawns nothing.
"""

from __future__ import annotations

import functools
import math
import os
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from types import MappingProxyType

from assembler.errors import MediaError, Problem
from assembler.layout.info import InfoCard, info_cards
from assembler.layout.typeset import MARGIN, Lettering, set_text
from assembler.timeline.build import Timeline
from assembler.timeline.items import Anchor, Card, OverlayMedia, OverlayPicture, OverlayText, Settle, Text
from assembler.timeline.sources import Face
from assembler.timeline.subtitles import SubtitleLook

__all__ = ["BOTTOM_CUES", "COVERED", "Box", "BurnStyle", "Layout", "floor", "layout", "own", "settle", "text_problems"]

REFERENCE = 1080  # the EDL's sizes are pixels of a frame this many lines high
# Of a tall frame's height (9:16 and the like): the bottom band that short-video platforms
# cover with their own controls and captions, which burned subtitles and layers anchored
# to the bottom edge stay above.
COVERED = Fraction(15, 100)
BOTTOM_CUES = (1, 2, 3)  # the ASS alignments (number pad) of cues set on the bottom edge


@dataclass(frozen=True)
class Box:
    """A rectangle in output pixels: its top-left corner and size."""

    x: int
    y: int
    width: int
    height: int


@dataclass(frozen=True)
class BurnStyle:
    """The burned subtitles' look, in output pixels."""

    family: str
    size: int
    color: str  # 0xRRGGBB[AA]
    outline: float
    outline_color: str
    margin_v: int
    alignment: int
    bold: bool
    # In a tall frame, the share of its height at the bottom that cues aligned to the bottom
    # stay above (COVERED), for an .ass file's own styles too (compile.subtitles); else None.
    floor: Fraction | None = None


@dataclass(frozen=True)
class Layout:
    """Every pixel value of one output of a timeline. Texts and boxes are found by the EDL
    index of their item: ``cards`` by ``video[n]``, ``texts`` and ``boxes`` by ``overlays[n]``
    (a text overlay's box is its ink's)."""

    width: int
    height: int
    cards: Mapping[int, Lettering]
    texts: Mapping[int, Lettering]
    boxes: Mapping[int, Box]
    subtitles: BurnStyle | None = None  # burned subtitles' look
    problems: tuple[Problem, ...] = ()
    info: tuple[InfoCard, ...] = ()  # the burned info box over everything, caption by caption (layout.info)


def layout(timeline: Timeline, width: int, height: int, *, burn_info: bool | None = None) -> Layout:
    """``timeline`` laid out on a ``width`` x ``height`` frame; with the info box when
    ``burn_info`` (None: as the timeline's output says)."""
    problems: list[Problem] = []
    cards = {}
    for p in timeline.placements:
        if isinstance(p, Card) and (lettering := _set(p.text, width, height, problems)) is not None:
            cards[p.index] = lettering
    texts, boxes = {}, {}
    for o in timeline.overlays:
        if isinstance(o, OverlayText):
            if (lettering := _set(o.text, width, height, problems, floor(width, height))) is not None:
                texts[o.index] = lettering
                boxes[o.index] = Box(*lettering.box)
        elif isinstance(o, OverlayPicture):
            boxes[o.index] = _box(o, width, height)
    look = timeline.subtitles.look if timeline.subtitles else None
    burn_info = timeline.output.burn_info if burn_info is None else burn_info
    info = info_cards(timeline.info, width, height) if burn_info and timeline.info else ()
    return Layout(width, height, MappingProxyType(cards), MappingProxyType(texts), MappingProxyType(boxes),
                  _burn_style(look, width, height) if look else None, tuple(problems), info)


def own(timeline: Timeline) -> Layout:
    """The layout of the output the EDL names (``timeline.output``'s size)."""
    return layout(timeline, timeline.output.width, timeline.output.height)


def floor(width: int, height: int) -> int | None:
    """How far above the frame's bottom edge a layer anchored to it keeps its ink: in a tall
    frame, out of the covered band (:data:`COVERED`, which is more than the 5 % margin);
    None (the 5 % margin, as ever) in a frame as wide as it is high or wider."""
    return math.ceil(COVERED * height) if height > width else None


def settle(width: int, height: int) -> Settle:
    """What checking a timeline does with each text as it is placed: sets it on a ``width``
    x ``height`` frame, for its problems (and lays it out once: :func:`layout` sets it again
    from memory)."""
    def problems(text: Text) -> list[Problem]:
        found: list[Problem] = []
        _set(text, width, height, found)
        return found

    return problems


@functools.lru_cache(maxsize=4096)
def _remembered(text: str, face: Face, size: int, frame: tuple[int, int], anchor: Anchor,
                file: tuple[int, int], bottom: int | None) -> Lettering:
    return set_text(text, face, size, frame, anchor, floor=bottom)


def _lettering(text: str, face: Face, size: int, frame: tuple[int, int], anchor: Anchor,
               bottom: int | None) -> Lettering:
    """A text set once is not measured again for the same frame (checking sets each, and
    the layout of the same output then finds them here), unless its font file changed."""
    try:
        found = os.stat(face.path)
    except OSError:
        return set_text(text, face, size, frame, anchor, floor=bottom)  # which says what is wrong with it
    return _remembered(text, face, size, frame, anchor, (found.st_mtime_ns, found.st_size), bottom)


def _set(text: Text, width: int, height: int, problems: list[Problem], bottom: int | None = None) -> Lettering | None:
    """``bottom``: a bottom anchor's distance from the frame's edge (:func:`floor`), when not the margin."""
    size = max(1, round(text.size * height / REFERENCE))
    try:
        lettering = _lettering(text.text, text.face, size, (width, height), text.anchor, bottom)
    except MediaError as exc:
        assert text.font_said is not None
        problems.append(text.font_said.problem(str(exc)))
        return None
    problems += text_problems(text, lettering, size)
    return lettering


def _box(o: OverlayPicture, width: int, height: int) -> Box:
    """Size (even, for 4:2:0) and top-left corner in output pixels."""
    if isinstance(o, OverlayMedia):
        natural = o.media.display_size
        w = round(o.scale * width) if o.scale else natural[0]
        h = round(w * natural[1] / natural[0]) if o.scale else natural[1]
    else:  # a colour: the frame, or a part of it of the same shape
        w, h = (round(o.scale * width), round(o.scale * height)) if o.scale else (width, height)
    w, h = max(2, w + w % 2), max(2, h + h % 2)
    margin = round(MARGIN * height)
    bottom = floor(width, height) or margin
    position = o.position
    if not isinstance(position, str):
        x, y = round(position[0] * width - w / 2), round(position[1] * height - h / 2)
    else:
        x = margin if "left" in position else width - w - margin if "right" in position else (width - w) // 2
        y = margin if "top" in position else height - h - bottom if "bottom" in position else (height - h) // 2
    return Box(x, y, w, h)


def _burn_style(look: SubtitleLook, width: int, height: int) -> BurnStyle:
    scale = Fraction(height, REFERENCE)
    outline = round(float(look.outline * scale), 2)
    margin_v = round(look.margin_v * scale)
    low = floor(width, height)
    if look.alignment in BOTTOM_CUES and low is not None:
        # libass sets a bottom cue's line box MarginV above the edge; its outline reaches
        # below that box by the outline's width (and a pixel for antialiasing).
        margin_v = max(margin_v, low + math.ceil(outline) + 1)
    return BurnStyle(look.family, max(1, round(look.size * scale)), look.color, outline, look.outline_color,
                     margin_v, look.alignment, look.bold, COVERED if low is not None else None)


def text_problems(text: Text, lettering: Lettering, asked: int) -> list[Problem]:
    """Warnings for text that could not be drawn as written: wrapped, shrunk, moved into the frame."""
    if text.said is None:
        return []
    found = []
    if lettering.wrapped:
        found.append(text.said.problem(f"wrapped into {lettering.lines} lines to fit the frame", warning=True))
    if lettering.shrunk:
        found.append(text.said.problem(f"shrunk to {lettering.size * 100 // asked} % of its size: a word is wider "
                                       "than 90 % of the frame, or the lines are taller than it",
                                       "shorten the word or the text", warning=True))
    if lettering.moved:
        x, y = lettering.moved
        found.append(text.said.problem(f"moved into the frame: its centre at {{x: {x:g}, y: {y:g}}} would put it "
                                       "outside", "move `position` toward the middle, or name an anchor",
                                       warning=True))
    return found
