"""A dry run: the commands a render would run, as shell lines that run as printed.

Contract: an EDL and an output path -> a :class:`DryRun`: every ffmpeg command of the
render (the segments with their content keys and whether the cache has them, the sound's
windows, joining, loudness and encoding, the assembly, the stems), each with the
environment it needs, what it reads and what it writes; and a folder holding every file
those commands name (graph scripts, burned subtitles, concat lists, chapters, fontconfig
files) and ``run.sh`` with all of them in order. Their outputs go into that folder, never
into the cache and never over the output, so running them makes there the file the
render would make, byte for byte.

Nothing is encoded and the cache is only read. With a loudness target, the level command
depends on a measurement of the mix: it is made now, decoding only (the whole mix into
the meter, nothing written), so that the printed level command is the render's own.

Imports ``cache``, ``compile``, ``errors``, ``ffmpeg``, ``render``, ``soundtrack``, ``timeline``.
"""

from __future__ import annotations

import hashlib
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

from assembler.batch import check_all
from assembler.run.cache import Cache
from assembler.compile.escape import shell_comment, shell_line, shell_word
from assembler.compile.subtitles import srt_text
from assembler.compile.jobs import Job, compile_copy, compile_level, compile_scan, compile_sound
from assembler.errors import UsageError
from assembler.run.ffmpeg import FFmpeg, command, font_environment
from assembler.render import (SEGMENT_FILES, EdlSource, assembly_job, default_cache_dir, folder_or_none, plan,
                     resolve_ffmpeg, sidecar_path, single_job)
from assembler.run.assemble import write_planned
from assembler.run.soundtrack import (LOOP_FILES, SOUND_FILES, level_unwritten, loop_jobs, recorded_level, sound_key, stem_jobs,
                         stem_paths, window_jobs)
from assembler.timeline.build import Timeline

__all__ = ["DryRun", "Step", "dry_run"]

SCRIPT = "run.sh"
MARK = ".assembler-dry-run"  # a folder holding it is a dry run's, to empty for the next one


@dataclass(frozen=True)
class Step:
    """One command of the render: ``argv`` run with ``env`` added to the environment."""

    what: str  # segment | sound | assembly | stem | single
    title: str
    argv: tuple[str, ...]
    env: tuple[tuple[str, str], ...] = ()
    reads: tuple[str, ...] = ()
    writes: tuple[str, ...] = ()
    graph: str | None = None  # the text of the graph script the command names
    script: str | None = None  # that script's path
    key: str | None = None  # the content key of what it makes in a render
    cached: bool | None = None  # whether a render would take that from the cache instead

    @property
    def shell(self) -> str:
        """The command as one shell line: quoted, ``VAR=value`` prefixes first."""
        return shell_line(self.argv, self.env)


@dataclass(frozen=True)
class DryRun:
    """What a render would run, and the folder that lets each command run as printed."""

    edl: str | None
    output: Path  # what the render writes
    folder: Path  # where these commands write instead, and the files they read
    made: Path  # the file the commands make in ``folder``: the render's output, byte for byte
    steps: tuple[Step, ...]
    timeline: Timeline
    loudness: dict | None = None  # the measurement the level command was written with
    first_loudness: dict | None = None  # the mix as measured, before a limiter's correction
    level_recorded: bool = False  # those came from the cached sound's record, not measured now
    files: tuple[Path, ...] = ()  # what the dry run wrote into ``folder``

    @property
    def script(self) -> Path:
        return self.folder / SCRIPT

    @property
    def argv(self) -> list[str]:
        """The command that writes the output (the assembly, or the one graph)."""
        return next(list(s.argv) for s in self.steps if os.fspath(self.made) in s.writes)

    @property
    def text(self) -> str:
        """Every command as a shell line under comments saying what it is (the graph
        scripts' text too, as comments): pasted into a shell, it runs as it reads."""
        pieces = [s for s in self.steps if s.what == "segment"]
        lines = [shell_comment(f"assembler dry run: {self.edl or 'an EDL built in code'} -> {self.output}"),
                 shell_comment(f"{len(self.steps)} commands; they read and write in {self.folder}/ (never the cache, "
                               f"never the output): {shell_word(os.fspath(self.made))} is what the render would write, "
                               "byte for byte"),
                 shell_comment(f"all of them in order: sh {shell_word(os.fspath(self.script))}")]
        if pieces:
            cached = sum(bool(s.cached) for s in pieces)
            lines.append(shell_comment(f"segments: {len(pieces)}; a render would make {len(pieces) - cached} and take "
                                       f"{cached} from the cache (run here, every one is made)"))
        if self.loudness is not None:
            lines.append(shell_comment(self._level_note()))
        for step in self.steps:
            state = "" if step.cached is None else " cached" if step.cached else " not cached"
            lines += ["", shell_comment(step.title + (f" key {step.key}{state}" if step.key else state))]
            if step.graph is not None:
                lines += [shell_comment(f"{step.script}:"),
                          *(shell_comment(f"  {line}") for line in step.graph.splitlines())]
            lines.append(step.shell)
        return "\n".join(lines) + "\n"

    def _level_note(self) -> str:
        first, used = self.first_loudness or self.loudness, self.loudness
        assert first is not None and used is not None and self.timeline.loudness is not None  # a levelled sound's note
        how = "as the cached sound recorded it" if self.level_recorded else \
            "measured now, decoding only (nothing encoded or written)"
        note = (f"loudness {how}: the mix is {first['input_i']:.1f} LUFS, true peak {first['input_tp']:.1f} dBTP; "
                f"the level command below sets {self.timeline.loudness - used['input_i']:+.2f} dB, exactly as the render will")
        if used != first:
            note += f" (a limiter catches peaks: corrected as if measured {used['input_i']:.1f} LUFS)"
        return note


class _Steps:
    """Steps being written: each job's graph script and fontconfig go into the folder."""

    def __init__(self, ff: FFmpeg, folder: Path):
        self.ff, self.folder = ff, folder
        self.steps: list[Step] = []

    def add(self, what: str, title: str, job: Job, outputs: list[Path] | None, graph: Path | None = None,
            key: str | None = None, cached: bool | None = None) -> None:
        """``outputs`` None: the job only measures (its output is ffmpeg's null muxer)."""
        if job.script is not None:
            assert graph is not None
            self.write(graph, job.script)
        env = None
        if job.fonts is not None:
            config = self.folder / "fonts" / (hashlib.sha256(repr(job.fonts).encode()).hexdigest()[:16] + ".conf")
            config.parent.mkdir(parents=True, exist_ok=True)
            env = font_environment(job, config)
        names = [os.fspath(p) for p in outputs] if outputs else ["-"] * len(job.outputs)
        argv = command(self.ff, job, graph if job.script is not None else None, names,
                       loglevel="error" if outputs else "info", progress=False)
        self.steps.append(Step(what, title, tuple(argv), tuple((env or {}).items()), job.paths,
                               tuple(names) if outputs else (), job.script,
                               None if job.script is None or graph is None else os.fspath(graph), key, cached))

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


def _graph_file(target: Path) -> Path:
    return target.with_name(f"{target.stem}.graph.txt")


def dry_run(edl: EdlSource, out: str | os.PathLike, *, base_dir: str | os.PathLike | None = None,
            ffmpeg: str | os.PathLike | FFmpeg | None = None, cache: str | os.PathLike | bool | None = None,
            folder: str | os.PathLike | None = None, single: bool = False,
            picks: Mapping[str, str] | None = None, only: Sequence[str] = ()) -> DryRun:
    """Check the EDL, then write the commands a render into ``out`` would run and the files
    they read into ``folder`` (default ``<out>.dryrun/``; a folder of an earlier dry run is
    emptied first), with ``run.sh`` running them all. ``cache`` as for ``render``: it is
    only read (which segments and sound it holds). ``single``: the one-graph command.
    ``picks``: the takes of shot slots, as for ``render``. An EDL with deliverables shows
    one file's: ``only`` names it (the commands of ``<out stem>.<name>.<suffix>``)."""
    out = Path(out).resolve()
    root = None if cache is False or single else \
        Path(cache) if cache is not None and not isinstance(cache, bool) else default_cache_dir(edl, base_dir)
    if root is not None:
        folder_or_none(root, "the cache")
    given = Path(folder).resolve() if folder is not None else None
    folder = folder_or_none(given or out.with_name(out.name + ".dryrun"), "the dry run's folder")
    # Without a cache, one that is never there: the folder's (which is emptied before it is written).
    store = Cache(root if root is not None else folder / ".no-cache", read_only=True)
    files = check_all([edl], out, base_dir=base_dir, store=store, only=only, picks=picks, ffmpeg=ffmpeg,
                      segmented=not single)
    if len(files) > 1:
        raise UsageError("a dry run shows the commands of one file: name one of the deliverables with --only "
                         f"({', '.join(f.deliverable or '' for f in files)})")
    timeline, out = files[0].timeline, files[0].out
    folder = folder_or_none(given or out.with_name(out.name + ".dryrun"), "the dry run's folder")  # a deliverable's
    ff = resolve_ffmpeg(ffmpeg)
    ff = replace(ff, path=os.path.abspath(ff.path))  # runs from any folder
    _empty(folder, out, root)
    steps = _Steps(ff, folder)
    made = folder / out.name
    first = measured = None
    recorded = False
    if single:
        loops = _loops(steps, store, timeline, folder)
        for (where, _, job), copy in zip(loop_jobs(store, ff, timeline), loops.values()):
            steps.add("single", f"the looped part of {where} decoded once, read again each time round", job,
                      [Path(copy)], _graph_file(Path(copy)))
        job, measured = single_job(timeline, ff, folder, loops, written=False)
        steps.add("single", "the whole episode as one graph", job, [made], _graph_file(made))
    else:
        first, measured, recorded = _sound(steps, store, timeline) or (None, None, False)
        pictures = _segments(steps, store, timeline)
        job = assembly_job(timeline, pictures, folder / "sound" / SOUND_FILES[0], folder)
        steps.add("assembly", "the assembly: the segments' pictures joined by copy, the sound muxed", job, [made])
    gain = round(timeline.loudness - measured["input_i"], 2) if measured else None
    loops = _loops(steps, store, timeline, folder if single else None)
    for role, path in stem_paths(made, timeline).items():
        for n, (job, target) in enumerate(jobs := stem_jobs(timeline, role, gain, path, folder / "stems" / role,
                                                            loops)):
            part = "" if len(jobs) == 1 else ", joined by copy" if job.script is None else f", window {n}"
            steps.add("stem", f"the {role} stem{part}", job, [target], _graph_file(target))
    track = timeline.subtitles
    if track is not None and track.sidecar:
        steps.write(sidecar_path(made), srt_text(track, timeline.output.fps))
    edl_name = None if not isinstance(edl, (str, os.PathLike)) else os.fspath(Path(edl).resolve())
    result = DryRun(edl_name, out, folder, made, tuple(steps.steps), timeline, measured, first, recorded)
    steps.write(folder / SCRIPT, "#!/bin/sh\nset -e\n" + result.text)
    return replace(result, files=tuple(sorted(p for p in folder.rglob("*") if p.is_file())))


def _empty(folder: Path, out: Path, cache: Path | None) -> None:
    """A folder of its own for the dry run: new, empty, or an earlier dry run's (emptied)."""
    if folder == out or folder in out.parents:
        raise UsageError(f"the dry run's folder {folder} would hold the output {out}: name another")
    if cache is not None and (folder == cache.resolve() or cache.resolve() in folder.parents):
        raise UsageError(f"the dry run's folder {folder} is inside the cache {cache}: name another")
    if folder.exists():
        if not folder.is_dir() or (any(folder.iterdir()) and not (folder / MARK).is_file()):
            raise UsageError(f"{folder} is not empty and not an earlier dry run's folder: name another")
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    (folder / MARK).write_text("made by `assembler render --dry-run`, which empties this folder when run again\n",
                               encoding="utf-8")


def _segments(steps: _Steps, store: Cache, timeline: Timeline) -> list[Path]:
    """A step per distinct segment (a shot used twice with the same trims is made once);
    returns every segment's picture, in order, as the assembly joins them."""
    made: dict[str, Path] = {}
    planned = plan(timeline, store, steps.ff, subtitles=steps.folder / "subtitles")
    write_planned(planned)
    for p in planned:
        if p.key in made:
            continue
        made[p.key] = target = steps.folder / "segments" / f"{p.key}.mp4"
        target.parent.mkdir(parents=True, exist_ok=True)
        items = ", ".join(f"video[{i}]" for i in p.segment.items)
        steps.add("segment", f"segment: {p.segment.kind} frames {p.segment.start}-{p.segment.end} ({items})", p.job,
                  [target], _graph_file(target), p.key, store.get(p.key, SEGMENT_FILES) is not None)
    return [made[p.key] for p in planned]


def _loops(steps: _Steps, store: Cache, timeline: Timeline, folder: Path | None = None) -> dict[str, str]:
    """Where the dry run's copies of long loops' looped parts would be (in ``folder``, by
    default its sound's), by ``where``."""
    return {where: os.fspath((folder or steps.folder / "sound") / f"loop{n}.wav")
            for n, (where, _, _) in enumerate(loop_jobs(store, steps.ff, timeline))}


def _sound(steps: _Steps, store: Cache, timeline: Timeline) -> tuple[dict, dict, bool] | None:
    """The sound's steps: windows mixed, joined, (measured and) levelled, encoded once.
    Returns the loudness measurements the level was set by, when there is a target, and
    whether they are the cached sound's record (else they were measured now)."""
    folder = steps.folder / "sound"
    folder.mkdir(parents=True, exist_ok=True)
    key = sound_key(store, steps.ff, timeline)
    cached = store.get(key, SOUND_FILES) is not None
    target = folder / SOUND_FILES[0]
    loops = _loops(steps, store, timeline)
    for where, loop_key, job in loop_jobs(store, steps.ff, timeline):
        steps.add("sound", f"sound: the looped part of {where} decoded once, read again each time round", job,
                  [Path(loops[where])], _graph_file(Path(loops[where])), loop_key,
                  store.get(loop_key, LOOP_FILES) is not None)
    jobs, listing = window_jobs(timeline, folder, loops)
    for n, (job, path) in enumerate(jobs):
        steps.add("sound", f"sound: mix window {n} of {len(jobs)}", job, [path], _graph_file(path))
    if timeline.loudness is None:
        steps.add("sound", "sound: the windows joined and encoded once", compile_sound(os.fspath(listing), timeline),
                  [target], _graph_file(target), key, cached)
        return None
    mix = jobs[0][1] if len(jobs) == 1 else folder / "mix.wav"
    if len(jobs) > 1:
        steps.add("sound", "sound: the windows joined by copy", compile_copy(os.fspath(listing), timeline), [mix])
    recorded = recorded_level(store, key)
    first, measured = recorded or level_unwritten(timeline, steps.ff)
    steps.add("sound", "sound: the mix's loudness (ebur128 prints it; the level below is set by it already)",
              compile_scan(os.fspath(mix), timeline), None, folder / "measure.graph.txt")
    steps.add("sound", "sound: levelled to the target and encoded in one pass",
              compile_level(os.fspath(mix), timeline, measured, encode=True), [target], _graph_file(target), key,
              cached)
    steps.add("sound", "sound: the encoded sound measured (what the render reports)",
              compile_scan(os.fspath(target), timeline), None, folder / "measure-encoded.graph.txt")
    return first, measured, recorded is not None
