"""Deliverables: several files of one cut, each the EDL with its own output, what they
share made once; and a season of EDLs in one run (assembler.batch)."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import av
import pytest
from typer.testing import CliRunner

import assembler
from assembler.batch import Delivered, render_all
from assembler.cli import app
from assembler.errors import EdlError
from conftest import write_edl
from media_tools import count_frames, frame_rgb, make_clip, mean_color, stream_info

RED, BLUE = (255, 0, 0), (0, 0, 255)


def close(got, want, tol=40) -> bool:
    return all(abs(g - w) <= tol for g, w in zip(got, want))


@pytest.fixture(scope="module")
def shots(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("shots")
    make_clip(d / "a.mp4", color="red", size=(640, 360), fps=30, duration=2, tone=440)
    make_clip(d / "b.mp4", color="blue", size=(640, 360), fps=30, duration=2, tone=660)
    return d


def episode(**more) -> dict:
    return {"version": 1, "output": {"size": "640x360", "fps": 30},
            "video": [{"clip": "a.mp4"}, {"transition": "dissolve"}, {"clip": "a.mp4", "in": 0.5}],
            "deliverables": [{"name": "master"}, {"name": "vertical", "size": "180x320", "fit": "cover"},
                             {"name": "review", "size": "320x180", "preset": "ultrafast"}], **more}


def sizes(path: Path) -> tuple[int, int]:
    info = stream_info(path)
    return info["width"], info["height"]


def audio_bitrate(path: Path) -> int:
    with av.open(str(path)) as container:
        return container.streams.audio[0].bit_rate


def receipt(path: Path) -> dict:
    return json.loads(path.with_name(path.stem + ".receipt.json").read_text())


def test_each_deliverable_is_written_beside_the_others_with_its_receipt_and_one_sound(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode())
    delivered = assembler.render(edl, tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert isinstance(delivered, Delivered) and list(delivered) == ["master", "vertical", "review"]
    assert not (tmp_path / "ep.mp4").exists()
    want = {"master": (640, 360), "vertical": (180, 320), "review": (320, 180)}
    for name, size in want.items():
        path = tmp_path / f"ep.{name}.mp4"
        assert delivered[name].path == path and sizes(path) == size
        assert count_frames(path) == 90 == delivered[name].frames  # 2 + 1.5 - 0.5 s dissolve, at 30 fps
        assert close(mean_color(path, 1.0), RED)
        # A red 16:9 picture covers the 9:16 frame: no bars at its top and bottom.
        if name == "vertical":
            assert close(mean_color(path, 1.0, (0, 0, 1, 0.1)), RED)
    sounds = [receipt(tmp_path / f"ep.{name}.mp4")["sound"] for name in want]
    assert len({s["key"] for s in sounds}) == 1, "their sound settings agree: one sound"
    assert [s["rendered_now"] for s in sounds] == [True, False, False]
    # The review's encoder is the output's with its preset over it.
    assert receipt(tmp_path / "ep.review.mp4")["segments"][0]["key"] != receipt(tmp_path / "ep.master.mp4")["segments"][0]["key"]
    again = assembler.render(edl, tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert all(r.rendered == 0 for r in again.values())  # type: ignore[union-attr]


def test_deliverables_that_draw_alike_share_their_segments(shots, tmp_path):
    # Same picture, another sound: every picture segment is the master's.
    edl = write_edl(shots, "ep.yaml", episode(deliverables=[
        {"name": "master"}, {"name": "radio", "audio": {"bitrate": "96k"}}]))
    delivered = render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert delivered["master"].rendered == delivered["master"].segments > 0
    assert delivered["radio"].rendered == 0
    master, radio = receipt(tmp_path / "ep.master.mp4"), receipt(tmp_path / "ep.radio.mp4")
    assert [s["key"] for s in master["segments"]] == [s["key"] for s in radio["segments"]]
    assert master["sound"]["key"] != radio["sound"]["key"]
    assert audio_bitrate(tmp_path / "ep.radio.mp4") < 0.7 * audio_bitrate(tmp_path / "ep.master.mp4")


def test_a_deliverable_overrides_key_by_key_and_its_loudness_is_its_own(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode(
        output={"size": "640x360", "fps": 30, "loudness": -16, "video": {"crf": 18, "preset": "veryfast"}},
        deliverables=[{"name": "master"}, {"name": "quiet", "size": "320x180", "loudness": -30,
                                           "video": {"crf": 35}}]))
    delivered = render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert abs(delivered["master"].loudness["integrated"] + 16) <= 1  # type: ignore[index]
    assert abs(delivered["quiet"].loudness["integrated"] + 30) <= 1  # type: ignore[index]
    files = assembler.batch.check_all([edl], tmp_path / "ep.mp4")
    quiet = files[1].output.video
    assert (quiet.crf, quiet.preset, files[1].output.size) == (35, "veryfast", (320, 180))


def test_only_writes_the_deliverables_named_and_an_unknown_name_is_an_error(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode())
    result = CliRunner().invoke(app, ["render", str(edl), "-o", str(tmp_path / "ep.mp4"), "--only", "vertical",
                                      "--cache", str(tmp_path / "cache"), "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in tmp_path.glob("*.mp4")) == ["ep.vertical.mp4"]
    assert "ep.vertical.mp4" in result.output  # the summary table names it
    result = CliRunner().invoke(app, ["render", str(edl), "-o", str(tmp_path / "ep.mp4"), "--only", "verticle"])
    assert result.exit_code == 2
    assert "--only verticle: no deliverable `verticle`" in result.output and "vertical" in result.output


def test_subtitles_false_leaves_one_deliverable_without_the_cues(shots, tmp_path):
    data = episode(deliverables=[{"name": "master"}, {"name": "clean", "subtitles": False}])
    data["video"][0]["subtitles"] = [{"start": 0.2, "end": 1.2, "text": "WWWWWWWW"}]
    data["subtitles"] = {"style": {"size": 120, "color": "white"}}
    edl = write_edl(shots, "ep.yaml", data)
    render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    # White text over red: the green channel is high only where a letter is drawn.
    burned, clean = (frame_rgb(tmp_path / f"ep.{n}.mp4", 0.7)[..., 1] for n in ("master", "clean"))
    assert (burned > 200).sum() > 200 and (clean > 60).sum() == 0


def test_every_deliverable_problem_is_said_at_once_before_anything_is_encoded(shots, tmp_path):
    text = """version: 1
output: {size: 640x360}
video:
  - clip: a.mp4
deliverables:
  - {name: master}
  - {name: vertical, size: 181x320}
  - {name: Master}
  - {name: tiny, size: 0x0}
  - {name: "a/b"}
  - {name: wide, fit: cover, fps: 0}
"""
    edl = shots / "bad.yaml"
    edl.write_text(text)
    with pytest.raises(EdlError) as info:
        assembler.render(edl, tmp_path / "bad.mp4", cache=tmp_path / "cache")
    said = {(p.line, p.path) for p in info.value.problems if p.severity == "error"}
    assert {(7, "deliverables[1].size"), (9, "deliverables[3].size"), (10, "deliverables[4].name"),
            (11, "deliverables[5].fps")} <= said, info.value
    assert not list(tmp_path.glob("*.mp4")) and not (tmp_path / "cache" / "segments").exists()
    # The names alone: two that are one file where case is not told apart.
    edl.write_text("version: 1\nvideo:\n  - clip: a.mp4\ndeliverables:\n  - {name: master}\n  - {name: Master}\n")
    with pytest.raises(EdlError) as info:
        assembler.batch.check_all([edl], tmp_path / "bad.mp4")
    (problem,) = info.value.problems
    assert (problem.line, problem.path) == (6, "deliverables[1].name") and "deliverables[0]" in problem.message


def test_a_problem_of_one_deliverable_names_it(shots, tmp_path):
    # A long title fits 16:9 and is wrapped in the narrow 9:16 frame: said for the vertical only.
    data = episode(deliverables=[{"name": "master"}, {"name": "vertical", "size": "180x320"}])
    data["video"] = [{"title": "The Quiet Machine Returns", "duration": 1, "style": {"size": 110}}]
    edl = write_edl(shots, "title.yaml", data)
    files = assembler.batch.check_all([edl], tmp_path / "t.mp4")
    warned = [w for w in files[0].timeline.warnings if w.path.startswith("video[0]")]
    assert warned and all("(in the deliverable vertical)" in w.message for w in warned), warned


def test_check_lists_the_deliverables(shots):
    edl = write_edl(shots, "ep.yaml", episode())
    result = CliRunner().invoke(app, ["check", str(edl)])
    assert result.exit_code == 0, result.output
    assert "deliverables" in result.output
    for name, size in (("ep.master.mp4", "640x360"), ("ep.vertical.mp4", "180x320"), ("ep.review.mp4", "320x180")):
        assert name in result.output and size in result.output


SERIES = """version: 1
output: {size: 320x180, fps: 30}
intro:
  - clip: intro.mp4
  - transition: dissolve
"""


def test_a_season_renders_in_one_run_and_its_intro_once(shots, tmp_path):
    season = tmp_path / "season"
    season.mkdir()
    make_clip(season / "intro.mp4", color="green", size=(320, 180), fps=30, duration=2, tone=330)
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(shots / name, season / name)
    (season / "series.yaml").write_text(SERIES)
    for n, clip in ((1, "a.mp4"), (2, "b.mp4"), (3, "a.mp4")):
        (season / f"ep{n}.yaml").write_text(f"version: 1\nextends: series.yaml\nvideo:\n  - clip: {clip}\n")
    out = tmp_path / "out"
    edls = [str(season / f"ep{n}.yaml") for n in (1, 2, 3)]
    result = CliRunner().invoke(app, ["render", *edls, "-o", str(out), "--cache", str(tmp_path / "cache"), "-q"])
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.glob("*.mp4")) == ["ep1.mp4", "ep2.mp4", "ep3.mp4"]
    for n, color in ((1, RED), (2, BLUE), (3, RED)):
        path = out / f"ep{n}.mp4"
        assert close(mean_color(path, 0.5), (0, 128, 0))  # the series' intro
        assert close(mean_color(path, 3.2), color)
    keys = [[s["key"] for s in receipt(out / f"ep{n}.mp4")["segments"]] for n in (1, 2, 3)]
    assert keys[0][0] == keys[1][0] == keys[2][0], "the intro's segment is one"
    rendered = [[s["rendered_now"] for s in receipt(out / f"ep{n}.mp4")["segments"]] for n in (1, 2, 3)]
    assert rendered[0][0] and not rendered[1][0] and not rendered[2][0]
    assert not any(rendered[2]), "episode 3 is episode 1 again: nothing of it is rendered twice"
    for n in (1, 2, 3):
        assert f"ep{n}.mp4" in result.output
    assert "3 files in" in result.output


def test_two_episodes_that_would_write_one_file_are_refused(shots, tmp_path):
    for folder in ("x", "y"):
        (tmp_path / folder).mkdir()
        shutil.copy(shots / "a.mp4", tmp_path / folder / "a.mp4")
        (tmp_path / folder / "ep.yaml").write_text("version: 1\nvideo:\n  - clip: a.mp4\n")
    with pytest.raises(EdlError) as info:
        render_all([tmp_path / "x" / "ep.yaml", tmp_path / "y" / "ep.yaml"], tmp_path / "out", cache=False)
    assert any("would both write" in p.message for p in info.value.problems), info.value
    assert not (tmp_path / "out").exists()


def test_a_dry_run_shows_one_deliverable_and_its_commands_make_that_file(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode())
    with pytest.raises(assembler.UsageError, match="--only"):
        assembler.dry_run(edl, tmp_path / "ep.mp4", cache=False)
    plan = assembler.dry_run(edl, tmp_path / "ep.mp4", cache=False, only=["vertical"])
    assert plan.made.name == "ep.vertical.mp4" and "scale" in plan.text
    import subprocess
    subprocess.run(["sh", str(plan.script)], check=True, capture_output=True)
    assert sizes(plan.made) == (180, 320) and count_frames(plan.made) == 90


def test_single_renders_one_deliverable_as_one_graph(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode())
    with pytest.raises(assembler.UsageError, match="--only"):
        assembler.render(edl, tmp_path / "ep.mp4", single=True)
    result = assembler.render(edl, tmp_path / "ep.mov", single=True, only=["vertical"])
    assert result.path == tmp_path / "ep.vertical.mov" and sizes(result.path) == (180, 320)
    assert count_frames(result.path) == 90 and close(mean_color(result.path, 1.0), RED)


def test_a_review_deliverable_burns_the_info_box_and_the_master_does_not(shots, tmp_path):
    from assembler.layout.frame import layout
    edl = write_edl(shots, "ep.yaml", episode(deliverables=[
        {"name": "master", "size": "320x180"}, {"name": "review", "size": "320x180", "burn_info": True}]))
    files = assembler.batch.check_all([edl], tmp_path / "ep.mp4")
    review = files[1].timeline
    assert files[1].output.burn_info and not files[0].output.burn_info
    x, y, w, h = layout(review, 320, 180).info[0].box
    render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    master, burned = (frame_rgb(tmp_path / f"ep.{n}.mp4", 0.5).astype(int) for n in ("master", "review"))
    assert abs(burned[y:y + h, x:x + w] - master[y:y + h, x:x + w]).mean() > 40  # a dark box over red
    assert close(mean_color(tmp_path / "ep.master.mp4", 0.5, (0, 0, 0.3, 0.3)), RED)
    # The rest of the picture is the master's (the box is the only layer between them).
    assert abs(burned[100:, 160:] - master[100:, 160:]).max() <= 3


def test_the_vertical_follows_each_shots_focus_and_the_master_is_drawn_as_without_it(shots, tmp_path):
    from media_tools import run_ffmpeg
    # The subject (blue) stands on the right third of a wide shot.
    run_ffmpeg("-f", "lavfi", "-i", "color=black:s=640x360:r=30:d=2,drawbox=x=430:y=0:w=210:h=360:color=blue:t=fill",
               "-c:v", "libx264", "-pix_fmt", "yuv420p", str(shots / "subject.mp4"))
    data = {"version": 1, "output": {"size": "640x360", "fps": 30},
            "video": [{"clip": "subject.mp4", "focus": {"x": 0.83, "y": 0.5}}],
            "deliverables": [{"name": "master"}, {"name": "vertical", "size": "180x320", "fit": "cover"}]}
    edl = write_edl(shots, "focus.yaml", data)
    render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert close(mean_color(tmp_path / "ep.vertical.mp4", 1.0, (0.4, 0.4, 0.6, 0.6)), BLUE)
    assert close(mean_color(tmp_path / "ep.master.mp4", 1.0, (0.05, 0.4, 0.3, 0.6)), (0, 0, 0))
    # Without the focus the vertical looks at the centre, where there is no subject...
    del data["video"][0]["focus"]
    plain = write_edl(shots, "plain.yaml", data)
    again = render_all([plain], tmp_path / "plain.mp4", cache=tmp_path / "cache")
    assert close(mean_color(tmp_path / "plain.vertical.mp4", 1.0, (0.4, 0.4, 0.6, 0.6)), (0, 0, 0))
    # ... and the master, which crops nothing, is the very same segments as with it.
    assert again["master"].rendered == 0 and again["vertical"].rendered == 1


ALL_AT_ONCE = """version: 1
output: {size: 640x360, fps: 30}
video:
  - shot: s01
    takes: {a: a.mp4, b: b.mp4}
    pick: c
  - shot: s02
    takes: {a: a.mp4}
    length: 5
    fit_length: trim
  - shot: s03
    takes: {a: a.mp4}
    length: 9
    fit_length: retime
  - clip: a.mp4
    focus: {x: 1.5, y: 0.5}
  - shot: s04
    takes: {a: a.mp4, b: gone.mp4}
    pick: b
deliverables:
  - {name: master}
  - {name: vertical, size: 361x640}
  - {name: small, size: 0x0}
  - {name: master}
"""


def test_every_series_problem_is_an_error_at_its_line_all_at_once(shots, tmp_path):
    edl = shots / "all.yaml"
    edl.write_text(ALL_AT_ONCE)
    with pytest.raises(EdlError) as info:
        assembler.render(edl, tmp_path / "all.mp4", cache=tmp_path / "cache")
    errors = [p for p in info.value.problems if p.severity == "error"]
    lines = {p.line for p in errors}
    # the unknown pick, too short to trim, a retime past 4x, the focus, the missing take,
    # the odd size, the zero size, the second `master`
    assert {6, 9, 14, 16, 18, 22, 23, 24} <= lines, "\n".join(map(str, errors))
    assert all(p.file.endswith("all.yaml") for p in errors)
    assert not (tmp_path / "cache" / "segments").exists() and not list(tmp_path.glob("*.mp4"))


def test_deliverables_made_together_are_byte_for_byte_those_made_alone(shots, tmp_path):
    # One ffmpeg run makes each stretch of every deliverable (the sources decoded once):
    # each file is still exactly what its own render makes.
    edl = write_edl(shots, "ep.yaml", episode())
    together = render_all([edl], tmp_path / "t" / "ep.mp4", cache=tmp_path / "cache-t")
    for name in ("master", "vertical", "review"):
        alone = render_all([edl], tmp_path / name / "ep.mp4", cache=tmp_path / f"cache-{name}", only=[name])
        assert alone[name].path.read_bytes() == together[name].path.read_bytes(), name
    made = [receipt(tmp_path / "t" / f"ep.{n}.mp4")["segments"] for n in ("master", "vertical", "review")]
    assert all(s["rendered_now"] for segments in made for s in segments)
    # The receipts name the one command that made the three: its outputs are theirs.
    assert made[0][0]["argv"] == made[1][0]["argv"] == made[2][0]["argv"]


def test_a_deliverable_of_its_own_frame_rate_is_timed_on_its_own_grid(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode(deliverables=[{"name": "master"},
                                                            {"name": "film", "fps": 24, "size": "320x180"}]))
    delivered = render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert delivered["master"].frames == 90 and delivered["film"].frames == 72  # 3 s at 30 and at 24 fps
    assert count_frames(tmp_path / "ep.film.mp4") == 72
    assert stream_info(tmp_path / "ep.film.mp4")["fps"] == 24
    # Its sound is as long as its picture, to the sample.
    assert abs(stream_info(tmp_path / "ep.film.mp4")["audio_duration"] - 3.0) < 0.03


def test_a_season_takes_picks_and_only_where_they_apply_and_refuses_what_none_has(shots, tmp_path):
    season = tmp_path / "season"
    season.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(shots / name, season / name)
    (season / "ep1.yaml").write_text("version: 1\nvideo:\n  - shot: s01\n    takes: {a: a.mp4, b: b.mp4}\n"
                                     "deliverables:\n  - {name: master}\n  - {name: small, size: 320x180}\n")
    (season / "ep2.yaml").write_text("version: 1\nvideo:\n  - clip: a.mp4\n")
    edls = [season / "ep1.yaml", season / "ep2.yaml"]
    delivered = render_all(edls, tmp_path / "out", cache=tmp_path / "cache", picks={"s01": "b"}, only=["small"])
    assert list(delivered) == ["ep1.small", "ep2"]
    assert close(mean_color(tmp_path / "out" / "ep1.small.mp4", 1.0), BLUE)  # take b, in the one EDL with s01
    assert not (tmp_path / "out" / "ep1.master.mp4").exists()
    assert [row[0] for row in delivered.rows()] == ["ep1.small.mp4", "ep2.mp4"]
    with pytest.raises(EdlError) as info:
        render_all(edls, tmp_path / "out", cache=tmp_path / "cache", picks={"s09": "b"}, only=["tiny"])
    said = " ".join(p.message for p in info.value.problems)
    assert "--pick s09=b: no EDL of these has a shot slot `s09`" in said and "--only tiny" in said


def test_a_notebook_shows_what_a_run_made_as_a_table(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode())
    delivered = render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache", only=["master", "review"])
    table = delivered._repr_html_()
    assert table.count("<tr>") == 3 and "ep.master.mp4" in table and "ep.review.mp4" in table
    assert "ep.vertical.mp4" not in table and "3 / 0" in table
    assert repr(delivered).startswith("<Delivered 2 files")


def test_each_deliverables_receipt_verifies_by_rendering_that_file_again(shots, tmp_path):
    edl = write_edl(shots, "ep.yaml", episode())
    render_all([edl], tmp_path / "ep.mp4", cache=tmp_path / "cache")
    for name in ("vertical", "review"):
        checked = assembler.verify(tmp_path / f"ep.{name}.receipt.json")
        assert checked.matches and not checked.changed_inputs, name
    result = CliRunner().invoke(app, ["verify", str(tmp_path / "ep.master.receipt.json")])
    assert result.exit_code == 0, result.output


SERIES_WITH_DELIVERABLES = """version: 1
output: {size: 320x180, fps: 30}
intro:
  - color: green
    duration: 1
deliverables:
  - {name: master}
  - {name: vertical, size: 180x320, fit: cover}
  - {name: review, size: 160x90, preset: ultrafast, burn_info: true}
"""


def test_a_series_season_and_episodes_deliver_three_files_each_and_rerender_like_clean_renders(shots, tmp_path):
    root = tmp_path / "show"
    (root / "s1").mkdir(parents=True)
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(shots / name, root / "s1" / name)
    make_clip(root / "s1" / "long.mp4", color="yellow", size=(640, 360), fps=30, duration=3, tone=550)
    (root / "series.yaml").write_text(SERIES_WITH_DELIVERABLES)
    (root / "s1" / "season.yaml").write_text("version: 1\nextends: ../series.yaml\noutput: {loudness: -20}\n")
    for n in (1, 2):
        (root / "s1" / f"ep{n}.yaml").write_text(
            "version: 1\nextends: season.yaml\nvideo:\n  - shot: s01\n    takes: {a: a.mp4, b: long.mp4}\n"
            "    length: 1.5\n    fit_length: trim\n  - clip: b.mp4\n")
    edls = [root / "s1" / "ep1.yaml", root / "s1" / "ep2.yaml"]
    out, cache = tmp_path / "out", tmp_path / "cache"
    first = render_all(edls, out, cache=cache)
    assert sorted(first) == sorted(f"ep{n}.{d}" for n in (1, 2) for d in ("master", "vertical", "review"))
    for n in (1, 2):
        path = out / f"ep{n}.master.mp4"
        assert close(mean_color(path, 0.5), (0, 128, 0)) and close(mean_color(path, 1.7), RED)  # intro, take a
        assert abs(first[f"ep{n}.master"].loudness["integrated"] + 20) <= 1  # type: ignore[index]
        assert sizes(out / f"ep{n}.vertical.mp4") == (180, 320) and sizes(out / f"ep{n}.review.mp4") == (160, 90)
    # Episode 2 is episode 1 again: nothing of it was rendered twice.
    assert all(first[f"ep2.{d}"].rendered == 0 for d in ("master", "vertical", "review"))
    # Another take, and a series setting: only what they change is rendered again ...
    again = render_all(edls, out, cache=cache, picks={"s01": "b"})
    assert close(mean_color(out / "ep1.master.mp4", 1.7), (255, 255, 0))
    assert 0 < again["ep1.master"].rendered < again["ep1.master"].segments
    (root / "series.yaml").write_text(SERIES_WITH_DELIVERABLES.replace("color: green", "color: blue"))
    third = render_all(edls, out, cache=cache, picks={"s01": "b"})
    assert close(mean_color(out / "ep1.vertical.mp4", 0.5), BLUE)
    assert 0 < third["ep1.vertical"].rendered < third["ep1.vertical"].segments
    # ... and the files are byte for byte those of a clean render.
    clean = render_all(edls, tmp_path / "clean", cache=False, picks={"s01": "b"})
    for label, result in clean.items():
        assert result.path.read_bytes() == third[label].path.read_bytes(), label


def test_where_files_go_when_o_is_a_folder_a_file_or_not_given(shots, tmp_path):
    work = tmp_path / "work"
    work.mkdir()
    for name in ("a.mp4", "b.mp4"):
        shutil.copy(shots / name, work / name)
    one = write_edl(work, "ep1.yaml", episode(deliverables=[{"name": "master"}, {"name": "small", "size": "320x180"}]))
    two = write_edl(work, "ep2.yaml", {k: v for k, v in episode().items() if k != "deliverables"})
    (tmp_path / "renders").mkdir()
    run = CliRunner().invoke
    # One EDL into a folder: named for the EDL, as a season's files are.
    assert run(app, ["render", str(one), "-o", str(tmp_path / "renders"), "-q"]).exit_code == 0
    assert sorted(p.name for p in (tmp_path / "renders").glob("*.mp4")) == ["ep1.master.mp4", "ep1.small.mp4"]
    # Several EDLs into a file name: refused, nothing made.
    result = run(app, ["render", str(one), str(two), "-o", str(tmp_path / "season.mp4"), "-q"])
    assert result.exit_code == 2 and "several EDLs write into a folder" in result.output
    assert not (tmp_path / "season.mp4").exists()
    # Several EDLs without -o: each beside itself, as one EDL is.
    assert run(app, ["render", str(one), str(two), "-q"]).exit_code == 0
    assert {"ep1.master.mp4", "ep1.small.mp4", "ep2.mp4"} <= {p.name for p in work.glob("*.mp4")}


def refused(edl: Path, out: Path, text: str) -> tuple:
    """The problems of checking the EDL ``text`` (written to ``edl``) for ``out``, which it must refuse."""
    edl.write_text(text)
    with pytest.raises(EdlError) as info:
        assembler.batch.check_all([edl], out)
    return info.value.problems


def test_a_deliverables_bad_setting_is_said_where_it_wrote_it_beside_every_other_problem(shots, tmp_path):
    problems = refused(shots / "settings.yaml", tmp_path / "s.mp4",
                       "version: 1\noutput: {size: 640x360, fps: 30}\nvideo:\n  - clip: a.mp4\n    volume: 900\n"
                       "deliverables:\n  - {name: master}\n  - {name: h, preset: superfast2}\n"
                       "  - {name: v, video: {codec: libx265x}}\n")
    said = {(p.line, p.path) for p in problems if p.severity == "error"}
    assert said == {(5, "video[0].volume"), (8, "deliverables[1].preset"), (9, "deliverables[2].video.codec")}, said


def test_diff_counts_every_deliverables_segments(shots, tmp_path):
    a = write_edl(shots, "da.yaml", episode())
    changed = episode()
    changed["deliverables"][1] = {"name": "vertical", "size": "360x640", "fit": "cover"}
    b = write_edl(shots, "db.yaml", changed)
    found = assembler.diff(a, b, cache=tmp_path / "cache")
    assert found.items == ("deliverables[1]",)
    # Each file is three segments (a body, the dissolve, a body): the vertical's differ, the others' do not.
    assert len(found.only_a) == len(found.only_b) == 3 and found.shared == 6 and not found.sound


def test_a_file_is_probed_once_for_every_deliverable_also_on_a_new_cache(shots, tmp_path, monkeypatch):
    import assembler.run.cache as cache_module
    opened: list = []
    real = cache_module.probe
    monkeypatch.setattr(cache_module, "probe", lambda path: opened.append(path) or real(path))
    edl = write_edl(shots, "ep.yaml", episode())  # a.mp4 twice, three deliverables
    assembler.batch.check_all([edl], tmp_path / "ep.mp4", store=cache_module.Cache(tmp_path / "new-cache"))
    assert len(opened) == 1 and opened[0].name == "a.mp4"


def test_a_container_that_cannot_hold_a_deliverables_setting_is_said_at_that_setting(shots, tmp_path):
    (problem,) = refused(shots / "soft.yaml", tmp_path / "ep.mkv",
                         "version: 1\noutput: {size: 320x180}\nvideo:\n  - clip: a.mp4\n"
                         "    subtitles: [{start: 0, end: 1, text: hi}]\n"
                         "deliverables:\n  - {name: master}\n  - {name: soft, subtitles: {soft: true}}\n")
    assert (problem.line, problem.path) == (8, "deliverables[1].subtitles.soft") and "Matroska" in problem.message
