"""Place the sounds beside the main track: audio tracks and sounds attached to clips.

Contract: validated ``audio:`` items and ``video[i].audio`` lists, their sources and the
clips' places on the frame grid -> :class:`PlacedSound` s (each sound placed to the sample), and every problem
(missing file, ``start`` past the timeline's end, a fade longer than its item, a ``duck``
under a role nothing has...), located in the EDL.

Rules:

* a track's ``start`` is timeline time; an attached sound's ``start`` counts from its
  clip's first frame, and the sound is cut at the clip's last frame;
* without ``duration``/``out`` a sound stops at its source's end or the timeline's end,
  whichever comes first; ``loop`` repeats it to fill ``duration`` or the timeline;
* every sound starts and ends with at least a :data:`CLICK_FADE` fade, so no hard edit
  is heard as a click.

Pure. Imports ``edl``, ``errors``, ``load`` (types), ``sources`` (types), ``timebase``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

from assembler.model import edl as model
from assembler.errors import MediaError, Problem, media_hint
from assembler.model.load import Validated
from assembler.timebase import sample_at
from assembler.timeline.sources import MediaInfo, Sources

__all__ = ["CLICK_FADE", "Ducking", "PlacedSound", "active_spans", "cut_short", "place_sounds", "still_cut_short"]

# A clip or sound may lose this much at the end of a file cut short with a warning; more is an error.
_LOST_TAIL = Fraction(1, 2)

CLICK_FADE = Fraction(5, 1000)  # seconds: short enough to be inaudible as a fade, long enough to stop a click
_SLACK = Fraction(1, 1000)


@dataclass(frozen=True)
class Ducking:
    """A sound's ``duck`` (the EDL's :class:`~assembler.model.edl.Duck`) on the timeline: its times
    resolved, and the samples it goes down over once ``duck.follow`` has found them."""

    under: str
    amount_db: float
    attack: Fraction  # seconds to go down once the other role starts
    release: Fraction  # seconds to come back after it stops
    follow: str = "audible"  # where the other role is heard ("audible") or its items' spans ("span")
    spans: tuple[tuple[int, int], ...] | None = None  # timeline samples it ducks over, set by ``duck.follow``


@dataclass(frozen=True)
class PlacedSound:
    """One sound on the timeline: samples ``[start, start + samples)``."""

    where: str  # "audio[2]" or "video[4].audio[0]"
    media: MediaInfo
    role: str
    start: int
    samples: int
    source_in: Fraction  # seconds into the source
    loop: bool
    volume_db: float
    fade_in: int  # samples
    fade_out: int
    duck: Ducking | None = None

    @property
    def end(self) -> int:
        return self.start + self.samples


def place_sounds(validated: Validated, resolve: Callable[[str], Path], sources: Sources,
               rate: Fraction, sample_rate: int, clips: dict[int, tuple[int, int]], total_frames: int,
               clip_roles: dict[int, str]) -> tuple[list[PlacedSound], list[Problem]]:
    """Place every sound. ``clips`` maps an EDL index to its clip's frames ``(start, end)``
    on the timeline; ``clip_roles`` gives the role of each sounding clip's own sound."""
    doc = validated.document
    problems: list[Problem] = []
    grid = _Grid(doc, resolve, sources, rate, sample_rate, problems)
    sounds: list[PlacedSound] = []
    total = sample_at(Fraction(total_frames) / rate, sample_rate)
    tracks = validated.audio
    for n, sound in enumerate(tracks):
        if sound is None:  # its schema problem is already reported
            continue
        placed = _place(grid, ("audio", n), sound, "other", Fraction(0), total)
        if placed:
            sounds.append(placed)
    for index, item in enumerate(validated.items):
        if not isinstance(item, model.Clip) or index not in clips:
            continue
        first, last = clips[index]
        for n, sound in enumerate(item.audio):
            placed = _place(grid, ("video", index, "audio", n), sound, "dialogue", Fraction(first) / rate,
                            sample_at(Fraction(last) / rate, sample_rate))
            if placed:
                sounds.append(placed)
    for n, placed in enumerate(sounds):
        under = placed.duck.under if placed.duck else None
        # A sound never ducks under itself: only the others of its role count.
        if under is None or under in clip_roles.values() or any(c.role == under for k, c in enumerate(sounds) if k != n):
            continue
        make_way = f"give the sounds it should make way for `role: {under}`"
        if placed.role == under:
            problems.append(doc.problem(_path_of(placed.where, "duck"), f"the only sound of role {under!r} is this one, "
                                        "and a sound never ducks under itself: this never ducks",
                                        f"{make_way}, or duck it under another role", warning=True))
        else:
            problems.append(doc.problem(_path_of(placed.where, "duck"), f"nothing of role {under!r} sounds, so "
                                        "this never ducks", make_way, warning=True))
    return sounds, problems


def _path_of(where: str, *more: str) -> tuple:
    parts: list = []
    for token in where.replace("]", "").replace("[", ".").split("."):
        parts.append(int(token) if token.isdigit() else token)
    return (*parts, *more)


@dataclass(frozen=True)
class _Grid:
    """What placing any sound needs: the file for messages, its paths and sources, and the
    frame and sample rates of the timeline; ``problems`` collects what is found."""

    doc: Any
    resolve: Callable[[str], Path]
    sources: Sources
    rate: Fraction
    sample_rate: int
    problems: list[Problem]


def _where(at: tuple) -> str:
    """A field path as messages and receipts name an item: ``video[4].audio[0]``."""
    return "".join(f"[{part}]" if isinstance(part, int) else f".{part}" for part in at).lstrip(".")


def _place(grid: _Grid, at: tuple, sound: model.Sound, default_role: str, origin: Fraction,
           limit: int) -> PlacedSound | None:
    """One sound, the item at field ``at``; ``origin`` is where its ``start`` counts from,
    ``limit`` the last sample it may reach (the timeline's or its clip's end)."""
    doc, resolve, sources, rate, sample_rate, problems = (grid.doc, grid.resolve, grid.sources, grid.rate,
                                                           grid.sample_rate, grid.problems)
    path = resolve(sound.file)
    info = sources.media(path)
    if isinstance(info, MediaError):
        problems.append(doc.problem((*at, "file"), str(info), media_hint(info)))
        return None
    if not info.has_audio:
        problems.append(doc.problem((*at, "file"), f"{path.name} has no sound"))
        return None
    start = origin + sound.start.resolve(rate)
    first = sample_at(start, sample_rate)
    if first >= limit:
        if origin:  # attached to a clip: the clip is shorter than the sound's offset
            problems.append(doc.problem((*at, "start"), "starts after its clip ends; it is not heard", warning=True))
        else:
            problems.append(doc.problem((*at, "start"), f"starts at {float(start):.3f} s, past the end of the "
                                        f"timeline ({limit / sample_rate:.3f} s)"))
        return None
    source_in = sound.in_.resolve(rate)
    available = (info.duration - source_in) if info.duration is not None else None
    if available is not None and available <= 0:
        problems.append(doc.problem((*at, "in"), f"{float(source_in):.3f} s is at or past the end of {path.name} "
                                    f"({float(source_in + available):.3f} s)"))
        return None
    asked = (sound.duration.resolve(rate) if sound.duration is not None
             else sound.out.resolve(rate) - source_in if sound.out is not None else None)
    if asked is not None and asked <= 0:
        problems.append(doc.problem((*at, "out"), "`in` must be before `out`"))
        return None
    if asked is not None and not sound.loop and available is not None and asked > available + _SLACK:
        field = "duration" if sound.duration is not None else "out"
        problems.append(doc.problem((*at, field), f"asks for {float(asked):.3f} s but {path.name} has "
                                    f"{float(available):.3f} s after `in`", "`loop: true` repeats it"))
        return None
    length = asked if asked is not None else None if sound.loop else available
    reads = info.duration if sound.loop or length is None else source_in + length
    if reads is not None and cut_short(doc, (*at, "file"), info, reads, problems, source_in):
        return None
    samples = limit - first if length is None else min(limit - first, sample_at(length, sample_rate))
    fade_in, fade_out = sample_at(sound.fade_in.resolve(rate), sample_rate), sample_at(sound.fade_out.resolve(rate), sample_rate)
    if fade_in + fade_out > samples:
        problems.append(doc.problem((*at, "fade_out" if sound.fade_out.seconds or sound.fade_out.frames else "fade_in"),
                                    f"fades of {(fade_in + fade_out) / sample_rate:.3f} s are longer than the sound "
                                    f"({samples / sample_rate:.3f} s)"))
        return None
    click = sample_at(CLICK_FADE, sample_rate)
    duck = Ducking(sound.duck.under, sound.duck.amount, sound.duck.attack.resolve(rate),
                sound.duck.release.resolve(rate), sound.duck.follow) if sound.duck else None
    return PlacedSound(_where(at), info, sound.role or default_role, first, samples, source_in, sound.loop, sound.volume,
               max(fade_in, min(click, samples // 2)), max(fade_out, min(click, samples // 2)), duck)


def cut_short(doc, at: tuple, info: MediaInfo, reads: Fraction, problems: list[Problem],
              start: Fraction = Fraction(0)) -> bool:
    """Whether a picture or sound read from ``start`` up to ``reads`` seconds of its file
    goes past where the file's data really ends (ffmpeg would give a frozen frame and
    silence there): an error when more than `_LOST_TAIL` is missing, or all of what is
    read (True), a warning for less."""
    end = info.data_end
    if end is None or reads <= end + _SLACK:
        return False
    hint = (f"the file is incomplete (an interrupted copy or download?): copy it again, "
            f"or end it by {float(end):.3f} s")
    message = (f"{info.path.name} is cut short: its data ends at {float(end):.3f} s, though its header "
               f"says {float(info.duration or 0):.3f} s, and it is read up to {float(reads):.3f} s")
    lost = reads - end > _LOST_TAIL or end <= start
    problems.append(doc.problem(at, message, hint, warning=not lost))
    return lost


def still_cut_short(doc, at: tuple, info: MediaInfo, problems: list[Problem]) -> bool:
    """A video file used as a still shows its first frame: whether its data lacks even that."""
    return info.kind == "video" and cut_short(doc, at, info, Fraction(1) / (info.fps or 25), problems)


def active_spans(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """Merge sample spans ``[start, end)`` that touch or overlap, in order."""
    merged: list[list[int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(a, b) for a, b in merged]
