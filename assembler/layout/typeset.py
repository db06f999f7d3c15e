"""Text set for the frame: a title's words broken into lines that fit the title-safe area,
and the block placed by its edge as an image is, as runs that drawtext draws one by one.

The layout's (``layout.frame``): sizes here are output pixels.
Contract: text + :class:`~assembler.timeline.sources.Face` + size and frame in output pixels + an
anchor (a name, or the block's centre as fractions) -> :class:`Lettering` (frozen): runs
of one face each at pen positions on their baselines, the ink box, and whether the text
had to wrap, shrink or move (for the warnings); MediaError for a file that is no font. Measured with the very file and face drawtext
draws with (FreeType through Pillow, shaped by raqm as drawtext shapes by HarfBuzz: ink
within a pixel of drawtext's, measured). Reads font files; spawns nothing.

Line breaking: Latin script and Korean (written with spaces between words) break at
spaces only, never inside a word; Chinese and Japanese (ideographs, kana) may break
between any two characters; closing and other trailing punctuation (，。、！？」…) stays on
the line before, opening punctuation (「（“) on the line after. No-break spaces (U+00A0,
U+2007, U+202F) never break; other spaces do, and a space the face has no glyph for
(a tab) is drawn as a plain space. Only a word wider than the measure (or more lines
than the frame holds) makes the text smaller.

A centre given as fractions is kept where the block fits; else the block moves, the least
distance, until its ink lies inside the title-safe area (``moved`` says from where).
"""

from __future__ import annotations

import functools
import math
import os
import unicodedata
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from PIL import ImageFont

from assembler.errors import MediaError
from assembler.timeline.sources import Face

__all__ = ["MARGIN", "SAFE", "Lettering", "Run", "set_text"]

MARGIN = Fraction(5, 100)  # of the frame's height: how far a named anchor sits from the edge
SAFE = Fraction(9, 10)  # the title-safe area: the measure lines wrap to, and the height they fill

# Punctuation a CJK-region face (Noto Sans CJK SC/TC/HK) draws full-width, after GB 18030,
# that Latin text wants proportional: the middle dot always (a name's 达·芬奇 too), quotes
# and the bullet where they touch Latin letters or digits.
_MIDDLE_DOT = "\u00b7"
_LATIN_MARKS = "\u2018\u2019\u201c\u201d\u2022"
_WIDE_RANGES = ((0x1100, 0x11FF), (0x2E80, 0x2FFF), (0x3000, 0x303F), (0x3040, 0x30FF), (0x3100, 0x31FF),
                (0x3200, 0x4DBF), (0x4E00, 0x9FFF), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xF900, 0xFAFF),
                (0xFE30, 0xFE4F), (0xFF00, 0xFFEF), (0x20000, 0x3FFFF))
# Hangul is wide but spaced into words like Latin (keep-all): no break inside a word.
_HANGUL_RANGES = ((0x1100, 0x11FF), (0x3130, 0x318F), (0xA960, 0xA97F), (0xAC00, 0xD7FF), (0xFFA0, 0xFFDC))
_NO_BREAK = "\u00a0\u2007\u202f"  # no-break, figure and narrow no-break spaces


@dataclass(frozen=True)
class Run:
    """Text of one face: its pen starts at ``x`` on the baseline ``y`` (output pixels)."""

    text: str
    x: int
    y: int
    font: Path
    index: int  # the face inside a collection
    family: str | None  # how drawtext finds a face other than the file's first (fontconfig); else None


@dataclass(frozen=True)
class Lettering:
    """A title's text as drawn: ``size`` (pixels, after any shrinking) for every run."""

    runs: tuple[Run, ...]
    size: int
    lines: int
    box: tuple[int, int, int, int]  # the ink's x, y, width, height
    wrapped: bool  # broken into more lines than the text's own
    shrunk: bool  # drawn smaller than asked, for a word wider than the measure
    moved: tuple[float, float] | None = None  # the centre asked for, when the block had to leave it


def set_text(text: str, face: Face, size: int, frame: tuple[int, int],
             anchor: str | tuple[float, float], *, floor: int | None = None) -> Lettering:
    """Lines that fit 90 % of the frame's width (and height), placed by ``anchor``: a named
    one puts the block's matching edge 5 % of the frame's height in from the frame's edge
    (``center`` centres it), fractions put the block's centre there (or as near as keeps
    its ink in the title-safe area). Lines align to the anchor's side: left, right, or centred.
    ``floor``: how far a bottom anchor keeps the ink above the frame's bottom edge, when not
    that 5 % (a vertical's safe area, ``layout.frame.floor``)."""
    width, height = frame
    # Within the margins anchors keep too: narrower than 90 % of the width in a portrait frame.
    measure = min(math.floor(SAFE * width), width - 2 * round(MARGIN * height))
    tallest = math.floor(SAFE * height)
    paragraphs = [_atoms(p) for p in text.splitlines() or [""]]  # \r\n and U+2028 end a line as \n does
    try:
        latin = _latin_face(face)
    except OSError:
        raise MediaError(f"{face.path.name} cannot be read as a font") from None

    def lines_at(size: int) -> tuple[_Font, list[str] | None]:
        font = _Font(face, latin, size)
        if any(font.width(atom) > measure for p in paragraphs for _gap, atom in p):
            return font, None
        lines = [line for p in paragraphs for line in _wrap(p, font, measure)]
        return font, lines if font.pitch * (len(lines) - 1) + font.ascent + font.descent <= tallest else None

    font, lines = lines_at(size)
    if lines is None:  # the largest size that fits (smaller text never needs more room)
        low, high = 1, size - 1
        while low < high:
            middle = (low + high + 1) // 2
            low, high = (middle, high) if lines_at(middle)[1] is not None else (low, middle - 1)
        font, lines = lines_at(low)
        lines = lines or [line for p in paragraphs for line in _wrap(p, font, measure)]  # size 1: as it is
    return _place(lines, font, frame, anchor, wrapped=len(lines) > len(paragraphs), shrunk=font.size < size,
                  floor=floor)


def _place(lines: list[str], font: _Font, frame: tuple[int, int], anchor: str | tuple[float, float],
           wrapped: bool, shrunk: bool, floor: int | None = None) -> Lettering:
    width, height = frame
    margin = round(MARGIN * height)
    floor = margin if floor is None else floor
    inks = [font.ink(line) for line in lines]
    inked = [(k, ink) for k, ink in enumerate(inks) if ink is not None]
    if not inked:  # nothing visible: no runs
        return Lettering((), font.size, len(lines), (0, 0, 0, 0), wrapped, shrunk)
    pitch = font.pitch
    top = inked[0][0] * pitch + inked[0][1][1]  # from the first baseline
    bottom = inked[-1][0] * pitch + inked[-1][1][3]
    if isinstance(anchor, str):
        side = "left" if "left" in anchor else "right" if "right" in anchor else "center"
        across = margin if side == "left" else width - margin if side == "right" else width / 2
        first = margin - top if "top" in anchor else height - floor - bottom if "bottom" in anchor \
            else (height - top - bottom) / 2
    else:
        side, across, first = "center", anchor[0] * width, anchor[1] * height - (top + bottom) / 2
    runs, left, right = [], float(width), 0.0
    for k, ink in inked:
        # Each line's ink meets the anchor's side (or is centred on it); spaces at its ends count as ink.
        ends = (min(ink[0], 0) if lines[k][:1].isspace() else ink[0],
                max(ink[2], font.width(lines[k])) if lines[k][-1:].isspace() else ink[2])
        x = across - (ends[0] if side == "left" else ends[1] if side == "right" else (ends[0] + ends[1]) / 2)
        x, y = round(x), round(first + k * pitch)
        left, right = min(left, x + ink[0]), max(right, x + ink[2])
        for piece, dx, face in font.runs(lines[k]):
            # drawtext starts a text at its first glyph: spaces before it must move the pen.
            spaces = piece[:len(piece) - len(piece.lstrip())]
            dx += font.of(face).getlength(spaces) if spaces else 0
            if piece.strip():
                runs.append(Run(piece.lstrip(), x + round(dx), y, face.path, face.index,
                                face.family if face.index else None))
    left, right = math.floor(left), math.ceil(right)
    y0, y1 = round(first + top), round(first + bottom)
    moved = None
    if not isinstance(anchor, str):
        dx, dy = _into(left, right, margin, width - margin), _into(y0, y1, margin, height - margin)
        if dx or dy:
            runs = [replace(run, x=run.x + dx, y=run.y + dy) for run in runs]
            left, right, y0, y1, moved = left + dx, right + dx, y0 + dy, y1 + dy, anchor
    return Lettering(tuple(runs), font.size, len(lines), (left, y0, right - left, y1 - y0), wrapped, shrunk, moved)


def _into(low: int, high: int, start: int, end: int) -> int:
    """The least shift that brings ``[low, high)`` inside ``[start, end)``; centred on it
    when wider (it overhangs both sides alike)."""
    if high - low > end - start:
        return (start + end - low - high) // 2
    return start - low if low < start else end - high if high > end else 0


# ------------------------------------------------------------------ breaking

def _wide(char: str) -> bool:
    code = ord(char)
    return any(a <= code <= b for a, b in _WIDE_RANGES)


def _hangul(char: str) -> bool:
    code = ord(char)
    return any(a <= code <= b for a, b in _HANGUL_RANGES)


def _breaks(char: str) -> bool:
    """A space a line may break at (not a no-break space)."""
    return char.isspace() and char not in _NO_BREAK


def _korean(paragraph: str) -> set[int]:
    """Where the words with hangul in them are: they break at spaces only (keep-all), hanja
    and Latin letters in them too (大韓民國은, KBS뉴스)."""
    inside: set[int] = set()
    start = 0
    for k, char in enumerate(paragraph + " "):
        if _breaks(char):
            if any(_hangul(c) for c in paragraph[start:k]):
                inside.update(range(start, k))
            start = k + 1
    return inside


def _trailing(char: str) -> bool:
    """Punctuation that may not start a line: closing, final and other marks (，。！？」),
    and the length mark and iteration marks of kana (ー, 々)."""
    return unicodedata.category(char) in ("Pe", "Pf", "Po", "Lm") or char in "ぁぃぅぇぉっゃゅょゎァィゥェォッャュョヮヵヶ"


def _leading(char: str) -> bool:
    return unicodedata.category(char) in ("Ps", "Pi")


def _atoms(paragraph: str) -> list[tuple[str, str]]:
    """The unbreakable pieces of a paragraph, each with the spaces before it (a break
    there drops them)."""
    atoms: list[tuple[str, str]] = []
    gap, atom = "", ""
    korean = _korean(paragraph)
    for k, char in enumerate(paragraph):
        if _breaks(char):
            if atom:
                atoms.append((gap, atom))
                gap, atom = "", ""
            gap += char
            continue
        glued = not atom or k in korean or _trailing(char) or _leading(atom[-1]) or char in _NO_BREAK \
            or atom[-1] in _NO_BREAK or not _wide(char) and not _wide(atom[-1])
        if glued:
            atom += char
        else:  # a break opportunity between two characters, at least one of them Chinese or Japanese
            atoms.append((gap, atom))
            gap, atom = "", char
    if atom:
        atoms.append((gap, atom))
    if atoms:  # a paragraph's own leading and trailing spaces are the writer's: no break takes them
        atoms[0] = ("", atoms[0][0] + atoms[0][1])
        atoms[-1] = (atoms[-1][0], atoms[-1][1] + (gap if not atom else ""))
    return atoms


def _wrap(atoms: list[tuple[str, str]], font: _Font, measure: int) -> list[str]:
    """Greedy: as many pieces on each line as fit the measure. Widths add up piece by piece
    (shaping the whole line again for each piece made a long title take seconds); the
    pieces meet at spaces or between CJK characters, where there is no kerning to lose."""
    lines: list[str] = []
    line, taken = "", 0.0
    for gap, atom in atoms:
        more = font.width(gap + atom)
        if line and taken + more <= measure:
            line, taken = line + gap + atom, taken + more
            continue
        if line:
            lines.append(line)
        line, taken = atom, font.width(atom)
    return [*lines, line]


# ------------------------------------------------------------------ measuring

@functools.lru_cache(maxsize=64)
def _pillow(path: Path, index: int, size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(os.fspath(path), size, index=index)


@functools.lru_cache(maxsize=32)
def _latin_face(face: Face) -> Face | None:
    """Where a face draws the middle dot full-width, the sibling face of its collection
    (same family but for the region) that draws it proportional, else None."""
    if _pillow(face.path, face.index, 100).getlength(_MIDDLE_DOT) < 90:
        return None
    stem = face.family.rsplit(" ", 1)[0]
    for index in range(64):
        try:
            font = _pillow(face.path, index, 100)
        except OSError:
            return None
        family = font.getname()[0] or ""
        if family.rsplit(" ", 1)[0] == stem and font.getlength(_MIDDLE_DOT) < 75:
            return Face(family, face.path, index)
    return None


class _Font:
    """One face at one size, with its proportional sibling for Latin punctuation."""

    def __init__(self, face: Face, latin: Face | None, size: int):
        self.face, self.latin, self.size = face, latin, size
        ascent, descent = self.of(face).getmetrics()
        self.ascent, self.descent = ascent, descent
        self.pitch = ascent + descent  # the face's own line spacing, as drawtext's multi-line text has
        self._widths: dict[str, float] = {}

    def of(self, face: Face) -> ImageFont.FreeTypeFont:
        return _pillow(face.path, face.index, self.size)

    def runs(self, line: str) -> list[tuple[str, float, Face]]:
        """The line as (text, pen offset, face) pieces of one face each; a space the face
        has no glyph for (a tab: drawtext drops it, Pillow draws a box) as a plain space."""
        line = line.translate({ord(c): " " for c in set(line) if c.isspace() and c != " " and not _blank(self.face, c)})
        pieces: list[tuple[str, float, Face]] = []
        pen, start, current = 0.0, 0, None
        for k, char in enumerate(line):
            face = self._face_at(line, k)
            if current is not None and face != current:
                pieces.append((line[start:k], pen, current))
                pen += self.of(current).getlength(line[start:k])
                start = k
            current = face
        if current is not None:
            pieces.append((line[start:], pen, current))
        return pieces

    def _face_at(self, line: str, k: int) -> Face:
        char = line[k]
        if self.latin is None or (char != _MIDDLE_DOT and char not in _LATIN_MARKS):
            return self.face
        if char == _MIDDLE_DOT:
            return self.latin
        touching = [c for c in (line[k - 1] if k else "", line[k + 1] if k + 1 < len(line) else "") if c]
        return self.latin if any(c.isalnum() and not _wide(c) for c in touching) else self.face

    def width(self, text: str) -> float:
        """The pen's advance over the text (ink may overhang it by a pixel: the title-safe
        area leaves 5 % of the width for that, and rendering ink is 100x slower)."""
        if text not in self._widths:  # shaping takes 80 us a piece; pieces repeat (a CJK text's characters)
            self._widths[text] = sum(self.of(face).getlength(piece) for piece, _dx, face in self.runs(text))
        return self._widths[text]

    def ink(self, line: str) -> tuple[float, int, float, int] | None:
        """The line's ink (left, top, right, bottom) from its pen's start on the baseline."""
        box = None
        for piece, dx, face in self.runs(line):
            found = _ink(self.of(face), piece)
            if found is not None:
                l, t, r, b = found
                box = (dx + l, t, dx + r, b) if box is None else \
                    (min(box[0], dx + l), min(box[1], t), max(box[2], dx + r), max(box[3], b))
        return box


@functools.lru_cache(maxsize=256)
def _blank(face: Face, char: str) -> bool:
    """Whether the face draws a space character as a space: an advance and no ink."""
    font = _pillow(face.path, face.index, 100)
    try:
        return font.getlength(char) > 0 and font.getmask2(char, anchor="ls")[0].getbbox() is None
    except (OSError, RuntimeError):  # raqm refuses some controls (U+0085)
        return False


def _ink(font: ImageFont.FreeTypeFont, text: str) -> tuple[int, int, int, int] | None:
    mask, (x, y) = font.getmask2(text, anchor="ls")
    box = mask.getbbox()
    return None if box is None else (x + box[0], y + box[1], x + box[2], y + box[3])
