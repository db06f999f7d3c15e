"""Media that lie: a still named like an image sequence, files whose content is not what
their names say, a truncated clip, and a clip whose data does not decode."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from typer.testing import CliRunner

import assembler
from assembler import EdlError
from assembler.cli import app
from conftest import write_edl
from media_tools import make_clip, make_image, mean_color, run_ffmpeg

OUTPUT = {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}}


def episode(video: list, **more) -> dict:
    return {"version": 1, "output": OUTPUT, "video": video, **more}


def problems_of(edl: Path) -> list:
    with pytest.raises(EdlError) as raised:
        assembler.check(edl)
    return raised.value.problems


def near(rgb, expected, tolerance: int = 40) -> bool:
    return all(abs(float(a) - b) <= tolerance for a, b in zip(rgb, expected))


# ------------------------------------------------------------------ (a) sequence-like names

def test_a_still_named_like_a_sequence_is_read_as_that_one_file(tmp_path):
    make_image(tmp_path / "p%d.png", color="blue", size=(320, 180))
    make_image(tmp_path / "p1.png", color="red", size=(160, 90))  # what image2 would read instead
    assert assembler.probe(tmp_path / "p%d.png").width == 320
    # On the main track (an input of its own), and as an overlay (a `movie` source) over green.
    edl = write_edl(tmp_path, "ep.yaml", episode([{"image": "p%d.png", "duration": 1}]))
    over = write_edl(tmp_path, "over.yaml", episode(
        [{"color": "green", "duration": 1}],
        overlays=[{"image": "p%d.png", "position": "top-left", "scale": 0.5, "start": 0, "end": 1}]))
    main = assembler.render(edl, tmp_path / "main.mp4").path
    assert near(mean_color(main, 0.5), (0, 0, 255))
    drawn = assembler.render(over, tmp_path / "over.mp4").path
    assert near(mean_color(drawn, 0.5, box=(0.1, 0.1, 0.4, 0.4)), (0, 0, 255))
    assert near(mean_color(drawn, 0.5, box=(0.6, 0.6, 0.9, 0.9)), (0, 128, 0))


# ------------------------------------------------------------------ (b) content, not names

def where(problems, path: str) -> list[str]:
    """The errors (as printed) at field ``path``."""
    return [str(p) for p in problems if p.path == path and p.severity == "error"]


@pytest.mark.parametrize("target", ["clip.mp4", "picture.png"])
def test_a_subtitle_link_to_a_video_or_picture_is_an_error_at_its_line(tmp_path, target):
    make_clip(tmp_path / "clip.mp4", duration=1)
    make_image(tmp_path / "picture.png")
    (tmp_path / "subs.srt").symlink_to(tmp_path / target)
    edl = tmp_path / "ep.yaml"
    edl.write_text("version: 1\nvideo:\n  - clip: clip.mp4\nsubtitles:\n  file: subs.srt\n", encoding="utf-8")
    found = where(problems_of(edl), "subtitles.file")
    what = "an MP4 or MOV video" if target == "clip.mp4" else "a PNG picture"
    assert found == [f"{edl}:5: subtitles.file: subs.srt (a link to {tmp_path / target}) is {what}, "
                     "not a subtitle file (name the SRT file itself)"]


def write_cube(path: Path, size: int = 2, rows: int | None = None) -> Path:
    steps = [i / (size - 1) for i in range(size)]
    table = [f"{r:.3f} {g:.3f} {b:.3f}" for b in steps for g in steps for r in steps]
    path.write_text("\n".join([f"LUT_3D_SIZE {size}", *table[:rows]]) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("lut, words", [
    ("link-to-mp4", "look.cube (a link to {folder}/clip.mp4) is an MP4 or MOV video, not a 3D LUT"),
    ("link-to-png", "look.cube (a link to {folder}/picture.png) is a PNG picture, not a 3D LUT"),
    ("text", "look.cube is not a 3D LUT: it has no LUT_3D_SIZE line (from 2 to 256)"),
    ("cut", "look.cube is not a whole 3D LUT: it has 5 of its 8 rows (2x2x2)"),
    ("3dl", "look.3dl is not a 3D LUT: it does not start with its input levels (a line of whole numbers)"),
])
def test_a_lut_that_is_not_a_lut_is_an_error_at_check_with_its_line(tmp_path, lut, words):
    make_clip(tmp_path / "clip.mp4", duration=1)
    make_image(tmp_path / "picture.png")
    name = "look.3dl" if lut == "3dl" else "look.cube"
    if lut.startswith("link"):
        (tmp_path / name).symlink_to(tmp_path / ("clip.mp4" if lut == "link-to-mp4" else "picture.png"))
    elif lut == "cut":
        write_cube(tmp_path / name, rows=5)
    else:
        (tmp_path / name).write_text("TITLE \"a look\"\n0.1 0.2 0.3\n", encoding="utf-8")
    edl = tmp_path / "ep.yaml"
    edl.write_text(f"version: 1\nvideo:\n  - clip: clip.mp4\n    lut: {name}\n", encoding="utf-8")
    hint = " (export the grade again as a 3D LUT (.cube or .3dl))"
    assert where(problems_of(edl), "video[0].lut") == [f"{edl}:4: video[0].lut: {words.format(folder=tmp_path)}{hint}"]


def test_a_whole_small_lut_passes_the_check(tmp_path):
    make_clip(tmp_path / "clip.mp4", duration=1)
    write_cube(tmp_path / "look.cube")
    edl = tmp_path / "ep.yaml"
    edl.write_text("version: 1\nvideo:\n  - clip: clip.mp4\n    lut: look.cube\n", encoding="utf-8")
    assert assembler.check(edl).placements[0].luts == (tmp_path / "look.cube",)


# ------------------------------------------------------------------ (c) a truncated clip

@pytest.fixture
def cut(tmp_path) -> Path:
    """A 2 s clip whose header (at the front) is whole and whose bytes stop at half."""
    make_clip(tmp_path / "whole.mp4", duration=2, fps=25)
    run_ffmpeg("-i", str(tmp_path / "whole.mp4"), "-c", "copy", "-movflags", "+faststart", str(tmp_path / "front.mp4"))
    data = (tmp_path / "front.mp4").read_bytes()
    (tmp_path / "cut.mp4").write_bytes(data[:len(data) // 2])
    return tmp_path / "cut.mp4"


def test_a_truncated_clip_is_probed_to_where_its_data_ends(cut):
    whole, info = assembler.probe(cut.parent / "front.mp4"), assembler.probe(cut)
    assert whole.duration == info.duration == 2 and whole.data_end is None
    assert 0.5 < info.data_end < 1.5


def test_a_clip_that_reads_past_the_data_of_a_truncated_file_is_an_error_at_its_field(cut):
    edl = write_edl(cut.parent, "ep.yaml", episode([{"clip": "whole.mp4", "out": 0.4}, {"clip": "cut.mp4"}]))
    found = [p for p in problems_of(edl) if p.path == "video[1].clip"]
    end = f"{float(assembler.probe(cut).data_end):.3f}"
    line = edl.read_text().splitlines().index('      "clip": "cut.mp4"') + 1
    assert [(p.severity, p.line, p.message) for p in found] == [
        ("error", line, f"cut.mp4 is cut short: its data ends at {end} s, though its header says 2.000 s, "
                      "and it is read up to 2.000 s")]
    assert f"end it by {end} s" in found[0].hint


def test_a_clip_that_loses_less_than_half_a_second_is_a_warning_and_one_inside_the_data_nothing(cut):
    end = assembler.probe(cut).data_end
    near_end = write_edl(cut.parent, "a.yaml", episode([{"clip": "cut.mp4", "out": float(end) + 0.3}]))
    warned = [p for p in assembler.check(near_end).warnings if p.path == "video[0].clip"]
    assert [p.severity for p in warned] == ["warning"] and "is cut short" in warned[0].message
    inside = write_edl(cut.parent, "b.yaml", episode([{"clip": "cut.mp4", "out": float(end) - 0.2}]))
    assert assembler.check(inside).warnings == ()


def test_a_sound_cut_short_is_an_error_at_its_file(tmp_path):
    # AAC in MP4 (a WAV's length comes from its size, so a cut WAV is only shorter, not lying).
    run_ffmpeg("-f", "lavfi", "-i", "sine=f=440:d=2", "-c:a", "aac", "-movflags", "+faststart",
               str(tmp_path / "whole.m4a"))
    data = (tmp_path / "whole.m4a").read_bytes()
    (tmp_path / "cut.m4a").write_bytes(data[:len(data) // 2])
    assert assembler.probe(tmp_path / "whole.m4a").data_end is None
    end = assembler.probe(tmp_path / "cut.m4a").data_end
    assert 0.5 < end < 1.5
    edl = write_edl(tmp_path, "ep.yaml", episode([{"color": "black", "duration": 2}],
                                                 audio=[{"file": "cut.m4a", "role": "music"}]))
    found = [p for p in problems_of(edl) if p.path == "audio[0].file"]
    assert [(p.severity, p.message) for p in found] == [
        ("error", f"cut.m4a is cut short: its data ends at {float(end):.3f} s, though its header says 2.000 s, "
                  "and it is read up to 2.000 s")]


def line_of(edl: Path, text: str) -> int:
    return edl.read_text().splitlines().index(text) + 1


def test_an_overlay_clip_cut_short_is_judged_like_a_clip_of_the_main_track(cut):
    end = assembler.probe(cut).data_end
    over = lambda **more: {"clip": "cut.mp4", "start": 0, "scale": 0.5, **more}  # noqa: E731
    edl = write_edl(cut.parent, "ep.yaml", episode([{"color": "black", "duration": 2}], overlays=[
        over(), over(duration=float(end) + 0.3), over(**{"in": float(end) - 0.1, "duration": 0.3}),
        over(**{"in": float(end) + 0.2, "duration": 0.2}), over(duration=float(end) - 0.2)]))
    found = {p.path: p for p in problems_of(edl) if "is cut short" in p.message}
    # Read to the header's end: an error at its line; an in-point past the data: all lost, an error
    # however short; losing under half a second of the tail: a warning; inside the data: nothing.
    assert {path: p.severity for path, p in found.items()} == {
        "overlays[0].clip": "error", "overlays[1].clip": "warning", "overlays[2].clip": "warning",
        "overlays[3].clip": "error"}
    lines = [n + 1 for n, text in enumerate(edl.read_text().splitlines()) if text == '      "clip": "cut.mp4",']
    assert [found[f"overlays[{n}].clip"].line for n in range(4)] == lines[:4]
    assert found["overlays[0].clip"].message == (f"cut.mp4 is cut short: its data ends at {float(end):.3f} s, "
                                                 "though its header says 2.000 s, and it is read up to 2.000 s")


def test_a_main_clip_whose_in_point_is_past_the_data_is_an_error_however_short(cut):
    end = assembler.probe(cut).data_end
    edl = write_edl(cut.parent, "ep.yaml", episode([{"clip": "cut.mp4", "in": float(end) + 0.1,
                                                     "out": float(end) + 0.3}]))
    assert [p.severity for p in problems_of(edl) if p.path == "video[0].clip"] == ["error"]


@pytest.fixture
def empty(tmp_path) -> Path:
    """A video whose header promises 2 s and whose data is all gone (nothing past `mdat`),
    also named like a picture (a title's background must be), and the whole one beside."""
    make_clip(tmp_path / "whole.mp4", duration=2, fps=25)
    run_ffmpeg("-i", str(tmp_path / "whole.mp4"), "-c", "copy", "-movflags", "+faststart", str(tmp_path / "front.mp4"))
    data = (tmp_path / "front.mp4").read_bytes()
    for name in ("empty.mp4", "empty.png"):
        (tmp_path / name).write_bytes(data[:data.index(b"mdat") + 4])
    (tmp_path / "whole.png").write_bytes(data)
    return tmp_path / "empty.mp4"


@pytest.mark.parametrize("kind", ["image", "overlay", "background"])
def test_a_video_used_as_a_still_with_no_data_is_an_error_at_its_field(empty, kind):
    assert assembler.probe(empty).data_end == 0 and assembler.probe(empty.with_suffix(".png")).kind == "video"

    def edl(name: str) -> Path:
        card = {"color": "black", "duration": 1}
        video, more = {
            "image": ([{"image": f"{name}.mp4", "duration": 1}], {}),
            "overlay": ([card], {"overlays": [{"image": f"{name}.mp4", "start": 0}]}),
            "background": ([{"title": "Act one", "background": f"{name}.png", "duration": 1}], {}),
        }[kind]
        return write_edl(empty.parent, f"{name}.yaml", episode(video, **more))

    field = {"image": "video[0].image", "overlay": "overlays[0].image", "background": "video[0].background"}[kind]
    found = [p for p in problems_of(edl("empty")) if p.path == field]
    name = "empty.png" if kind == "background" else "empty.mp4"
    assert [(p.severity, p.message.split(":")[0]) for p in found] == [("error", f"{name} is cut short")]
    assert found[0].line == line_of(edl("empty"), f'      "{field.split(".")[-1]}": "{name}",')
    # The same video whole is a still like any other.
    assert assembler.check(edl("whole")).warnings == ()


# ------------------------------------------------------------------ (d) ffmpeg's decode errors

@pytest.fixture
def garbled(tmp_path) -> Path:
    """A busy 2 s clip (busy.mp4), and a copy with garbage over the middle fifth of its bytes
    (garbled.mp4: the header at the front stays, so it probes whole)."""
    run_ffmpeg("-f", "lavfi", "-i", "testsrc2=s=320x180:r=25:d=2", "-c:v", "libx264", "-preset", "ultrafast",
               "-pix_fmt", "yuv420p", "-movflags", "+faststart", str(tmp_path / "busy.mp4"))
    data = bytearray((tmp_path / "busy.mp4").read_bytes())
    for i in range(len(data) * 4 // 10, len(data) * 6 // 10):  # deterministic garbage
        data[i] = (i * 7919 + 13) % 251
    (tmp_path / "garbled.mp4").write_bytes(bytes(data))
    return tmp_path / "garbled.mp4"


def decoding(warnings) -> list:
    return [w for w in warnings if "error(s) decoding" in w.message]


def test_a_clip_with_garbage_over_its_middle_renders_with_a_warning_at_its_line_naming_the_times(garbled):
    folder = garbled.parent
    clean = write_edl(folder, "clean.yaml", episode([{"clip": "busy.mp4"}]))
    assert assembler.render(clean, folder / "clean.mp4", cache=folder / "cache").warnings == ()
    edl = write_edl(folder, "ep.yaml", episode([{"clip": "busy.mp4", "out": 0.4}, {"clip": "garbled.mp4"}]))
    result = assembler.render(edl, folder / "ep.mp4", cache=folder / "cache")
    damaged = decoding(result.warnings)
    # Cached segments, rendered cleanly before, say nothing: only the damaged file's item speaks.
    assert [(w.severity, w.file, w.line, w.path) for w in damaged] == [
        ("warning", str(edl), line_of(edl, '      "clip": "garbled.mp4"'), "video[1].clip")]
    message = damaged[0].message
    assert message.startswith("ffmpeg reported ")
    assert " error(s) decoding garbled.mp4 for 0:00.400-0:02.400 of the episode (0.000-2.000 s of the file)" in message
    assert "for example: [h264]" in message and " @ 0x" not in message
    # The command line prints it after the encoding that found it, with its line.
    done = CliRunner().invoke(app, ["render", str(edl), "-o", str(folder / "cli.mp4"), "--no-cache", "-q"])
    assert done.exit_code == 0, done.output
    assert f"ep.yaml:{damaged[0].line}: video[1].clip: warning: ffmpeg reported" in done.output.replace("\n", "")


def test_a_re_render_from_the_cache_and_a_single_render_repeat_the_decode_warning(garbled):
    folder = garbled.parent
    edl = write_edl(folder, "ep.yaml", episode([{"clip": "busy.mp4", "out": 0.4}, {"clip": "garbled.mp4"}]))
    first = assembler.render(edl, folder / "ep.mp4", cache=folder / "cache")
    said = [str(w) for w in decoding(first.warnings)]
    assert len(said) == 1
    # The same output again (up to date, nothing read), another output from the cached segments,
    # and the command line's re-render: the same warning, word for word.
    again = assembler.render(edl, folder / "ep.mp4", cache=folder / "cache")
    other = assembler.render(edl, folder / "other.mp4", cache=folder / "cache")
    assert again.rendered == other.rendered == 0
    assert [str(w) for w in decoding(again.warnings)] == [str(w) for w in decoding(other.warnings)] == said
    done = CliRunner().invoke(app, ["render", str(edl), "-o", str(folder / "other.mp4"), "--cache",
                                    str(folder / "cache"), "-q"])
    assert done.exit_code == 0 and "video[1].clip: warning: ffmpeg reported" in done.output.replace("\n", "")
    # The segment's record is sealed: edited to say nothing, it is not believed but rebuilt.
    for meta in (folder / "cache" / "segments").glob("*/*/meta.json"):
        record = json.loads(meta.read_text())
        if record.get("errors"):
            meta.write_text(json.dumps({**record, "errors": []}))
    rebuilt = assembler.render(edl, folder / "third.mp4", cache=folder / "cache")
    assert rebuilt.rendered == 1 and [str(w) for w in decoding(rebuilt.warnings)] == said
    # One graph for the whole episode: the same item, file and stretch of the episode.
    single = decoding(assembler.render(edl, folder / "single.mp4", single=True).warnings)
    assert [(w.line, w.path) for w in single] == [(first.warnings[-1].line, "video[1].clip")]
    assert "decoding garbled.mp4 for 0:00.400-0:02.400 of the episode (0.000-2.000 s of the file)" in single[0].message
    done = CliRunner().invoke(app, ["render", str(edl), "-o", str(folder / "one.mp4"), "--single", "-q"])
    assert done.exit_code == 0 and "video[1].clip: warning: ffmpeg reported" in done.output.replace("\n", "")


def test_of_the_files_a_segment_reads_the_warning_names_the_damaged_one(garbled):
    folder = garbled.parent
    # Under a clean overlay clip (both decoded in one process).
    edl = write_edl(folder, "over.yaml", episode([{"clip": "garbled.mp4"}], overlays=[
        {"clip": "busy.mp4", "start": 0, "scale": 0.4, "position": "top-left"}]))
    warned = decoding(assembler.render(edl, folder / "over.mp4", cache=False).warnings)
    assert [(w.path, w.line) for w in warned] == [("video[0].clip", line_of(edl, '      "clip": "garbled.mp4"'))]
    assert "decoding garbled.mp4 for 0:00.000-0:02.000 of the episode (0.000-2.000 s of the file)" in warned[0].message
    # A dissolve from a clean clip: its join reads both, and only the damaged one is named, with
    # the stretch that join shows of it.
    edl = write_edl(folder, "join.yaml", episode([{"clip": "busy.mp4"}, {"transition": "dissolve", "duration": 0.4},
                                                  {"clip": "garbled.mp4"}]))
    warned = decoding(assembler.render(edl, folder / "join.mp4", cache=False).warnings)
    assert {w.path for w in warned} == {"video[2].clip"} and "busy.mp4" not in str(warned)
    said = [w.message.split(" of the file)")[0].split(" decoding ")[1] for w in warned]
    assert "garbled.mp4 for 0:02.000-0:03.600 of the episode (0.400-2.000 s" in said
    assert set(said) <= {"garbled.mp4 for 0:02.000-0:03.600 of the episode (0.400-2.000 s",
                         "garbled.mp4 for 0:01.600-0:02.000 of the episode (0.000-0.400 s"}


@pytest.mark.parametrize("single", [False, True])
def test_an_overlay_clip_ffmpeg_stops_at_is_named_with_its_line(garbled, single):
    # An overlay's clip is read by a `movie` source, which stops at damaged data (an input goes on).
    folder = garbled.parent
    edl = write_edl(folder, "ep.yaml", episode([{"clip": "busy.mp4"}], overlays=[
        {"clip": "garbled.mp4", "start": 0, "scale": 0.4, "position": "top-left"}]))
    with pytest.raises(assembler.RenderError) as raised:
        assembler.render(edl, folder / "ep.mp4", cache=False, single=single)
    line = line_of(edl, '      "clip": "garbled.mp4",')
    assert str(raised.value).splitlines()[0] == (
        f"ffmpeg stopped at data it could not decode: {edl}:{line}: overlays[0].clip: garbled.mp4 does not decode "
        "for 0:00.000-0:02.000 of the episode (0.000-2.000 s of the file) (check the file plays cleanly there; "
        "export or copy it again)")
    assert "Invalid data found" in raised.value.stderr_tail
    done = CliRunner().invoke(app, ["render", str(edl), "-o", str(folder / "cli.mp4"), "--no-cache", "-q",
                                    *(["--single"] if single else [])])
    assert done.exit_code == 1 and f"ep.yaml:{line}: overlays[0].clip: garbled.mp4 does not decode" in \
        done.output.replace("\n", "")
    assert not (folder / "ep.mp4").exists() and not (folder / "cli.mp4").exists()


def test_a_sound_with_garbage_over_its_middle_warns_at_its_line_also_from_the_cache(tmp_path):
    run_ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=2:c=pink:seed=7", "-c:a", "aac", "-b:a", "128k",
               "-movflags", "+faststart", str(tmp_path / "noise.m4a"))
    data = bytearray((tmp_path / "noise.m4a").read_bytes())
    for i in range(len(data) * 4 // 10, len(data) * 6 // 10):
        data[i] = (i * 7919 + 13) % 251
    (tmp_path / "garbled.m4a").write_bytes(bytes(data))
    edl = write_edl(tmp_path, "ep.yaml", episode([{"color": "black", "duration": 2}],
                                                 audio=[{"file": "garbled.m4a", "role": "music"}]))
    line = line_of(edl, '      "file": "garbled.m4a",')
    said = []
    for out in ("ep.mp4", "ep.mp4", "other.mp4"):  # made, up to date, from the cached sound
        said.append([str(w) for w in decoding(assembler.render(edl, tmp_path / out, cache=tmp_path / "c").warnings)])
    assert len(said[0]) == 1 and said[0] == said[1] == said[2]
    assert said[0][0].startswith(f"{edl}:{line}: audio[0].file: warning: ffmpeg reported ")
    assert "decoding garbled.m4a for 0:00.000-0:02.000 of the episode (0.000-2.000 s of the file)" in said[0][0]
    single = [str(w) for w in decoding(assembler.render(edl, tmp_path / "one.mp4", single=True).warnings)]
    assert [w.split(": warning:")[0] for w in single] == [f"{edl}:{line}: audio[0].file"]
