"""Bad input: every problem at once, each with file, line, field path and a hint;
nothing is encoded and nothing is written."""

from __future__ import annotations

import subprocess
import sys

import pytest

import assembler
from assembler.errors import EdlError

BAD = """\
version: 1
output:
  size: 320x180
  fps: 25
video:
  - clip: red.mp4
    in: 0.5
    duraton: 1                  # @unknown-field
  - clip: missing.mp4           # @missing-media
  - clip: red.mp4
    out: 12                     # @past-end
  - color: black
    duration: 1
  - transition: dissolve
    duration: 5                 # @too-long
  - clip: green.mp4
    in: 0.2
  - clip: green.mp4
    in: 1.5
    out: 1                      # @in-after-out
  - clip: red.mp4
    out: "1:2:3:4:5"            # @bad-time
  - transition: wipelft         # @unknown-transition
  - color: navy
audio:
  - file: missing-music.wav     # @missing-sound
overlays:
  - image: missing-logo.png     # @missing-overlay
subtitles:
  file: missing.srt             # @missing-subtitles
"""


def line_of(text: str, marker: str) -> int:
    return next(n for n, line in enumerate(text.splitlines(), 1) if f"@{marker}" in line)


@pytest.fixture
def bad_edl(media, tmp_path):
    path = tmp_path / "episode.yaml"
    path.write_text(BAD.replace("red.mp4", str(media / "red.mp4")).replace("green.mp4", str(media / "green.mp4")))
    return path


EXPECTED = [
    ("unknown-field", "video[0].duraton", "unknown field", "did you mean `duration`?"),
    ("missing-media", "video[1].clip", "does not exist", None),
    ("past-end", "video[2].out", "past the end", None),
    ("too-long", "video[4].duration", "longer than its neighbour", None),
    ("in-after-out", "video[6].out", "must be before", None),
    ("bad-time", "video[7].out", "is not a time", None),
    ("unknown-transition", "video[8].transition", "unknown transition", "did you mean `wipeleft`?"),
    ("missing-sound", "audio[0].file", "does not exist", None),
    ("missing-overlay", "overlays[0].image", "does not exist", None),
    ("missing-subtitles", "subtitles.file", "does not exist", None),
]


def test_every_problem_is_reported_at_once(bad_edl):
    with pytest.raises(EdlError) as info:
        assembler.check(bad_edl)
    problems = info.value.problems
    text = BAD
    for marker, field, words, hint in EXPECTED:
        line = line_of(text, marker)
        found = [p for p in problems if p.line == line and p.path == field]
        assert found, f"no problem at line {line} {field}; got:\n{info.value}"
        assert words in found[0].message
        if hint:
            assert hint in (found[0].hint or "")
        assert str(found[0]).startswith(f"{bad_edl}:{line}: {field}: ")
    assert len([p for p in problems if p.severity == "error"]) == len(EXPECTED)


def test_cli_reports_and_writes_nothing(bad_edl, tmp_path):
    out = tmp_path / "episode.mp4"
    done = subprocess.run([sys.executable, "-m", "assembler", "render", str(bad_edl), "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr
    assert f"{bad_edl}:{line_of(BAD, 'unknown-field')}: video[0].duraton: unknown field" in done.stderr
    assert f"{bad_edl}:{line_of(BAD, 'missing-media')}: video[1].clip:" in done.stderr
    assert not out.exists() and list(tmp_path.glob("*.mp4")) == []


def test_json_edl_errors_have_lines_too(tmp_path):
    path = tmp_path / "ep.json"
    path.write_text('{\n  "version": 1,\n  "video": [\n    {"color": "notacolour", "duration": 1}\n  ]\n}\n')
    with pytest.raises(EdlError) as info:
        assembler.load(path)
    [problem] = info.value.problems
    assert (problem.line, problem.path) == (4, "video[0].color")
    assert "unknown colour" in problem.message


def test_yaml_syntax_error_has_a_line(tmp_path):
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\nvideo:\n  - color: red\n    duration: [1\n")
    with pytest.raises(EdlError) as info:
        assembler.load(path)
    assert info.value.problems[0].line is not None and "not valid YAML" in info.value.problems[0].message


@pytest.mark.parametrize("text, field, words", [
    ("video:\n  - color: red\n", "version", "required"),
    ("version: 2\nvideo:\n  - color: red\n", "version", "version must be 1"),
    ("version: 1\nvideo: []\n", "video", "at least 1"),
    ("version: 1\nvideo:\n  - {colour: red}\n", "video[0]", "needs one of the keys"),
    ("version: 1\noutput: {size: 641x360}\nvideo:\n  - color: red\n", "output.size", "even"),
    ("version: 1\noutput: {fps: abc}\nvideo:\n  - color: red\n", "output.fps", "not a frame rate"),
    ("version: 1\nvideo:\n  - transition: fade\n  - color: red\n", "video[0]", "both sides"),
    ("version: 1\nvideo:\n  - color: red\n  - transition: fade\n  - transition: cut\n  - color: red\n",
     "video[2]", "two transitions in a row"),
    ("version: 1\nvideo:\n  - clip: a.mp4\n    out: 2\n    duration: 1\n", "video[0]", "not both"),
])
def test_schema_problems(tmp_path, text, field, words):
    path = tmp_path / "ep.yaml"
    path.write_text(text)
    with pytest.raises(EdlError) as info:
        assembler.check(path)
    assert any(p.path == field and words in p.message for p in info.value.problems), str(info.value)


NAMED = """\
version: 1
output: {fit: contian}
video:
  - clip: red.mp4
    role: dialog
  - {transition: {type: wipeleft, duraton: 1}}
  - clip: red.mp4
overlays:
  - {color: red, position: topright}
subtitles:
  style: {alignment: middle}
"""


def test_a_misspelt_name_gets_one_problem_in_the_contracts_words(tmp_path):
    """A value that fits no member of a union is one problem at the field the user wrote,
    not one per member under pydantic's internal names; named values get "did you mean"."""
    (tmp_path / "ep.yaml").write_text(NAMED, encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.load(tmp_path / "ep.yaml")
    found = [(p.line, p.path, p.hint) for p in caught.value.problems]
    assert found == [(2, "output.fit", "did you mean `contain`?"), (5, "video[0].role", "did you mean `dialogue`?"),
                     (6, "video[1].transition.duraton", "did you mean `duration`?"),
                     (9, "overlays[0].position", "did you mean `top-right`?"),
                     (11, "subtitles.style.alignment", "or a number 1-9, as on the ASS number pad")]
    assert all("Position" not in str(p) and "constrained" not in str(p) and "literal[" not in str(p)
               for p in caught.value.problems)
    (tmp_path / "ep.yaml").write_text("version: 1\noutput: {background: blak}\nvideo:\n"
                                      "  - {color: red, duration: 1}\n  - {transition: {type: wipelft}}\n"
                                      "  - {color: navy, duration: 1}\n"
                                      "overlays:\n  - {color: red, position: {x: 2, y: 0.5}}\n", encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.load(tmp_path / "ep.yaml")
    assert [(p.line, p.path, p.hint) for p in caught.value.problems] == [
        (2, "output.background", "did you mean `black`?"), (5, "video[1].transition", "did you mean `wipeleft`?"),
        (8, "overlays[0].position.x", None)]
    with pytest.raises(EdlError) as caught:
        assembler.Clip(clip="x.mp4", fit="cver")
    assert [(p.path, p.hint) for p in caught.value.problems] == [("fit", "did you mean `cover`?")]


def test_a_file_named_as_a_clip_and_as_the_subtitle_file_is_judged_by_each_use(tmp_path):
    from media_tools import make_clip
    make_clip(tmp_path / "a.mp4", duration=1)
    (tmp_path / "ep.yaml").write_text("version: 1\nvideo:\n  - clip: a.mp4\nsubtitles:\n  file: a.mp4\n",
                                      encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.check(tmp_path / "ep.yaml")
    # The clip is a good clip; only the subtitle file is not what its field says.
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("subtitles.file", "a.mp4 is not a subtitle file (.srt, .ass, .ssa or .vtt)")]


def test_a_font_file_a_title_and_the_subtitles_both_name_is_judged_by_each_use(tmp_path):
    (tmp_path / "bad.ttf").write_text("not a font", encoding="utf-8")
    (tmp_path / "ep.yaml").write_text("version: 1\nvideo:\n  - {title: Hi, duration: 1, style: {font: bad.ttf}}\n"
                                      "subtitles: {style: {font: bad.ttf}}\n", encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.check(tmp_path / "ep.yaml")
    # It is there: the title says it is no font, not that it is missing.
    assert [(p.path, p.message) for p in caught.value.problems] == [
        ("video[0].style.font", "bad.ttf cannot be read as a font"),
        ("subtitles.style.font", "bad.ttf holds no font ffmpeg can use (.ttf, .otf, .ttc, .otc)")]


@pytest.mark.parametrize("subtitles, field, expected", [
    ("{file: fonts/x.ttf}", "file", "x.ttf is not a subtitle file (.srt, .ass, .ssa or .vtt)"),
    ("{file: subs}", "file", "subs is not a subtitle file (.srt, .ass, .ssa or .vtt)"),
    ("{file: x.srt, fonts_dir: notes.txt}", "fonts_dir", "notes.txt does not exist"),
    ("{file: x.srt, fonts_dir: x.srt}", "fonts_dir", "x.srt holds no font ffmpeg can use (.ttf, .otf, .ttc, .otc)"),
])
def test_a_subtitle_file_is_read_as_subtitles_and_fonts_dir_as_fonts_whatever_their_names(tmp_path, subtitles, field,
                                                                                          expected):
    from assembler.timeline.sources import BUNDLED_FONT
    (tmp_path / "fonts").mkdir()
    (tmp_path / "fonts" / "x.ttf").symlink_to(BUNDLED_FONT)
    (tmp_path / "x.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nHi\n", encoding="utf-8")
    (tmp_path / "ep.yaml").write_text(f"version: 1\nvideo:\n  - {{color: red, duration: 1}}\nsubtitles: {subtitles}\n",
                                      encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.check(tmp_path / "ep.yaml")
    [problem] = caught.value.problems
    assert problem.path == f"subtitles.{field}" and problem.message.endswith(expected), str(problem)


def test_a_subtitle_file_that_is_a_folder_or_holds_no_cues_is_said_so(tmp_path):
    from media_tools import make_clip
    make_clip(tmp_path / "a.mp4", duration=1)
    (tmp_path / "subs").mkdir()
    (tmp_path / "empty.srt").write_text("this is not a subtitle file\n", encoding="utf-8")
    (tmp_path / "notes.txt").write_text("1\n00:00:00,000 --> 00:00:00,500\nHi\n", encoding="utf-8")
    for name, expected, severity in (("subs", "subs is a folder, not a subtitle file (.srt, .ass, .ssa or .vtt)", "error"),
                                     ("notes.txt", "notes.txt is not a subtitle file (.srt, .ass, .ssa or .vtt)", "error"),
                                     ("empty.srt", "empty.srt holds no cues: nothing is shown", "warning")):
        (tmp_path / "ep.yaml").write_text(f"version: 1\nvideo:\n  - clip: a.mp4\nsubtitles:\n  file: {name}\n",
                                          encoding="utf-8")
        try:
            problems = assembler.check(tmp_path / "ep.yaml").warnings
        except EdlError as exc:
            problems = exc.problems
        found = [p for p in problems if p.path == "subtitles.file"]
        assert [(p.line, p.message, p.severity) for p in found] == [(5, expected, severity)]
        assert "font" not in found[0].message
