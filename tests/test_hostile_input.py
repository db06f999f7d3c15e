"""Hostile and broken EDLs (issue 11, points 1 and 2): bounded work for any file, and only
our own errors, each with file:line, never a traceback, a hang or Python's advice."""

from __future__ import annotations

import json
import subprocess
import sys
import time

import pytest

import assembler
from assembler.errors import EdlError

CARD = "video:\n  - color: red\n    duration: 1\n"

# (name, the file's text, the line and field of the problem, words the message must hold)
BAD = [
    ("fps-inf", "version: 1\noutput:\n  fps: .inf\n" + CARD, 3, "output.fps", "not a frame rate"),
    ("fps-inf-text", 'version: 1\noutput:\n  fps: "inf"\n' + CARD, 3, "output.fps", "not a frame rate"),
    ("fps-nan", "version: 1\noutput:\n  fps: .nan\n" + CARD, 3, "output.fps", "not a frame rate"),
    ("fps-exponent", 'version: 1\noutput:\n  fps: "1e999999999"\n' + CARD, 3, "output.fps", "not a frame rate"),
    ("fps-fraction-digits", f'version: 1\noutput:\n  fps: "{"9" * 5000}/1"\n' + CARD, 3, "output.fps",
     "not a frame rate"),
    ("fps-above-240", "version: 1\noutput:\n  fps: 241\n" + CARD, 3, "output.fps", "1 <= fps <= 240"),
    ("size-digits", f'version: 1\noutput:\n  size: "{"9" * 5000}x180"\n' + CARD, 3, "output.size",
     "must look like 1920x1080"),
    ("size-above-8k", 'version: 1\noutput:\n  size: "8192x8192"\n' + CARD, 3, "output.size", "at most 8K"),
    ("card-of-1e8-seconds", "version: 1\nvideo:\n  - color: red\n    duration: 100000000\n", 4, "video[0].duration",
     "24 h"),
    ("time-of-450-digits", f'version: 1\nvideo:\n  - color: red\n    duration: "{"1" * 450}"\n', 4,
     "video[0].duration", "too long for a time"),
    ("time-as-exponent", "version: 1\nvideo:\n  - color: red\n    duration: 1.0e+300\n", 4, "video[0].duration",
     "24 h"),
    ("frames-past-24h", 'version: 1\nvideo:\n  - color: red\n    duration: "99999999f"\n', 4, "video[0].duration",
     "24 h"),
    ("huge-duck-attack", "version: 1\naudio:\n  - file: a.wav\n    role: music\n    duck:\n      under: dialogue\n"
     "      attack: 1.0e+300\n" + CARD, 7, "audio[0].duck.attack", "24 h"),
    ("5000-digit-duration", f"version: 1\nvideo:\n  - color: red\n    duration: {'9' * 5000}\n", 4, "",
     "a number of 5000 digits"),
    ("nul-in-a-path", 'version: 1\nvideo:\n  - clip: "red\\0.mp4"\n', 3, "video[0].clip", "NUL"),
    ("nul-in-a-title", 'version: 1\nvideo:\n  - title: "Act\\0 two"\n    duration: 1\n', 3, "video[0].title", "NUL"),
    ("nul-in-a-key", 'version: 1\n"vid\\0eo": []\n' + CARD, 2, "vid\\u0000eo", "NUL"),  # printed escaped
    ("lone-surrogate", 'version: 1\nvideo:\n  - title: "\\ud83c go"\n    duration: 1\n', 3, "video[0].title",
     "surrogate"),
    ("timeline-past-24h", 'version: 1\noutput:\n  fps: 24\nvideo:\n  - color: red\n    duration: "23:00:00"\n'
     '  - color: blue\n    duration: "23:00:00"\n', 4, "video", "more than 24 h"),
    ("too-deep", "version: 1\nx: " + "[" * 100 + "]" * 100 + "\n" + CARD, 2, "", "nested too deeply"),
    ("too-deep-mixed", "version: 1\nx: " + "[{a: " * 40 + "1" + "}]" * 40 + "\n" + CARD, 2, "",
     "nested too deeply (more than 64 levels)"),
]


@pytest.mark.parametrize("name,text,line,field,words", BAD, ids=[case[0] for case in BAD])
def test_a_hostile_value_is_one_clear_problem_with_its_line(tmp_path, name, text, line, field, words):
    path = tmp_path / "ep.yaml"
    path.write_text(text, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    assert time.monotonic() - started < 10
    where = f"{path}:{line}: {field}: " if field else f"{path}:{line}: "
    found = [p for p in caught.value.problems if str(p).startswith(where)]
    assert found and words in str(found[0]), caught.value.problems
    assert "sys.set_int_max_str_digits" not in str(caught.value) and len(str(found[0])) < 400


def test_an_alias_bomb_is_refused_in_bounded_time(tmp_path):
    """Nine levels of ten aliases each: 10**9 values if expanded."""
    rows = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    rows += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, 9)]
    path = tmp_path / "bomb.yaml"
    path.write_text("\n".join(rows) + "\nversion: 1\n" + CARD, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(EdlError, match="expands to more than 200000 values"):
        assembler.load(path)
    assert time.monotonic() - started < 10


@pytest.mark.parametrize("opening,closing", [("[", "]"), ("[{a: ", "}]")], ids=["brackets", "mixed"])
def test_deep_valid_yaml_is_not_a_recursion_error(tmp_path, opening, closing):
    path = tmp_path / "deep.yaml"
    levels = 5000 if opening == "[" else 300  # ruamel's scanner is slow on a long run: refused before it
    path.write_text("version: 1\nx: " + opening * levels + "1" + closing * levels + "\n" + CARD, encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(EdlError) as caught:
        assembler.load(path)
    assert time.monotonic() - started < 5
    assert "nested too deeply (more than 64 levels)" in str(caught.value) and "recursion" not in str(caught.value)


def test_brackets_in_a_string_are_text_not_depth(tmp_path):
    path = tmp_path / "ep.yaml"
    path.write_text('version: 1\nvideo:\n  - title: "' + "[" * 100 + '"\n    duration: 1\n', encoding="utf-8")
    assert assembler.load(path).video[0].title == "[" * 100


# (the item's extra line, the line and name of the field refused, what the hint says instead)
ELSEWHERE = [("fps: 24", 5, "fps", "another part of the EDL"),
             ("title: Hi", 3, "color", "an item of its own")]  # a title's fields win: the card's colour is refused


@pytest.mark.parametrize("extra,line,name,words", ELSEWHERE, ids=["field-of-another-part", "item-of-two-kinds"])
def test_an_unknown_field_known_elsewhere_is_not_its_own_suggestion(tmp_path, extra, line, name, words):
    path = tmp_path / "ep.yaml"
    path.write_text(f"version: 1\nvideo:\n  - color: red\n    duration: 1\n    {extra}\n", encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.load(path)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:{line}: video[0].{name}: unknown field `{name}`")
    assert f"did you mean `{name}`" not in str(problem) and words in str(problem)


def test_json_as_python_writes_it_keeps_characters_beyond_the_bmp(tmp_path):
    path = tmp_path / "ep.json"
    path.write_text(json.dumps({"version": 1, "video": [{"title": "\U0001F3AC go", "duration": 1}]}),
                    encoding="utf-8")
    assert "\\ud83c\\udfac" in path.read_text()
    assert assembler.load(path).video[0].title == "\U0001F3AC go"


@pytest.mark.parametrize("text", ['[{"title": "a\x9fb"}]', '[1, 2]'], ids=["refused-by-ruamel", "read-by-ruamel"])
def test_a_json_edl_whose_top_level_is_a_list(tmp_path, text):
    path = tmp_path / "ep.json"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EdlError, match="an EDL must be a mapping"):
        assembler.load(path)


@pytest.mark.parametrize("title", ["plain", "a\x9f"], ids=["read-by-ruamel", "read-by-python-json"])
def test_a_json_infinity_is_not_a_frame_rate(tmp_path, title):
    path = tmp_path / "ep.json"
    path.write_text('{"version": 1,\n "output": {"fps": Infinity},\n "video": [{"title": "' + title +
                    '", "duration": 1}]}', encoding="utf-8")
    with pytest.raises(EdlError, match=r"output\.fps: .*is not a frame rate"):
        assembler.load(path)


def test_a_json_fallback_number_of_5000_digits(tmp_path):
    path = tmp_path / "ep.json"  # the C1 control makes ruamel refuse it, so Python's json reads it
    path.write_text('{"version": 1, "video": [{"title": "\x9f", "duration": ' + "9" * 5000 + "}]}",
                    encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.load(path)
    assert f"{path}:1: a number of 5000 digits" in str(caught.value)
    assert "set_int_max_str_digits" not in str(caught.value)


def test_a_nul_in_an_edl_built_in_code_is_refused_before_ffmpeg(tmp_path):
    edl = assembler.Edl(version=1, output=assembler.Output(size="320x180", fps=24),
                        video=[assembler.Title(title="Act\0two", duration=1)])
    with pytest.raises(EdlError, match=r"video\[0\]\.title: holds a NUL"):
        assembler.check(edl, base_dir=tmp_path)


LONG = "d" * 300  # one name longer than the 255 bytes a file system allows
TITLE = {"title": "hi", "duration": 1}
# (what names the long path, the EDL; the field that the problem names)
TOO_LONG = [
    ("fonts_dir", {"subtitles": {"fonts_dir": LONG}, "video": [TITLE]}, "subtitles.fonts_dir"),
    ("subtitle-file", {"subtitles": {"file": f"{LONG}/a.srt"}, "video": [TITLE]}, "subtitles.file"),
    ("lut", {"output": {"lut": f"{LONG}/a.cube"}, "video": [TITLE]}, "output.lut"),
    ("clip", {"video": [{"clip": f"{LONG}/a.mp4"}]}, "video[0].clip"),
    ("background", {"video": [{**TITLE, "background": f"{LONG}/b.png"}]}, "video[0].background"),
]


@pytest.mark.parametrize("name,edl,field", TOO_LONG, ids=[case[0] for case in TOO_LONG])
def test_a_path_too_long_for_the_file_system_is_said_so(tmp_path, name, edl, field):
    path = tmp_path / "ep.yaml"
    path.write_text(json.dumps({"version": 1, **edl}), encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    [problem] = caught.value.problems
    assert str(problem).startswith(f"{path}:1: {field}: ") and "File name too long" in problem.message
    assert "255 bytes" in (problem.hint or "")


@pytest.mark.parametrize("option", ["-o", "--cache"])
def test_an_output_or_cache_path_too_long_is_refused_before_encoding(tmp_path, option):
    path = tmp_path / "ep.yaml"
    path.write_text(json.dumps({"version": 1, "output": {"size": "320x180"}, "video": [TITLE]}), encoding="utf-8")
    target = tmp_path / LONG / "x.mp4"
    args = ["-o", str(target)] if option == "-o" else ["-o", str(tmp_path / "ep.mp4"), "--cache", str(target)]
    done = subprocess.run([sys.executable, "-m", "assembler", "render", str(path), *args], capture_output=True,
                          text=True, timeout=60)
    assert done.returncode == 2 and "Traceback" not in done.stderr
    assert ("File name too long" in done.stderr or "longer than the 255 bytes" in done.stderr) \
        and "255 bytes" in done.stderr
    assert list(tmp_path.iterdir()) == [path]


def test_the_cli_prints_our_errors_only(tmp_path):
    """No traceback, no ruamel warning with its source path, exit 2, with file:line."""
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\nx: &a 1\ny: &a 2\noutput:\n  fps: .inf\n" + CARD, encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(path)], capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and "ruamel" not in done.stderr and "Warning" not in done.stderr
    assert f"{path}:5: output.fps: inf is not a frame rate" in done.stderr
