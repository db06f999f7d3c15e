"""Exact time: parsing the EDL's time notations, frame rates and the frame/sample grid.

Contract: user input (numbers, strings) -> exact values. Seconds are ``Fraction``;
positions on the output are integer frame counts; sound is placed to the integer sample.
Floats appear only at the edges (parsing a decimal the user typed, printing).
Imports nothing from the rest of the package.

A time written by the user may depend on a frame rate that is not known when the file is
read (SMPTE ``"00:00:04:12"`` and ``"36f"``), so parsing yields a :class:`TimeSpec`, which
is ``seconds + frames / rate`` and is resolved once the rate is known:

>>> parse_time("00:00:04:12").resolve(Fraction(24))
Fraction(9, 2)
>>> parse_time("01:02.5").resolve(Fraction(30))
Fraction(125, 2)
>>> parse_time("36f").resolve(Fraction(24))
Fraction(3, 2)
>>> parse_rate("24000/1001")
Fraction(24000, 1001)
"""

from __future__ import annotations

import bisect
import math
import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from typing import Any

__all__ = [
    "Intervals",
    "MAX_FPS",
    "MAX_SECONDS",
    "MIN_FPS",
    "TimeSpec",
    "format_seconds",
    "frame_of",
    "frames_touched",
    "parse_rate",
    "parse_time",
    "sample_at",
    "sample_of",
    "seconds_text",
    "shift_samples",
    "shown",
    "smpte_problem",
    "timecode",
    "whole_samples",
]

# Bounds on what a file may ask for, checked where numbers are parsed, so that a typo
# (10**8 s, "1e999999999") is an error at once, not hours of planning or a huge integer.
MAX_SECONDS = 24 * 3600  # any time or duration, and the whole timeline
MAX_FPS = 240
# Below one frame a second, a frame outlasts any transition or cue: a typo (0.25 for 25), not a rate.
MIN_FPS = 1
_MAX_CHARS = 40  # a number's text is refused before Python converts it (5000 digits hang int())

_FRAMES = re.compile(r"^\s*(\d+)\s*f\s*$")
_SMPTE = re.compile(r"^\s*(\d+):(\d{1,2}):(\d{1,2})[:;](\d+)\s*$")
_CLOCK = re.compile(r"^\s*(?:(\d+):)?(\d+):(\d+(?:\.\d+)?)\s*$")
_NUMBER = re.compile(r"^\s*\d+(?:\.\d*)?\s*s?\s*$|^\s*\.\d+\s*s?\s*$")


@dataclass(frozen=True, slots=True)
class TimeSpec:
    """A time as the user wrote it: ``seconds + frames / rate``, with the rate supplied later.

    ``text`` keeps the original notation for messages and for the JSON round trip.
    """

    seconds: Fraction = Fraction(0)
    frames: int = 0
    text: str = ""

    def resolve(self, rate: Fraction) -> Fraction:
        """Exact seconds, given the frame rate that ``frames`` count in."""
        if self.frames and rate <= 0:
            raise ValueError("a frame count needs a frame rate")
        return self.seconds + (Fraction(self.frames) / rate if self.frames else 0)

    def __str__(self) -> str:
        return self.text or seconds_text(self.seconds)


def shown(value: object) -> str:
    """A value as messages quote it: a 5000-digit typo is not worth 5000 characters."""
    text = repr(value)
    return text if len(text) <= _MAX_CHARS + 2 else text[:_MAX_CHARS] + "..."


def _decimal(text: str) -> Fraction:
    """A decimal string to an exact Fraction (never through a binary float); refused
    before converting when the exponent or the digits would make a huge integer."""
    try:
        number = Decimal(text)
    except InvalidOperation as exc:  # pragma: no cover - guarded by the regexes
        raise ValueError(f"not a number: {shown(text)}") from exc
    if not number.is_finite() or len(text) > _MAX_CHARS or not -_MAX_CHARS <= number.adjusted() <= _MAX_CHARS:
        raise ValueError(f"{shown(text)} is not a number of sane size")
    return Fraction(number)


def _bounded(spec: TimeSpec) -> TimeSpec:
    if spec.seconds > MAX_SECONDS or spec.frames > MAX_SECONDS * MAX_FPS:
        raise ValueError(f"{shown(spec.text)} is longer than 24 h ({MAX_SECONDS} s), the most an EDL may ask for")
    return spec


def parse_time(value: object) -> TimeSpec:
    """Parse any time notation of the EDL contract; raise ValueError with a hint if bad."""
    return _bounded(_parse_time(value))


def _parse_time(value: object) -> TimeSpec:
    if isinstance(value, TimeSpec):
        return value
    if isinstance(value, bool):
        raise ValueError("a time must be a number of seconds or a string like \"00:01:02.5\"")
    if isinstance(value, int):
        if value < 0 or value > MAX_SECONDS:  # (never printed whole: str() of 5000 digits raises)
            raise ValueError(f"a time must be 0 .. {MAX_SECONDS} s (24 h)")
        return TimeSpec(Fraction(value), 0, str(value))
    if isinstance(value, float):
        if not math.isfinite(value) or value < 0 or value > MAX_SECONDS:
            raise ValueError(f"a time must be a finite number of seconds 0 .. {MAX_SECONDS} (24 h), not {value}")
        # repr() is the shortest decimal that round-trips: 2.5 -> "2.5", 0.1 -> "0.1".
        return TimeSpec(_decimal(repr(value)), 0, repr(value))
    if not isinstance(value, str):
        raise ValueError(f"a time must be a number or a string, not {type(value).__name__}")
    text = value.strip()
    if len(text) > _MAX_CHARS:
        raise ValueError(f"{shown(value)} is too long for a time ({_MAX_CHARS} characters at most)")
    if m := _FRAMES.match(text):
        return TimeSpec(Fraction(0), int(m[1]), text)
    if m := _SMPTE.match(text):
        h, mi, s, f = (int(x) for x in m.groups())
        _check_clock(text, mi, s)
        return TimeSpec(Fraction(h * 3600 + mi * 60 + s), f, text)
    if m := _CLOCK.match(text):
        h, mi, sec = int(m[1] or 0), int(m[2]), _decimal(m[3])
        _check_clock(text, mi if m[1] else 0, sec)
        return TimeSpec(h * 3600 + mi * 60 + sec, 0, text)
    if _NUMBER.match(text):
        return TimeSpec(_decimal(text.rstrip("s ")), 0, text)
    raise ValueError(
        f"{shown(value)} is not a time; write seconds (2.5), a clock (\"00:01:02.500\"), "
        f"SMPTE with frames (\"00:00:04:12\") or a frame count (\"36f\")"
    )


def smpte_problem(spec: TimeSpec, rate: Fraction) -> str | None:
    """What is wrong with a SMPTE time whose frame field does not count below ``rate``
    (the rate it counts at is known only after probing, so parsing cannot tell), or None.

    >>> smpte_problem(parse_time("00:00:06:30"), Fraction(24))
    "'00:00:06:30': frame 30 at 24 fps"
    """
    m = _SMPTE.match(spec.text.strip().lstrip("-"))
    if m is None or int(m[4]) < math.ceil(rate):
        return None
    return f"{spec.text!r}: frame {int(m[4])} at {float(rate):g} fps"


def _check_clock(text: str, minutes: int, seconds: Fraction | int) -> None:
    if minutes >= 60 or seconds >= 60:
        raise ValueError(f"{text!r}: minutes and seconds must be below 60")


# Decimal spellings of the NTSC rates map to the exact rational rate every camera uses.
_NTSC = {Fraction(n * 1000, 1001) for n in (24, 30, 48, 60, 120)}


def parse_rate(value: object) -> Fraction:
    """A frame rate: int, decimal (23.976 -> 24000/1001) or "num/den"; 1 <= rate <= 240."""
    if isinstance(value, Fraction):
        rate = value
    elif isinstance(value, bool):
        raise ValueError("a frame rate must be a number like 24 or a string like \"24000/1001\"")
    elif isinstance(value, int):
        rate = Fraction(value)
    elif isinstance(value, (float, str)):
        text = repr(value) if isinstance(value, float) else value.strip()
        try:
            if len(text) > _MAX_CHARS:
                raise ValueError(text)
            if "/" in text:
                num, den = text.split("/", 1)
                rate = Fraction(int(num), int(den))
            else:
                rate = _decimal(text)
        except (ValueError, ZeroDivisionError, InvalidOperation):
            raise ValueError(f"{shown(value)} is not a frame rate; write 24, 29.97 or \"30000/1001\"") from None
        if rate.denominator != 1 and "/" not in text:
            rate = next((r for r in _NTSC if abs(r - rate) < Fraction(1, 200)), rate)
    else:
        raise ValueError(f"a frame rate must be a number or a string, not {type(value).__name__}")
    if rate < MIN_FPS or rate > MAX_FPS:
        raise ValueError(f"frame rate {shown(value)} is out of range ({MIN_FPS} <= fps <= {MAX_FPS})")
    return rate


# -- the grid: seconds to frames and to samples ------------------------------------------
#
# The one rule: a time becomes the frame or the sample NEAREST to it, and a time exactly
# half-way between two goes to the later one (half up, never Python's round-half-even), so
# that the same time always lands on the same frame or sample, whichever side it came from
# and whatever it is added to. Every edit point, fade, sound position and length goes
# through it (frame_of, sample_at, sample_of). Two conversions count something else, and
# say so by their names: whole_samples (how many whole samples of a source lie before a
# time) and frames_touched (every frame a stretch of time touches). One older rule is kept,
# where half up would move renders already made: shift_samples.

def _nearest(value: Fraction) -> int:
    """The integer nearest to ``value``; a half goes up (``floor(v + 1/2)``)."""
    return math.floor(value + Fraction(1, 2))


def timecode(frame: int, rate: Fraction) -> str:
    """Frame ``frame`` (from 0) as non-drop SMPTE timecode HH:MM:SS:FF, counting the rate's
    nearest whole number of frames a second (30 at 29.97), as ffmpeg's timecodes do: the
    form drawtext's ``timecode`` starts from, so a segment's clock continues the timeline's.

    >>> timecode(0, Fraction(25)), timecode(90061 * 25 + 7, Fraction(25)), timecode(30, Fraction(30000, 1001))
    ('00:00:00:00', '25:01:01:07', '00:00:01:00')
    """
    base = _nearest(rate)
    seconds, ff = divmod(frame, base)
    minutes, ss = divmod(seconds, 60)
    hh, mm = divmod(minutes, 60)
    return f"{hh:02d}:{mm:02d}:{ss:02d}:{ff:02d}"


def frame_of(seconds: Fraction, rate: Fraction) -> int:
    """The output frame nearest to a time (half up): every edit point snaps to this grid.

    >>> frame_of(Fraction(1, 60), Fraction(30)), frame_of(Fraction(1, 61), Fraction(30))
    (1, 0)
    """
    return _nearest(seconds * rate)


def sample_at(seconds: Fraction, sample_rate: int) -> int:
    """The sample nearest to a time (half up): where a sound, its fades and its length fall.

    >>> sample_at(Fraction(5, 1000), 44100)  # 220.5 samples
    221
    """
    return _nearest(seconds * sample_rate)


def sample_of(frame: int, rate: Fraction, sample_rate: int) -> int:
    """The audio sample at which output frame ``frame`` starts (:func:`sample_at` of its time).

    Sound positions are derived from frame positions, never accumulated, so picture and
    sound cannot drift apart however many items a timeline holds.
    """
    return sample_at(Fraction(frame) / rate, sample_rate)


def whole_samples(seconds: Fraction, sample_rate: int) -> int:
    """How many whole samples lie before a time in a source (``floor``): where a loop's
    part starts and ends in its source, and the samples of a fixed short length (a voice's
    click fade) that fit in it. A sample only partly before the time is not counted.

    >>> whole_samples(Fraction(5, 1000), 44100)  # 220.5 samples
    220
    """
    return math.floor(seconds * sample_rate)


def frames_touched(start: Fraction, end: Fraction, rate: Fraction) -> tuple[int, int]:
    """The frames ``[first, last)`` that a stretch of time touches, rounded outward
    (``floor``, ``ceil``): for counting and reporting what a stretch covers, never for
    placing an edit point (that is :func:`frame_of`).

    >>> frames_touched(Fraction(1, 50), Fraction(21, 50), Fraction(25))
    (0, 11)
    """
    return math.floor(start * rate), math.ceil(end * rate)


def shift_samples(seconds: Fraction, sample_rate: int) -> int:
    """The samples a J- or L-cut moves a sound's edit by: nearest, a half to the even one
    (Python's ``round``), the rule J/L cuts have been rendered with. Half up would move the
    edit of, say, a 0.125 s lead at 44.1 kHz (5512.5 samples) by one sample, so it stays.

    >>> shift_samples(Fraction(1, 8), 44100), shift_samples(-Fraction(1, 8), 44100)
    (5512, -5512)
    """
    return round(seconds * sample_rate)


def seconds_text(seconds: Fraction) -> str:
    """Exact decimal text if there is a short one, else 6 decimals (for messages)."""
    seconds = Fraction(seconds)
    if seconds.denominator == 1:
        return str(seconds.numerator)
    for digits in range(1, 7):
        scaled = seconds * 10**digits
        if scaled.denominator == 1:
            return f"{float(seconds):.{digits}f}"
    return f"{float(seconds):.6f}"


def format_seconds(seconds: Fraction | float) -> str:
    """Human-readable ``m:ss.sss`` for tables and progress."""
    total_ms = _nearest(Fraction(seconds) * 1000)
    minutes, ms = divmod(total_ms, 60_000)
    return f"{minutes}:{ms // 1000:02d}.{ms % 1000:03d}"


class Intervals:
    """Items with whole ``start`` and ``end`` (frames or samples) and the ones an interval
    overlaps, found by bisection, so that asking it for each segment or window of a long
    episode is not quadratic. Items out of order (none are) are all looked at."""

    def __init__(self, items: tuple[Any, ...]):
        self.items = items
        starts = [x.start for x in items]
        self._starts = starts if all(a <= b for a, b in zip(starts, starts[1:])) else None
        self._longest = max((x.end - x.start for x in items), default=0)

    def overlapping(self, start: int, end: int) -> list[int]:
        """The indexes of the items that overlap ``[start, end)``, in order."""
        if self._starts is None:
            lo, hi = 0, len(self.items)
        else:  # one that ends after `start` starts after `start - longest`
            lo, hi = bisect.bisect_left(self._starts, start - self._longest), bisect.bisect_left(self._starts, end)
        items = self.items
        return [k for k in range(lo, hi) if items[k].start < end and items[k].end > start]
