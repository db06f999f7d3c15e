"""Escaping, table-driven: how many backslashes each special character gets."""

import pytest

from assembler.compile.escape import (ass_colour, ass_event, colour, file_name, fontconfig_family, graph_level, option_level,
                                     shell_comment, shell_line, shell_word, value, xml_text)


@pytest.mark.parametrize("raw, escaped", [
    ("plain", "plain"),
    (":", r"\\:"),          # level 1 escapes it, level 2 escapes that backslash
    ("'", r"\\\'"),         # escaped at both levels
    ("\\", r"\\\\"),          # a backslash: doubled at level 1, each doubled again at level 2
    (",", r"\,"),           # graph level only
    ("[", r"\["),
    ("]", r"\]"),
    (";", r"\;"),
    ("%", "%"),             # drawtext's own expansion is switched off, not escaped
    ("日本語", "日本語"),
    (" lead", r"\ lead"),   # whitespace at the ends would be stripped by the graph parser
    ("trail ", r"trail\ "),
])
def test_value_table(raw, escaped):
    assert value(raw) == escaped


def test_levels_compose():
    assert value("a:b,c") == graph_level(option_level("a:b,c"))


def test_nul_is_refused():
    with pytest.raises(ValueError):
        value("a\x00b")


@pytest.mark.parametrize("family, pattern", [
    ("DejaVu Sans", "DejaVu Sans"),
    ("Noto Sans CJK SC", "Noto Sans CJK SC"),
    ("Source-Han: Bold, Heavy", r"Source\-Han\: Bold\, Heavy"),  # fontconfig's - : , separate its fields
    ("back\\slash", r"back\\slash"),
])
def test_fontconfig_family(family, pattern):
    assert fontconfig_family(family) == pattern


def test_a_fontconfig_family_then_passes_the_graph_levels():
    assert value(fontconfig_family("A-B:C")) == r"A\\\\-B\\\\\\:C"


@pytest.mark.parametrize("raw, escaped", [
    ("/fonts/plain", "/fonts/plain"),
    ("/fonts/R&D <new>", "/fonts/R&amp;D &lt;new&gt;"),
])
def test_xml_text(raw, escaped):
    assert xml_text(raw) == escaped


@pytest.mark.parametrize("raw, event", [
    ("plain", "plain"),
    ("{\\i1}not a tag", "\\{\\\u2060i1\\}not a tag"),      # braces and a backslash stay literal text
    ("two\nlines", "two\\Nlines"),
    ("dos\r\nbreak", "dos\\Nbreak"),
    ("日本語", "日本語"),
])
def test_ass_event(raw, event):
    assert ass_event(raw) == event


def test_ass_colour_is_blue_green_red_with_transparency_first():
    assert ass_colour(0x12, 0x34, 0x56, 0) == "&H00563412"
    assert ass_colour(255, 255, 255, 0x80) == "&H80FFFFFF"


@pytest.mark.parametrize("normalised", ["0x000080", "0xFFFFFF66"])
def test_a_colour_enters_a_graph_as_the_model_writes_it(normalised):
    assert colour(normalised) == normalised


@pytest.mark.parametrize("other", ["navy", "#000080", "0x00008", "0xffffff", "black@0.4", None])
def test_a_colour_not_normalised_by_the_model_is_refused(other):
    with pytest.raises(ValueError):
        colour(other)


def test_a_shell_line_runs_as_given():
    import subprocess
    import sys
    argv = [sys.executable, "-c", "import os, sys; print(os.environ['NAME'], sys.argv[1:])", "it's", "a b", "$HOME;"]
    line = shell_line(argv, [("NAME", "x y")])
    assert line.startswith("NAME='x y' ")
    out = subprocess.run(["sh", "-c", line], check=True, capture_output=True, text=True).stdout
    assert out == "x y [\"it's\", 'a b', '$HOME;']\n"
    assert shell_word("plain") == "plain" and shell_word("a b") == "'a b'"


def test_a_shell_comment_stays_one_line():
    assert shell_comment("ep\nrm -rf x") == "# ep rm -rf x"


@pytest.mark.parametrize("path, argument", [
    ("S01E01:pilot.mp4", "file:S01E01:pilot.mp4"),  # would be read as protocol "S01E01"
    ("/media/S01E01:pilot.mp4", "/media/S01E01:pilot.mp4"),
    ("episode.mp4", "episode.mp4"),
    ("-", "-"),
    ("C:x.mp4", "C:x.mp4"),  # one letter is no protocol
])
def test_file_name_on_ffmpegs_command_line(path, argument):
    assert file_name(path) == argument
