"""Subtitles on the timeline: place every cue on the frame grid, lint them, and write them
out as ASS (for libass to burn, one interval at a time) and SRT (sidecar, soft stream).

Contract: the validated ``subtitles:`` section, its file's cues and the clips' attached
cues -> a :class:`CaptionTrack` of :class:`Caption` s, each shown on frames
``[start, end)`` of the timeline, plus warnings (reading speed, line length, overlaps,
cues outside the timeline) located in the file they come from.

Frame-exact through ASS's centiseconds: ffmpeg hands libass each frame's time truncated
to whole milliseconds, and libass shows an event while ``start <= t < end``. A boundary
at frame f is written as the last centisecond at or before frame f's millisecond (less
one for floating-point slack), which lies after frame f-1's for any rate below 90 fps:
so a cue ending exactly on a cut is gone on the cut's first frame.
Pure: nothing here reads a file. Imports ``timebase``, ``errors``, ``edl``, ``load``, ``words``.
"""

from __future__ import annotations

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from assembler.model import edl as model
from assembler.errors import MediaError, Problem, media_hint
from assembler.model.load import Validated
from assembler.timebase import frame_of
from assembler.timeline.sources import FONT_SUFFIXES, is_folder
from assembler.timeline.sources import DEFAULT_FAMILY, Face, SubtitleFile

__all__ = ["Caption", "CaptionStyle", "CaptionTrack", "ass_text", "place_captions", "srt_text", "text_width"]

MAX_CPS = 20  # characters per second (a CJK character counts two)
MAX_LINE = 42  # characters a line (a CJK character counts two)
_ALIGN = {"bottom-left": 1, "bottom": 2, "bottom-right": 3, "left": 4, "center": 5, "right": 6, "top-left": 7,
          "top": 8, "top-right": 9}


@dataclass(frozen=True)
class Caption:
    """One cue on frames ``[start, end)``; ``text`` plain, ``ass`` as libass reads it."""

    start: int
    end: int
    text: str
    ass: str
    style: str = "assembler"  # the ASS style it is drawn with: ours, or its .ass file's


@dataclass(frozen=True)
class CaptionStyle:
    """The burned look, in output pixels."""

    family: str
    size: int
    color: str  # 0xRRGGBB[AA]
    outline: float
    outline_color: str
    margin_v: int
    alignment: int
    bold: bool


@dataclass(frozen=True)
class CaptionTrack:
    captions: tuple[Caption, ...]
    style: CaptionStyle
    burn: bool
    soft: bool
    sidecar: bool
    font_files: tuple[str, ...]  # the files the families are drawn from (their content is in the cache key)
    font_dirs: tuple[str, ...]  # folders fontconfig is given besides the bundled font's
    language: str | None = None
    file_styles: tuple[str, ...] = ()  # an .ass file's own `Style:` lines, kept when the EDL sets no style
    play_res: tuple[int, int] | None = None  # the size those styles are measured in


def text_width(text: str) -> int:
    """Columns a line takes: wide (CJK) characters count two."""
    return sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in text)


def place_captions(validated: Validated, resolve: Callable[[str], Path], media: dict, rate: Fraction,
                   spans: dict[int, tuple[int, int]], frames: int, height: int,
                   families: dict[str, Face]) -> tuple[CaptionTrack | None, list[Problem]]:
    """Every cue of the file (moved by ``offset``) and of the items (``spans`` maps an EDL
    index to its frames on the timeline: clips, and stills, titles and colours too), in
    time order; None when there are none."""
    spec = validated.subtitles
    problems: list[Problem] = []
    placed: list[tuple[Caption, Callable[..., Problem]]] = []
    style_font = None
    kept = _Kept()
    if spec is not None:
        style_font = _font(validated, spec, resolve, media, families, problems)
        if spec.file:
            source = media.get(resolve(spec.file))
            if isinstance(source, SubtitleFile) and source.styles and "style" not in spec.model_fields_set:
                kept = _kept_styles(validated, source, families, problems)
            placed += _file_cues(validated, spec, resolve(spec.file), media, rate, frames, problems, kept.names)
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
    scale = Fraction(height, 1080)
    style = CaptionStyle(face.family, max(1, round(s.size * scale)), s.color, round(float(s.outline * scale), 2),
                         s.outline_color, round(s.margin_v * scale),
                         s.alignment if isinstance(s.alignment, int) else _ALIGN[s.alignment], s.bold)
    burn, soft, sidecar = spec.ways
    dirs = (str(resolve(spec.fonts_dir)),) if spec.fonts_dir else ()
    bundled = Path(families[DEFAULT_FAMILY.lower()].path).parent
    faces = [face, *kept.faces]
    dirs = tuple(dict.fromkeys([*dirs, *(str(f.path.parent) for f in faces if f.path.parent != bundled)]))
    return CaptionTrack(tuple(c for c, _ in placed), style, burn, soft, sidecar,
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
               problems: list[Problem]) -> list[tuple[Caption, Callable[..., Problem]]]:
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
            placed.append((Caption(start, min(end, last), cue.text, _ass_escape(cue.text)),
                           lambda message, hint=None, at=at: doc.problem(at, message, hint, warning=True)))
    return placed


def _font(validated: Validated, spec: model.Subtitles, resolve, media: dict, families: dict[str, Face],
          problems: list[Problem]) -> Face | None:
    """The face the style names: a family among the bundled and ``fonts_dir`` fonts, or a
    font file (whose family libass then looks up)."""
    doc = validated.document
    if spec.fonts_dir and isinstance(found := media.get(resolve(spec.fonts_dir)), MediaError):
        problems.append(doc.problem(("subtitles", "fonts_dir"), str(found), found.hint))
    font = spec.style.font
    if Path(font).suffix.lower() in FONT_SUFFIXES:
        path = resolve(font)
        found = media.get(path)
        if not isinstance(found, tuple):
            problems.append(doc.problem(("subtitles", "style", "font"), str(found or f"{path} was not read")))
            return None
        return found[0]
    face = families.get(font.lower())
    if face is None:
        known = sorted({f.family for f in families.values()})
        problems.append(doc.problem(("subtitles", "style", "font"), f"no font of family {font!r} is available "
                                    f"(there are: {', '.join(known)})",
                                    "put its font file in `fonts_dir`, or name the file itself"))
    return face


def _file_cues(validated: Validated, spec: model.Subtitles, path: Path, media: dict, rate: Fraction, frames: int,
               problems: list[Problem], styles: frozenset[str]) -> list[tuple[Caption, Callable[..., Problem]]]:
    doc = validated.document
    found = media.get(path)
    if not isinstance(found, SubtitleFile):
        if is_folder(path):  # read as fonts, like `fonts_dir`: say what it is not
            problems.append(doc.problem(("subtitles", "file"), f"{path.name} is a folder, not a subtitle file "
                                        "(.srt, .ass, .ssa or .vtt)", "name the file inside it"))
        else:
            problems.append(doc.problem(("subtitles", "file"), str(found or f"{path} was not read"),
                                        media_hint(found) if isinstance(found, MediaError) else None))
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
        placed.append((Caption(start, end, cue.text, cue.ass, cue.style if cue.style in styles else "assembler"),
                       problem))
    return placed


def _lint(placed: list[tuple[Caption, Callable[..., Problem]]], rate: Fraction) -> list[Problem]:
    """Warnings a subtitler would want before delivery (the cues are still rendered)."""
    found = []
    previous: Caption | None = None
    for caption, problem in placed:
        seconds = Fraction(caption.end - caption.start) / rate
        lines = caption.text.split("\n")
        chars = sum(text_width(line.strip()) for line in lines)
        if chars / seconds > MAX_CPS:
            found.append(problem(f"reads at {float(chars / seconds):.0f} characters a second (over {MAX_CPS}; "
                                 "a CJK character counts two)", "show it longer or say less"))
        if (widest := max(text_width(line) for line in lines)) > MAX_LINE:
            found.append(problem(f"a line is {widest} characters long (over {MAX_LINE}; a CJK character counts two)",
                                 "break it into two lines"))
        # Cues with the very same times are a deliberate stack (two languages at once).
        if previous and caption.start < previous.end and (caption.start, caption.end) != (previous.start, previous.end):
            found.append(problem(f"overlaps the cue before it by {float(Fraction(previous.end - caption.start) / rate):.3f} s",
                                 "end the earlier cue before this one starts"))
        if previous is None or caption.end > previous.end:
            previous = caption
    return found


def _ass_escape(text: str) -> str:
    """Plain text as an ASS event: braces would start style overrides and a backslash an
    escape (a word joiner after it keeps it literal); newlines become ASS line breaks."""
    text = text.replace("\\", "\\\u2060").replace("{", "\\{").replace("}", "\\}")
    return text.replace("\r\n", "\n").replace("\n", "\\N")


def _ass_colour(value: str) -> str:
    """0xRRGGBB[AA] -> ASS &HAABBGGRR (ASS alpha counts transparency)."""
    rgb = value[2:8]
    alpha = 255 - int(value[8:10], 16) if len(value) > 8 else 0
    return f"&H{alpha:02X}{rgb[4:6]}{rgb[2:4]}{rgb[0:2]}"


def _centiseconds(frame: int, rate: Fraction) -> int:
    """See the module's notes: the ASS time that switches exactly at ``frame``."""
    if frame <= 0:
        return 0
    ms = math.floor(Fraction(frame * 1000) / rate)
    return max(0, (ms - 1) // 10)


def _clock(cs: int) -> str:
    h, rest = divmod(cs, 360000)
    m, rest = divmod(rest, 6000)
    s, c = divmod(rest, 100)
    return f"{h}:{m:02d}:{s:02d}.{c:02d}"


def ass_text(track: CaptionTrack, width: int, height: int, rate: Fraction, start: int, end: int) -> str | None:
    """The cues shown in frames ``[start, end)`` as an ASS script whose time 0 is frame
    ``start`` (a segment's own clock), or None when none is."""
    shown = [c for c in track.captions if c.start < end and c.end > start]
    if not shown:
        return None
    s = track.style
    # Kept .ass styles are measured in their file's PlayRes: ours is scaled into it.
    res_x, res_y = track.play_res or (width, height)
    k = Fraction(res_y, height)
    margin_h = round(res_x * 0.05)
    lines = [
        "[Script Info]", "ScriptType: v4.00+", f"PlayResX: {res_x}", f"PlayResY: {res_y}", "WrapStyle: 0",
        "ScaledBorderAndShadow: yes", "YCbCr Matrix: TV.709", "",
        "[V4+ Styles]",
        "Format: Name, Fontname, Fontsize, PrimaryColour, SecondaryColour, OutlineColour, BackColour, Bold, Italic, "
        "Underline, StrikeOut, ScaleX, ScaleY, Spacing, Angle, BorderStyle, Outline, Shadow, Alignment, MarginL, "
        "MarginR, MarginV, Encoding",
        f"Style: assembler,{s.family},{float(s.size * k):g},{_ass_colour(s.color)},&H000000FF,"
        f"{_ass_colour(s.outline_color)},&H80000000,{-1 if s.bold else 0},0,0,0,100,100,0,0,1,"
        f"{round(float(s.outline * k), 2):g},0,{s.alignment},{margin_h},{margin_h},{round(s.margin_v * k)},1",
        *track.file_styles,
        "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for c in shown:
        a, b = max(c.start, start) - start, min(c.end, end) - start
        lines.append(f"Dialogue: 0,{_clock(_centiseconds(a, rate))},{_clock(_centiseconds(b, rate))},{c.style},,0,0,0,,"
                     f"{c.ass}")
    return "\n".join(lines) + "\n"


def srt_text(track: CaptionTrack, rate: Fraction) -> str:
    """Every cue on the final timeline as SubRip (times rounded to the millisecond)."""
    def stamp(frame: int) -> str:
        ms = round(Fraction(frame * 1000) / rate)
        h, rest = divmod(ms, 3600000)
        m, rest = divmod(rest, 60000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"

    blocks = [f"{n}\n{stamp(c.start)} --> {stamp(c.end)}\n{c.text}\n" for n, c in enumerate(track.captions, start=1)]
    return "\n".join(blocks)
