"""Overlays on the timeline: each ``overlays:`` item on the frame grid, with the EDL's
own scale and position (the layout turns them into pixels for an output).

Contract: validated overlays + their sources -> list of :class:`~assembler.timeline.items.Overlay`
(in drawing order: later on top) and the problems found (missing files, an overlay outside
the timeline, fades longer than the overlay), located in the EDL.
Pure: nothing is read here.
"""

from __future__ import annotations

from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from typing import Any

from assembler.model import edl as model
from assembler.errors import MediaError, Problem, media_hint
from assembler.model.load import Validated
from assembler.timeline.sources import FONT_SUFFIXES, MediaInfo, Sources
from assembler.timeline.sounds import cut_short, still_cut_short
from assembler.timebase import frame_of, seconds_text
from assembler.timeline.items import (Overlay, OverlayClip, OverlayColor, OverlayImage, OverlayText, Settle,
                                      Spot, Text)
from assembler.timeline.sources import DEFAULT_FAMILY, Face

__all__ = ["place_overlays"]


def place_overlays(validated: Validated, resolve: Callable[[str], Path], sources: Sources, rate: Fraction,
                   frames: int, faces: dict[str, Face],
                   settle: Settle | None = None) -> tuple[list[Overlay], list[Problem]]:
    """Every overlay, in drawing order; ``settle`` says each text's problems (``items.Settle``)."""
    doc = validated.document
    problems: list[Problem] = []
    overlays: list[Overlay] = []
    for n, item in enumerate(validated.overlays):
        if item is None:  # its schema problem is already reported
            continue
        at = ("overlays", n)
        start = frame_of(item.start.resolve(rate), rate)
        if start >= frames:
            problems.append(doc.problem((*at, "start"), f"starts at {item.start} s, at or past the end of the "
                                        f"timeline ({seconds_text(Fraction(frames) / rate)} s)"))
            continue
        fields: dict = {}
        limit = frames
        if source := item.image or item.clip:
            key = "image" if item.image else "clip"
            path = resolve(source)
            info = sources.media(path)
            if isinstance(info, MediaError):
                problems.append(doc.problem((*at, key), str(info), media_hint(info)))
                continue
            if key == "clip" and info.kind != "video" or key == "image" and not info.has_video:
                problems.append(doc.problem((*at, key), f"{path.name} is not {'a video' if key == 'clip' else 'a picture'}"))
                continue
            fields["media"] = info
            if key == "clip":
                fields["source_in"] = item.in_.resolve(info.fps or rate)
                if info.duration is not None:
                    left = info.duration - fields["source_in"]
                    if left <= 0:
                        problems.append(doc.problem((*at, "in"), f"{item.in_} s is past the end of {path.name}"))
                        continue
                    limit = min(limit, start + frame_of(left, rate))
        end = _end(doc, at, item, start, limit, frames, rate, problems)
        if end is None or "media" in fields and _cut_short(doc, at, item, fields, Fraction(end - start) / rate,
                                                           problems):
            continue
        fades = (frame_of(item.fade_in.resolve(rate), rate), frame_of(item.fade_out.resolve(rate), rate))
        if sum(fades) > end - start:
            problems.append(doc.problem((*at, "fade_out"), "the fades are longer than the overlay"))
            continue
        if item.title is not None:
            text = _text(doc, at, item, resolve, sources, faces, fades, problems)
            more = settle(text) if text is not None and settle else []
            problems += more
            if text is not None and not any(p.severity == "error" for p in more):
                overlays.append(OverlayText(index=n, start=start, end=end, text=text))
            continue
        position = item.position if isinstance(item.position, str) else (item.position.x, item.position.y)
        look: dict[str, Any] = dict(index=n, start=start, end=end, opacity=item.opacity, fades=fades, scale=item.scale,
                    position=position)
        overlays.append(OverlayColor(**look, color=item.color) if item.color is not None else
                        OverlayImage(**look, media=fields["media"]) if item.image else
                        OverlayClip(**look, media=fields["media"], source_in=fields["source_in"]))
    return overlays, problems


def _cut_short(doc, at: tuple, item: model.Overlay, fields: dict, seconds: Fraction,
               problems: list[Problem]) -> bool:
    """Whether an overlay's file lacks the data it shows (a clip's stretch, a still's one
    frame): an error, or a warning for a clip that loses only its tail."""
    info: MediaInfo = fields["media"]
    if item.image:
        return still_cut_short(doc, (*at, "image"), info, problems)
    begin = fields["source_in"]
    return cut_short(doc, (*at, "clip"), info, begin + seconds, problems, begin)


def _end(doc, at: tuple, item: model.Overlay, start: int, limit: int, frames: int, rate: Fraction,
         problems: list[Problem]) -> int | None:
    if item.duration is not None:
        end, field = start + frame_of(item.duration.resolve(rate), rate), "duration"
    elif item.end is not None:
        end, field = frame_of(item.end.resolve(rate), rate), "end"
    else:
        return limit
    if end <= start:
        problems.append(doc.problem((*at, field), "the overlay must last at least a frame"))
        return None
    if end > limit:
        what = "the timeline" if limit == frames else "its clip"
        problems.append(doc.problem((*at, field), f"runs past the end of {what} "
                                    f"({seconds_text(Fraction(limit) / rate)} s); it stops there", warning=True))
    return min(end, limit)


def _text(doc, at: tuple, item: model.Overlay, resolve, sources: Sources, faces: dict[str, Face],
          fades: tuple[int, int], problems: list[Problem]) -> Text | None:
    style = item.style or model.TitleStyle()
    font = style.font
    if font and Path(font).suffix.lower() in FONT_SUFFIXES:
        path = resolve(font)
        if isinstance(found := sources.font(path), MediaError):
            problems.append(doc.problem((*at, "style", "font"), f"font file unusable: {found}", found.hint))
            return None
        face = Face("", path, 0)
    else:
        if (font or DEFAULT_FAMILY).lower() not in faces:
            problems.append(doc.problem((*at, "style", "font"), f"no font of family {font!r} is available",
                                        "put its font file in `subtitles.fonts_dir`, or name the file itself"))
            return None
        face = faces[(font or DEFAULT_FAMILY).lower()]
    # A title's place: the overlay's `position`, else its style's (as on a title card).
    position = item.position if "position" in item.model_fields_set or item.style is None else style.position
    return Text((item.title or "").strip("\n"), face, style.size, style.color,
                position if isinstance(position, str) else (position.x, position.y), fades, item.opacity,
                said=Spot.of(doc, (*at, "title")), font_said=Spot.of(doc, (*at, "style", "font")))
