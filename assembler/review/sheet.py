"""A contact sheet of a timeline: one picture per item, as it will appear (with the
overlays and burned subtitles of its middle frame), with its timing.

Contract: :class:`~assembler.timeline.build.Timeline` -> a PIL image (and a PNG on request).
Frames come from the sources through PyAV (the middle of each clip's used range, the
still itself, the colour or title card drawn here), fitted as the render will fit them,
so a filmmaker can look over the cut before anything is encoded. Frames are
decoded by ``run.probe``; never spawns a process.
"""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageColor, ImageDraw, ImageFont, ImageOps

from assembler.timebase import format_seconds
from assembler.layout.frame import Layout, own
from assembler.layout.typeset import Lettering
from assembler.timeline.build import BUNDLED_FONT, Timeline
from assembler.timeline.items import (Card, Focus, OverlayClip, OverlayColor, OverlayMedia, OverlayPicture, OverlayText,
                                      Placement, Plate, Shot, Still)
from assembler.timeline.sources import DEFAULT_FAMILY
from assembler.run.probe import picture_at

__all__ = ["SHEET_SUFFIXES", "THUMB_WIDTH", "contact_sheet", "cover"]



# What Pillow writes, by the name's suffix.
SHEET_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp")


THUMB_WIDTH = 240


COLUMNS = 5


def _color(ffmpeg_color: str) -> tuple[int, int, int]:
    return ImageColor.getrgb("#" + ffmpeg_color[2:8])[:3]


def _source_frame(p: Shot | Still | Card) -> Image.Image:
    """The source picture in the middle of what the placement shows, upright."""
    assert p.media is not None
    middle = (p.source_in + p.source_out) / 2 if isinstance(p, Shot) else Fraction(0)
    return picture_at(p.media, middle)


def _thumbnail(p: Placement, timeline: Timeline, laid: Layout, size: tuple[int, int]) -> Image.Image:
    out = timeline.output
    background = _color(out.background)
    if isinstance(p, (Card, Plate)):
        card = cover(_source_frame(p).convert("RGB"), size, p.focus, 0) if isinstance(p, Card) and p.media else \
            Image.new("RGB", size, _color(p.color or "0x000000"))
        if isinstance(p, Card):
            card = Image.alpha_composite(card.convert("RGBA"), _letter(laid.cards[p.index], laid, size,
                                                                       (*_color(p.text.color or "0xFFFFFF"), 255)))
        return card.convert("RGB")
    assert isinstance(p, (Shot, Still))
    picture = _source_frame(p).convert("RGB")
    if p.fit == "cover":  # a clip's thumbnail is its middle frame, a still's its first
        return cover(picture, size, p.focus, p.frames // 2 if isinstance(p, Shot) else 0)
    if p.fit == "stretch":
        return picture.resize(size)
    return ImageOps.pad(picture, size, color=background)


def cover(picture: Image.Image, size: tuple[int, int], focus: Focus | None, frame: int) -> Image.Image:
    """``cover`` as the render crops: around an item's ``focus`` at ``frame`` of its clock,
    the window kept inside the picture (Pillow's ``centering`` is where the window sits
    in the picture's spare width and height, 0 to 1)."""
    if focus is None:
        return ImageOps.fit(picture, size)
    point = focus.at(frame)
    width, height = picture.size
    # The window in the picture's own pixels: the tile's shape, as tall or as wide as it.
    window = (min(width, height * size[0] / size[1]), min(height, width * size[1] / size[0]))
    x, y = (min(max((float(at) * side - seen / 2) / (side - seen), 0.0), 1.0) if side > seen else 0.5
            for at, side, seen in zip(point, (width, height), window))
    return ImageOps.fit(picture, size, centering=(x, y))


def _words_and_layers(tile: Image.Image, timeline: Timeline, laid: Layout, frame: int) -> Image.Image:
    """What is drawn over the main track at ``frame``: the overlays, in order, and the
    subtitles, scaled to the tile."""
    scale = tile.width / laid.width
    tile = tile.convert("RGBA")
    for layer in timeline.overlays:
        if not layer.start <= frame < layer.end:
            continue
        if isinstance(layer, OverlayText):
            tile = Image.alpha_composite(tile, _letter(laid.texts[layer.index], laid, tile.size,
                                                       (*_color(layer.text.color), round(255 * layer.text.opacity))))
            continue
        assert isinstance(layer, OverlayPicture)
        at = laid.boxes[layer.index]
        box = (max(1, round(at.width * scale)), max(1, round(at.height * scale)))
        if isinstance(layer, OverlayColor):
            alpha = int(layer.color[8:10], 16) if len(layer.color) > 8 else 255
            piece = Image.new("RGBA", box, (*_color(layer.color), alpha))
        else:
            assert isinstance(layer, OverlayMedia)
            piece = picture_at(layer.media, layer.source_in if isinstance(layer, OverlayClip) else Fraction(0)) \
                .convert("RGBA").resize(box)
        if layer.opacity < 1:
            piece.putalpha(piece.getchannel("A").point(lambda a: round(a * layer.opacity)))
        tile.alpha_composite(piece, (round(at.x * scale), round(at.y * scale)))
    track = timeline.subtitles
    shown = [c for c in track.cues if c.start <= frame < c.end] if track and track.burn else []
    if shown and track and laid.subtitles:
        style = laid.subtitles
        font = ImageFont.truetype(os.fspath(BUNDLED_FONT), max(6, round(style.size * scale)),
                                  index=_index(BUNDLED_FONT, style.family))
        text = "\n".join(c.text for c in shown)
        row = (style.alignment - 1) // 3  # the ASS number pad: 0 bottom, 1 middle, 2 top
        y = {0: tile.height - style.margin_v * scale, 1: tile.height / 2, 2: style.margin_v * scale}[row]
        ImageDraw.Draw(tile).multiline_text((tile.width / 2, y), text, font=font, align="center",
                                            anchor={0: "md", 1: "mm", 2: "ma"}[row], fill=_color(style.color),
                                            stroke_width=max(1, round(style.outline * scale)),
                                            stroke_fill=_color(style.outline_color))
    return tile.convert("RGB")


def _letter(lettering: Lettering, laid: Layout, size: tuple[int, int], fill: tuple) -> Image.Image:
    """A title's runs where the render draws them: drawn at the output's size and scaled
    down (text drawn small is hinted wider, and its lines would leave the frame). The
    same lines as drawtext draws (the layout's), drawn by Pillow: the sheet is made
    in-process, before any ffmpeg runs."""
    drawn = Image.new("RGBA", (laid.width, laid.height), (0, 0, 0, 0))
    draw = ImageDraw.Draw(drawn)
    for run in lettering.runs:
        font = ImageFont.truetype(os.fspath(run.font), lettering.size, index=run.index)
        draw.text((run.x, run.y), run.text, font=font, anchor="ls", fill=fill)
    return drawn.resize(size, Image.Resampling.BOX)


def _index(font: Path | None, family: str | None) -> int:
    """The face of a family inside the bundled collection (0 for any other file)."""
    if font is None or Path(font) != BUNDLED_FONT or not family:
        return 0
    names = ["noto sans cjk jp", "noto sans cjk kr", "noto sans cjk sc", "noto sans cjk tc", "noto sans cjk hk"]
    return names.index(family.lower()) if family.lower() in names else names.index(DEFAULT_FAMILY.lower())


def _caption(text: str, font: ImageFont.FreeTypeFont, width: int) -> str:
    """The text on one line within ``width`` pixels, cut short with an ellipsis when it is
    wider (measured: a CJK character is twice a Latin one); any space (a tab) as a space."""
    text = "".join(" " if c.isspace() else c for c in text)
    if font.getlength(text) <= width:
        return text
    low, high = 0, len(text)  # the most characters that fit with the ellipsis
    while low < high:
        middle = (low + high + 1) // 2
        low, high = (middle, high) if font.getlength(text[:middle].rstrip() + "\u2026") <= width else (low, middle - 1)
    return text[:low].rstrip() + "\u2026"


def _name(p: Placement) -> str:
    media = p.media if isinstance(p, (Shot, Still, Card)) else None
    text = p.text.text if isinstance(p, Card) else ""
    return media.path.name if media else text.splitlines()[0] if text else p.kind


def contact_sheet(timeline: Timeline, path: str | os.PathLike | None = None) -> Image.Image:
    """One tile per main-track item: the picture, the item, its place on the timeline."""
    out, laid = timeline.output, own(timeline)
    thumb = (THUMB_WIDTH, max(2, round(THUMB_WIDTH * laid.height / laid.width)))
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
        tile = _thumbnail(p, timeline, laid, thumb)
        sheet.paste(_words_and_layers(tile, timeline, laid, (p.start + p.end) // 2), (x, y))
        name = _name(p)
        join = timeline.joins[n] if n < len(timeline.joins) else None
        after = f"  > {join.transition}" if join and join.frames else ""
        draw.text((x, y + thumb[1] + 3), _caption(f"video[{p.index}] {p.kind}: {name}", font, thumb[0]), font=font,
                  fill=(230, 230, 230))
        draw.text((x, y + thumb[1] + 18), _caption(f"{format_seconds(p.start / rate)} - "
                                                   f"{format_seconds(p.end / rate)}{after}", font, thumb[0]),
                  font=font, fill=(160, 160, 170))
    if path is not None:
        # Under a temporary name, then renamed: an interrupted save leaves no half picture.
        target = Path(path)
        # Its stem cut to 200 bytes (never inside a character): a long name's temporary one fits 255 too.
        stem = os.fsencode(target.stem)[:200].decode("utf-8", "ignore")
        partial = target.with_name(f".{stem}.{os.getpid()}.partial{target.suffix}")
        sheet.save(partial)
        os.replace(partial, target)
    return sheet
