"""Orchestration only: load -> probe -> timeline -> compile -> run.

Contract: an EDL (a path or an :class:`~assembler.edl.Edl` built in code) -> a checked
:class:`~assembler.timeline.Timeline`, a compiled job, or a rendered file with a
:class:`RenderResult`. Validation (schema and media, every problem at once) always runs
before any encoding starts. Never prints, never exits; errors are exceptions.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

from .compile import Job, compile_timeline
from .edl import Edl
from .errors import EdlError, Problem
from .ffmpeg import FFmpeg, Progress, command, find_ffmpeg, run
from .load import Validated, from_model, parse, validate
from .media import probe_all
from .timeline import Timeline, build, media_paths

__all__ = ["DryRun", "RenderResult", "check", "dry_run", "render"]

EdlSource = str | os.PathLike | Edl


@dataclass(frozen=True)
class RenderResult:
    """What a render produced."""

    path: Path
    duration: Fraction  # seconds, exact
    frames: int
    elapsed: float  # wall seconds
    warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class DryRun:
    """The command and the graph a render would run, with nothing encoded."""

    argv: list[str]
    graph: str
    timeline: Timeline


def _validated(edl: EdlSource, base_dir: str | os.PathLike | None) -> Validated:
    if isinstance(edl, Edl):
        return from_model(edl, base_dir)
    return validate(parse(edl))


def check(edl: EdlSource, *, base_dir: str | os.PathLike | None = None) -> Timeline:
    """Validate an EDL against the schema and its media; return the timeline.

    Raises :class:`~assembler.errors.EdlError` listing every problem (schema and media
    together), each with file, line and field path. ``base_dir`` is where the relative
    paths of an EDL built in code resolve (default: the current directory).
    """
    validated = _validated(edl, base_dir)
    timeline, problems = build(validated, probe_all(media_paths(validated)))
    everything = [*validated.problems, *problems]
    if timeline is None or any(p.severity == "error" for p in everything):
        raise EdlError(everything)
    return timeline


def dry_run(edl: EdlSource, out: str | os.PathLike, *, base_dir: str | os.PathLike | None = None,
            ffmpeg: str | os.PathLike | FFmpeg | None = None) -> DryRun:
    """Check and compile, and show the ffmpeg command and graph without running them."""
    timeline = check(edl, base_dir=base_dir)
    job = compile_timeline(timeline)
    ff = ffmpeg if isinstance(ffmpeg, FFmpeg) else find_ffmpeg(ffmpeg)
    return DryRun(command(ff, job, "GRAPH.txt", out), job.graph, timeline)


def render(edl: EdlSource, out: str | os.PathLike, *, progress: Callable[[Progress], None] | None = None,
           base_dir: str | os.PathLike | None = None,
           ffmpeg: str | os.PathLike | FFmpeg | None = None) -> RenderResult:
    """Render an EDL to ``out`` and return what was made.

    ``progress`` is called with a :class:`~assembler.ffmpeg.Progress` as ffmpeg works.
    The output appears only when complete: a failed or interrupted render leaves the
    previous file (if any) untouched.
    """
    timeline = check(edl, base_dir=base_dir)
    job: Job = compile_timeline(timeline)
    ff = ffmpeg if isinstance(ffmpeg, FFmpeg) else find_ffmpeg(ffmpeg)
    elapsed = run(job, out, ffmpeg=ff, progress=progress)
    return RenderResult(Path(out), timeline.duration, timeline.frames, elapsed, timeline.warnings)
