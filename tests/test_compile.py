"""The compiler: any interval of the timeline, deterministic graphs, every transition name."""

from __future__ import annotations

import doctest
import importlib

import pytest

import assembler
from assembler.compile.jobs import compile_timeline
from assembler.layout.frame import own
from assembler.compile.picture import XFADE_NAMES
from assembler.model.edl import TRANSITIONS
from assembler.run.ffmpeg import run
from conftest import write_edl
from media_tools import count_frames, make_clip, mean_color, dominant_tone, stream_info, run_ffmpeg, BITEXACT


def edl_of(items, fps=25, size="320x180"):
    return {"version": 1, "output": {"size": size, "fps": fps, "video": {"preset": "ultrafast"}}, "video": items}


@pytest.fixture(scope="module")
def timeline(media, tmp_path_factory):
    folder = tmp_path_factory.mktemp("interval")
    path = write_edl(folder, "ep.yaml", edl_of([
        {"clip": str(media / "red.mp4"), "out": 1},                  # 0..25
        {"transition": "fade", "duration": 0.4},
        {"clip": str(media / "green.mp4"), "out": 1},                # 15..40
        {"color": "blue", "duration": 1},                           # 40..65
        {"transition": "wipeup", "duration": 0.4},
        {"clip": str(media / "yellow.mov"), "out": 1},               # 55..80
    ]))
    return assembler.check(path)


@pytest.mark.parametrize("start, end", [(0, 80), (10, 50), (30, 40), (40, 65), (57, 80), (0, 1)])
def test_any_interval_compiles_to_exactly_its_frames_and_samples(timeline, tmp_path, start, end):
    job = compile_timeline(timeline, start, end, laid=own(timeline))
    out = tmp_path / "part.mp4"
    run(job, out)
    assert count_frames(out) == end - start == job.frames
    expected_audio = (timeline.sample(end) - timeline.sample(start)) / 48000
    assert abs(stream_info(out)["audio_duration"] - expected_audio) <= 1024 / 48000


def test_an_interval_shows_what_the_whole_shows_there(timeline, tmp_path):
    whole, part = tmp_path / "whole.mp4", tmp_path / "part.mp4"
    run(compile_timeline(timeline, laid=own(timeline)), whole)
    run(compile_timeline(timeline, 20, 60, laid=own(timeline)), part)
    for frame in (0, 10, 19, 21, 30, 38):  # green, green, green, blue, blue, wipe
        t_part, t_whole = (frame + 0.5) / 25, (frame + 20.5) / 25
        a, b = mean_color(part, t_part), mean_color(whole, t_whole)
        assert all(abs(x - y) < 6 for x, y in zip(a, b)), (frame, a, b)
    assert abs(dominant_tone(part, 0.1, 0.1) - 660) < 15   # green's tone, from the middle of it


def test_interval_outside_the_timeline_is_refused(timeline):
    with pytest.raises(ValueError):
        compile_timeline(timeline, 50, 200, laid=own(timeline))


def test_same_timeline_same_graph_byte_for_byte(timeline):
    laid = own(timeline)
    assert compile_timeline(timeline, laid=laid).script == compile_timeline(timeline, laid=laid).script
    job = compile_timeline(timeline, laid=own(timeline))
    assert job.script.count("xfade=") == 2 and job.script.count("acrossfade=") == 2
    assert "concat=n=2" in job.script  # the cut between green and blue


def test_each_transition_of_the_contract_has_its_xfade_name(tmp_path):
    assert set(XFADE_NAMES) == set(TRANSITIONS) - {"cut"}
    path = write_edl(tmp_path, "ep.yaml", edl_of([{"color": "red", "duration": "6f"},
                                                 {"transition": "dissolve", "duration": "2f"},
                                                 {"color": "blue", "duration": "6f"}], size="64x36"))
    graph = compile_timeline(timeline := assembler.check(path), laid=own(timeline)).script
    assert "xfade=transition=fade:" in graph and "dissolve" not in graph  # xfade's own dissolve is noise


def test_every_transition_name_renders_exactly(tmp_path):
    """All of xfade's transitions in one timeline: each overlap costs exactly its frames."""
    items = [{"color": "red" if k % 2 else "blue", "duration": "6f"} for k in range(len(XFADE_NAMES) + 1)]
    sequence = []
    for k, name in enumerate(XFADE_NAMES):
        sequence += [items[k], {"transition": name, "duration": "2f"}]
    sequence.append(items[-1])
    path = write_edl(tmp_path, "all.yaml", edl_of(sequence, size="64x36"))
    result = assembler.render(path, tmp_path / "all.mp4")
    expected = 6 * len(items) - 2 * len(XFADE_NAMES)
    assert result.frames == expected == count_frames(tmp_path / "all.mp4")


def test_variable_frame_rate_source_is_conformed(tmp_path):
    """A source whose frames arrive at uneven intervals still fills exactly its frames."""
    src = make_clip(tmp_path / "cfr.mp4", color="red", fps=30, duration=2, tone=None)
    vfr = tmp_path / "vfr.mkv"
    run_ffmpeg("-i", str(src), "-vf", "setpts='(N+0.4*mod(N,3))/30/TB'", "-fps_mode", "passthrough",
               "-c:v", "libx264", "-preset", "ultrafast", *BITEXACT, str(vfr))
    path = write_edl(tmp_path, "vfr.yaml", edl_of([{"clip": str(vfr), "in": 0.3, "out": 1.7}], fps=24))
    result = assembler.render(path, tmp_path / "out.mp4")
    assert result.frames == round(1.4 * 24) == count_frames(tmp_path / "out.mp4")


def test_a_font_file_named_in_the_style_is_used(tmp_path):
    from assembler.timeline.build import BUNDLED_FONT
    fonts = tmp_path / "my fonts"
    fonts.mkdir()
    (fonts / "Title Face.ttc").write_bytes(BUNDLED_FONT.read_bytes())
    path = write_edl(tmp_path, "t.yaml", edl_of([{"title": "Hi", "style": {"font": "my fonts/Title Face.ttc"}}]))
    timeline = assembler.check(path)
    assert timeline.placements[0].text.face.path == fonts / "Title Face.ttc"
    script = compile_timeline(timeline, laid=own(timeline)).script
    assert str(fonts / "Title Face.ttc").replace(":", "") in script.replace("\\", "")
    path.write_text(path.read_text().replace("Title Face.ttc", "Missing.ttf"))
    with pytest.raises(assembler.EdlError, match="Missing.ttf does not exist"):
        assembler.check(path)


@pytest.mark.parametrize("module", ["timebase", "model.edl", "model.load", "compile.escape", "compile.graph"])
def test_docstring_examples_run(module):
    result = doctest.testmod(importlib.import_module(f"assembler.{module}"))
    assert result.attempted > 0 and result.failed == 0


def test_an_interval_samples_a_moving_source_where_the_whole_does(tmp_path):
    """Cut into pieces, a clip shows the same source frames as in one piece (the in-point
    of a piece moves by exactly the frames it skips)."""
    import numpy as np
    from media_tools import frame_rgb
    moving = tmp_path / "moving.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "testsrc=size=320x180:rate=30:duration=3", "-c:v", "libx264", "-preset",
               "ultrafast", "-qp", "0", "-g", "300", *BITEXACT, str(moving))
    path = write_edl(tmp_path, "m.yaml", edl_of([{"clip": str(moving), "in": "7f", "out": 2.9}], fps=24))
    timeline = assembler.check(path)
    whole, part = tmp_path / "whole.mp4", tmp_path / "part.mp4"
    run(compile_timeline(timeline, laid=own(timeline)), whole)
    run(compile_timeline(timeline, 17, 40, laid=own(timeline)), part)
    for k in range(0, 23, 3):
        a = frame_rgb(part, (k + 0.5) / 24).astype(float)
        b = frame_rgb(whole, (k + 17.5) / 24).astype(float)
        assert np.abs(a - b).mean() < 2.0, k


def test_a_shot_that_is_all_transition_renders(media, tmp_path):
    """A 10-frame colour entirely covered by its incoming transition, then a cut."""
    path = write_edl(tmp_path, "ep.yaml", edl_of([{"color": "red", "duration": "10f"},
                                                  {"transition": "fade", "duration": "10f"},
                                                  {"color": "blue", "duration": "10f"},
                                                  {"color": "white", "duration": "5f"}]))
    result = assembler.render(path, tmp_path / "out.mp4", cache=False)
    assert result.frames == 15 == count_frames(result.path)


@pytest.mark.parametrize("single", [False, True])
def test_transitions_on_both_sides_that_use_the_whole_item(tmp_path, single):
    """An item exactly as long as the two transitions that overlap it: it has no body."""
    path = write_edl(tmp_path, "ep.yaml", edl_of([{"color": "red", "duration": "10f"},
                                                  {"transition": "fade", "duration": "4f"},
                                                  {"color": "blue", "duration": "8f"},
                                                  {"transition": "wipeleft", "duration": "4f"},
                                                  {"color": "white", "duration": "10f"}]))
    result = assembler.render(path, tmp_path / "out.mp4", cache=False, single=single)
    assert result.frames == 28 - 8 == count_frames(result.path)
