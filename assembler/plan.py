"""Cut a timeline into segments that can be rendered on their own and joined by copy.

Contract: :class:`~assembler.timeline.build.Timeline` -> tuple of :class:`Segment` that tile
the timeline exactly (each frame in exactly one segment, in order):

* a *body* is what a placement shows outside its transitions, cut into pieces of at most
  ``max_frames`` so that a long shot is rendered in parallel and in bounded memory;
* a *join* is a transition's overlap ``[next.start, previous.end)``: both sides of the
  cross-fade and nothing else.

Joins stand apart so that changing one shot re-renders its body and its two joins, not
its neighbours' bodies. The price: generated shots often have one keyframe, so a join
decodes the outgoing shot from its start to reach its tail. Measured on the benchmark
(2 cores): joins apart 0.99x the hand-written command and a one-shot change at 23 % of a
full render; joins carried by the body before them 0.90x but 28 %.

A segment depends only on what it shows (never on where it sits), so that moving or
changing one shot leaves the other segments' content keys unchanged. Segments are
picture only: the episode's sound is made apart, from its sources, in one unit that
needs no segment (so it is made while they are) and is encoded once.

That sound (the clips' own, cross-faded as the picture is, and every track and attached
sound) is mixed in *windows* of the timeline, so that no ffmpeg process opens more than a
handful of files however many shots and sounds an episode has: :func:`sound_windows` cuts
the timeline where sounds start and end into the longest stretches that each hear at
most ``limit`` of them. Windows join sample-exactly into the mix one big job would make
(only sounding sources add to a sample, in the same order).
Pure; imports only ``timeline``.
"""

from __future__ import annotations

import bisect
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Literal

from assembler.timebase import frames_touched
from assembler.timeline.build import Timeline
from assembler.timeline.items import Shot

__all__ = ["MAX_SEGMENT_SECONDS", "MAX_SOUND_INPUTS", "Segment", "Window", "segments", "sound_windows"]

MAX_SEGMENT_SECONDS = 10
MAX_SOUND_INPUTS = 8  # files one sound job opens at most


@dataclass(frozen=True)
class Segment:
    """Frames ``[start, end)`` of the timeline; ``items`` are the EDL indexes it shows."""

    kind: Literal["body", "join"]
    start: int
    end: int
    items: tuple[int, ...]

    @property
    def frames(self) -> int:
        return self.end - self.start


def segments(timeline: Timeline, max_frames: int | None = None) -> tuple[Segment, ...]:
    """The segments of a timeline, in order."""
    limit = max_frames or frames_touched(Fraction(0), Fraction(MAX_SEGMENT_SECONDS), timeline.output.fps)[1]
    placements, joins = timeline.placements, timeline.joins
    out: list[Segment] = []
    for k, p in enumerate(placements):
        incoming = joins[k - 1].frames if k > 0 else 0
        outgoing = joins[k].frames if k < len(joins) else 0
        start, body_end = p.start + incoming, p.end - outgoing
        # Equal pieces, so that a shot one frame longer than the limit is not followed by a
        # one-frame segment.
        pieces = max(1, math.ceil((body_end - start) / limit))
        for n in range(pieces):
            a = start + (body_end - start) * n // pieces
            b = start + (body_end - start) * (n + 1) // pieces
            if b > a:  # a shot all overlap has no body
                out.append(Segment("body", a, b, (p.index,)))
        if outgoing:
            out.append(Segment("join", body_end, p.end, (p.index, placements[k + 1].index)))
    return tuple(out)


@dataclass(frozen=True)
class Window:
    """Samples ``[start, end)`` of the timeline, mixed by one job that reads ``sources`` files."""

    start: int
    end: int
    sources: int


def sound_windows(timeline: Timeline, limit: int | None = None, role: str | None = None,
                  voices: bool = False) -> tuple[Window, ...]:
    """The windows in which to mix the timeline's sounds (of ``role``, if given; with
    ``voices``, the main track's sounding clips count too, for a stem that reads them).

    Each window hears at most ``limit`` sources (default: ``MAX_SOUND_INPUTS``) and is
    as long as that allows; only an instant where more than ``limit`` sound at once makes
    a window with more (it cannot be cut finer)."""
    limit = MAX_SOUND_INPUTS if limit is None else limit
    total = timeline.samples
    spans = [(c.start, c.end) for c in timeline.sounds if role is None or c.role == role]
    if voices:
        spans += [(v.start, v.end) for v, p in zip(timeline.voices, timeline.placements)
                  if isinstance(p, Shot) and p.sound and (role is None or p.role == role)]
    spans = [(max(0, a), min(total, b)) for a, b in spans if a < total and b > 0 and b > a]
    points = sorted({0, total, *(a for a, _ in spans), *(b for _, b in spans)})
    starts, ends = sorted(a for a, _ in spans), sorted(b for _, b in spans)

    def heard(a: int, b: int) -> int:
        # Those that start before b, less those that end by a (which all start before b): by
        # bisection, so that a long episode's windows are not quadratic in its sounds.
        return bisect.bisect_left(starts, b) - bisect.bisect_right(ends, a)

    windows: list[Window] = []
    at = 0
    while at < total:
        end, count = None, 0
        for k in range(bisect.bisect_right(points, at), len(points)):
            point = points[k]
            n = heard(at, point)
            if n > limit and end is not None:
                break
            end, count = point, n
            if n > limit:  # more than limit at once, right from ``at``: as short as it gets
                break
        assert end is not None
        windows.append(Window(at, end, count))
        at = end
    return tuple(windows)
