"""Overlays on the timeline: each ``overlays:`` item on the frame grid, with its size and
place in output pixels worked out here, so that the compiler only draws.

Contract: validated overlays + their sources -> tuple of :class:`Layer` (in drawing
order: later on top) and the problems found (missing files, a layer outside the
timeline, fades longer than the layer), located in the EDL.
Pure but for measuring text (``typeset`` reads the font). Imports ``timebase``, ``errors``,
``edl``, ``load``, ``media``, ``words`` (types and constants), ``typeset`` and ``sound`` (a file cut short).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from assembler.model import edl as model
from assembler.errors import MediaError, Problem, media_hint
from assembler.model.load import Validated
from assembler.timeline.sources import FONT_SUFFIXES, MediaInfo, Sources
from assembler.timeline.sounds import cut_short, still_cut_short
from assembler.timebase import frame_of, seconds_text
from assembler.timeline.typeset import MARGIN, Lettering, set_text
from assembler.timeline.sources import DEFAULT_FAMILY, Face

__all__ = ["Layer", "MARGIN", "place_layers", "text_problems"]


@dataclass(frozen=True)
class Layer:
    """An overlay on frames ``[start, end)``, drawn at ``(x, y)`` (its top-left corner, in
    output pixels) at ``width`` x ``height``; a title is text drawn on the picture (its box:
    the ink's)."""

    index: int  # position in the EDL's `overlays` list
    kind: Literal["image", "clip", "title", "color"]
    start: int
    end: int
    x: int = 0
    y: int = 0
    width: int = 0
    height: int = 0
    opacity: float = 1.0
    fades: tuple[int, int] = (0, 0)  # frames of fade in and out
    media: MediaInfo | None = None
    source_in: Fraction = Fraction(0)  # seconds into a clip's source
    color: str | None = None
    text: str | None = None
    font: Path | None = None
    font_family: str | None = None  # a face inside a collection, found through fontconfig
    font_size: int = 0
    text_color: str = "0xFFFFFF"
    lettering: Lettering | None = None  # a title's text set in lines and runs

    @property
    def frames(self) -> int:
        return self.end - self.start


def place_layers(validated: Validated, resolve: Callable[[str], Path], sources: Sources, width: int, height: int,
                 rate: Fraction, frames: int, faces: dict[str, Face]) -> tuple[list[Layer], list[Problem]]:
    """Every overlay, in drawing order."""
    doc = validated.document
    problems: list[Problem] = []
    layers = []
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
            text = _text(doc, at, item, resolve, sources, faces, (width, height), problems)
            if text is None:
                continue
            fields.update(text)
        else:
            fields.update(_box(item, fields.get("media"), width, height))
        layers.append(Layer(n, item.kind, start, end, opacity=item.opacity, fades=fades, color=item.color, **fields))
    return layers, problems


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


def _box(item: model.Overlay, media: MediaInfo | None, width: int, height: int) -> dict:
    """Size (even, for 4:2:0) and top-left corner in output pixels."""
    if media is not None:
        natural = media.display_size
        w = round(item.scale * width) if item.scale else natural[0]
        h = round(w * natural[1] / natural[0]) if item.scale else natural[1]
    else:  # a colour: the frame, or a part of it of the same shape
        w, h = (round(item.scale * width), round(item.scale * height)) if item.scale else (width, height)
    w, h = max(2, w + w % 2), max(2, h + h % 2)
    margin = round(MARGIN * height)
    position = item.position
    if isinstance(position, model.Position):
        x, y = round(position.x * width - w / 2), round(position.y * height - h / 2)
    else:
        x = margin if "left" in position else width - w - margin if "right" in position else (width - w) // 2
        y = margin if "top" in position else height - h - margin if "bottom" in position else (height - h) // 2
    return dict(x=x, y=y, width=w, height=h)


def _text(doc, at: tuple, item: model.Overlay, resolve, sources: Sources, faces: dict[str, Face],
          frame: tuple[int, int], problems: list[Problem]) -> dict | None:
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
    size = max(1, round(style.size * frame[1] / 1080))
    try:
        lettering = set_text((item.title or "").strip("\n"), face, size, frame,
                             position if isinstance(position, str) else (position.x, position.y))
    except MediaError as exc:
        problems.append(doc.problem((*at, "style", "font"), str(exc)))
        return None
    problems += text_problems(doc, (*at, "title"), lettering, size)
    x, y, w, h = lettering.box
    return dict(text=(item.title or "").strip("\n"), font=face.path, font_family=face.family if face.index else None,
                font_size=lettering.size, text_color=style.color, lettering=lettering, x=x, y=y, width=w, height=h)


def text_problems(doc, at: tuple, lettering: Lettering, asked: int) -> list[Problem]:
    """Warnings for text that could not be drawn as written: wrapped, shrunk, moved into the frame."""
    found = []
    if lettering.wrapped:
        found.append(doc.problem(at, f"wrapped into {lettering.lines} lines to fit the frame", warning=True))
    if lettering.shrunk:
        found.append(doc.problem(at, f"shrunk to {lettering.size * 100 // asked} % of its size: a word is wider than "
                                 "90 % of the frame, or the lines are taller than it", "shorten the word or the text",
                                 warning=True))
    if lettering.moved:
        x, y = lettering.moved
        found.append(doc.problem(at, f"moved into the frame: its centre at {{x: {x:g}, y: {y:g}}} would put it outside",
                                 "move `position` toward the middle, or name an anchor", warning=True))
    return found
