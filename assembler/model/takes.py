"""Shot slots lowered to clips: a slot (``shot: s02``, several takes, one picked) becomes
the :class:`~assembler.model.edl.Clip` of its picked take, so that nothing after the model
ever sees a slot (docs/architecture.md, "Takes").

Contract: a slot + what the catalog says of its picked take's file (its length, its rate)
-> :class:`Lowered` (the clip, the take, the frames of its last picture held), or the
problems that stop it, located at the slot's fields. ``with_picks`` applies picks given
outside the file (``--pick s02=c``, ``picks=``) before anything else reads the slots.
Pure: it is handed the lengths; it reads nothing. Imports ``edl``, ``load``, ``errors``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from fractions import Fraction
from typing import Any

from assembler.errors import EdlError, Problem
from assembler.model import edl as model
from assembler.model.load import Validated
from assembler.timebase import TimeSpec, frame_of, seconds_text, smpte_problem

__all__ = ["Lowered", "lower", "parse_picks", "slots", "with_picks"]

# A take may end a hair before the length asked of it (container rounding): allow 1 ms,
# as a clip's `out` is allowed.
_END_SLACK = Fraction(1, 1000)


@dataclass(frozen=True)
class Lowered:
    """A slot as the clip it plays. ``speed``: the exact speed of a retimed take (the
    clip's own `speed` is a float); ``frames``: the slot's length on the output grid when
    it has one (None: the take's own, ripple); ``hold``: whether its last picture is held
    to fill that length."""

    clip: model.Clip
    slot: str
    take: str
    speed: Fraction = Fraction(1)
    frames: int | None = None
    hold: bool = False


def slots(validated: Validated) -> dict[str, int]:
    """Each slot's id -> its index in ``video``."""
    return {item.shot: index for index, item in enumerate(validated.items) if isinstance(item, model.Slot)}


def parse_picks(given: list[str] | tuple[str, ...]) -> dict[str, str]:
    """``--pick s02=c`` (repeatable) as {slot: take}; a malformed one is an EdlError."""
    picks, problems = {}, []
    for text in given:
        slot, sep, take = text.partition("=")
        if not sep or not slot.strip() or not take.strip():
            problems.append(Problem("--pick", None, "", f"{text!r} is not SLOT=TAKE", "e.g. --pick s02=c"))
        else:
            picks[slot.strip()] = take.strip()
    if problems:
        raise EdlError(problems)
    return picks


def with_picks(validated: Validated, picks: Mapping[str, str]) -> tuple[Validated, list[Problem]]:
    """The EDL with the picks given outside it: each names a slot and one of its takes
    (else a problem, located at the slot, or at the file when no slot has that id)."""
    if not picks:
        return validated, []
    doc, found, problems = validated.document, slots(validated), []
    items = list(validated.items)
    for slot, take in picks.items():
        if slot not in found:
            close = model.did_you_mean(slot, tuple(found))
            problems.append(Problem(doc.file, None, "", f"--pick {slot}={take}: no shot slot `{slot}` in this EDL"
                                    + (f" (its slots: {', '.join(found)})" if found else " (it has no slots)"), close))
            continue
        index = found[slot]
        item = items[index]
        assert isinstance(item, model.Slot)
        if take not in item.takes:
            problems.append(doc.problem(("video", index, "takes"), f"--pick {slot}={take}: no take `{take}` in "
                                        f"this slot (its takes: {', '.join(item.takes)})",
                                        model.did_you_mean(take, tuple(item.takes))))
            continue
        items[index] = item.model_copy(update={"pick": take})
    return replace(validated, items=tuple(items), edl=None if validated.edl is None else validated.edl.model_copy(
        update={"video": [i for i in items]})), problems


def lower(validated: Validated, index: int, slot: model.Slot, length: Fraction | None, source_rate: Fraction | None,
          rate: Fraction) -> tuple[Lowered | None, list[Problem]]:
    """Slot ``index`` as the clip of its picked take, whose file lasts ``length`` seconds
    (None: unknown) at ``source_rate`` frames a second, for a timeline at ``rate``."""
    doc, at, name = validated.document, ("video", index), slot.picked
    file = slot.file_of(name)
    src_in = slot.in_.resolve(source_rate or rate)
    fields: dict[str, Any] = dict(clip=file, fit=slot.fit, volume=slot.volume, mute=slot.mute, role=slot.role, lut=slot.lut,
                  subtitles=slot.subtitles, audio=slot.audio, focus=slot.focus)
    fields["in"] = slot.in_
    plain = Lowered(model.Clip(**fields), slot.shot, name)  # the take to its end
    if slot.length is None:
        return plain, []
    if slot.fit_length == "ripple":  # the take's own length wins: say so, the length written is not what plays
        taken = "" if length is None else f" (take `{name}`: {seconds_text(max(Fraction(0), length - src_in))} s)"
        return plain, [doc.problem((*at, "length"), f"is not used: with `fit_length: ripple` the slot lasts as long "
                                   f"as its take{taken}", "remove `length`, or use fit_length: trim, hold or retime "
                                   "to keep it", warning=True)]
    if problem := smpte_problem(slot.length, rate):  # the slot's length counts output frames
        return None, [doc.problem((*at, "length"), problem, f"frames count 0-{math.ceil(rate) - 1}")]
    wanted = slot.length.resolve(rate)
    frames = frame_of(wanted, rate)  # the slot's length is on the output's grid
    if frames < 1:
        return None, [doc.problem((*at, "length"), f"lasts {seconds_text(wanted)} s, less than one frame at "
                                  f"{rate} fps")]
    seconds = Fraction(frames) / rate
    usable = None if length is None else length - src_in
    if usable is not None and usable <= 0:
        return None, [doc.problem((*at, "in"), f"{seconds_text(src_in)} s is at or past the end of take `{name}` "
                                  f"({file}, {seconds_text(length)} s)")]  # type: ignore[arg-type]  # known here
    short = usable is not None and usable + _END_SLACK < seconds
    if slot.fit_length == "trim" or (slot.fit_length == "hold" and not short):
        if short:
            return None, [doc.problem((*at, "length"), f"take `{name}` ({file}) has {seconds_text(usable)} s from "  # type: ignore[arg-type]
                                      f"`in`, less than the slot's length, {seconds_text(seconds)} s, and "
                                      "`fit_length: trim` cannot make it longer",
                                      "pick a longer take, or use fit_length: hold, retime or ripple")]
        return Lowered(model.Clip(**fields, duration=TimeSpec(seconds)), slot.shot, name, frames=frames), []
    if slot.fit_length == "hold":
        return replace(plain, frames=frames, hold=True), []
    if usable is None:  # retime, of a take whose file does not say how long it is
        return None, [doc.problem((*at, "fit_length"), f"take `{name}` ({file}) does not say how long it is, so "
                                  "it cannot be retimed to the slot's length", "use fit_length: trim or hold")]
    speed = usable / seconds
    low, high = model.RETIME_RANGE
    if not low <= speed <= high:
        return None, [doc.problem((*at, "fit_length"), f"retiming take `{name}` ({file}, {seconds_text(usable)} s "
                                  f"from `in`) to the slot's {seconds_text(seconds)} s needs speed "
                                  f"{float(speed):.3f}, outside {float(low):g}..{float(high):g}",
                                  "pick a take nearer the slot's length, or use fit_length: trim or hold")]
    clip = model.Clip(**fields, speed=float(speed))
    return Lowered(clip, slot.shot, name, speed=speed, frames=frames), []
