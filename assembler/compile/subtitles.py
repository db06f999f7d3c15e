"""Subtitles as files: an ASS script for libass to burn (one interval at a time) and
SubRip for the sidecar and the soft stream, written from the timeline's subtitle cues.

Frame-exact through ASS's centiseconds: ffmpeg hands libass each frame's time truncated
to whole milliseconds, and libass shows an event while ``start <= t < end``. A boundary
at frame f is written as the last centisecond at or before frame f's millisecond (less
one for floating-point slack), which lies after frame f-1's for any rate below 90 fps:
so a cue ending exactly on a cut is gone on the cut's first frame. SubRip's stamps are
the nearest millisecond (a half to the even one, as they have always been written).
Pure: text in, text out.
"""

from __future__ import annotations

import math
from fractions import Fraction

from assembler.compile.escape import ass_colour, ass_event
from assembler.layout.frame import BOTTOM_CUES, BurnStyle
from assembler.timeline.subtitles import SubtitleTrack

__all__ = ["ass_text", "srt_text"]


def _colour(value: str) -> str:
    """The model's 0xRRGGBB[AA] (AA: opacity) as an ASS colour (which counts transparency)."""
    red, green, blue = (int(value[k:k + 2], 16) for k in (2, 4, 6))
    return ass_colour(red, green, blue, 255 - int(value[8:10], 16) if len(value) > 8 else 0)


def _above(line: str, floor: Fraction, res_y: int) -> str:
    """An .ass file's own ``Style:`` line (fields as ``run.readers`` writes them, in its
    PlayRes), with a bottom-aligned style's MarginV raised, when it is less, to keep its
    cues and their outline and shadow above the bottom ``floor`` of the frame (a vertical's
    covered band)."""
    fields = line[len("Style: "):].split(",")
    outline, shadow, alignment, margin_v = float(fields[16]), float(fields[17]), int(fields[18]), float(fields[21])
    if alignment not in BOTTOM_CUES:
        return line
    fields[21] = str(max(math.ceil(margin_v), math.ceil(floor * res_y) + math.ceil(outline + shadow) + 1))
    return "Style: " + ",".join(fields)


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


def ass_text(track: SubtitleTrack, s: BurnStyle, width: int, height: int, rate: Fraction, start: int,
             end: int) -> str | None:
    """The cues shown in frames ``[start, end)`` as an ASS script whose time 0 is frame
    ``start`` (a segment's own clock), or None when none is; drawn in ``s`` (the layout's
    style for a ``width`` x ``height`` frame)."""
    shown = track.shown(start, end)
    if not shown:
        return None
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
        f"Style: assembler,{s.family},{float(s.size * k):g},{_colour(s.color)},&H000000FF,"
        f"{_colour(s.outline_color)},&H80000000,{-1 if s.bold else 0},0,0,0,100,100,0,0,1,"
        f"{round(float(s.outline * k), 2):g},0,{s.alignment},{margin_h},{margin_h},{round(s.margin_v * k)},1",
        *(track.file_styles if s.floor is None else (_above(line, s.floor, res_y) for line in track.file_styles)),
        "", "[Events]", "Format: Layer, Start, End, Style, Name, MarginL, MarginR, MarginV, Effect, Text",
    ]
    for c in shown:
        a, b = max(c.start, start) - start, min(c.end, end) - start
        lines.append(f"Dialogue: 0,{_clock(_centiseconds(a, rate))},{_clock(_centiseconds(b, rate))},{c.style},,0,0,0,,"
                     f"{ass_event(c.text) if c.ass is None else c.ass}")
    return "\n".join(lines) + "\n"


def srt_text(track: SubtitleTrack, rate: Fraction) -> str:
    """Every cue on the final timeline as SubRip (times rounded to the millisecond)."""
    def stamp(frame: int) -> str:
        ms = round(Fraction(frame * 1000) / rate)
        h, rest = divmod(ms, 3600000)
        m, rest = divmod(rest, 60000)
        s, ms = divmod(rest, 1000)
        return f"{h:02d}:{m:02d}:{s:02d},{ms:03d}"

    blocks = [f"{n}\n{stamp(c.start)} --> {stamp(c.end)}\n{c.text}\n" for n, c in enumerate(track.cues, start=1)]
    return "\n".join(blocks)
