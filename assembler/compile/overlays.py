"""Overlays as filter chains drawn over an interval's picture, in order, each by the
emitter its type names (:data:`_SOURCES`, or the text emitter). Pure: no files, no processes.

Each overlay's stream holds only the frames it shows; fades are computed on the overlay's
own clock, so an overlay cut by an interval is seamless.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from fractions import Fraction

from assembler.compile.escape import colour as ffmpeg_colour
from assembler.compile.graph import File, Filter, GraphBuilder, Link, number
from assembler.compile.picture import FROM_RGB
from assembler.compile.text import draw_text
from assembler.layout.frame import Box, Layout
from assembler.timeline.build import Timeline
from assembler.timeline.items import Overlay, OverlayClip, OverlayColor, OverlayImage, OverlayPicture, OverlayText

__all__ = ["draw_overlays"]

# image2's options for a `movie` source: the one file named, never a numbered sequence
# (other demuxers ignore them).
_ONE_FILE = "pattern_type=none"


def draw_overlays(g: GraphBuilder, timeline: Timeline, laid: Layout, start: int, end: int, video: Link) -> Link:
    """The overlays shown in frames ``[start, end)``, over the picture (pts: frame numbers
    from ``start``), in order, at the places ``laid`` gives them."""
    for overlay in timeline.overlays:
        if overlay.start >= end or overlay.end <= start:
            continue
        first, last = max(overlay.start, start), min(overlay.end, end)
        head, count, offset = first - overlay.start, last - first, first - start  # frames
        video = _DRAW[type(overlay)](g, overlay, laid, timeline.output.fps, (head, count, offset), video)
    return video


def _text(g: GraphBuilder, o: OverlayText, laid: Layout, rate: Fraction, shown: tuple[int, int, int],
          video: Link) -> Link:
    """Text drawn straight on the picture while it shows."""
    lettering = laid.texts[o.index]
    if not lettering.runs:
        return video
    head, count, offset = shown
    video = g.chain([video], draw_text(o.text, lettering, rate, ahead=Fraction(head - offset) / rate,
                                       total=o.frames, weighed=True,
                                       enable=f"between(n,{offset},{offset + count - 1})"), "v")
    g.read(os.fspath(o.text.face.path))
    return video


def _colour(g: GraphBuilder, o: OverlayColor, box: Box, rate: Fraction, head: int, count: int) -> list[Filter]:
    return [Filter("color", c=ffmpeg_colour(o.color), s=f"{box.width}x{box.height}", r=str(rate)),
            Filter("format", "rgba")]


def _image(g: GraphBuilder, o: OverlayImage, box: Box, rate: Fraction, head: int, count: int) -> list[Filter]:
    # Read by a `movie` source inside the graph, not as an input: with its picture from
    # another demuxer, overlay hung now and then in ffmpeg 9 (about 1 run in 20).
    path = os.fspath(o.media.file)
    g.read(path)
    # Scaled once, then repeated: a logo costs one scale, not one a frame.
    return [Filter("movie", filename=File(path), format_opts=_ONE_FILE), Filter("scale", box.width, box.height),
            Filter("format", "rgba"), Filter("loop", loop=count - 1, size=1, start=0)]


def _clip(g: GraphBuilder, o: OverlayClip, box: Box, rate: Fraction, head: int, count: int) -> list[Filter]:
    path = os.fspath(o.media.file)
    g.read(path)
    skip = o.source_in + Fraction(head) / rate
    # seek_point lands on the keyframe before; trim drops what comes before `skip`, and fps
    # then samples the source from `skip` on the output grid, as for a clip of the main track.
    return [Filter("movie", filename=File(path), seek_point=number(skip), dec_threads=1),
            Filter("trim", start=number(skip)), Filter("setpts", f"PTS-{number(skip)}/TB"),
            *_upright(o.media.rotation), Filter("fps", str(rate), start_time=0),
            Filter("scale", box.width, box.height), Filter("format", "rgba"),
            Filter("tpad", stop=-1, stop_mode="clone")]


_SOURCES: dict[type, Callable[..., list[Filter]]] = {OverlayColor: _colour, OverlayImage: _image, OverlayClip: _clip}


def _picture(g: GraphBuilder, o: OverlayPicture, laid: Layout, rate: Fraction, shown: tuple[int, int, int],
             video: Link) -> Link:
    """A picture overlay: its source, its opacity and fades, laid over at its box."""
    head, count, offset = shown
    box = laid.boxes[o.index]
    source = _SOURCES[type(o)](g, o, box, rate, head, count)
    if o.opacity < 1:
        source.append(Filter("colorchannelmixer", aa=f"{o.opacity:.4f}"))
    source += [Filter("trim", end_frame=count), Filter("settb", str(1 / rate))]
    fade_in, fade_out = o.fades
    fades = []
    # Only where this interval meets a fade, so that a still logo's pieces do not
    # depend on where they sit.
    if fade_in and head < fade_in:
        fades.append(Filter("fade", t="in", st=0, d=Fraction(fade_in) / rate, alpha=1))
    if fade_out and head + count > o.frames - fade_out:
        fades.append(Filter("fade", t="out", st=Fraction(o.frames - fade_out) / rate,
                            d=Fraction(fade_out) / rate, alpha=1))
    if fades:
        source += [Filter("setpts", f"N+{head}"), *fades, Filter("setpts", f"PTS-{head}+{offset}")]
    else:
        source.append(Filter("setpts", f"N+{offset}"))
    # Into the picture's BT.709 by hand: overlay's own conversion would use BT.601.
    source += [Filter("scale", **FROM_RGB), Filter("format", "yuva420p")]
    drawn = g.chain([], source, "v")
    return g.chain([video, drawn], [Filter("overlay", box.x, box.y, eof_action="pass", repeatlast=0,
                                           format="yuv420")], "v")


_DRAW: dict[type[Overlay], Callable[..., Link]] = {OverlayText: _text, OverlayColor: _picture,
                                                  OverlayImage: _picture, OverlayClip: _picture}


def _upright(rotation: int) -> list[Filter]:
    """Turn a picture as its display matrix says (inputs get this from ffmpeg; `movie` does not)."""
    return {90: [Filter("transpose", "cclock")], 180: [Filter("hflip"), Filter("vflip")],
            270: [Filter("transpose", "clock")]}.get(rotation, [])
