"""Cut a timeline into segments that can be rendered on their own and joined by copy.

Contract: :class:`~assembler.timeline.Timeline` -> tuple of :class:`Segment` that tile
the timeline exactly (each frame in exactly one segment, in order). Each placement gives
what it shows after its incoming transition, up to its end: its body, cut into pieces of
at most ``max_frames`` (so that a long shot is rendered in parallel and in bounded
memory), the last piece carrying the outgoing transition's overlap (a *join*) when there
is one. A join travels with the body before it because generated shots often have a
single keyframe: a separate join segment would decode the outgoing shot from its start
again just to reach its tail.

A segment depends only on what it shows (never on where it sits), so that moving or
changing one shot leaves the other segments' content keys unchanged. The whole
episode's sound is not a segment: each segment carries its exact stretch of the main
track's sound (PCM, sample-exact), and the assembly encodes it in one pass.
Pure; imports only ``timeline``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from .timeline import Timeline

__all__ = ["MAX_SEGMENT_SECONDS", "Segment", "segments"]

MAX_SEGMENT_SECONDS = 10


@dataclass(frozen=True)
class Segment:
    """Frames ``[start, end)`` of the timeline; ``items`` are the EDL indexes it shows.
    ``kind`` is "join" when the segment ends with a transition's overlap."""

    kind: Literal["body", "join"]
    start: int
    end: int
    items: tuple[int, ...]

    @property
    def frames(self) -> int:
        return self.end - self.start


def segments(timeline: Timeline, max_frames: int | None = None) -> tuple[Segment, ...]:
    """The segments of a timeline, in order."""
    limit = max_frames or math.ceil(MAX_SEGMENT_SECONDS * timeline.output.fps)
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
            if n < pieces - 1 or not outgoing:
                if b > a:  # a shot all overlap, between a transition and a cut, has no body
                    out.append(Segment("body", a, b, (p.index,)))
            else:
                out.append(Segment("join", a, p.end, (p.index, placements[k + 1].index)))
    return tuple(out)
