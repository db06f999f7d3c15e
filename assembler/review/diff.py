"""What two EDLs render differently, without rendering either.

Contract: two EDLs -> which items and which segments differ, and whether the sound does;
the segments in the receipt's own schema (:class:`~assembler.run.receipts.SegmentLine`), so
that what diff says will be made is what the receipt of that render will list. Never prints.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assembler.run.cache import Cache
from assembler.run.ffmpeg import FFmpeg
from assembler.render import EdlSource, check, default_cache_dir, plan, resolve_ffmpeg, validate_source
from assembler.run.receipts import SegmentLine
from assembler.run.soundtrack import sound_key
from assembler.batch import check_all
from assembler.model.edl import Slot
from assembler.model.load import Document
from assembler.timeline.items import Card, Shot, Still

__all__ = ["Difference", "diff"]


@dataclass(frozen=True)
class Difference:
    """How two EDLs differ: items (EDL field paths) and segments (by content key), and
    whether the episode's sound would be mixed and encoded anew."""

    items: tuple[str, ...]
    only_a: tuple[SegmentLine, ...]  # as a receipt lists them; none is rendered, none has a command yet
    only_b: tuple[SegmentLine, ...]
    shared: int
    sound: bool = False
    parents: tuple[str, ...] = ()  # the files b extends whose content differs from a's at that depth


def diff(a: EdlSource, b: EdlSource, *, cache: str | os.PathLike | None = None,
         ffmpeg: str | os.PathLike | FFmpeg | None = None) -> Difference:
    """Compare two EDLs without rendering: which main-track items, sound tracks and
    deliverables differ (in the EDL or in their media's content), which segments would
    have to be rendered anew (of every deliverable), and whether a sound would."""
    ff = resolve_ffmpeg(ffmpeg)
    store = Cache(cache or default_cache_dir(a))
    sides, docs = [], []
    for edl in (a, b):
        validated = validate_source(edl, None)
        docs.append(validated.document)
        # Each deliverable's timeline (none: the EDL's own output); the first has the items.
        timelines = [f.timeline for f in check_all([edl], Path(tempfile.gettempdir()) / "assembler-diff.mp4",
                                                       store=store)] \
            if validated.edl is not None and validated.edl.deliverables else [check(edl, measurer=store.audible)]
        timeline = timelines[0]
        media = {p.index: store.fingerprint(p.media.path) for p in timeline.placements
                 if isinstance(p, (Shot, Still, Card)) and p.media}
        described = {f"video[{i}]": (_unpicked(item), media.get(i), getattr(item, "picked", None))
                     for i, item in enumerate(validated.items)}
        tracks = {c.where: store.fingerprint(c.media.path) for c in timeline.sounds if c.where.startswith("audio[")}
        described |= {f"audio[{i}]": (repr(track), tracks.get(f"audio[{i}]"), None)
                      for i, track in enumerate(validated.audio)}
        if validated.edl is not None:
            described |= {f"deliverables[{i}]": (repr(d), None, None) for i, d in enumerate(validated.edl.deliverables)}
        lines = [SegmentLine(p.segment.kind, (p.segment.start, p.segment.end), p.segment.items, p.key, False, None)
                 for t in timelines for p in plan(t, store, ff)]
        sides.append((described, lines, tuple(sound_key(store, ff, t) for t in timelines),
                      [(os.fspath(p), store.fingerprint(p)) for p in validated.document.parents]))
    (items_a, plan_a, sound_a, parents_a), (items_b, plan_b, sound_b, parents_b) = sides
    names = sorted(set(items_a) | set(items_b), key=lambda n: (n[0], int(n[n.index("[") + 1:-1])))
    # Named as the files wrote them (intro[0] of series.yaml), by b's where b has the item.
    items = tuple(_written(_what_differs(n, items_a.get(n), items_b.get(n)), docs[1] if n in items_b else docs[0])
                  for n in names if items_a.get(n) != items_b.get(n))
    keys_a, keys_b = {p.key for p in plan_a}, {p.key for p in plan_b}
    return Difference(items, tuple(p for p in plan_a if p.key not in keys_b),
                      tuple(p for p in plan_b if p.key not in keys_a), len(keys_a & keys_b), sound_a != sound_b,
                      tuple(path for n, (path, print_) in enumerate(parents_b)
                            if n >= len(parents_a) or parents_a[n][1] != print_))


def _unpicked(item: object) -> str:
    """An item as the EDL describes it, but for a shot slot's pick (compared apart)."""
    return repr(item.model_copy(update={"pick": None})) if isinstance(item, Slot) else repr(item)


def _what_differs(name: str, a: tuple | None, b: tuple | None) -> str:
    """The item's field path, or its ``.pick`` when another take of the same slot is all
    that differs (the other take's media differs with it, as it must)."""
    if a is not None and b is not None and a[0] == b[0] and a[2] != b[2]:
        return f"{name}.pick"
    return name


def _written(name: str, doc: Document) -> str:
    """``video[3]`` of the merged main track as its file wrote it (``intro[0] of series.yaml``)."""
    if not name.startswith("video["):
        return name
    index, _, rest = name[len("video["):].partition("]")
    return doc.name(("video", int(index))) + rest
