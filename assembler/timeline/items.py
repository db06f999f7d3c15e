"""What the timeline holds, as small frozen types: the main track's pictures (a shot, a
still, a title card, a colour plate), the overlays above it, and the text that cards and
text overlays write. Time and sources only: frames, seconds in a source, which file and
face; the EDL's own sizes and places (a text's size at the 1080-line reference, an
anchor, a scale). Pixels for one output are the layout's (``assembler.layout``).

Each type's ``kind`` is the EDL's word for it, for what a user reads (a listing, a
repr); code chooses by type, never by that word.

``Settle``: what checking a timeline does with each text as it is placed (it lays it out
for the output the EDL names, ``layout.frame.settle``): the problems of setting it,
said in the EDL's order, beside every other problem found.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from collections.abc import Callable
from typing import ClassVar

from assembler.errors import Problem, field_path
from assembler.model import edl as model
from assembler.timeline.sources import Face, MediaInfo

__all__ = ["Anchor", "Card", "Focus", "Overlay", "OverlayClip", "OverlayColor", "OverlayImage", "OverlayMedia", "OverlayPicture",
           "OverlayText", "Placement", "Plate", "Settle", "Shot", "Spot", "Still", "Text"]

# A named place (``top-left``, ``center``...) or a centre as fractions of the frame.
Anchor = str | tuple[float, float]


@dataclass(frozen=True)
class Spot:
    """Where the EDL says something (file, line, field): the layout finds problems with
    text only once it knows the frame, and says them here."""

    file: str
    line: int | None
    path: str

    @classmethod
    def of(cls, document, at: tuple) -> Spot:
        """Field ``at`` of a loaded document (``model.load.Document``)."""
        file, line, written = document.where(at)  # an inherited field: where its parent wrote it
        return cls(file, line, field_path(written))

    def problem(self, message: str, hint: str | None = None, *, warning: bool = False) -> Problem:
        return Problem(self.file, self.line, self.path, message, hint, "warning" if warning else "error")


@dataclass(frozen=True)
class Text:
    """Words to write, as the EDL says them: ``size`` is pixels of a 1080-line frame; the
    layout sets them in lines for an output (``layout.typeset``)."""

    text: str
    face: Face  # the file drawn with, and the face inside it
    size: int
    color: str
    anchor: Anchor
    fades: tuple[int, int] = (0, 0)  # frames of fade in and out, on the item's own clock
    opacity: float = 1.0
    said: Spot | None = None  # the text's field: wrapped, shrunk, moved
    font_said: Spot | None = None  # its font's field: a file that cannot be set

    @property
    def family(self) -> str | None:
        """How drawtext finds a face other than its file's first (fontconfig); else None."""
        return self.face.family if self.face.index else None


@dataclass(frozen=True)
class Focus:
    """Where a ``cover`` crop looks: the point of the source picture to keep in the frame
    (fractions: 0, 0 its top-left, 1, 1 its bottom-right), at frames of the item's own
    clock (from its first frame, however an interval cuts it). One key: a fixed point;
    more: eased between (smoothstep), held before the first and after the last."""

    keys: tuple[tuple[int, Fraction, Fraction], ...]  # (frame, x, y), frames strictly increasing

    def axis(self, n: int) -> tuple[tuple[int, Fraction], ...]:
        """The keys of one axis (0: x, 1: y) as (frame, value)."""
        return tuple((frame, point[n]) for frame, *point in self.keys)

    def at(self, frame: int) -> tuple[Fraction, Fraction]:
        """The point at a frame of the item's clock: the first key's, plus each step's
        share, smoothstep (u*u*(3-2u)) of the way between its keys (``compile.picture``
        draws the same ease per frame, in ffmpeg's expression language)."""
        def eased(n: int) -> Fraction:
            keys = self.axis(n)
            value = keys[0][1]
            for (start, a), (end, b) in zip(keys, keys[1:]):
                u = min(max(Fraction(frame - start, end - start), Fraction(0)), Fraction(1))
                value += (b - a) * u * u * (3 - 2 * u)
            return value
        return eased(0), eased(1)


@dataclass(frozen=True, kw_only=True)
class Placement:
    """One picture item of the main track: frames ``[start, start+frames)``."""

    kind: ClassVar[str]
    index: int  # position in the EDL's `video` list
    start: int = 0
    frames: int
    luts: tuple[Path, ...] = ()  # 3D LUTs applied in order: a clip's own, then the output's
    head: int = 0  # frames of it left out before `start` (an interval that begins inside it)
    tail: int = 0  # frames of it left out after its end (an interval that ends inside it)

    @property
    def end(self) -> int:
        return self.start + self.frames

    @property
    def sound(self) -> bool:
        """Whether it is heard: only a shot has a sound of its own (a shot's field)."""
        return False


@dataclass(frozen=True, kw_only=True)
class Shot(Placement):
    """A clip: seconds ``[source_in, source_out)`` of a video at ``speed``."""

    kind: ClassVar[str] = "clip"
    media: MediaInfo
    source_in: Fraction
    source_out: Fraction
    speed: Fraction = Fraction(1)
    fit: str = "contain"
    volume_db: float = 0.0
    sound: bool = False  # False: silent for its whole length
    role: str = "other"  # of its sound, for ducking and stems
    hold: int = 0  # of its frames, the last ones that repeat its last picture (a slot's `fit_length: hold`)
    take: tuple[str, str] | None = None  # (slot id, take name) of a shot slot's pick: a label for people, no more
    focus: Focus | None = None  # where a cover crop looks; None: the centre


@dataclass(frozen=True, kw_only=True)
class Still(Placement):
    """An image (or a video's first frame) held, with an optional zoom and pan."""

    kind: ClassVar[str] = "image"
    media: MediaInfo
    fit: str = "contain"
    motion: model.Motion | None = None  # over its whole length (head..tail)
    focus: Focus | None = None  # where a cover crop looks; None: the centre (a moving still has motion.focus)


@dataclass(frozen=True, kw_only=True)
class Card(Placement):
    """A title: its text over a colour, or over a picture (cover-fitted, as a still)."""

    kind: ClassVar[str] = "title"
    text: Text
    color: str | None = None
    media: MediaInfo | None = None  # the background picture, when there is one
    fit: str = "cover"
    focus: Focus | None = None  # where the background picture's crop looks; None: the centre


@dataclass(frozen=True, kw_only=True)
class Plate(Placement):
    """A colour card."""

    kind: ClassVar[str] = "color"
    color: str

    @property
    def media(self) -> None:
        """A colour reads no file (as every placement can be asked)."""
        return None


@dataclass(frozen=True, kw_only=True)
class Overlay:
    """An item of ``overlays:`` on frames ``[start, end)``; later ones are drawn on top."""

    kind: ClassVar[str]
    index: int  # position in the EDL's `overlays` list
    start: int
    end: int

    @property
    def frames(self) -> int:
        return self.end - self.start


@dataclass(frozen=True, kw_only=True)
class OverlayPicture(Overlay):
    """An overlay drawn as a picture: its size by ``scale`` (of the frame's width; None:
    its own), its place by ``position``."""

    opacity: float = 1.0
    fades: tuple[int, int] = (0, 0)  # frames of fade in and out
    scale: float | None = None
    position: Anchor = "center"


@dataclass(frozen=True, kw_only=True)
class OverlayMedia(OverlayPicture):
    """An overlay that reads a file: its natural size is its picture's."""

    media: MediaInfo


@dataclass(frozen=True, kw_only=True)
class OverlayImage(OverlayMedia):
    """A picture file (a logo), its one frame held while it shows."""

    kind: ClassVar[str] = "image"


@dataclass(frozen=True, kw_only=True)
class OverlayClip(OverlayMedia):
    """A video playing from ``source_in`` (picture in picture; never heard)."""

    kind: ClassVar[str] = "clip"
    source_in: Fraction = Fraction(0)  # seconds into its source


@dataclass(frozen=True, kw_only=True)
class OverlayColor(OverlayPicture):
    """A colour over the frame, or over a part of it of the same shape."""

    kind: ClassVar[str] = "color"
    color: str


@dataclass(frozen=True, kw_only=True)
class OverlayText(Overlay):
    """Text drawn straight on the picture (its fades and opacity are the text's)."""

    kind: ClassVar[str] = "title"
    text: Text


Settle = Callable[[Text], list[Problem]]
