"""A `cover` crop that follows the subject (issue 13, point 3: `focus`): a 16:9 picture
into a 9:16 frame keeps the item's focus point in the frame, as near its centre as the
picture allows, fixed or eased between keyframes on the item's own clock, continuous
across segments; nothing changes without it, nor where cover crops nothing. Every check
decodes the real output: the colour at the frame's centre says where the crop looks."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import pytest

import assembler
from assembler.errors import EdlError
from conftest import write_edl
from media_tools import count_frames, frame_rgb, make_clip, mean_color, run_ffmpeg, BITEXACT

FPS = 25
BLUE, GREEN, RED, WHITE = (0, 0, 255), (0, 255, 0), (255, 0, 0), (255, 255, 255)
CENTRE = (0.45, 0.45, 0.55, 0.55)


def near(measured, expected, tol=40.0) -> bool:
    return all(abs(m - e) <= tol for m, e in zip(measured, expected))


def at(frame: int) -> float:
    return (frame + 0.5) / FPS


def _thirds(path: Path, colours: tuple[str, str, str], seconds: int = 3, still: bool = False) -> Path:
    """640x360 in three upright bands, left to right (213, 214, 213 pixels)."""
    a, b, c = colours
    graph = (f"color={a}:s=213x360:r={FPS}[a];color={b}:s=214x360:r={FPS}[b];color={c}:s=213x360:r={FPS}[c];"
             f"[a][b][c]hstack=3,trim=end_frame={1 if still else seconds * FPS}")
    codec = ["-frames:v", "1"] if still else ["-c:v", "libx264", "-preset", "ultrafast", "-crf", "12",
                                              "-pix_fmt", "yuv420p", "-g", str(FPS)]
    run_ffmpeg("-f", "lavfi", "-i", graph, *codec, *BITEXACT, str(path))
    return path


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("focus")
    _thirds(d / "thirds.mp4", ("blue", "lime", "red"))  # the subject: the red right third
    _thirds(d / "other.mp4", ("white", "yellow", "magenta"))  # another take of the shot
    _thirds(d / "thirds.png", ("blue", "lime", "red"), still=True)
    # A horizontal ramp: red = 255 x / width, so the centre's red says which column it shows.
    run_ffmpeg("-f", "lavfi", "-i", f"color=black:s=640x360:r={FPS},trim=end_frame={3 * FPS},"
               "geq=r='255*X/W':g=128:b=128", "-c:v", "libx264", "-preset", "ultrafast", "-qp", "0",
               "-pix_fmt", "yuv444p", "-g", str(FPS), *BITEXACT, str(d / "ramp.mp4"))
    make_clip(d / "grey.mp4", color="gray", size=(640, 360), fps=FPS, duration=2, tone=None)
    return d


def episode(folder: Path, sources: Path, *items: dict, size: str = "180x320", fit: str = "cover",
            name: str = "ep.yaml") -> Path:
    edl = {"version": 1, "output": {"size": size, "fps": FPS, "fit": fit, "background": "white",
                                    "video": {"preset": "ultrafast", "crf": 12}},
           "media_root": str(sources), "video": list(items)}
    return write_edl(folder, name, edl)


def render(path: Path, out: str = "out.mp4", **options):
    target = path.parent / out
    return target, assembler.render(path, target, cache=path.parent / "cache", **options)


def centre(path: Path, t: float) -> tuple[float, float, float]:
    return mean_color(path, t, CENTRE)


def corners(path: Path, t: float) -> list[tuple[float, float, float]]:
    boxes = [(0, 0, 0.05, 0.05), (0.95, 0, 1, 0.05), (0, 0.95, 0.05, 1), (0.95, 0.95, 1, 1)]
    return [mean_color(path, t, box) for box in boxes]


def test_a_fixed_focus_keeps_the_subject_in_a_vertical_frame(sources, tmp_path):
    clip = {"clip": "thirds.mp4", "duration": 1}
    plain, _ = render(episode(tmp_path, sources, clip, name="plain.yaml"), "plain.mp4")
    right, result = render(episode(tmp_path, sources, {**clip, "focus": {"x": 0.83, "y": 0.5}}), "right.mp4")
    left, _ = render(episode(tmp_path, sources, {**clip, "focus": {"x": 0, "y": 0.5}}, name="left.yaml"), "left.mp4")
    assert count_frames(right) == 25 == result.frames
    assert frame_rgb(right, at(0)).shape[:2] == (320, 180)
    assert near(centre(plain, at(12)), GREEN)  # the default: the centre, as before
    assert near(centre(right, at(12)), RED)
    # At the left edge the window stops at the picture: blue to its corners, no white bars.
    assert near(centre(left, at(12)), BLUE)
    assert all(near(c, BLUE, 60) for c in corners(left, at(12))), corners(left, at(12))
    # x = 1 clamps at the right edge: red to the corners.
    far, _ = render(episode(tmp_path, sources, {**clip, "focus": {"x": 1, "y": 0}}, name="far.yaml"), "far.mp4")
    assert all(near(c, RED, 60) for c in corners(far, at(12)))


def test_a_portrait_shot_in_a_landscape_frame_looks_up_or_down(sources, tmp_path):
    make_clip(tmp_path / "tall.mp4", color=("red", "blue"), size=(360, 640), fps=FPS, duration=1, tone=None)
    shots = [{"clip": str(tmp_path / "tall.mp4"), "focus": {"x": 0.5, "y": y}} for y in (0.1, 0.9)]
    shots.append({"clip": str(tmp_path / "tall.mp4"), "focus": [[0, 0.5, 0], [0.96, 0.5, 1]]})
    out, _ = render(episode(tmp_path, sources, *shots, size="320x180"))
    assert near(centre(out, at(12)), RED) and near(centre(out, at(37)), BLUE)
    assert near(centre(out, at(50)), RED) and near(centre(out, at(74)), BLUE)  # the top, then the bottom
    assert all(near(c, RED, 60) for c in corners(out, at(12))[:2])  # clamped: the picture's own top, no bars


def _ramp_red(x: float) -> float:
    """The red at a 180x320 frame's centre when cover's 569x320 picture is cropped around
    the focus ``x`` (the window clamped to the picture; crop's edge even, as in 4:2:0)."""
    edge = min(max(569 * x - 90, 0), 569 - 180)
    edge = int(edge) // 2 * 2
    return 255 * (edge + 90) / 569


def _smooth(u: float) -> float:
    u = min(max(u, 0.0), 1.0)
    return u * u * (3 - 2 * u)


def test_keyframes_ease_the_crop_across_the_shot_and_hold_after_the_last(sources, tmp_path):
    keys = [[0, 0.1, 0.5], [2, 0.9, 0.5]]
    out, _ = render(episode(tmp_path, sources, {"clip": "thirds.mp4", "focus": keys}))
    assert count_frames(out) == 75
    assert near(centre(out, 0.2), BLUE) and near(centre(out, 2.5), RED)
    assert near(centre(out, 1.0), GREEN)  # halfway, the window is between: the middle band
    ramp, _ = render(episode(tmp_path, sources, {"clip": "ramp.mp4", "focus": keys}, name="ramp.yaml"), "ramp.mp4")
    for frame in (0, 10, 25, 37, 50, 60, 74):
        expected = _ramp_red(0.1 + 0.8 * _smooth(frame / 50))
        assert abs(centre(ramp, at(frame))[0] - expected) < 6, (frame, centre(ramp, at(frame)), expected)
    # Eased: it starts slowly (a tenth of the time, under a tenth of the way).
    assert centre(ramp, at(5))[0] - centre(ramp, at(0))[0] < 0.1 * (centre(ramp, at(50))[0] - centre(ramp, at(0))[0])


def test_the_crop_moves_on_across_a_segment_boundary(sources, tmp_path):
    """A dissolve makes the shot's last second a join of its own: the crop there is where
    the shot's own clock puts it, the same as a render in one piece."""
    keys = [[0, 0.1, 0.5], [3, 0.9, 0.5]]
    shot = {"clip": "ramp.mp4", "focus": keys}
    whole, _ = render(episode(tmp_path, sources, shot, name="whole.yaml"), "whole.mp4")
    joined, result = render(episode(tmp_path, sources, shot, {"transition": "dissolve", "duration": 1},
                                    {"color": "black", "duration": 2}), "joined.mp4")
    assert result.segments >= 3  # the shot's body, the join, the colour's body

    def column(path: Path, frame: int) -> float:
        # The ramp's red over its constant green: a dissolve to black darkens both alike.
        r, g, _ = centre(path, at(frame))
        return 128 * r / g

    before, after = column(joined, 49), column(joined, 50)  # frame 50: the join's first
    assert abs(after - before) < 8, (before, after)
    for frame in (45, 49, 50, 51, 55, 60):
        assert abs(column(joined, frame) - column(whole, frame)) < 5, frame
        assert abs(column(joined, frame) - _ramp_red(0.1 + 0.8 * _smooth(frame / 75))) < 6, frame


def test_a_long_slowed_shot_cut_into_pieces_moves_as_one(sources, tmp_path):
    """12 s of a shot at a quarter speed: bodies of at most 10 s, each on the shot's clock."""
    out, result = render(episode(tmp_path, sources, {"clip": "ramp.mp4", "speed": 0.25,
                                                     "focus": [[0, 0.1, 0.5], [12, 0.9, 0.5]]}))
    assert result.segments >= 2 and count_frames(out) == 300
    for frame in (0, 100, 149, 150, 151, 249, 250, 251, 299):
        expected = _ramp_red(0.1 + 0.8 * _smooth(frame / 300))
        assert abs(centre(out, at(frame))[0] - expected) < 6, (frame, centre(out, at(frame)), expected)


def test_a_still_and_a_title_background_follow_their_focus(sources, tmp_path):
    still = {"image": "thirds.png", "duration": 2, "focus": [[0, 0, 0.5], [1, 1, 0.5]]}
    title = {"title": "Hi", "duration": 1, "background": "thirds.png", "focus": {"x": 0.83, "y": 0.5},
             "style": {"position": "top"}}
    out, _ = render(episode(tmp_path, sources, still, title))
    assert count_frames(out) == 75
    assert near(centre(out, at(0)), BLUE) and near(centre(out, at(12)), GREEN) and near(centre(out, at(40)), RED)
    assert near(centre(out, at(62)), RED)  # the title's picture, cropped at its focus
    # A background with transparency stands on the background colour, cropped the same way.
    run_ffmpeg("-f", "lavfi", "-i", "color=blue@1:s=213x360[a];color=lime:s=214x360[b];color=red:s=213x360[c];"
               "[a][b][c]hstack=3,format=rgba", "-frames:v", "1", *BITEXACT, str(tmp_path / "alpha.png"))
    cards = [{**title, "background": str(tmp_path / "alpha.png"), "focus": focus} for focus in
             ({"x": 0.83, "y": 0.5}, [[0, 0, 0.5], [1, 1, 0.5]])]
    out, _ = render(episode(tmp_path, sources, *cards, name="alpha.yaml"), "alpha.mp4")
    assert near(centre(out, at(12)), RED) and near(centre(out, at(25)), BLUE) and near(centre(out, at(49)), RED)


def test_a_moving_still_is_framed_by_its_motion_and_says_so(sources, tmp_path):
    still = {"image": "thirds.png", "duration": 1, "focus": {"x": 0.9, "y": 0.5},
             "motion": {"zoom": [1, 1.2], "focus": [[0.5, 0.5], [0.5, 0.5]]}}
    path = episode(tmp_path, sources, still, {"title": "Hi", "duration": 1, "focus": {"x": 0.9, "y": 0.5}})
    out, result = render(path)
    assert near(centre(out, at(12)), GREEN)  # motion.focus (the centre) wins
    said = {p.path: p for p in result.warnings}
    assert "motion.focus" in said["video[0].focus"].message
    assert "colour" in said["video[1].focus"].message  # a title on a colour has nothing to crop


def test_a_slot_keeps_its_focus_when_another_take_is_picked(sources, tmp_path):
    slot = {"shot": "s01", "takes": {"a": "thirds.mp4", "b": "other.mp4"}, "length": 1,
            "focus": {"x": 0.83, "y": 0.5}}
    path = episode(tmp_path, sources, slot)
    first, _ = render(path, "a.mp4")
    other, _ = render(path, "b.mp4", picks={"s01": "b"})
    assert near(centre(first, at(12)), RED)
    assert near(centre(other, at(12)), (255, 0, 255))  # take b's right third, magenta
    # The sheet of the slot's takes crops each as the render would.
    from assembler.review.takes import list_takes, slot_named, takes_sheet
    sheet = takes_sheet(slot_named(list_takes(path), "s01")).convert("RGB")
    tile_w, pad = 240, 8
    tile_h = round(tile_w * 320 / 180)
    shown = [sheet.getpixel((pad + n * (tile_w + pad) + tile_w // 2, pad + tile_h // 2)) for n in range(2)]
    assert near(shown[0], RED) and near(shown[1], (255, 0, 255)), shown


def test_the_crop_goes_on_moving_over_a_held_last_frame(sources, tmp_path):
    """A slot holding its take's last picture for its second half: the crop still moves."""
    keys = [[0, 0.1, 0.5], [2, 0.9, 0.5]]
    slot = {"shot": "s01", "takes": {"a": "ramp.mp4"}, "in": 2, "length": 2, "fit_length": "hold", "focus": keys}
    out, _ = render(episode(tmp_path, sources, slot))
    assert count_frames(out) == 50
    for frame in (10, 30, 40, 49):  # the take ends at frame 25
        expected = _ramp_red(0.1 + 0.8 * _smooth(frame / 50))
        assert abs(centre(out, at(frame))[0] - expected) < 6, (frame, centre(out, at(frame)), expected)


def test_where_cover_crops_nothing_a_focus_makes_the_same_job(sources, tmp_path):
    """A 16:9 master of a 16:9 source, and a contained picture: the focus changes nothing,
    so the segments are the ones already made without it (the cache has them all)."""
    for n, (size, fit) in enumerate((("320x180", "cover"), ("180x320", "contain"), ("180x320", "stretch"))):
        folder = tmp_path / f"case{n}"
        folder.mkdir()
        clip = {"clip": "thirds.mp4", "duration": 1}
        _, first = render(episode(folder, sources, clip, size=size, fit=fit, name="plain.yaml"), "plain.mp4")
        _, again = render(episode(folder, sources, {**clip, "focus": [[0, 0.9, 0.1], [1, 0.1, 0.9]]}, size=size,
                                  fit=fit), "focus.mp4")
        assert first.rendered >= 1 and again.rendered == 0, (size, fit, first, again)
    # ...and a focus at the centre is the centre: the same job as none, where cover does crop.
    _, first = render(episode(tmp_path, sources, {"clip": "thirds.mp4", "duration": 1}, name="plain.yaml"), "p.mp4")
    _, again = render(episode(tmp_path, sources, {"clip": "thirds.mp4", "duration": 1,
                                                  "focus": {"x": 0.5, "y": 0.5}}), "c.mp4")
    assert first.rendered >= 1 and again.rendered == 0


BAD = """\
version: 1
output: {size: 180x320, fps: 25, fit: cover}
media_root: MEDIA
video:
  - clip: thirds.mp4
    focus: {x: 1.5, y: 0.5}
  - clip: thirds.mp4
    focus:                        # not increasing
      - [0, 0.1, 0.5]
      - [2, 0.9, 0.5]
      - [1, 0.5, 0.5]
  - clip: thirds.mp4
    focus:
      - [0, 0.1]                  # short of a value
  - image: thirds.png
    focus: left
  - clip: thirds.mp4
    focus:
      - ["10f", 0.1, 0.5]
      - ["0.41", 0.9, 0.5]        # 10.25 frames: on the frame before it
  - shot: s1
    takes: {a: thirds.mp4}
    focus: {x: 0.5, y: -1}
  - clip: thirds.mp4
    duration: 1
    focus: [[0, 0.1, 0.5], [5, 0.9, 0.5]]   # past the end: a warning
  - clip: missing.mp4
"""


def test_every_bad_focus_is_an_error_at_its_line_all_at_once(sources, tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text(BAD.replace("MEDIA", str(sources)))
    with pytest.raises(EdlError) as info:
        assembler.check(path)
    lines = path.read_text().splitlines()
    found = {p.path: p for p in info.value.problems}
    expected = {"video[0].focus.x": "focus: {x: 1.5", "video[1].focus": "not increasing",
                "video[2].focus[0]": "short of a value", "video[3].focus": "focus: left",
                "video[4].focus[1]": '"0.41"', "video[5].focus.y": "y: -1", "video[6].focus[1]": "[5, 0.9"}
    assert set(expected) | {"video[7].clip"} <= set(found), sorted(found)
    for key, text in expected.items():
        problem = found[key]
        assert problem.file == str(path) and text in lines[problem.line - 1], (problem, lines[problem.line - 1])
        assert problem.severity == ("warning" if key == "video[6].focus[1]" else "error"), problem
    assert "fractions of the source picture" in (found["video[0].focus.x"].hint or "")
    assert "must increase" in found["video[1].focus"].message
    assert "[time, x, y]" in found["video[2].focus[0]"].message
    assert "{x, y}" in found["video[3].focus"].message
    assert "on frame 10" in found["video[4].focus[1]"].message
    assert "past the item's end" in found["video[6].focus[1]"].message


def test_keyframes_land_on_the_items_own_frames(sources, tmp_path):
    path = episode(tmp_path, sources, {"clip": "thirds.mp4", "duration": 1},
                   {"clip": "thirds.mp4", "duration": 1, "focus": [[0, 0.1, 0.5], ["00:00:00:20", 0.9, 0.25]]})
    timeline = assembler.check(path)
    assert timeline.placements[0].focus is None
    second = timeline.placements[1]
    assert second.start == 25 and second.focus.keys == ((0, Fraction(1, 10), Fraction(1, 2)),
                                                        (20, Fraction(9, 10), Fraction(1, 4)))


def test_the_contact_sheet_crops_as_the_render_does(sources, tmp_path):
    from assembler.review.sheet import contact_sheet
    path = episode(tmp_path, sources, {"clip": "thirds.mp4", "duration": 1},
                   {"clip": "thirds.mp4", "duration": 1, "focus": {"x": 0.83, "y": 0.5}},
                   {"image": "thirds.png", "duration": 2, "focus": [[0, 0, 0.5], [1, 1, 0.5]]},
                   {"clip": "thirds.mp4", "duration": 2, "focus": [[0, 0, 0.5], [2, 1, 0.5]]})
    sheet = contact_sheet(assembler.check(path)).convert("RGB")
    # Tiles of the frame's shape (9:16), 240 wide, 8 pixels apart.
    tile_w, pad = 240, 8
    tile_h = round(tile_w * 320 / 180)

    def middle(n: int) -> tuple[int, int, int]:
        return sheet.getpixel((pad + n * (tile_w + pad) + tile_w // 2, pad + tile_h // 2))

    # The plain clip: the middle band; its focus: red; the still: its first frame, blue;
    # the moving clip at its middle frame, the middle band.
    assert [near(middle(n), colour) for n, colour in enumerate((GREEN, RED, BLUE, GREEN))] == [True] * 4, \
        [middle(n) for n in range(4)]
