"""ffmpeg's decode errors as warnings at the items that read the damaged files.

Contract: a stretch of the timeline that one ffmpeg process rendered (a segment, or the
whole episode for ``--single``) and the error lines it wrote while it went on (damaged
data: it conceals and exits 0) -> a warning for each item that reads a damaged file
there, located like any other problem (file, line, field), naming the file, the
stretch of the episode and, for a clip or a sound, the seconds of the file.

ffmpeg's messages do not say which input they are about (``[h264 @ 0x...]``): when the
stretch reads more than one file, each is decoded again on its own over what the
stretch read of it (``recheck``), and those that give errors are the damaged ones; if
none does, every one is named, as the errors came from one of them.

Pure: the decoding is ``recheck``'s. Imports ``timebase``, ``errors``, ``sound`` and
``timeline`` (types).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from assembler.errors import Problem
from assembler.timeline.sounds import _path_of
from assembler.timebase import format_seconds
from assembler.timeline.build import Timeline
from assembler.timeline.items import Card, OverlayClip, OverlayMedia, Shot, Still

__all__ = ["Reader", "clean", "decode_warnings", "readers", "stopped_at"]

_ADDRESS = re.compile(r" @ 0x[0-9a-f]+")  # ffmpeg's object addresses: noise to a reader


def clean(said: Sequence[str]) -> list[str]:
    """ffmpeg's lines as a person reads them: no blank lines, no object addresses."""
    return [_ADDRESS.sub("", line) for text in said for line in text.splitlines() if line.strip()]


@dataclass(frozen=True)
class Reader:
    """An item that reads ``path`` while frames ``[first, last)`` of the episode are made:
    ``source`` is the seconds of the file it reads then (None: a still's first picture)."""

    at: tuple  # the field that names the file
    path: Path
    first: int
    last: int
    source: tuple[Fraction, Fraction] | None


# The field of a main-track item that names the file it reads.
_FIELDS = {Shot: "clip", Still: "image", Card: "background"}


def readers(timeline: Timeline, start: int, end: int, sound: bool = False, pictures: bool = True) -> list[Reader]:
    """The items that read a file while frames ``[start, end)`` are made, in the EDL's
    order: the main track and overlays (without ``pictures``: only the clips heard), and
    with ``sound`` the sounds beside."""
    rate, found = timeline.output.fps, []
    for p in timeline.placements:
        a, b = max(start, p.start), min(end, p.end)
        media = p.media if isinstance(p, (Shot, Still, Card)) else None
        if media is None or a >= b or not pictures and not p.sound:
            continue
        source = (p.source_in + (a - p.start) / rate * p.speed, p.source_in + (b - p.start) / rate * p.speed) \
            if isinstance(p, Shot) else None
        found.append(Reader(("video", p.index, _FIELDS[type(p)]), media.path, a, b, source))
    for layer in timeline.overlays if pictures else ():
        a, b = max(start, layer.start), min(end, layer.end)
        if not isinstance(layer, OverlayMedia) or a >= b:
            continue
        source = (layer.source_in + (a - layer.start) / rate, layer.source_in + (b - layer.start) / rate) \
            if isinstance(layer, OverlayClip) else None
        found.append(Reader(("overlays", layer.index, layer.kind), layer.media.path, a, b, source))
    for placed in timeline.sounds if sound else ():
        first, last = (Fraction(placed.start, timeline.output.sample_rate) * rate,
                       Fraction(placed.end, timeline.output.sample_rate) * rate)
        lo, hi = max(Fraction(start), first), min(Fraction(end), last)
        if lo >= hi:
            continue
        read = placed.source_in + (lo - first) / rate
        length = (hi - lo) / rate
        # A loop goes round its file: then the whole of it is read.
        source = (Fraction(0), placed.media.duration) if placed.loop and placed.media.duration else (read, read + length)
        found.append(Reader((*_path_of(placed.where), "file"), placed.media.path, int(lo), int(hi), source))
    return found


def decode_warnings(doc, timeline: Timeline, stretches: Sequence[tuple[int, int, Sequence[str]]],
                    recheck: Callable[[Reader], list[str]], sound: bool = False,
                    pictures: bool = True) -> tuple[Problem, ...]:
    """A warning for each item that read a damaged file in each stretch ``(start, end,
    errors)`` whose process reported ``errors``; ``doc`` locates them (``doc.problem``);
    ``sound`` and ``pictures`` say what the process read (see :func:`readers`)."""
    found: list[Problem] = []
    rate = timeline.output.fps
    # The example is the least of the errors, not the first: a decoder's threads report the
    # same errors in another order from one run to the next, and a warning said again from
    # the cache must be the same words.
    for start, end, errors in stretches:
        if not errors:
            continue
        suspects = readers(timeline, start, end, sound, pictures)
        if len(suspects) > 1:
            suspects = [r for r in suspects if recheck(r)] or suspects
        for r in suspects:
            found.append(doc.problem(r.at, f"ffmpeg reported {len(errors)} error(s) decoding {r.path.name} for "
                                     f"{_stretch(r, rate)}: the picture or sound there may be damaged; for "
                                     f"example: {min(errors)}", _HINT, warning=True))
    return tuple(found)


_HINT = "check the file plays cleanly there; export or copy it again"


def _stretch(r: Reader, rate) -> str:
    episode = f"{format_seconds(Fraction(r.first) / rate)}-{format_seconds(Fraction(r.last) / rate)}"
    return f"{episode} of the episode" + (f" ({float(r.source[0]):.3f}-{float(r.source[1]):.3f} s of the file)"
                                          if r.source else "")


def stopped_at(doc, timeline: Timeline, start: int, end: int, tail: str, recheck: Callable[[Reader], list[str]],
               sound: bool = False) -> str | None:
    """Why ffmpeg failed on frames ``[start, end)``, when it was damaged data (an overlay's
    clip is read by a `movie` source, which stops there where an input goes on): the
    items whose files do not decode, located, in one line; None when it was not that."""
    if "Invalid data found" not in tail:
        return None
    damaged = [r for r in readers(timeline, start, end, sound) if recheck(r)]
    if not damaged:
        return None
    rate = timeline.output.fps
    named = "; ".join(str(doc.problem(r.at, f"{r.path.name} does not decode for {_stretch(r, rate)}", _HINT))
                      for r in damaged)
    return f"ffmpeg stopped at data it could not decode: {named}"
