"""The shot slots of an EDL, looked over before a pick: every slot with its takes, their
lengths and where they came from, and which one plays (``assembler takes``); and a
contact sheet of one slot, its takes side by side (``--sheet s02``).

Contract: an EDL (+ picks given outside it) -> :class:`SlotLine` s, or an EdlError when the
file itself is wrong (its schema, an unknown pick); a take whose file is missing or
unreadable is listed with why, as it is what a person looking at takes needs to see.
Frames come through ``run.probe`` (PyAV); never spawns a process.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont, ImageOps

from assembler.errors import EdlError, MediaError, UsageError
from assembler.model import edl as model
from assembler.model.takes import slots, with_picks
from assembler.render import EdlSource, validate_source
from assembler.review.sheet import THUMB_WIDTH, _caption, cover
from assembler.run.probe import picture_at, probe
from assembler.run.readers import read_sources
from assembler.timebase import frame_of
from assembler.timeline.build import BUNDLED_FONT
from assembler.timeline.items import Focus
from assembler.timeline.pictures import centred, focus_keys
from assembler.timeline.sources import MediaInfo, needs, resolve

__all__ = ["SlotLine", "TakeLine", "list_takes", "slot_named", "takes_sheet"]


@dataclass(frozen=True)
class TakeLine:
    """One take of a slot: its name, its file as the EDL writes it, what the file holds
    (``media``; or ``problem``, why it cannot be read), its provenance, and whether it plays."""

    name: str
    file: str
    picked: bool
    media: MediaInfo | None
    problem: str | None
    model: str | None = None
    prompt: str | None = None
    seed: int | str | None = None
    notes: str | None = None

    @property
    def seconds(self) -> Fraction | None:
        """The take's length, when its file says it."""
        return self.media.duration if self.media else None


@dataclass(frozen=True)
class SlotLine:
    """A shot slot: ``video[index]``, its id, its directed length (seconds at the output's
    rate; None: the take's own), how a take is fitted to it, and its takes in the EDL's order."""

    index: int
    shot: str
    length: Fraction | None
    fit_length: str
    in_: Fraction
    fit: str
    takes: tuple[TakeLine, ...]
    frame: tuple[int, int] = (1920, 1080)  # the output's size: the sheet's tiles have its shape
    focus: Focus | None = None  # where its cover crop looks (None: the centre)
    rate: Fraction = Fraction(30)  # the output's, which the focus's frames count at

    @property
    def picked(self) -> TakeLine:
        return next(t for t in self.takes if t.picked)


def list_takes(edl: EdlSource, *, base_dir: str | os.PathLike | None = None, picks: Mapping[str, str] | None = None,
               prober: Callable[[Path], MediaInfo] = probe) -> tuple[SlotLine, ...]:
    """Every shot slot of ``edl``, with ``picks`` ({slot id: take}) applied."""
    validated, problems = with_picks(validate_source(edl, base_dir), picks or {})
    errors = [p for p in (*validated.problems, *problems) if p.severity == "error"]
    if errors:
        raise EdlError(errors)
    sources = read_sources(tuple(n for n in needs(validated) if n.at and "takes" in n.at), prober)
    rate, found = validated.output.fps, []
    for index in slots(validated).values():
        slot = validated.items[index]
        assert isinstance(slot, model.Slot)
        lines = []
        for name, take in slot.takes.items():
            info = sources.media(resolve(validated, slot.file_of(name)))
            about = take if isinstance(take, model.Take) else None
            lines.append(TakeLine(name, slot.file_of(name), name == slot.picked,
                                  info if isinstance(info, MediaInfo) else None,
                                  str(info) if isinstance(info, MediaError) else None,
                                  *((about.model, about.prompt, about.seed, about.notes) if about else ())))
        found.append(SlotLine(index, slot.shot, slot.length.resolve(rate) if slot.length else None, slot.fit_length,
                              slot.in_.resolve(rate), slot.fit or validated.output.fit, tuple(lines),
                              validated.output.size, centred(focus_keys(slot.focus, rate)) if slot.focus else None, rate))
    return tuple(found)


def takes_sheet(slot: SlotLine, path: str | os.PathLike | None = None) -> Image.Image:
    """Every take of ``slot`` side by side: the frame in the middle of what the slot
    would play of it (fitted as the slot fits it, to the output's shape), its name,
    length and provenance; the picked one framed."""
    width, height = slot.frame
    thumb = (THUMB_WIDTH, max(2, round(THUMB_WIDTH * height / width)))
    label_height, pad = 50, 8
    sheet = Image.new("RGB", (len(slot.takes) * (thumb[0] + pad) + pad, thumb[1] + label_height + 2 * pad),
                      (24, 24, 28))
    draw = ImageDraw.Draw(sheet)
    font = ImageFont.truetype(os.fspath(BUNDLED_FONT), 12)
    for n, take in enumerate(slot.takes):
        x, y = pad + n * (thumb[0] + pad), pad
        sheet.paste(_tile(slot, take, thumb), (x, y))
        if take.picked:
            draw.rectangle((x - 3, y - 3, x + thumb[0] + 2, y + thumb[1] + 2), outline=(255, 200, 0), width=3)
        length = f"{float(take.seconds):.2f} s" if take.seconds is not None else take.problem or "length unknown"
        about = ", ".join(str(v) for v in (take.model, take.seed and f"seed {take.seed}") if v)
        for row, text in enumerate((f"{slot.shot} {take.name}{' (picked)' if take.picked else ''}: {length}",
                                    Path(take.file).name, about)):
            draw.text((x, y + thumb[1] + 4 + 15 * row), _caption(text, font, thumb[0]), font=font,
                      fill=(230, 230, 230) if row == 0 else (160, 160, 170))
    if path is not None:
        sheet.save(path)
    return sheet


def _tile(slot: SlotLine, take: TakeLine, size: tuple[int, int]) -> Image.Image:
    if take.media is None or take.media.kind != "video":
        return Image.new("RGB", size, (60, 20, 20))
    end = take.seconds if take.seconds is not None else slot.in_
    used = min(end, slot.in_ + slot.length) if slot.length and slot.fit_length == "trim" else end
    picture = picture_at(take.media, (slot.in_ + used) / 2).convert("RGB")
    if slot.fit == "cover":  # at that frame of the slot's clock
        return cover(picture, size, slot.focus, frame_of((used - slot.in_) / 2, slot.rate))
    if slot.fit == "stretch":
        return picture.resize(size)
    return ImageOps.pad(picture, size, color=(0, 0, 0))


def slot_named(found: tuple[SlotLine, ...], shot: str) -> SlotLine:
    """The slot with id ``shot``; a UsageError naming the others when there is none."""
    for slot in found:
        if slot.shot == shot:
            return slot
    known = ", ".join(s.shot for s in found)
    raise UsageError(f"--sheet {shot}: no shot slot `{shot}` in this EDL"
                     + (f" (its slots: {known})" if known else " (it has no slots)"))
