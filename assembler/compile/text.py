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
from assembler.layout.typeset import Lettering
from assembler.timeline.items import Text

__all__ = ["draw_text"]


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
