"""Place the main track on the output frame grid, and find everything wrong with it.

Contract: validated items + their sources (the catalog ``sources.needs`` lists, filled by
``run``) -> :class:`Timeline` (frozen), or the list of
semantic :class:`~assembler.errors.Problem` s (``out`` past the source's end, ``in`` at or
after ``out``, a transition longer than a neighbour...), each located in the EDL file.

Invariants of a Timeline:

* every placement starts on an integer output frame and lasts a whole number of frames;
* placement k+1 starts where placement k ends, less the frames of the join between them,
  so the total is ``sum(frames) - sum(overlaps)`` exactly, for any number of items;
* sound is placed by sample numbers derived from frame numbers (never accumulated), so
  the sound is exactly as long as the picture and cannot drift.

Time, not pixels: a title's text keeps the EDL's size and anchor (``items.Text``); the
layout sets it for an output. Pure: paths are resolved as strings against the EDL's
folder; nothing is read here.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path
from typing import Any

from assembler.errors import MediaError, Problem
from assembler.model import edl as model
from assembler.model.load import Validated
from assembler.timebase import MAX_SECONDS, Intervals, format_seconds, frame_of, sample_of, seconds_text, shift_samples, smpte_problem
from assembler.timeline.info import InfoTrack, info_track
from assembler.timeline.items import Overlay, Placement, Settle, Shot
from assembler.timeline.overlays import place_overlays
from assembler.timeline.pictures import Placing, lower_slots, lut_of, place_picture
from assembler.timeline.sounds import PlacedSound, place_sounds
from assembler.timeline.sources import BUNDLED_FONT, DEFAULT_FAMILY, MediaInfo, Sources, families, fonts_dir, raw_media, resolve
from assembler.timeline.subtitles import SubtitleTrack, place_subtitles

__all__ = ["BUNDLED_FONT", "Join", "LAYOUTS", "OutputSpec", "Placement", "Timeline", "Voice", "build"]

LAYOUTS = {1: "mono", 2: "stereo", 3: "2.1", 4: "quad", 5: "5.0", 6: "5.1", 7: "6.1", 8: "7.1"}


@dataclass(frozen=True)
class OutputSpec:
    """The output every item is conformed to, and how it is encoded. ``width`` x
    ``height`` is the size the EDL names: the one its own layout is for."""

    width: int
    height: int
    fps: Fraction
    background: str
    sample_rate: int
    channels: int
    video: model.OutputVideo
    audio: model.OutputAudio
    burn_info: bool = False  # the EDL's `burn_info`: its own layout draws the info box (layout.info)

    @property
    def layout(self) -> str:
        return LAYOUTS[self.channels]


@dataclass(frozen=True)
class Join:
    """The edit between placements ``before`` and ``before + 1``. ``frames`` is the overlap
    (0 for a cut); ``transition`` is the contract's name for it (one of ``model.TRANSITIONS``,
    never an alias of ``model.SAME_AS``)."""

    index: int | None  # position of the transition item in the EDL, None for a plain cut
    before: int
    transition: str
    frames: int
    shift: Fraction = Fraction(0)  # seconds the sound's edit moves: -lead (J-cut), +lag (L-cut)


@dataclass(frozen=True)
class Voice:
    """The main track's sound of one placement: samples ``[start, end)`` of the timeline,
    which J and L cuts move away from its picture; ``source_in`` is where in the source
    (seconds) its first sample comes from."""

    start: int
    end: int
    source_in: Fraction


@dataclass(frozen=True)
class Timeline:
    """The main track on the output frame grid."""

    output: OutputSpec
    placements: tuple[Placement, ...]
    joins: tuple[Join, ...]  # joins[k] sits between placements[k] and placements[k+1]
    frames: int
    warnings: tuple[Problem, ...] = ()
    voices: tuple[Voice, ...] = ()  # the main track's sound, one per placement
    sounds: tuple[PlacedSound, ...] = ()  # sounds beside the main track, placed to the sample
    loudness: float | None = None  # LUFS target of the final mix
    stems: bool = False
    markers: tuple[tuple[int, str], ...] = ()  # (first frame, name), in time order
    subtitles: SubtitleTrack | None = None
    overlays: tuple[Overlay, ...] = ()  # in drawing order
    parents: tuple[Path, ...] = ()  # the EDL files it extends (model.series): read, so inputs of a render
    info: InfoTrack | None = None  # what a burned info box says (any layout may draw it: layout.info)

    @property
    def duration(self) -> Fraction:
        return Fraction(self.frames) / self.output.fps

    def sample(self, frame: int) -> int:
        """The audio sample where output frame ``frame`` starts."""
        return sample_of(frame, self.output.fps, self.output.sample_rate)

    @property
    def samples(self) -> int:
        return self.sample(self.frames)

    def shown(self, start: int, end: int) -> list[int]:
        """The indexes of the placements that frames ``[start, end)`` show, in order."""
        return self._placed.overlapping(start, end)

    def voiced(self, start: int, end: int) -> list[int]:
        """The indexes of the voices heard in samples ``[start, end)``, in order."""
        return self._voiced.overlapping(start, end)

    @functools.cached_property
    def _placed(self) -> Intervals:
        return Intervals(self.placements)

    @functools.cached_property
    def _voiced(self) -> Intervals:
        return Intervals(self.voices)

    def __repr__(self) -> str:
        kinds = [p.kind for p in self.placements]
        shown = [f"{kinds.count(k)} {k}{'s' if kinds.count(k) != 1 else ''}" for k in dict.fromkeys(kinds)]
        o = self.output
        return (f"<Timeline {seconds_text(self.duration)} s, {self.frames} frames at {o.width}x{o.height}@{o.fps}, "
                f"{', '.join(shown)}, {sum(1 for j in self.joins if j.frames)} transitions>")


def _output_spec(output: model.Output) -> OutputSpec:
    width, height = output.size
    return OutputSpec(width, height, output.fps, output.background, output.audio.rate,
                      output.audio.channels, output.video, output.audio, output.burn_info)


def build(validated: Validated, sources: Sources,
          settle: Settle | None = None) -> tuple[Timeline | None, list[Problem]]:
    """Place every valid item; return the timeline (None if any error) and all problems.
    ``sources``: what ``needs(validated)`` names, filled (``run.readers.read_sources``);
    ``settle``: the problems of each text, as a layout finds them (``items.Settle``)."""
    settle = settle or (lambda text: [])
    doc = validated.document
    out = _output_spec(validated.output)
    rate = out.fps
    problems: list[Problem] = []
    validated, lowered, more = lower_slots(validated, sources, rate)  # from here on, a slot is its clip
    problems += more
    more_fonts = fonts_dir(validated)
    faces = families(sources.faces(more_fonts) if more_fonts else None, sources.faces(BUNDLED_FONT))
    pieces: list[tuple[int, Any]] = []  # (edl index, a Placement not yet started, or a Transition)
    grade = lut_of(validated, ("output", "lut"), validated.output.lut, sources, problems)
    placing = Placing(validated, sources, rate, faces, settle, problems, lowered)
    problems += _frame_fields(validated, sources, rate)

    for index, item in enumerate(validated.items):
        if item is None:
            raw = raw_media(validated, index)
            if raw and isinstance(missing := sources.media(resolve(validated, raw[1])), MediaError):
                problems.append(doc.problem(("video", index, raw[0]), str(missing)))
            pieces.append((index, None))
            continue
        at = ("video", index)
        if isinstance(item, model.Transition):
            frames = frame_of(item.length.resolve(rate), rate)
            if item.type != "cut" and frames < 1:
                problems.append(doc.problem((*at, "duration"), "a transition must last at least one frame"))
            pieces.append((index, item))
            continue
        made = place_picture(placing, index, item)
        if made is not None:  # every item gets the output's LUT, after a clip's own
            made = replace(made, luts=(*made.luts, *grade))
        pieces.append((index, made))

    placements, joins = _arrange(validated, pieces, out, problems)
    _cut_sources(doc, pieces, out, problems)
    if placements and placements[-1].end > MAX_SECONDS * rate:  # now, before planning makes its segments
        problems.append(doc.problem(("video",), f"the timeline lasts {format_seconds(placements[-1].end / rate)}, "
                                    "more than 24 h", "an EDL makes at most 24 h: split the episode"))
    # The main track alone decides where things are: with it sound, layers and sounds are
    # checked against their places even when something else in the file is invalid.
    placed = bool(placements) and all(item is not None for item in validated.items) \
        and not any(p.severity == "error" for p in problems)
    known = placed and not validated.problems
    frames = placements[-1].end if placed else 10**9  # unknown: check the sounds' files, not their places
    clips = {p.index: (p.start, p.end) for p in placements if isinstance(p, Shot)} if placed else {}
    sounds, more = place_sounds(validated, lambda text: resolve(validated, text), sources, rate, out.sample_rate, clips,
                            frames, {p.index: p.role for p in placements if isinstance(p, Shot) and p.sound})
    problems += more
    overlays, more = place_overlays(validated, lambda text: resolve(validated, text), sources, rate, frames, faces,
                                    settle)
    problems += more
    voices = _voices(doc, placements, joins, out, problems) if known else []
    markers = _markers(validated, rate, frames, problems) if known else ()
    spans = {p.index: (p.start, p.end) for p in placements} if placed else {}
    subtitles, more = place_subtitles(validated, lambda text: resolve(validated, text), sources, rate, spans, frames,
                                    faces)
    problems += more
    errors = [p for p in problems if p.severity == "error"]
    if errors or not known:
        return None, problems
    # Made for every timeline (a few names): a deliverable's layout may draw it (layout.info).
    info = info_track(placements, joins, faces[DEFAULT_FAMILY.lower()], lambda n: doc.where(("video", n))[2]) \
        if DEFAULT_FAMILY.lower() in faces else None
    return Timeline(out, tuple(placements), tuple(joins), frames, tuple(p for p in problems if p not in errors),
                    tuple(voices), tuple(sounds), validated.output.loudness, validated.output.stems, markers,
                    subtitles, tuple(overlays), info=info), problems


def _frame_fields(validated: Validated, sources: Sources, rate: Fraction) -> list[Problem]:
    """SMPTE times whose frame field is not below the rate they count at: a clip's
    ``in``/``out``/``duration`` at its source's rate, everything else at the output's."""
    found = []
    edl = validated.edl
    parts = [("video", validated.items), ("overlays", validated.overlays), ("audio", validated.audio),
             ("subtitles", validated.subtitles), ("markers", edl.markers if edl else [])]
    for at, spec in [found for key, value in parts for found in model.time_fields(value, (key,))]:
        item = validated.items[at[1]] if at[0] == "video" else None
        if isinstance(item, model.Clip) and len(at) == 3 and at[2] in ("in", "out", "duration"):
            info = sources.media(resolve(validated, item.clip))
            if not isinstance(info, MediaInfo) or not info.fps:
                continue  # its file has a problem of its own
            counts = info.fps
        else:
            counts = rate
        if problem := smpte_problem(spec, counts):
            found.append(validated.document.problem(at, problem, f"frames count 0-{math.ceil(counts) - 1}"))
    return found


def _markers(validated: Validated, rate: Fraction, frames: int, problems: list[Problem]) -> tuple:
    """Markers on the frame grid, in time order; one past the end is an error."""
    found = []
    for n, marker in enumerate(validated.edl.markers if validated.edl else []):
        frame = frame_of(marker.at.resolve(rate), rate)
        if frame >= frames:
            problems.append(validated.document.problem(("markers", n, "at"), f"{marker.at} is past the end of the "
                                                       f"timeline ({seconds_text(Fraction(frames) / rate)} s)"))
        else:
            found.append((frame, marker.name))
    return tuple(sorted(found))


def _voices(doc, placements: list[Placement], joins: list[Join], out: OutputSpec,
            problems: list[Problem]) -> list[Voice]:
    """Each placement's sound: its picture's samples, with each edge moved by the J or L
    cut there (whose source material _cut_sources has checked)."""
    rate, sr = out.fps, out.sample_rate
    edge = [sample_of(p.start, rate, sr) for p in placements] + [sample_of(placements[-1].end, rate, sr)]
    voices = []
    for k, p in enumerate(placements):
        before = joins[k - 1] if k > 0 else None
        after = joins[k] if k < len(joins) else None
        head = before.shift if before else Fraction(0)
        tail = after.shift if after else Fraction(0)
        start = sample_of(p.start, rate, sr) + shift_samples(head, sr)
        end = sample_of(p.end, rate, sr) + shift_samples(tail, sr)
        source_in = p.source_in + Fraction(start - edge[k], sr) * p.speed if isinstance(p, Shot) else Fraction(0)
        overlap_in = (sample_of(placements[k - 1].end, rate, sr) - edge[k]) if before and before.frames else 0
        overlap_out = (edge[k + 1] - sample_of(placements[k + 1].start, rate, sr)) if after and after.frames else 0
        if end - start < overlap_in + overlap_out or end <= start:
            where = (after or before or p).index
            problems.append(doc.problem(("video", where, "audio"), f"the J/L cuts leave {doc.name(('video', p.index))} less sound "
                                        "than its transitions need", "shorten the lead or lag"))
        voices.append(Voice(start, end, source_in))
    return voices


def _cut_sources(doc, pieces: list, out: OutputSpec, problems: list[Problem]) -> None:
    """A J-cut needs source material before the in-point of the clip after it, an L-cut
    after the out-point of the clip before it: each is checked wherever that clip is
    valid, whatever else in the file is not (its place on the timeline does not matter)."""
    rate, sr = out.fps, out.sample_rate
    for position, (index, piece) in enumerate(pieces):
        sound = piece.sound if isinstance(piece, model.Transition) else None
        if sound is None or not (sound.lead or sound.lag):
            continue
        side = position + 1 if sound.lead else position - 1  # the lead wins, as in _arrange
        clip = pieces[side][1] if 0 <= side < len(pieces) else None
        if not isinstance(clip, Shot) or not clip.sound:
            continue
        media, speed = clip.media, clip.speed
        if sound.lead:
            lead = sound.lead.resolve(rate)
            if clip.source_in - Fraction(shift_samples(lead, sr), sr) * speed < 0:
                problems.append(doc.problem(("video", index, "audio", "lead"),
                                            f"the J-cut needs {float(lead):.3f} s of {media.path.name} before its "
                                            f"in-point, and there are {float(clip.source_in):.3f} s",
                                            "shorten the lead or move the clip's `in` later"))
            continue
        lag = sound.lag.resolve(rate)  # type: ignore[union-attr]  # a lead or a lag, and not the lead
        # Its own samples and the lag's, as _voices places them (to a sample, wherever it starts)
        source_end = clip.source_in + Fraction(sample_of(clip.frames, rate, sr) + shift_samples(lag, sr), sr) * speed
        if lag > 0 and media.duration is not None and source_end > media.duration + Fraction(1, 1000):
            problems.append(doc.problem(("video", index, "audio", "lag"),
                                        f"the L-cut needs {float(lag):.3f} s of {media.path.name} after its "
                                        f"out-point, and there are {float(media.duration - clip.source_out):.3f} s",
                                        "shorten the lag or move the clip's `out` earlier"))


def _arrange(validated: Validated, pieces: list, out: OutputSpec, problems: list[Problem]):
    """Turn the item list into placements and joins, checking each transition's neighbours."""
    doc, rate = validated.document, out.fps
    placements: list[Placement] = []
    joins: list[Join] = []
    pending: tuple[int, model.Transition] | None = None  # a transition waiting for its right side
    start = 0
    previous_ok = True  # whether the item before is valid

    for position, (index, piece) in enumerate(pieces):
        if isinstance(piece, model.Transition):
            at = ("video", index)
            if position == 0 or position == len(pieces) - 1:
                problems.append(doc.problem(at, "a transition needs an item on both sides"))
            elif isinstance(pieces[position - 1][1], model.Transition):
                problems.append(doc.problem(at, "two transitions in a row; put an item between them"))
            pending = (index, piece)
            continue
        if piece is None:
            # Positions after an invalid item are unknowable; keep checking the rest. A
            # transition before it is still held against the item on its other side.
            if pending is not None and previous_ok and placements:
                _check_overlap(doc, ("video", pending[0], "duration"), _overlap(pending[1], rate), placements[-1],
                               joins[-1].frames if joins else 0, None, rate, problems)
            pending, previous_ok = None, False
            continue
        if pending is not None and not previous_ok:
            _check_overlap(doc, ("video", pending[0], "duration"), _overlap(pending[1], rate), None, 0,
                           piece.frames, rate, problems)
        if placements:
            overlap, name, t_index = 0, "cut", None
            if pending is not None and previous_ok:
                t_index, transition = pending
                name = model.SAME_AS.get(transition.type, transition.type)
                overlap = _overlap(transition, rate)
                _check_overlap(doc, ("video", t_index, "duration"), overlap, placements[-1],
                               joins[-1].frames if joins else 0, piece.frames, rate, problems)
            sound = pending[1].sound if pending is not None and previous_ok else None
            shift = -sound.lead.resolve(rate) if sound and sound.lead else sound.lag.resolve(rate) if sound and sound.lag \
                else Fraction(0)
            joins.append(Join(t_index, len(placements) - 1, name, overlap, shift))
            start = placements[-1].end - overlap
        placements.append(replace(piece, start=start))
        pending, previous_ok = None, True
    return placements, joins


def _overlap(transition: model.Transition, rate: Fraction) -> int:
    return 0 if transition.type == "cut" else frame_of(transition.length.resolve(rate), rate)


def _check_overlap(doc, where: tuple, overlap: int, before: Placement | None, incoming: int,
                   after_frames: int | None, rate: Fraction, problems: list[Problem]) -> None:
    """A transition may not be longer than either neighbour (None: one that is invalid),
    nor collide with the transition on the other side of the item before it (``incoming``
    frames; one too long for that item has its own error)."""
    known = [frames for frames in (before.frames if before else None, after_frames) if frames is not None]
    if known and overlap > min(known):
        problems.append(doc.problem(where, f"the transition ({seconds_text(Fraction(overlap) / rate)} s) is longer "
                                    f"than its neighbour ({seconds_text(Fraction(min(known)) / rate)} s)",
                                    "shorten the transition or lengthen the items"))
    elif before is not None and incoming <= before.frames < overlap + incoming:
        problems.append(doc.problem(where, f"this transition and the one before overlap on {doc.name(('video', before.index))} "
                                    f"({seconds_text(Fraction(before.frames) / rate)} s)",
                                    "shorten one of the transitions"))
