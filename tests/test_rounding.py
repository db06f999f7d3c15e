"""Seconds to frames and samples: one rule (nearest, a half up) in timebase, the two counts
that are not placements, and the one older rule kept, each pinned at a .5 tie where the
rules part; and no module but timebase rounds a time onto the grid by itself."""

from __future__ import annotations

import re
from fractions import Fraction as F
from pathlib import Path

import pytest

import assembler
from assembler.compile.jobs import compile_mix
from assembler.timebase import frame_of, frames_touched, sample_at, sample_of, shift_samples, whole_samples
from conftest import write_edl
from media_tools import make_tone_wav

PACKAGE = Path(assembler.__file__).parent


@pytest.mark.parametrize("seconds, rate, frame", [
    (F(1, 60), F(30), 1),            # half a frame: up
    (F(59, 60), F(30), 30),          # 29.5: up, where round() would give the even 30 and 28.5 gives 28
    (F(57, 60), F(30), 29),          # 28.5: up (round() gives 28)
    (F(1, 61), F(30), 0),            # under half a frame: down
    (F(12 * 1001, 24000) - F(1, 48000), F(24000, 1001), 12),  # 11.999: nearest
])
def test_frames_round_to_the_nearest_a_half_up(seconds, rate, frame):
    assert frame_of(seconds, rate) == frame


@pytest.mark.parametrize("seconds, rate, nearest, whole, even", [
    (F(5, 1000), 44100, 221, 220, 220),      # the click fade at 44.1 kHz: 220.5 samples
    (F(1, 24), 44100, 1838, 1837, 1838),     # one frame at 24 fps: 1837.5 samples
    (F(1, 8), 44100, 5513, 5512, 5512),      # 5512.5
    (-F(1, 24), 44100, -1837, -1838, -1838),  # a J-cut's shift is negative
    (F(1, 3), 48000, 16000, 16000, 16000),   # exact: every rule agrees
])
def test_samples_at_a_half_by_each_rule(seconds, rate, nearest, whole, even):
    assert sample_at(seconds, rate) == nearest
    assert whole_samples(seconds, rate) == whole
    assert shift_samples(seconds, rate) == even


def test_a_frames_sample_is_the_sample_at_its_time():
    for rate in (F(24), F(25), F(30000, 1001), F(24000, 1001)):
        for sr in (44100, 48000, 32000):
            for frame in (0, 1, 12, 1001, 86399):
                assert sample_of(frame, rate, sr) == sample_at(F(frame) / rate, sr)


def test_frames_touched_round_outward():
    assert frames_touched(F(1, 50), F(21, 50), F(25)) == (0, 11)
    assert frames_touched(F(0), F(2, 5), F(25)) == (0, 10)  # an exact edge touches no more


@pytest.fixture(scope="module")
def at_44k(media, tmp_path_factory):
    """A timeline at 24 fps and 44.1 kHz, where frames are half samples: a J-cut of one
    frame and a sound one frame in land on .5 samples."""
    folder = tmp_path_factory.mktemp("rounding")
    make_tone_wav(folder / "bed.wav", freq=330, duration=2, channels=2, sample_rate=44100)
    path = write_edl(folder, "ep.yaml", {
        "version": 1,
        "output": {"size": "160x90", "fps": 24, "video": {"preset": "ultrafast"}, "audio": {"rate": 44100}},
        "video": [{"clip": str(media / "red.mp4"), "out": 1.5},
                  {"transition": "cut", "audio": {"lead": "1f"}},
                  {"clip": str(media / "green.mp4"), "in": 0.6, "out": 1.9}],
        "audio": [{"file": str(folder / "bed.wav"), "start": "1f", "duration": 1}],
    })
    return assembler.check(path)


def test_sounds_land_where_each_rule_puts_them(at_44k):
    timeline = at_44k
    cut = timeline.placements[1].start
    # A sound's start: the nearest sample, a half up (1837.5 -> 1838).
    assert [c.start for c in timeline.sounds] == [1838]
    # A J-cut's shift: the nearest, a half to the even one (-1837.5 -> -1838), as rendered before.
    assert timeline.voices[1].start == timeline.sample(cut) - 1838
    assert timeline.voices[0].end == timeline.sample(cut) - 1838


def test_click_fades_keep_their_rules(at_44k):
    """5 ms is 220.5 samples at 44.1 kHz: a cue's click fade is the nearest (221), a
    voice's the whole samples in it (220). Unifying them would change these renders."""
    script = compile_mix(at_44k).script or ""
    assert "afade=t=in:ss=0:ns=220" in script      # the first voice's head
    assert re.search(r"afade=t=in:ss=0:ns=221\b", script)  # the cue's


# Where a time is still rounded outside timebase, and why that conversion is not ours to
# make one rule of: the stamps are the subtitle formats' and libass's own.
_OWN_RULES = {
    "compile/subtitles.py": "frames to ASS centiseconds and SubRip milliseconds",
    "run/probe.py": "a source's own samples: a silent gap is at least 0.3 s of them",
}
_ARG = r"(?:[^()\n]|\([^()\n]*\))*"  # an argument, with one level of calls inside
_ROUNDS_TIME = re.compile(rf"(?<![\w.])(?:round|int|math\.floor|math\.ceil)\({_ARG}[*/]{_ARG}\b(?:rate|fps|sr)\b")


def test_only_timebase_rounds_time_onto_the_grid():
    found = []
    for path in sorted(PACKAGE.rglob("*.py")):
        name = path.relative_to(PACKAGE).as_posix()
        if name == "timebase.py" or name in _OWN_RULES:
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            if _ROUNDS_TIME.search(line):
                found.append(f"{name}:{number}: {line.strip()}")
    assert not found, "round with timebase (frame_of, sample_at, ...):\n" + "\n".join(found)


def test_the_rule_test_sees_a_rounding():
    assert _ROUNDS_TIME.search("first = int(cue.source_in * rate)")
    assert _ROUNDS_TIME.search("x = math.ceil(Fraction(end, sr) * rate)")
    assert not _ROUNDS_TIME.search("problems += _lint(placed, rate)")
