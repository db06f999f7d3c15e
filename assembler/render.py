"""Orchestration only: load -> probe -> timeline -> plan -> (cache or compile + run) -> assemble.

Contract: an EDL (a path or an :class:`~assembler.model.edl.Edl` built in code) -> a checked
:class:`~assembler.timeline.build.Timeline`, or a rendered file with a :class:`RenderResult`
and a receipt beside it. Validation (schema and media, every problem at once) always runs
before any encoding starts. Segments missing from the cache are rendered on an executor
(local threads by default, or any ``concurrent.futures.Executor``, such as a
dask.distributed client's) while the episode's sound is mixed from the sources and
encoded once; then the pictures are joined by stream copy and the sound muxed.
Never prints, never exits; errors are exceptions.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from typing import TypeVar
from fractions import Fraction
from pathlib import Path

from assembler.run.cache import Cache, sha256_file, source_changed
from assembler.run.damage import Reader, clean, decode_warnings, stopped_at
from assembler.timeline.duck import follow
from assembler.compile.subtitles import ass_text, srt_text
from assembler.compile.jobs import Job, compile_assembly, compile_segment, compile_timeline, chapters_text
from assembler.compile.keys import job_key, output_key
from assembler.model.edl import Edl
from assembler.errors import EdlError, FFmpegNotFound, Problem, RenderError, UsageError, os_hint
from assembler.run.ffmpeg import (FFmpeg, Progress, analyze, command, decode_errors, find_ffmpeg, folder_lock, remove_leftovers,
                     run, write_atomic)
from assembler.model.load import Validated, from_model, parse, validate
from assembler.compile.mix import parse_loudness
from assembler.timeline.sources import Audible, MediaInfo
from assembler.run.probe import audible_spans, probe
from assembler.run.outputs import output_problems, receipt_path, sidecar_path, unwritable, written_files
from assembler.plan import Segment, segments
from assembler.run.soundtrack import (fingerprints, loop_copies, make_sound, measure, mix_jobs, sound_key, stem_paths, write_listing,
                         write_loop_copies, write_stems)
from assembler.timebase import frames_touched, seconds_text
from assembler.timeline.build import Timeline, build
from assembler.timeline.sources import needs
from assembler.run.readers import read_sources

__all__ = ["EdlSource", "PlannedSegment", "RenderResult", "SEGMENT_FILES", "assembly_job", "cache_folder", "check",
           "default_cache_dir", "folder_or_none", "plan", "render", "resolve_ffmpeg", "sidecar_path", "single_job",
           "validate_source"]

EdlSource = str | os.PathLike | Edl
T = TypeVar("T")
SEGMENT_FILES = ("video.mp4",)


@dataclass(frozen=True)
class RenderResult:
    """What a render produced."""

    path: Path
    duration: Fraction  # seconds, exact
    frames: int
    elapsed: float  # wall seconds
    warnings: tuple[Problem, ...] = ()
    segments: int = 0  # segments in the plan (0 for a single-graph render)
    rendered: int = 0  # of which rendered now (the rest came from the cache)
    receipt: Path | None = None
    loudness: dict | None = None  # measured on the output when a target is set: integrated, true_peak

    def __repr__(self) -> str:
        plan = f", {self.segments} segments ({self.rendered} rendered)" if self.segments else ", one graph"
        return (f"<RenderResult {self.path.name} {seconds_text(self.duration)} s {self.frames} frames{plan}, "
                f"{self.elapsed:.1f} s>")


@dataclass(frozen=True)
class PlannedSegment:
    segment: Segment
    job: Job
    key: str
    sources: tuple[tuple[str, str], ...] = ()  # (path, fingerprint) the key was made from


def validate_source(edl: EdlSource, base_dir: str | os.PathLike | None) -> Validated:
    if isinstance(edl, Edl):
        return from_model(edl, base_dir)
    return validate(parse(edl))


def check(edl: EdlSource, *, base_dir: str | os.PathLike | None = None,
          prober: Callable[[Path], MediaInfo] = probe,
          measurer: Callable[[Path, float], Audible] = audible_spans, out: str | os.PathLike | None = None,
          segmented: bool = True, sheet: str | os.PathLike | None = None,
          ffmpeg: str | os.PathLike | FFmpeg | None = None) -> Timeline:
    """Validate an EDL against the schema and its media; return the timeline.

    Raises :class:`~assembler.errors.EdlError` listing every problem (schema and media
    together), each with file, line and field path. ``base_dir`` is where the relative
    paths of an EDL built in code resolve (default: the current directory). ``prober``
    may remember earlier probes (see ``Cache.probe``), ``measurer`` the audible spans of
    the sounds that others duck under, given a file and its threshold in dBFS (see
    ``Cache.audible``). With ``out``, writing it is checked too: a container that holds
    the codecs (and, ``segmented``, MP4 segments that hold the video codec), and no file
    written (the output, its receipt, sidecar and stems) that the render reads; nor the
    contact ``sheet``, when one is to be drawn; and the encoder settings against what
    ``ffmpeg`` (default: the one a render would use) supports.
    """
    validated = validate_source(edl, base_dir)
    timeline, problems = build(validated, read_sources(needs(validated), prober))
    if out is not None:
        problems = [*problems, *output_problems(validated, timeline, Path(out),
                                                None if isinstance(edl, Edl) else Path(edl), segmented,
                                                _sheet_writes(sheet), _ffmpeg_or_none(ffmpeg))]
    everything = [*validated.problems, *problems]
    if timeline is None or any(p.severity == "error" for p in everything):
        raise EdlError(everything)
    timeline, problems = follow(timeline, measurer, validated.document)
    if problems:
        raise EdlError([*timeline.warnings, *problems])
    return timeline


def _ffmpeg_or_none(ffmpeg: str | os.PathLike | FFmpeg | None) -> FFmpeg | None:
    # Without an ffmpeg there is nothing to hold the settings against; rendering says why.
    try:
        return resolve_ffmpeg(ffmpeg)
    except FFmpegNotFound:
        return None


def _sheet_writes(sheet: str | os.PathLike | None) -> tuple[tuple[str, Path, str], ...]:
    return () if sheet is None else (("the contact sheet", Path(sheet), "name another file for the sheet"),)


def resolve_ffmpeg(ffmpeg: str | os.PathLike | FFmpeg | None) -> FFmpeg:
    return ffmpeg if isinstance(ffmpeg, FFmpeg) else find_ffmpeg(ffmpeg)


def default_cache_dir(edl: EdlSource | None, base_dir: str | os.PathLike | None = None) -> Path:
    """``$ASSEMBLER_CACHE``, else ``.assembler-cache/`` beside the EDL (in ``base_dir`` or
    the current folder for an EDL built in code, or none)."""
    if os.environ.get("ASSEMBLER_CACHE"):
        return Path(os.environ["ASSEMBLER_CACHE"])
    folder = Path(edl).resolve().parent if isinstance(edl, (str, os.PathLike)) else Path(base_dir or Path.cwd())
    return folder / ".assembler-cache"


def folder_or_none(path: Path, what: str) -> Path:
    """``path``, which is to be a folder: a folder or nothing yet, with no file at it or
    above it, and no name in it past the 255 bytes a file name holds (found now, not as an
    OSError once work has started)."""
    if any(len(os.fsencode(part)) > 255 for part in path.parts):
        raise UsageError(f"{what} {path} cannot be a folder: a name in it is longer than the 255 bytes a "
                         "file name holds")
    try:
        for above in (path, *path.parents):
            if above.exists():
                if not above.is_dir():
                    name = "it" if above == path else f"{above}"
                    raise UsageError(f"{what} {path} cannot be a folder: {name} is a file")
                return path
    except OSError as exc:  # a name too long for the file system
        raise UsageError(f"{what} {path} cannot be a folder: {exc.strerror} ({os_hint(exc)})") from None
    return path


def cache_folder(cache: str | os.PathLike | bool | None, edl: EdlSource | None = None,
                 base_dir: str | os.PathLike | None = None) -> Path:
    """The cache a render uses: ``cache`` when given, else :func:`default_cache_dir`; the
    one ``assembler cache`` looks after, too."""
    return Path(cache) if cache is not None and not isinstance(cache, bool) else default_cache_dir(edl, base_dir)


def plan(timeline: Timeline, store: Cache, ff: FFmpeg, subtitles: Path | None = None) -> list[PlannedSegment]:
    """Every segment with its job and content key (sources fingerprinted through ``store``);
    burned subtitles are written into ``subtitles`` (default: the cache's folder of them)."""
    salt = store.salt(ff.version, ff.path)
    planned = []
    known: dict[str, str] = {}
    for segment in segments(timeline):
        burn = _burn_file(subtitles or store.folder("subtitles"), timeline, segment)
        job = compile_segment(timeline, segment.start, segment.end, burn=burn)
        fingerprints(store, [job], known)
        planned.append(PlannedSegment(segment, job, job_key(job, known, salt),
                                      tuple((path, known[path]) for path in job.paths)))
    return planned


def _burn_file(folder: Path, timeline: Timeline, segment: Segment) -> str | None:
    """The segment's subtitles as an ASS file on its own clock, named by its content, so
    that editing one cue changes only the keys of the segments it shows in."""
    track = timeline.captions
    if track is None or not track.burn:
        return None
    out = timeline.output
    text = ass_text(track, out.width, out.height, out.fps, segment.start, segment.end)
    if text is None:
        return None
    path = folder / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.ass"
    try:
        # Checked like a segment: an edited file under this name would burn other words.
        if path.read_bytes() == text.encode("utf-8"):
            os.utime(path)  # in use: `cache prune` leaves it alone for a day
            return os.fspath(path)
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    _write_text(path, text)
    return os.fspath(path)


def _write_text(path: Path, text: str) -> None:
    write_atomic(path, text)


def build_segment(cache_root: str, key: str, job: Job, ffmpeg_path: str,
                  progress: Callable[[Progress], None] | None = None,
                  cancel: threading.Event | None = None, sources: dict[str, str] | None = None) -> dict:
    """Render one segment into the cache unless it is there already. A plain function of
    plain values, so that it can run on another machine that shares the cache and media.
    ``sources`` (path -> fingerprint, as the key was made): a segment whose sources changed
    meanwhile is not stored under that key (MediaError)."""
    store = Cache(cache_root)
    if store.get(key, SEGMENT_FILES) is not None:
        return {"key": key, "built": False, "seconds": 0.0}
    ff = find_ffmpeg(ffmpeg_path)
    started = time.monotonic()

    said: list[str] = []

    def make(paths: list[Path]) -> dict:
        run(job, paths, ffmpeg=ff, progress=progress, cancel=cancel, said=said.append)
        # Kept with the segment: a render that takes it from the cache repeats them.
        return {"argv": command(ff, job, "graph.txt", list(SEGMENT_FILES)), "graph": job.script,
                "errors": clean(said)}

    store.put(key, SEGMENT_FILES, make, sources)
    return {"key": key, "built": True, "seconds": time.monotonic() - started, "errors": clean(said)}


def _damaged(edl: EdlSource, base_dir: str | os.PathLike | None, timeline: Timeline, ff: FFmpeg,
             stretches: list[tuple[int, int, list[str]]], heard: Sequence[tuple[int, int, list[str]]] = (),
             single: bool = False) -> tuple[Problem, ...]:
    """ffmpeg's decode errors in each stretch it rendered (``heard``: of the sound alone;
    ``single``: of everything at once), as warnings at the items that read the damaged
    files (the EDL is read again for their lines: this is rare)."""
    if not any(errors for _, _, errors in [*stretches, *heard]):
        return ()
    doc = validate_source(edl, base_dir).document
    return (*decode_warnings(doc, timeline, stretches, _recheck(ff), sound=single),
            *decode_warnings(doc, timeline, heard, _recheck(ff), sound=True, pictures=False))


def _blame(edl: EdlSource, base_dir: str | os.PathLike | None, timeline: Timeline, ff: FFmpeg, start: int,
           end: int, exc: RenderError, sound: bool = False) -> RenderError:
    """ffmpeg's failure on frames ``[start, end)``, said as the items whose files it could
    not decode, when that is why."""
    said = stopped_at(validate_source(edl, base_dir).document, timeline, start, end, exc.stderr_tail, _recheck(ff),
                      sound)
    return exc if said is None else RenderError(said, exc.argv, exc.stderr_tail, exc.returncode)


def _recheck(ff: FFmpeg) -> Callable[[Reader], list[str]]:
    def recheck(r: Reader) -> list[str]:
        start, end = r.source or (Fraction(0), None)
        return decode_errors(r.path.resolve(), float(start), None if end is None else float(end - start), ffmpeg=ff)
    return recheck


def _said(planned: list[PlannedSegment], errors: Callable[[str], list[str]]) -> list[tuple[int, int, list[str]]]:
    return [(p.segment.start, p.segment.end, errors(p.key)) for p in planned]


def _heard(timeline: Timeline, sound: dict) -> list[tuple[int, int, list[str]]]:
    """The sound's windows (samples) that ffmpeg reported decode errors in, as frames."""
    rate, sr = timeline.output.fps, timeline.output.sample_rate
    found = []
    for (start, end, _), errors in zip(sound.get("windows") or [], sound.get("decode_errors") or []):
        if errors:
            found.append((*frames_touched(Fraction(start, sr), Fraction(end, sr), rate), errors))
    return found


class _Tally:
    """Progress of many jobs at once, as one fraction on the timeline's scale, and the
    stage the render is at (thread-safe). Keys other than "sound" and "assembly" are
    segments, unless one ``stage`` names the whole render."""

    def __init__(self, weights: dict[str, float], timeline: Timeline,
                 report: Callable[[Progress], None] | None, stage: str | None = None):
        self.weights, self.done, self.stage = weights, {k: 0.0 for k in weights}, stage
        self.total_weight = sum(weights.values()) or 1.0
        self.frames, self.total_seconds, self.report = timeline.frames, float(timeline.duration), report
        self.started, self.lock = time.monotonic(), threading.Lock()

    def update(self, name: str | None, fraction: float = 0.0) -> None:
        """``name``'s job is ``fraction`` done (None: report where things stand)."""
        if self.report is None:
            return
        with self.lock:
            if name is not None:
                self.done[name] = max(self.done[name], min(1.0, fraction))
            overall = sum(self.weights[k] * v for k, v in self.done.items()) / self.total_weight
            self._send(overall, self._stage())

    def finish(self, stage: str = "done") -> None:
        """The last report of a successful render: exactly 1.0, whatever was cached."""
        if self.report is not None:
            with self.lock:
                self._send(1.0, stage)

    def _send(self, overall: float, stage: str) -> None:
        elapsed = time.monotonic() - self.started
        seconds = overall * self.total_seconds
        self.report(Progress(overall, seconds, self.total_seconds, round(overall * self.frames), elapsed,  # type: ignore[misc]
                             seconds / elapsed if elapsed > 0 else None, stage))

    def _stage(self) -> str:
        if self.stage:
            return self.stage
        segments = [k for k in self.done if k not in ("sound", "assembly")]
        finished = sum(self.done[k] >= 1 for k in segments)
        if finished < len(segments):
            return f"segments {finished}/{len(segments)}"
        return "sound" if self.done.get("sound", 1.0) < 1 else "assembly"

    def callback(self, name: str) -> Callable[[Progress], None]:
        return lambda p: self.update(name, p.fraction)


def render(edl: EdlSource, out: str | os.PathLike, *, progress: Callable[[Progress], None] | None = None,
           base_dir: str | os.PathLike | None = None, ffmpeg: str | os.PathLike | FFmpeg | None = None,
           cache: str | os.PathLike | bool | None = None, jobs: int | None = None,
           executor: Executor | None = None, single: bool = False,
           on_checked: Callable[[Timeline], None] | None = None) -> RenderResult:
    """Render an EDL to ``out`` and return what was made.

    ``progress`` is called with a :class:`~assembler.run.ffmpeg.Progress` as the work goes.
    ``cache``: a folder, None for ``$ASSEMBLER_CACHE`` or ``.assembler-cache/`` beside the
    EDL, False for none (a temporary one). ``jobs``: segments rendered at once (default:
    the number of cores); ``executor`` runs them elsewhere instead (e.g. a dask client's
    ``get_executor()``; it must share the media and cache paths). ``single`` renders the
    whole timeline as one ffmpeg graph, without segments or cache. ``on_checked`` is called
    with the timeline once validation passed, before anything is encoded (its ``warnings``
    are final then), and ``progress`` only after it. The output and its
    receipt appear only when complete: a failed or interrupted render leaves the previous
    ones untouched.
    """
    started = time.monotonic()
    out = Path(out)
    if single:
        timeline = check(edl, base_dir=base_dir, out=out, segmented=False, ffmpeg=ffmpeg)
        if on_checked is not None:
            on_checked(timeline)
        ff = resolve_ffmpeg(ffmpeg)
        remove_leftovers(written_files(out, timeline))
        tally = _Tally({"episode": 1.0}, timeline, progress, "episode (one graph)")
        tally.update(None)
        staged: list[tuple[Path, Path]] = []
        said: list[str] = []
        try:
            with tempfile.TemporaryDirectory(prefix="assembler-") as scratch:
                loops = write_loop_copies(Path(scratch), timeline, ff)
                job, measured = single_job(timeline, ff, Path(scratch), loops)
                try:
                    elapsed = run(job, out, ffmpeg=ff, progress=tally.callback("episode"), publish=staged.extend,
                                  said=said.append)
                except RenderError as exc:
                    raise _blame(edl, base_dir, timeline, ff, 0, timeline.frames, exc, sound=True) from None
                # The stems at the one graph's gain, as the segmented render writes them at its own.
                _stage_beside(out, timeline, ff, {"loudness": {"gain_db": round(timeline.loudness - measured["input_i"], 2)}}
                              if measured else {}, staged, loops)
            _swap(out, staged)
        finally:
            _discard(staged)
        tally.finish()
        damaged = _damaged(edl, base_dir, timeline, ff, [(0, timeline.frames, clean(said))], single=True)
        return RenderResult(out, timeline.duration, timeline.frames, elapsed, (*timeline.warnings, *damaged),
                            loudness=measure(out, timeline, ff) if measured else None)
    temporary = cache is False
    root = Path(tempfile.mkdtemp(prefix="assembler-cache-")) if temporary else cache_folder(cache, edl, base_dir)
    folder_or_none(root, "the cache")
    if (closed := unwritable(root)) is not None:
        raise UsageError(f"the cache {root} cannot be written: {closed} is read-only to this user "
                         "(choose another with --cache, or render with --no-cache)")
    try:
        store = Cache(root)
        timeline = check(edl, base_dir=base_dir, prober=store.probe, measurer=store.audible, out=out, ffmpeg=ffmpeg)
        if on_checked is not None:
            on_checked(timeline)
        ff = resolve_ffmpeg(ffmpeg)
        remove_leftovers(written_files(out, timeline))
        checked = time.monotonic()
        planned = plan(timeline, store, ff)
        sound_id = sound_key(store, ff, timeline)
        heard = fingerprints(store, mix_jobs(timeline))
        identity = output_key([p.key for p in planned], sound_id, timeline, out)
        receipt_file = receipt_path(out)
        if not temporary and (known := _unchanged(out, receipt_file, identity, started, timeline)):
            # The output is itself a pure function of these keys, and it is intact.
            _Tally({}, timeline, progress).finish("up to date")
            told = {s.get("key"): s.get("decode_errors") or []
                    for s in known.get("segments") or [] if isinstance(s, dict)}
            damaged = _damaged(edl, base_dir, timeline, ff, _said(planned, lambda key: told.get(key, [])),
                               _heard(timeline, known.get("sound") or {}))
            return RenderResult(out, timeline.duration, timeline.frames, time.monotonic() - started,
                                (*timeline.warnings, *damaged), len(planned), 0, receipt_file,
                                (known.get("sound") or {}).get("loudness"))
        # A shot used twice with the same trims is one segment, rendered once.
        missing = list({p.key: p for p in planned if store.get(p.key, SEGMENT_FILES) is None}.values())
        # Longest first (by frames; the sound goes first of all), so that no worker is left
        # with a long segment at the end while the others wait.
        missing.sort(key=lambda p: -p.segment.frames)
        weights = {p.key: float(p.segment.frames) for p in missing}
        weights["sound"] = max(1.0, 0.03 * timeline.frames)
        weights["assembly"] = max(1.0, 0.02 * timeline.frames)
        tally = _Tally(weights, timeline, progress)
        tally.update(None)  # the bar names the stage before the first job reports
        built, (sound, sound_receipt) = _build_all(
            missing, store, ff, tally, jobs, executor,
            lambda cancel: make_sound(store, sound_id, timeline, ff, lambda done: tally.update("sound", done), cancel),
            lambda p, exc: _blame(edl, base_dir, timeline, ff, p.segment.start, p.segment.end, exc))
        if sound_receipt["rendered_now"] and (changed := store.changed(heard)):
            store.forget(sound_id)  # mixed from other content than its key says
            raise source_changed(changed)
        tally.update("sound", 1.0)  # also when it came from the cache and said nothing
        rendered = time.monotonic()
        staged = []
        try:
            with tempfile.TemporaryDirectory(prefix="assembler-join-") as scratch:
                entries = [store.get(p.key, SEGMENT_FILES) for p in planned]
                job = assembly_job(timeline, [e / "video.mp4" for e in entries], sound, Path(scratch))  # type: ignore[operator]
                run(job, out, ffmpeg=ff, progress=tally.callback("assembly"), publish=staged.extend)
            stems = _stage_beside(out, timeline, ff, sound_receipt, staged,
                                  loop_copies(store, ff, timeline) if stem_paths(out, timeline) else None)
            finished = time.monotonic()
            sound_receipt["stems"] = [os.fspath(p) for p in stems]
            described = _receipt(edl, out, sha256_file(staged[0][0]), identity, timeline, planned, built,
                                 sound_receipt, store, ff, {"check": checked - started, "segments": rendered - checked,
                                                            "assemble": finished - rendered,
                                                            "total": finished - started})
            described["beside"] = [{"path": os.fspath(final.resolve()), "sha256": sha256_file(partial)}
                                   for partial, final in staged[1:]]
            _swap(out, staged, receipt_file, described)
            receipt = receipt_file
        finally:
            _discard(staged)
        tally.finish()
        damaged = _damaged(edl, base_dir, timeline, ff, _said(planned, lambda key: _meta(store, key).get("errors", [])),
                           _heard(timeline, sound_receipt))
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
    return RenderResult(out, timeline.duration, timeline.frames, finished - started, (*timeline.warnings, *damaged),
                        len(planned), len(missing), receipt, sound_receipt.get("loudness"))


def single_job(timeline: Timeline, ff: FFmpeg, folder: Path, loops: dict[str, str] | None = None,
               written: bool = True) -> tuple[Job, dict | None]:
    """The whole timeline as one graph, with the files it reads (chapters, subtitles)
    written into ``folder``; and the first loudness pass it levels by (measured now,
    decoding only). ``loops``: the copies of long loops' looped parts (``write_loop_copies``),
    also measured from unless they are not ``written`` yet (a dry run's: aloop holds them
    there, the same samples); without them, aloop holds those loops."""
    measured = parse_loudness(analyze(compile_timeline(timeline, picture=False, loops=loops if written else None),
                                      ffmpeg=ff)) if timeline.loudness is not None else None
    track, o = timeline.captions, timeline.output
    burn = ass_text(track, o.width, o.height, o.fps, 0, timeline.frames) if track and track.burn else None
    if burn:
        (folder / "burn.ass").write_text(burn, encoding="utf-8")
    job = compile_timeline(timeline, loudness=measured, chapters=_chapters_file(timeline, folder),
                           burn=os.fspath(folder / "burn.ass") if burn else None, soft=_soft_file(timeline, folder),
                           loops=loops)
    return job, measured


def assembly_job(timeline: Timeline, pictures: list[Path], sound: Path, folder: Path) -> Job:
    """The segments' ``pictures`` joined by copy and muxed with the ``sound``, the chapters
    and the soft subtitles, with the files it reads (their list too) written into ``folder``."""
    video_list = write_listing(folder / "video.txt", pictures)
    return compile_assembly(os.fspath(video_list), os.fspath(sound), timeline, _chapters_file(timeline, folder),
                            _soft_file(timeline, folder))


def _chapters_file(timeline: Timeline, folder: Path) -> str | None:
    """The markers as an FFMETADATA file in ``folder``, when there are any."""
    chapters = chapters_text(timeline)
    if not chapters:
        return None
    path = folder / "chapters.txt"
    path.write_text(chapters, encoding="utf-8")
    return os.fspath(path)


def _build_all(missing: list[PlannedSegment], store: Cache, ff: FFmpeg, tally: _Tally, jobs: int | None,
               executor: Executor | None, sound: Callable[[threading.Event], T],
               blame: Callable[[PlannedSegment, RenderError], RenderError] | None = None
               ) -> tuple[dict[str, dict], T]:
    """Render the missing segments, in parallel, and the sound beside them (on a worker of
    our own pool, first, as its chain is the longest; here while an executor renders the
    segments elsewhere); on any failure or interrupt, stop the rest. ``blame`` says a
    segment's failure in the EDL's terms."""
    cancel = threading.Event()
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1),
                                          thread_name_prefix="assembler-segment")
    futures: dict[Future, PlannedSegment] = {}
    results: dict[str, dict] = {}
    try:
        heard = pool.submit(sound, cancel) if own else None
        for p in missing:
            if own:  # local threads share memory: live progress and cancellation
                future = pool.submit(build_segment, os.fspath(store.root), p.key, p.job, ff.path,
                                     tally.callback(p.key), cancel, dict(p.sources))
            else:
                future = pool.submit(build_segment, os.fspath(store.root), p.key, p.job, ff.path,
                                     sources=dict(p.sources))
            futures[future] = p
        made = sound(cancel) if heard is None else None
        for future in as_completed([*futures, *([heard] if heard else [])]):
            if future is heard:
                made = heard.result()
                continue
            try:
                result = future.result()
            except RenderError as exc:
                raise (blame(futures[future], exc) if blame else exc) from None
            results[result["key"]] = result
            tally.update(result["key"], 1.0)
    except BaseException:
        cancel.set()
        for future in futures:
            future.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    assert made is not None
    return results, made


def _unchanged(out: Path, receipt: Path, identity: str, started: float, timeline: Timeline) -> dict | None:
    """Whether ``out`` (with its stems and sidecar) is already exactly what this render
    would write; if so, its receipt is brought up to date (nothing was rendered now) and
    returned."""
    with folder_lock(out.parent):  # no other render replaces the set meanwhile
        if not all(p.exists() for p in stem_paths(out, timeline).values()) or not _sidecar_current(out, timeline):
            return None
        return _reuse(out, receipt, identity, started)


def _stage_beside(out: Path, timeline: Timeline, ff: FFmpeg, sound: dict, staged: list[tuple[Path, Path]],
                  loops: dict[str, str] | None = None) -> list[Path]:
    """The sidecar and the stems (long loops read from ``loops``) written under temporary
    names, their (temporary, final) pairs added to ``staged`` (to be swapped in with the
    output); returns the stems."""
    track = timeline.captions
    if track is not None and track.sidecar:
        write_atomic(sidecar_path(out), srt_text(track, timeline.output.fps), publish=staged.extend)
    return write_stems(out, timeline, ff, sound, loops, publish=staged.extend)


def _swap(out: Path, staged: list[tuple[Path, Path]], receipt: Path | None = None,
          described: dict | None = None) -> None:
    """Every staged file into place, then the receipt that describes them, as one step for
    any other render into the same output: the set beside it all comes from one render."""
    with folder_lock(out.parent):
        for partial, final in staged:
            os.replace(partial, final)
        if receipt is not None and described is not None:
            _write_json(receipt, described)


def _discard(staged: list[tuple[Path, Path]]) -> None:
    for partial, _ in staged:
        partial.unlink(missing_ok=True)  # none left once they were swapped in


def _reuse(out: Path, receipt: Path, identity: str, started: float) -> dict | None:
    try:
        recorded = json.loads(receipt.read_text(encoding="utf-8"))
        if recorded.get("identity") != identity or sha256_file(out) != recorded["output"]["sha256"]:
            return None
    except (OSError, ValueError, KeyError, TypeError):
        return None
    for part in [*recorded.get("segments", []), recorded.get("sound") or {}]:
        part["rendered_now"] = False
        part.pop("seconds", None)
    recorded["timings"] = {"total": round(time.monotonic() - started, 3), "reused": True}
    _write_json(receipt, recorded)
    return recorded


def _soft_file(timeline: Timeline, scratch: Path) -> str | None:
    """The subtitles as an SRT in ``scratch``, when the output carries them as a stream."""
    track = timeline.captions
    if track is None or not track.soft:
        return None
    path = scratch / "soft.srt"
    path.write_text(srt_text(track, timeline.output.fps), encoding="utf-8")
    return os.fspath(path)


def _sidecar_current(out: Path, timeline: Timeline) -> bool:
    track = timeline.captions
    if track is None or not track.sidecar:
        return True
    try:
        return sidecar_path(out).read_text(encoding="utf-8") == srt_text(track, timeline.output.fps)
    except OSError:
        return False


def _edl_identity(edl: EdlSource) -> dict:
    if isinstance(edl, Edl):
        text = edl.model_dump_json(by_alias=True)
        return {"path": None, "sha256": hashlib.sha256(text.encode()).hexdigest()}
    return {"path": os.fspath(Path(edl).resolve()), "sha256": sha256_file(edl)}


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("edl-assembler")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0.0.0"


def _receipt(edl: EdlSource, out: Path, output_sha: str, identity: str, timeline: Timeline,
             planned: list[PlannedSegment], built: dict[str, dict], sound: dict, store: Cache, ff: FFmpeg,
             timings: dict[str, float]) -> dict:
    """``<output>.receipt.json``: everything needed to say what made these bytes (whose
    sha256 is ``output_sha``, hashed before they became ``out``)."""
    inputs = sorted({path for p in planned for path in p.job.paths} |
                    {path for job in mix_jobs(timeline) for path in job.paths})
    segments_out, seen = [], set()
    for p in planned:
        meta = _meta(store, p.key)
        fresh = p.key in built and built[p.key]["built"] and p.key not in seen  # a repeat reuses the first
        seen.add(p.key)
        segments_out.append({"kind": p.segment.kind, "frames": [p.segment.start, p.segment.end],
                             "items": list(p.segment.items), "key": p.key, "rendered_now": fresh,
                             "seconds": built[p.key]["seconds"] if fresh else 0.0, "argv": meta.get("argv"),
                             **({"decode_errors": meta["errors"]} if meta.get("errors") else {})})
    receipt = {
        "assembler": _version(),
        "ffmpeg": {"path": ff.path, "version": ff.version, "fingerprint": store.fingerprint(ff.path)},
        "edl": _edl_identity(edl),
        "inputs": [{"path": path, "size": os.stat(path).st_size, "sha256": store.fingerprint(path).split(":")[1]}
                   for path in inputs],
        "segments": segments_out,
        "sound": sound,
        "output": {"path": os.fspath(out.resolve()), "sha256": output_sha, "frames": timeline.frames,
                   "duration": str(timeline.duration)},
        "timings": {k: round(v, 3) for k, v in timings.items()},
        "identity": identity,
    }
    return receipt


def _meta(store: Cache, key: str) -> dict:
    """What the cache holds about a segment it has (its command, ffmpeg's decode errors)."""
    return json.loads((store.get(key, SEGMENT_FILES) / "meta.json").read_text())  # type: ignore[operator]  # it has


def _write_json(path: Path, data: dict) -> None:
    write_atomic(path, json.dumps(data, indent=1, ensure_ascii=False) + "\n")
