"""A vertical's safe area (issue 13, point 3): in a frame taller than wide, burned subtitles
and layers anchored to the bottom edge sit wholly above the bottom 15 % that short-video
platforms cover with their own controls; anchors and `scale` follow the frame they are laid
out for; a 16:9 frame keeps its margins (and its bytes: bench/same_bytes.py). Checked on
the real output's pixels and on the layout that placed them."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

import assembler
from assembler.compile.subtitles import ass_text
from assembler.layout.frame import Box, layout
from conftest import write_edl
from test_subtitles import ASS_STYLED
from media_tools import frame_rgb

FPS = 25


def episode(tmp_path: Path, size: str, overlays=(), subtitles: dict | None = None, name: str = "ep.yaml") -> Path:
    """One second of black, a white cue on it the whole time (unless ``subtitles`` is None),
    and ``overlays``."""
    cue = [{"start": 0, "end": 1, "text": "Gypsy jig"}] if subtitles is not None else []
    edl = {"version": 1, "output": {"size": size, "fps": FPS, "video": {"preset": "ultrafast"}},
           "video": [{"color": "black", "duration": 1, "subtitles": cue}], "overlays": list(overlays)}
    if subtitles is not None:
        edl["subtitles"] = {"burn": True, **subtitles}
    return write_edl(tmp_path, name, edl)


def render(path: Path) -> np.ndarray:
    """The middle frame of the render, as RGB."""
    out = path.with_suffix(".mp4")
    assembler.render(path, out, cache=path.parent / "cache")
    return frame_rgb(out, 0.5).astype(int)


def ink_rows(picture: np.ndarray, level: int = 120) -> np.ndarray:
    """The rows that hold bright pixels (white text, a white layer) on the black picture."""
    return np.nonzero((picture.min(axis=2) > level).any(axis=1))[0]


def covered(height: int) -> int:
    """The first row of the bottom 15 %."""
    return height - math.ceil(height * 15 / 100)


@pytest.mark.parametrize("style", [{}, {"size": 72, "outline": 6}, {"alignment": "bottom-left", "margin_v": 0}])
def test_a_verticals_burned_subtitles_sit_above_the_bottom_15_percent(tmp_path, style):
    picture = render(episode(tmp_path, "360x640", subtitles={"style": style}))
    rows = ink_rows(picture)
    assert rows.size > 5, "the cue is drawn"
    assert rows.max() < covered(640)
    # and no higher than it needs: just above the band, as a platform's own captions sit
    assert rows.max() > covered(640) - 0.1 * 640


def test_a_wide_frames_subtitles_keep_their_margin(tmp_path):
    timeline = assembler.check(episode(tmp_path, "640x360", subtitles={}))
    wide = layout(timeline, 640, 360).subtitles
    assert wide is not None and wide.margin_v == round(60 * 360 / 1080)  # as before: 60 px at 1080 lines
    tall = layout(timeline, 360, 640).subtitles
    assert tall is not None and tall.margin_v >= math.ceil(640 * 0.15) + tall.outline
    # A cue at the top of a vertical keeps its own margin: only the bottom is covered
    top = layout(assembler.check(episode(tmp_path, "360x640", subtitles={"style": {"alignment": "top"}},
                                         name="top.yaml")), 360, 640).subtitles
    assert top is not None and top.margin_v == round(60 * 640 / 1080)


def test_a_bottom_anchored_text_layer_sits_above_the_band(tmp_path):
    path = episode(tmp_path, "360x640", overlays=[{"title": "Lower third", "position": "bottom",
                                                    "style": {"size": 80, "color": "white"}}])
    rows = ink_rows(render(path))
    assert rows.size > 5 and rows.max() < covered(640)
    box = layout(assembler.check(path), 360, 640).boxes[0]  # the layer's ink
    assert covered(640) - 2 <= box.y + box.height <= covered(640)


@pytest.mark.parametrize("position", ["bottom", "bottom-left", "bottom-right"])
def test_a_bottom_anchored_picture_layer_sits_above_the_band(tmp_path, position):
    path = episode(tmp_path, "360x640", overlays=[{"color": "white", "scale": 0.25, "position": position}])
    rows = ink_rows(render(path))
    assert rows.size and rows.max() < covered(640) and rows.max() >= covered(640) - 3
    box = layout(assembler.check(path), 360, 640).boxes[0]
    assert box.y + box.height == covered(640)


def test_anchors_and_scale_follow_the_frame_they_are_laid_out_for(tmp_path):
    """One timeline, two frames: a layer's size is a fraction of each frame's width, its
    margin 5 % of each frame's height; only a tall frame's bottom edge moves up."""
    path = episode(tmp_path, "360x640", overlays=[{"color": "white", "scale": 0.25, "position": "top-right"},
                                                  {"color": "white", "scale": 0.25, "position": "bottom-left"}])
    timeline = assembler.check(path)
    tall, wide = layout(timeline, 360, 640), layout(timeline, 640, 360)
    assert tall.boxes[0] == Box(360 - 90 - 32, 32, 90, 160) and wide.boxes[0] == Box(640 - 160 - 18, 18, 160, 90)
    assert tall.boxes[1] == Box(32, 640 - 96 - 160, 90, 160) and wide.boxes[1] == Box(18, 360 - 18 - 90, 160, 90)
    picture = render(path)  # and drawn where the layout says
    assert picture[32 + 80, 360 - 32 - 45].min() > 200 and picture[32 + 80, 360 - 32 - 100].max() < 40
    assert picture[640 - 96 - 80, 32 + 45].min() > 200 and picture[640 - 96 + 10, 32 + 45].max() < 40


def test_a_wide_frames_bottom_layers_keep_their_margin(tmp_path):
    path = episode(tmp_path, "640x360", overlays=[{"title": "Lower third", "position": "bottom-left"},
                                                  {"color": "white", "scale": 0.25, "position": "bottom"}])
    laid = layout(assembler.check(path), 640, 360)
    assert laid.boxes[1] == Box((640 - 160) // 2, 360 - 90 - 18, 160, 90)
    text = laid.boxes[0]
    assert text.y + text.height == 360 - 18



def test_an_ass_files_own_bottom_style_sits_above_the_band_and_its_top_style_stays(tmp_path):
    """test_subtitles' styled file (PlayRes 1280x720): a sign at the top in 0.5-1.0 s, a line
    at the bottom (MarginV 20) in 1.0-1.5 s."""
    (tmp_path / "styled.ass").write_text(ASS_STYLED, encoding="utf-8")
    edl = {"version": 1, "output": {"size": "360x640", "fps": FPS, "video": {"preset": "ultrafast"}},
           "video": [{"color": "black", "duration": 2}], "subtitles": {"file": "styled.ass"}}
    path = write_edl(tmp_path, "ass.yaml", edl)
    out = path.with_suffix(".mp4")
    assembler.render(path, out, cache=False)
    line = ink_rows(frame_rgb(out, 1.25).astype(int))
    assert line.size > 5 and line.max() < covered(640)  # the dialogue: above the band
    sign = ink_rows(frame_rgb(out, 0.75).astype(int))
    assert sign.size > 5 and sign.max() < 0.2 * 640  # the sign: at the top, where its style put it
    # and in a wide frame the file's styles are as they were written
    timeline = assembler.check(path)
    wide = ass_text(timeline.subtitles, layout(timeline, 640, 360).subtitles, 640, 360, timeline.output.fps, 0, 50)
    assert "Style: Default,Noto Sans CJK SC,90,&H00FFFFFF" in wide and ",2,10,10,20,1" in wide
    tall = ass_text(timeline.subtitles, layout(timeline, 360, 640).subtitles, 360, 640, timeline.output.fps, 0, 50)
    assert ",2,10,10,20,1" not in tall and ",8,10,10,20,1" in tall  # the bottom style raised, the top one kept
