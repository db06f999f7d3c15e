"""What the EDL reads, as the timeline sees it: plain frozen values.

A probed media file (:class:`MediaInfo`: exact durations and rates, size, rotation, sound),
where a sound is audible (:class:`Audible`), a subtitle file's cues and styles
(:class:`SubtitleFile`), a font face (:class:`Face`), and the names the contract gives
kinds of files. One walk over the EDL (:func:`needs`) says every file it reads, with the
field that names it and what it is read as; the outside world fills a :class:`Sources`
catalog from that list (``run.readers.read_sources``); the timeline only reads the catalog.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal, cast
import noto_cjk_sans_otc

from assembler.errors import CHECK_PATH, MediaError
from assembler.model import edl as model
from assembler.model.load import Validated

__all__ = ["AUDIBLE_DB", "AUDIBLE_METHOD", "BUNDLED_FONT", "DEFAULT_FAMILY", "FONT_SUFFIXES", "LUT_SUFFIXES",
           "ONE_FILE", "SUBTITLE_SUFFIXES", "families", "font_path", "fonts_dir", "is_folder", "lut_path", "needs",
           "raw_media", "resolve", "Audible", "Face", "FileCue", "FileStyle", "MediaInfo", "Need", "NeedKind", "Read",
           "Sources", "SubtitleFile"]




FONT_SUFFIXES = model.FONT_SUFFIXES


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
    # The file itself, links followed, as the reader found it when the catalog was filled
    # (``run``): what ffmpeg is given, so that compiling resolves no path. Never remembered
    # with a probe: a link may point elsewhere by the next check.
    real: Path | None = None

    @property
    def file(self) -> Path:
        """The path ffmpeg reads: the file itself once the catalog is filled."""
        return self.real or self.path

    def to_json(self) -> dict:
        """Plain values (exact fractions as "n/d" strings), for remembering a probe."""
        plain = {k: getattr(self, k) for k in self.__dataclass_fields__ if k != "real"}
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


NeedKind = Literal["media", "lut", "font", "faces", "subtitles"]


@dataclass(frozen=True)
class Need:
    """A file the EDL reads: ``at`` the field that names it (None for the bundled font,
    which no field names), and what it is read as: ``media`` a picture or sound (probed),
    ``lut`` a 3D LUT (probed, and its rows counted), ``font`` a font file drawn as named (it
    must be there), ``faces`` a font file or folder whose families are looked up,
    ``subtitles`` a subtitle file."""

    at: tuple | None
    path: Path
    kind: NeedKind


Read = MediaInfo | SubtitleFile | tuple[Face, ...] | MediaError


@dataclass(frozen=True)
class Sources:
    """What each :class:`Need` found, by kind and path; a file that could not be used is
    its :class:`~assembler.errors.MediaError`, kept so that a check reports them all."""

    needs: tuple[Need, ...]
    found: Mapping[tuple[NeedKind, Path], Read]

    def _get(self, kind: NeedKind, path: Path, missing: str) -> Read:
        # A path no need names cannot come from the one walk; said, not raised, all the same.
        key = (kind, path)
        return self.found[key] if key in self.found else MediaError(f"{path} {missing}", CHECK_PATH)

    def media(self, path: Path) -> MediaInfo | MediaError:
        return cast("MediaInfo | MediaError", self._get("media", path, "was not probed"))

    def lut(self, path: Path) -> MediaInfo | MediaError:
        return cast("MediaInfo | MediaError", self._get("lut", path, "was not probed"))

    def font(self, path: Path) -> MediaInfo | MediaError:
        """A font file a title or an overlay names (drawn from the file itself)."""
        return cast("MediaInfo | MediaError", self._get("font", path, "was not probed"))

    def faces(self, path: Path) -> tuple[Face, ...] | MediaError:
        return cast("tuple[Face, ...] | MediaError", self._get("faces", path, "was not read"))

    def subtitles(self, path: Path) -> SubtitleFile | MediaError:
        return cast("SubtitleFile | MediaError", self._get("subtitles", path, "was not read"))

    def fields(self, path: Path) -> tuple[tuple, ...]:
        """The EDL fields that name ``path``."""
        return tuple(n.at for n in self.needs if n.path == path and n.at is not None)


def resolve(validated: Validated, text: str) -> Path:
    """A path the EDL names: relative ones start at its folder, or at its ``media_root``."""
    base = validated.document.folder
    root = validated.edl.media_root if validated.edl else validated.document.data.get("media_root")
    if isinstance(root, str) and root:
        base = base / _home(Path(root))
    path = _home(Path(text))
    return path if path.is_absolute() else base / path


def _home(path: Path) -> Path:
    """``~`` and ``~user`` expanded; ``~name`` of no user on this machine stays as written,
    a name the media checks then report missing at its line."""
    try:
        return path.expanduser()
    except RuntimeError:
        return path


def font_path(validated: Validated, font: str | None) -> Path | None:
    """A font file the user named, or None for a family name (looked up among the
    bundled fonts and ``subtitles.fonts_dir``)."""
    if font is None or Path(font).suffix.lower() not in FONT_SUFFIXES:
        return None
    return resolve(validated, font)


def lut_path(validated: Validated, text: str | None) -> Path | None:
    """A LUT file the EDL names (None when none, or when its suffix is not a LUT's)."""
    if not text or Path(text).suffix.lower() not in LUT_SUFFIXES:
        return None
    return resolve(validated, text)


def fonts_dir(validated: Validated) -> Path | None:
    spec = validated.subtitles
    return resolve(validated, spec.fonts_dir) if spec and spec.fonts_dir else None


def raw_media(validated: Validated, index: int) -> tuple[str, str] | None:
    """The media key and path of an item that failed validation, if it names one, so that
    its missing file is reported along with its schema problem."""
    raw = validated.document.data["video"][index]
    if isinstance(raw, dict):
        for key in ("clip", "image"):
            if isinstance(raw.get(key), str) and raw[key]:
                return key, raw[key]
    return None


def needs(validated: Validated) -> tuple[Need, ...]:
    """Every file the EDL reads, in the order of the fields that name them, then the
    bundled font. A LUT or font field may hold what is not a file of that kind (a family
    name, a bad suffix): then nothing is read, and the timeline says why."""
    found: list[Need] = []

    def add(at: tuple, text: str | None, kind: NeedKind) -> None:
        path = lut_path(validated, text) if kind == "lut" else font_path(validated, text) if kind == "font" \
            else resolve(validated, text) if text else None
        if path is not None:
            found.append(Need(at, path, kind))

    add(("output", "lut"), validated.output.lut, "lut")
    for index, item in enumerate(validated.items):
        at = ("video", index)
        if item is None and (raw := raw_media(validated, index)):
            add((*at, raw[0]), raw[1], "media")
        elif isinstance(item, model.Clip):
            add((*at, "clip"), item.clip, "media")
            add((*at, "lut"), item.lut, "lut")
            for n, sound in enumerate(item.audio):
                add((*at, "audio", n, "file"), sound.file, "media")
        elif isinstance(item, model.Slot):  # every take: `assembler takes` lists their lengths
            for name in item.takes:
                add((*at, "takes", name), item.file_of(name), "media")
            add((*at, "lut"), item.lut, "lut")
            for n, sound in enumerate(item.audio):
                add((*at, "audio", n, "file"), sound.file, "media")
        elif isinstance(item, model.Image):
            add((*at, "image"), item.image, "media")
        elif isinstance(item, model.Title):
            add((*at, "style", "font"), item.style.font, "font")
            add((*at, "background"), item.background_image, "media")
    for n, listed in enumerate(validated.audio):
        if listed is not None:
            add(("audio", n, "file"), listed.file, "media")
    for n, layer in enumerate(validated.overlays):
        if layer is not None:
            add(("overlays", n, "image" if layer.image else "clip"), layer.image or layer.clip, "media")
            add(("overlays", n, "style", "font"), layer.style.font if layer.style else None, "font")
    spec = validated.subtitles
    if spec is not None:
        add(("subtitles", "file"), spec.file, "subtitles")
        add(("subtitles", "fonts_dir"), spec.fonts_dir, "faces")
        if (style_font := font_path(validated, spec.style.font)) is not None:
            found.append(Need(("subtitles", "style", "font"), style_font, "faces"))
    found.append(Need(None, BUNDLED_FONT, "faces"))
    return tuple(found)
