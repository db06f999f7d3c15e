"""Pictures: each item of an interval as a filter chain that yields exactly its frames,
fitted to a layout's frame, joined by cuts and transitions; each made by the emitter its
type names (``_SOURCES``, ``_PICTURES``). Pure: no files, no processes; ``compile`` puts
these chains into jobs, and draws the overlays on top (``overlays``).

How each item becomes exact (ffmpeg quirks noted where they bite):

* every picture chain ends ``format -> trim=end_frame=N -> settb=1/fps -> setpts=N``: the
  ``fps`` filter can emit one frame too many at the end of a 24/25 fps piece, and a
  source may run a frame short, so clips get ``tpad`` (clone the last frame) before the
  trim; pts are then frame numbers, which xfade needs (same time base on both inputs);
* cuts are one ``concat`` per run of cut-joined items, transitions are ``xfade`` over
  the overlap; xfade's offset is on the chain's output timeline, computed from exact
  frame counts;
* colour: the output is BT.709 limited range; every conversion names its matrix.

"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import replace
from fractions import Fraction
from typing import Any

from assembler.compile.escape import colour as ffmpeg_colour
from assembler.compile.focus import cover_crop, cover_window, crop_moves, source_crop
from assembler.compile.graph import File, Filter, GraphBuilder, Link, number
from assembler.compile.text import draw_text
from assembler.layout.frame import Layout
from assembler.model.edl import SAME_AS, TRANSITIONS
from assembler.timeline.build import Join, OutputSpec
from assembler.timeline.items import Card, Placement, Plate, Shot, Still
from assembler.timeline.sources import MediaInfo

__all__ = ["FROM_RGB", "XFADE_NAMES", "join_pictures", "narrow", "picture_of", "source_of"]

_ALPHA_FORMATS = ("rgba", "bgra", "argb", "abgr", "ya8", "ya16", "yuva", "rgba64", "gbrap", "pal8")


# Each of the contract's transitions as ffmpeg's xfade names it: the same name, but for
# `dissolve`, the contract's cross-dissolve, which is xfade's `fade` (xfade's own
# `dissolve` is a pixel noise, which the contract does not offer).
XFADE_NAMES = {name: name for name in TRANSITIONS if name != "cut"} | {alias: SAME_AS[alias] for alias in SAME_AS}


def narrow(placements: list[Placement], joins: list[Join], start: int, end: int, rate: Fraction) -> list[Placement]:
    """Drop what an interval does not show from its first and last placements, so that
    ffmpeg neither decodes nor trims it. A clip's in-point moves by exactly the skipped
    frames, so each remaining frame samples the source where the whole render would.
    Frames inside a transition stay (the cross-fade needs both sides whole)."""
    placements = list(placements)
    first = placements[0]
    outgoing = joins[0].frames if joins else 0
    skip = min(max(0, start - first.start), first.frames - max(outgoing, 1))
    if skip > 0:
        # A shot's in-point moves with it; a still's and a card's place in themselves is `head`.
        moved: dict[str, Any] = {"source_in": first.source_in + skip * first.speed / rate} \
            if isinstance(first, Shot) else {}
        if isinstance(first, Shot) and first.hold:
            # Inside a held last picture, the source has nothing left: start at its last frame.
            last_frame = first.source_out - 1 / (first.media.fps or rate)
            moved["source_in"] = min(moved["source_in"], last_frame)
        placements[0] = replace(first, start=first.start + skip, frames=first.frames - skip, head=first.head + skip,
                                **moved)
    last = placements[-1]
    incoming = joins[-1].frames if joins else 0
    cut = min(max(0, last.end - end), last.frames - max(incoming, 1))
    if cut > 0:
        placements[-1] = replace(last, frames=last.frames - cut, tail=last.tail + cut)
    return placements


def source_of(g: GraphBuilder, p: Placement, out: OutputSpec) -> int | None:
    """The placement's file as a source of ``g`` (its index), or None when it reads none."""
    return _SOURCES[type(p)](g, p, out)


def _shot_source(g: GraphBuilder, p: Shot, out: OutputSpec) -> int:
    needed = Fraction(p.frames) / out.fps * p.speed
    # Read a little past the end: fps rounding and tpad take care of the exact count.
    margin = max(Fraction(2) / (p.media.fps or out.fps), Fraction(1, 10))
    seek = ["-ss", number(p.source_in)] if p.source_in else []
    # One decoding thread: segments already run side by side, and each extra frame
    # thread holds frames of its own (about 25 MB a 720p input, measured).
    return g.source(os.fspath(p.media.file), *seek, "-threads", "1", "-t", number(needed + margin))


def _still_source(g: GraphBuilder, p: Still | Card, out: OutputSpec) -> int | None:
    """A still, or a title's picture (a title on a colour reads nothing)."""
    if p.media is None:
        return None
    # One picture, repeated by `_repeat`; the rate is what xfade checks its inputs by.
    rate = ["-framerate" if p.media.kind == "image" else "-r", str(out.fps)]
    path = os.fspath(p.media.file)
    # image2 reads a name such as `p%d.png` as a numbered sequence (and shows p1.png);
    # the option exists only in image2, which a name without `%` may not get.
    single = ["-f", "image2", "-pattern_type", "none"] if p.media.kind == "image" and "%" in path else []
    return g.source(path, *rate, *single)


def _no_source(g: GraphBuilder, p: Plate, out: OutputSpec) -> None:
    return None


_SOURCES: dict[type, Callable[..., int | None]] = {Shot: _shot_source, Still: _still_source, Card: _still_source,
                                                   Plate: _no_source}


def _repeat(p: Placement) -> list[Filter]:
    """A still's one picture as its frames: decoded and fitted once, then repeated (an
    image input looped by the demuxer is decoded and scaled again for every frame, which
    made a 3000x2000 PNG cost as much as a 1080p clip)."""
    return [Filter("loop", loop=p.frames - 1, size=1, start=0)]


_FIRST = Filter("trim", end_frame=1)  # a video file used as a still gives its first frame


# The output is BT.709, limited range, and says so: players assume BT.709 for HD, and an
# RGB still or card converted with swscale's default (BT.601) matrix would shift in hue.
_TAG_BT709 = Filter("setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709", range="tv")
FROM_RGB = {"out_color_matrix": "bt709", "out_range": "tv"}
_RGB_FORMATS = ("rgb", "bgr", "gbr", "argb", "abgr", "pal8", "gray", "ya", "monob", "monow")


def _colour(media: MediaInfo) -> dict[str, str]:
    """swscale options that bring a source to BT.709 limited range; {} when it is already
    (HD video that is BT.709 or, like most generator output, untagged passes untouched)."""
    if media.pix_fmt is None or media.pix_fmt.startswith(_RGB_FORMATS):
        return dict(FROM_RGB)
    options: dict[str, str] = {}
    sd = media.colorspace in (5, 6) or (media.colorspace in (0, 2) and min(media.display_size) < 720) \
        or media.kind == "image"  # a YUV still is a JPEG: BT.601 by its own standard
    if sd:  # BT.601 (tagged, or assumed for untagged SD)
        options.update(in_color_matrix="bt601", out_color_matrix="bt709")
    if media.full_range:
        options.update(in_range="pc", out_range="tv")
    return options


def _tail(out: OutputSpec, frames: int, pad: bool) -> list[Filter]:
    tail = [Filter("format", pix_fmts=out.video.pix_fmt), _TAG_BT709]
    if pad:
        tail.append(Filter("tpad", stop=-1, stop_mode="clone"))
    return tail + [Filter("trim", end_frame=frames), Filter("settb", str(1 / out.fps)), Filter("setpts", "N")]


def _fit(p: Shot | Still | Card, out: OutputSpec, frame: tuple[int, int],
         repeat: list[Filter] | None = None) -> list[Filter]:
    """Scale into a ``frame`` (width, height) by the item's fit mode; nothing when it already
    fits. ``repeat``: what makes a still's frames of its one picture, after the fitting, or
    before a crop that moves (``cover`` following a focus's keyframes needs every frame)."""
    media = p.media
    assert media is not None
    w, h = frame
    repeat = repeat or []
    colour = _colour(media)  # done by the same swscale pass as any resizing
    filters = []
    if media.sar != 1:
        # Make pixels square first, so fitting sees the picture as it is meant to look.
        filters += [Filter("scale", "trunc(iw*sar/2)*2", "ih", **colour), Filter("setsar", 1)]
        colour = {}
    if media.display_size == (w, h):
        return [*filters, *([Filter("scale", **colour)] if colour else []), Filter("setsar", 1), *repeat]
    window = cover_window(p, frame) if p.fit == "cover" else None
    if window is not None:
        # The window cut from the picture first, then scaled to the frame: only the
        # pixels shown are scaled.
        crop = source_crop(p, window)
        if crop_moves(crop):  # it needs every frame: a still's are made first
            filters, repeat = [*filters, *repeat], []
        filters += [crop, Filter("scale", w, h, **colour)]
    elif p.fit == "cover":  # the scaled picture is the frame: nothing to crop
        filters += [Filter("scale", w, h, force_original_aspect_ratio="increase", **colour), cover_crop(p, frame)]
    elif p.fit == "stretch":
        filters += [Filter("scale", w, h, **colour)]
    else:
        filters += [Filter("scale", w, h, force_original_aspect_ratio="decrease", **colour),
                    Filter("pad", w, h, "(ow-iw)/2", "(oh-ih)/2", color=ffmpeg_colour(out.background))]
    return [*filters, Filter("setsar", 1), *repeat]


def picture_of(g: GraphBuilder, p: Placement, out: OutputSpec, laid: Layout, index: int | None) -> Link:
    """The placement's frames, fitted to ``laid``'s frame, from its source ``index`` (``source_of``)."""
    return _PICTURES[type(p)](g, p, out, laid, index)


def _plain(p: Card | Plate, out: OutputSpec, laid: Layout) -> list[Filter]:
    # (a clip has no colour: its card is not drawn)
    return [Filter("color", c=p.color and ffmpeg_colour(p.color), s=f"{laid.width}x{laid.height}", r=str(out.fps)),
            Filter("format", "rgb24")]


def _plate(g: GraphBuilder, p: Plate, out: OutputSpec, laid: Layout, index: None) -> Link:
    return g.chain([], [*_plain(p, out, laid), Filter("scale", **FROM_RGB), *_look(p), *_tail(out, p.frames, False)],
                   "v")


def _card(g: GraphBuilder, p: Card, out: OutputSpec, laid: Layout, index: int | None) -> Link:
    """A title stands on its picture (fitted like any still) or on a generated colour."""
    frame = (laid.width, laid.height)
    over = [g.input(index, "v")] if p.media is not None and index is not None else []
    card = [_FIRST, *_fit(p, out, frame, _repeat(p)), Filter("format", "rgb24")] if over else _plain(p, out, laid)
    if over and p.media is not None and p.media.pix_fmt and p.media.pix_fmt.startswith(_ALPHA_FORMATS):
        # A picture with transparency stands on the output's background colour.
        crop = cover_crop(p, frame)
        fitted = [Filter("format", "rgba"), *_repeat(p), crop] if crop_moves(crop) else \
            [crop, Filter("format", "rgba"), *_repeat(p)]
        still = g.chain(over, [_FIRST, Filter("scale", *frame, force_original_aspect_ratio="increase"), *fitted], "v")
        back = g.chain([], [Filter("color", c=ffmpeg_colour(out.background), s=f"{laid.width}x{laid.height}",
                                   r=str(out.fps)), Filter("format", "rgb24")], "v")
        over = [g.chain([back, still], [Filter("overlay", 0, 0, shortest=1)], "v")]
        card = [Filter("format", "rgb24")]
    # On the card's own clock, which an interval may start inside (``head`` frames in).
    card += draw_text(p.text, laid.cards[p.index], out.fps, ahead=Fraction(p.head) / out.fps,
                      total=p.head + p.frames + p.tail, weighed=False)
    return g.chain(over, [*card, Filter("scale", **FROM_RGB), *_look(p), *_tail(out, p.frames, False)], "v")


def _still(g: GraphBuilder, p: Still, out: OutputSpec, laid: Layout, index: int | None) -> Link:
    assert index is not None
    source = g.input(index, "v")
    frame = (laid.width, laid.height)
    if p.media.pix_fmt and p.media.pix_fmt.startswith(_ALPHA_FORMATS):
        return _still_over_background(g, p, out, frame, source)
    k = _detail(p, frame)
    if k > 1:  # a push-in into a large still: warp at k times the output, then scale down
        big = (_even(laid.width * k), _even(laid.height * k))
        return g.chain([source], [_FIRST, *_fit(p, out, big, _repeat(p)), *_motion(p),
                                  Filter("scale", *frame), *_look(p), *_tail(out, p.frames, False)], "v")
    return g.chain([source], [_FIRST, *_fit(p, out, frame, _repeat(p)), *_motion(p), *_look(p),
                              *_tail(out, p.frames, False)], "v")


def _shot(g: GraphBuilder, p: Shot, out: OutputSpec, laid: Layout, index: int | None) -> Link:
    assert index is not None
    source = g.input(index, "v")
    # After an input -ss, time 0 is the in-point itself (not the first frame kept), and
    # fps samples the source from 0 on the output grid: output frame i always shows the
    # source frame nearest to in + i*speed/fps, however the clip is cut into intervals.
    timing = [Filter("setpts", f"PTS*{p.speed.denominator}/{p.speed.numerator}")] if p.speed != 1 else []
    rate = Filter("fps", str(out.fps), start_time=0)
    # Thin out frames before scaling when the source is faster than the output, and
    # scale before duplicating frames when it is slower: less work either way.
    faster = (p.media.fps or out.fps) / p.speed > out.fps
    frame = (laid.width, laid.height)
    fitted = _fit(p, out, frame)
    moving = [n for n, f in enumerate(fitted) if f.name == "crop" and crop_moves(f)]
    if moving:
        # A crop that follows keyframes counts output frames, so it comes after the rate;
        # and frames held past the source's end (a slot's `hold`) are held before it, so
        # that the crop goes on moving over them.
        fitted.insert(moving[0], Filter("tpad", stop=-1, stop_mode="clone"))
    body = [rate, *fitted] if faster or moving else [*fitted, rate]
    return g.chain([source], [*timing, *body, *_look(p), *_tail(out, p.frames, True)], "v")


_PICTURES: dict[type, Callable[..., Link]] = {Shot: _shot, Still: _still, Card: _card, Plate: _plate}


def _look(p: Placement) -> list[Filter]:
    """The placement's 3D LUTs (a clip's own, then the output's), applied to RGB.

    A LUT maps RGB to RGB, so the picture (BT.709 limited range by now, whatever its
    source) is converted there and back with the matrix and range said out loud: left to
    itself swscale would take BT.601 for the way in, and shift every hue the LUT sees.
    16 bits a channel in between, and 4:2:0 chroma repeated on the way in and picked on
    the way out (``neighbor``; the size never changes, so only chroma is resampled): the
    round trip is then exact to a code value, where swscale's default bicubic pair blurs
    every colour edge and rings 20-50 code values past it (measured on SMPTE bars)."""
    if not p.luts:
        return []
    return [Filter("scale", in_color_matrix="bt709", in_range="tv", flags="neighbor"), Filter("format", "gbrp16le"),
            *[Filter("lut3d", file=File(os.fspath(lut))) for lut in p.luts],
            Filter("scale", **FROM_RGB, flags="neighbor")]


def _motion(p: Still) -> list[Filter]:
    """A still's zoom and pan as a per-frame sub-pixel warp of the fitted picture.

    Not ``zoompan``: it crops whole pixels, so a slow move steps and jitters. ``perspective``
    samples the source at 1/256 pixel (cubic), and a rectangle of corners is a plain
    zoom. The window is computed from the frame's place in the WHOLE still (``head``
    frames before this piece, ``tail`` after), so a still cut into segments moves as one.
    The warp runs in 4:4:4 (perspective is 8-bit only, and chroma at full size keeps
    colour edges as sharp as luma); the fitted picture is BT.709 limited already."""
    m = p.motion
    if m is None:
        return []
    total = p.head + p.frames + p.tail
    # perspective's `in` counts frames from 1 (ffmpeg 9.0's vf_perspective evaluates
    # frame_count_out + 1), so the item's frame number is in - 1 + head.
    at = f"(in+{p.head - 1})/{total - 1}" if total > 1 else "0"

    def lerp(a: float | Fraction, b: float | Fraction) -> str:
        a, b = Fraction(str(a)), Fraction(str(b))
        return number(a) if a == b else f"({number(a)}+{number(b - a)}*{at})"

    scale = f"(1/{lerp(*m.zoom)})"  # the window's size as a fraction of the frame

    def edge(size: str, axis: int) -> str:
        """The window's first edge along an axis, kept inside the picture, in pixel
        coordinates that sample pixel centres: perspective maps output pixel x to source
        position L + x*s, and the centre of output pixel x lies at L + (x+0.5)*s - 0.5."""
        centre = lerp(m.focus[0][axis], m.focus[1][axis])
        return f"(clip({size}*{centre}-{size}*{scale}/2,0,{size}-{size}*{scale})+({scale}-1)/2)"

    left, top = edge("W", 0), edge("H", 1)
    right, bottom = f"({left}+W*{scale})", f"({top}+H*{scale})"
    return [Filter("format", "yuv444p"),
            Filter("perspective", x0=left, y0=top, x1=right, y1=top, x2=left, y2=bottom, x3=right, y3=bottom,
                   interpolation="cubic", eval="frame")]


MAX_DETAIL = 2  # a warp at most 2x the output's size a side (4x the pixels)


def _detail(p: Still, frame: tuple[int, int]) -> Fraction:
    """How much larger than the output a moving still is fitted, so that zooming in shows
    the source's own detail rather than an enlargement of the fitted picture: up to the
    largest zoom, as far as the source has pixels to give (1 when nothing moves)."""
    if p.motion is None or p.fit == "stretch":
        return Fraction(1)
    width, height = p.media.display_size
    # Source pixels per output pixel once fitted: contain scales by the smaller ratio
    # (output / source), cover by the larger.
    ratios = (Fraction(width, frame[0]), Fraction(height, frame[1]))
    spare = max(ratios) if p.fit == "contain" else min(ratios)
    k = min(Fraction(str(max(p.motion.zoom))), spare, Fraction(MAX_DETAIL))
    return k if k >= Fraction(11, 10) else Fraction(1)  # below 10 % it is not worth the work


def _even(value: Fraction) -> int:
    return max(2, round(value / 2) * 2)


def _still_over_background(g: GraphBuilder, p: Still, out: OutputSpec, frame: tuple[int, int], source: Link) -> Link:
    """A still with transparency, laid over the background colour so it keeps its shape."""
    still = g.chain([source], [_FIRST, Filter("scale", *frame, force_original_aspect_ratio="decrease")
                               if p.fit != "stretch" else Filter("scale", *frame),
                               Filter("format", "rgba"), *_repeat(p)], "v")
    back = g.chain([], [Filter("color", c=ffmpeg_colour(out.background), s=f"{frame[0]}x{frame[1]}", r=str(out.fps)),
                        Filter("format", "rgb24")], "v")
    return g.chain([back, still], [Filter("overlay", "(W-w)/2", "(H-h)/2", shortest=1), Filter("scale", **FROM_RGB),
                                   *_motion(p), *_look(p), *_tail(out, p.frames, False)], "v")


def join_pictures(g: GraphBuilder, placements: list[Placement], joins: list[Join], pictures: list[Link],
                   rate: Fraction) -> Link:
    """Concatenate runs of cut-joined pictures; xfade at transitions (its offset is on the
    chain's output timeline, computed from exact frame counts)."""
    run = [pictures[0]]
    length = placements[0].frames  # frames of the chain built so far
    for n, (join, p) in enumerate(zip(joins, placements[1:]), start=1):
        if join.frames:
            run = [g.chain([_concat(g, run, rate), pictures[n]], [
                Filter("xfade", transition=XFADE_NAMES[join.transition], duration=Fraction(join.frames) / rate,
                       offset=Fraction(length - join.frames) / rate)], "v")]
        else:
            run.append(pictures[n])
        length += p.frames - join.frames
    return _concat(g, run, rate)


def _concat(g: GraphBuilder, links: list[Link], rate: Fraction) -> Link:
    if len(links) == 1:
        return links[0]
    # concat's output has another time base; xfade needs 1/fps on both inputs again.
    return g.chain(links, [Filter("concat", n=len(links), v=1, a=0), Filter("settb", str(1 / rate)),
                           Filter("setpts", "N")], "v")
