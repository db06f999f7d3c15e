"""Where a ducked sound goes down: the spans of the sounds of its ``under`` role.

Contract: a checked timeline and a way to measure a file's audible spans
(``media.audible_spans``, or ``Cache.audible``, which remembers them) -> the same timeline
with every ducking sound carrying the timeline samples it ducks over (``sounds.Ducking.spans``),
which ``mix`` turns into its envelope; or the problems of sources that cannot be measured.

* ``follow: span``: each ``under`` item's whole span (a sound's samples, a clip's picture),
  touching spans merged: ducking as it was before sounds were measured;
* ``follow: audible`` (the default): where each ``under`` source is audible as heard in the
  mix (its peaks reach -40 dBFS less the gain it is played at), measured once per file and
  threshold on its decoded file and mapped through its placement (its in-point, its cut,
  each ``loop`` repeat, a clip's ``speed`` and J/L-cut sound), inside where it is placed; the
  union, with gaps shorter than ``attack + release`` joined (the envelope could not come
  back up in them anyway). A voice-over with pauses lets the music back up in the pauses.
  An ``under`` item never audible ducks nothing, and the sound is warned of it.

A sound never ducks under itself (``sound`` warns when it is the only one of its role).

Exact: sources' spans are integer samples at their own rate, mapped with Fractions and
rounded once onto the output's sample grid. Pure but for the measurer it is given.
Imports ``errors``, ``media`` (types and the threshold), ``sound``, ``timeline``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from pathlib import Path

from assembler.errors import MediaError, Problem
from assembler.timeline.sources import AUDIBLE_DB, Audible
from assembler.timebase import sample_at, whole_samples
from assembler.timeline.sounds import PlacedSound, _path_of, active_spans
from assembler.timeline.build import Timeline
from assembler.timeline.items import Shot

__all__ = ["follow", "joined"]

Measure = Callable[[Path, float], Audible]  # a file and the source's threshold (dBFS) -> where it is audible
Audibility = Callable[[Path, float, tuple], "Audible | None"]


def follow(timeline: Timeline, measure: Measure, doc) -> tuple[Timeline, list[Problem]]:
    """The timeline with each ducking sound's spans set, and a warning on each whose ``under``
    sounds are never audible in the mix; ``doc`` locates a source that cannot be measured."""
    if not any(c.duck for c in timeline.sounds):
        return timeline, []
    measured: dict[tuple[Path, float], Audible | MediaError] = {}
    problems: list[Problem] = []

    def audible(path: Path, gain_db: float, at: tuple) -> Audible | None:
        # -40 dBFS as heard: a source played 20 dB up is heard from -60 dBFS on its own.
        key = (path, AUDIBLE_DB - gain_db)
        if key not in measured:
            try:
                measured[key] = measure(*key)
            except MediaError as exc:
                measured[key] = exc
                problems.append(doc.problem(at, f"cannot find where it is audible: {exc}",
                                            "re-encode the file, or duck with `follow: span`"))
        found = measured[key]
        return None if isinstance(found, MediaError) else found

    sounds, warnings = [], []
    for n, c in enumerate(timeline.sounds):
        if c.duck:
            spans, silent = _spans(timeline, n, audible)
            c = replace(c, duck=replace(c.duck, spans=spans))
            if silent:
                warnings.append(_silent(doc, c, silent, not spans))
        sounds.append(c)
    return replace(timeline, sounds=tuple(sounds), warnings=(*timeline.warnings, *warnings)), problems


def _silent(doc, placed: PlacedSound, silent: list[str], alone: bool) -> Problem:
    assert placed.duck is not None
    names = ", ".join(silent)
    verb = "never reaches" if len(silent) == 1 else "never reach"
    what = "nothing ducks it" if alone else f"only the other {placed.duck.under} sounds duck it"
    return doc.problem(_path_of(placed.where, "duck"), f"{names} {verb} {AUDIBLE_DB:g} dBFS in the mix: {what}",
                       "raise its `volume`, or duck with `follow: span`", warning=True)


def _spans(timeline: Timeline, n: int, audible: Audibility) -> tuple[tuple[tuple[int, int], ...], list[str]]:
    """The spans sound ``n`` ducks over, and the ``under`` items never audible in the mix."""
    duck = timeline.sounds[n].duck
    assert duck is not None
    under = [c for k, c in enumerate(timeline.sounds) if k != n and c.role == duck.under]  # never under itself
    clips = [(p, v) for p, v in zip(timeline.placements, timeline.voices)
             if isinstance(p, Shot) and p.sound and p.role == duck.under]
    if duck.follow == "span":
        spans = [(c.start, c.end) for c in under]
        spans += [(timeline.sample(p.start), timeline.sample(p.end)) for p, _ in clips]
        return tuple(active_spans(spans)), []
    rate = timeline.output.sample_rate
    spans, silent = [], []
    for c in under:
        heard = audible(c.media.path, c.volume_db, (*_path_of(c.where), "file"))
        found = _placed_spans(c, heard, rate) if heard else [(c.start, c.end)]
        if not found:
            silent.append(f"{c.media.path.name} ({c.where})")
        spans += found
    for p, v in clips:
        assert p.media is not None
        heard = audible(p.media.path, p.volume_db, ("video", p.index, "clip"))
        found = _mapped(heard, v.source_in, v.start, p.speed, (v.start, v.end), rate) if heard else [(v.start, v.end)]
        if not found:
            silent.append(f"{p.media.path.name} (video[{p.index}])")
        spans += found
    return joined(active_spans(spans), sample_at(duck.attack + duck.release, rate)), silent


def _placed_spans(c: PlacedSound, heard: Audible, rate: int) -> list[tuple[int, int]]:
    if not c.loop:
        return _mapped(heard, c.source_in, c.start, Fraction(1), (c.start, c.end), rate)
    # As mix plays a loop: from the in-point to the source's end, over and over.
    first = whole_samples(c.source_in, rate)
    length = c.media.duration if c.media.duration is not None else Fraction(heard.samples, heard.rate)
    body = max(1, whole_samples(length, rate) - first)
    spans = []
    for m in range(math.ceil(c.samples / body)):
        origin = c.start + m * body
        spans += _mapped(heard, Fraction(first, rate), origin, Fraction(1), (origin, min(c.end, origin + body)), rate)
    return spans


def _mapped(heard: Audible, source_in: Fraction, origin: int, speed: Fraction, window: tuple[int, int],
            rate: int) -> list[tuple[int, int]]:
    """A source's audible spans on the timeline, when its second ``source_in`` plays at
    sample ``origin`` and on at ``speed``; only what falls inside ``window``."""
    spans = []
    for a, b in heard.seconds():
        start = max(window[0], origin + sample_at((a - source_in) / speed, rate))
        end = min(window[1], origin + sample_at((b - source_in) / speed, rate))
        if start < end:
            spans.append((start, end))
    return spans


def joined(spans: list[tuple[int, int]], gap: int) -> tuple[tuple[int, int], ...]:
    """Ordered, disjoint spans with the gaps shorter than ``gap`` samples filled."""
    out: list[tuple[int, int]] = []
    for start, end in spans:
        if out and start - out[-1][1] < gap:
            out[-1] = (out[-1][0], max(out[-1][1], end))
        else:
            out.append((start, end))
    return tuple(out)
