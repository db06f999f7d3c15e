"""Running a plan: the files its jobs read written, the missing segments made on an
executor beside the sound, the progress of all of it, and the jobs that join the pictures
or make the whole episode as one graph.

Contract: planned segments (each a job, its content key and the files it needs written)
-> segments in the cache; a timeline -> the assembly's or the one graph's job, with the
small files they read (chapters, subtitles, lists) written into a folder. Imports
``cache``, ``compile``, ``ffmpeg``, ``plan``, ``soundtrack``, ``timeline``.
"""

from __future__ import annotations

import os
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Executor, Future, ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assembler.compile.jobs import Job, chapters_text, compile_assembly, compile_timeline, compile_together
from assembler.compile.mix import parse_loudness
from assembler.errors import RenderError
from assembler.plan import Segment
from assembler.run.cache import Cache
from assembler.run.damage import clean
from assembler.run.ffmpeg import FFmpeg, Progress, analyze, command, find_ffmpeg, run, write_atomic
from assembler.run.soundtrack import write_listing
from assembler.timeline.build import Timeline
from assembler.compile.subtitles import ass_text, srt_text
from assembler.layout.frame import own

__all__ = ["PlannedSegment", "SEGMENT_FILES", "Tally", "assembly_job", "build_all", "build_segment", "build_segments",
           "single_job", "write_planned"]

SEGMENT_FILES = ("video.mp4",)
T = TypeVar("T")


@dataclass(frozen=True)
class PlannedSegment:
    segment: Segment
    job: Job
    key: str
    sources: tuple[tuple[str, str], ...] = ()  # (path, fingerprint) the key was made from
    # (path, text) of files the job reads that the plan only names (burned subtitles): the
    # runner writes them (write_planned) before the job runs.
    writes: tuple[tuple[str, str], ...] = ()


def write_planned(planned: list[PlannedSegment]) -> None:
    """The files the planned jobs read and the plan gave as text, each named by its
    content: one already there with these bytes is only marked in use."""
    for path, text in dict(w for p in planned for w in p.writes).items():
        file = Path(path)
        try:
            # Checked like a segment: an edited file under this name would burn other words.
            if file.read_bytes() == text.encode("utf-8"):
                os.utime(file)  # in use: `cache prune` leaves it alone for a day
                continue
        except OSError:
            pass
        file.parent.mkdir(parents=True, exist_ok=True)
        write_atomic(file, text)


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


class Tally:
    """Progress of many jobs at once, as one fraction on the timeline's scale, and the
    stage the render is at (thread-safe). Keys other than those of the sounds ("sound",
    "sound 2"...) and the assemblies ("assembly"...) are segments, unless one ``stage``
    names the whole render."""

    def __init__(self, weights: dict[str, float], timeline: Timeline,
                 report: Callable[[Progress], None] | None, stage: str | None = None,
                 frames: int | None = None, seconds: float | None = None):
        self.weights, self.done, self.stage = weights, {k: 0.0 for k in weights}, stage
        self.total_weight = sum(weights.values()) or 1.0
        # Several files at once count their frames and seconds together.
        self.frames = timeline.frames if frames is None else frames
        self.total_seconds = float(timeline.duration) if seconds is None else seconds
        self.report = report
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
        self.report(Progress(overall, seconds, self.total_seconds, round(overall * self.frames), elapsed,
                             seconds / elapsed if elapsed > 0 else None, stage))  # type: ignore[misc]

    def _stage(self) -> str:
        if self.stage:
            return self.stage
        segments = [k for k in self.done if not k.startswith(("sound", "assembly"))]
        finished = sum(self.done[k] >= 1 for k in segments)
        if finished < len(segments):
            return f"segments {finished}/{len(segments)}"
        return "sound" if any(v < 1 for k, v in self.done.items() if k.startswith("sound")) else "assembly"

    def callback(self, name: str) -> Callable[[Progress], None]:
        return lambda p: self.update(name, p.fraction)

    def callbacks(self, names: Sequence[str]) -> Callable[[Progress], None]:
        """One job's progress as that of each of ``names`` (the segments it makes together)."""
        def report(p: Progress) -> None:
            for name in names:
                self.update(name, p.fraction)
        return report


def build_segments(cache_root: str, keys: Sequence[str], jobs: Sequence[Job], ffmpeg_path: str,
                   progress: Callable[[Progress], None] | None = None, cancel: threading.Event | None = None,
                   sources: dict[str, str] | None = None) -> list[dict]:
    """Render several segments of one stretch of a cut (one per deliverable) in one ffmpeg
    run, decoding what they share once (``compile_together``); each goes into the cache
    under its own key, as :func:`build_segment` would have made it. A plain function of
    plain values, like it."""
    store = Cache(cache_root)
    todo = [(key, job) for key, job in zip(keys, jobs) if store.get(key, SEGMENT_FILES) is None]
    if len(todo) < 2:
        return [build_segment(cache_root, key, job, ffmpeg_path, progress, cancel, sources) for key, job in todo] + \
            [{"key": key, "built": False, "seconds": 0.0} for key in keys if key not in dict(todo)]
    ff = find_ffmpeg(ffmpeg_path)
    together = compile_together([job for _, job in todo])
    started = time.monotonic()
    said: list[str] = []
    with tempfile.TemporaryDirectory(prefix="assembler-together-", dir=store.folder("tmp")) as scratch:
        made = [Path(scratch) / f"{n}.mp4" for n in range(len(todo))]
        run(together, made, ffmpeg=ff, progress=progress, cancel=cancel, said=said.append)
        argv = command(ff, together, "graph.txt", [f"{key[:16]}.mp4" for key, _ in todo])
        for (key, job), path in zip(todo, made):
            def move(paths: list[Path], path: Path = path, job: Job = job) -> dict:
                os.replace(path, paths[0])
                return {"argv": argv, "graph": together.script, "errors": clean(said)}
            store.put(key, SEGMENT_FILES, move, sources)
    seconds = time.monotonic() - started
    return [{"key": key, "built": True, "seconds": seconds / len(todo), "errors": clean(said)} for key, _ in todo] + \
        [{"key": key, "built": False, "seconds": 0.0} for key in keys if key not in dict(todo)]


def build_all(missing: list[list[PlannedSegment]], store: Cache, ff: FFmpeg, tally: Tally, jobs: int | None,
              executor: Executor | None, sound: Callable[[threading.Event], T],
              blame: Callable[[PlannedSegment, RenderError], RenderError] | None = None
              ) -> tuple[dict[str, dict], T]:
    """Render the missing segments, in parallel, and the sound beside them (on a worker of
    our own pool, first, as its chain is the longest; here while an executor renders the
    segments elsewhere); on any failure or interrupt, stop the rest. Each entry of
    ``missing`` is one ffmpeg run: a segment, or several of one stretch of the cut (one per
    deliverable) made together. ``blame`` says a segment's failure in the EDL's terms."""
    cancel = threading.Event()
    own = executor is None
    pool = executor or ThreadPoolExecutor(max_workers=max(1, jobs or os.cpu_count() or 1),
                                          thread_name_prefix="assembler-segment")
    futures: dict[Future[Any], list[PlannedSegment]] = {}
    results: dict[str, dict] = {}
    try:
        heard = pool.submit(sound, cancel) if own else None
        for group in missing:
            sources = {path: mark for p in group for path, mark in p.sources}
            future: Future[Any]
            if len(group) == 1:
                p = group[0]
                if own:  # local threads share memory: live progress and cancellation
                    future = pool.submit(build_segment, os.fspath(store.root), p.key, p.job, ff.path,
                                         tally.callback(p.key), cancel, sources)
                else:
                    future = pool.submit(build_segment, os.fspath(store.root), p.key, p.job, ff.path,
                                         sources=sources)
            else:
                keys, made = [p.key for p in group], [p.job for p in group]
                if own:
                    future = pool.submit(build_segments, os.fspath(store.root), keys, made, ff.path,
                                         tally.callbacks(keys), cancel, sources)
                else:
                    future = pool.submit(build_segments, os.fspath(store.root), keys, made, ff.path, sources=sources)
            futures[future] = group
        made_sound = sound(cancel) if heard is None else None
        for future in as_completed([*futures, *([heard] if heard else [])]):
            if future is heard:
                made_sound = heard.result()
                continue
            try:
                result = future.result()
            except RenderError as exc:
                raise (blame(futures[future][0], exc) if blame else exc) from None
            for one in result if isinstance(result, list) else [result]:
                results[one["key"]] = one
                tally.update(one["key"], 1.0)
    except BaseException:
        cancel.set()
        for future in futures:
            future.cancel()
        raise
    finally:
        if own:
            pool.shutdown(wait=True, cancel_futures=True)
    assert made_sound is not None
    return results, made_sound


def single_job(timeline: Timeline, ff: FFmpeg, folder: Path, loops: dict[str, str] | None = None,
               written: bool = True) -> tuple[Job, dict | None]:
    """The whole timeline as one graph, with the files it reads (chapters, subtitles)
    written into ``folder``; and the first loudness pass it levels by (measured now,
    decoding only). ``loops``: the copies of long loops' looped parts (``write_loop_copies``),
    also measured from unless they are not ``written`` yet (a dry run's: aloop holds them
    there, the same samples); without them, aloop holds those loops."""
    measured = parse_loudness(analyze(compile_timeline(timeline, picture=False, loops=loops if written else None),
                                      ffmpeg=ff)) if timeline.loudness is not None else None
    track, laid = timeline.subtitles, own(timeline)
    burn = ass_text(track, laid.subtitles, laid.width, laid.height, timeline.output.fps, 0, timeline.frames) \
        if track and track.burn and laid.subtitles else None
    if burn:
        (folder / "burn.ass").write_text(burn, encoding="utf-8")
    job = compile_timeline(timeline, laid=laid, loudness=measured, chapters=_chapters_file(timeline, folder),
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


def _soft_file(timeline: Timeline, scratch: Path) -> str | None:
    """The subtitles as an SRT in ``scratch``, when the output carries them as a stream."""
    track = timeline.subtitles
    if track is None or not track.soft:
        return None
    path = scratch / "soft.srt"
    path.write_text(srt_text(track, timeline.output.fps), encoding="utf-8")
    return os.fspath(path)
