"""What a media file holds, read with PyAV (a probe takes milliseconds; no ffprobe needed).

Contract: a path -> :class:`MediaInfo` (frozen), or :class:`~assembler.errors.MediaError`
saying what is wrong in words a filmmaker understands. Durations and rates are exact
``Fraction``s taken from the container's own time bases. Reads files; never spawns a
process. Imports only ``errors``.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Literal

from .errors import CHECK_PATH, MediaError

__all__ = ["MediaInfo", "probe", "probe_all"]

FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}
LUT_SUFFIXES = {".cube", ".3dl"}  # the 3D LUT files ffmpeg's lut3d reads (by suffix)
# Demuxers that read a single still picture.
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe",
                  "jpegxl_pipe", "qoi_pipe", "pam_pipe", "ppm_pipe", "svg_pipe"}


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

    def to_json(self) -> dict:
        """Plain values (exact fractions as "n/d" strings), for remembering a probe."""
        plain = {k: getattr(self, k) for k in self.__dataclass_fields__}
        plain["path"] = os.fspath(self.path)
        for key in ("duration", "sar", "fps"):
            plain[key] = None if plain[key] is None else str(plain[key])
        return plain

    @classmethod
    def from_json(cls, plain: dict) -> MediaInfo:
        values = dict(plain, path=Path(plain["path"]))
        for key in ("duration", "sar", "fps"):
            values[key] = None if values[key] is None else Fraction(values[key])
        return cls(**values)

    @property
    def has_video(self) -> bool:
        return self.kind in ("video", "image")

    @property
    def display_size(self) -> tuple[int, int]:
        """Width and height as shown: rotation applied, non-square pixels made square."""
        width = round(self.width * self.sar) if self.sar > 0 else self.width
        return (self.height, width) if self.rotation in (90, 270) else (width, self.height)


def probe(path: str | Path) -> MediaInfo:
    """Probe one file; raise MediaError when it is missing or unreadable."""
    path = Path(path)
    try:
        stat = path.stat()
    except FileNotFoundError:
        raise MediaError(f"{path} does not exist", CHECK_PATH) from None
    except OSError as exc:
        raise MediaError(f"{path} cannot be read: {exc.strerror}", "check the file's permissions") from None
    if not path.is_file():
        raise MediaError(f"{path} is not a file", "name a file, not a folder")
    if path.suffix.lower() in FONT_SUFFIXES:
        return MediaInfo(path, "font", stat.st_size, stat.st_mtime_ns)
    if path.suffix.lower() in LUT_SUFFIXES:  # read by lut3d itself, which names its own errors
        return MediaInfo(path, "lut", stat.st_size, stat.st_mtime_ns)
    # Imported here: PyAV maps ffmpeg's libraries (about 20 MiB that the process keeps for
    # its life), and a re-render finds every probe remembered in the cache.
    import av

    try:
        container = av.open(os.fspath(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"{path.name} is not a media file ffmpeg can read ({exc})",
                         "the file is there but does not decode: is it complete (not still being written or "
                         "downloaded) and a video, picture or sound? export it again") from None
    with container:
        fmt = container.format.name
        video = container.streams.video[0] if container.streams.video else None
        audio = container.streams.audio[0] if container.streams.audio else None
        if video is None and audio is None:
            raise MediaError(f"{path.name} has neither picture nor sound")
        info = dict(path=path, size_bytes=stat.st_size, mtime_ns=stat.st_mtime_ns)
        if audio is not None:
            info.update(has_audio=True, audio_rate=audio.codec_context.sample_rate or 0,
                        audio_channels=audio.codec_context.channels or 0)
        if video is None:
            return MediaInfo(kind="audio", duration=_duration(container, audio), **info)
        ctx = video.codec_context
        still = bool(set(fmt.split(",")) & _IMAGE_FORMATS)
        sar = video.sample_aspect_ratio or ctx.sample_aspect_ratio
        pix_fmt = ctx.format.name if ctx.format else None
        info.update(width=ctx.width, height=ctx.height, pix_fmt=pix_fmt, sar=Fraction(sar) if sar else Fraction(1),
                    colorspace=int(ctx.colorspace or 2),
                    full_range=int(ctx.color_range or 0) == 2 or bool(pix_fmt and pix_fmt.startswith("yuvj")))
        if still:
            return MediaInfo(kind="image", **info)
        rate = video.average_rate or video.guessed_rate or video.base_rate
        return MediaInfo(kind="video", duration=_duration(container, video), fps=Fraction(rate) if rate else None,
                         rotation=_rotation(container, video), **info)


def _duration(container, stream) -> Fraction | None:
    if stream.duration and stream.time_base:
        return Fraction(stream.duration) * Fraction(stream.time_base)
    if container.duration:
        return Fraction(container.duration, 1_000_000)
    return None


def _rotation(container, stream) -> int:
    """Display rotation in degrees (0/90/180/270). PyAV exposes it on decoded frames."""
    import av

    try:
        frame = next(container.decode(stream))
    except (StopIteration, av.FFmpegError):
        return 0
    degrees = getattr(frame, "rotation", 0) or 0
    return int(round(degrees / 90.0)) * 90 % 360


def probe_all(paths: list[Path], prober: Callable[[Path], MediaInfo] = probe) -> dict[Path, MediaInfo | MediaError]:
    """Probe each distinct path once; failures are returned, not raised, so that a check
    can report every missing file at once. ``prober`` may remember earlier probes."""
    found: dict[Path, MediaInfo | MediaError] = {}
    for path in paths:
        if path not in found:
            try:
                found[path] = prober(path)
            except MediaError as exc:
                found[path] = exc
    return found
