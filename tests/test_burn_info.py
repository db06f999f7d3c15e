"""A review copy's burned info box (issue 13, point 3: `burn_info`): the item under the
playhead (a shot slot's id and take, a clip's stem, an item's kind and place) and the
timeline's timecode on every frame, in a box at the top left that stays inside the frame
at any size and shape. Every check decodes the real output (no OCR: the box's pixels are
compared between renders, items and frames)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import assembler
from assembler.compile.jobs import compile_segment
from assembler.layout.frame import layout
from assembler.timebase import timecode
from assembler.layout.info import info_cards
from assembler.timeline.info import Caption, InfoTrack
from conftest import write_edl
from media_tools import count_frames, frame_rgb, make_clip

FPS = 25


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    """Four red clips, 2 s each: the pictures are alike, so only the box tells items apart."""
    d = tmp_path_factory.mktemp("burn_info")
    for name in ("s01", "s03", "s02_a", "s02_b"):
        make_clip(d / f"{name}.mp4", color="red", fps=FPS, duration=2, tone=None)
    return d


def episode(folder: Path, name: str = "ep.yaml", size: str = "320x180", **output) -> Path:
    """Two clips and a shot slot (take b picked), 1 s each, cut together."""
    edl = {"version": 1, "output": {"size": size, "fps": FPS, "video": {"preset": "ultrafast"}, **output},
           "media_root": str(folder), "video": [
               {"clip": "s01.mp4", "duration": 1}, {"clip": "s03.mp4", "duration": 1},
               {"shot": "s02", "takes": {"a": "s02_a.mp4", "b": "s02_b.mp4"}, "pick": "b", "length": 1}]}
    return write_edl(folder, name, edl)


def render(path: Path, **options) -> Path:
    out = path.with_suffix(".mp4")
    assembler.render(path, out, cache=path.parent / "cache", **options)
    return out


def at(frame: int) -> float:
    return (frame + 0.5) / FPS


def pixels(path: Path, frame: int) -> np.ndarray:
    return frame_rgb(path, at(frame)).astype(int)


def changed(a: np.ndarray, b: np.ndarray) -> int:
    """How many pixels of two pictures differ as ink differs from the box (the encoder's noise does not)."""
    return int((np.abs(a - b).max(axis=2) > 64).sum())


def region(box: tuple[int, int, int, int], picture: np.ndarray) -> np.ndarray:
    x, y, w, h = box
    return picture[y:y + h, x:x + w]


@pytest.fixture
def folder(shots, tmp_path) -> Path:
    work = tmp_path / "ep"
    work.mkdir()
    for f in shots.iterdir():
        (work / f.name).symlink_to(f)
    return work


def test_each_item_is_named_as_people_name_it_and_the_captions_tile_the_timeline(folder):
    timeline = assembler.check(episode(folder, burn_info=True))
    assert timeline.output.burn_info and timeline.info is not None
    assert timeline.info.captions == (Caption(0, 25, 0, "s01"), Caption(25, 50, 1, "s03"),
                                      Caption(50, 75, 2, "s02 take b"))


def test_an_inherited_intro_and_outro_are_named_as_written(tmp_path):
    """A title of the series' intro is `title intro[0]`, the episode's colour `color 0`, not
    their places on the merged main track."""
    (tmp_path / "series.yaml").write_text("version: 1\noutput: {size: 320x180, fps: 25, burn_info: true}\n"
                                          "intro:\n  - title: Previously\n    duration: 1\n"
                                          "outro:\n  - color: blue\n    duration: 1\n")
    (tmp_path / "ep.yaml").write_text("version: 1\nextends: series.yaml\nvideo:\n  - color: red\n    duration: 1\n")
    timeline = assembler.check(tmp_path / "ep.yaml")
    assert [c.name for c in timeline.info.captions] == ["title intro[0]", "color 0", "color outro[0]"]


def test_a_transition_hands_the_name_over_at_its_midpoint(tmp_path):
    edl = {"version": 1, "output": {"size": "320x180", "fps": FPS},
           "video": [{"color": "red", "duration": 1}, {"transition": "fade", "duration": "5f"},
                     {"title": "Hello", "duration": 1}]}
    timeline = assembler.check(write_edl(tmp_path, "t.yaml", edl))
    assert timeline.info.captions == (Caption(0, 22, 0, "color 0"), Caption(22, 45, 2, "title 2"))


def test_the_box_is_drawn_at_the_top_left_and_nothing_else_changes(folder):
    plain = pixels(render(episode(folder, "plain.yaml")), 10)
    out = render(episode(folder, "info.yaml", burn_info=True))
    assert count_frames(out) == 75
    burned = pixels(out, 10)
    box = layout(assembler.check(folder / "info.yaml"), 320, 180).info[0].box
    x, y, w, h = box
    assert 0 <= x and 0 <= y and x + w <= 110 and y + h <= 60  # a small box, in the corner
    inside = np.abs(region(box, burned) - region(box, plain))
    assert inside.mean() > 40  # a dark box with white text over red
    # Dark where there is no text, white where there is
    assert (region(box, burned).max(axis=2) < 90).mean() > 0.5 and (region(box, burned).min(axis=2) > 180).any()
    # The rest of the picture as it was, but for the encoder's ringing in the 16-pixel blocks the box touches
    outside = np.abs(burned - plain)
    outside[:-(-(y + h) // 16) * 16, :-(-(x + w) // 16) * 16] = 0
    assert outside.max() <= 3


def test_the_name_changes_between_items_of_the_same_picture(folder):
    path = episode(folder, burn_info=True)
    out = render(path)
    laid = layout(assembler.check(path), 320, 180)
    first, second, third = laid.info
    # The name's line alone (the timecode's changes every frame): the rows above the timecode's ink
    top = first.box[1]
    rows = slice(top, first.clock.y - first.name.size)
    assert rows.stop > rows.start
    cols = slice(first.box[0], max(c.box[0] + c.box[2] for c in laid.info))
    names = [pixels(out, frame)[rows, cols] for frame in (12, 37, 62)]
    assert changed(names[0], names[1]) > 3 and changed(names[1], names[2]) > 3
    # while in one item the name's line stays as it was
    assert changed(names[0], pixels(out, 20)[rows, cols]) == 0


def test_the_timecode_runs_with_the_frames_and_continues_across_segments(folder):
    path = episode(folder, burn_info=True)
    out = render(path)
    single = render(episode(folder, "single.yaml", burn_info=True), single=True)
    laid = layout(assembler.check(path), 320, 180)
    card = laid.info[1]
    clock = (card.clock.x, card.clock.y - card.name.size, card.box[0] + card.box[2] - card.clock.x, card.name.size + 2)
    # Two frames of one item: the frame digits differ
    assert changed(region(clock, pixels(out, 30)), region(clock, pixels(out, 31))) > 3
    # The second and third segments' first frames read as one graph's do at the same frames (and not as
    # the frame before, which a clock restarted at 0, or off by one, would read)
    for frame in (25, 50):
        segmented, whole = region(clock, pixels(out, frame)), region(clock, pixels(single, frame))
        assert changed(segmented, whole) == 0
        assert changed(segmented, region(clock, pixels(single, frame - 1))) > 3
        assert changed(segmented, region(clock, pixels(single, 0))) > 3


def test_the_box_is_wholly_inside_a_vertical_frame_and_drawn_there(folder):
    path = episode(folder, "tall.yaml", size="180x320", fit="cover", burn_info=True)
    out = render(path)
    laid = layout(assembler.check(path), 180, 320)
    for card in laid.info:
        x, y, w, h = card.box
        assert 0 <= x and 0 <= y and x + w <= 180 and y + h <= 320 and w > 0 and h > 0
        assert all(0 <= run.x < x + w and y <= run.y <= y + h for run in (*card.name.runs, card.clock))
    picture = pixels(out, 60)
    assert picture.shape == (320, 180, 3)
    x, y, w, h = laid.info[2].box
    assert (picture[y:y + h, x:x + w].max(axis=2) < 90).mean() > 0.5  # the box, dark, where the layout put it
    assert (picture[y + h + 4:, :].min(axis=0)[:, 0] > 180).all()  # and below it, the red picture untouched


def test_a_long_name_is_cut_and_a_big_frame_scales_the_box(folder):
    timeline = assembler.check(episode(folder, burn_info=True))
    small, big = layout(timeline, 320, 180).info[0], layout(timeline, 1920, 1080).info[0]
    assert big.name.size == 36 and small.name.size == 8
    assert big.box[3] > 4 * small.box[3]
    long = InfoTrack(timeline.info.face, (Caption(0, 25, 0, "a_generated_shot_with_a_very_long_file_name_v12"),))
    card, = info_cards(long, 320, 180)
    assert "".join(run.text for run in card.name.runs) == "a_generated_shot_with_a_very_lo\u2026"
    assert card.box[0] + card.box[2] <= 320 and card.name.lines == 1


def test_without_burn_info_the_layout_has_no_box_and_the_job_is_as_before(folder):
    timeline = assembler.check(episode(folder))
    assert not timeline.output.burn_info
    plain = layout(timeline, 320, 180)
    assert plain.info == ()
    job = compile_segment(timeline, 0, 25, laid=plain)
    assert "drawtext" not in job.script and "drawbox" not in job.script
    # The same timeline laid out for a review copy (as a deliverable asks) draws it
    review = compile_segment(timeline, 25, 50, laid=layout(timeline, 320, 180, burn_info=True))
    assert "drawbox" in review.script and f"timecode={timecode(25, FPS)}".replace(":", "\\\\:") in review.script


def test_through_a_transition_the_box_keeps_its_look_and_the_name_changes_at_the_midpoint(folder):
    """A dissolve of 10 frames between two red clips (the picture stays red): the join is a
    segment of its own, [15, 25); the name hands over at frame 20."""
    def dissolve(name: str) -> Path:
        return write_edl(folder, name, {
            "version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"},
                                     "burn_info": True},
            "media_root": str(folder), "video": [{"clip": "s01.mp4", "duration": 1},
                                                 {"transition": "dissolve", "duration": "10f"},
                                                 {"clip": "s03.mp4", "duration": 1}]})

    out, single = render(dissolve("d.yaml")), render(dissolve("d1.yaml"), single=True)
    laid = layout(assembler.check(folder / "d.yaml"), 320, 180)
    assert [(c.start, c.end) for c in laid.info] == [(0, 20), (20, 40)]
    card = laid.info[0]
    rows, cols = slice(card.box[1], card.clock.y - card.name.size), slice(card.box[0], card.box[0] + card.box[2])
    name = {frame: pixels(out, frame)[rows, cols] for frame in (10, 17, 19, 20, 30)}
    assert changed(name[19], name[10]) == 0 and changed(name[20], name[30]) == 0  # the join draws the bodies' names
    assert changed(name[19], name[20]) > 3
    # The box's fill is the same colour in the join as in the bodies beside it
    fill = [np.median(region(card.box, pixels(out, frame)).reshape(-1, 3), axis=0) for frame in (10, 17, 30)]
    assert np.abs(fill[1] - fill[0]).max() <= 3 and np.abs(fill[2] - fill[0]).max() <= 3
    for frame in (15, 19, 20, 24, 25):  # and the whole box as one graph draws it
        assert changed(region(card.box, pixels(out, frame)), region(card.box, pixels(single, frame))) == 0


def test_the_box_is_drawn_over_layers_and_burned_subtitles(folder):
    """A white layer over the whole frame and a cue at the top left: the box, dark, over both."""
    path = write_edl(folder, "over.yaml", {
        "version": 1, "output": {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"}, "burn_info": True},
        "media_root": str(folder),
        "video": [{"clip": "s01.mp4", "duration": 1,
                   "subtitles": [{"start": 0, "end": 1, "text": "WWWWWWWWWWWW"}]}],
        "overlays": [{"color": "white"}],
        "subtitles": {"burn": True, "style": {"alignment": "top-left", "margin_v": 0, "size": 120,
                                              "color": "blue", "outline": 0}}})
    picture = pixels(render(path), 12)
    card = layout(assembler.check(path), 320, 180).info[0]
    x, y, w, h = card.box

    def blue(part: np.ndarray) -> int:
        return int(((part[..., 2] > 150) & (part[..., 0] < 100)).sum())

    assert picture[y + h + 30:, 200:].min() > 200  # the white layer
    assert blue(picture[:y + h, x + w:]) > 20  # the cue's blue text beside the box, under it none
    box = region(card.box, picture)
    assert blue(box) == 0
    assert (np.abs(box - 0x20).max(axis=2) < 24).mean() > 0.6  # the box's own fill where no digit is
    assert (box.min(axis=2) > 180).any()  # and its white text
