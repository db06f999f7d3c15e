"""Compile any interval of a timeline into one ffmpeg job: input arguments, a filter graph
and output arguments. Pure: no files, no processes.

Contract: ``(Timeline, start frame, end frame)`` -> :class:`Job`. The job's graph yields
exactly ``end - start`` frames at the output rate and exactly
``sample(end) - sample(start)`` samples of sound, whatever the sources are.

How each item becomes exact (ffmpeg quirks noted where they bite):

* every picture chain ends ``format -> trim=end_frame=N -> settb=1/fps -> setpts=N``: the
  ``fps`` filter can emit one frame too many at the end of a 24/25 fps piece, and a
  source may run a frame short, so clips get ``tpad`` (clone the last frame) before the
  trim; pts are then frame numbers, which xfade needs (same time base on both inputs);
* every sound chain ends ``apad=whole_len=S -> atrim=end_sample=S`` with S from the
  timeline's sample grid; a soundless item gets ``anullsrc`` of the same S, so that
  ``acrossfade`` always has sound on both sides;
* cuts are one ``concat`` per run of cut-joined items, transitions are ``xfade`` and
  ``acrossfade`` over the same overlap; xfade's offset is on the chain's output timeline,
  computed from exact frame counts.

Imports ``timeline`` (types), ``graph``, ``mix``, ``escape``; never subprocess, never the disk.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass, replace
from fractions import Fraction

from .escape import ffmetadata
from .escape import value as escape_value
from .graph import Filter, GraphBuilder, Link, number
from .mix import aformat as _aformat
from .mix import gain_filters, loudness_scan, mix_cues, voices
from .media import MediaInfo
from .timeline import Join, OutputSpec, Placement, Timeline

__all__ = ["Job", "SEGMENT_THREADS", "compile_assembly", "compile_encode", "compile_level", "compile_scan",
           "compile_segment", "compile_sound", "compile_stem", "compile_timeline", "chapters_text", "job_key",
           "sound_key"]

SEGMENT_THREADS = 1  # part of every segment's key: see compile_segment

_ALPHA_FORMATS = ("rgba", "bgra", "argb", "abgr", "ya8", "ya16", "yuva", "rgba64", "gbrap", "pal8")


@dataclass(frozen=True)
class Job:
    """One ffmpeg run. The runner adds the binary, the graph script's flag and file, and one
    path after each output group:
    ``ffmpeg [global] *inputs [<script flag> <script file>] (*group <path>)...``.
    ``paths`` lists the files the job reads (inputs and fonts), as they appear in it."""

    inputs: tuple[str, ...]
    graph: str | None
    outputs: tuple[tuple[str, ...], ...]
    frames: int
    duration: Fraction
    paths: tuple[str, ...] = ()
    fonts: tuple[str, ...] | None = None  # font folders for a private fontconfig; None: no text by family


def compile_timeline(timeline: Timeline, start: int = 0, end: int | None = None, *,
                     loudness: dict | None = None, picture: bool = True, chapters: str | None = None,
                     burn: str | None = None, soft: str | None = None) -> Job:
    """Frames ``[start, end)`` of the timeline (default: all of it) as one finished file,
    every sound mixed in. ``loudness`` (a first pass's measurement) sets the level to the
    timeline's target; ``picture=False`` makes the sound alone (for measuring it);
    ``chapters`` names an FFMETADATA file (see :func:`chapters_text`); ``burn`` an ASS file
    of the interval's subtitles (``captions.ass_text``), ``soft`` an SRT to carry as a
    subtitle stream."""
    inputs, graph, paths, frames, fonts = _graph(timeline, start, end, picture=picture, cues=True,
                                                 finish=_finish(timeline, loudness, scan=not picture), burn=burn)
    group = _output_args(timeline.output) if picture else ("-map", "[aout]", "-f", "null")
    if soft and picture:
        group = (*group[:4], *_subtitle_stream(timeline, inputs.count("-i")), *group[4:])
        inputs, paths = (*inputs, "-i", soft), (*paths, soft)
    if chapters:
        group = _chaptered(group, inputs.count("-i"))
        inputs, paths = (*inputs, "-f", "ffmetadata", "-i", chapters), (*paths, chapters)
    return Job(inputs, graph, (group,), frames, Fraction(frames) / timeline.output.fps, paths, fonts)


def _subtitle_stream(timeline: Timeline, source: int) -> tuple[str, ...]:
    """Map input ``source`` (an SRT) as the output's text stream (mov_text: what MP4 players read)."""
    language = timeline.captions.language if timeline.captions else None
    return ("-map", f"{source}:s:0", "-c:s", "mov_text", *(("-metadata:s:s:0", f"language={language}")
                                                          if language else ()))


def compile_segment(timeline: Timeline, start: int, end: int, *, threads: int = SEGMENT_THREADS,
                    burn: str | None = None) -> Job:
    """Frames ``[start, end)`` as a segment: picture (MP4, no sound) and sound (WAV, float).

    Segments of one timeline join seamlessly: the same encoder settings, each starting on
    a keyframe with exact frame and sample counts, and a fixed encoder thread count, so
    that a segment's bytes do not depend on the machine that made it (x264's output
    depends on its thread count). One thread: the parallelism comes from rendering
    segments side by side (-j), which measured as fast on 2 cores with 10 % less memory.
    ``burn`` is an ASS file of the segment's subtitles on the segment's own clock."""
    inputs, graph, paths, frames, fonts = _graph(timeline, start, end, picture=True, cues=False, finish=[], burn=burn)
    out = timeline.output
    video = ("-map", "[vout]", *_video_codec(out), "-threads", str(threads),
             "-video_track_timescale", str(_timescale(out.fps)), *_BITEXACT, "-f", "mp4")
    audio = ("-map", "[aout]", "-c:a", "pcm_f32le", *_BITEXACT, "-f", "wav")
    return Job(inputs, graph, (video, audio), frames, Fraction(frames) / out.fps, paths, fonts)


def compile_sound(audio_list: str, timeline: Timeline, *, pcm: bool = False) -> Job:
    """The episode's sound as one unit: the segments' exact PCM joined (AAC cannot be cut
    into pieces and joined by copy: priming and padding leave gaps), every other sound
    mixed in, encoded once, or kept as float PCM (``pcm``) for a loudness pass. The list
    is a concat-demuxer file (see ``escape.concat_list``)."""
    out = timeline.output
    g = GraphBuilder()
    main = g.chain([g.input(0, "a")], [_aformat(out)], "a")
    mixed, inputs, paths = mix_cues(g, main, timeline, 1, 0, timeline.samples)
    g.chain([mixed], [_aformat(out)], "a", name="aout")
    codec = ("-c:a", "pcm_f32le", *_BITEXACT, "-f", "wav") if pcm else (*_audio_codec(out), *_BITEXACT, "-f", "mp4")
    return Job(("-f", "concat", "-safe", "0", "-i", audio_list, *inputs), g.build().script(),
               (("-map", "[aout]", *codec),), timeline.frames, timeline.duration, (audio_list, *paths))


def compile_stem(timeline: Timeline, role: str, gain_db: float | None) -> Job:
    """One role's share of the sound (the clips' own sound of that role and its cues),
    time-aligned with the output and at the mix's gain, as 24-bit WAV for a sound editor."""
    g = GraphBuilder()
    inputs: list[str] = []
    paths: list[str] = []
    audio = voices(g, timeline, 0, timeline.samples, inputs, paths, {}, role=role)
    audio, more, files = mix_cues(g, audio, timeline, inputs.count("-i"), 0, timeline.samples, role=role)
    gain = [Filter("volume", f"{gain_db:.2f}dB")] if gain_db else []
    g.chain([audio], [*gain, _aformat(timeline.output)], "a", name="aout")
    group = ("-map", "[aout]", "-c:a", "pcm_s24le", *_BITEXACT, "-f", "wav")
    return Job((*inputs, *more), g.build().script(), (group,), timeline.frames, timeline.duration,
               tuple(dict.fromkeys([*paths, *files])))


def compile_scan(source: str, timeline: Timeline) -> Job:
    """Measure a sound's loudness (ffmpeg prints the figures; nothing is written)."""
    g = GraphBuilder()
    g.chain([g.input(0, "a")], [loudness_scan()], "a", name="aout")
    return Job(("-i", source), g.build().script(), (("-map", "[aout]", "-f", "null"),), timeline.frames,
               timeline.duration, (source,))


def compile_level(source: str, timeline: Timeline, measured: dict) -> Job:
    """A sound (PCM) brought to the timeline's loudness target, as float PCM."""
    g = GraphBuilder()
    g.chain([g.input(0, "a")], [*_finish(timeline, measured, scan=False), _aformat(timeline.output)], "a",
            name="aout")
    return Job(("-i", source), g.build().script(), (("-map", "[aout]", "-c:a", "pcm_f32le", *_BITEXACT, "-f", "wav"),),
               timeline.frames, timeline.duration, (source,))


def compile_encode(source: str, timeline: Timeline) -> Job:
    """A finished sound (PCM) encoded for the output."""
    group = ("-map", "0:a:0", *_audio_codec(timeline.output), *_BITEXACT, "-f", "mp4")
    return Job(("-i", source), None, (group,), timeline.frames, timeline.duration, (source,))


def _finish(timeline: Timeline, loudness: dict | None, *, scan: bool) -> list[Filter]:
    """What ends the sound: a loudness measurement, the level for the target, or nothing."""
    if scan:
        return [loudness_scan()]
    if loudness is not None and timeline.loudness is not None:
        return gain_filters(loudness, timeline.loudness, timeline.output.sample_rate)
    return []


def compile_assembly(video_list: str, sound: str, timeline: Timeline, chapters: str | None = None,
                     soft: str | None = None) -> Job:
    """The finished file: the segments' pictures joined by stream copy, muxed with the sound
    and, when given, a subtitle stream (``soft``, an SRT file) and the chapters (an
    FFMETADATA file, see :func:`chapters_text`)."""
    inputs = ["-f", "concat", "-safe", "0", "-i", video_list, "-i", sound]
    group = ["-map", "0:v:0", "-map", "1:a:0", "-c", "copy"]
    if soft:
        group += _subtitle_stream(timeline, 2)
        inputs += ["-i", soft]
    marks = inputs.count("-i") if chapters else None
    inputs += ["-f", "ffmetadata", "-i", chapters] if chapters else []
    group += [*_chaptered(_BITEXACT, marks), "-movflags", "+faststart"]
    return Job(tuple(inputs), None, (tuple(group),), timeline.frames, timeline.duration,
               tuple(p for p in (video_list, sound, soft, chapters) if p))


def chapters_text(timeline: Timeline) -> str | None:
    """The timeline's markers as FFMETADATA chapters (each runs to the next marker or the
    end), or None when there are none."""
    if not timeline.chapters:
        return None
    rate = timeline.output.fps
    ends = [frame for frame, _ in timeline.chapters[1:]] + [timeline.frames]
    lines = [";FFMETADATA1"]
    for (frame, name), end in zip(timeline.chapters, ends):
        lines += ["[CHAPTER]", f"TIMEBASE={rate.denominator}/{rate.numerator}", f"START={frame}", f"END={end}",
                  f"title={ffmetadata(name)}"]
    return "\n".join(lines) + "\n"


def sound_key(segment_keys: list[str], out: OutputSpec, salt: str) -> str:
    """The content key of the episode's sound: its pieces, in order, and how it is encoded."""
    canonical = json.dumps({"salt": salt, "sound": segment_keys, "codec": list(_audio_codec(out))})
    return hashlib.sha256(canonical.encode()).hexdigest()


def job_key(job: Job, fingerprints: dict[str, str], salt: str) -> str:
    """A stable content key (sha256) of what a job makes: its arguments and graph with every
    file path replaced by that file's fingerprint (so a moved file keeps its key), plus
    ``salt`` (format version, ffmpeg build). Never Python's ``hash()``."""
    def swap(text: str) -> str:
        for path in sorted(job.paths, key=len, reverse=True):
            text = text.replace(path, fingerprints[path]).replace(escape_value(path), fingerprints[path])
        return text

    # Files read without appearing in the text (a font found by family name) count too.
    canonical = json.dumps({"salt": salt, "inputs": [swap(a) for a in job.inputs], "graph": swap(job.graph or ""),
                            "outputs": [list(g) for g in job.outputs], "frames": job.frames,
                            "reads": [fingerprints[p] for p in job.paths], "fonts": job.fonts is not None},
                           sort_keys=True, ensure_ascii=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _timescale(rate: Fraction) -> int:
    """An MP4 time scale in which every frame time of ``rate`` is an integer."""
    scale = rate.numerator
    while scale < 10000:
        scale *= 2
    return scale


def _graph(timeline: Timeline, start: int, end: int | None, *, picture: bool, cues: bool,
           finish: list[Filter], burn: str | None = None) -> tuple[tuple[str, ...], str, tuple[str, ...], int,
                                                                   tuple[str, ...] | None]:
    """Frames ``[start, end)`` of the picture (if ``picture``) and the samples they span of
    the main track's sound (its voices, which J/L cuts may move), and with ``cues`` every
    other sound mixed in; ``burn`` draws an ASS file over the picture. Returns input
    arguments, graph script, files read, frames, and the font folders text needs."""
    end = timeline.frames if end is None else end
    if not 0 <= start < end <= timeline.frames:
        raise ValueError(f"interval [{start}, {end}) is not inside the timeline [0, {timeline.frames})")
    out = timeline.output
    g = GraphBuilder()
    inputs: list[str] = []
    paths: list[str] = []
    shown: dict[int, tuple[Placement, int | None]] = {}  # picture placements and their input
    fonts: tuple[str, ...] | None = None
    video = None
    if picture:
        chosen = [k for k, p in enumerate(timeline.placements) if p.start < end and p.end > start]
        joins = [timeline.joins[k] for k in chosen[:-1]]
        placements = _narrow([timeline.placements[k] for k in chosen], joins, start, end, out.fps)
        pictures = []
        for k, p in zip(chosen, placements):
            args = _input_args(p, out)
            index = inputs.count("-i") if args else None
            inputs += args
            paths += [args[-1]] if args else []
            if p.kind == "title" and p.text and p.font:
                paths.append(os.fspath(p.font))
                fonts = () if p.font_family and fonts is None else fonts
            paths += [os.fspath(lut.resolve()) for lut in p.luts]  # in the key: a changed LUT renders again
            pictures.append(_picture(g, p, out, index))
            shown[k] = (p, index)
        video = _join_pictures(g, placements, joins, pictures, out.fps)
        first = placements[0]
        trim = [Filter("trim", start_frame=start - first.start, end_frame=end - first.start),
                Filter("setpts", "PTS-STARTPTS")] if start > first.start or end < placements[-1].end else []
        video = g.chain([video], trim, "v") if trim else video
        video = _draw_layers(g, timeline, start, end, video, inputs, paths)
        fonts = () if fonts is None and any(x.font_family for x in timeline.layers if x.start < end and x.end > start) \
            else fonts
        trim, words = [], []
        if burn and timeline.captions:
            # Fonts by family through the private fontconfig; the ASS's clock is the interval's.
            words = [Filter("subtitles", filename=burn)]
            paths += [burn, timeline.captions.font_file]
            fonts = tuple(dict.fromkeys([*(fonts or ()), *timeline.captions.font_dirs]))
        g.chain([video], [*trim, *words, Filter("format", pix_fmts=out.video.pix_fmt)], "v", name="vout")
    origin, stop = timeline.sample(start), timeline.sample(end)
    audio = voices(g, timeline, origin, stop, inputs, paths, shown)
    if cues:
        audio, more, files = mix_cues(g, audio, timeline, inputs.count("-i"), origin, stop - origin)
        inputs += more
        paths += files
    g.chain([audio], [*finish, _aformat(out)], "a", name="aout")
    return tuple(inputs), g.build().script(), tuple(dict.fromkeys(paths)), end - start, fonts


def _draw_layers(g: GraphBuilder, timeline: Timeline, start: int, end: int, video: Link, inputs: list[str],
                 paths: list[str]) -> Link:
    """The overlays shown in frames ``[start, end)``, over the picture (pts: frame numbers
    from ``start``), in order. Each layer's stream holds only the frames it shows; fades
    are computed on the layer's own clock, so a layer cut by an interval is seamless."""
    out = timeline.output
    rate = out.fps
    for layer in timeline.layers:
        if layer.start >= end or layer.end <= start:
            continue
        first, last = max(layer.start, start), min(layer.end, end)
        head, count, offset = first - layer.start, last - first, first - start  # frames
        if layer.kind == "title":
            video = g.chain([video], [_layer_text(layer, rate, head, offset, count)], "v")
            paths.append(os.fspath(layer.font))
            continue
        if layer.kind == "color":
            source = [Filter("color", c=layer.color, s=f"{layer.width}x{layer.height}", r=str(rate)),
                      Filter("format", "rgba")]
            links: list[Link] = []
        else:
            assert layer.media is not None
            path = os.fspath(layer.media.path.resolve())
            paths.append(path)
            # Read by a `movie` source inside the graph, not as an input: with its picture
            # from another demuxer, overlay hung now and then in ffmpeg 9 (about 1 run in 20).
            if layer.kind == "image":
                # Scaled once, then repeated: a logo costs one scale, not one a frame.
                source = [Filter("movie", filename=path), Filter("scale", layer.width, layer.height),
                          Filter("format", "rgba"), Filter("loop", loop=count - 1, size=1, start=0)]
            else:
                skip = layer.source_in + Fraction(head) / rate
                # seek_point lands on the keyframe before; trim drops what comes before `skip`,
                # and fps then samples the source from `skip` on the output grid, as for a clip
                # of the main track.
                source = [Filter("movie", filename=path, seek_point=number(skip), dec_threads=1),
                          Filter("trim", start=number(skip)), Filter("setpts", f"PTS-{number(skip)}/TB"),
                          *_upright(layer.media.rotation), Filter("fps", str(rate), start_time=0),
                          Filter("scale", layer.width, layer.height), Filter("format", "rgba"),
                          Filter("tpad", stop=-1, stop_mode="clone")]
            links = []
        if layer.opacity < 1:
            source.append(Filter("colorchannelmixer", aa=f"{layer.opacity:.4f}"))
        source += [Filter("trim", end_frame=count), Filter("settb", str(1 / rate))]
        fade_in, fade_out = layer.fades
        fades = []
        # Only where this interval meets a fade, so that a still logo's pieces do not
        # depend on where they sit.
        if fade_in and head < fade_in:
            fades.append(Filter("fade", t="in", st=0, d=Fraction(fade_in) / rate, alpha=1))
        if fade_out and head + count > layer.frames - fade_out:
            fades.append(Filter("fade", t="out", st=Fraction(layer.frames - fade_out) / rate,
                                d=Fraction(fade_out) / rate, alpha=1))
        if fades:
            source += [Filter("setpts", f"N+{head}"), *fades, Filter("setpts", f"PTS-{head}+{offset}")]
        else:
            source.append(Filter("setpts", f"N+{offset}"))
        # Into the picture's BT.709 by hand: overlay's own conversion would use BT.601.
        source += [Filter("scale", **_FROM_RGB), Filter("format", "yuva420p")]
        drawn = g.chain(links, source, "v")
        video = g.chain([video, drawn], [Filter("overlay", layer.x, layer.y, eof_action="pass", repeatlast=0,
                                                format="yuv420")], "v")
    return video


def _upright(rotation: int) -> list[Filter]:
    """Turn a picture as its display matrix says (inputs get this from ffmpeg; `movie` does not)."""
    return {90: [Filter("transpose", "cclock")], 180: [Filter("hflip"), Filter("vflip")],
            270: [Filter("transpose", "clock")]}.get(rotation, [])


def _layer_text(layer, rate: Fraction, head: int, offset: int, count: int) -> Filter:
    """A title layer: text drawn straight on the picture while it shows."""
    fx, fy = layer.text_at
    face = {"font": _fontconfig_name(layer.font_family)} if layer.font_family else {"fontfile": os.fspath(layer.font)}
    fade_in, fade_out = layer.fades
    ahead = Fraction(head - offset) / rate  # the layer's own clock less the interval's
    clock = "t" if not ahead else f"(t+{number(ahead)})" if ahead > 0 else f"(t-{number(-ahead)})"
    rise = f"min(1,{clock}/{number(Fraction(fade_in) / rate)})" if fade_in else "1"
    fall = f"min(1,({number(Fraction(layer.frames) / rate)}-{clock})/{number(Fraction(fade_out) / rate)})" \
        if fade_out else "1"
    alpha = f"{layer.opacity:.4f}*max(0,min({rise},{fall}))" if fade_in or fade_out else f"{layer.opacity:.4f}"
    return Filter("drawtext", **face, expansion="none", text=layer.text, fontsize=layer.font_size,
                  fontcolor=layer.text_color, x=f"w*{fx:.4f}-text_w/2", y=f"h*{fy:.4f}-text_h/2", text_align="center",
                  alpha=alpha, enable=f"between(n,{offset},{offset + count - 1})")


def _narrow(placements: list[Placement], joins: list[Join], start: int, end: int, rate: Fraction) -> list[Placement]:
    """Drop what an interval does not show from its first and last placements, so that
    ffmpeg neither decodes nor trims it. A clip's in-point moves by exactly the skipped
    frames, so each remaining frame samples the source where the whole render would.
    Frames inside a transition stay (the cross-fade needs both sides whole)."""
    placements = list(placements)
    first = placements[0]
    outgoing = joins[0].frames if joins else 0
    skip = min(max(0, start - first.start), first.frames - max(outgoing, 1))
    if skip > 0:
        placements[0] = replace(first, start=first.start + skip, frames=first.frames - skip, head=first.head + skip,
                                source_in=first.source_in + skip * first.speed / rate)
    last = placements[-1]
    incoming = joins[-1].frames if joins else 0
    cut = min(max(0, last.end - end), last.frames - max(incoming, 1))
    if cut > 0:
        placements[-1] = replace(last, frames=last.frames - cut, tail=last.tail + cut)
    return placements


def _input_args(p: Placement, out: OutputSpec) -> list[str]:
    if p.kind == "clip":
        assert p.media is not None
        needed = Fraction(p.frames) / out.fps * p.speed
        # Read a little past the end: fps rounding and tpad take care of the exact count.
        margin = max(Fraction(2) / (p.media.fps or out.fps), Fraction(1, 10))
        args = ["-ss", number(p.source_in)] if p.source_in else []
        # One decoding thread: segments already run side by side, and each extra frame
        # thread holds frames of its own (about 25 MB a 720p input, measured).
        return [*args, "-threads", "1", "-t", number(needed + margin), "-i", os.fspath(p.media.path.resolve())]
    if p.kind == "image" or (p.kind == "title" and p.media is not None):  # a still, or a title's picture
        assert p.media is not None
        return ["-loop", "1", "-framerate", str(out.fps), "-t", number(Fraction(p.frames + 1) / out.fps),
                "-i", os.fspath(p.media.path.resolve())]
    return []


# The output is BT.709, limited range, and says so: players assume BT.709 for HD, and an
# RGB still or card converted with swscale's default (BT.601) matrix would shift in hue.
_TAG_BT709 = Filter("setparams", color_primaries="bt709", color_trc="bt709", colorspace="bt709", range="tv")
_FROM_RGB = {"out_color_matrix": "bt709", "out_range": "tv"}
_RGB_FORMATS = ("rgb", "bgr", "gbr", "argb", "abgr", "pal8", "gray", "ya", "monob", "monow")


def _colour(media: MediaInfo) -> dict[str, str]:
    """swscale options that bring a source to BT.709 limited range; {} when it is already
    (HD video that is BT.709 or, like most generator output, untagged passes untouched)."""
    if media.pix_fmt is None or media.pix_fmt.startswith(_RGB_FORMATS):
        return dict(_FROM_RGB)
    options = {}
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


def _fit(p: Placement, out: OutputSpec) -> list[Filter]:
    """Scale into the output frame by the item's fit mode; nothing when it already fits."""
    media = p.media
    assert media is not None
    w, h = out.width, out.height
    colour = _colour(media)  # done by the same swscale pass as any resizing
    filters = []
    if media.sar != 1:
        # Make pixels square first, so fitting sees the picture as it is meant to look.
        filters += [Filter("scale", "trunc(iw*sar/2)*2", "ih", **colour), Filter("setsar", 1)]
        colour = {}
    if media.display_size == (w, h):
        return [*filters, *([Filter("scale", **colour)] if colour else []), Filter("setsar", 1)]
    if p.fit == "cover":
        filters += [Filter("scale", w, h, force_original_aspect_ratio="increase", **colour), Filter("crop", w, h)]
    elif p.fit == "stretch":
        filters += [Filter("scale", w, h, **colour)]
    else:
        filters += [Filter("scale", w, h, force_original_aspect_ratio="decrease", **colour),
                    Filter("pad", w, h, "(ow-iw)/2", "(oh-ih)/2", color=out.background)]
    return [*filters, Filter("setsar", 1)]


def _picture(g: GraphBuilder, p: Placement, out: OutputSpec, index: int | None) -> Link:
    size = f"{out.width}x{out.height}"
    # A title stands on its picture (fitted like any still) or on a generated colour.
    over = [g.input(index, "v")] if p.kind == "title" and p.media is not None and index is not None else []
    card = [*(_fit(p, out) if over else [Filter("color", c=p.color, s=size, r=str(out.fps))]), Filter("format", "rgb24")]
    if p.kind == "title" and p.text:
        assert p.font is not None
        fx, fy = p.text_at
        face = {"font": _fontconfig_name(p.font_family)} if p.font_family else {"fontfile": os.fspath(p.font)}
        card.append(Filter("drawtext", **face, expansion="none", text=p.text,
                           fontsize=p.font_size, fontcolor=p.text_color, x=f"w*{fx:.4f}-text_w/2",
                           y=f"h*{fy:.4f}-text_h/2", text_align="center", alpha=_text_alpha(p, out.fps)))
    if p.kind in ("color", "title"):  # a title without text is a plain card
        return g.chain(over, [*card, Filter("scale", **_FROM_RGB), *_look(p), *_tail(out, p.frames, False)], "v")
    assert index is not None and p.media is not None
    source = g.input(index, "v")
    if p.kind == "image":
        if p.media.pix_fmt and p.media.pix_fmt.startswith(_ALPHA_FORMATS):
            return _still_over_background(g, p, out, source)
        return g.chain([source], [*_fit(p, out), *_motion(p), *_look(p), *_tail(out, p.frames, False)], "v")
    # After an input -ss, time 0 is the in-point itself (not the first frame kept), and
    # fps samples the source from 0 on the output grid: output frame i always shows the
    # source frame nearest to in + i*speed/fps, however the clip is cut into intervals.
    timing = [Filter("setpts", f"PTS*{p.speed.denominator}/{p.speed.numerator}")] if p.speed != 1 else []
    rate = Filter("fps", str(out.fps), start_time=0)
    # Thin out frames before scaling when the source is faster than the output, and
    # scale before duplicating frames when it is slower: less work either way.
    faster = (p.media.fps or out.fps) / p.speed > out.fps
    body = [rate, *_fit(p, out)] if faster else [*_fit(p, out), rate]
    return g.chain([source], [*timing, *body, *_look(p), *_tail(out, p.frames, True)], "v")


def _fontconfig_name(family: str) -> str:
    """A family as a fontconfig pattern, whose own syntax gives - : , and \\ meanings."""
    for char in "\\-:,":
        family = family.replace(char, "\\" + char)
    return family


def _text_alpha(p: Placement, rate: Fraction) -> str | int:
    """drawtext's opacity over the card's own time (which an interval may start inside:
    ``head`` frames are counted in), ramping over the fades."""
    fade_in, fade_out = p.text_fades
    if not fade_in and not fade_out:
        return 1
    total = p.head + p.frames + p.tail  # the whole card, wherever this piece of it lies
    clock = f"(t+{number(Fraction(p.head) / rate)})" if p.head else "t"
    rise = f"min(1,{clock}/{number(Fraction(fade_in) / rate)})" if fade_in else "1"
    fall = f"min(1,({number(Fraction(total) / rate)}-{clock})/{number(Fraction(fade_out) / rate)})" if fade_out else "1"
    return f"max(0,min({rise},{fall}))"


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
            *[Filter("lut3d", file=os.fspath(lut.resolve())) for lut in p.luts],
            Filter("scale", **_FROM_RGB, flags="neighbor")]


def _motion(p: Placement) -> list[Filter]:
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

    def lerp(a: float, b: float) -> str:
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


def _still_over_background(g: GraphBuilder, p: Placement, out: OutputSpec, source: Link) -> Link:
    """A still with transparency, laid over the background colour so it keeps its shape."""
    size = f"{out.width}x{out.height}"
    still = g.chain([source], [Filter("scale", out.width, out.height, force_original_aspect_ratio="decrease")
                               if p.fit != "stretch" else Filter("scale", out.width, out.height),
                               Filter("format", "rgba")], "v")
    back = g.chain([], [Filter("color", c=out.background, s=size, r=str(out.fps)), Filter("format", "rgb24")], "v")
    return g.chain([back, still], [Filter("overlay", "(W-w)/2", "(H-h)/2", shortest=1), Filter("scale", **_FROM_RGB),
                                   *_motion(p), *_look(p), *_tail(out, p.frames, False)], "v")


def _join_pictures(g: GraphBuilder, placements: list[Placement], joins: list[Join], pictures: list[Link],
                   rate: Fraction) -> Link:
    """Concatenate runs of cut-joined pictures; xfade at transitions (its offset is on the
    chain's output timeline, computed from exact frame counts)."""
    run = [pictures[0]]
    length = placements[0].frames  # frames of the chain built so far
    for n, (join, p) in enumerate(zip(joins, placements[1:]), start=1):
        if join.frames:
            run = [g.chain([_concat(g, run, rate), pictures[n]], [
                Filter("xfade", transition=join.transition, duration=Fraction(join.frames) / rate,
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


# Same inputs, same binary -> same bytes: no encoder strings, dates or source metadata.
_BITEXACT = ("-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact")


def _chaptered(args: tuple[str, ...], source: int | None) -> tuple[str, ...]:
    """Take chapters, and the (empty) global metadata, from the FFMETADATA input ``source``:
    ``-map_metadata -1`` would also blank the chapters' titles."""
    if source is None:
        return args
    at = args.index("-map_metadata")
    return (*args[:at], "-map_metadata", str(source), "-map_chapters", str(source), *args[at + 2:])


def _video_codec(out: OutputSpec) -> tuple[str, ...]:
    v = out.video
    args = ["-c:v", v.codec, "-colorspace", "bt709", "-color_primaries", "bt709", "-color_trc", "bt709",
            "-color_range", "tv"]
    if v.preset:
        args += ["-preset", v.preset]
    if v.crf is not None and not v.bitrate:
        args += ["-crf", str(v.crf)]
    if v.bitrate:
        args += ["-b:v", v.bitrate]
    return (*args, "-pix_fmt", v.pix_fmt)


def _audio_codec(out: OutputSpec) -> tuple[str, ...]:
    a = out.audio
    args = ["-c:a", a.codec] + (["-b:a", a.bitrate] if a.bitrate else [])
    return (*args, "-ar", str(out.sample_rate), "-ac", str(out.channels))


def _output_args(out: OutputSpec) -> tuple[str, ...]:
    return ("-map", "[vout]", "-map", "[aout]", *_video_codec(out), *_audio_codec(out), *_BITEXACT,
            "-movflags", "+faststart")
