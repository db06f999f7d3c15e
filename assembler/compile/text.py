"""Text as drawtext filters: the one way words are drawn on a picture, for title cards and
text overlays alike. Pure: a :class:`~assembler.timeline.items.Text` and its lines as the
layout set them in, to filters.

A text's opacity ramps over its fades on the item's own clock, which an interval may
start inside (``ahead``: the seconds of the item already shown when the interval's clock
reads 0), so an item cut into segments fades as one.
"""

from __future__ import annotations

import os
from fractions import Fraction

from assembler.compile.escape import colour as ffmpeg_colour
from assembler.compile.escape import fontconfig_family
from assembler.compile.graph import File, Filter, number
from assembler.layout.info import FILL, InfoCard
from assembler.layout.typeset import Lettering
from assembler.timebase import timecode
from assembler.timeline.items import Text

__all__ = ["draw_info", "draw_text"]


def draw_text(text: Text, lettering: Lettering, rate: Fraction, *, ahead: Fraction, total: int,
              weighed: bool, enable: str | None = None) -> list[Filter]:
    """One drawtext a run, each at its pen position on its baseline: lines, alignment and
    faces are set in ``typeset`` (drawtext's own multi-line layout cannot mix faces).
    ``total``: the item's frames, whole; ``weighed``: the opacity is said (an overlay's),
    where a card's text is opaque and says nothing; ``enable``: the frames it shows on,
    when not all of them."""
    when = {"alpha": _alpha(text, rate, ahead, total, weighed), **({"enable": enable} if enable else {})}
    return [Filter("drawtext", **({"font": fontconfig_family(run.family)} if run.family else
                                  {"fontfile": File(os.fspath(run.font))}),
                   expansion="none", text=run.text, fontsize=lettering.size, fontcolor=ffmpeg_colour(text.color),
                   x=run.x, y=run.y, y_align="baseline", **when) for run in lettering.runs]


def _alpha(text: Text, rate: Fraction, ahead: Fraction, total: int, weighed: bool) -> str | int:
    fade_in, fade_out = text.fades
    weight = f"{text.opacity:.4f}" if weighed else None
    if not fade_in and not fade_out:
        return 1 if weight is None else weight
    clock = "t" if not ahead else f"(t+{number(ahead)})" if ahead > 0 else f"(t-{number(-ahead)})"
    rise = f"min(1,{clock}/{number(Fraction(fade_in) / rate)})" if fade_in else "1"
    fall = f"min(1,({number(Fraction(total) / rate)}-{clock})/{number(Fraction(fade_out) / rate)})" \
        if fade_out else "1"
    ramp = f"max(0,min({rise},{fall}))"
    return ramp if weight is None else f"{weight}*{ramp}"


def draw_info(cards: tuple[InfoCard, ...], rate: Fraction, start: int, end: int) -> list[Filter]:
    """The info box of frames ``[start, end)`` (a review copy's, ``layout.info``): each card
    shown there as its box, its name and the timecode. drawtext's timecode counts every
    frame that passes the filter, shown or not, from the one it is given: so each starts
    at frame ``start``'s, and the interval's clock (0 at ``start``) continues the timeline's."""
    filters = []
    first = timecode(start, rate)
    for card in cards:
        if card.start >= end or card.end <= start:
            continue
        a, b = max(card.start, start) - start, min(card.end, end) - start
        enable = None if a == 0 and b == end - start else f"between(n,{a},{b - 1})"
        x, y, w, h = card.box
        run, size = card.clock, card.name.size
        filters += [Filter("drawbox", x=x, y=y, w=w, h=h, color=ffmpeg_colour(FILL), t="fill", enable=enable),
                    *draw_text(card.text, card.name, rate, ahead=Fraction(0), total=0, weighed=False, enable=enable),
                    Filter("drawtext", **({"font": fontconfig_family(run.family)} if run.family else
                                          {"fontfile": File(os.fspath(run.font))}),
                           expansion="none", text="", timecode=first, timecode_rate=f"{rate.numerator}/{rate.denominator}", fontsize=size,
                           fontcolor=ffmpeg_colour(card.text.color), x=run.x, y=run.y, y_align="baseline",
                           enable=enable)]
    return filters
