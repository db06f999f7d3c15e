"""Read what subtitles are made of: subtitle files and the fonts that draw them.

Contract: a ``.srt``/``.ass``/``.ssa``/``.vtt`` path ->
:class:`~assembler.timeline.sources.SubtitleFile` (cues in exact seconds, with the line
each starts on, for messages), or :class:`~assembler.errors.MediaError`; font files and
folders -> the families they hold (:class:`~assembler.timeline.sources.Face`), so that a
family that is not there is an error before anything is drawn. ffmpeg's subtitles filter
draws nothing, and exits 0, when it finds no font. :func:`read_sources` fills the catalog
of everything an EDL reads (``timeline.sources.needs``), probes included. Reads files;
never spawns a process.
"""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable
from fractions import Fraction
from pathlib import Path
from types import MappingProxyType

import pysubs2
from PIL import ImageFont

from assembler.compile.escape import ass_colour
from assembler.errors import CHECK_PATH, MediaError, os_hint
from assembler.timeline.sources import MediaInfo, Need, NeedKind, Read, Sources, is_folder
from assembler.run.probe import font_files, linked, probe, probe_all, regular_file, what_it_holds
from assembler.timeline.sources import Face, FileCue, FileStyle, SUBTITLE_SUFFIXES, SubtitleFile

__all__ = ["read_fonts", "read_sources", "read_subtitles"]



_TIMING = re.compile(r"(?:(\d+):)?(\d+):(\d+)[,.](\d+)\s*-->")


def read_subtitles(path: str | os.PathLike) -> SubtitleFile:
    """The cues of a subtitle file, in file order (comments left out)."""
    path = Path(path)
    kind = SUBTITLE_SUFFIXES.get(path.suffix.lower())
    if is_folder(path):
        raise MediaError(f"{path.name} is a folder, not a subtitle file (.srt, .ass, .ssa or .vtt)",
                         "name the file inside it")
    if kind is None:
        raise MediaError(f"{path.name} is not a subtitle file (.srt, .ass, .ssa or .vtt)")
    regular_file(path)  # a named pipe or /dev/zero is never read: that waits or never ends
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise MediaError(f"{path} does not exist", CHECK_PATH) from None
    except OSError as exc:
        raise MediaError(f"{path} cannot be read: {exc.strerror}", os_hint(exc)) from None
    # By content, not name: a video or picture (a link gone astray) is not "text to save as UTF-8".
    if (what := what_it_holds(data[:4096])) is not None:
        raise MediaError(f"{path.name}{linked(path)} is {what}, not a subtitle file",
                         f"name the {kind.upper()} file itself") from None
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise MediaError(f"{path.name} is not UTF-8 text; save it as UTF-8") from None
    try:
        loaded = pysubs2.SSAFile.from_string(text, format_=kind)
    except Exception as exc:  # pysubs2 raises many kinds for a malformed file
        raise MediaError(f"{path.name} cannot be read as {kind.upper()}: {exc}") from None
    lines = _cue_lines(text, kind)
    cues = []
    for event in loaded.events:
        if event.is_comment:
            continue
        line = lines.pop(event.start, [None]).pop(0) if lines.get(event.start) else None
        cues.append(FileCue(Fraction(event.start, 1000), Fraction(event.end, 1000),
                            event.plaintext.strip("\n"), event.text, line, event.style))
    if kind not in ("ass", "ssa"):
        return SubtitleFile(path, tuple(cues))
    styles = tuple(_style(name, style) for name, style in loaded.styles.items())
    try:  # ASS's own default when a file does not say: 384x288
        height = int(loaded.info.get("PlayResY") or 288)
        width = int(loaded.info.get("PlayResX") or round(height * 4 / 3))
    except ValueError:
        raise MediaError(f"{path.name}: PlayResX/PlayResY must be whole numbers") from None
    return SubtitleFile(path, tuple(cues), styles, (width, height))


def _style(name: str, st: pysubs2.SSAStyle) -> FileStyle:
    def colour(c: pysubs2.Color) -> str:
        return ass_colour(c.r, c.g, c.b, c.a)  # pysubs2's alpha counts transparency, as ASS's does

    def flag(on: bool) -> str:
        return "-1" if on else "0"

    rest = [f"{st.fontsize:g}", colour(st.primarycolor), colour(st.secondarycolor), colour(st.outlinecolor),
            colour(st.backcolor), flag(st.bold), flag(st.italic), flag(st.underline), flag(st.strikeout),
            f"{st.scalex:g}", f"{st.scaley:g}", f"{st.spacing:g}", f"{st.angle:g}", str(int(st.borderstyle)),
            f"{st.outline:g}", f"{st.shadow:g}", str(int(st.alignment)), f"{st.marginl:g}", f"{st.marginr:g}",
            f"{st.marginv:g}", str(st.encoding)]
    return FileStyle(name, st.fontname, ",".join(rest))


def _cue_lines(text: str, kind: str) -> dict[int, list[int]]:
    """Where each cue starts in the file, by its start in ms (pysubs2 keeps no lines)."""
    found: dict[int, list[int]] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if kind in ("ass", "ssa"):
            if line.startswith("Dialogue:"):
                parts = line.split(",", 3)
                if len(parts) > 2 and (m := re.match(r"\s*(\d+):(\d+):(\d+)\.(\d+)", parts[1])):
                    h, mi, s, cs = (int(x) for x in m.groups())
                    found.setdefault(((h * 60 + mi) * 60 + s) * 1000 + cs * 10, []).append(number)
        elif m := _TIMING.search(line):
            hours, minutes, secs, frac = m.groups()
            ms = ((int(hours or 0) * 60 + int(minutes)) * 60 + int(secs)) * 1000 + int(frac.ljust(3, "0")[:3])
            found.setdefault(ms, []).append(number)
    return found


def read_fonts(source: str | os.PathLike) -> tuple[Face, ...]:
    """The faces of a font file, or of every font file in a folder (and its subfolders)."""
    source = Path(source)
    if not source.exists():
        raise MediaError(f"{source} does not exist", CHECK_PATH)
    # Only regular files: a named pipe among the fonts would hold the read for ever.
    files = [p for p in font_files(source) if p.is_file()] if source.is_dir() \
        else [source] if regular_file(source) else []
    found = tuple(face for file in files for face in _faces_of(file, file.stat().st_mtime_ns))
    if not found:
        raise MediaError(f"{source.name} holds no font ffmpeg can use (.ttf, .otf, .ttc, .otc)")
    return found


def read_sources(needs: tuple[Need, ...], prober: Callable[[Path], MediaInfo] = probe) -> Sources:
    """The catalog of everything ``needs`` names: media, LUTs and font files probed (each
    distinct path once, through ``prober``, which may remember earlier probes), subtitle
    files and fonts read. Failures are kept, not raised, so that a check reports them all."""
    probed = probe_all([n.path for n in needs if n.kind in ("media", "lut", "font")], prober)
    found: dict[tuple[NeedKind, Path], Read] = {}
    for need in needs:
        key = (need.kind, need.path)
        if key not in found:
            found[key] = probed[need.path] if need.kind in ("media", "lut", "font") else \
                _read(read_subtitles if need.kind == "subtitles" else read_fonts, need.path)
    return Sources(tuple(needs), MappingProxyType(found))


def _read(reader: Callable[[Path], SubtitleFile | tuple[Face, ...]],
          path: Path) -> SubtitleFile | tuple[Face, ...] | MediaError:
    """What ``reader`` makes of ``path``: the need's kind says how it is read, not its name."""
    try:
        return reader(path)
    except MediaError as exc:
        return exc
    except OSError as exc:  # a name too long for the file system, a folder we may not list
        return MediaError(f"{path} cannot be read: {exc.strerror or exc}", os_hint(exc))


@functools.lru_cache(maxsize=256)
def _faces_of(path: Path, mtime_ns: int) -> tuple[Face, ...]:
    out = []
    for index in range(64):  # a collection holds a few dozen faces at most
        try:
            family, _style = ImageFont.truetype(os.fspath(path), 10, index=index).getname()
        except OSError:
            break
        if family:
            out.append(Face(family, path, index))
    return tuple(out)
