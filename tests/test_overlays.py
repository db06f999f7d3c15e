"""Overlays measured in the frame: position, size, opacity, transparency, fades, order,
timing to the frame, picture-in-picture clips, text layers, and no seam across segments."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

import assembler
from assembler.errors import EdlError
from conftest import write_edl
from media_tools import count_frames, frame_rgb

FPS = 24
W, H = 640, 360
MARGIN = round(0.05 * H)


def at(frame: int) -> float:
    return (frame + 0.5) / FPS


def box_of(mask: np.ndarray) -> tuple[int, int, int, int]:
    """(x, y, width, height) of the pixels set in a mask."""
    ys, xs = np.nonzero(mask)
    return int(xs.min()), int(ys.min()), int(xs.max() - xs.min() + 1), int(ys.max() - ys.min() + 1)


def reddish(rgb: np.ndarray) -> np.ndarray:
    rgb = rgb.astype(int)
    return (rgb[..., 0] > 100) & (rgb[..., 1] < 60)


@pytest.fixture(scope="module")
def logo(tmp_path_factory):
    """A red 100x50 block inside a transparent 20-pixel border (140x90 in all)."""
    folder = tmp_path_factory.mktemp("logo")
    image = Image.new("RGBA", (140, 90), (0, 0, 0, 0))
    ImageDraw.Draw(image).rectangle((20, 20, 119, 69), fill=(255, 0, 0, 255))
    image.save(folder / "logo.png")
    return folder


def render(folder, overlays, video=None, name="ep", **kwargs):
    edl = write_edl(folder, f"{name}.yaml", {
        "version": 1, "output": {"size": f"{W}x{H}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 12}},
        "video": video or [{"color": "blue", "duration": 2}], "overlays": overlays})
    out = folder / f"{name}.mp4"
    assembler.render(edl, out, cache=kwargs.get("cache", False), single=kwargs.get("single", False))
    return out


def test_named_position_scale_and_transparency(logo):
    out = render(logo, [{"image": str(logo / "logo.png"), "position": "top-right", "scale": 0.35}])
    # 0.35 of 640 = 224 wide (even), 144 high; the block is 100/140 of that.
    x, y, w, h = box_of(reddish(frame_rgb(out, at(10))))
    left, top = W - 224 - MARGIN, MARGIN
    assert abs(x - (left + 32)) <= 2 and abs(y - (top + 32)) <= 2
    assert abs(w - 160) <= 3 and abs(h - 80) <= 3
    border = frame_rgb(out, at(10))[top + 4, left + 4].astype(int)
    assert border[2] > 200 and border[0] < 30  # the transparent border shows the blue picture


def test_fraction_position_opacity_and_timing(logo):
    out = render(logo, [{"image": str(logo / "logo.png"), "position": {"x": 0.25, "y": 0.75}, "start": "12f",
                         "end": "36f", "opacity": 0.5}])
    assert count_frames(out) == 48
    x, y, w, h = box_of(reddish(frame_rgb(out, at(12))))
    assert abs((x + w / 2) - 0.25 * W) <= 2 and abs((y + h / 2) - 0.75 * H) <= 2  # centred there
    r, g, b = frame_rgb(out, at(20))[round(0.75 * H), round(0.25 * W)].astype(int)
    assert abs(r - 128) <= 12 and abs(b - 128) <= 12 and g < 20  # half red over blue
    assert not reddish(frame_rgb(out, at(11))).any() and not reddish(frame_rgb(out, at(36))).any()
    assert reddish(frame_rgb(out, at(35))).sum() > 1000


def test_fades_rise_and_fall_frame_by_frame(logo):
    out = render(logo, [{"color": "white", "scale": 0.5, "fade_in": 0.5, "fade_out": 0.5}])
    levels = [frame_rgb(out, at(n))[H // 2, W // 2].astype(int)[0] for n in range(48)]
    rise, fall = levels[:12], levels[36:]
    assert all(b > a for a, b in zip(rise, rise[1:])) and rise[0] < 40
    assert all(b < a for a, b in zip(fall, fall[1:])) and fall[-1] < 40
    assert all(v > 230 for v in levels[12:36])


def test_later_layers_are_on_top_and_a_clip_plays_inside(media, logo):
    out = render(logo, [{"color": "white", "scale": 0.5},
                        {"clip": str(media / "steps.mp4"), "in": 1, "scale": 0.25, "position": "center"},
                        {"color": "red", "scale": 0.1, "position": "center"}])
    middle = frame_rgb(out, at(6))
    assert middle[H // 2, W // 2][0] > 200 and middle[H // 2, W // 2][1] < 40  # red on top
    pip = middle[H // 2 + 30, W // 2]  # inside the clip, outside the red square: steps shows green at 1 s
    assert pip[1] > 100 and pip[0] < 60
    later = frame_rgb(out, at(30))[H // 2 + 30, W // 2]  # 1.25 s later: blue in the clip (2 s in)
    assert later[2] > 200 and later[0] < 60
    assert frame_rgb(out, at(6))[H // 2 + 80, W // 2].min() > 220  # the white layer under it


def test_text_layer(logo):
    out = render(logo, [{"title": "Lower third 下三分之一", "start": 0.5, "duration": 1, "position": "bottom",
                         "style": {"size": 72, "color": "yellow"}}])
    def text(frame):
        rgb = frame_rgb(out, at(frame))[H // 2:].astype(int)
        return ((rgb[..., 0] > 150) & (rgb[..., 1] > 150)).sum()
    assert text(11) == 0 and text(12) > 100 and text(35) > 100 and text(36) == 0


def test_layers_across_segments_have_no_seam(logo, tmp_path):
    """A 12 s timeline is two segments; a fading, moving-picture layer over the seam looks
    as in one graph."""
    overlays = [{"image": str(logo / "logo.png"), "position": "top-left", "scale": 0.3, "start": 4, "end": 8,
                 "fade_in": 2, "fade_out": 1.5, "opacity": 0.9},
                {"title": "Across", "start": 5, "end": 7, "fade_in": 1.5, "position": "top"}]
    video = [{"color": "blue", "duration": 12}]
    one = render(tmp_path, overlays, video, name="one", single=True)
    many = render(tmp_path, overlays, video, name="many")
    for frame in range(5 * FPS, 7 * FPS, 4):
        a, b = frame_rgb(one, at(frame)).astype(int), frame_rgb(many, at(frame)).astype(int)
        assert np.abs(a - b).max() <= 12, frame
    assert reddish(frame_rgb(many, at(6 * FPS))).sum() > 1000


def test_overlay_problems_are_reported_with_their_place(logo, tmp_path):
    edl = write_edl(tmp_path, "bad.yaml", {
        "version": 1, "video": [{"color": "blue", "duration": 2}],
        "overlays": [{"image": "missing.png"}, {"image": str(logo / "logo.png"), "color": "red"},
                     {"color": "red", "start": 5}, {"color": "red", "duration": 1, "fade_in": 1, "fade_out": 1}]})
    with pytest.raises(EdlError) as caught:
        assembler.check(edl)
    paths = [p.path for p in caught.value.problems]
    assert paths == ["overlays[0].image", "overlays[1]", "overlays[2].start", "overlays[3].fade_out"]
    assert all(p.line for p in caught.value.problems)


def test_check_shows_each_layer_where_it_goes(logo):
    import subprocess
    import sys
    edl = write_edl(logo, "shown.yaml", {"version": 1, "output": {"size": f"{W}x{H}"},
                                         "video": [{"color": "blue", "duration": 2}],
                                         "overlays": [{"image": str(logo / "logo.png"), "position": "top-right",
                                                       "scale": 0.35, "start": 0.5}]})
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(edl)], capture_output=True, text=True)
    assert done.returncode == 0
    row = next(line for line in done.stdout.splitlines() if "overlays[0]" in line)
    assert "logo.png" in row and f"{W - 224 - MARGIN}, {MARGIN}" in row and "224x144" in row


def test_contact_sheet_draws_layers_and_subtitles(logo, tmp_path):
    from assembler.review.sheet import THUMB_WIDTH, contact_sheet
    edl = write_edl(tmp_path, "sheet.yaml", {
        "version": 1, "output": {"size": f"{W}x{H}"},
        "video": [{"color": "blue", "duration": 2, "subtitles": [{"start": 0, "end": 2, "text": "HELLO 你好"}]}],
        "overlays": [{"image": str(logo / "logo.png"), "position": "top-right", "scale": 0.35}],
        "subtitles": {"style": {"size": 120}}})
    sheet = np.asarray(contact_sheet(assembler.check(edl))).astype(int)
    pad, s = 8, THUMB_WIDTH / W
    tile = sheet[pad:pad + round(H * s), pad:pad + THUMB_WIDTH]
    x, y, w, h = box_of(reddish(tile))  # the logo's red block, scaled to the tile
    assert abs(x - (W - 224 - MARGIN + 32) * s) <= 2 and abs(y - (MARGIN + 32) * s) <= 2 and abs(w - 160 * s) <= 2
    lower = tile[tile.shape[0] // 2:]
    assert ((lower[..., 0] > 200) & (lower[..., 1] > 200)).sum() > 20  # the subtitle, white on blue
