"""Time apart from pixels: the timeline holds frames, sources and the EDL's own sizes; a
layout turns it into pixels for one output, so a second deliverable is a second layout of
the same timeline. And the emitters are chosen by type."""

from __future__ import annotations

import dataclasses
from fractions import Fraction

import numpy as np

import assembler
from assembler.compile import overlays, picture
from assembler.compile.jobs import compile_segment
from assembler.compile.text import draw_text
from assembler.layout.frame import Box, BurnStyle, layout
from assembler.layout.typeset import Lettering, set_text
from assembler.run.ffmpeg import run
from assembler.timeline import items
from assembler.timeline.sources import BUNDLED_FONT, Face
from conftest import write_edl
from media_tools import frame_rgb

TITLE = "Time apart from pixels, one timeline for every frame"


def _edl(tmp_path, overlays=(), subtitles=None):
    edl = {"version": 1, "output": {"size": "1920x1080", "fps": 25, "video": {"preset": "ultrafast"}},
           "video": [{"title": TITLE, "duration": "4f", "background": "black", "style": {"size": 96}}],
           "overlays": list(overlays)}
    if subtitles:
        edl["subtitles"] = subtitles
    return write_edl(tmp_path, "ep.yaml", edl)


def _inside(box: tuple[int, int, int, int], width: int, height: int) -> bool:
    x, y, w, h = box
    return x >= 0 and y >= 0 and x + w <= width and y + h <= height and w > 0 and h > 0


def test_one_timeline_laid_out_for_two_frames_keeps_each_text_inside_its_own(tmp_path):
    timeline = assembler.check(_edl(tmp_path, [{"title": "Lower third", "position": "bottom-left"},
                                               {"color": "white", "scale": 0.25, "position": "top-right"}]))
    wide, tall = layout(timeline, 1920, 1080), layout(timeline, 1080, 1920)
    for laid in (wide, tall):
        assert _inside(laid.cards[0].box, laid.width, laid.height)
        assert _inside(dataclasses.astuple(laid.boxes[0]), laid.width, laid.height)
        assert _inside(dataclasses.astuple(laid.boxes[1]), laid.width, laid.height)
    # The same text the EDL says, set for each frame: the narrow one breaks the title into more lines.
    assert wide.cards[0].lines < tall.cards[0].lines
    assert wide.boxes[1] == Box(1920 - 480 - 54, 54, 480, 270) and tall.boxes[1] == Box(1080 - 270 - 96, 96, 270, 480)


def test_a_segment_drawn_to_the_vertical_layout_has_its_title_where_that_layout_says(tmp_path):
    timeline = assembler.check(_edl(tmp_path))
    tall = layout(timeline, 1080, 1920)
    made = tmp_path / "tall.mp4"
    run(compile_segment(timeline, 0, timeline.frames, laid=tall), made)
    pixels = frame_rgb(made, 0.04)
    assert pixels.shape == (1920, 1080, 3)
    rows, columns = np.nonzero(pixels.min(axis=2) > 128)  # white ink on the black card
    x, y, w, h = tall.cards[0].box
    assert abs(columns.min() - x) <= 3 and abs(columns.max() + 1 - (x + w)) <= 3
    assert abs(rows.min() - y) <= 3 and abs(rows.max() + 1 - (y + h)) <= 3


def test_the_timeline_holds_no_pixels(tmp_path):
    (tmp_path / "ep.srt").write_text("1\n00:00:00,000 --> 00:00:00,100\nHello\n")
    timeline = assembler.check(_edl(tmp_path, [{"title": "Hi", "position": {"x": 0.5, "y": 0.8}},
                                               {"color": "black@0.5", "scale": 0.5}], {"file": "ep.srt"}))
    pixel_types = (Lettering, Box, BurnStyle)

    def values(value):
        yield value
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            for field in dataclasses.fields(value):
                yield from values(getattr(value, field.name))
        elif isinstance(value, (tuple, list)):
            for item in value:
                yield from values(item)

    held = list(values(timeline))
    assert not [v for v in held if isinstance(v, pixel_types)]
    # Nor fields that would hold pixels by another type: no item type names one.
    kinds = [getattr(items, name) for name in items.__all__ if isinstance(getattr(items, name), type)]
    named = {f.name for kind in kinds if dataclasses.is_dataclass(kind) for f in dataclasses.fields(kind)}
    assert not named & {"x", "y", "width", "height", "lettering", "font_size", "box"}
    assert {type(v) for v in held} >= {items.Card, items.OverlayText, items.OverlayColor, items.Text}


def test_every_item_type_has_its_emitters():
    placements = {items.Shot, items.Still, items.Card, items.Plate}
    assert set(picture._PICTURES) == placements == set(picture._SOURCES)
    assert set(overlays._DRAW) == {items.OverlayImage, items.OverlayClip, items.OverlayColor, items.OverlayText}
    assert set(overlays._SOURCES) == set(overlays._DRAW) - {items.OverlayText}


def test_one_text_emitter_keeps_each_items_own_clock_and_opacity():
    """A card's text and a text overlay's are drawn by the same emitter, each with the
    expressions it has always had (bytes): a card's opacity unsaid and no `enable`; an
    overlay's opacity said, and the frames it shows on."""
    face, rate = Face("", BUNDLED_FONT, 0), Fraction(25)
    lettering = set_text("Hi", face, 40, (320, 180), "center")

    def said(text, **when):
        options = dict(draw_text(text, lettering, rate, **when)[0].options)
        return options["alpha"], options.get("enable"), options["fontcolor"]

    card = items.Text("Hi", face, 40, "0xFFFFFF", "center", (5, 10))
    assert said(card, ahead=Fraction(12, 25), total=50, weighed=False) == (
        "max(0,min(min(1,(t+0.48)/0.2),min(1,(2-(t+0.48))/0.4)))", None, "0xFFFFFF")
    assert said(items.Text("Hi", face, 40, "0xFFFFFF", "center"), ahead=Fraction(0), total=30,
                weighed=False)[0] == "1"
    overlay = items.Text("Hi", face, 40, "0xFF0000", "center", (5, 10), 0.5)
    for (head, offset, count), clock in (((0, 10, 20), "(t-0.4)"), ((20, 0, 30), "(t+0.8)"), ((3, 7, 5), "(t-0.16)")):
        assert said(overlay, ahead=Fraction(head - offset) / rate, total=50, weighed=True,
                    enable=f"between(n,{offset},{offset + count - 1})") == (
            f"0.5000*max(0,min(min(1,{clock}/0.2),min(1,(2-{clock})/0.4)))",
            f"between(n,{offset},{offset + count - 1})", "0xFF0000")
    assert said(items.Text("Hi", face, 40, "0xFF0000", "center"), ahead=Fraction(-10, 25), total=50, weighed=True,
                enable="between(n,10,29)")[0] == "1.0000"
