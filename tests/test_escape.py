"""Escaping, table-driven: how many backslashes each special character gets."""

import pytest

from assembler.compile.escape import graph_level, option_level, value


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
