"""Every time notation of the contract, parsed exactly."""

from fractions import Fraction as F

import pytest

from assembler.timebase import frame_of, parse_rate, parse_time, sample_of


@pytest.mark.parametrize("text, rate, seconds", [
    (4, 30, F(4)),
    (2.5, 30, F(5, 2)),
    (0.1, 30, F(1, 10)),  # exact, never through a binary float
    ("2.5", 30, F(5, 2)),
    ("00:01:02.500", 30, F(125, 2)),
    ("01:02.5", 30, F(125, 2)),
    ("1:00:00", 30, F(3600)),
    ("00:00:04:12", 24, F(9, 2)),
    ("00:00:04:12", 25, F(4) + F(12, 25)),
    ("00:00:01;15", F(30000, 1001), 1 + F(15 * 1001, 30000)),
    ("36f", 24, F(3, 2)),
    ("36f", F(24000, 1001), F(36 * 1001, 24000)),
    (" 7 ", 30, F(7)),
])
def test_parse_time_notations(text, rate, seconds):
    assert parse_time(text).resolve(F(rate)) == seconds


@pytest.mark.parametrize("bad", ["xx", "-1", "1:75", "00:61:00", "1.2.3", "", True, None, -2, float("nan"), [1]])
def test_bad_times_say_how_to_write_one(bad):
    with pytest.raises(ValueError) as info:
        parse_time(bad)
    assert str(info.value)


@pytest.mark.parametrize("value, rate", [
    (24, F(24)), ("24", F(24)), (25.0, F(25)), ("24000/1001", F(24000, 1001)),
    (29.97, F(30000, 1001)), ("23.976", F(24000, 1001)), ("59.94", F(60000, 1001)), (12.5, F(25, 2)),
])
def test_parse_rate(value, rate):
    assert parse_rate(value) == rate


@pytest.mark.parametrize("bad", [0, -24, "abc", "24/0", True, 5000])
def test_bad_rates(bad):
    with pytest.raises(ValueError):
        parse_rate(bad)


def test_frames_and_samples_never_drift():
    rate = F(30000, 1001)
    # 10 000 one-frame items: positions derived from frames, never accumulated
    assert sample_of(10_000, rate, 48000) == round(F(10_000 * 48000) / rate)
    assert frame_of(F(1, 2), F(30)) == 15
    assert frame_of(F(1, 60), F(30)) == 1  # half a frame rounds up, deterministically
