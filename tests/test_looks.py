"""Looks: stills in motion, 3D LUTs, and title cards over a picture. Each is rendered with
the bundled ffmpeg and measured on the decoded frames; expectations come from the EDL."""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from PIL import Image

import assembler
from conftest import write_edl
from media_tools import frame_rgb, mean_color

W, H = 320, 180


def dot_image(path: Path, at: tuple[float, float], size: tuple[int, int] = (W, H), sigma: float = 2.0) -> Path:
    """A dark picture with one small soft white dot (a Gaussian, so that its centroid is
    well defined below a pixel) at ``at`` (pixel-centre coordinates)."""
    w, h = size
    y, x = np.mgrid[0:h, 0:w]
    dot = np.exp(-((x - at[0]) ** 2 + (y - at[1]) ** 2) / (2 * sigma**2))
    grey = (16 + 239 * dot).round().clip(0, 255).astype(np.uint8)
    Image.fromarray(np.dstack([grey] * 3)).save(path)
    return path


def luma_frames(path: Path) -> list[np.ndarray]:
    with av.open(str(path)) as c:
        return [f.to_ndarray(format="gray").astype(np.float64) for f in c.decode(video=0)]


def centroid(frame: np.ndarray) -> tuple[float, float]:
    """Intensity-weighted centre of what stands above the background, sub-pixel."""
    weight = np.clip(frame - 64, 0, None)
    y, x = np.mgrid[0:frame.shape[0], 0:frame.shape[1]]
    total = weight.sum()
    assert total > 0, "the dot is gone"
    return float((weight * x).sum() / total), float((weight * y).sum() / total)


def still_edl(image: str, motion: dict | None, duration: float = 2, fps: int = 25, size: str = f"{W}x{H}",
              before: list | None = None) -> dict:
    item = {"image": image, "duration": duration, **({"motion": motion} if motion else {})}
    return {"version": 1, "output": {"size": size, "fps": fps, "video": {"preset": "ultrafast", "crf": 10}},
            "video": [*(before or []), item]}


def where_the_dot_is(n: int, total: int, zoom: tuple, focus: tuple, size: tuple[int, int],
                     dot: tuple[float, float]) -> tuple[float, float]:
    """The contract's geometry, independently: frame n of a still of ``total`` frames
    shows the window of 1/z of the frame centred on the focus (both interpolated
    linearly), slid back inside the picture; a pixel centre c lands at (c + 0.5 - left) * z - 0.5."""
    p = n / (total - 1)
    z = zoom[0] + (zoom[1] - zoom[0]) * p
    spot = []
    for axis in (0, 1):
        centre = focus[0][axis] + (focus[1][axis] - focus[0][axis]) * p
        length = size[axis]
        first = min(max(length * centre - length / z / 2, 0), length - length / z)
        spot.append((dot[axis] + 0.5 - first) * z - 0.5)
    return spot[0], spot[1]


# ----------------------------------------------------------------------------- motion

@pytest.fixture(scope="module")
def push_in(tmp_path_factory):
    """A 2 s still zooming 1 -> 1.5 on the centre; the dot sits off-centre at (240, 54)."""
    folder = tmp_path_factory.mktemp("motion")
    dot_image(folder / "dot.png", (240, 54))
    edl = still_edl("dot.png", {"zoom": [1, 1.5], "focus": [[0.5, 0.5], [0.5, 0.5]]})
    out = assembler.render(write_edl(folder, "push.yaml", edl), folder / "push.mp4", single=True).path
    return [centroid(f) for f in luma_frames(out)]


def test_push_in_starts_and_ends_at_the_zoom_asked_for(push_in):
    # Zooming about the frame's centre (159.5, 89.5 in pixel-centre coordinates) by z puts
    # the dot at centre + z * (its offset): (240, 54) -> (280.25, 36.25) at z = 1.5.
    assert len(push_in) == 50
    (x0, y0), (x1, y1) = push_in[0], push_in[-1]
    assert abs(x0 - 240) < 0.1 and abs(y0 - 54) < 0.1
    assert abs(x1 - (159.5 + 1.5 * 80.5)) < 0.1 and abs(y1 - (89.5 - 1.5 * 35.5)) < 0.1


def test_push_in_moves_smoothly_frame_to_frame(push_in):
    """No step backwards, no stall, no jump: every step within a factor of the mean."""
    for axis, sign in ((0, 1), (1, -1)):  # away from the centre: right and up
        steps = np.diff([c[axis] for c in push_in]) * sign
        mean = steps.mean()
        assert mean > 0
        assert steps.min() > 0.6 * mean and steps.max() < 1.4 * mean, (axis, steps.min(), mean, steps.max())


def test_focus_pans_and_the_view_stays_inside_the_picture(tmp_path):
    """Zoom 2 held, focus from the left edge to the right edge over 25 frames: the window
    (half the frame) cannot go past the picture's edges, so it waits at the left until the
    focus reaches 1/4, pans at an even pace, and waits at the right from 3/4 on."""
    dot_image(tmp_path / "dot.png", (160, 90))
    edl = still_edl("dot.png", {"zoom": [2, 2], "focus": [[0, 0.5], [1, 0.5]]}, duration=1)
    out = assembler.render(write_edl(tmp_path, "pan.yaml", edl), tmp_path / "pan.mp4", single=True).path
    dots = [centroid(f) for f in luma_frames(out)]
    assert len(dots) == 25
    for n, (x, y) in enumerate(dots):
        left = min(max(320 * n / 24 - 80, 0), 160)  # the window's left edge on the picture
        if 7 <= n <= 17:  # the dot wholly in view
            assert abs(x - ((160.5 - left) * 2 - 0.5)) < 0.1, n
        assert abs(y - 90.5) < 0.1  # (90.5 - 45) * 2 - 0.5
    held = [x for x, _ in dots[:7]], [x for x, _ in dots[18:]]
    assert all(max(run) - min(run) < 0.05 for run in held), "the window left the picture"
    assert held[0][0] > 300 and held[1][0] < 5


def test_motion_is_the_same_when_cut_into_segments(tmp_path):
    """An 11 s still after a dissolve: the segments (the join, two bodies) each start inside
    the still, and every frame matches the single-graph render."""
    dot_image(tmp_path / "dot.png", (100, 40), size=(160, 90), sigma=1.5)
    edl = still_edl("dot.png", {"zoom": [1, 1.6], "focus": [[0.4, 0.6], [0.7, 0.3]]}, duration=11, fps=10,
                    size="160x90", before=[{"color": "black", "duration": 1}, {"transition": "dissolve"}])
    path = write_edl(tmp_path, "long.yaml", edl)
    one = assembler.render(path, tmp_path / "one.mp4", single=True)
    many = assembler.render(path, tmp_path / "many.mp4", cache=False)
    assert many.segments >= 3 and one.frames == many.frames == 115
    a, b = luma_frames(one.path), luma_frames(many.path)
    assert len(a) == len(b) == 115
    worst = max(np.abs(x - y).mean() for x, y in zip(a, b))
    assert worst < 1.0, f"a frame differs by {worst:.2f} on average"
    # The still starts at frame 5 (after 10 frames of black and a 5-frame dissolve) and is
    # 110 frames long; past the dissolve, the dot is where the whole move puts it.
    for t in range(10, 115):
        x, y = centroid(b[t])
        ex, ey = where_the_dot_is(t - 5, 110, (1, 1.6), ((0.4, 0.6), (0.7, 0.3)), (160, 90), (100, 40))
        assert abs(x - ex) < 0.15 and abs(y - ey) < 0.15, (t, x, y, ex, ey)


@pytest.mark.parametrize("motion, field, words", [
    ("{zoom: [0.5, 1]}", "video[0].motion.zoom[0]", "greater than or equal to 1"),
    ("{zoom: [1, 20]}", "video[0].motion.zoom[1]", "less than or equal to 8"),
    ("{focus: [[0.5, 1.5], [0.5, 0.5]]}", "video[0].motion.focus[0][1]", "less than or equal to 1"),
    ("{zoom: [1, 2], pan: 1}", "video[0].motion.pan", "unknown field"),
])
def test_bad_motion_is_an_error_with_its_line(media, tmp_path, motion, field, words):
    path = tmp_path / "ep.yaml"
    path.write_text(f"version: 1\nvideo:\n  - image: {media / 'still.png'}\n    duration: 1\n    motion: {motion}\n")
    with pytest.raises(assembler.EdlError) as info:
        assembler.check(path)
    [problem] = info.value.problems
    assert (problem.path, problem.line) == (field, 5) and words in problem.message, problem


def test_motion_is_no_longer_reported_as_not_rendered(media, tmp_path):
    path = write_edl(tmp_path, "ep.yaml", still_edl(str(media / "still.png"), {"zoom": [1, 1.2]}))
    timeline = assembler.check(path)
    assert not timeline.warnings and timeline.placements[0].motion.zoom == (1, 1.2)


# ------------------------------------------------------------------------------- LUTs

def write_cube(path: Path, mapping, size: int = 2) -> Path:
    """A .cube 3D LUT of ``size``^3 points: ``mapping(r, g, b)`` -> (r, g, b), all 0..1;
    red varies fastest, as the format says."""
    lines = [f"LUT_3D_SIZE {size}"]
    steps = [i / (size - 1) for i in range(size)]
    for b in steps:
        for g in steps:
            for r in steps:
                lines.append(" ".join(f"{v:.6f}" for v in mapping(r, g, b)))
    path.write_text("\n".join(lines) + "\n")
    return path


def swap(r, g, b):
    return b, g, r


def same(r, g, b):
    return r, g, b


def near(measured, expected, tol=12.0) -> bool:
    return all(abs(m - e) <= tol for m, e in zip(measured, expected))


def lut_edl(video: list, lut: str | None = None, crf: int = 10) -> dict:
    output = {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast", "crf": crf}}
    return {"version": 1, "output": {**output, **({"lut": lut} if lut else {})}, "video": video}


def test_a_clips_lut_swaps_red_and_blue(media, tmp_path):
    write_cube(tmp_path / "swap.cube", swap)
    edl = lut_edl([{"clip": str(media / "red.mp4"), "out": 0.4, "lut": "swap.cube"},
                   {"clip": str(media / "red.mp4"), "out": 0.4}])
    out = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "ep.mp4", cache=False).path
    assert near(mean_color(out, 0.2), (0, 0, 255))
    assert near(mean_color(out, 0.6), (255, 0, 0))  # the next clip has no LUT


def test_the_output_lut_applies_to_every_item_after_a_clips_own(media, tmp_path):
    write_cube(tmp_path / "swap.cube", swap)
    edl = lut_edl([{"color": "red", "duration": 0.4},
                   {"clip": str(media / "red.mp4"), "out": 0.4, "lut": "swap.cube"},  # swapped twice: red
                   {"title": "", "duration": 0.4, "background": "#FF8000"},
                   {"image": str(media / "still.png"), "duration": 0.4}], lut="swap.cube")
    out = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "ep.mp4", single=True).path
    assert near(mean_color(out, 0.2), (0, 0, 255))
    assert near(mean_color(out, 0.6), (255, 0, 0))
    assert near(mean_color(out, 1.0), (0, 128, 255))
    assert near(mean_color(out, 1.4, box=(0.4, 0.4, 0.6, 0.6)), (128, 0, 128))  # purple is its own swap


@pytest.mark.parametrize("source", ["smptebars", "testsrc2"])
def test_an_identity_lut_keeps_colour_bars(tmp_path, source):
    """17^3 points of identity on 4:2:0 bars: within a few code values of the same render
    without a LUT, edges included (BT.709 both ways; the chroma round trip is exact).
    Lossless encodes, so that what is measured is the pipeline, not the encoder."""
    from media_tools import BITEXACT, run_ffmpeg
    run_ffmpeg("-f", "lavfi", "-i", f"{source}=s=160x90:r=25:d=1", "-c:v", "libx264", "-preset", "ultrafast",
               "-qp", "0", "-pix_fmt", "yuv420p", *BITEXACT, str(tmp_path / "bars.mp4"))
    write_cube(tmp_path / "same.cube", same, size=17)
    plain = assembler.render(write_edl(tmp_path, "a.yaml", lut_edl([{"clip": "bars.mp4"}], crf=0)), tmp_path / "a.mp4",
                             single=True).path
    graded = assembler.render(write_edl(tmp_path, "b.yaml", lut_edl([{"clip": "bars.mp4"}], lut="same.cube", crf=0)),
                              tmp_path / "b.mp4", single=True).path
    for t in (0.1, 0.5, 0.9):
        diff = np.abs(frame_rgb(plain, t).astype(int) - frame_rgb(graded, t).astype(int))
        assert diff.mean() < 0.6 and np.percentile(diff, 99) <= 3, (t, diff.mean(), np.percentile(diff, 99))


def test_a_changed_lut_file_renders_again(media, tmp_path):
    lut = write_cube(tmp_path / "look.cube", swap)
    path = write_edl(tmp_path, "ep.yaml", lut_edl([{"clip": str(media / "red.mp4"), "out": 0.4}], lut="look.cube"))
    first = assembler.render(path, tmp_path / "a.mp4", cache=tmp_path / "cache")
    assert near(mean_color(first.path, 0.2), (0, 0, 255))
    write_cube(lut, same)  # same name, new content
    second = assembler.render(path, tmp_path / "b.mp4", cache=tmp_path / "cache")
    assert second.rendered == second.segments > 0
    assert near(mean_color(second.path, 0.2), (255, 0, 0))


@pytest.mark.parametrize("where, value, words", [
    ("clip", "missing.cube", "does not exist"),
    ("clip", "look.png", "not a 3D LUT"),
    ("output", "missing.3dl", "does not exist"),
    ("output", "look.txt", "not a 3D LUT"),
])
def test_a_bad_lut_is_an_error_with_its_line(media, tmp_path, where, value, words):
    clip_lut = f"\n    lut: {value}" if where == "clip" else ""
    output_lut = f"\n  lut: {value}" if where == "output" else ""
    path = tmp_path / "ep.yaml"
    path.write_text(f"version: 1\noutput:\n  fps: 25{output_lut}\nvideo:\n  - clip: {media / 'red.mp4'}{clip_lut}\n")
    with pytest.raises(assembler.EdlError) as info:
        assembler.check(path)
    [problem] = info.value.problems
    field, line = ("video[0].lut", 6) if where == "clip" else ("output.lut", 4)
    assert (problem.path, problem.line) == (field, line) and words in problem.message, problem


# ------------------------------------------------------------------- title over a picture

def test_a_title_stands_on_its_background_picture(tmp_path):
    """A 640x180 picture, red left half and blue right half, behind a centred title: fitted
    by cover into 320x180 it loses a quarter at each side, so the middle half shows."""
    picture = np.zeros((180, 640, 3), np.uint8)
    picture[:, :320] = (255, 0, 0)
    picture[:, 320:] = (0, 0, 255)
    Image.fromarray(picture).save(tmp_path / "wall.png")
    edl = {"version": 1, "output": {"size": f"{W}x{H}", "fps": 25, "video": {"preset": "ultrafast", "crf": 10}},
           "video": [{"title": "Hi", "duration": 1, "background": "wall.png", "style": {"size": 300}},
                     {"title": "Hi", "duration": 1, "background": "navy"}]}
    out = assembler.render(write_edl(tmp_path, "t.yaml", edl), tmp_path / "t.mp4", cache=False).path
    assert near(mean_color(out, 0.5, box=(0.02, 0.05, 0.2, 0.2)), (255, 0, 0))   # away from the text
    assert near(mean_color(out, 0.5, box=(0.8, 0.05, 0.98, 0.2)), (0, 0, 255))
    frame = frame_rgb(out, 0.5)
    assert (frame.min(axis=2) > 200)[40:140, 100:220].sum() > 200, "the text is missing"
    assert near(mean_color(out, 1.5, box=(0.02, 0.05, 0.2, 0.2)), (0, 0, 128))   # a colour is still a colour


def test_a_missing_background_picture_is_an_error_with_its_line(tmp_path):
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\nvideo:\n  - title: Hello\n    background: looks/wall.jpg\n")
    with pytest.raises(assembler.EdlError) as info:
        assembler.check(path)
    [problem] = info.value.problems
    assert (problem.path, problem.line) == ("video[0].background", 4) and "does not exist" in problem.message


def test_a_push_in_shows_the_detail_of_a_large_still(tmp_path):
    """Fine stripes one source pixel wide, in a still twice the output's size: zoomed in 2x
    they are drawn from the source itself (warped at twice the output size), not from an
    enlargement of the fitted picture, where they would have averaged to grey."""
    from PIL import Image
    stripes = np.zeros((360, 640), np.uint8)
    stripes[:, ::2] = 255
    Image.fromarray(stripes).convert("RGB").save(tmp_path / "stripes.png")
    edl = still_edl("stripes.png", {"zoom": [2, 2]}, duration=0.2)
    out = tmp_path / "stripes.mp4"
    write_edl(tmp_path, "stripes.yaml", edl)
    assembler.render(tmp_path / "stripes.yaml", out, cache=False, single=True)
    middle = frame_rgb(out, 0.1)[60:120, 120:200, 1].astype(float)
    assert middle.std() > 60  # the stripes, at full contrast (grey would be ~0)


def test_a_title_picture_with_transparency_stands_on_the_background(tmp_path):
    picture = np.zeros((180, 320, 4), np.uint8)
    picture[:, :160] = (0, 255, 0, 255)  # the left half opaque green, the right half transparent
    Image.fromarray(picture, "RGBA").save(tmp_path / "half.png")
    edl = {"version": 1, "output": {"size": f"{W}x{H}", "fps": 25, "background": "#800080",
                                    "video": {"preset": "ultrafast", "crf": 10}},
           "video": [{"title": "", "duration": 1, "background": "half.png"}]}
    out = assembler.render(write_edl(tmp_path, "t.yaml", edl), tmp_path / "t.mp4", cache=False).path
    assert near(mean_color(out, 0.5, box=(0.05, 0.2, 0.4, 0.8)), (0, 255, 0))
    assert near(mean_color(out, 0.5, box=(0.6, 0.2, 0.95, 0.8)), (128, 0, 128))  # not black
