"""The episode's sound as one unit: mixed from its sources, levelled, encoded once, cached.

Contract: a timeline -> its sound's content key, and the sound file (``sound.m4a`` in a
cache entry) with its receipt line; and the stems beside an output. The sound needs no
video segment, so a render makes it while the segments are made. It is mixed in windows
of the timeline (``plan.sound_windows``) so that no process opens more than a handful of
files, the windows joined as float PCM and encoded once (AAC cannot be cut into pieces
and joined by copy). With a loudness target: mix, measure (``ebur128``), set the level
with a plain gain (a true-peak limiter only where that gain would push peaks past the
ceiling), encode, and measure what came out (encoded again, corrected, when the encoder
moved it more than 0.5 LU off the target).

Imports ``cache``, ``compile``, ``escape``, ``ffmpeg``, ``mix``, ``plan``, ``timeline``.
"""

from __future__ import annotations

import json
import os
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path

from assembler.run.cache import Cache
from assembler.run.damage import clean
from assembler.compile.jobs import (Job, compile_copy, compile_level, compile_loop, compile_mix, compile_scan, compile_sound,
                      compile_stem, compile_timeline)
from assembler.compile import keys
from assembler.compile.escape import concat_list
from assembler.run.ffmpeg import FFmpeg, Progress, analyze, command, run
from assembler.run.receipts import SoundLine, frozen as _frozen
from assembler.compile.mix import limits, looped_apart, parse_loudness
from assembler.plan import Window, sound_windows
from assembler.timeline.build import Timeline
from assembler.timeline.items import Shot

__all__ = ["LOOP_FILES", "SOUND_FILES", "fingerprints", "level_unwritten", "loop_copies", "loop_jobs", "make_sound", "measure", "mix_jobs", "recorded_level", "settle", "sound_key", "stem_jobs",
           "stem_paths", "window_jobs", "write_listing", "write_loop_copies", "write_stems"]

SOUND_FILES = ("sound.m4a",)
LOOP_FILES = ("loop.wav",)


def fingerprints(store: Cache, jobs: Iterable[Job], known: dict[str, str] | None = None) -> dict[str, str]:
    """Every file the jobs read by its fingerprint (added to ``known``, when given): the
    data their content keys (``compile.keys``) are made from."""
    found = {} if known is None else known
    for job in jobs:
        for path in job.paths:
            if path not in found:
                found[path] = store.fingerprint(path)
    return found


def sound_key(store: Cache, ff: FFmpeg, timeline: Timeline) -> str:
    """The content key of the episode's sound (``keys.sound_key``), its sources fingerprinted
    through ``store``."""
    mix = mix_jobs(timeline)
    loops = [key for _, key, _ in loop_jobs(store, ff, timeline)]
    return keys.sound_key(mix, timeline, fingerprints(store, mix), store.salt(ff.version, ff.path), loops)


def loop_jobs(store: Cache, ff: FFmpeg, timeline: Timeline) -> list[tuple[str, str, Job]]:
    """For each long loop read again from a copy (``mix.looped_apart``): its ``where``, the
    copy's content key (its source by content, which part, the rate and layout, ffmpeg)
    and the job that makes it."""
    salt = store.salt(ff.version, ff.path)
    found = []
    for placed in looped_apart(timeline):
        job = compile_loop(os.fspath(placed.media.file), placed, timeline)
        found.append((placed.where, keys.job_key(job, fingerprints(store, [job]), salt), job))
    return found


def loop_copies(store: Cache, ff: FFmpeg, timeline: Timeline,
                cancel: threading.Event | None = None) -> dict[str, str]:
    """The copies of the long loops' looped parts (``loop_jobs``), from the cache or made
    now, by ``where``: one decode of each, read again each time round by the mix, so that
    no process holds a loop in memory (``aloop`` held all of a 2-hour bed: 2.7 GB). A
    source that changed while it was copied leaves nothing in the cache (MediaError)."""
    copies = {}
    for where, key, job in loop_jobs(store, ff, timeline):
        entry = store.get(key, LOOP_FILES)
        if entry is None:
            def make(paths: list[Path], job: Job = job) -> dict:
                run(job, paths[0], ffmpeg=ff, cancel=cancel)
                return {"argv": command(ff, job, "graph.txt", list(LOOP_FILES))}

            entry = store.put(key, LOOP_FILES, make, sources=fingerprints(store, [job]))
        copies[where] = os.fspath(entry / LOOP_FILES[0])
    return copies


def write_loop_copies(folder: Path, timeline: Timeline, ff: FFmpeg) -> dict[str, str]:
    """The copies of the long loops' looped parts (as ``loop_copies`` makes them) written
    into ``folder``, by ``where``: for the one-graph render, which has no cache."""
    copies = {}
    for n, placed in enumerate(looped_apart(timeline)):
        copies[placed.where] = os.fspath(folder / f"loop{n}.wav")
        run(compile_loop(os.fspath(placed.media.file), placed, timeline), Path(copies[placed.where]), ffmpeg=ff)
    return copies


def mix_jobs(timeline: Timeline, loops: dict[str, str] | None = None) -> list[Job]:
    """The jobs that mix the sound, window by window (long loops read from ``loops``, the
    copies ``loop_copies`` made; without them, held by aloop)."""
    return [compile_mix(timeline, w.start, w.end, loops=loops) for w in sound_windows(timeline, voices=True)]


_LOUDNESS_TOLERANCE = 0.2  # LU; the contract allows 0.5, AAC moves it a little (ebur128 prints 0.1 LU steps)
_ENCODED_TOLERANCE = 0.5  # LU the encoded sound may miss the target by (the contract's) before it is encoded again


def scan(path: Path, timeline: Timeline, ff: FFmpeg) -> dict:
    """What ffmpeg measured of a file's loudness (see ``mix.parse_loudness``)."""
    return parse_loudness(analyze(compile_scan(os.fspath(path), timeline), ffmpeg=ff))


def measure(path: Path, timeline: Timeline, ff: FFmpeg) -> dict:
    """Integrated loudness, true peak and range of a file's sound, by ffmpeg's ebur128."""
    found = scan(path, timeline, ff)
    return {"integrated": found["input_i"], "true_peak": found["input_tp"], "range": found["input_lra"]}


def make_sound(store: Cache, key: str, timeline: Timeline, ff: FFmpeg,
               progress: Callable[[float], None] | None = None,
               cancel: threading.Event | None = None) -> tuple[Path, SoundLine]:
    """The episode's sound, mixed from its sources in windows (``plan.sound_windows``: each
    job opens a handful of files) and encoded once, cached as a unit: a re-render with
    nothing changed encodes nothing. It needs no segment, so it is made while they are.
    With a loudness target: mix, measure, set the level, encode, measure what came out.
    Returns the file and its receipt line."""
    entry = store.get(key, SOUND_FILES)
    fresh = entry is None
    if entry is None:
        def make(paths: list[Path]) -> dict:
            # The mixed windows are scratch: beside the entry being made, never inside it.
            loops = loop_copies(store, ff, timeline, cancel)
            with tempfile.TemporaryDirectory(prefix="windows.", dir=paths[0].parent.parent) as scratch:
                return _mix_and_encode(paths, timeline, ff, Path(scratch), progress or (lambda fraction: None), cancel,
                                       loops)

        entry = store.put(key, SOUND_FILES, make)
    meta = json.loads((entry / "meta.json").read_text())
    return entry / SOUND_FILES[0], SoundLine(key, fresh, _frozen(meta.get("windows")), _frozen(meta.get("mix_argv")),
                                             _frozen(meta.get("argv")), meta.get("loudness"), _frozen(keys.ducked(timeline)),
                                             _frozen(meta.get("decode_errors") or []))


def _mix_and_encode(paths: list[Path], timeline: Timeline, ff: FFmpeg, scratch: Path,
                    progress: Callable[[float], None], cancel: threading.Event | None, loops: dict[str, str]) -> dict:
    started = time.monotonic()
    windows = sound_windows(timeline, voices=True)
    jobs, listing = window_jobs(timeline, scratch, loops)
    made = [path for _, path in jobs]
    argvs: list[list[str]] = []
    errors: list[list[str]] = []
    for w, (job, path) in zip(windows, jobs):
        def report(done: Progress, w: Window = w) -> None:
            progress(0.8 * (w.start + done.fraction * (w.end - w.start)) / timeline.samples)

        said: list[str] = []
        run(job, path, ffmpeg=ff, progress=report, cancel=cancel, said=said.append)
        argvs.append(command(ff, job, "graph.txt", [path.name]))
        errors.append(clean(said))
    line = {"windows": [[w.start, w.end, w.sources] for w in windows], "mix_argv": argvs,
            # What ffmpeg could not decode in each window, kept to be said again from the cache.
            **({"decode_errors": errors} if any(errors) else {})}
    if timeline.loudness is None:
        job = compile_sound(os.fspath(listing), timeline)
        run(job, paths, ffmpeg=ff, progress=lambda done: progress(0.8 + 0.2 * done.fraction), cancel=cancel)
        return {"seconds": time.monotonic() - started, **line, "argv": command(ff, job, "graph.txt", list(SOUND_FILES))}
    mix, level = made[0] if len(made) == 1 else scratch / "mix.wav", scratch / "level.wav"
    if len(made) > 1:  # the windows are float PCM already: joined by copy
        run(compile_copy(os.fspath(listing), timeline), mix, ffmpeg=ff, cancel=cancel)
    progress(0.85)

    def levelled(measured: dict) -> dict:
        run(compile_level(os.fspath(mix), timeline, measured), level, ffmpeg=ff, cancel=cancel)
        return scan(level, timeline, ff)

    first = scan(mix, timeline, ff)
    measured = settle(first, timeline.loudness, levelled)

    def encoded(measured: dict) -> tuple[Job, dict]:
        job = compile_level(os.fspath(mix), timeline, measured, encode=True)  # level and encode in one pass
        run(job, paths, ffmpeg=ff, progress=lambda done: progress(0.85 + 0.15 * done.fraction), cancel=cancel)
        return job, measure(paths[0], timeline, ff)

    job, found = encoded(measured)
    miss = found["integrated"] - timeline.loudness
    if abs(miss) > _ENCODED_TOLERANCE:
        # The encoder's low-pass takes off treble that the meter's K-weighting counts (white
        # noise reads 1.1 LU low from AAC at 192k): encoded again, the level moved by the miss.
        measured = dict(measured, input_i=measured["input_i"] + miss)
        job, found = encoded(measured)
    return {"seconds": time.monotonic() - started, **line, "argv": command(ff, job, "graph.txt", list(SOUND_FILES)),
            "mix_loudness": first, "level_by": measured,
            "loudness": {"target": timeline.loudness, "gain_db": round(timeline.loudness - measured["input_i"], 2),
                         **found}}


def settle(first: dict, target: float, levelled: Callable[[dict], dict]) -> dict:
    """The measurement to level by: ``first``, corrected while the level misses ``target``
    (``levelled(measured)`` measures the sound levelled by it), as a limiter that caught
    many peaks lowers the level; a plain gain moves it by exactly the gain."""
    measured = first
    for _ in range(3):
        if not limits(measured, target):
            break
        error = levelled(measured)["input_i"] - target
        if abs(error) <= _LOUDNESS_TOLERANCE:
            break
        measured = dict(measured, input_i=measured["input_i"] + error)
    return measured


def recorded_level(store: Cache, key: str) -> tuple[dict, dict] | None:
    """The first measurement and the one the cached sound ``key`` was levelled by, as its
    entry recorded them (None when it is not cached, or was made before they were kept)."""
    entry = store.get(key, SOUND_FILES)
    if entry is None:
        return None
    meta = json.loads((entry / "meta.json").read_text())
    return (meta["mix_loudness"], meta["level_by"]) if "mix_loudness" in meta and "level_by" in meta else None


def level_unwritten(timeline: Timeline, ff: FFmpeg) -> tuple[dict, dict]:
    """The first measurement of the episode's sound and the one ``make_sound`` levels by,
    with nothing written: the whole mix decoded by one process into the meter (the windows
    join into exactly that mix)."""
    def levelled(measured: dict | None) -> dict:
        return parse_loudness(analyze(compile_timeline(timeline, picture=False, loudness=measured), ffmpeg=ff))

    first = levelled(None)
    return first, settle(first, timeline.loudness, levelled)  # type: ignore[arg-type]  # asked with a target only


def stem_paths(out: Path, timeline: Timeline) -> dict[str, Path]:
    """``<output>.<role>.wav`` for every role that sounds, when the EDL asks for stems."""
    if not timeline.stems:
        return {}
    roles = {p.role for p in timeline.placements if isinstance(p, Shot) and p.sound} | {c.role for c in timeline.sounds}
    return {role: out.with_name(f"{out.stem}.{role}.wav") for role in sorted(roles)}


def write_stems(out: Path, timeline: Timeline, ff: FFmpeg, sound: dict, loops: dict[str, str] | None = None,
                publish: Callable[[list[tuple[Path, Path]]], None] | None = None) -> list[Path]:
    """One WAV per role beside the output, at the mix's gain (they add up to the mix, but
    for the limiter's work on rare peaks); long loops read from ``loops`` (``loop_copies``);
    ``publish``, as in ``run``, is given each (temporary, final) pair instead of the rename."""
    gain = (sound.get("loudness") or {}).get("gain_db")
    written = []
    for role, path in stem_paths(out, timeline).items():
        with tempfile.TemporaryDirectory(prefix="assembler-stem-") as scratch:
            for job, target in stem_jobs(timeline, role, gain, path, Path(scratch), loops):
                run(job, target, ffmpeg=ff, publish=publish if target == path else None)
        written.append(path)
    return written


def stem_jobs(timeline: Timeline, role: str, gain: float | None, path: Path, scratch: Path,
              loops: dict[str, str] | None = None) -> list[tuple[Job, Path]]:
    """The jobs that make one role's stem at ``path``, in order, with what each writes: in
    windows (each opening a handful of files) joined by copy, the pieces and their list
    (written now) in ``scratch``."""
    windows = sound_windows(timeline, role=role, voices=True)
    if len(windows) == 1:
        return [(compile_stem(timeline, role, gain, loops=loops), path)]
    jobs = [(compile_stem(timeline, role, gain, w.start, w.end, loops), scratch / f"window{n:04d}.wav")
            for n, w in enumerate(windows)]
    return [*jobs, (compile_copy(os.fspath(_listing(scratch, [p for _, p in jobs])), timeline), path)]


def window_jobs(timeline: Timeline, scratch: Path,
                loops: dict[str, str] | None = None) -> tuple[list[tuple[Job, Path]], Path]:
    """The jobs that mix the sound window by window into ``scratch``, with what each writes,
    and the concat list (written now) that joins them."""
    jobs = [(job, scratch / f"window{n:04d}.wav") for n, job in enumerate(mix_jobs(timeline, loops))]
    return jobs, _listing(scratch, [p for _, p in jobs])


def _listing(scratch: Path, pieces: list[Path]) -> Path:
    scratch.mkdir(parents=True, exist_ok=True)
    return write_listing(scratch / "windows.txt", pieces)


def write_listing(listing: Path, pieces: list[Path]) -> Path:
    """The concat list ``listing`` joining ``pieces``. The demuxer's list cannot hold a line
    break, which a folder's name may: such a piece is named relative to the list when it is
    beside it (the demuxer resolves names from the list's folder), else through a link made
    there."""
    names = []
    for n, piece in enumerate(pieces):
        name = os.fspath(piece)
        if "\n" in name or "\r" in name:
            if piece.parent == listing.parent:
                name = piece.name
            else:
                link = listing.with_name(f"{listing.stem}.{n:05d}{piece.suffix}")
                link.unlink(missing_ok=True)
                link.symlink_to(os.path.abspath(piece))
                name = link.name
        names.append(name)
    listing.write_text(concat_list(names), encoding="utf-8")
    return listing
