"""What a fresh fuzz campaign (tests/fuzz_edl.py) found, one regression test per class,
and a small fixed-seed run of its generator through load and check, in-process."""

from __future__ import annotations

import random
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
