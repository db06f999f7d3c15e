"""What the EDL reads, as the timeline sees it: plain frozen values.

A probed media file (:class:`MediaInfo`: exact durations and rates, size, rotation, sound),
where a sound is audible (:class:`Audible`), a subtitle file's cues and styles
(:class:`SubtitleFile`), a font face (:class:`Face`), and the names the contract gives
kinds of files. The outside world fills them (``run.probe``, ``run.readers``); the timeline
only reads them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal
import noto_cjk_sans_otc

__all__ = ["AUDIBLE_DB", "AUDIBLE_METHOD", "Audible", "BUNDLED_FONT", "DEFAULT_FAMILY", "FONT_SUFFIXES", "Face",
           "FileCue", "FileStyle", "LUT_SUFFIXES", "MediaInfo", "ONE_FILE", "SUBTITLE_SUFFIXES", "SubtitleFile",
           "families", "is_folder"]




FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}


LUT_SUFFIXES = {".cube", ".3dl"}  # the 3D LUT files ffmpeg's lut3d reads (by suffix)


def is_folder(path: Path) -> bool:
    """Path.is_dir() that is False, not an OSError, for a name too long for the file system
    (the error is said where the path is read)."""
    try:
        return path.is_dir()
    except OSError:
        return False


# The file named, not the numbered sequence image2 reads a name like `p%d.png` as (other
# demuxers ignore the option).
ONE_FILE = {"pattern_type": "none"}


@dataclass(frozen=True)
class MediaInfo:
    """A probed file. ``duration`` is None for stills, fonts and LUTs."""

    path: Path
    kind: Literal["video", "image", "audio", "font", "lut"]
    size_bytes: int
    mtime_ns: int
    duration: Fraction | None = None
    width: int = 0
    height: int = 0
    sar: Fraction = Fraction(1)
    rotation: int = 0  # degrees counter-clockwise the picture is turned for display
    fps: Fraction | None = None
    pix_fmt: str | None = None
    colorspace: int = 2  # the stream's matrix, ffmpeg's AVColorSpace: 1 BT.709, 5/6 BT.601, 2 unspecified
    full_range: bool = False
    has_audio: bool = False
    audio_rate: int = 0
    audio_channels: int = 0
    # Where the data really ends, in seconds, when that is short of ``duration``: a file cut
    # off (an interrupted copy) keeps the header that promises all of it.
    data_end: Fraction | None = None

    def to_json(self) -> dict:
        """Plain values (exact fractions as "n/d" strings), for remembering a probe."""
        plain = {k: getattr(self, k) for k in self.__dataclass_fields__}
        plain["path"] = os.fspath(self.path)
        for key in ("duration", "sar", "fps", "data_end"):
            plain[key] = None if plain[key] is None else str(plain[key])
        return plain

    @classmethod
    def from_json(cls, plain: dict) -> MediaInfo:
        values = dict(plain, path=Path(plain["path"]))
        for key in ("duration", "sar", "fps", "data_end"):
            values[key] = None if values.get(key) is None else Fraction(values[key])
        return cls(**values)

    @property
    def has_video(self) -> bool:
        return self.kind in ("video", "image")

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: rotation applied, non-square pixels made square."""
        width = round(self.width * self.sar) if self.sar > 0 else self.width
        return (self.height, width) if self.rotation in (90, 270) else (width, self.height)


AUDIBLE_DB = -40.0  # dBFS in the mix


AUDIBLE_METHOD = "peak 10 ms, gaps of 0.3 s, 2"  # remembered measurements of another method are redone


@dataclass(frozen=True)
class Audible:
    """Where a file's first sound stream is audible: sample spans ``[start, end)`` at its
    own ``rate``, counted from its first decoded sample, in order and apart by at least
    0.3 s; ``samples`` decoded in all; ``threshold_db`` the source's peak level it took."""

    rate: int
    samples: int
    spans: tuple[tuple[int, int], ...]
    threshold_db: float = AUDIBLE_DB

    def seconds(self) -> tuple[tuple[Fraction, Fraction], ...]:
        return tuple((Fraction(a, self.rate), Fraction(b, self.rate)) for a, b in self.spans)

    def to_json(self) -> dict:
        return {"rate": self.rate, "samples": self.samples, "spans": [list(s) for s in self.spans],
                "threshold_db": self.threshold_db, "method": AUDIBLE_METHOD}

    @classmethod
    def from_json(cls, plain: dict) -> Audible:
        if plain.get("method") != AUDIBLE_METHOD:
            raise ValueError("measured another way")
        return cls(int(plain["rate"]), int(plain["samples"]), tuple((int(a), int(b)) for a, b in plain["spans"]),
                   float(plain["threshold_db"]))


BUNDLED_FONT = Path(str(noto_cjk_sans_otc.FONT_PATH))


DEFAULT_FAMILY = "Noto Sans CJK SC"


SUBTITLE_SUFFIXES = {".srt": "srt", ".ass": "ass", ".ssa": "ssa", ".vtt": "vtt"}


@dataclass(frozen=True)
class FileCue:
    """One cue of a subtitle file: seconds as the file says, ``text`` plain (lines split by
    newlines) for SRT and the soft stream, ``ass`` with its style tags kept for burning."""

    start: Fraction
    end: Fraction
    text: str
    ass: str
    line: int | None
    style: str = "Default"  # an .ass/.ssa file's style of the cue


@dataclass(frozen=True)
class FileStyle:
    """A style of an .ass/.ssa file: its font family, and the rest of its ``Style:`` line
    (everything after the font name) as the file wrote it."""

    name: str
    font: str
    rest: str


@dataclass(frozen=True)
class SubtitleFile:
    path: Path
    cues: tuple[FileCue, ...]
    styles: tuple[FileStyle, ...] = ()  # .ass/.ssa only
    play_res: tuple[int, int] | None = None  # the size the styles are measured in


@dataclass(frozen=True)
class Face:
    """A font family and where it is (``index``: the face inside a collection)."""

    family: str
    path: Path
    index: int


def families(*sources: tuple[Face, ...] | object) -> dict[str, Face]:
    """Faces by lower-case family name; the first source that has a family wins."""
    found: dict[str, Face] = {}
    for faces in sources:
        if isinstance(faces, tuple):
            for face in faces:
                found.setdefault(face.family.lower(), face)
    return found
