"""A contact sheet of a timeline: one picture per item, as it will appear, with its timing.

Contract: :class:`~assembler.timeline.Timeline` -> a PIL image (and a PNG on request).
Frames come from the sources through PyAV (the middle of each clip's used range, the
still itself, the colour or title card drawn here), fitted as the render will fit them,
so a filmmaker can look over the cut before anything is encoded. Reads media; never
spawns a process. Imports ``timeline``, ``media`` (types), ``timebase``.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

import av
from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

from .timebase import format_seconds
from .timeline import BUNDLED_FONT, Placement, Timeline

__all__ = ["contact_sheet"]

THUMB_WIDTH = 240
COLUMNS = 5


def _color(ffmpeg_color: str) -> tuple[int, int, int]:
    return ImageColor.getrgb("#" + ffmpeg_color[2:8])


def _source_frame(p: Placement) -> Image.Image:
    """The source picture in the middle of what the placement shows, upright."""
    assert p.media is not None
    middle = (p.source_in + p.source_out) / 2 if p.kind == "clip" else Fraction(0)
    with av.open(os.fspath(p.media.path)) as container:
        stream = container.streams.video[0]
        if middle > 0 and stream.time_base:
            container.seek(int(middle / Fraction(stream.time_base)), stream=stream, backward=True)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or Fraction(frame.time).limit_denominator(100000) >= middle:
                break
        if chosen is None:
            raise ValueError(f"no picture in {p.media.path}")
        picture = chosen.to_image()
        rotation = getattr(chosen, "rotation", 0) or 0
    if p.media.sar != 1:
        picture = picture.resize((max(1, round(picture.width * p.media.sar)), picture.height))
    # PyAV's rotation is counter-clockwise, like PIL's rotate().
    return picture.rotate(rotation, expand=True) if rotation % 360 else picture


def _thumbnail(p: Placement, timeline: Timeline, size: tuple[int, int]) -> Image.Image:
    out = timeline.output
    background = _color(out.background)
    if p.kind in ("color", "title"):
        card = ImageOps.fit(_source_frame(p).convert("RGB"), size) if p.media else \
            Image.new("RGB", size, _color(p.color or "0x000000"))
        if p.text:
            font = ImageFont.truetype(os.fspath(p.font or BUNDLED_FONT), max(6, round(p.font_size * size[1] / out.height)),
                                      index=p.font_index)
            draw = ImageDraw.Draw(card)
            draw.multiline_text((size[0] / 2, size[1] / 2), p.text, font=font, anchor="mm", align="center",
                                fill=_color(p.text_color or "0xFFFFFF"))
        return card
    picture = _source_frame(p).convert("RGB")
    if p.fit == "cover":
        return ImageOps.fit(picture, size)
    if p.fit == "stretch":
        return picture.resize(size)
    return ImageOps.pad(picture, size, color=background)


def contact_sheet(timeline: Timeline, path: str | os.PathLike | None = None) -> Image.Image:
    """One tile per main-track item: the picture, the item, its place on the timeline."""
    out = timeline.output
    thumb = (THUMB_WIDTH, max(2, round(THUMB_WIDTH * out.height / out.width)))
    label_height, pad = 34, 8
    count = len(timeline.placements)
    columns = min(COLUMNS, count)
    rows = -(-count // columns)
    sheet = Image.new("RGB", (columns * (thumb[0] + pad) + pad, rows * (thumb[1] + label_height + pad) + pad),
                      (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(os.fspath(BUNDLED_FONT), 12)
    rate = out.fps
    for n, p in enumerate(timeline.placements):
        x = pad + (n % columns) * (thumb[0] + pad)
        y = pad + (n // columns) * (thumb[1] + label_height + pad)
        sheet.paste(_thumbnail(p, timeline, thumb), (x, y))
        name = p.media.path.name if p.media else (p.text or "").splitlines()[0] if p.text else p.kind
        join = timeline.joins[n] if n < len(timeline.joins) else None
        after = f"  > {join.transition}" if join and join.frames else ""
        draw.text((x, y + thumb[1] + 3), f"video[{p.index}] {p.kind}: {name}"[:40], font=font, fill=(230, 230, 230))
        draw.text((x, y + thumb[1] + 18), f"{format_seconds(p.start / rate)} - {format_seconds(p.end / rate)}{after}",
                  font=font, fill=(160, 160, 170))
    if path is not None:
        sheet.save(Path(path))
    return sheet
