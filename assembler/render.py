"""Orchestration only: load -> probe -> timeline -> plan -> (cache or compile + run) -> assemble.

Contract: an EDL (a path or an :class:`~assembler.model.edl.Edl` built in code) -> a checked
:class:`~assembler.timeline.build.Timeline`, or a rendered file with a :class:`RenderResult`
and a receipt beside it. Validation (schema and media, every problem at once) always runs
before any encoding starts. Segments missing from the cache are rendered on an executor
(local threads by default, or any ``concurrent.futures.Executor``, such as a
dask.distributed client's) while the episode's sound is mixed from the sources and
encoded once; then the pictures are joined by stream copy and the sound muxed.
Never prints, never exits; errors are exceptions.

``render`` names the steps; the work of each is done elsewhere: ``run.assemble`` makes
the segments, the sound beside them and the jobs that join them; ``run.publish`` stages
what goes beside the output, makes the receipt (``run.receipts``) and swaps it all in.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

from typing import TYPE_CHECKING

from assembler.compile.jobs import compile_segment
from assembler.compile.keys import job_key, output_key
from assembler.compile.subtitles import ass_text
from assembler.layout.frame import Layout, own, settle
from assembler.errors import EdlError, FFmpegNotFound, Problem, RenderError, UsageError, os_hint
from assembler.model.edl import Edl
from assembler.model.load import Validated, from_model, validate
from assembler.model.series import read
from assembler.model.takes import with_picks
from assembler.plan import Segment, segments
from assembler.run.assemble import (SEGMENT_FILES, PlannedSegment, Tally, assembly_job, build_all, build_segment,
                                    single_job, write_planned)
from assembler.run.cache import Cache, sha256_file, source_changed
from assembler.run.damage import Reader, clean, decode_warnings, stopped_at
from assembler.run.ffmpeg import FFmpeg, Progress, decode_errors, find_ffmpeg, remove_leftovers, run
from assembler.run.outputs import output_problems, receipt_path, sidecar_path, unwritable, written_files
from assembler.run.probe import audible_spans, probe
from assembler.run.publish import discard, make_receipt, segment_meta, stage_beside, swap, unchanged
from assembler.run.readers import read_sources
from assembler.run.receipts import Receipt, SoundLine, Timings
from assembler.run.soundtrack import fingerprints, loop_copies, make_sound, measure, mix_jobs, sound_key, stem_paths, write_loop_copies
from assembler.timebase import frames_touched, seconds_text
from assembler.timeline.build import Timeline, build
from assembler.timeline.duck import follow
from assembler.timeline.sources import Audible, MediaInfo, needs

__all__ = ["EdlSource", "PlannedSegment", "RenderResult", "SEGMENT_FILES", "assembly_job", "build_segment", "cache_folder",
           "Checked", "checked_target", "render_checked", "writable_cache",
           "check", "default_cache_dir", "folder_or_none", "plan", "render", "resolve_ffmpeg", "sidecar_path",
           "single_job", "validate_source"]

if TYPE_CHECKING:
    from assembler.batch import Delivered

EdlSource = str | os.PathLike | Edl


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


def validate_source(edl: EdlSource, base_dir: str | os.PathLike | None) -> Validated:
    if isinstance(edl, Edl):
        return from_model(edl, base_dir)
    return validate(read(edl))


def check(edl: EdlSource, *, base_dir: str | os.PathLike | None = None,
          prober: Callable[[Path], MediaInfo] = probe,
          measurer: Callable[[Path, float], Audible] = audible_spans, out: str | os.PathLike | None = None,
          segmented: bool = True, sheet: str | os.PathLike | None = None,
          ffmpeg: str | os.PathLike | FFmpeg | None = None, picks: Mapping[str, str] | None = None) -> Timeline:
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
    ``ffmpeg`` (default: the one a render would use) supports. ``picks``: {slot id: take
    name}, the take each of those shot slots plays instead of the EDL's `pick`.
    """
    validated, picked = with_picks(validate_source(edl, base_dir), picks or {})
    timeline, problems = checked_target(validated, prober, measurer, out, None if isinstance(edl, Edl) else Path(edl),
                                        segmented, sheet, ffmpeg, picked)
    if timeline is None:
        raise EdlError(problems)
    return timeline


def checked_target(validated: Validated, prober: Callable[[Path], MediaInfo],
                   measurer: Callable[[Path, float], Audible], out: str | os.PathLike | None,
                   edl_file: Path | None, segmented: bool = True, sheet: str | os.PathLike | None = None,
                   ffmpeg: str | os.PathLike | FFmpeg | None = None,
                   picked: Sequence[Problem] = ()) -> tuple[Timeline | None, list[Problem]]:
    """:func:`check`'s work on an EDL already read (one deliverable's, say): the timeline
    (None when there is an error) and every problem, errors and warnings, raising nothing;
    ``picked``: the problems of the picks given outside the EDL."""
    # Each text is set for the output the EDL names as it is placed: wrapped, shrunk, moved, unset.
    timeline, problems = build(validated, read_sources(needs(validated), prober), settle(*validated.output.size))
    if out is not None:
        problems = [*problems, *output_problems(validated, timeline, Path(out), edl_file, segmented,
                                                _sheet_writes(sheet), _ffmpeg_or_none(ffmpeg))]
    everything = [*validated.problems, *picked, *problems]
    if timeline is None or any(p.severity == "error" for p in everything):
        return None, everything
    timeline, problems = follow(timeline, measurer, validated.document)
    if problems:
        return None, [*timeline.warnings, *problems]
    return (replace(timeline, parents=validated.document.parents) if validated.document.parents else timeline,
            list(timeline.warnings))


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


def plan(timeline: Timeline, store: Cache, ff: FFmpeg, subtitles: Path | None = None,
         laid: Layout | None = None) -> list[PlannedSegment]:
    """Every segment with its job and content key (sources fingerprinted through ``store``),
    laid out by ``laid`` (default: the output the EDL names); the subtitles a segment burns
    are given as text, named in ``subtitles`` (default: the cache's folder of them), for
    the runner to write (``write_planned``)."""
    laid = laid or own(timeline)
    salt = store.salt(ff.version, ff.path)
    planned = []
    known: dict[str, str] = {}
    for segment in segments(timeline):
        burn = _burn_file(subtitles or store.folder("subtitles"), timeline, laid, segment)
        job = compile_segment(timeline, segment.start, segment.end, laid=laid, burn=burn[0] if burn else None)
        if burn:  # named by its content, which is all its fingerprint says
            known.setdefault(burn[0], "sha256:" + hashlib.sha256(burn[1].encode("utf-8")).hexdigest())
        fingerprints(store, [job], known)
        planned.append(PlannedSegment(segment, job, job_key(job, known, salt),
                                      tuple((path, known[path]) for path in job.paths), (burn,) if burn else ()))
    return planned


def _burn_file(folder: Path, timeline: Timeline, laid: Layout, segment: Segment) -> tuple[str, str] | None:
    """The segment's subtitles as an ASS file on its own clock (its path and text), named
    by its content, so that editing one cue changes only the keys of the segments it shows in."""
    track = timeline.subtitles
    if track is None or not track.burn or laid.subtitles is None:
        return None
    text = ass_text(track, laid.subtitles, laid.width, laid.height, timeline.output.fps, segment.start, segment.end)
    if text is None:
        return None
    return os.fspath(folder / f"{hashlib.sha256(text.encode()).hexdigest()[:32]}.ass"), text


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


def _heard(timeline: Timeline, sound: SoundLine | None) -> list[tuple[int, int, list[str]]]:
    """The sound's windows (samples) that ffmpeg reported decode errors in, as frames."""
    if sound is None:
        return []
    rate, sr = timeline.output.fps, timeline.output.sample_rate
    found = []
    for (start, end, _), errors in zip(sound.windows or [], sound.decode_errors or []):
        if errors:
            found.append((*frames_touched(Fraction(start, sr), Fraction(end, sr), rate), list(errors)))
    return found


def render(edl: EdlSource, out: str | os.PathLike, *, progress: Callable[[Progress], None] | None = None,
           base_dir: str | os.PathLike | None = None, ffmpeg: str | os.PathLike | FFmpeg | None = None,
           cache: str | os.PathLike | bool | None = None, jobs: int | None = None,
           executor: Executor | None = None, single: bool = False,
           on_checked: Callable[[Timeline], None] | None = None,
           picks: Mapping[str, str] | None = None, only: Sequence[str] = ()) -> RenderResult | Delivered:
    """Render an EDL to ``out`` and return what was made; an EDL with ``deliverables``
    writes ``<out stem>.<name>.<suffix>`` for each (``only``: those named) and returns a
    :class:`~assembler.batch.Delivered` of their results (``assembler.batch.render_all``).

    ``progress`` is called with a :class:`~assembler.run.ffmpeg.Progress` as the work goes.
    ``cache``: a folder, None for ``$ASSEMBLER_CACHE`` or ``.assembler-cache/`` beside the
    EDL, False for none (a temporary one). ``jobs``: segments rendered at once (default:
    the number of cores); ``executor`` runs them elsewhere instead (e.g. a dask client's
    ``get_executor()``; it must share the media and cache paths). ``single`` renders the
    whole timeline as one ffmpeg graph, without segments or cache. ``on_checked`` is called
    with the timeline once validation passed, before anything is encoded (its ``warnings``
    are final then), and ``progress`` only after it. The output and its
    receipt appear only when complete: a failed or interrupted render leaves the previous
    ones untouched. ``picks``: {slot id: take name}, as for :func:`check`.
    """
    started, out = time.monotonic(), Path(out)
    if only or _has_deliverables(edl, base_dir):
        from assembler.batch import check_all, render_all  # it renders each file with this module
        if single:
            files = check_all([edl], out, base_dir=base_dir, only=only, picks=picks, ffmpeg=ffmpeg, segmented=False)
            if len(files) != 1:
                raise UsageError("--single renders one file: name one of the deliverables with --only "
                                 f"({', '.join(f.deliverable or '' for f in files)})")
            return _render_single(edl, files[0].out, base_dir, ffmpeg, progress, on_checked, picks, files[0].timeline)
        return render_all([edl], out, progress=progress, base_dir=base_dir, ffmpeg=ffmpeg, cache=cache, jobs=jobs,
                          executor=executor, on_checked=on_checked, picks=picks, only=only)
    if single:
        return _render_single(edl, out, base_dir, ffmpeg, progress, on_checked, picks)
    temporary = cache is False
    root = Path(tempfile.mkdtemp(prefix="assembler-cache-")) if temporary else cache_folder(cache, edl, base_dir)
    writable_cache(root)
    try:
        store = Cache(root)
        timeline = check(edl, base_dir=base_dir, prober=store.probe, measurer=store.audible, out=out, ffmpeg=ffmpeg,
                         picks=picks)
        ff = _prepared(timeline, out, ffmpeg, on_checked)
        return render_checked([Checked(edl, out, timeline, started)], base_dir, ff, store, progress, jobs, executor,
                              reuse=not temporary)[0]
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)


@dataclass(frozen=True)
class Checked:
    """A file to render whose EDL is checked: its timeline, where it goes, and when its
    work began (its result's ``elapsed`` counts from there)."""

    edl: EdlSource
    out: Path
    timeline: Timeline
    started: float


def render_checked(files: Sequence[Checked], base_dir: str | os.PathLike | None, ff: FFmpeg, store: Cache,
                   progress: Callable[[Progress], None] | None, jobs: int | None, executor: Executor | None,
                   reuse: bool = True) -> list[RenderResult]:
    """:func:`render`'s work once each file is checked and a dead render's leftovers are
    gone: the segments missing from ``store`` rendered, all files' on one pool beside
    their sounds (each distinct one made once), then each output assembled; or, ``reuse``,
    an output left alone when it is already this render's. One result per file, in order."""
    runs, done = [], {}
    for n, f in enumerate(files):
        checked = time.monotonic()
        planned = plan(f.timeline, store, ff)
        write_planned(planned)
        sound_id = sound_key(store, ff, f.timeline)
        r = _Run(f.edl, base_dir, f.out, f.timeline, ff, store, planned, sound_id, _heard_sources(store, f.timeline),
                 output_key([p.key for p in planned], sound_id, f.timeline, f.out), f.started, checked)
        if reuse and (known := unchanged(f.out, receipt_path(f.out), r.identity, f.started, f.timeline)):
            # The output is itself a pure function of these keys, and it is intact.
            done[n] = _up_to_date(r, known)
        else:
            runs.append((n, r))
    if runs:
        done.update(zip((n for n, _ in runs), _render_segments([r for _, r in runs], progress, jobs, executor)))
    else:
        Tally({}, files[0].timeline, progress).finish("up to date")
    return [done[n] for n in range(len(files))]


def _has_deliverables(edl: EdlSource, base_dir: str | os.PathLike | None) -> bool:
    if isinstance(edl, Edl):
        return bool(edl.deliverables)
    try:
        validated = validate_source(edl, base_dir)
    except EdlError:
        return False  # said again, with everything else, when the render checks it
    return bool(validated.document.data.get("deliverables"))  # as written: its problems are the batch's to say


def writable_cache(root: Path) -> None:
    folder_or_none(root, "the cache")
    if (closed := unwritable(root)) is not None:
        raise UsageError(f"the cache {root} cannot be written: {closed} is read-only to this user "
                         "(choose another with --cache, or render with --no-cache)")


def _prepared(timeline: Timeline, out: Path, ffmpeg: str | os.PathLike | FFmpeg | None,
              on_checked: Callable[[Timeline], None] | None) -> FFmpeg:
    """Once the EDL is checked: the caller told, the ffmpeg found, a dead render's leftovers gone."""
    if on_checked is not None:
        on_checked(timeline)
    ff = resolve_ffmpeg(ffmpeg)
    remove_leftovers(written_files(out, timeline))
    return ff


def _render_single(edl: EdlSource, out: Path, base_dir: str | os.PathLike | None,
                   ffmpeg: str | os.PathLike | FFmpeg | None, progress: Callable[[Progress], None] | None,
                   on_checked: Callable[[Timeline], None] | None,
                   picks: Mapping[str, str] | None, checked: Timeline | None = None) -> RenderResult:
    """The whole timeline as one ffmpeg graph: no segments, no cache, no receipt
    (``checked``: the timeline, already checked for ``out``, of one deliverable)."""
    timeline = checked or check(edl, base_dir=base_dir, out=out, segmented=False, ffmpeg=ffmpeg, picks=picks)
    ff = _prepared(timeline, out, ffmpeg, on_checked)
    tally = Tally({"episode": 1.0}, timeline, progress, "episode (one graph)")
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
            stage_beside(out, timeline, ff, round(timeline.loudness - measured["input_i"], 2) if measured else None,
                         staged, loops)
        swap(out, staged)
    finally:
        discard(staged)
    tally.finish()
    damaged = _damaged(edl, base_dir, timeline, ff, [(0, timeline.frames, clean(said))], single=True)
    return RenderResult(out, timeline.duration, timeline.frames, elapsed, (*timeline.warnings, *damaged),
                        loudness=measure(out, timeline, ff) if measured else None)


@dataclass(frozen=True)
class _Run:
    """What a segmented render knows once it has planned."""

    edl: EdlSource
    base_dir: str | os.PathLike | None
    out: Path
    timeline: Timeline
    ff: FFmpeg
    store: Cache
    planned: list[PlannedSegment]
    sound_id: str
    heard: dict[str, str]  # the sound's sources by fingerprint, as its key was made
    identity: str
    started: float
    checked: float


def _heard_sources(store: Cache, timeline: Timeline) -> dict[str, str]:
    return fingerprints(store, mix_jobs(timeline))


def _up_to_date(r: _Run, known: Receipt) -> RenderResult:
    said = {s.key: list(s.decode_errors) for s in known.segments}
    damaged = _damaged(r.edl, r.base_dir, r.timeline, r.ff, _said(r.planned, lambda key: said.get(key, [])),
                       _heard(r.timeline, known.sound))
    return RenderResult(r.out, r.timeline.duration, r.timeline.frames, time.monotonic() - r.started,
                        (*r.timeline.warnings, *damaged), len(r.planned), 0, receipt_path(r.out),
                        known.sound.loudness if known.sound else None)


def _render_segments(runs: list[_Run], progress: Callable[[Progress], None] | None, jobs: int | None,
                     executor: Executor | None) -> list[RenderResult]:
    """The segments missing from the cache made beside the sounds, then each file's joined by copy."""
    store, ff = runs[0].store, runs[0].ff
    # A shot used twice with the same trims is one segment, rendered once; so is a segment
    # that two files draw alike. Blamed, should it fail, in the first file's terms.
    missing: dict[str, tuple[PlannedSegment, _Run]] = {}
    for r in runs:
        for p in r.planned:
            if p.key not in missing and store.get(p.key, SEGMENT_FILES) is None:
                missing[p.key] = (p, r)
    # One stretch of one cut in several files (deliverables, on one frame grid) is one
    # ffmpeg run that decodes the sources once for all of them.
    stretches: dict[tuple, list[PlannedSegment]] = {}
    for p, r in missing.values():
        stretches.setdefault((id(r.edl), r.timeline.output.fps, p.segment.start, p.segment.end), []).append(p)
    # Longest first (by frames, times the files made at once; the sound goes first of all),
    # so that no worker is left with a long run at the end while the others wait.
    order = sorted(stretches.values(), key=lambda group: -group[0].segment.frames * len(group))
    sounds: dict[str, _Run] = {}
    for r in runs:
        sounds.setdefault(r.sound_id, r)  # each sound once, as the first file that has it makes it
    names = {sid: "sound" if k == 0 else f"sound {k + 1}" for k, sid in enumerate(sounds)}
    weights = {p.key: float(p.segment.frames) for group in order for p in group}
    for sid, r in sounds.items():
        weights[names[sid]] = max(1.0, 0.03 * r.timeline.frames)
    for k, r in enumerate(runs):
        weights[_assembly(k)] = max(1.0, 0.02 * r.timeline.frames)
    tally = Tally(weights, runs[0].timeline, progress, frames=sum(r.timeline.frames for r in runs),
                  seconds=float(sum(r.timeline.duration for r in runs)))
    tally.update(None)  # the bar names the stage before the first job reports

    def make_sounds(cancel: threading.Event) -> dict[str, tuple[Path, SoundLine]]:
        return {sid: make_sound(store, sid, r.timeline, ff, _reporter(tally, names[sid]), cancel)
                for sid, r in sounds.items()}

    def blame(p: PlannedSegment, exc: RenderError) -> RenderError:
        r = missing[p.key][1]
        return _blame(r.edl, r.base_dir, r.timeline, r.ff, p.segment.start, p.segment.end, exc)

    built, made = build_all(order, store, ff, tally, jobs, executor, make_sounds, blame)
    for sid, (_, line) in made.items():
        if line.rendered_now and (changed := store.changed(sounds[sid].heard)):
            store.forget(sid)  # mixed from other content than its key says
            raise source_changed(changed)
        tally.update(names[sid], 1.0)  # also when it came from the cache and said nothing
    results: list[RenderResult] = []
    claimed: set[str] = set()
    heard_by: set[str] = set()
    for k, r in enumerate(runs):
        sound, line = made[r.sound_id]
        if r.sound_id in heard_by:  # made once, for the first file that has it
            line = replace(line, rendered_now=False)
        heard_by.add(r.sound_id)
        mine = {key: v for key, v in built.items() if key not in claimed and any(p.key == key for p in r.planned)}
        claimed |= mine.keys()
        receipt, finished = _assemble(r, sound, line, mine, tally, time.monotonic(), _assembly(k))
        damaged = _damaged(r.edl, r.base_dir, r.timeline, r.ff,
                           _said(r.planned, lambda key: segment_meta(r.store, key).get("errors", [])),
                           _heard(r.timeline, receipt.sound))
        results.append(RenderResult(r.out, r.timeline.duration, r.timeline.frames, finished - r.started,
                                    (*r.timeline.warnings, *damaged), len(r.planned), len(mine), receipt_path(r.out),
                                    line.loudness))
    tally.finish()
    return results


def _reporter(tally: Tally, name: str) -> Callable[[float], None]:
    return lambda done: tally.update(name, done)


def _assembly(k: int) -> str:
    return "assembly" if k == 0 else f"assembly {k + 1}"


def _assemble(r: _Run, sound: Path, line: SoundLine, built: dict[str, dict], tally: Tally,
              rendered: float, name: str = "assembly") -> tuple[Receipt, float]:
    """The pictures joined and the sound muxed, the sidecar and stems beside them, and the
    receipt: all swapped in at once. Returns the receipt and when the work finished."""
    staged: list[tuple[Path, Path]] = []
    try:
        with tempfile.TemporaryDirectory(prefix="assembler-join-") as scratch:
            entries = [r.store.get(p.key, SEGMENT_FILES) for p in r.planned]
            job = assembly_job(r.timeline, [e / "video.mp4" for e in entries], sound, Path(scratch))  # type: ignore[operator]
            run(job, r.out, ffmpeg=r.ff, progress=tally.callback(name), publish=staged.extend)
        stems = stage_beside(r.out, r.timeline, r.ff, (line.loudness or {}).get("gain_db"), staged,
                             loop_copies(r.store, r.ff, r.timeline) if stem_paths(r.out, r.timeline) else None)
        finished = time.monotonic()
        timings = Timings(finished - r.started, r.checked - r.started, rendered - r.checked, finished - rendered)
        receipt = make_receipt(r.edl, r.out, sha256_file(staged[0][0]), r.identity, r.timeline, r.planned, built,
                               replace(line, stems=tuple(os.fspath(p) for p in stems)), r.store, r.ff, timings,
                               staged[1:])
        swap(r.out, staged, receipt_path(r.out), receipt)
    finally:
        discard(staged)
    return receipt, finished
