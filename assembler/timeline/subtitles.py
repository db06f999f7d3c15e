"""Subtitles on the timeline: place every cue on the frame grid and lint them (the ASS
and SRT files are written from them by ``compile.subtitles``).

Contract: the validated ``subtitles:`` section, its file's cues and the clips' attached
cues -> a :class:`SubtitleTrack` of :class:`SubtitleCue` s, each shown on frames
``[start, end)`` of the timeline, plus warnings (reading speed, line length, overlaps,
cues outside the timeline) located in the file they come from.

Pure: nothing here reads a file. Imports ``timebase``, ``errors``, ``edl``, ``load``, ``words``.
"""

from __future__ import annotations

import functools
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from assembler.model import edl as model
from assembler.errors import MediaError, Problem, media_hint
from assembler.model.load import Validated
from assembler.timebase import Intervals, frame_of
from assembler.timeline.sources import FONT_SUFFIXES
from assembler.timeline.sources import DEFAULT_FAMILY, Face, Sources, SubtitleFile

__all__ = ["SubtitleCue", "SubtitleLook", "SubtitleTrack", "place_subtitles", "text_width"]

MAX_CPS = 20  # characters per second (a CJK character counts two)
MAX_LINE = 42  # characters a line (a CJK character counts two)
_ALIGN = {"bottom-left": 1, "bottom": 2, "bottom-right": 3, "left": 4, "center": 5, "right": 6, "top-left": 7,
          "top": 8, "top-right": 9}


@dataclass(frozen=True)
class SubtitleCue:
    """One cue on frames ``[start, end)``; ``text`` plain, ``ass`` as libass reads it when
    its file gives it so (None: the plain text, escaped when the script is written)."""

    start: int
    end: int
    text: str
    ass: str | None
    style: str = "assembler"  # the ASS style it is drawn with: ours, or its .ass file's


@dataclass(frozen=True)
class SubtitleLook:
    """The burned look as the EDL says it: sizes in pixels of a 1080-line frame (the
    layout scales them for an output)."""

    family: str
    size: float
    color: str  # 0xRRGGBB[AA]
    outline: float
    outline_color: str
    margin_v: float
    alignment: int
    bold: bool


@dataclass(frozen=True)
class SubtitleTrack:
    cues: tuple[SubtitleCue, ...]
    look: SubtitleLook
    burn: bool
    soft: bool
    sidecar: bool
    font_files: tuple[str, ...]  # the files the families are drawn from (their content is in the cache key)
    font_dirs: tuple[str, ...]  # folders fontconfig is given besides the bundled font's
    language: str | None = None
    file_styles: tuple[str, ...] = ()  # an .ass file's own `Style:` lines, kept when the EDL sets no style
    play_res: tuple[int, int] | None = None  # the size those styles are measured in

    def shown(self, start: int, end: int) -> list[SubtitleCue]:
        """The cues frames ``[start, end)`` show, in order."""
        return [self.cues[k] for k in self._timed.overlapping(start, end)]

    @functools.cached_property
    def _timed(self) -> Intervals:
        return Intervals(self.cues)


def text_width(text: str) -> int:
    """Columns a line takes: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def place_subtitles(validated: Validated, resolve: Callable[[str], Path], sources: Sources, rate: Fraction,
                   spans: dict[int, tuple[int, int]], frames: int,
                   families: dict[str, Face]) -> tuple[SubtitleTrack | None, list[Problem]]:
    """Every cue of the file (moved by ``offset``) and of the items (``spans`` maps an EDL
    index to its frames on the timeline: clips, and stills, titles and colours too), in
    time order; None when there are none."""
    spec = validated.subtitles
    problems: list[Problem] = []
    placed: list[tuple[SubtitleCue, Callable[..., Problem]]] = []
    style_font = None
    kept = _Kept()
    if spec is not None:
        style_font = _font(validated, spec, resolve, sources, families, problems)
        if spec.file:
            source = sources.subtitles(resolve(spec.file))
            if isinstance(source, SubtitleFile) and source.styles and "style" not in spec.model_fields_set:
                kept = _kept_styles(validated, source, families, problems)
            placed += _file_cues(validated, spec, resolve(spec.file), sources, rate, frames, problems, kept.names)
    placed += _item_cues(validated, spans, rate, problems)
    if not placed:
        return None, problems
    placed.sort(key=lambda c: (c[0].start, c[0].end))
    problems += _lint(placed, rate)
    if any(p.severity == "error" for p in problems) or style_font is None and spec is not None:
        return None, problems
    spec = spec or model.Subtitles()
    face = style_font or families[DEFAULT_FAMILY.lower()]
    s = spec.style
    style = SubtitleLook(face.family, s.size, s.color, s.outline, s.outline_color, s.margin_v,
                        s.alignment if isinstance(s.alignment, int) else _ALIGN[s.alignment], s.bold)
    burn, soft, sidecar = spec.ways
    dirs = (str(resolve(spec.fonts_dir)),) if spec.fonts_dir else ()
    bundled = Path(families[DEFAULT_FAMILY.lower()].path).parent
    faces = [face, *kept.faces]
    dirs = tuple(dict.fromkeys([*dirs, *(str(f.path.parent) for f in faces if f.path.parent != bundled)]))
    return SubtitleTrack(tuple(c for c, _ in placed), style, burn, soft, sidecar,
                        tuple(dict.fromkeys(str(f.path) for f in faces)), dirs, spec.language, kept.lines,
                        kept.play_res), problems


@dataclass(frozen=True)
class _Kept:
    """An .ass file's own styles, as kept for burning its cues."""

    lines: tuple[str, ...] = ()  # `Style:` lines, fonts resolved
    names: frozenset[str] = frozenset()
    faces: tuple[Face, ...] = ()
    play_res: tuple[int, int] | None = None


def _kept_styles(validated: Validated, source: SubtitleFile, families: dict[str, Face],
                 problems: list[Problem]) -> _Kept:
    """An .ass file's own styles, for its cues (when the EDL sets no `style:`): each font
    must be there; one that is not is drawn in the default family, and said so."""
    lines, faces = [], []
    default = families[DEFAULT_FAMILY.lower()]
    for st in source.styles:
        face = families.get(st.font.lower())
        if face is None:
            problems.append(validated.document.problem(
                ("subtitles", "file"), f"style {st.name!r} of {source.path.name} asks for the font {st.font!r}, "
                f"which is not available; it is drawn in {default.family}",
                "put the font in `subtitles.fonts_dir`, or set `subtitles.style`", warning=True))
            face = default
        faces.append(face)
        lines.append(f"Style: {st.name},{face.family},{st.rest}")
    return _Kept(tuple(lines), frozenset(st.name for st in source.styles), tuple(faces), source.play_res)


def _item_cues(validated: Validated, spans: dict[int, tuple[int, int]], rate: Fraction,
               problems: list[Problem]) -> list[tuple[SubtitleCue, Callable[..., Problem]]]:
    """The cues attached to main-track items: from the item's first frame, cut at its end."""
    doc = validated.document
    placed = []
    for index, item in enumerate(validated.items):
        if item is None or not getattr(item, "subtitles", None) or index not in spans:
            continue
        first, last = spans[index]
        for n, cue in enumerate(item.subtitles):
            at = ("video", index, "subtitles", n)
            start, end = first + frame_of(cue.start.resolve(rate), rate), first + frame_of(cue.end.resolve(rate), rate)
            if end <= start:
                problems.append(doc.problem((*at, "end"), "`end` must be after `start` (by at least a frame)"))
                continue
            if start >= last:
                problems.append(doc.problem((*at, "start"), f"starts after its item ends (it lasts "
                                            f"{float(Fraction(last - first) / rate):.3f} s); it is not shown",
                                            warning=True))
                continue
            placed.append((SubtitleCue(start, min(end, last), cue.text, None),
                           lambda message, hint=None, at=at: doc.problem(at, message, hint, warning=True)))
    return placed


def _font(validated: Validated, spec: model.Subtitles, resolve, sources: Sources, families: dict[str, Face],
          problems: list[Problem]) -> Face | None:
    """The face the style names: a family among the bundled and ``fonts_dir`` fonts, or a
    font file (whose family libass then looks up)."""
    doc = validated.document
    if spec.fonts_dir and isinstance(found := sources.faces(resolve(spec.fonts_dir)), MediaError):
        problems.append(doc.problem(("subtitles", "fonts_dir"), str(found), found.hint))
    font = spec.style.font
    if Path(font).suffix.lower() in FONT_SUFFIXES:
        path = resolve(font)
        read = sources.faces(path)
        if isinstance(read, MediaError):
            problems.append(doc.problem(("subtitles", "style", "font"), str(read)))
            return None
        return read[0]
    face = families.get(font.lower())
    if face is None:
        known = sorted({f.family for f in families.values()})
        problems.append(doc.problem(("subtitles", "style", "font"), f"no font of family {font!r} is available "
                                    f"(there are: {', '.join(known)})",
                                    "put its font file in `fonts_dir`, or name the file itself"))
    return face


def _file_cues(validated: Validated, spec: model.Subtitles, path: Path, sources: Sources, rate: Fraction,
               frames: int, problems: list[Problem],
               styles: frozenset[str]) -> list[tuple[SubtitleCue, Callable[..., Problem]]]:
    doc = validated.document
    found = sources.subtitles(path)
    if isinstance(found, MediaError):
        problems.append(doc.problem(("subtitles", "file"), str(found), media_hint(found)))
        return []
    if not found.cues:
        problems.append(doc.problem(("subtitles", "file"), f"{path.name} holds no cues: nothing is shown",
                                    "is it a subtitle file of the format its name says?", warning=True))
    offset = spec.offset.resolve(rate)
    end_of_timeline = Fraction(frames) / rate
    placed = []
    for n, cue in enumerate(found.cues):
        def problem(message: str, hint: str | None = None, line=cue.line, n=n) -> Problem:
            return Problem(path.name, line, f"cue {n + 1}", message, hint, "warning")

        start, end = frame_of(max(Fraction(0), cue.start + offset), rate), frame_of(max(Fraction(0), cue.end + offset), rate)
        if cue.end + offset <= 0 or start >= frames:
            where = "before the start" if cue.end + offset <= 0 else "after the end"
            problems.append(problem(f"is {where} of the timeline (0 to {float(end_of_timeline):.3f} s); it is not shown",
                                    "check `subtitles.offset`" if spec.offset.seconds or spec.offset.frames else None))
            continue
        if cue.start + offset < 0 or end > frames:
            problems.append(problem("runs outside the timeline; it is cut at the edge"))
        end = min(end, frames)
        if end <= start:
            problems.append(problem("is shorter than a frame; it is not shown"))
            continue
        placed.append((SubtitleCue(start, end, cue.text, cue.ass, cue.style if cue.style in styles else "assembler"),
                       problem))
    return placed


def _lint(placed: list[tuple[SubtitleCue, Callable[..., Problem]]], rate: Fraction) -> list[Problem]:
    """Warnings a subtitler would want before delivery (the cues are still rendered)."""
    found = []
    previous: SubtitleCue | None = None
    for cue, problem in placed:
        seconds = Fraction(cue.end - cue.start) / rate
        lines = cue.text.split("\n")
        chars = sum(text_width(line.strip()) for line in lines)
        if chars / seconds > MAX_CPS:
            found.append(problem(f"reads at {float(chars / seconds):.0f} characters a second (over {MAX_CPS}; "
                                 "a CJK character counts two)", "show it longer or say less"))
        if (widest := max(text_width(line) for line in lines)) > MAX_LINE:
            found.append(problem(f"a line is {widest} characters long (over {MAX_LINE}; a CJK character counts two)",
                                 "break it into two lines"))
        # Cues with the very same times are a deliberate stack (two languages at once).
        if previous and cue.start < previous.end and (cue.start, cue.end) != (previous.start, previous.end):
            found.append(problem(f"overlaps the cue before it by {float(Fraction(previous.end - cue.start) / rate):.3f} s",
                                 "end the earlier cue before this one starts"))
        if previous is None or cue.end > previous.end:
            previous = cue
    return found
