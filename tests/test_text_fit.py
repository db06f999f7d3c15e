"""Text stays in the frame: long English, Chinese, mixed, Japanese and Korean lines as
text overlays and as title cards at every named anchor, measured from the rendered pixels
(in the frame's outer 2 % never a text pixel; the block's edge 5 % of the height in;
several lines, each aligned to the anchor's side), words never split, warnings where text
had to wrap or shrink, and a Latin middle dot."""

from __future__ import annotations

import subprocess
import sys

import av
import numpy as np
import pytest
from PIL import ImageFont

import assembler
from assembler.layout.frame import own
from assembler.layout.typeset import set_text
from assembler.timeline.sources import BUNDLED_FONT, Face
from conftest import write_edl

W, H, FPS = 640, 360, 4
MARGIN = round(0.05 * H)  # where a named anchor puts the block's edge
EDGE_X, EDGE_Y = round(0.02 * W), round(0.02 * H)  # no text pixel in the frame's outer 2 %
ANCHORS = ["top-left", "top", "top-right", "left", "center", "right", "bottom-left", "bottom", "bottom-right"]
TEXTS = {
    "english": "The lighthouse keeper remembers every ship that passed in the long winter of the storms",
    "chinese": "灯塔看守人记得在那个漫长的暴风雪冬天里经过的每一艘船，一艘也没有忘记。",
    "mixed": "Episode 3 第三集：The Keeper 看守人 remembers every ship 每一艘船 that passed",
    "japanese": "灯台守は、長い嵐の冬に通り過ぎたすべての船を覚えている。一隻も忘れていない。",
    "korean": "등대지기는 폭풍이 몰아치던 긴 겨울에 지나간 모든 배를 하나도 빠짐없이 기억하고 있다",
}
LONG_WORD = "Pneumonoultramicroscopicsilicovolcanoconiosis"
SIZE = 64  # of a 1080-line frame: 21 px here, so every text above needs two lines or more
SC = Face("Noto Sans CJK SC", BUNDLED_FONT, 2)


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(int) for f in container.decode(video=0)]


def bands(mask: np.ndarray) -> list[tuple[int, int]]:
    """Runs of rows that hold ink: the lines of a text block, top to bottom."""
    rows = mask.any(axis=1)
    found, start = [], None
    for y, inked in enumerate([*rows, False]):
        if inked and start is None:
            start = y
        elif not inked and start is not None:
            found.append((start, y))
            start = None
    return found


def columns(mask: np.ndarray) -> tuple[int, int]:
    xs = np.nonzero(mask.any(axis=0))[0]
    return int(xs.min()), int(xs.max()) + 1


@pytest.fixture(scope="module")
def rendered(tmp_path_factory):
    """Every text at every anchor, one frame each: as overlays over a black card, then as
    title cards; last, one word too long for the frame. Returns the frames, what each
    shows, and the render's warnings."""
    folder = tmp_path_factory.mktemp("fit")
    shown = [(kind, anchor) for kind in TEXTS for anchor in ANCHORS]
    frame = 1 / FPS
    overlays = [{"title": TEXTS[kind], "start": k * frame, "duration": frame, "position": anchor,
                 "style": {"size": SIZE}} for k, (kind, anchor) in enumerate(shown)]
    overlays.append({"title": LONG_WORD, "start": len(shown) * frame, "duration": frame, "style": {"size": 120}})
    cards = [{"title": TEXTS[kind], "duration": frame, "background": "black",
              "style": {"size": SIZE, "position": anchor}} for kind, anchor in shown]
    edl = write_edl(folder, "fit.yaml", {
        "version": 1, "output": {"size": f"{W}x{H}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 10}},
        "video": [{"color": "black", "duration": (len(shown) + 1) * frame}, *cards], "overlays": overlays})
    result = assembler.render(edl, folder / "fit.mp4", cache=False)
    frames = frames_of(result.path)
    labels = [("overlay", *s) for s in shown] + [("overlay", "long word", "center")] + [("card", *s) for s in shown]
    assert len(frames) == len(labels)
    return list(zip(labels, frames)), result.warnings


def test_text_never_reaches_the_frames_outer_margin(rendered):
    frames, _ = rendered
    for label, gray in frames:
        ink = gray > 90
        assert ink.sum() > 500, f"{label}: no text drawn"
        assert not ink[:EDGE_Y].any() and not ink[-EDGE_Y:].any(), f"{label}: text in the top or bottom 2 %"
        assert not ink[:, :EDGE_X].any() and not ink[:, -EDGE_X:].any(), f"{label}: text in the left or right 2 %"


def test_long_lines_wrap_and_the_block_sits_at_its_anchor(rendered):
    frames, _ = rendered
    for (where, kind, anchor), gray in frames:
        if kind == "long word":
            continue
        ink = gray > 90
        lines = bands(ink)
        assert len(lines) >= 2, f"{where} {kind} {anchor}: one line ({lines})"
        left, right = columns(ink)
        top, bottom = lines[0][0], lines[-1][1]
        label = f"{where} {kind} {anchor}: ink {left}-{right} x {top}-{bottom}"
        if "left" in anchor:
            assert abs(left - MARGIN) <= 2, label
        elif "right" in anchor:
            assert abs(right - (W - MARGIN)) <= 2, label
        else:
            assert abs((left + right) / 2 - W / 2) <= 2, label
        if "top" in anchor:
            assert abs(top - MARGIN) <= 2, label
        elif "bottom" in anchor:
            assert abs(bottom - (H - MARGIN)) <= 2, label
        else:
            assert abs((top + bottom) / 2 - H / 2) <= 2, label
        # Every line keeps the anchor's alignment: left, right, or centred.
        for y0, y1 in lines:
            a, b = columns(ink[y0:y1])
            if "left" in anchor:
                assert abs(a - left) <= 3, f"{label}: line {y0}-{y1} starts at {a}"
            elif "right" in anchor:
                assert abs(b - right) <= 3, f"{label}: line {y0}-{y1} ends at {b}"
            else:
                assert abs((a + b) / 2 - W / 2) <= 3, f"{label}: line {y0}-{y1} is not centred"


def test_a_word_too_wide_for_the_frame_shrinks_to_fit(rendered):
    frames, warnings = rendered
    gray = next(g for (where, kind, _a), g in frames if kind == "long word")
    ink = gray > 90
    left, right = columns(ink)
    assert len(bands(ink)) == 1  # one word: shrunk, never split
    assert right - left <= 0.9 * W + 2 and right - left > 0.8 * W  # as large as it fits
    shrunk = [w for w in warnings if "shrunk" in w.message]
    assert [w.path for w in shrunk] == [f"overlays[{len(TEXTS) * len(ANCHORS)}].title"]


def test_wrapping_and_shrinking_are_warned_with_file_and_line(tmp_path):
    edl = tmp_path / "ep.yaml"
    edl.write_text("version: 1\n"
                   f"output: {{size: {W}x{H}}}\n"
                   "video:\n"
                   f"  - title: \"{TEXTS['english']}\"\n"
                   "    style: {size: 64}\n"
                   "  - title: Short\n"
                   "overlays:\n"
                   f"  - title: \"{LONG_WORD}\"\n"
                   "    style: {size: 150}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(edl)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "ep.yaml:4: video[0].title: warning: wrapped into 2 lines to fit the frame" in said
    assert "ep.yaml:8: overlays[0].title: warning: shrunk to" in said
    assert not [line for line in said.splitlines() if "warning" in line and "video[1]" in line]  # short: fits


def test_latin_words_are_never_split_and_cjk_breaks_anywhere_but_before_closing_marks():
    english = "Antidisestablishmentarianism and extraordinarily incomprehensible circumlocutions continue"
    for size in range(14, 40, 3):
        lettering = set_text(english, SC, size, (W, H), "bottom-left")
        lines = _lines(lettering)
        assert " ".join(lines) == english, size  # whole words, broken only where a space was
    assert len(_lines(set_text(english, SC, 30, (W, H), "bottom-left"))) >= 2
    chinese = TEXTS["chinese"] + "一、二、三，四！五？「六」（七）八。" * 4  # half the places to break are before a mark
    for size in range(14, 40):
        lines = _lines(set_text(chinese, SC, size, (W, H), "center"))
        assert "".join(lines) == chinese
        assert not any(line[0] in "，。、！？」）" or line[-1] in "「（" for line in lines), lines
    assert len(_lines(set_text(chinese, SC, 30, (W, H), "center"))) >= 3


def _lines(lettering) -> list[str]:
    """The text of each line (texts without a middle dot or quotes: one run a line)."""
    ys = [run.y for run in lettering.runs]
    assert len(set(ys)) == len(ys) and ys == sorted(ys)
    return [run.text for run in lettering.runs]


def test_a_middle_dot_draws_as_latin_not_full_width(tmp_path):
    """In the default face (Noto Sans CJK SC) U+00B7 is a full-width glyph (GB 18030): a
    title draws it from the collection's proportional face, so `a·a` stays tight."""
    size = 90  # pixels: size 270 on a 360-line frame
    edl = write_edl(tmp_path, "dot.yaml", {
        "version": 1, "output": {"size": f"{W}x{H}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 10}},
        "video": [{"title": "l\u00b7l", "duration": 0.25, "background": "black", "style": {"size": 270}}]})
    gray = frames_of(assembler.render(edl, tmp_path / "dot.mp4", cache=False).path)[0]
    ink = gray > 90
    xs = np.nonzero(ink.any(axis=0))[0]
    pieces = np.split(xs, np.nonzero(np.diff(xs) > 1)[0] + 1)  # l, the dot, l
    assert len(pieces) == 3
    step = pieces[2][0] - pieces[0][0]  # from one l to the next: l's advance and the dot's
    sc = ImageFont.truetype(str(BUNDLED_FONT), size, index=2)
    l_advance, full = sc.getlength("l"), sc.getlength("\u00b7")
    assert full == size  # the face's own dot is full-width: what is being fixed
    assert step < l_advance + 0.7 * size, f"the dot takes {step - l_advance:.0f} px, full width is {full:.0f}"
    assert len(pieces[1]) < 0.2 * size  # a small dot, not the CJK one


def test_quotes_touching_latin_are_proportional_and_stay_full_width_in_chinese():
    english = set_text("\u201cHello\u201d, it\u2019s me", SC, 40, (W, H), "center")
    chinese = set_text("他说\u201c你好\u201d", SC, 40, (W, H), "center")
    latin_marks = [run.text for run in english.runs if run.index != SC.index]
    assert latin_marks == ["\u201c", "\u201d", "\u2019"]  # from the proportional face of the collection
    assert [run.index for run in chinese.runs] == [SC.index]  # Chinese keeps its full-width quotes
    opening, hello = english.runs[:2]
    assert hello.x - opening.x < 0.6 * 40  # the pen moved by a Latin quote's advance, not a full em


def test_a_centre_given_as_fractions_is_kept_where_the_text_fits_and_moved_into_the_frame_with_a_warning(tmp_path):
    edl = write_edl(tmp_path, "edge.yaml", {
        "version": 1, "output": {"size": f"{W}x{H}"}, "video": [{"color": "black", "duration": 1}],
        "overlays": [{"title": TEXTS["english"], "position": {"x": 0.9, "y": 0.5}},
                     {"title": "Fits", "position": {"x": 0.25, "y": 0.75}}]})
    timeline = assembler.check(edl)
    far, near = (own(timeline).boxes[overlay.index] for overlay in timeline.overlays)
    assert far.x + far.width == W - MARGIN and abs(far.y + far.height / 2 - 0.5 * H) <= 1  # moved the least
    assert abs(near.x + near.width / 2 - 0.25 * W) <= 1 and abs(near.y + near.height / 2 - 0.75 * H) <= 1
    said = [(w.path, w.message) for w in timeline.warnings]
    assert ("overlays[0].title", "moved into the frame: its centre at {x: 0.9, y: 0.5} would put it outside") in said
    assert not any(path == "overlays[1].title" for path, _ in said)


def test_a_file_that_is_no_font_is_a_problem_before_anything_is_drawn(tmp_path):
    (tmp_path / "bad.ttf").write_text("not a font")
    edl = write_edl(tmp_path, "bad.yaml", {"version": 1, "video": [{"title": "Hi", "style": {"font": "bad.ttf"}}],
                                           "overlays": [{"title": "Yo", "style": {"font": "bad.ttf"}}]})
    with pytest.raises(assembler.EdlError) as caught:
        assembler.check(edl)
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("video[0].style.font", "bad.ttf cannot be read as a font"),
        ("overlays[0].style.font", "bad.ttf cannot be read as a font")]
    assert all(p.line for p in caught.value.problems)
