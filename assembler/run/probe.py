"""What a media file holds, read with PyAV (a probe takes milliseconds; no ffprobe needed).

Contract: a path -> :class:`~assembler.timeline.sources.MediaInfo`, or
:class:`~assembler.errors.MediaError` saying what is wrong in words a filmmaker
understands. Durations and rates are exact ``Fraction``s taken from the container's own
time bases. A sound's audible spans (:func:`audible_spans`, for ducking that follows a
voice) are measured by decoding it, in integer samples at its own rate; a still picture of
any moment is decoded for the contact sheet (:func:`picture_at`). Reads files; never
spawns a process.
"""

from __future__ import annotations

import math
import os
import stat as kinds
from array import array
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from itertools import chain
from pathlib import Path
from typing import Any

from assembler.errors import CHECK_PATH, MediaError, os_hint
from assembler.timeline.sources import AUDIBLE_DB, Audible, FONT_SUFFIXES, LUT_SUFFIXES, MediaInfo, ONE_FILE
from PIL import Image

__all__ = ["audible_spans", "font_files", "linked", "picture_at", "probe", "probe_all", "regular_file",
           "what_it_holds"]


def regular_file(path: Path) -> os.stat_result:
    """The status of the file at ``path``; MediaError where it names no regular file. A
    named pipe or a device (/dev/zero, a terminal) is never read: that waits or never ends."""
    try:
        found = path.stat()
    except FileNotFoundError:
        raise MediaError(f"{path} does not exist", CHECK_PATH) from None
    except OSError as exc:
        raise MediaError(f"{path} cannot be read: {exc.strerror}", os_hint(exc) or "check the file's permissions") from None
    if kinds.S_ISDIR(found.st_mode):
        raise MediaError(f"{path} is not a file", "name a file, not a folder")
    if not kinds.S_ISREG(found.st_mode):
        what = "a named pipe (FIFO)" if kinds.S_ISFIFO(found.st_mode) else \
            "a socket" if kinds.S_ISSOCK(found.st_mode) else "a device"
        raise MediaError(f"{path}{linked(path)} is {what}, not a file", "name the file itself")
    return found


MAX_FOLDER_ENTRIES = 20_000  # a folder of fonts holds dozens; `/` or a home folder, millions


def font_files(folder: Path) -> list[Path]:
    """The font files in a folder and its subfolders (links to folders not followed), in
    order; MediaError for a folder past MAX_FOLDER_ENTRIES files and folders, so that
    naming `/` is a clear error, not a search of the whole disk. Subfolders that cannot be
    listed, or vanish meanwhile, are passed over."""
    found, seen = [], 0
    for root, folders, files in os.walk(folder):
        seen += len(folders) + len(files)
        if seen > MAX_FOLDER_ENTRIES:
            raise MediaError(f"{folder} holds more than {MAX_FOLDER_ENTRIES} files and folders: too many to "
                             "search for fonts", "name the folder that holds the fonts")
        found += [Path(root, name) for name in files if Path(name).suffix.lower() in FONT_SUFFIXES]
    return sorted(found)



# Demuxers that read a single still picture.
_IMAGE_FORMATS = {"image2", "png_pipe", "jpeg_pipe", "webp_pipe", "bmp_pipe", "tiff_pipe", "gif_pipe",
                  "jpegxl_pipe", "qoi_pipe", "pam_pipe", "ppm_pipe", "svg_pipe"}


def probe(path: str | Path) -> MediaInfo:
    """Probe one file; raise MediaError when it is missing or unreadable."""
    path = Path(path)
    stat = regular_file(path)
    if path.suffix.lower() in FONT_SUFFIXES:
        return MediaInfo(path, "font", stat.st_size, stat.st_mtime_ns)
    if path.suffix.lower() in LUT_SUFFIXES:
        _check_lut(path)
        return MediaInfo(path, "lut", stat.st_size, stat.st_mtime_ns)
    # Imported here: PyAV maps ffmpeg's libraries (about 20 MiB that the process keeps for
    # its life), and a re-render finds every probe remembered in the cache.
    import av

    try:
        container = av.open(os.fspath(path), options=ONE_FILE)
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
        info: dict[str, Any] = dict(path=path, size_bytes=stat.st_size, mtime_ns=stat.st_mtime_ns)
        if audio is not None:
            info.update(has_audio=True, audio_rate=audio.codec_context.sample_rate or 0,
                        audio_channels=audio.codec_context.channels or 0)
        if video is None:
            duration = _duration(container, audio)
            return MediaInfo(kind="audio", duration=duration, data_end=_data_end(path, duration), **info)
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
        duration = _duration(container, video)
        return MediaInfo(kind="video", duration=duration, fps=Fraction(rate) if rate else None,
                         rotation=_rotation(container, video), data_end=_data_end(path, duration), **info)


_MAGIC = ((b"\x89PNG", "a PNG picture"), (b"\xff\xd8\xff", "a JPEG picture"), (b"GIF8", "a GIF picture"),
          (b"RIFF", "a WAV sound or WebP picture"), (b"ID3", "an MP3 sound"), (b"fLaC", "a FLAC sound"),
          (b"OggS", "an Ogg sound or video"), (b"\x1a\x45\xdf\xa3", "a Matroska or WebM video"),
          (b"%PDF", "a PDF document"), (b"PK\x03\x04", "a zip archive"))


def what_it_holds(head: bytes) -> str | None:
    """What a file's first bytes say it is when it is not text (None for text), so that a
    file named like subtitles or a LUT is judged by its content, not its name."""
    for magic, what in _MAGIC:
        if head.startswith(magic):
            return what
    if head[4:8] == b"ftyp":
        return "an MP4 or MOV video"
    if b"\0" in head:
        return "binary data"
    return None


def linked(path: Path) -> str:
    """`` (a link to X)`` for a symbolic link, so that a message names the file it reads."""
    return f" (a link to {path.resolve()})" if path.is_symlink() else ""


def _check_lut(path: Path) -> None:
    """Raise MediaError unless ``path`` holds a 3D LUT as lut3d reads it: a .cube with its
    LUT_3D_SIZE and that many cubed rows, or a .3dl's shaper line and 17 cubed rows.
    (lut3d says nothing useful, and only when the render has already started.)"""
    hint = "export the grade again as a 3D LUT (.cube or .3dl)"
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise MediaError(f"{path} cannot be read: {exc.strerror}", os_hint(exc)) from None
    if (what := what_it_holds(data[:4096])) is not None:
        raise MediaError(f"{path.name}{linked(path)} is {what}, not a 3D LUT", hint)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MediaError(f"{path.name}{linked(path)} is not a text file, so not a 3D LUT", hint) from None
    lines = [line.split() for line in text.splitlines() if line.strip() and not line.lstrip().startswith("#")]
    rows = sum(1 for words in lines if len(words) == 3 and all(_is_number(w) for w in words))
    if path.suffix.lower() == ".cube":
        sizes = [words[1] for words in lines if words[0] == "LUT_3D_SIZE" and len(words) == 2]
        if not sizes or not sizes[0].isdigit() or not 2 <= int(sizes[0]) <= 256:
            raise MediaError(f"{path.name}{linked(path)} is not a 3D LUT: it has no LUT_3D_SIZE line "
                             "(from 2 to 256)", hint)
        size = int(sizes[0])
    else:
        size = 17  # the only size lut3d reads from a .3dl
        if not lines or not all(w.isdigit() for w in lines[0]) or len(lines[0]) < 2:
            raise MediaError(f"{path.name}{linked(path)} is not a 3D LUT: it does not start with its "
                             "input levels (a line of whole numbers)", hint)
    if rows < size ** 3:
        raise MediaError(f"{path.name}{linked(path)} is not a whole 3D LUT: it has {rows} of its "
                         f"{size ** 3} rows ({size}x{size}x{size})", hint)


def _is_number(word: str) -> bool:
    try:
        float(word)
    except ValueError:
        return False
    return True


def _duration(container, stream) -> Fraction | None:
    if stream.duration and stream.time_base:
        return Fraction(stream.duration) * Fraction(stream.time_base)
    if container.duration:
        return Fraction(container.duration, 1_000_000)
    return None


_WHOLE = Fraction(1, 10)  # data that ends this close to the header's duration is the whole file


def _data_end(path: Path, duration: Fraction | None) -> Fraction | None:
    """Where the picture's or the sound's packets stop (the earlier), in seconds from their
    start, when that is short of ``duration``; None for a whole file. Packets are read, not
    decoded: it costs one read of the file, once (the probe is remembered)."""
    import av

    if duration is None:
        return None
    ends: dict[int, Fraction] = {}
    try:
        with av.open(os.fspath(path), options=ONE_FILE) as container:
            streams = [*container.streams.video[:1], *container.streams.audio[:1]]
            starts = {s.index: Fraction(s.start_time or 0) * Fraction(s.time_base) for s in streams if s.time_base}
            try:
                for packet in container.demux(streams):
                    if packet.pts is not None and packet.time_base and packet.stream.index in starts:
                        end = Fraction(packet.pts + (packet.duration or 0)) * Fraction(packet.time_base)
                        ends[packet.stream.index] = max(ends.get(packet.stream.index, end), end)
            except av.FFmpegError:
                pass  # where it stopped is what is there
    except (av.FFmpegError, OSError):
        return None
    if not ends:
        return Fraction(0)
    end = min(found - starts[index] for index, found in ends.items())
    return max(Fraction(0), end) if end < duration - _WHOLE else None


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
                found[path] = replace(prober(path), real=_real(path))
            except MediaError as exc:
                found[path] = exc
    return found


def _real(path: Path) -> Path:
    """The file a path names, links followed (absolute even when a link cannot be followed)."""
    try:
        return path.resolve()
    except (OSError, RuntimeError):  # RuntimeError: a loop of links (which the probe has let by)
        return path.absolute()


# Audible spans: the peak of every channel in windows of 10 ms against a threshold (-40 dBFS
# as heard in the mix, so the source's threshold is lower by the gain it is played at). A
# peak (not an RMS) so that the result is exact: no sum whose rounding depends on its order.
_WINDOW_PER_SECOND = 100


_MIN_GAP = Fraction(3, 10)  # seconds of quiet that make a pause; shorter quiet is part of the sound


def audible_spans(path: str | Path, threshold_db: float = AUDIBLE_DB) -> Audible:
    """Decode a file's sound (all channels) and find where it is audible: 10 ms windows
    whose peak reaches ``threshold_db`` dBFS, quiet of less than 0.3 s bridged. Raises
    MediaError when it has no sound it can decode."""
    import av

    path = Path(path)
    threshold = 10 ** (threshold_db / 20)
    try:
        container = av.open(os.fspath(path))
    except (av.FFmpegError, OSError, UnicodeDecodeError) as exc:
        raise MediaError(f"{path.name} is not a media file ffmpeg can read ({exc})") from None
    with container:
        if not container.streams.audio:
            raise MediaError(f"{path.name} has no sound")
        stream = container.streams.audio[0]
        rate, channels = stream.codec_context.sample_rate, stream.codec_context.channels or 1
        window = max(1, rate // _WINDOW_PER_SECOND)
        gap = math.ceil(_MIN_GAP * rate)
        # Interleaved 32-bit float, whatever the codec gives: every channel of a window is
        # one slice. The same rate and layout, so nothing is resampled.
        resampler = av.AudioResampler(format="flt", layout=stream.codec_context.layout, rate=rate)
        spans: list[list[int]] = []
        pending, at = array("f"), 0  # samples not yet in a whole window; the first of them

        def windows(final: bool) -> None:
            nonlocal pending, at
            width = window * channels
            whole = len(pending) // width * width if not final else len(pending)
            for offset in range(0, whole, width):
                piece = pending[offset:offset + width]
                start, end = at + offset // channels, at + (offset + len(piece)) // channels
                if piece and (max(piece) >= threshold or -min(piece) >= threshold):
                    if spans and start - spans[-1][1] < gap:
                        spans[-1][1] = end
                    else:
                        spans.append([start, end])
            at += whole // channels
            pending = pending[whole:]

        try:
            for frame in chain(container.decode(stream), [None]):  # None: what the resampler holds back
                for flat in resampler.resample(frame):
                    pending.frombytes(bytes(flat.planes[0])[:flat.samples * channels * 4])
                windows(False)
        except av.FFmpegError as exc:
            raise MediaError(f"{path.name}: its sound cannot be decoded ({exc})") from None
        windows(True)
        return Audible(rate, at, tuple((a, b) for a, b in spans), threshold_db)


def picture_at(media: MediaInfo, middle: Fraction) -> Image.Image:
    """A file's picture at ``middle`` seconds (its first for a still), upright, square pixels."""
    import av  # only when a sheet is drawn (see media.probe)

    with av.open(os.fspath(media.path), options=ONE_FILE) as container:
        stream = container.streams.video[0]
        if middle > 0 and stream.time_base:
            container.seek(int(middle / Fraction(stream.time_base)), stream=stream, backward=True)
        chosen = None
        for frame in container.decode(stream):
            chosen = frame
            if frame.time is None or Fraction(frame.time).limit_denominator(100000) >= middle:
                break
        if chosen is None:
            raise MediaError(f"no picture in {media.path}")
        picture = chosen.to_image() if media.kind != "image" else chosen.to_image().convert("RGBA") \
            if chosen.format.name.startswith(("rgba", "ya", "pal8")) else chosen.to_image()
        rotation = getattr(chosen, "rotation", 0) or 0
    if media.sar != 1:
        picture = picture.resize((max(1, round(picture.width * media.sar)), picture.height))
    # PyAV's rotation is counter-clockwise, like PIL's rotate().
    return picture.rotate(rotation, expand=True) if rotation % 360 else picture
