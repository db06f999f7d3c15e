"""What a review copy's burned info box says, frame by frame (``output.burn_info``): the
main-track item under the playhead, as people name it. Time only: the layout sets it in
pixels for a frame (``layout.info``), the compiler draws it with the timecode.

Which item a frame shows is plain on a cut; during a transition both items show, and the
box names the outgoing one up to the transition's midpoint and the incoming one from
there (an odd overlap's middle frame goes to the incoming item): one name at a time, so
the box never grows to hold two.
Pure: placements and joins in, captions out.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from assembler.timeline.items import Placement, Shot
from assembler.timeline.sources import Face

__all__ = ["Caption", "InfoTrack", "info_track", "label"]


@dataclass(frozen=True)
class Caption:
    """Frames ``[start, end)`` of the timeline name ``name`` (the EDL's ``video[index]``)."""

    start: int
    end: int
    index: int
    name: str


@dataclass(frozen=True)
class InfoTrack:
    """The captions that tile the timeline, and the face they (and the timecode) are drawn in."""

    face: Face
    captions: tuple[Caption, ...]


# Where the EDL wrote main-track item n: ("video", 3), or ("intro", 0) for a series' intro
Written = Callable[[int], tuple]


def label(p: Placement, written: Written = lambda n: ("video", n)) -> str:
    """A shot slot's id and picked take (``s02 take b``); else a clip's file stem; else the
    item's kind and its place as written: in the file's ``video`` (``title 3``), or in an
    inherited ``intro``/``outro`` (``title intro[0]``), as the editor finds it."""
    if isinstance(p, Shot):
        return f"{p.take[0]} take {p.take[1]}" if p.take else p.media.path.stem
    where = written(p.index)
    place = where[1] if where[0] == "video" else f"{where[0]}[{where[1]}]"
    return f"{p.kind} {place}"


def info_track(placements: Sequence[Placement], joins: Sequence, face: Face,
               written: Written = lambda n: ("video", n)) -> InfoTrack:
    """Each placement named from the midpoint of the join before it to that of the join after
    it (``joins[k]`` sits between ``placements[k]`` and ``placements[k + 1]``, with its
    overlap in ``frames``)."""
    captions = []
    for k, p in enumerate(placements):
        start = p.start + (joins[k - 1].frames // 2 if k > 0 else 0)
        end = p.end - (joins[k].frames - joins[k].frames // 2 if k < len(joins) else 0)
        if end > start:
            captions.append(Caption(start, end, p.index, label(p, written)))
    return InfoTrack(face, tuple(captions))
