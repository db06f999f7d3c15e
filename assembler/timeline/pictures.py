"""One picture item of the main track, as the small frozen type it becomes on the
timeline (``items``): a clip a :class:`Shot`, an image a :class:`Still`, a title a
:class:`Card`, a colour a :class:`Plate`, each chosen by the item's type from a table,
with its source checked (there, long enough, of the right kind) and its length in frames.

Contract: a validated item + the catalog -> the placement, not yet started (frame 0; the
main track's arrangement starts it), or None with its problems recorded, located in the EDL.
Pure: sources come from the catalog; a title's text is laid out by the ``settle`` it is given.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from assembler.errors import MediaError, Problem, media_hint
from assembler.model import edl as model
from assembler.model.load import Validated
from assembler.model.takes import Lowered, lower
from assembler.timebase import frame_of, seconds_text
from assembler.timeline.items import Card, Focus, Placement, Plate, Settle, Shot, Spot, Still, Text
from assembler.timeline.sounds import cut_short, still_cut_short
from assembler.timeline.sources import DEFAULT_FAMILY, Face, MediaInfo, Sources, font_path, lut_path, resolve

__all__ = ["Placing", "centred", "focus_keys", "focus_of", "lower_slots", "lut_of", "place_picture"]

# A source may end a hair before the `out` the user typed (container rounding): allow 1 ms.
_END_SLACK = Fraction(1, 1000)


@dataclass(frozen=True)
class Placing:
    """What placing any picture item needs: the EDL, its sources, the output's rate, the
    font families known, how a text is laid out for its problems; ``problems`` collects."""

    validated: Validated
    sources: Sources
    rate: Fraction
    faces: dict[str, Face]
    settle: Settle
    problems: list[Problem]
    lowered: Mapping[int, Lowered] = field(default_factory=dict)  # the slots among the clips, by EDL index


def place_picture(p: Placing, index: int, item: Any) -> Placement | None:
    """Item ``index`` of ``video`` (a clip, image, title or colour) as its placement."""
    return _PLACE[type(item)](p, index, item)


def lower_slots(validated: Validated, sources: Sources, rate: Fraction) -> tuple[Validated, dict[int, Lowered],
                                                                               list[Problem]]:
    """The EDL with each shot slot as the clip of its picked take (``model.takes``), the
    slots by index, and the problems: a slot id given twice, a take whose file is missing
    or no video (an error for the picked one, a warning for the others: it cannot be
    picked), a take that cannot fill the slot. A slot with an error becomes None, as an
    item that failed validation."""
    doc, items, problems = validated.document, list(validated.items), []
    lowered: dict[int, Lowered] = {}
    seen: dict[str, int] = {}
    for index, item in enumerate(validated.items):
        if not isinstance(item, model.Slot):
            continue
        at = ("video", index)
        if item.shot in seen:
            problems.append(doc.problem((*at, "shot"), f"slot `{item.shot}` is also {doc.name(('video', seen[item.shot]))}",
                                        "give each slot an id of its own: `--pick` names it"))
        seen.setdefault(item.shot, index)
        items[index] = None
        picked: MediaInfo | None = None
        for name in item.takes:
            path = resolve(validated, item.file_of(name))
            info = sources.media(path)
            other = name != item.picked
            if isinstance(info, MediaError):
                problems.append(doc.problem((*at, "takes", name), f"take `{name}`: {info}",
                                            "it cannot be picked until it is there" if other else media_hint(info),
                                            warning=other))
            elif info.kind != "video":
                problems.append(doc.problem((*at, "takes", name), f"take `{name}`: {path.name} is not a video",
                                            warning=other))
            elif not other:
                picked = info
        if picked is None:
            continue
        made, more = lower(validated, index, item, picked.duration, picked.fps, rate)
        problems += more
        if made is not None:
            items[index], lowered[index] = made.clip, made
    return replace(validated, items=tuple(items)), lowered, problems


def lut_of(validated: Validated, at: tuple, text: str | None, sources: Sources,
           problems: list[Problem]) -> tuple[Path, ...]:
    """The LUT at field ``at`` as a one-item tuple, () for none; a problem if unusable."""
    if not text:
        return ()
    path = lut_path(validated, text)
    if path is None:
        problems.append(validated.document.problem(at, f"{text} is not a 3D LUT file",
                                                   "use a .cube or .3dl file"))
        return ()
    if isinstance(found := sources.lut(path), MediaError):
        problems.append(validated.document.problem(at, str(found), media_hint(found)))
        return ()
    return (found.file,)




def focus_keys(given: model.FocusPoint | list[model.FocusKey], rate: Fraction) -> Focus:
    """An item's ``focus`` as written, on the frames of its own clock (exact), unchecked."""
    if isinstance(given, model.FocusPoint):
        return Focus(((0, Fraction(str(given.x)), Fraction(str(given.y))),))
    return Focus(tuple((frame_of(time.resolve(rate), rate), Fraction(str(x)), Fraction(str(y)))
                       for time, x, y in given))


def focus_of(p: Placing, at: tuple, given: model.FocusPoint | list[model.FocusKey] | None,
             frames: int) -> Focus | None:
    """An item's ``focus`` (field ``at``) on the frames of its own clock; None for the
    centre. Keyframes on one frame are an error (the ease between them would have no
    length); one past the item's end is a warning (the crop never gets there)."""
    if given is None:
        return None
    doc, focus, ok = p.validated.document, focus_keys(given, p.rate), True
    for n, ((frame, _, _), (time, *_)) in enumerate(zip(focus.keys, given if isinstance(given, list) else [])):
        if n and frame <= focus.keys[n - 1][0]:
            p.problems.append(doc.problem((*at, n), f"keyframe at {time} is on frame {frame} at {p.rate} fps, not "
                                          f"after the one before it (frame {focus.keys[n - 1][0]})",
                                          "keyframe times must increase by at least a frame"))
            ok = False
        elif frame > frames:
            p.problems.append(doc.problem((*at, n), f"keyframe at {time} is past the item's end "
                                          f"({seconds_text(Fraction(frames) / p.rate)} s): the crop never gets there",
                                          "keyframe times count from the item's first frame", warning=True))
    return centred(focus) if ok else None


def centred(focus: Focus) -> Focus | None:
    """None for a focus that stays at the centre: the default's crop, so its jobs are the
    default's too (and shared with items that say nothing)."""
    half = Fraction(1, 2)
    return None if all(x == half and y == half for _, x, y in focus.keys) else focus


def _plate(p: Placing, index: int, item: model.Color) -> Placement | None:
    return Plate(index=index, frames=_length(p, ("video", index), item.duration.resolve(p.rate)), color=item.color)


def _card(p: Placing, index: int, item: model.Title) -> Placement | None:
    """A title card: its text (in a font file it names, or a family the fonts hold) on a
    colour or a background picture."""
    validated, doc, problems, rate, at = p.validated, p.validated.document, p.problems, p.rate, ("video", index)
    font = font_path(validated, item.style.font)
    if font is not None and isinstance(found := p.sources.font(font), MediaError):
        problems.append(doc.problem((*at, "style", "font"), f"font file unusable: {found}", found.hint))
        return None
    face = None if font else p.faces.get((item.style.font or DEFAULT_FAMILY).lower())
    if font is None and face is None:
        known = sorted({f.family for f in p.faces.values()})
        problems.append(doc.problem((*at, "style", "font"), f"no font of family {item.style.font!r} is available "
                                    f"(there are: {', '.join(known)})",
                                    "put its font file in `subtitles.fonts_dir`, or name the file itself"))
        return None
    frames = _length(p, at, item.duration.resolve(rate))
    fades = (frame_of(item.fade_in.resolve(rate), rate), frame_of(item.fade_out.resolve(rate), rate))
    if sum(fades) > frames:
        problems.append(doc.problem((*at, "fade_out"), "the fades are longer than the title"))
    anchor = item.style.position
    picture: MediaInfo | None = None  # the background's still, if any (shown as a cover-fitted image)
    if item.background_image:
        found = p.sources.media(path := resolve(validated, item.background_image))
        if isinstance(found, MediaError):
            problems.append(doc.problem((*at, "background"), str(found), media_hint(found)))
            return None
        if found.kind not in ("image", "video"):
            problems.append(doc.problem((*at, "background"), f"{path.name} has no picture"))
            return None
        if still_cut_short(doc, (*at, "background"), found, problems):
            return None
        picture = found
    text = Text(item.title.strip("\n"), face or Face("", font, 0), item.style.size,  # type: ignore[arg-type]
                item.style.color, anchor if isinstance(anchor, str) else (anchor.x, anchor.y), fades,
                said=Spot.of(doc, (*at, "title")), font_said=Spot.of(doc, (*at, "style", "font")))
    if more := p.settle(text):
        problems += more
        if any(found.severity == "error" for found in more):
            return None
    if item.focus is not None and picture is None:
        problems.append(doc.problem((*at, "focus"), "not used: the title stands on a colour, which has nothing to crop",
                                    "focus guides the crop of a background picture", warning=True))
    return Card(index=index, frames=frames, text=text, color=None if picture else item.background, media=picture,
                focus=focus_of(p, (*at, "focus"), item.focus, frames) if picture else None)


def _source(p: Placing, index: int, key: str, text: str) -> tuple[Path, MediaInfo] | None:
    """The file a clip or an image names, as the catalog found it."""
    path = resolve(p.validated, text)
    info = p.sources.media(path)
    if isinstance(info, MediaError):
        p.problems.append(p.validated.document.problem(("video", index, key), str(info), media_hint(info)))
        return None
    return path, info


def _still(p: Placing, index: int, item: model.Image) -> Placement | None:
    doc, at = p.validated.document, ("video", index)
    if (found := _source(p, index, "image", item.image)) is None:
        return None
    path, info = found
    if info.kind not in ("image", "video"):
        p.problems.append(doc.problem((*at, "image"), f"{path.name} has no picture"))
        return None
    if still_cut_short(doc, (*at, "image"), info, p.problems):
        return None
    frames = _length(p, at, item.duration.resolve(p.rate))
    motion = item.motion if item.motion and not item.motion.still else None
    focus = focus_of(p, (*at, "focus"), item.focus, frames)
    if motion and item.focus is not None:
        # One framing at a time: a moving still's view is centred by motion.focus.
        p.problems.append(doc.problem((*at, "focus"), "not used: a still in `motion` is framed by `motion.focus`",
                                      "give the view's centre in motion.focus, or drop `focus`", warning=True))
        focus = None
    return Still(index=index, media=info, fit=item.fit or p.validated.output.fit, frames=frames, motion=motion,
                 focus=focus)


def _shot(p: Placing, index: int, item: model.Clip) -> Placement | None:
    """A clip: its stretch of the source (``in`` to ``out``, or ``duration``, or the end),
    checked against what the file holds, at its speed."""
    doc, problems, at = p.validated.document, p.problems, ("video", index)
    if (found := _source(p, index, "clip", item.clip)) is None:
        return None
    path, info = found
    if info.kind != "video":
        problems.append(doc.problem((*at, "clip"), f"{path.name} is {'a still image' if info.kind == 'image' else 'not a video'}",
                                    "use `image:` for stills" if info.kind == "image" else None))
        return None
    src_rate = info.fps or p.rate
    end = info.duration
    src_in = item.in_.resolve(src_rate)
    src_out: Fraction | None  # None: to its end, and the file does not say where that is
    if item.out is not None:
        src_out, out_field = item.out.resolve(src_rate), "out"
    elif item.duration is not None:
        src_out, out_field = src_in + item.duration.resolve(src_rate), "duration"
    else:
        src_out, out_field = end, "in"
    ok = True
    if end is not None and src_in >= end:
        problems.append(doc.problem((*at, "in"), f"{seconds_text(src_in)} s is at or past the end of "
                                    f"{path.name} ({seconds_text(end)} s)"))
        ok = False
    elif end is not None and src_out is not None and src_out > end + _END_SLACK:
        problems.append(doc.problem((*at, out_field), f"{seconds_text(src_out)} s is past the end of {path.name} "
                                    f"({float(end):.3f} s)", f"end it at {float(end):.3f} s at the latest, or leave `{out_field}` out"))
        ok = False
    elif src_out is not None and src_out <= src_in:
        problems.append(doc.problem((*at, out_field), f"`in` ({seconds_text(src_in)} s) must be before `out` "
                                    f"({seconds_text(src_out)} s)"))
        ok = False
    if not ok or src_out is None or cut_short(doc, (*at, "clip"), info, src_out, problems, src_in):
        return None
    slot = p.lowered.get(index)
    speed = slot.speed if slot else Fraction(str(item.speed))  # a retimed take's is exact
    frames = _length(p, (*at, out_field), (src_out - src_in) / speed)
    # A slot lasts its length on the output grid; a held take's last picture fills the rest.
    hold = max(0, slot.frames - frames) if slot and slot.hold and slot.frames else 0
    frames = slot.frames if slot and slot.frames else frames
    return Shot(index=index, media=info, frames=frames, source_in=src_in, source_out=src_out, hold=hold,
                take=(slot.slot, slot.take) if slot else None, focus=focus_of(p, (*at, "focus"), item.focus, frames),
                speed=speed, fit=item.fit or p.validated.output.fit, volume_db=item.volume,
                sound=info.has_audio and not item.mute, role=item.role,
                luts=lut_of(p.validated, (*at, "lut"), item.lut, p.sources, problems))


def _length(p: Placing, at: tuple, seconds: Fraction) -> int:
    frames = frame_of(seconds, p.rate)
    if frames < 1:
        p.problems.append(p.validated.document.problem(at, f"lasts {seconds_text(seconds)} s, less than one frame "
                                                       f"at {p.rate} fps"))
    return frames


# Each kind of main-track item, by its type in the contract, and what places it.
_PLACE: dict[type, Callable[[Placing, int, Any], Placement | None]] = {
    model.Color: _plate, model.Title: _card, model.Image: _still, model.Clip: _shot}
