"""Compile any interval of a timeline into one ffmpeg job: input arguments, a filter graph
and output arguments. Pure: no files, no processes.

Contract: ``(Timeline, start frame, end frame)`` -> :class:`Job`. The job's graph yields
exactly ``end - start`` frames at the output rate and (but for a segment, which is
picture only) exactly ``sample(end) - sample(start)`` samples of sound, whatever the
sources are; ``(Timeline, start sample, end sample)`` -> a window of the sound.

How each item becomes exact (ffmpeg quirks noted where they bite):

* pictures: see ``picture`` (every item's chain yields exactly its frames);
* every sound chain ends ``apad=whole_len=S -> atrim=end_sample=S`` with S from the
  timeline's sample grid; a soundless item gets ``anullsrc`` of the same S, so that
  ``acrossfade`` always has sound on both sides;
* cuts are one ``concat`` per run of cut-joined items, transitions are ``xfade`` and
  ``acrossfade`` over the same overlap; xfade's offset is on the chain's output timeline,
  computed from exact frame counts.

Imports ``sound``, ``timeline`` (types), ``graph``, ``mix``, ``picture``, ``escape``; never subprocess, never the disk.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction

from assembler.compile.escape import ffmetadata
from assembler.compile.graph import File, Filter, Graph, GraphBuilder, merge
from assembler.compile.mix import aformat as _aformat
from assembler.compile.mix import gain_filters, loop_chain, loudness_scan, mix_sounds, voices
from assembler.compile.overlays import draw_overlays
from assembler.compile.picture import join_pictures, narrow, picture_of, source_of
from assembler.compile.text import draw_info
from assembler.layout.frame import Layout
from assembler.timebase import frames_touched
from assembler.timeline.sounds import PlacedSound
from assembler.timeline.build import OutputSpec, Timeline
from assembler.timeline.items import Card, OverlayText, Placement

__all__ = ["Job", "SEGMENT_THREADS", "compile_assembly", "compile_copy", "compile_level", "compile_loop",
           "compile_mix", "compile_scan", "compile_segment", "compile_sound", "compile_stem", "compile_timeline",
           "compile_together",
           "chapters_text"]

SEGMENT_THREADS = 1  # part of every segment's key: see compile_segment


@dataclass(frozen=True)
class Job:
    """One ffmpeg run. The runner adds the binary, the graph script's flag and file, and one
    path after each output group:
    ``ffmpeg [global] *inputs [<script flag> <script file>] (*group <path>)...``.
    The ``graph`` owns the inputs: their order, the files read, the script."""

    graph: Graph
    outputs: tuple[tuple[str, ...], ...]
    frames: int
    duration: Fraction
    fonts: tuple[str, ...] | None = None  # font folders for a private fontconfig; None: no text by family

    @property
    def inputs(self) -> tuple[str, ...]:
        return self.graph.argv()

    @property
    def script(self) -> str | None:
        """The filter script, or None for a job that only copies streams."""
        return self.graph.script() if self.graph.chains else None

    @property
    def paths(self) -> tuple[str, ...]:
        """The files the job reads (inputs, fonts, LUTs, subtitles), in the order given."""
        return self.graph.files


def compile_timeline(timeline: Timeline, start: int = 0, end: int | None = None, *, laid: Layout | None = None,
                     loudness: dict | None = None, picture: bool = True, chapters: str | None = None,
                     burn: str | None = None, soft: str | None = None, loops: Mapping[str, str] | None = None) -> Job:
    """Frames ``[start, end)`` of the timeline (default: all of it) as one finished file,
    every sound mixed in; its picture as ``laid`` lays it out (needed for a picture).
    ``loudness`` (a first pass's measurement) sets the level to the timeline's target;
    ``picture=False`` makes the sound alone and measures it (levelled first, given ``loudness``);
    ``chapters`` names an FFMETADATA file (see :func:`chapters_text`); ``burn`` an ASS file
    of the interval's subtitles (``subtitles.ass_text``), ``soft`` an SRT to carry as a
    subtitle stream; ``loops`` the copies of long loops' looped parts (``mix.mix_sounds``)."""
    g = GraphBuilder()
    frames, fonts = _graph(g, timeline, laid, start, end, picture=picture, sounds=True,
                           finish=_finish(timeline, loudness, scan=not picture), burn=burn, loops=loops)
    group = _output_args(timeline.output) if picture else ("-map", "[aout]", "-f", "null")
    if soft and picture:
        group = (*group[:4], *_subtitle_stream(timeline, g.source(soft)), *group[4:])
    if chapters:
        group = _chaptered(group, g.source(chapters, "-f", "ffmetadata"))
    return Job(g.build(), (group,), frames, Fraction(frames) / timeline.output.fps, fonts)


def _subtitle_stream(timeline: Timeline, source: int) -> tuple[str, ...]:
    """Map input ``source`` (an SRT) as the output's text stream (mov_text: what MP4 players read)."""
    language = timeline.subtitles.language if timeline.subtitles else None
    return ("-map", f"{source}:s:0", "-c:s", "mov_text", *(("-metadata:s:s:0", f"language={language}")
                                                          if language else ()))


def compile_segment(timeline: Timeline, start: int, end: int, *, laid: Layout, burn: str | None = None) -> Job:
    """Frames ``[start, end)`` as a segment, laid out by ``laid``: picture only (MP4); the
    sound is made apart, in one pass for the whole episode (see :func:`compile_mix`).

    Segments of one timeline join seamlessly: the same encoder settings, each starting on
    a keyframe with exact frame counts, and a fixed encoder thread count, so that a
    segment's bytes do not depend on the machine that made it (x264's output depends on
    its thread count). One thread: the parallelism comes from rendering segments side by
    side (-j), which measured as fast on 2 cores with 10 % less memory.
    ``burn`` is an ASS file of the segment's subtitles on the segment's own clock."""
    g = GraphBuilder()
    frames, fonts = _graph(g, timeline, laid, start, end, picture=True, sounds=False, finish=[], burn=burn, sound=False)
    out = timeline.output
    video = ("-map", "[vout]", *_video_codec(out), "-threads", str(SEGMENT_THREADS),
             "-video_track_timescale", str(_timescale(out.fps)), *_BITEXACT, "-f", "mp4")
    return Job(g.build(), (video,), frames, Fraction(frames) / out.fps, fonts)


def compile_together(jobs: Sequence[Job]) -> Job:
    """Several segment jobs of one stretch of a cut (one per deliverable) as one ffmpeg
    run with an output each, in order: the sources they share are decoded once, and each
    output's frames and encoder are its own job's, so each file's bytes are what its own
    job makes (the cache holds them under that job's key)."""
    graph = merge([job.graph for job in jobs])
    groups = tuple(tuple(f"[g{k}{arg[1:-1]}]" if arg.startswith("[") and arg.endswith("]") else arg for arg in group)
                   for k, job in enumerate(jobs) for group in job.outputs)
    folders = [folder for job in jobs for folder in job.fonts or ()]
    fonts = tuple(dict.fromkeys(folders)) if any(job.fonts is not None for job in jobs) else None
    return Job(graph, groups, max(job.frames for job in jobs), max(job.duration for job in jobs), fonts)


def compile_mix(timeline: Timeline, start: int = 0, end: int | None = None, *, role: str | None = None,
                gain_db: float | None = None, codec: tuple[str, ...] = ("-c:a", "pcm_f32le"),
                loops: Mapping[str, str] | None = None) -> Job:
    """Samples ``[start, end)`` (default: all) of the episode's sound as WAV: the clips' own
    sound, cross-faded and joined as the main track plays them, with every sound mixed in;
    with ``role``, that role's share only (a stem), at ``gain_db``. Windows of the mix
    (``plan.sound_windows``) each open a handful of files and join sample-exactly.
    ``loops``: the copies of long loops' looped parts (see ``mix.mix_sounds``)."""
    end = timeline.samples if end is None else end
    g = GraphBuilder()
    audio = voices(g, timeline, start, end, {}, role=role)
    audio = mix_sounds(g, audio, timeline, start, end - start, role=role, loops=loops)
    gain = [Filter("volume", f"{gain_db:.2f}dB")] if gain_db else []
    g.chain([audio], [*gain, _aformat(timeline.output)], "a", name="aout")
    group = ("-map", "[aout]", *codec, *_BITEXACT, "-f", "wav")
    duration = Fraction(end - start, timeline.output.sample_rate)
    return Job(g.build(), (group,), frames_touched(Fraction(0), duration, timeline.output.fps)[1], duration)


def compile_stem(timeline: Timeline, role: str, gain_db: float | None, start: int = 0,
                 end: int | None = None, loops: Mapping[str, str] | None = None) -> Job:
    """One role's share of the sound, time-aligned with the output and at the mix's gain,
    as 24-bit WAV for a sound editor (samples ``[start, end)`` of it, default all)."""
    return compile_mix(timeline, start, end, role=role, gain_db=gain_db, codec=("-c:a", "pcm_s24le"), loops=loops)


def compile_loop(source: str, placed: PlacedSound, timeline: Timeline) -> Job:
    """The looped part of a long loop's source (``mix.looped_apart``) decoded once, at the
    output's rate and layout, as float WAV: the very samples ``aloop`` would hold, so the
    mix reads it again each time round with nothing held. RF64 past 4 GiB (a long 5.1 bed)."""
    out = timeline.output
    g = GraphBuilder()
    g.chain([g.input(g.source(source), "a")], loop_chain(placed, out), "a", name="aout")
    duration = Fraction(placed.media.duration or 0) - placed.source_in
    return Job(g.build(), (("-map", "[aout]", "-c:a", "pcm_f32le", *_BITEXACT, "-rf64", "auto", "-f", "wav"),),
               frames_touched(Fraction(0), duration, out.fps)[1], duration)


def compile_sound(mix_list: str, timeline: Timeline) -> Job:
    """The episode's sound as one unit: the mixed windows (a concat-demuxer file of
    :func:`compile_mix` WAVs, see ``escape.concat_list``) joined and encoded once (AAC cannot
    be cut into pieces and joined by copy: priming and padding leave gaps)."""
    out = timeline.output
    g = GraphBuilder()
    g.chain([g.input(g.source(mix_list, *_CONCAT), "a")], [_aformat(out)], "a", name="aout")
    codec = (*_audio_codec(out), *_BITEXACT, "-f", "mp4")
    return Job(g.build(), (("-map", "[aout]", *codec),), timeline.frames, timeline.duration)


def compile_copy(pieces_list: str, timeline: Timeline) -> Job:
    """WAV pieces of the same format (a concat-demuxer file) joined by copy."""
    g = GraphBuilder()
    g.source(pieces_list, *_CONCAT)
    return Job(g.build(), (("-map", "0:a:0", "-c", "copy", *_BITEXACT, "-f", "wav"),), timeline.frames,
               timeline.duration)


_CONCAT = ("-f", "concat", "-safe", "0")  # a concat-demuxer list (``escape.concat_list``) as one input


def compile_scan(source: str, timeline: Timeline) -> Job:
    """Measure a sound's loudness (ffmpeg prints the figures; nothing is written)."""
    g = GraphBuilder()
    g.chain([g.input(g.source(source), "a")], [loudness_scan()], "a", name="aout")
    return Job(g.build(), (("-map", "[aout]", "-f", "null"),), timeline.frames, timeline.duration)


def compile_level(source: str, timeline: Timeline, measured: dict, *, encode: bool = False) -> Job:
    """A sound (PCM) brought to the timeline's loudness target, as float PCM, or (``encode``)
    encoded for the output in the same pass."""
    g = GraphBuilder()
    g.chain([g.input(g.source(source), "a")], [*_finish(timeline, measured, scan=False), _aformat(timeline.output)],
            "a", name="aout")
    codec = (*_audio_codec(timeline.output), *_BITEXACT, "-f", "mp4") if encode else \
        ("-c:a", "pcm_f32le", *_BITEXACT, "-f", "wav")
    return Job(g.build(), (("-map", "[aout]", *codec),), timeline.frames, timeline.duration)


def _finish(timeline: Timeline, loudness: dict | None, *, scan: bool) -> list[Filter]:
    """What ends the sound: the level for the target, or nothing; then (``scan``) a loudness
    measurement of the result, as a levelled mix is measured once written out as float PCM."""
    level = gain_filters(loudness, timeline.loudness, timeline.output.sample_rate) \
        if loudness is not None and timeline.loudness is not None else []
    if scan:
        return [*level, _aformat(timeline.output), loudness_scan()] if level else [loudness_scan()]
    return level


def compile_assembly(video_list: str, sound: str, timeline: Timeline, chapters: str | None = None,
                     soft: str | None = None) -> Job:
    """The finished file: the segments' pictures joined by stream copy, muxed with the sound
    and, when given, a subtitle stream (``soft``, an SRT file) and the chapters (an
    FFMETADATA file, see :func:`chapters_text`)."""
    g = GraphBuilder()
    group = ["-map", f"{g.source(video_list, *_CONCAT)}:v:0", "-map", f"{g.source(sound)}:a:0", "-c", "copy"]
    if soft:
        group += _subtitle_stream(timeline, g.source(soft))
    marks = g.source(chapters, "-f", "ffmetadata") if chapters else None
    group += [*_chaptered(_BITEXACT, marks), "-movflags", "+faststart"]
    return Job(g.build(), (tuple(group),), timeline.frames, timeline.duration)


def chapters_text(timeline: Timeline) -> str | None:
    """The timeline's markers as FFMETADATA chapters (each runs to the next marker or the
    end), or None when there are none."""
    if not timeline.markers:
        return None
    rate = timeline.output.fps
    ends = [frame for frame, _ in timeline.markers[1:]] + [timeline.frames]
    lines = [";FFMETADATA1"]
    for (frame, name), end in zip(timeline.markers, ends):
        lines += ["[CHAPTER]", f"TIMEBASE={rate.denominator}/{rate.numerator}", f"START={frame}", f"END={end}",
                  f"title={ffmetadata(name)}"]
    return "\n".join(lines) + "\n"


def _timescale(rate: Fraction) -> int:
    """An MP4 time scale in which every frame time of ``rate`` is an integer."""
    scale = rate.numerator
    while scale < 10000:
        scale *= 2
    return scale


def _graph(g: GraphBuilder, timeline: Timeline, laid: Layout | None, start: int, end: int | None, *, picture: bool,
           sounds: bool,
           finish: list[Filter], burn: str | None = None, sound: bool = True,
           loops: Mapping[str, str] | None = None) -> tuple[int, tuple[str, ...] | None]:
    """Frames ``[start, end)`` of the picture (if ``picture``) and (if ``sound``) the samples
    they span of the main track's sound (its voices, which J/L cuts may move), and with
    ``sounds`` every other sound mixed in, into ``g``; ``burn`` draws an ASS file over the
    picture. Returns the frames, and the font folders text needs."""
    end = timeline.frames if end is None else end
    if not 0 <= start < end <= timeline.frames:
        raise ValueError(f"interval [{start}, {end}) is not inside the timeline [0, {timeline.frames})")
    out = timeline.output
    shown: dict[int, tuple[Placement, int | None]] = {}  # picture placements and their input
    fonts: tuple[str, ...] | None = None
    video = None
    if picture:
        assert laid is not None, "a picture is drawn to a layout"
        chosen = timeline.shown(start, end)
        joins = [timeline.joins[k] for k in chosen[:-1]]
        placements = narrow([timeline.placements[k] for k in chosen], joins, start, end, out.fps)
        pictures = []
        for k, p in zip(chosen, placements):
            index = source_of(g, p, out)
            if isinstance(p, Card) and p.text.text:
                g.read(os.fspath(p.text.face.path))
                fonts = () if p.text.family and fonts is None else fonts
            g.read(*(os.fspath(lut) for lut in p.luts))  # in the key: a changed LUT renders again
            pictures.append(picture_of(g, p, out, laid, index))
            shown[k] = (p, index)
        video = join_pictures(g, placements, joins, pictures, out.fps)
        first = placements[0]
        trim = [Filter("trim", start_frame=start - first.start, end_frame=end - first.start),
                Filter("setpts", "PTS-STARTPTS")] if start > first.start or end < placements[-1].end else []
        video = g.chain([video], trim, "v") if trim else video
        video = draw_overlays(g, timeline, laid, start, end, video)
        fonts = () if fonts is None and any(isinstance(x, OverlayText) and x.text.family for x in timeline.overlays
                                            if x.start < end and x.end > start) else fonts
        trim, words = [], []
        if burn and timeline.subtitles:
            # Fonts by family through the private fontconfig; the ASS's clock is the interval's.
            g.read(burn, *timeline.subtitles.font_files)
            words = [Filter("subtitles", filename=File(burn))]
            fonts = tuple(dict.fromkeys([*(fonts or ()), *timeline.subtitles.font_dirs]))
        info = draw_info(laid.info, out.fps, start, end) if laid.info else []  # over everything else
        if info:
            g.read(os.fspath(laid.info[0].text.face.path))
            fonts = () if fonts is None and laid.info[0].text.family else fonts
        g.chain([video], [*trim, *words, *info, Filter("format", pix_fmts=out.video.pix_fmt)], "v", name="vout")
    if not sound:
        return end - start, fonts
    origin, stop = timeline.sample(start), timeline.sample(end)
    audio = voices(g, timeline, origin, stop, shown)
    if sounds:
        audio = mix_sounds(g, audio, timeline, origin, stop - origin, loops=loops)
    g.chain([audio], [*finish, _aformat(out)], "a", name="aout")
    return end - start, fonts


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
