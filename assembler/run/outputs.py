"""What a render writes, checked before anything is: never over a file it reads, and only
into a container that holds the output's codecs.

Contract: the validated EDL, its timeline (None when it failed), the output path and the
EDL file -> the :class:`~assembler.errors.Problem` s, each at the field that names the
input the render would write over (at the top of the file for the EDL itself), or at the
codec the output's container cannot hold. Two paths are the same file when they resolve
to the same path (symbolic links followed) or, both existing, have the same device and
inode (hard links, and names that differ in case on a disk that ignores case).
With an ffmpeg, the output's encoder settings are held against what that build supports
(asked once per build through ``ffmpeg``). Reads the file system (``stat``, ``access``,
the fonts folder); writes nothing. Imports ``load``, ``timeline``, ``soundtrack`` (the
stems' names), ``ffmpeg`` (the encoders).
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from assembler.errors import MediaError, Problem, field_path, os_hint
from assembler.run.ffmpeg import FFmpeg, encoder, encoders, pixel_formats
from assembler.run.probe import font_files
from assembler.model.load import Document, Validated
from assembler.timeline.sources import is_folder, needs
from assembler.run.soundtrack import stem_paths
from assembler.timeline.build import LAYOUTS, Timeline

__all__ = ["CONTAINERS", "encoder_problems", "output_problems", "receipt_path", "sidecar_path", "unwritable",
           "written_files"]

_RENAME = "choose another output name"
# What each container holds, tried with the bundled ffmpeg 9.0.2 (libx264/x265/svtav1/vpx/
# prores_ks/dnxhd/ffv1/mpeg4/mjpeg x aac/opus/vorbis/flac/mp3/alac/ac3/eac3/pcm, mov_text):
# anything else fails only when ffmpeg writes the header, after every segment was rendered.
# suffix -> (name, video families, audio families, soft subtitles as mov_text); None: any.
_MP4 = ("MP4", {"h264", "hevc", "av1", "vp9", "mpeg4", "mjpeg", "ffv1"},
        {"aac", "mp3", "opus", "vorbis", "flac", "alac", "ac3", "eac3", "pcm"}, True)
CONTAINERS: dict[str, tuple[str, set[str] | None, set[str] | None, bool]] = {
    ".mp4": _MP4,
    ".m4v": _MP4,
    ".mov": ("QuickTime", {"h264", "hevc", "prores", "dnxhd", "mpeg4", "mjpeg", "ffv1"},
             {"aac", "mp3", "alac", "ac3", "eac3", "vorbis", "pcm"}, True),
    ".mkv": ("Matroska", None, None, False),  # mov_text is MP4's own: "Subtitle codec mov_text is not supported"
    ".webm": ("WebM", {"vp8", "vp9", "av1"}, {"opus", "vorbis"}, False),
}
# Encoder names whose codec is not the part before the first "_" (h264_nvenc, pcm_s16le, aac_at).
_FAMILIES = {"libx264": "h264", "libx264rgb": "h264", "libopenh264": "h264", "libx265": "hevc",
             "libkvazaar": "hevc", "libaom-av1": "av1", "libsvtav1": "av1", "librav1e": "av1",
             "libvpx-vp9": "vp9", "libvpx": "vp8", "prores_ks": "prores", "prores_aw": "prores",
             "libxvid": "mpeg4", "libmp3lame": "mp3", "libshine": "mp3", "libopus": "opus",
             "libvorbis": "vorbis", "libfdk_aac": "aac", "ac3_fixed": "ac3"}
_KNOWN = set().union(*(c[1] | c[2] for c in CONTAINERS.values() if c[1] is not None and c[2] is not None))


def receipt_path(out: Path) -> Path:
    """``<output stem>.receipt.json`` beside the output."""
    return out.with_name(out.stem + ".receipt.json")


def sidecar_path(out: Path) -> Path:
    """``<output stem>.srt`` beside the output: the name players pick up by themselves."""
    return out.with_suffix(".srt")


def written_files(out: Path, timeline: Timeline) -> list[Path]:
    """Every file a render of ``timeline`` into ``out`` writes: the output, its receipt,
    the sidecar subtitles and the stems, when it has them."""
    return [path for _, path, _ in _writes(None, timeline, out)]


def output_problems(validated: Validated, timeline: Timeline | None, out: Path,
                    edl_file: Path | None, segmented: bool = True,
                    also: tuple[tuple[str, Path, str], ...] = (), ffmpeg: FFmpeg | None = None) -> list[Problem]:
    """Every reason not to write ``out`` (and what is written beside it) for this EDL;
    ``segmented``: through MP4 segments (not ``--single``'s one graph); ``also``: more
    files to be written, as (what, path, how not to), such as a contact sheet; ``ffmpeg``:
    the build whose encoders must take the output's settings."""
    writes = [*_writes(validated, timeline, out), *also]
    return [*(encoder_problems(validated, ffmpeg) if ffmpeg is not None else ()),
            *_container_problems(validated, timeline, out, segmented), *_folders(validated.document, writes),
            *_clashes(validated.document, _reads(validated, edl_file), writes)]


def _folders(doc: Document, writes: list[tuple[str, Path, str]]) -> list[Problem]:
    """A file can only be written where no folder stands (found now, not when the last
    segment is done and the output is renamed into place)."""
    problems, seen = [], set()
    for what, target, hint in writes:
        if len(os.fsencode(target.name)) > 255:
            problems.append(Problem(doc.file, 1, "", f"cannot write {what}: its name {target.name} is "
                                    f"{len(os.fsencode(target.name))} bytes long, and a file name holds 255",
                                    "choose a shorter output name"))
            continue
        try:
            folder = target.is_dir()
        except OSError as exc:  # a path too long for the file system
            problems.append(Problem(doc.file, 1, "", f"cannot write {what} {target}: {exc.strerror}", os_hint(exc)))
            continue
        if folder:
            problems.append(Problem(doc.file, 1, "", f"cannot write {what} {target}: a folder of that name is there",
                                    hint))
        elif (closed := unwritable(target.parent)) is not None and closed not in seen:
            seen.add(closed)
            problems.append(Problem(doc.file, 1, "", f"cannot write {what} {target}: {closed} is not writable",
                                    "choose an output in a folder you can write"))
    return problems


def unwritable(folder: Path) -> Path | None:
    """The folder that stops files being made in ``folder`` (it, or the nearest one above
    that exists, when it is to be made), when this process may not write there (read-only
    permissions or a read-only disk); None when it can."""
    for above in (folder, *folder.parents):
        if above.exists():
            return None if not above.is_dir() or os.access(above, os.W_OK | os.X_OK) else above
    return None


def _writes(validated: Validated | None, timeline: Timeline | None, out: Path) -> list[tuple[str, Path, str]]:
    """(what, path, how not to write it) for every file the render writes."""
    found = [("the output", out, _RENAME), ("the receipt", receipt_path(out), _RENAME)]
    spec = validated.subtitles if validated is not None else None
    sidecar = (timeline.subtitles is not None and timeline.subtitles.sidecar) if timeline else \
        spec is not None and spec.ways[2]
    if sidecar:
        found.append(("the sidecar subtitles", sidecar_path(out), f"{_RENAME}, or set `subtitles.sidecar: false`"))
    for role, path in (stem_paths(out, timeline) if timeline else {}).items():
        found.append((f"the {role} stem", path, f"{_RENAME}, or set `output.stems: false`"))
    return found


def _reads(validated: Validated, edl_file: Path | None) -> list[tuple[tuple | None, Path, str]]:
    """(field, path, name) of every file the render reads; field None: the top of the file."""
    doc = validated.document
    every = needs(validated)
    found: list[tuple[tuple | None, Path]] = [(n.at, n.path) for n in every if n.at is not None]
    located = {path for _, path in found}
    # What no field names (the bundled font) is compared too, at the top of the file.
    found += [(None, path) for path in dict.fromkeys(n.path for n in every if n.at is None) if path not in located]
    for at, folder in list(found):
        if at == ("subtitles", "fonts_dir") and is_folder(folder):
            try:
                found += [(at, p) for p in font_files(folder)]
            except MediaError:  # said at fonts_dir, where the fonts are read
                pass
    return [(at, path, _shown(doc, path)) for at, path in found] + \
        ([(None, edl_file, "the EDL itself")] if edl_file else []) + \
        [(("extends",), parent, f"the file it extends, {parent.name}") for parent in doc.parents]


def _identity(path: Path) -> tuple[str, tuple[int, int] | None]:
    real = os.path.realpath(path)
    try:
        stat = os.stat(real)
    except OSError:
        return real, None
    return real, (stat.st_dev, stat.st_ino)


def _clashes(doc: Document, reads: list[tuple[tuple | None, Path, str]],
             writes: list[tuple[str, Path, str]]) -> list[Problem]:
    known = {path: _identity(path) for _, path, _ in reads}
    problems = []
    for what, target, hint in writes:
        real, inode = _identity(target)
        for at, path, name in reads:
            their_real, their_inode = known[path]
            if their_real != real and (inode is None or their_inode != inode):
                continue
            how = "" if os.path.abspath(path) == os.path.abspath(target) else \
                " (the same file, through a link)" if their_real == real else " (the same file: a hard link)"
            message = f"{name} is also {what} this render writes ({target}){how}: it would be overwritten"
            problems.append(doc.problem(at, message, hint) if at else Problem(doc.file, 1, "", message, hint))
    return problems


def _shown(doc: Document, path: Path) -> str:
    """An input as the EDL names it: relative to the EDL's folder when it is inside it."""
    try:
        return os.fspath(path.relative_to(doc.folder))
    except ValueError:
        return os.fspath(path)


def _family(codec: str) -> str:
    codec = codec.lower()
    return _FAMILIES.get(codec) or codec.split("_")[0]


def _container_problems(validated: Validated, timeline: Timeline | None, out: Path,
                        segmented: bool) -> list[Problem]:
    """The output's suffix names its container: one that exists, and holds these codecs;
    a segmented render's pictures also pass through MP4 segments on their way there."""
    doc, suffix = validated.document, out.suffix.lower()
    codec = validated.output.video.codec
    if segmented and _family(codec) in _KNOWN and _family(codec) not in _MP4[1]:
        at = ("output", "video", "codec")
        message = f"{codec} video cannot be rendered in segments (MP4 files, which cannot hold it)"
        hint = "render with --single (one ffmpeg graph, no segments), or choose a codec MP4 holds, such as libx264"
        return [doc.problem(at, message, hint) if at in doc.lines else Problem(doc.file, 1, "", message, hint)]
    holds = [s for s, c in CONTAINERS.items() if _fits(c, validated, timeline) is None]
    alternatives = "name the output " + _either(holds or list(CONTAINERS))
    if suffix not in CONTAINERS:
        return [Problem(doc.file, 1, "", f"cannot write {out}: " + (
            f"{suffix} is not a container assembler writes" if suffix else "its name has no suffix to say its container"),
            alternatives)]
    misfit = _fits(CONTAINERS[suffix], validated, timeline)
    if misfit is None:
        return []
    at, what = misfit
    field = ".".join(at)
    message = f"{out} is {CONTAINERS[suffix][0]}, which cannot hold {what}"
    hint = f"{alternatives}, or change `{field}`"
    if at in doc.lines:
        return [doc.problem(at, message, hint)]
    return [Problem(doc.file, 1, "", f"{message} ({field})", hint)]


def _either(names: list[str]) -> str:
    return names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"


def _fits(container: tuple, validated: Validated, timeline: Timeline | None) -> tuple[tuple, str] | None:
    """None when ``container`` holds what the EDL writes; else (the field, what does not fit)."""
    _name, video, audio, soft_ok = container
    out = validated.output
    for at, allowed, codec, kind in ((("output", "video", "codec"), video, out.video.codec, "video"),
                                     (("output", "audio", "codec"), audio, out.audio.codec, "sound")):
        family = _family(codec)
        if allowed is not None and family in _KNOWN and family not in allowed:
            return at, f"{codec} {kind}"
    spec = validated.subtitles
    soft = (timeline.subtitles is not None and timeline.subtitles.soft) if timeline else \
        spec is not None and spec.ways[1]
    if soft and not soft_ok:
        return ("subtitles", "soft"), "the soft subtitles (mov_text)"
    return None


# What ffmpeg's option parser takes for a bit rate: a positive number with an SI prefix
# ("192k", "8M", "2.5M", "1Mi"); anything else fails only once the encoder is opened.
_A = {"video": "a video", "audio": "an audio", "subtitle": "a subtitle"}
_BITRATE = re.compile(r"(\d+(\.\d*)?|\.\d+)([kKMGT]i?)?B?")


def encoder_problems(validated: Validated, ff: FFmpeg) -> list[Problem]:
    """The output's encoder settings against what the ffmpeg ``ff`` has: the encoders (of
    the right kind), the pixel format, the preset and the sample rate they take, and bit
    rates ffmpeg can read; found at check time, not when the first segment is encoded."""
    doc, out = validated.document, validated.output
    problems: list[Problem] = []

    def say(at: tuple, message: str, hint: str) -> None:
        file, line, written = doc.where(at)  # a codec the series file names is said there
        problems.append(Problem(file, line or 1, field_path(written), message, hint))

    for kind, codec in (("video", out.video.codec), ("audio", out.audio.codec)):
        found = encoders(ff).get(codec)
        if found != kind:
            what = f"is {_A[found]} encoder, not {_A[kind]} one" if found else \
                "is not an encoder of this ffmpeg"
            usual = "libx264" if kind == "video" else "aac"
            say(("output", kind, "codec"), f"{codec!r} {what} ({ff.version} at {ff.path})",
                f"use one `ffmpeg -encoders` lists as {kind}, such as {usual}")
    for kind, rate in (("video", out.video.bitrate), ("audio", out.audio.bitrate)):
        if rate is not None and (not _BITRATE.fullmatch(str(rate)) or float(re.match(r"[\d.]+", str(rate))[0]) <= 0):  # type: ignore[index]
            say(("output", kind, "bitrate"), f"bit rate {rate!r} is not a number of bits per second ffmpeg reads",
                "write it as a positive number with k or M, such as 8M or 192k")
    video = encoder(ff, out.video.codec) if encoders(ff).get(out.video.codec) == "video" else None
    pix = out.video.pix_fmt
    if pix not in pixel_formats(ff):
        say(("output", "video", "pix_fmt"), f"{pix!r} is not a pixel format ffmpeg knows",
            "use one `ffmpeg -pix_fmts` lists, such as yuv420p")
    elif video is not None and video.pix_fmts and pix not in video.pix_fmts:
        say(("output", "video", "pix_fmt"), f"{video.name} cannot write {pix}",
            f"use one of {', '.join(video.pix_fmts)}")
    if video is not None and out.video.preset is not None:
        problem = _preset_problem(video, str(out.video.preset))
        if problem:
            say(("output", "video", "preset"), *problem)
    audio = encoder(ff, out.audio.codec) if encoders(ff).get(out.audio.codec) == "audio" else None
    if audio is not None and audio.sample_rates and out.audio.rate not in audio.sample_rates:
        say(("output", "audio", "rate"), f"{audio.name} cannot encode at {out.audio.rate} Hz",
            f"use one of {', '.join(map(str, audio.sample_rates))}")
    layout = LAYOUTS.get(out.audio.channels)
    if audio is not None and audio.layouts and layout and f" {layout} " not in f" {audio.layouts} ":
        say(("output", "audio", "channels"), f"{audio.name} cannot encode {out.audio.channels} channels ({layout})",
            f"it takes {audio.layouts}")
    return problems


def _preset_problem(video, preset: str) -> tuple[str, str] | None:
    """(message, hint) when ``video`` refuses ``preset``; an encoder without the option
    ignores it (the default `medium` stays harmless for vp9)."""
    if video.preset is None or preset in video.presets:
        return None
    if video.preset == "int" and re.fullmatch(r"-?\d+", preset) and video.preset_range:
        low, high = video.preset_range
        if low <= int(preset) <= high:
            return None
    if video.preset not in ("int", "string") or (video.preset == "string" and not video.presets):
        return None
    choices = [*video.presets, *([f"a number from {video.preset_range[0]} to {video.preset_range[1]}"]
                                 if video.preset == "int" and video.preset_range else [])]
    return (f"{video.name} has no preset {preset!r}",
            f"use {_either(choices)}, or null for the encoder's own default")
