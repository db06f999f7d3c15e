"""A series file (`extends`): episodes merged over their parents, rendered and measured.

Every render here is real (lavfi colours and clips, the bundled ffmpeg); what is asserted
comes from the EDLs: the size and rate the series sets, the colour a LUT it names gives,
the intro and outro it plays, and the file and line each problem names.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

import assembler
from assembler.errors import EdlError
from media_tools import count_frames, make_clip, mean_color, stream_info
from test_looks import near, swap, write_cube

SERIES = """\
version: 1
name: The Series
output:
  size: 160x90
  fps: 25
  lut: looks/swap.cube
  video: {preset: ultrafast, crf: 10}
video:
  - color: white
    duration: 1
"""


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def series(tmp_path) -> Path:
    """tmp/series.yaml (and its LUT beside it, in looks/); episodes go in tmp/s1/."""
    (tmp_path / "looks").mkdir()
    write_cube(tmp_path / "looks" / "swap.cube", swap)
    return write(tmp_path / "series.yaml", SERIES)


def render(edl: Path, **kw):
    return assembler.render(edl, edl.with_suffix(".mp4"), cache=False, **kw)


def size_of(path: Path) -> tuple[int, int]:
    info = stream_info(path)
    return info["width"], info["height"]


def test_an_episode_takes_the_series_output_and_overrides_one_key(series):
    ep = write(series.parent / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\noutput:\n  fps: 10\n"
                                                  "video:\n  - color: red\n    duration: 0.6\n")
    out = render(ep).path
    assert size_of(out) == (160, 90)  # the series' size
    assert count_frames(out) == 6  # the episode's 10 fps over the series' 25
    assert near(mean_color(out, 0.3), (0, 0, 255))  # the series' LUT (red and blue swapped), from its own folder


def test_null_removes_an_inherited_value(series):
    ep = write(series.parent / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\noutput:\n  lut: null\n"
                                                  "video:\n  - color: red\n    duration: 0.4\n")
    out = render(ep).path
    assert near(mean_color(out, 0.2), (255, 0, 0))  # no LUT: red stays red
    assert count_frames(out) == 10 and size_of(out) == (160, 90)  # the rest still inherited


def test_lists_are_replaced_and_a_season_sits_between(series):
    write(series.parent / "season1" / "season.yaml", "extends: ../series.yaml\noutput:\n  size: 96x54\n")
    ep = write(series.parent / "season1" / "ep2.yaml", "version: 1\nextends: season.yaml\n")
    out = render(ep).path
    assert size_of(out) == (96, 54)  # the season's, over the series'
    assert count_frames(out) == 25  # the series' video: one white second, inherited whole
    assert near(mean_color(out, 0.5), (255, 255, 255))
    ep3 = write(series.parent / "season1" / "ep3.yaml", "version: 1\nextends: season.yaml\nvideo:\n"
                                                        "  - color: blue\n    duration: 0.2\n")
    out = render(ep3).path
    assert count_frames(out) == 5  # the episode's list replaces the series' whole
    assert near(mean_color(out, 0.1), (255, 0, 0))  # blue, swapped by the series' LUT


def test_a_bad_inherited_value_is_said_in_the_parent_at_its_line(series):
    write(series, SERIES.replace("fps: 25", "fps: fast"))
    ep = write(series.parent / "ep.yaml", "version: 1\nextends: series.yaml\nvideo:\n  - color: red\n"
                                          "    duration: [1]\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(ep)
    found = {(Path(p.file).name, p.line, p.path) for p in caught.value.problems if p.severity == "error"}
    assert ("series.yaml", 5, "output.fps") in found  # where the series wrote it
    assert ("ep.yaml", 5, "video[0].duration") in found  # and the episode's own, at once


def test_a_missing_parent_a_cycle_another_version_and_a_non_mapping_are_errors_at_extends(tmp_path):
    missing = write(tmp_path / "a.yaml", "version: 1\nvideo: [{color: red, duration: 1}]\nextends: nowhere.yaml\n")
    write(tmp_path / "b.yaml", "version: 1\nextends: c.yaml\n")
    write(tmp_path / "c.yaml", "output: {fps: 25}\nextends: b.yaml\n")
    write(tmp_path / "v2.yaml", "version: 2\noutput: {fps: 25}\n")
    other = write(tmp_path / "d.yaml", "version: 1\nextends: v2.yaml\nvideo: [{color: red, duration: 1}]\n")
    write(tmp_path / "list.yaml", "- 1\n- 2\n")
    listed = write(tmp_path / "e.yaml", "version: 1\nextends: list.yaml\nvideo: [{color: red, duration: 1}]\n")
    cases = [(missing, "a.yaml", 3, "not found"), (tmp_path / "b.yaml", "c.yaml", 2, "a cycle"),
             (other, "d.yaml", 2, "version 2"), (listed, "e.yaml", 2, "cannot be read")]
    for edl, file, line, words in cases:
        with pytest.raises(EdlError) as caught:
            assembler.check(edl)
        first = caught.value.problems[0] if caught.value.problems[0].path else caught.value.problems[-1]
        said = [p for p in caught.value.problems if p.path == "extends"]
        assert said, caught.value
        assert (Path(said[0].file).name, said[0].line) == (file, line) and words in said[0].message, said[0]
        assert "Traceback" not in str(caught.value) and first
    with pytest.raises(EdlError) as caught:  # the list's own problem follows, in its own file
        assembler.check(listed)
    assert any(Path(p.file).name == "list.yaml" and p.line == 1 for p in caught.value.problems)


def test_the_series_intro_and_outro_play_around_the_episode(series, tmp_path):
    (tmp_path / "clips").mkdir()
    make_clip(tmp_path / "clips" / "intro.mp4", color="green", size=(160, 90), fps=25, duration=1, tone=None)
    write(series, SERIES.replace("  lut: looks/swap.cube\n", "") + (
        "intro:\n  - clip: clips/intro.mp4\n    out: 0.4\n  - transition: dissolve\n    duration: 0.2\n"
        "outro:\n  - color: blue\n    duration: 0.4\n"))
    ep = write(tmp_path / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\nvideo:\n"
                                             "  - color: red\n    duration: 0.8\n")
    out = render(ep).path
    assert count_frames(out) == (4 + 1 + 2) * 5  # 0.4 + 0.8 - 0.2 of dissolve + 0.4 at 25 fps
    assert near(mean_color(out, 0.08), (0, 128, 0), tol=20)  # the intro's clip, found from the series' folder
    assert near(mean_color(out, 0.7), (255, 0, 0))  # the episode
    assert near(mean_color(out, 1.3), (0, 0, 255))  # the outro
    mid = mean_color(out, 0.3)  # inside the dissolve: green and red at once
    assert mid[0] > 40 and mid[1] > 20
    # The check's table names each item as it was written, with the series' file for its own.
    table = subprocess.run([sys.executable, "-m", "assembler", "check", str(ep)], capture_output=True, text=True)
    rows = [line.split("│")[1].strip() for line in table.stdout.splitlines() if line.startswith("│")]
    assert rows == ["intro[0] (series.yaml)", "video[0]", "outro[0] (series.yaml)"], rows  # (transitions are joins)


def test_a_problem_in_an_inherited_intro_names_the_series_file(series, tmp_path):
    write(series, SERIES + "intro:\n  - clip: clips/none.mp4\n  - color: red\n    duration: -1\n")
    ep = write(tmp_path / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(ep)
    found = {(Path(p.file).name, p.line, p.path) for p in caught.value.problems}
    assert ("series.yaml", 12, "intro[0].clip") in found, caught.value
    assert ("series.yaml", 14, "intro[1].duration") in found, caught.value


def test_an_edl_that_extends_nothing_is_read_as_before(tmp_path):
    from assembler.model.load import parse
    from assembler.model.series import read
    ep = write(tmp_path / "ep.yaml", "version: 1\nvideo:\n  - color: red\n    duration: 1\n")
    assert read(ep) == parse(ep)


def test_a_series_media_root_starts_from_the_series_folder_and_holds_for_the_episode(tmp_path):
    (tmp_path / "media").mkdir()
    make_clip(tmp_path / "media" / "ident.mp4", color="green", size=(160, 90), fps=25, duration=1, tone=None)
    make_clip(tmp_path / "media" / "shot.mp4", color="blue", size=(160, 90), fps=25, duration=1, tone=None)
    write(tmp_path / "series.yaml", "version: 1\nmedia_root: media\noutput: {size: 160x90, fps: 25, "
                                    "video: {preset: ultrafast, crf: 10}}\nintro:\n  - clip: ident.mp4\n    out: 0.4\n")
    ep = write(tmp_path / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\nvideo:\n"
                                             "  - clip: shot.mp4\n    out: 0.4\n")
    out = render(ep).path
    assert count_frames(out) == 20
    assert near(mean_color(out, 0.2), (0, 128, 0), tol=20)  # the series' clip, under its media_root
    assert near(mean_color(out, 0.6), (0, 0, 255), tol=20)  # the episode's, under the media_root it inherits


def test_an_edl_built_in_code_extends_a_file_too(series, tmp_path):
    edl = assembler.Edl(version=1, extends="series.yaml", video=[assembler.Color(color="red", duration=0.4)])
    out = assembler.render(edl, tmp_path / "code.mp4", base_dir=tmp_path, cache=False).path
    assert count_frames(out) == 10 and size_of(out) == (160, 90)  # the series' output, not the model's defaults
    assert near(mean_color(out, 0.2), (0, 0, 255))  # and its LUT


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assembler", *args], capture_output=True, text=True)


def test_check_resolved_prints_the_merged_edl_saying_where_each_inherited_value_was_written(series, tmp_path):
    write(series, SERIES + 'intro:\n  - title: "Ep. \\"1\\": ünïcode"\n    duration: 0.2\n')
    ep = write(tmp_path / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\noutput:\n  fps: 10\n"
                                             "  lut: null\nvideo:\n  - color: red\n    duration: 1.0e-1\n")
    proc = cli("check", "--resolved", str(ep))
    assert proc.returncode == 0, proc.stderr
    text = proc.stdout
    said = {line.split(":")[0].strip(): line for line in text.splitlines()}
    assert said["size"].endswith("# from " + str(series) + ":4")  # inherited: its file and line
    assert "# from" not in said["fps"] and "fps: 10" in said["fps"]  # the episode's own: no comment
    assert "lut" not in said and "extends" not in said and "intro" not in said  # removed, consumed
    assert "(intro[0].title)" in text  # an intro item, named as the series wrote it
    again = write(tmp_path / "s1" / "resolved.yaml", text)  # beside the episode: its paths mean the same
    from assembler.model.load import parse, validate
    from assembler.model.series import read
    assert validate(parse(again)).edl == validate(read(ep)).edl
    assert validate(parse(again)).edl.video[0].title == 'Ep. "1": ünïcode'  # type: ignore[union-attr]


def test_check_resolved_of_a_missing_parent_fails_with_the_line(tmp_path):
    ep = write(tmp_path / "ep.yaml", "version: 1\nextends: gone.yaml\nvideo: [{color: red, duration: 1}]\n")
    proc = cli("check", "--resolved", str(ep))
    assert proc.returncode == 2 and "ep.yaml:2: extends" in proc.stderr and "Traceback" not in proc.stderr


def test_an_edit_of_the_series_rerenders_exactly_what_it_changes_and_the_receipt_counts_it(series, tmp_path):
    from assembler.run.receipts import Receipt
    write(series, SERIES.replace("  lut: looks/swap.cube\n", "") + (
        "intro:\n  - color: green\n    duration: 0.8\noutro:\n  - color: blue\n    duration: 0.8\n"))
    ep = write(tmp_path / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\nvideo:\n"
                                             "  - color: red\n    duration: 0.8\n")
    cache, out = tmp_path / "cache", tmp_path / "s1" / "ep1.mp4"
    first = assembler.render(ep, out, cache=cache)
    receipt = Receipt.read(first.receipt)
    assert str(series.resolve()) in {i.path for i in receipt.inputs}  # the series file is an input
    write(series, series.read_text().replace("color: blue", "color: yellow"))  # only the outro changes
    again = assembler.render(ep, out, cache=cache)
    fresh = [s for s in Receipt.read(again.receipt).segments if s.rendered_now]
    assert fresh and all(s.frames[0] >= 40 for s in fresh)  # only what shows the outro (from frame 40)
    assert len(fresh) < len(receipt.segments)
    assert near(mean_color(out, 2.0), (255, 255, 0)) and near(mean_color(out, 1.2), (255, 0, 0))
    ep2 = write(tmp_path / "s1" / "ep2.yaml", ep.read_text())  # another episode of the series: its intro is made
    reused = Receipt.read(assembler.render(ep2, tmp_path / "s1" / "ep2.mp4", cache=cache).receipt)
    assert not any(s.rendered_now for s in reused.segments)  # once, in the shared cache


def test_diff_names_the_parent_that_differs(series, tmp_path):
    ep = write(tmp_path / "ep.yaml", "version: 1\nextends: series.yaml\nvideo:\n  - color: red\n    duration: 0.4\n")
    other = tmp_path / "other"
    other.mkdir()
    (other / "looks").mkdir()
    write_cube(other / "looks" / "swap.cube", swap)
    write(other / "series.yaml", SERIES.replace("fps: 25", "fps: 24"))
    ep_b = write(other / "ep.yaml", ep.read_text())
    proc = cli("diff", str(ep), str(ep_b))
    assert proc.returncode == 0, proc.stderr
    assert f"differs: {(other / 'series.yaml').resolve()}" in proc.stdout
    assert "0 segments" not in proc.stdout  # another rate: every segment to render again


def test_a_render_may_not_write_over_a_parent_and_an_inherited_encoder_is_said_in_the_parent(series, tmp_path):
    ep = write(tmp_path / "ep.yaml", "version: 1\nextends: series.yaml\nvideo:\n  - color: red\n    duration: 0.4\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(ep, out=series)
    assert any("series.yaml" in p.message and "overwritten" in p.message for p in caught.value.problems), caught.value
    write(series, SERIES.replace("{preset: ultrafast, crf: 10}", "{codec: nosuch264, preset: ultrafast}"))
    with pytest.raises(EdlError) as caught:
        assembler.check(ep, out=tmp_path / "ep.mp4")
    said = [(Path(p.file).name, p.line, p.path) for p in caught.value.problems]
    assert ("series.yaml", 7, "output.video.codec") in said, caught.value


def test_extends_must_name_a_file(tmp_path):
    ep = write(tmp_path / "ep.yaml", "version: 1\nvideo: [{color: red, duration: 1}]\nextends: [a.yaml]\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(ep)
    assert [(p.line, p.path) for p in caught.value.problems] == [(3, "extends")]


def test_a_json_season_between_yaml_files(series, tmp_path):
    write(tmp_path / "season.json", '{\n  "extends": "series.yaml",\n  "output": {\n    "fps": "fast"\n  }\n}\n')
    ep = write(tmp_path / "ep.yaml", "version: 1\nextends: season.json\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(ep)
    assert ("season.json", 4, "output.fps") in {(Path(p.file).name, p.line, p.path) for p in caught.value.problems}


def test_a_parent_that_is_a_folder_or_a_device_is_refused_unread(tmp_path):
    (tmp_path / "folder.yaml").mkdir()
    for named, words in (("folder.yaml", "not a file"), ("/dev/zero", "not a file")):
        ep = write(tmp_path / "ep.yaml", f"version: 1\nextends: {named}\nvideo: [{{color: red, duration: 1}}]\n")
        with pytest.raises(EdlError) as caught:
            assembler.check(ep)
        assert [(p.line, p.path) for p in caught.value.problems] == [(2, "extends")]
        assert words in caught.value.problems[0].message


def test_an_intro_without_a_series_plays_before_video(tmp_path):
    ep = write(tmp_path / "ep.yaml", "version: 1\noutput: {size: 96x54, fps: 10}\nintro:\n  - color: green\n"
                                     "    duration: 0.3\nvideo:\n  - color: red\n    duration: 0.2\n"
                                     "outro:\n  - color: blue\n    duration: 0.1\n")
    timeline = assembler.check(ep)
    assert [p.frames for p in timeline.placements] == [3, 2, 1]
    assert [p.index for p in timeline.placements] == [0, 1, 2]


def test_verify_names_an_edited_series_file_as_a_changed_input(series, tmp_path):
    ep = write(tmp_path / "ep.yaml", "version: 1\nextends: series.yaml\nvideo:\n  - color: red\n    duration: 0.4\n")
    result = assembler.render(ep, tmp_path / "ep.mp4", cache=tmp_path / "cache")
    assert assembler.verify(result.receipt).matches  # type: ignore[arg-type]
    write(series, SERIES.replace("fps: 25", "fps: 24"))
    after = assembler.verify(result.receipt)  # type: ignore[arg-type]
    assert not after.matches and str(series.resolve()) in after.changed_inputs


def test_a_message_names_an_inherited_item_as_it_was_written(series, tmp_path):
    """A problem that names another item names it where it was written (``intro[2]`` of
    the series file), not by its place on the merged main track (video[2])."""
    write(series, SERIES + "intro:\n  - color: green\n    duration: 2\n  - transition: {type: dissolve, duration: 0.6}\n"
                           "  - color: blue\n    duration: 1\n")
    ep = write(tmp_path / "s1" / "ep1.yaml", "version: 1\nextends: ../series.yaml\nvideo:\n"
                                             "  - transition: {type: dissolve, duration: 0.6}\n"
                                             "  - color: red\n    duration: 2\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(ep)
    [overlap] = [p for p in caught.value.problems if "overlap on" in p.message]
    assert (Path(overlap.file).name, overlap.path) == ("ep1.yaml", "video[0].duration"), overlap
    assert "overlap on intro[2] of " in overlap.message and "series.yaml" in overlap.message, overlap
    assert "video[2]" not in overlap.message


def test_diff_names_an_episodes_items_as_it_wrote_them_after_the_series_intro(series, tmp_path):
    write(series, SERIES + "intro:\n  - color: green\n    duration: 0.4\n")
    one = write(tmp_path / "s1" / "a.yaml", "version: 1\nextends: ../series.yaml\nvideo:\n"
                                            "  - color: red\n    duration: 0.4\n  - color: blue\n    duration: 0.4\n")
    two = write(tmp_path / "s1" / "b.yaml", one.read_text().replace("blue", "yellow"))
    found = assembler.diff(one, two, cache=tmp_path / "cache")
    assert found.items == ("video[1]",)  # its second item, as the episode numbers it (the intro plays first)
    (tmp_path / "s2").mkdir()
    write(tmp_path / "s2" / "series.yaml", SERIES.replace("  lut: looks/swap.cube\n", "")
          + "intro:\n  - color: white\n    duration: 0.4\n")
    three = write(tmp_path / "s2" / "c.yaml", one.read_text().replace("../series.yaml", "series.yaml"))
    assert assembler.diff(one, three, cache=tmp_path / "cache").items[0].startswith("intro[0] of ")
