"""What a fresh fuzz campaign (tests/fuzz_edl.py) found, one regression test per class,
and a small fixed-seed run of its generator through load and check, in-process."""

from __future__ import annotations

import os
import random
import subprocess
import sys
import time

import pytest

import assembler
from assembler.errors import AssemblerError, EdlError

from fuzz_edl import Media, generate


@pytest.fixture(scope="module")
def fuzz_media(tmp_path_factory):
    return Media(tmp_path_factory.mktemp("fuzz"))


def _problems(path, text):
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    return [str(p) for p in caught.value.problems]


def test_a_home_folder_of_no_user_is_a_missing_file_at_its_line(tmp_path):
    """``~name/x.mp4`` where no user has that name: pathlib's RuntimeError ("Could not
    determine home directory") was a traceback from check, render and the dry run."""
    problems = _problems(tmp_path / "ep.yaml", 'version: 1\nvideo:\n  - clip: "~nobody_here_at_all/x.mp4"\n')
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path / 'ep.yaml'}:3: video[0].clip: ")
    assert "~nobody_here_at_all/x.mp4 does not exist" in problems[0]


def test_a_media_root_in_a_home_folder_of_no_user_is_a_missing_file(tmp_path):
    problems = _problems(tmp_path / "ep.yaml", 'version: 1\nmedia_root: "~nobody_here_at_all"\n'
                                               'video:\n  - clip: x.mp4\n')
    assert len(problems) == 1 and problems[0].startswith(f"{tmp_path / 'ep.yaml'}:4: video[0].clip: ")


@pytest.mark.parametrize("text,line", [("name: x\n", 1), ("# a comment first\n\nname: x\n", 3),
                                       ('{"name": "x"}', 1)], ids=["yaml", "after-a-comment", "json"])
def test_a_field_missing_from_the_top_level_has_the_line_of_its_mapping(tmp_path, text, line):
    """``version``/``video`` missing: the problem had no line at all."""
    path = tmp_path / ("ep.json" if text.startswith("{") else "ep.yaml")
    problems = _problems(path, text)
    assert problems == [f"{path}:{line}: version: `version` is required", f"{path}:{line}: video: `video` is required"]


@pytest.mark.parametrize("char", ["\x01", "\x1b", "\x7f", "\ufffe"], ids=["SOH", "ESC", "DEL", "U+FFFE"])
def test_a_character_yaml_forbids_is_a_problem_at_its_line(tmp_path, char):
    """ruamel's reader error has no line, only a position, and its text spans two lines
    with ``in "<unicode string>"``: the message had neither FILE:LINE on its second line nor a line."""
    path = tmp_path / "ep.yaml"
    problems = _problems(path, f'version: 1\n# ok\nvideo:\n  - title: "Act{char}two"\n    duration: 1\n')
    assert problems == [f"{path}:4: not valid YAML: the character U+{ord(char):04X} is not allowed (YAML's text "
                        "holds no control characters but tabs and line breaks: remove it)"]


def test_a_file_that_is_not_utf8_is_a_problem_at_the_line_of_its_first_bad_byte(tmp_path):
    path = tmp_path / "ep.yaml"
    path.write_bytes(b"version: 1\nvideo:\n  - title: caf\xe9\n    duration: 1\n")
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    assert [str(p) for p in caught.value.problems] == [
        f"{path}:3: not UTF-8 text: the byte 0xe9 (invalid continuation byte) (save the file as UTF-8)"]


@pytest.mark.parametrize("deep,line", [
    ("deep: " + "{a: " * 3000 + "1" + "}" * 3000, 6),  # keys between the braces: past the early scan
    ("deep:\n" + "".join(" " * k + "- \n" for k in range(3000)), 70),  # block style, a level a line
], ids=["flow-keys", "block"])
def test_nesting_that_exhausts_the_parsers_stack_is_refused_at_its_line(tmp_path, deep, line):
    """ruamel's RecursionError gave "nested too deeply" with no line."""
    text = 'version: 1\nvideo:\n  - {color: red, duration: 1}\n# {{{{ [[[[\nname: "[[[[{{{{"\n' + deep + "\n"
    started = time.monotonic()
    problems = _problems(tmp_path / "ep.yaml", text)
    assert time.monotonic() - started < 10
    assert problems == [f"{tmp_path / 'ep.yaml'}:{line}: lists or mappings nested too deeply (more than 64 levels) "
                        "(an EDL needs fewer than ten)"]


@pytest.fixture
def odd_files(tmp_path):
    """A named pipe, a link to /dev/zero and a loop of links, under every suffix the EDL reads."""
    for suffix in (".mp4", ".png", ".wav", ".srt", ".ass", ".cube", ".ttf"):
        os.mkfifo(tmp_path / f"fifo{suffix}")
        os.symlink("/dev/zero", tmp_path / f"zero{suffix}")
        os.symlink(f"loop2{suffix}", tmp_path / f"loop1{suffix}")
        os.symlink(f"loop1{suffix}", tmp_path / f"loop2{suffix}")
    return tmp_path


PLACES = {  # where a file goes: (the EDL's text with NAME for it, the line and field of the problem)
    "clip": ("video:\n  - clip: NAME.mp4\n", "3: video[0].clip"),
    "sound": ("video:\n  - {color: red, duration: 1}\naudio:\n  - file: NAME.wav\n", "5: audio[0].file"),
    "lut": ("output: {lut: NAME.cube}\nvideo:\n  - {color: red, duration: 1}\n", "2: output.lut"),
    "srt": ("video:\n  - {color: red, duration: 1}\nsubtitles: {file: NAME.srt, burn: true}\n", "4: subtitles.file"),
    "ass": ("video:\n  - {color: red, duration: 1}\nsubtitles: {file: NAME.ass}\n", "4: subtitles.file"),
    "font": ("video:\n  - {title: t, duration: 1, style: {font: NAME.ttf}}\n", "3: video[0].style.font"),
    "overlay-font": ("video:\n  - {color: red, duration: 1}\noverlays:\n  - {title: t, style: {font: NAME.ttf}}\n",
                     "5: overlays[0].style.font"),
    "fonts_dir": ("video:\n  - {color: red, duration: 1}\nsubtitles: {file: NAME.srt, fonts_dir: NAME.ttf}\n",
                  "4: subtitles.fonts_dir"),
}
KINDS = {"fifo": "is a named pipe (FIFO), not a file (name the file itself)",
         "zero": "(a link to /dev/zero) is a device, not a file (name the file itself)",
         "loop1": "cannot be read: Too many levels of symbolic links (its symbolic links lead round in a loop"}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("place", PLACES)
def test_a_pipe_a_device_or_a_loop_of_links_is_refused_without_reading_it(odd_files, place, kind):
    """A subtitle file or fonts_dir that was a named pipe or a link to /dev/zero hung check
    (read for ever); a font file that was one said "font file not found"; a loop of links
    got the hint to check the file's permissions."""
    text, where = PLACES[place]
    if place == "fonts_dir" and kind == "loop1":
        pytest.skip("a folder of fonts that loops is one that does not exist")
    path = odd_files / "ep.yaml"
    path.write_text("version: 1\n" + text.replace("NAME", kind), encoding="utf-8")
    started = time.monotonic()
    with pytest.raises(EdlError) as caught:
        assembler.check(path)
    assert time.monotonic() - started < 10
    problems = [str(p) for p in caught.value.problems if p.severity == "error"]
    assert any(p.startswith(f"{path}:{where}: ") and KINDS[kind] in p for p in problems), problems


def test_a_key_holding_a_line_break_keeps_its_field_path_on_one_line(tmp_path):
    """A key with U+2028 in it: its field path broke the problem's first line in two, the
    second part without FILE:LINE."""
    path = tmp_path / "ep.yaml"
    problems = _problems(path, 'version: 1\nvideo:\n  - {color: red, duration: 1}\n"sub\\u2028ti\\ttles": 1\n')
    assert len(problems) == 1
    lines = problems[0].splitlines()
    assert lines[0].startswith(f"{path}:4: sub\\u2028ti\\u0009tles: unknown field `sub"), lines
    assert all(line.startswith(f"{path}:4: ") for line in lines), lines


def test_a_fonts_dir_of_the_whole_disk_is_refused_in_bounded_time(tmp_path):
    """``fonts_dir: /`` searched the whole file system for fonts (twice), and died with a
    FileNotFoundError traceback when a temporary folder vanished during the search."""
    (tmp_path / "a.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nhi\n\n", encoding="utf-8")
    started = time.monotonic()
    problems = _problems(tmp_path / "ep.yaml", "version: 1\nvideo:\n  - {color: red, duration: 1}\n"
                                               "subtitles:\n  file: a.srt\n  fonts_dir: /\n")
    assert time.monotonic() - started < 20
    assert problems == [f"{tmp_path / 'ep.yaml'}:6: subtitles.fonts_dir: / holds more than 20000 files and folders: "
                        "too many to search for fonts (name the folder that holds the fonts)"]


def test_a_fonts_dir_is_searched_up_to_its_limit(tmp_path, monkeypatch):
    """Below the limit the folder's fonts are used; past it, the clear error."""
    from assembler.run import probe as media
    from assembler.timeline.sources import BUNDLED_FONT

    fonts = tmp_path / "fonts" / "deep"
    fonts.mkdir(parents=True)
    (fonts / "Face.ttc").write_bytes(BUNDLED_FONT.read_bytes())
    for k in range(30):
        (fonts / f"note{k}.txt").write_text("x")
    (tmp_path / "a.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nhi\n\n", encoding="utf-8")
    path = tmp_path / "ep.yaml"
    path.write_text("version: 1\nvideo:\n  - {color: red, duration: 1}\nsubtitles:\n  file: a.srt\n"
                    "  fonts_dir: fonts\n", encoding="utf-8")
    monkeypatch.setattr(media, "MAX_FOLDER_ENTRIES", 40)
    assert assembler.check(path).subtitles.cues
    monkeypatch.setattr(media, "MAX_FOLDER_ENTRIES", 20)
    with pytest.raises(EdlError, match="fonts holds more than 20 files and folders"):
        assembler.check(path)


def test_the_fuzzers_cases_give_only_our_own_errors(tmp_path, fuzz_media):
    """A hundred generated EDLs (fixed seed) through load and check: each passes or raises
    an AssemblerError, in bounded time."""
    rng = random.Random(20261201)
    started = time.monotonic()
    outcomes = {"passed": 0, "refused": 0}
    for k in range(100):
        suffix, text = generate(rng, fuzz_media)
        path = fuzz_media.folder / f"case{k}{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        try:
            assembler.load(path)
            assembler.check(path, out=tmp_path / f"out{k}.mp4")
            outcomes["passed"] += 1
        except AssemblerError:
            outcomes["refused"] += 1
    assert time.monotonic() - started < 30
    # The generator makes both kinds: a run of only refusals would test the loader's first line alone.
    assert outcomes["passed"] >= 5 and outcomes["refused"] >= 30, outcomes


def test_a_terminal_escape_in_a_key_or_a_value_is_printed_as_an_escape(tmp_path):
    """An ESC in an unknown key (or in a file name) would colour the terminal or move its
    cursor: the message shows it written as \\u001b, on its one line."""
    path = tmp_path / "ep.yaml"
    path.write_text('version: 1\nvideo:\n  - {color: red, duration: 1, "du\\e[31mration": 2}\n'
                    '  - {clip: "x\\e[2Jy.mp4"}\n', encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "assembler", "check", str(path)], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 2, done.stderr
    assert "\x1b" not in done.stdout + done.stderr
    lines = [line for line in done.stderr.splitlines() if line.strip()]
    assert any("\\u001b[31m" in line for line in lines) and any("x\\u001b[2Jy.mp4" in line for line in lines), lines


def test_a_key_with_a_character_no_editor_shows_is_named_with_it_escaped(tmp_path):
    """A key pasted with a zero-width space or a BOM looks right and is refused: the
    problem shows where the hidden character is, and the key meant (not the first key
    that looks a little like an item kind)."""
    path = tmp_path / "ep.yaml"
    path.write_text('version: 1\nvideo:\n  - {duration: 1, "im\\ufeffage": a.png}\n'
                    '  - {color: red, duration: 1, "dura\\u200btion": 2}\n', encoding="utf-8")
    with pytest.raises(EdlError) as caught:
        assembler.load(path)
    first, second = (str(p) for p in caught.value.problems)
    assert first.endswith("(`im\\ufeffage` holds a character no editor shows, U+FEFF: did you mean `image`?)")
    assert second.startswith(f"{path}:4: video[1].dura\\u200btion: unknown field")
    assert second.endswith("did you mean `duration`?)")
