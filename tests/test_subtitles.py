"""Subtitles, measured in the rendered file: burned pixels present during a cue and absent
outside it (to the frame, across cuts and segments), Chinese drawn as glyphs rather than
boxes, the soft stream's text and the sidecar's timings, fonts, lint."""

from __future__ import annotations

import json
import subprocess
import sys
from collections import deque
from pathlib import Path

import numpy as np
import pytest
from PIL import ImageFont

import assembler
from assembler.errors import EdlError
from conftest import write_edl
from media_tools import count_frames, frame_rgb, make_clip, run_ffmpeg

FPS = 24
SIZE = (640, 360)


def at(frame: int, fps: int = FPS) -> float:
    return (frame + 0.5) / fps


def ink(path: Path, frame: int, box=(0.0, 0.5, 1.0, 1.0), fps: int = FPS) -> np.ndarray:
    """White text pixels over the blue picture in ``box`` (fractions of the frame)."""
    rgb = frame_rgb(path, at(frame, fps)).astype(int)
    h, w = rgb.shape[:2]
    x0, y0, x1, y1 = box
    part = rgb[round(y0 * h):round(y1 * h), round(x0 * w):round(x1 * w)]
    return (part[..., 0] > 170) & (part[..., 1] > 170)  # the blue background has no red or green


def shapes(mask: np.ndarray) -> int:
    """Connected shapes (8-connected) in a mask."""
    seen = np.zeros_like(mask, dtype=bool)
    count = 0
    h, w = mask.shape
    for y, x in zip(*np.nonzero(mask)):
        if seen[y, x]:
            continue
        count += 1
        todo = deque([(y, x)])
        seen[y, x] = True
        while todo:
            cy, cx = todo.popleft()
            for dy in (-1, 0, 1):
                for dx in (-1, 0, 1):
                    ny, nx = cy + dy, cx + dx
                    if 0 <= ny < h and 0 <= nx < w and mask[ny, nx] and not seen[ny, nx]:
                        seen[ny, nx] = True
                        todo.append((ny, nx))
    return count


def srt_cues(text: str) -> list[tuple[str, str, str]]:
    """(start, end, text) of each block of an SRT."""
    cues = []
    for block in text.strip().replace("\r\n", "\n").split("\n\n"):
        lines = block.split("\n")
        start, _, end = lines[1].partition(" --> ")
        cues.append((start.strip(), end.strip(), "\n".join(lines[2:])))
    return cues


@pytest.fixture(scope="module")
def blue(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("subs-media")
    make_clip(folder / "a.mp4", color="blue", size=SIZE, fps=FPS, duration=2, tone=440)
    make_clip(folder / "b.mp4", color="blue", size=SIZE, fps=30, duration=3, tone=660)
    return folder


def episode(blue: Path, **subtitles) -> dict:
    return {
        "version": 1,
        "output": {"size": f"{SIZE[0]}x{SIZE[1]}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 16}},
        "media_root": str(blue),
        "video": [
            # 0..48; its cue ends exactly on the cut
            {"clip": "a.mp4", "subtitles": [{"start": 0.5, "end": 2.0, "text": "Cut here"}]},
            # 48..96; a cue past its end is dropped, one running over it is cut
            {"clip": "b.mp4", "in": 0.5, "duration": 2,
             "subtitles": [{"start": 0.5, "end": 1.5, "text": "你好世界"},
                           {"start": "00:00:01:12", "end": 9, "text": "Until the end"},
                           {"start": 2.5, "end": 3, "text": "Never shown"}]},
        ],
        "subtitles": {"file": "ep.srt", "offset": -0.5, "style": {"size": 96}, **subtitles},
    }


SRT = """1
00:00:00,750 --> 00:00:01,000
From the file

2
00:00:10,000 --> 00:00:11,000
After the end
"""


@pytest.fixture(scope="module")
def rendered(blue, tmp_path_factory):
    folder = tmp_path_factory.mktemp("subs")
    (blue / "ep.srt").write_text(SRT, encoding="utf-8")
    edl = write_edl(folder, "ep.yaml", episode(blue, burn=True, soft=True, sidecar=True))
    out = folder / "ep.mp4"
    result = assembler.render(edl, out, cache=folder / "cache")
    return edl, out, result


def test_burned_cues_are_there_during_and_gone_outside_to_the_frame(rendered):
    _, out, result = rendered
    assert count_frames(out) == 96
    seen = {frame: int(ink(out, frame).sum()) for frame in (5, 6, 11, 12, 30, 47, 48, 59, 60, 83, 84, 95)}
    # From the file, moved by -0.5 s: 0.25..0.5 s = frames 6..12, then the clip's cue 12..48.
    assert seen[5] == 0 and seen[6] > 50 and seen[11] > 50
    assert seen[12] > 50 and seen[30] > 50 and seen[47] > 50
    assert seen[48] == 0 and seen[59] == 0  # the cue that ends on the cut is gone on the cut
    assert seen[60] > 50 and seen[83] > 50  # 你好世界 on frames 60..84, then "Until the end"
    assert seen[84] > 50 and seen[95] > 50
    assert sorted(w.path for w in result.warnings if "not shown" in w.message) == ["cue 2", "video[1].subtitles[2].start"]


def test_chinese_is_drawn_as_glyphs_not_boxes(rendered):
    _, out, _ = rendered
    mask = ink(out, 70)
    # 你好世界 in Noto Sans CJK: strokes that touch make at least 2 shapes for 你, 好 and 界;
    # four missing-glyph boxes would be four hollow rectangles.
    assert shapes(mask) >= 8
    ys, xs = np.nonzero(mask)
    assert xs.max() - xs.min() > 4 * 0.6 * 32  # four wide characters of 32 px, side by side


def test_soft_stream_carries_every_cue(rendered, tmp_path):
    _, out, _ = rendered
    srt = tmp_path / "soft.srt"
    run_ffmpeg("-i", str(out), "-map", "0:s:0", str(srt))
    cues = srt_cues(srt.read_text(encoding="utf-8"))
    assert [c[2] for c in cues] == ["From the file", "Cut here", "你好世界", "Until the end"]
    assert cues[1][:2] == ("00:00:00,500", "00:00:02,000")
    assert cues[3][:2] == ("00:00:03,500", "00:00:04,000")  # cut at the clip's end


def test_sidecar_has_every_cue_on_the_final_timeline(rendered):
    _, out, _ = rendered
    cues = srt_cues(out.with_suffix(".srt").read_text(encoding="utf-8"))
    assert cues == [("00:00:00,250", "00:00:00,500", "From the file"), ("00:00:00,500", "00:00:02,000", "Cut here"),
                    ("00:00:02,500", "00:00:03,500", "你好世界"), ("00:00:03,500", "00:00:04,000", "Until the end")]


def test_one_edited_cue_renders_only_its_segment_again(rendered, blue):
    edl, out, _ = rendered
    data = json.loads(edl.read_text(encoding="utf-8"))
    data["video"][1]["subtitles"][0]["text"] = "再见"
    changed = write_edl(edl.parent, "changed.yaml", data)
    result = assembler.render(changed, edl.parent / "changed.mp4", cache=edl.parent / "cache")
    assert (result.segments, result.rendered) == (2, 1)
    assert ink(edl.parent / "changed.mp4", 30).sum() == ink(out, 30).sum()


def test_a_cue_across_segments_has_no_seam(tmp_path):
    """An 11 s card is two segments; a cue over the boundary looks as in one graph."""
    edl = write_edl(tmp_path, "long.yaml", {
        "version": 1, "output": {"size": "320x180", "fps": 10, "video": {"preset": "ultrafast", "crf": 16}},
        "video": [{"color": "blue", "duration": 11}],
        "subtitles": {"file": "long.srt", "style": {"size": 120}}})
    (tmp_path / "long.srt").write_text("1\n00:00:05,000 --> 00:00:06,000\nAcross 跨越\n", encoding="utf-8")
    one, many = tmp_path / "one.mp4", tmp_path / "many.mp4"
    assembler.render(edl, one, single=True)
    assert assembler.render(edl, many, cache=False).segments == 2
    for frame in (49, 50, 54, 55, 59, 60):
        a, b = ink(one, frame, fps=10), ink(many, frame, fps=10)
        assert (a.sum() > 30) == (50 <= frame < 60)
        assert (a != b).mean() < 0.01, frame


def test_ass_vtt_and_style(blue, tmp_path):
    ass = blue / "styled.ass"
    ass.write_text("[Script Info]\nScriptType: v4.00+\n\n[V4+ Styles]\nFormat: Name, Fontname, Fontsize\n"
                   "Style: Default,Arial,20\n\n[Events]\n"
                   "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text\n"
                   "Comment: 0,0:00:00.00,0:00:01.00,Default,,0,0,0,,not a cue\n"
                   "Dialogue: 0,0:00:00.50,0:00:01.00,Default,,0,0,0,,{\\i1}Top{\\i0} line\n", encoding="utf-8")
    vtt = blue / "ep.vtt"
    vtt.write_text("WEBVTT\n\n00:00.500 --> 00:01.000\nFrom VTT\n", encoding="utf-8")
    for name, text in (("styled.ass", "Top line"), ("ep.vtt", "From VTT")):
        data = {"version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"}},
                "video": [{"clip": str(blue / "a.mp4")}],
                "subtitles": {"file": str(blue / name), "sidecar": True, "burn": True,
                              "style": {"alignment": "top", "color": "yellow", "size": 160, "margin_v": 20}}}
        out = tmp_path / f"{name}.mp4"
        assembler.render(write_edl(tmp_path, f"{name}.yaml", data), out, cache=False)
        assert srt_cues(out.with_suffix(".srt").read_text(encoding="utf-8")) == [
            ("00:00:00,500", "00:00:01,000", text)]
        top = ink(out, 18, box=(0, 0, 1, 0.4))
        assert top.sum() > 30 and ink(out, 18, box=(0, 0.6, 1, 1)).sum() == 0  # at the top
        assert ink(out, 6, box=(0, 0, 1, 0.4)).sum() == 0
        rgb = frame_rgb(out, at(18))[:72].astype(int)
        yellow = (rgb[..., 0] > 170) & (rgb[..., 1] > 170) & (rgb[..., 2] < rgb[..., 0] - 40)
        assert yellow.sum() > 30  # yellow text, not white


def test_fonts_dir_family_and_a_missing_family(blue, tmp_path):
    fonts = tmp_path / "fonts"
    fonts.mkdir()
    (fonts / "aileron.ttf").write_bytes(ImageFont.load_default(20).font_bytes)  # Pillow's own font
    data = {"version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"}},
            "video": [{"clip": str(blue / "a.mp4"), "duration": 1,
                       "subtitles": [{"start": 0, "end": 1, "text": "Aileron"}]}],
            "subtitles": {"fonts_dir": "fonts", "style": {"font": "Aileron", "size": 90}}}
    out = tmp_path / "aileron.mp4"
    assembler.render(write_edl(tmp_path, "aileron.yaml", data), out, cache=False)
    noto = tmp_path / "noto.mp4"
    data["subtitles"]["style"]["font"] = "Noto Sans CJK SC"
    assembler.render(write_edl(tmp_path, "noto.yaml", data), noto, cache=False)
    a, b = ink(out, 10), ink(noto, 10)
    assert a.sum() > 30 and b.sum() > 30 and (a != b).sum() > 30  # drawn, and in another face

    data["subtitles"]["style"]["font"] = "Helvetica Neue"
    bad = write_edl(tmp_path, "bad.yaml", data)
    with pytest.raises(EdlError) as caught:
        assembler.check(bad)
    problem = caught.value.problems[0]
    assert problem.path == "subtitles.style.font" and "Helvetica Neue" in problem.message and problem.line
    assert "Aileron" in problem.message  # says what there is
    done = subprocess.run([sys.executable, "-m", "assembler", "render", str(bad), "-o", str(tmp_path / "x.mp4")],
                          capture_output=True, text=True)
    assert done.returncode != 0 and "subtitles.style.font" in done.stderr and not (tmp_path / "x.mp4").exists()


def test_without_a_font_ffmpeg_burns_nothing_and_says_ok(blue, tmp_path):
    """Why a missing family must be an error: the subtitles filter exits 0 having drawn nothing."""
    from assembler.run.ffmpeg import fontconfig_text
    empty = tmp_path / "empty"
    empty.mkdir()
    conf = tmp_path / "fonts.conf"
    conf.write_text(fontconfig_text([str(empty)], str(tmp_path / "fc")), encoding="utf-8")
    ass = tmp_path / "s.ass"
    ass.write_text("[Script Info]\nScriptType: v4.00+\nPlayResX: 320\nPlayResY: 180\n\n[V4+ Styles]\n"
                   "Format: Name, Fontname, Fontsize, PrimaryColour\nStyle: Default,Nothing,40,&H00FFFFFF\n\n"
                   "[Events]\nFormat: Layer, Start, End, Style, Text\nDialogue: 0,0:00:00.00,0:00:01.00,Default,中文\n",
                   encoding="utf-8")
    out = tmp_path / "nothing.mp4"
    from media_tools import ffmpeg_exe
    done = subprocess.run([ffmpeg_exe(), "-v", "error", "-f", "lavfi", "-i", "color=blue:s=320x180:r=24:d=0.5",
                           "-vf", "subtitles=s.ass", "-pix_fmt", "yuv420p", str(out)], cwd=tmp_path,
                          env={"FONTCONFIG_FILE": str(conf), "PATH": "/usr/bin:/bin"}, capture_output=True)
    assert done.returncode == 0
    assert ink(out, 5, box=(0, 0, 1, 1)).sum() == 0


def test_lint_in_check(blue, tmp_path):
    (tmp_path / "lint.srt").write_text(
        "1\n00:00:00,100 --> 00:00:00,600\nThis line is far too long to be read in half a second by anyone\n\n"
        "2\n00:00:00,500 --> 00:00:01,200\n这是一个非常非常非常非常非常非常非常长的中文字幕行\n\n"
        "3\n00:00:01,500 --> 00:00:01,900\nOK\n\n"
        "4\n00:00:01,500 --> 00:00:01,900\n好\n\n"
        "5\n00:00:30,000 --> 00:00:31,000\nLate\n", encoding="utf-8")
    data = {"version": 1, "output": {"size": "320x180", "fps": FPS},
            "video": [{"clip": str(blue / "a.mp4")}], "subtitles": {"file": "lint.srt"}}
    edl = write_edl(tmp_path, "lint.yaml", data)
    timeline = assembler.check(edl)
    found = [(w.file, w.line, w.message.split(" (")[0]) for w in timeline.warnings]
    assert ("lint.srt", 2, "reads at 126 characters a second") in found
    assert ("lint.srt", 2, "a line is 63 characters long") in found
    assert ("lint.srt", 6, "overlaps the cue before it by 0.083 s") in found
    assert ("lint.srt", 6, "a line is 50 characters long") in found  # 25 Chinese characters count two each
    assert ("lint.srt", 18, "is after the end of the timeline") in found
    assert not any(w.line in (10, 14) for w in timeline.warnings)  # two languages at the same times: fine
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(edl)], capture_output=True, text=True)
    assert done.returncode == 0 and "lint.srt:18" in done.stdout + done.stderr


@pytest.mark.parametrize("start, end, where", [(1, 0.5, "video[0].subtitles[0]"),
                                               ("30f", "30f", "video[0].subtitles[0].end")])
def test_attached_cue_that_ends_before_it_starts_is_an_error(blue, tmp_path, start, end, where):
    data = {"version": 1, "video": [{"clip": str(blue / "a.mp4"),
                                     "subtitles": [{"start": start, "end": end, "text": "backwards"}]}]}
    with pytest.raises(EdlError) as caught:
        assembler.check(write_edl(tmp_path, "bad.yaml", data))
    assert [p.path for p in caught.value.problems] == [where] and caught.value.problems[0].line


def test_subtitle_files_in_the_cache_are_pruned_when_unused_and_made_again(rendered):
    import os
    import time

    from assembler.run.cache import Cache
    edl, out, _ = rendered
    cache = edl.parent / "cache"
    files = list((cache / "subtitles").glob("*.ass"))
    assert files
    old = time.time() - 3 * 86400
    for f in files:
        os.utime(f, (old, old))
    Cache(cache).prune(older_than=10 * 86400)  # the segments stay; the unused subtitle files go
    assert not list((cache / "subtitles").glob("*.ass"))
    again = assembler.render(edl, edl.parent / "again.mp4", cache=cache)
    assert again.rendered == 0 and (edl.parent / "again.mp4").read_bytes() == out.read_bytes()


def test_single_graph_render_has_the_same_words(rendered, tmp_path):
    edl, out, _ = rendered
    one = tmp_path / "one.mp4"
    assembler.render(edl, one, single=True)
    for frame in (11, 30, 70, 90):
        assert (ink(one, frame) != ink(out, frame)).mean() < 0.01, frame
    soft = tmp_path / "soft.srt"
    run_ffmpeg("-i", str(one), "-map", "0:s:0", str(soft))
    assert len(srt_cues(soft.read_text(encoding="utf-8"))) == 4
    assert one.with_suffix(".srt").read_text(encoding="utf-8") == out.with_suffix(".srt").read_text(encoding="utf-8")


def test_check_lists_the_cues_and_the_ways_out(rendered):
    edl, _, _ = rendered
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(edl)], capture_output=True, text=True)
    assert done.returncode == 0
    assert "subtitles: 4 cues, burned, soft stream, sidecar .srt; Noto Sans CJK SC 32 px" in done.stdout


def test_cues_attached_to_a_still_and_a_slate(blue, tmp_path):
    still = tmp_path / "still.png"
    from PIL import Image
    Image.new("RGB", (320, 180), (0, 0, 255)).save(still)
    edl = write_edl(tmp_path, "still.yaml", {
        "version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"}},
        "video": [{"image": str(still), "duration": 1, "subtitles": [{"start": 0.5, "end": 2, "text": "Over a still"}]},
                  {"color": "blue", "duration": 1, "subtitles": [{"start": 0.25, "end": 0.75, "text": "On a slate"}]}],
        "subtitles": {"sidecar": True, "burn": True, "style": {"size": 150}}})
    out = tmp_path / "still.mp4"
    assembler.render(edl, out, cache=False)
    assert srt_cues(out.with_suffix(".srt").read_text(encoding="utf-8")) == [
        ("00:00:00,500", "00:00:01,000", "Over a still"), ("00:00:01,250", "00:00:01,750", "On a slate")]
    assert ink(out, 18, fps=FPS).sum() > 30 and ink(out, 27, fps=FPS).sum() == 0 and ink(out, 33).sum() > 30


def test_models_built_in_code_carry_words_and_layers(blue, tmp_path):
    edl = assembler.Edl(version=1, output=assembler.Output(size="320x180", fps=FPS), video=[
        assembler.Clip(clip="a.mp4", out=1, subtitles=[assembler.ClipCue(start=0.25, end=0.75, text="In code 代码")])],
        overlays=[assembler.Overlay(color="red", scale=0.25, position="top-left")],
        subtitles=assembler.Subtitles(soft=True, sidecar=True))
    out = tmp_path / "code.mp4"
    assembler.render(edl, out, base_dir=blue, cache=False)
    assert srt_cues(out.with_suffix(".srt").read_text(encoding="utf-8")) == [("00:00:00,250", "00:00:00,750",
                                                                              "In code 代码")]
    assert frame_rgb(out, at(12))[10, 10][0] > 200  # the red layer in the corner
    assert ink(out, 12).sum() == 0  # soft and sidecar only: nothing burned


ASS_STYLED = """[Script Info]
ScriptType: v4.00+
PlayResX: 1280
PlayResY: 720

[V4+ Styles]
Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, Underline, \
StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, MarginR, MarginV, Encoding
Style: Default,Noto Sans CJK SC,90,&H00FFFFFF,&H000000FF,&H00000000,&H00000000,0,0,0,0,100,100,0,0,1,2,0,2,10,10,20,1
Style: Sign,Arial,90,&H0000FFFF,&H000000FF,&H00000000,&H00000000,-1,0,0,0,100,100,0,0,1,2,0,8,10,10,20,1

[Events]
Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text
Dialogue: 0,0:00:00.50,0:00:01.00,Sign,,0,0,0,,SIGN
Dialogue: 0,0:00:01.00,0:00:01.50,Default,,0,0,0,,Line
"""


def test_an_ass_files_own_styles_are_kept_when_the_edl_sets_none(blue, tmp_path):
    (tmp_path / "styled.ass").write_text(ASS_STYLED, encoding="utf-8")
    edl = write_edl(tmp_path, "styled.yaml", {
        "version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast", "crf": 12}},
        "video": [{"clip": str(blue / "a.mp4")}], "subtitles": {"file": "styled.ass"}})
    out = tmp_path / "styled.mp4"
    result = assembler.render(edl, out, cache=False)
    assert any("'Arial'" in w.message and w.path == "subtitles.file" for w in result.warnings)
    sign = frame_rgb(out, at(18)).astype(int)
    yellow = (sign[..., 0] > 170) & (sign[..., 1] > 170) & (sign[..., 2] < sign[..., 0] - 40)
    assert yellow[:60].sum() > 30 and yellow[120:].sum() == 0  # the sign: yellow, at the top
    line = frame_rgb(out, at(30)).astype(int)
    white = (line[..., 0] > 170) & (line[..., 1] > 170) & (line[..., 2] > 170)
    assert white[120:].sum() > 30 and white[:60].sum() == 0  # the dialogue: white, at the bottom


def test_titles_and_text_layers_draw_chinese_as_glyphs(tmp_path):
    edl = write_edl(tmp_path, "zh.yaml", {
        "version": 1, "output": {"size": f"{SIZE[0]}x{SIZE[1]}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 12}},
        "video": [{"title": "你好世界", "duration": 1, "background": "blue", "style": {"size": 200}},
                  {"color": "blue", "duration": 1}],
        "overlays": [{"title": "你好世界", "start": 1, "position": "center", "style": {"size": 200}}]})
    out = tmp_path / "zh.mp4"
    assembler.render(edl, out, cache=False)
    for frame in (12, 36):  # the card, then the text layer
        mask = ink(out, frame, box=(0, 0, 1, 1))
        assert shapes(mask) >= 8, frame
