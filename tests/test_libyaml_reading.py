"""Reading an EDL through libyaml's events (model/libyaml.py) gives what ruamel alone gives:
the same values, the same line of every field, and, for a file either refuses, the same
problems in the same words (those are ruamel's: the file is read again by it alone)."""

from __future__ import annotations

import random

import pytest

from assembler.errors import EdlError
from assembler.model import libyaml, load
from fuzz_edl import Media, generate

pytestmark = pytest.mark.skipif(not libyaml.available(), reason="PyYAML without libyaml: ruamel reads alone")

EDL = "version: 1\nvideo:\n  - color: red\n    duration: 1\n"

# Each a corner where two YAML readers could part: styles, escapes, YAML 1.1 against 1.2
# words and numbers, line ends, markers, anchors and merges, and what either refuses.
TEXTS = [
    EDL,
    "# a comment\n" + EDL + "# the end\n",
    '{"version": 1, "video": [{"color": "red", "duration": 1}]}\n',
    "version: 1\nvideo: [{color: red, duration: 1}, {transition: dissolve}, {color: blue, duration: 2}]\n",
    EDL.replace("\n", "\r\n"),
    EDL.replace("\n", "\r"),
    "\ufeff" + EDL,
    "---\n" + EDL + "...\n",
    "%YAML 1.1\n---\nversion: 1\nvideo:\n  - color: red\n    duration: 1\n    x: yes\n",
    "version: 1\nname: !!str 12\n" + EDL[11:],
    "version: 1\nflags: [yes, no, on, off, y, n, True, FALSE, null, Null, ~, '', ]\n" + EDL[11:],
    "version: 1\nnumbers: [0o17, 0x1F, 017, 1_000, +5, -0, .5, 1e3, 1.0e+3, .inf, -.Inf, .NaN, 1:20, 0b101]\n"
    + EDL[11:],
    "version: 1\nwhen: [2001-12-14, 2001-12-14t21:59:43.10-05:00, 12:30:00]\n" + EDL[11:],
    'version: 1\nname: "tab\\there, \\u00e9, \\x41, \\N, \\_, \\/, \\\\, \\""\n' + EDL[11:],
    "version: 1\nname: 'it''s # not a comment'\n" + EDL[11:],
    "version: 1\nname: |\n  two\n  lines\n\nnote: >-\n  folded\n  text\n\n  kept\n" + EDL[11:],
    "version: 1\nname: a plain\n  scalar on\n  three lines\n" + EDL[11:],
    "version: 1\nname: a:b: c\n" + EDL[11:],
    "version: 1\n? name\n: explicit key\n" + EDL[11:],
    "version: 1\nbase: &b {color: red, duration: 1}\nvideo:\n  - *b\n  - <<: *b\n    color: blue\n  - *b\n",
    "version: 1\nvideo:\n- color: red\n  duration: 1\n-   color: blue\n    duration: 2\n",
    "version: 1\nvideo:\n  - color: red\n    duration: 1\n    title: \u201cquoted\u201d \U0001f3ac \u7b2c\u4e00\u96c6\n",
    "version: 1\nvideo:\n  - title: 'line\u2028separator'\n    duration: 1\n",
    "version: 1\nvideo:\n  - title: next\x85line\n    duration: 1\n",
    "version: 1\nvideo:\n  - color: red\n    duration:\t1\n",
    "version: 1\nvideo:\n  - title: \"\\ud83c\\udfac\"\n    duration: 1\n",
    "version: 1\nversion: 2\n" + EDL[11:],
    EDL + "---\n" + EDL,
    "version: 1\nvideo: [\n",
    "version: 1\nvideo:\n  - color: red\n   duration: 1\n",
    "version: 1\nx: *nothing\n" + EDL[11:],
    "version: 1\nx: \x07\n" + EDL[11:],
    "version: 1\nx: " + "[" * 10_000 + "]" * 10_000 + "\n" + EDL[11:],
    "version: 1\nx:\n" + "".join("  " * k + "- \n" for k in range(1, 80)) + EDL[11:],
    "version: 1\nx: " + "[{a: " * 40 + "1" + "}]" * 40 + "\n" + EDL[11:],
    "",
    "just a string\n",
    "- a\n- list\n",
]


def _outcome(path):
    try:
        doc = load.parse(path)
    except EdlError as exc:
        return "refused", [str(p) for p in exc.problems]
    # repr: ruamel's tagged values compare by identity
    return "read", repr(doc.data), sorted(doc.lines.items(), key=repr)


def _both(path, monkeypatch):
    fast = _outcome(path)
    with monkeypatch.context() as m:
        m.setattr(libyaml, "CParser", None)  # no libyaml: ruamel reads alone
        slow = _outcome(path)
    return fast, slow


def _read_by_libyaml(text: str) -> bool:
    try:
        load._read_yaml(text, fast=True)
        return True
    except Exception:
        return False


@pytest.mark.parametrize("k", range(len(TEXTS)))
def test_a_corner_of_yaml_is_read_as_ruamel_reads_it(tmp_path, monkeypatch, k):
    path = tmp_path / "ep.yaml"
    path.write_bytes(TEXTS[k].encode("utf-8", "surrogatepass"))
    fast, slow = _both(path, monkeypatch)
    assert fast == slow


def test_libyaml_reads_the_plain_files_and_leaves_the_rest():
    read = [_read_by_libyaml(text) for text in TEXTS]
    assert all(read[:8]), read  # the plain files, in both styles, every line end
    # A directive, a tag, LS, NEL, a tab, a surrogate escape, a duplicate key, two documents:
    # each left to ruamel alone.
    assert not any(read[8:10]) and not any(read[22:28]), read


def test_the_fuzzers_edls_are_read_as_ruamel_reads_them(monkeypatch, tmp_path_factory):
    """Three hundred generated EDLs (fixed seed; mutations of the examples, of their text,
    odd values and odd YAML): the same outcome, values, lines and messages."""
    media = Media(tmp_path_factory.mktemp("fuzz"))
    rng = random.Random(20261202)
    fast_reads = 0
    for k in range(300):
        suffix, text = generate(rng, media)
        path = media.folder / f"case{k}{suffix}"
        path.write_text(text, encoding="utf-8", errors="surrogatepass")
        fast, slow = _both(path, monkeypatch)
        assert fast == slow, (path, text)
        fast_reads += _read_by_libyaml(path.read_text(encoding="utf-8", errors="surrogatepass"))
    assert fast_reads >= 150  # most of them went through libyaml: the comparison is not of ruamel with itself
