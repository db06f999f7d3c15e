"""Text at the frame's edges and between words: a centre given as fractions that would put
the block outside moves it into the title-safe area (and says so, with file and line);
tabs and other spaces are gaps, never boxes, in the render and the contact sheet alike;
Korean breaks between words, not inside them; the sheet's captions stay under their tile."""

from __future__ import annotations

import subprocess
import sys

import av
import numpy as np
import pytest
from PIL import ImageFont

import assembler
from assembler.review.sheet import THUMB_WIDTH, _caption, contact_sheet
from assembler.layout.typeset import set_text
from assembler.timeline.sources import BUNDLED_FONT, Face
from conftest import write_edl

W, H, FPS = 640, 360, 4
SAFE = round(0.05 * H)  # the title-safe area: 5 % of the height in from every edge
SC = Face("Noto Sans CJK SC", BUNDLED_FONT, 2)
OUTPUT = {"size": f"{W}x{H}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 10}}
FRAME = 1 / FPS


def frames_of(path) -> list[np.ndarray]:
    with av.open(str(path)) as container:
        return [f.to_ndarray(format="gray").astype(int) for f in container.decode(video=0)]


def ink_box(gray: np.ndarray) -> tuple[int, int, int, int]:
    """left, top, right, bottom (exclusive) of the text's pixels."""
    ys, xs = np.nonzero(gray > 90)
    assert len(xs) > 50, "no text drawn"
    return int(xs.min()), int(ys.min()), int(xs.max()) + 1, int(ys.max()) + 1


def pieces(gray: np.ndarray) -> list[tuple[int, int]]:
    """Runs of inked columns, left to right (``[start, end)``)."""
    xs = np.nonzero((gray > 90).any(axis=0))[0]
    return [(int(p[0]), int(p[-1]) + 1) for p in np.split(xs, np.nonzero(np.diff(xs) > 1)[0] + 1)]


# ------------------------------------------------------------------ a centre near the edge

CENTRES = [(0.97, 0.97), (0.03, 0.03), (0.97, 0.5), (0.5, 0.02), (0.25, 0.75)]  # the last fits where it is


@pytest.fixture(scope="module")
def near_the_edge(tmp_path_factory):
    folder = tmp_path_factory.mktemp("edge")
    overlays = [{"title": "Lower third", "start": k * FRAME, "duration": FRAME, "position": {"x": x, "y": y}}
                for k, (x, y) in enumerate(CENTRES)]
    cards = [{"title": "Lower third", "duration": FRAME, "background": "black",
              "style": {"position": {"x": x, "y": y}}} for x, y in CENTRES]
    edl = write_edl(folder, "edge.yaml", {"version": 1, "output": OUTPUT, "overlays": overlays,
                                          "video": [{"color": "black", "duration": len(CENTRES) * FRAME}, *cards]})
    result = assembler.render(edl, folder / "edge.mp4", cache=False)
    frames = frames_of(result.path)
    assert len(frames) == 2 * len(CENTRES)
    return frames, result.warnings


def test_a_centre_that_would_put_text_outside_moves_it_the_least_into_the_title_safe_area(near_the_edge):
    frames, _ = near_the_edge
    for k, gray in enumerate(frames):
        x, y = CENTRES[k % len(CENTRES)]
        left, top, right, bottom = ink_box(gray)
        label = f"{'card' if k >= len(CENTRES) else 'overlay'} at {x}, {y}: ink {left}-{right} x {top}-{bottom}"
        assert left >= SAFE - 1 and right <= W - SAFE + 1 and top >= SAFE - 1 and bottom <= H - SAFE + 1, label
        # On each axis: the centre kept where the block fits, else the edge of the safe area reached.
        assert abs(_expected(x, left, right, W)) <= 2, label
        assert abs(_expected(y, top, bottom, H)) <= 2, label


def _expected(fraction: float, low: int, high: int, size: int) -> float:
    """How far the ink along one axis lies from where it belongs: its centre at the fraction,
    or (near an edge, where the centre would push it out) its edge on the title-safe area's."""
    if fraction > 0.9:
        return high - (size - SAFE)
    if fraction < 0.1:
        return low - SAFE
    return (low + high) / 2 - fraction * size


def test_moving_text_into_the_frame_is_warned_for_each_layer_and_card_that_moved(near_the_edge):
    _, warnings = near_the_edge
    moved = [(w.path, w.message) for w in warnings if "moved" in w.message]
    expected = [f"moved into the frame: its centre at {{x: {x}, y: {y}}} would put it outside" for x, y in CENTRES[:-1]]
    assert sorted(moved) == sorted([(f"overlays[{k}].title", m) for k, m in enumerate(expected)] +
                                   [(f"video[{k + 1}].title", m) for k, m in enumerate(expected)])


def test_the_move_is_warned_with_file_and_line(tmp_path):
    edl = tmp_path / "ep.yaml"
    edl.write_text("version: 1\n"
                   f"output: {{size: {W}x{H}}}\n"
                   "video:\n"
                   "  - title: Corner\n"
                   "    style: {position: {x: 0.03, y: 0.97}}\n"
                   "overlays:\n"
                   "  - title: Lower third\n"
                   "    position: {x: 0.97, y: 0.97}\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(edl)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    said = done.stdout + done.stderr
    assert "ep.yaml:4: video[0].title: warning: moved into the frame: its centre at {x: 0.03, y: 0.97} would " \
           "put it outside" in said
    assert "ep.yaml:7: overlays[0].title: warning: moved into the frame: its centre at {x: 0.97, y: 0.97} would " \
           "put it outside" in said


def test_a_portrait_frame_wraps_text_inside_the_margins_anchors_keep():
    text = "The lighthouse keeper remembers every ship that passed in the long winter"
    width, height = 360, 640
    margin = round(0.05 * height)  # wider than 5 % of the width
    for anchor in ("left", "right", "center", (0.9, 0.5)):
        left, top, w, h = set_text(text, SC, 30, (width, height), anchor).box
        assert left >= margin - 1 and left + w <= width - margin + 1, (anchor, left, left + w)


# ------------------------------------------------------------------ spaces

SPACED = [("and\ttabs", "and tabs"), ("a\u00a0b", "a b")]  # drawn the same as with a plain space
WIDE = [("\u7b2c\u4e00\u3000\u4e8c", "\u7b2c\u4e00\u4e8c"), ("H\u2003I", "HI")]  # an em between the pieces
SIZE = 60  # pixels at 360 lines: size 180 of 1080


@pytest.fixture(scope="module")
def spaced(tmp_path_factory):
    folder = tmp_path_factory.mktemp("spaces")
    texts = [t for pair in SPACED + WIDE for t in pair]
    edl = write_edl(folder, "spaces.yaml", {"version": 1, "output": OUTPUT, "video": [
        {"title": t, "duration": FRAME, "background": "black", "style": {"size": 180}} for t in texts]})
    frames = frames_of(assembler.render(edl, folder / "spaces.mp4", cache=False).path)
    return dict(zip(texts, frames))


def test_a_tab_and_a_no_break_space_draw_as_a_space(spaced):
    for text, plain in SPACED:
        gray, reference = spaced[text], spaced[plain]
        assert len(pieces(gray)) >= 2, f"{text!r}: the words are glued"  # a gap between them, not a box
        assert np.abs(gray - reference).max() <= 8, f"{text!r} is not drawn as {plain!r}"


def test_ideographic_and_em_spaces_keep_their_width(spaced):
    for text, glued in WIDE:
        spaced_pieces, glued_pieces = pieces(spaced[text]), pieces(spaced[glued])
        assert len(spaced_pieces) == len(glued_pieces)
        # Centred lines: the right piece moves right by half the space, the left one left by half.
        gap = spaced_pieces[-1][0] - spaced_pieces[-2][1]
        gap_without = glued_pieces[-1][0] - glued_pieces[-2][1]
        assert abs(gap - gap_without - SIZE) <= 2, f"{text!r}: {gap - gap_without} px, an em is {SIZE}"


def test_the_contact_sheet_draws_a_tab_as_the_render_does(tmp_path):
    sheets = []
    for name, text in (("tab.yaml", "and\ttabs"), ("space.yaml", "and tabs")):
        edl = write_edl(tmp_path, name, {"version": 1, "output": OUTPUT, "video": [
            {"title": text, "duration": 1, "background": "black", "style": {"size": 180}}]})
        sheets.append(np.asarray(contact_sheet(assembler.check(edl)).convert("L")).astype(int))
    tab, space = sheets
    assert tab.shape == space.shape
    assert np.array_equal(tab, space)  # the tile and its caption: no box where the tab was
    tile = tab[8:8 + 135, 8:8 + THUMB_WIDTH]
    assert len(pieces(tile)) >= 2  # the two words apart


def test_no_break_spaces_hold_words_together():
    text = "Episode\u00a03 of the lighthouse keeper and the ship that passed\u00a0by"
    for size in range(20, 50, 3):
        lines = [run.text for run in set_text(text, SC, size, (W, H), "center").runs]
        assert " ".join(lines) == text, size  # broken only at plain spaces
        assert all(not line.startswith(("3", "by")) for line in lines), lines
    assert len(set_text(text, SC, 47, (W, H), "center").runs) >= 2


# ------------------------------------------------------------------ Korean

KOREAN = "등대지기는 폭풍이 몰아치던 긴 겨울에 지나간 모든 배를 하나도 빠짐없이 기억하고 있다"


def test_korean_breaks_between_words_and_chinese_and_japanese_anywhere():
    for size in range(18, 50, 2):
        lines = [run.text for run in set_text(KOREAN, SC, size, (W, H), "center").runs]
        assert " ".join(lines) == KOREAN, (size, lines)  # never inside a word
    assert len(set_text(KOREAN, SC, 40, (W, H), "center").runs) >= 3
    mixed = " ".join(["서울의 KBS뉴스 大韓民國은"] * 6)  # hangul against Latin or hanja is one word too
    lines = [run.text for run in set_text(mixed, SC, 36, (W, H), "center").runs]
    assert len(lines) >= 2 and " ".join(lines) == mixed
    japanese = "灯台守は長い嵐の冬に通り過ぎたすべての船を覚えている" * 2  # no spaces: breaks inside the text
    assert len(set_text(japanese, SC, 40, (W, H), "center").runs) >= 2


def test_a_korean_word_too_wide_for_the_frame_shrinks_rather_than_breaks(tmp_path):
    word = "가나다라마바사아자차카타파하" * 2
    lettering = set_text(word, SC, 40, (W, H), "center")
    assert lettering.shrunk and [run.text for run in lettering.runs] == [word]
    edl = write_edl(tmp_path, "long.yaml", {"version": 1, "output": OUTPUT, "video": [
        {"title": word, "duration": FRAME, "background": "black", "style": {"size": 120}}]})
    result = assembler.render(edl, tmp_path / "long.mp4", cache=False)
    gray = frames_of(result.path)[0]
    left, top, right, bottom = ink_box(gray)
    rows = np.nonzero((gray > 90).any(axis=1))[0]
    assert rows.max() - rows.min() < 0.1 * H  # one line
    assert 0.8 * W < right - left <= 0.9 * W + 2  # as large as it fits
    assert any("shrunk" in w.message for w in result.warnings)


# ------------------------------------------------------------------ the sheet's captions

def test_a_long_cjk_title_s_caption_stays_under_its_tile(tmp_path):
    title = "灯塔看守人记得在那个漫长的暴风雪冬天里经过的每一艘船，一艘也没有忘记。"
    edl = write_edl(tmp_path, "sheet.yaml", {"version": 1, "output": OUTPUT, "video": [
        {"title": title, "duration": 1}, {"color": "black", "duration": 1}]})
    sheet = np.asarray(contact_sheet(assembler.check(edl)).convert("RGB")).astype(int)
    pad, thumb_height = 8, 135
    caption = sheet[pad + thumb_height:pad + thumb_height + 34]
    gap = caption[:, pad + THUMB_WIDTH:2 * pad + THUMB_WIDTH]
    assert (np.abs(gap - (24, 24, 28)).max(axis=2) <= 2).all(), "the caption runs into the next tile"
    inked = np.nonzero((caption[:, :pad + THUMB_WIDTH].max(axis=2) > 120).any(axis=0))[0]
    assert inked.max() > pad + THUMB_WIDTH - 20  # cut short at the tile's edge, not dropped
    font = ImageFont.truetype(str(BUNDLED_FONT), 12)
    shown = _caption(f"video[0] title: {title}", font, THUMB_WIDTH)
    assert shown.endswith("\u2026") and font.getlength(shown) <= THUMB_WIDTH
    assert title.startswith(shown[len("video[0] title: "):-1])
    assert _caption("video[1] color: color", font, THUMB_WIDTH) == "video[1] color: color"  # fits: whole
