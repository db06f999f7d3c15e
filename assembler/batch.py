"""Several files in one run: an EDL's deliverables, and the episodes of a season.

Contract: EDLs and where their files go -> every file checked first (every problem of
every one of them at once, before anything is encoded), then all rendered together on one
cache, on one pool, so that what they share is made once: the sound when their sound
settings agree,
the picture segments two deliverables draw alike, a series intro's segments for every
episode. Each file gets its receipt; the run returns a :class:`Delivered`, one
:class:`~assembler.render.RenderResult` per file, in order, with a summary table.

Where files go: one EDL into ``out`` writes ``out`` itself, or ``<out stem>.<name>.<suffix>``
for each of its deliverables (``only``: those named); several EDLs into the folder ``out``
write ``out/<EDL stem>.mp4`` (or its deliverables beside it), and with ``out`` None each
beside its EDL, as one EDL does by default.

>>> import assembler
>>> edl = assembler.Edl(version=1, video=[{"color": "red", "duration": 1}],
...                     deliverables=[{"name": "master"}, {"name": "review", "size": "640x360"}])
>>> delivered = render_all([edl], "/tmp/doctest-episode.mp4", cache=False)  # doctest: +SKIP
>>> sorted(delivered)  # doctest: +SKIP
['master', 'review']
"""

from __future__ import annotations

import html
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import Executor
from dataclasses import dataclass, replace
from pathlib import Path

from assembler.errors import EdlError, Problem, UsageError
from assembler.model.deliverables import located, targets
from assembler.model.edl import Edl, Output
from assembler.model.takes import slots, with_picks
from assembler.render import (Checked, EdlSource, RenderResult, writable_cache, cache_folder, checked_target, render_checked,
                              resolve_ffmpeg, validate_source)
from assembler.run.cache import Cache
from assembler.run.ffmpeg import Progress, remove_leftovers
from assembler.run.outputs import written_files
from assembler.run.probe import audible_spans, probe
from assembler.timeline.build import Timeline
from assembler.timeline.sources import Audible, MediaInfo

__all__ = ["Delivered", "File", "check_all", "render_all"]


@dataclass(frozen=True)
class File:
    """One file of a run, checked: which EDL, which deliverable (None: the EDL's own
    output), where it goes, and its timeline."""

    edl: EdlSource
    deliverable: str | None
    out: Path
    timeline: Timeline
    label: str  # what the summary and the progress call it: "vertical", "ep02", "ep02.vertical"
    output: Output  # the EDL's own, or with the deliverable's fields over it


@dataclass(frozen=True)
class Delivered(Mapping[str, RenderResult]):
    """What a run made: a :class:`RenderResult` per file, by its label (a deliverable's
    name; with several EDLs, ``<EDL stem>`` or ``<EDL stem>.<name>``), in order."""

    results: tuple[tuple[str, RenderResult], ...]
    elapsed: float = 0.0  # the whole run, wall seconds, checking included

    def __getitem__(self, label: str) -> RenderResult:
        for name, result in self.results:
            if name == label:
                return result
        raise KeyError(label)

    def __iter__(self) -> Iterator[str]:
        return (name for name, _ in self.results)

    def __len__(self) -> int:
        return len(self.results)

    def rows(self) -> list[tuple[str, str, str, str, str]]:
        """The summary: (file, duration, segments rendered / reused, seconds from the start
        of the rendering to the file's being written, loudness). Files of one run share one
        pool, so a file's own time is not apart from the others'."""
        table = []
        for _, r in self.results:
            segments = f"{r.rendered} / {r.segments - r.rendered}" if r.segments else "one graph"
            loudness = f"{r.loudness['integrated']:.1f} LUFS" if r.loudness else "as mixed"
            table.append((r.path.name, f"{float(r.duration):.2f} s", segments, f"{r.elapsed:.1f}", loudness))
        return table

    def __repr__(self) -> str:
        files = f"{len(self)} file{'' if len(self) == 1 else 's'}"
        return f"<Delivered {files} in {self.elapsed:.1f} s: {', '.join(self)}>"

    def _repr_html_(self) -> str:
        """The summary as a table, for a notebook (Jupyter's display protocol)."""
        head = "".join(f"<th>{name}</th>" for name in ("file", "duration", "segments rendered / reused",
                                                       "done after (s)", "loudness"))
        body = "".join("<tr>" + "".join(f"<td>{html.escape(cell)}</td>" for cell in row) + "</tr>"
                       for row in self.rows())
        files = f"{len(self)} file{'' if len(self) == 1 else 's'}"
        return f"<table><caption>{files} in {self.elapsed:.1f} s</caption><tr>{head}</tr>{body}</table>"


def _label(edl: EdlSource, index: int, several: bool, deliverable: str | None) -> str:
    episode = Path(edl).stem if not isinstance(edl, Edl) else f"edl{index + 1}"
    if not several:
        return deliverable or episode
    return f"{episode}.{deliverable}" if deliverable else episode


def _out_of(edl: EdlSource, index: int, out: Path | None, several: bool, deliverable: str | None) -> Path:
    """Where a file goes (see the module's docstring)."""
    if out is None:  # several EDL files, each writing beside itself
        if isinstance(edl, Edl):
            raise UsageError("an EDL built in code has no folder to write beside: give the folder `out`")
        base = Path(edl).with_suffix(".mp4")
    else:
        base = out / f"{_label(edl, index, True, None)}.mp4" if several else out
    return base.with_name(f"{base.stem}.{deliverable}{base.suffix}") if deliverable else base


def check_all(edls: Sequence[EdlSource], out: str | os.PathLike | None, *, base_dir: str | os.PathLike | None = None,
              store: Cache | None = None, only: Sequence[str] = (), picks: Mapping[str, str] | None = None,
              ffmpeg=None, segmented: bool = True, sheet: str | os.PathLike | None = None) -> list[File]:
    """Every file the EDLs write into ``out``, checked (see the module's docstring); raises
    one :class:`~assembler.errors.EdlError` with every problem of every file. A problem
    that only some of an EDL's deliverables have (a title too wide for the vertical) says
    which. ``picks`` apply to each EDL that has the slot; ``only`` to each that has the
    deliverable: one that none has is an error. ``segmented`` and ``sheet`` are
    :func:`~assembler.render.check`'s."""
    several = len(edls) > 1
    if out is None and not several:
        raise UsageError("say where the file goes: `out`")
    out = None if out is None else Path(out)
    prober, measurer = (store.probe, store.audible) if store is not None else _remembered()
    files, problems = [], []
    asked_picks, asked_only = dict(picks or {}), list(only)
    for i, edl in enumerate(edls):
        validated = validate_source(edl, base_dir)
        mine = {s: t for s, t in asked_picks.items() if not several or s in slots(validated)}
        validated, picked = with_picks(validated, mine)
        names = [d.name for d in validated.edl.deliverables] if validated.edl is not None else []
        chosen, asked = targets(validated, [n for n in asked_only if not several or n in names])
        everyone: dict[Problem, list[str]] = {}
        for target in chosen:
            file_out = _out_of(edl, i, out, several, target.name)
            timeline, found = checked_target(target.validated, prober, measurer, file_out,
                                             None if isinstance(edl, Edl) else Path(edl), segmented, sheet, ffmpeg,
                                             picked)
            for problem in found:
                everyone.setdefault(located(problem, target, target.validated), []).append(target.name or "")
            if timeline is not None:
                files.append(File(edl, target.name, file_out, timeline, _label(edl, i, several, target.name),
                                  target.validated.output))
        problems += [*asked, *(_of_some(p, names, len(chosen)) for p, names in everyone.items())]
    if several:
        problems += _not_found(edls, base_dir, asked_picks, asked_only)
    problems += _one_file_each(files)
    if any(p.severity == "error" for p in problems):
        raise EdlError(problems)
    # Each timeline's warnings are what was said of all of them: the first file's carries them.
    return [replace(f, timeline=replace(f.timeline, warnings=tuple(problems))) if n == 0 else f
            for n, f in enumerate(files)]


def _of_some(problem: Problem, names: list[str], of: int) -> Problem:
    """A problem of only some deliverables, saying which."""
    if len(names) == of or not any(names) or problem.path.startswith("deliverables"):
        return problem
    which = ", ".join(n for n in names if n)
    return replace(problem, message=f"{problem.message} (in the deliverable{'s' if len(names) > 1 else ''} {which})")


def _not_found(edls: Sequence[EdlSource], base_dir, picks: Mapping[str, str], only: Sequence[str]) -> list[Problem]:
    """The picks and deliverables asked for that no EDL of a season has."""
    slots_seen: set[str] = set()
    names_seen: set[str] = set()
    for edl in edls:
        validated = validate_source(edl, base_dir)
        slots_seen |= set(slots(validated))
        names_seen |= {d.name for d in validated.edl.deliverables} if validated.edl is not None else set()
    where = "" if isinstance(edls[0], Edl) else os.fspath(edls[0])
    return ([Problem(where, None, "", f"--pick {s}={t}: no EDL of these has a shot slot `{s}`") for s, t in picks.items()
             if s not in slots_seen] +
            [Problem(where, None, "", f"--only {n}: no EDL of these has a deliverable `{n}`") for n in only
             if n not in names_seen])


def _one_file_each(files: list[File]) -> list[Problem]:
    """Two files of one run may not write one path (two episodes of one name, say)."""
    problems: list[Problem] = []
    seen: dict[str, File] = {}
    for f in files:
        for path in written_files(f.out, f.timeline):
            key = os.path.normcase(os.path.abspath(path))
            if (first := seen.setdefault(key, f)) is not f:
                problems.append(Problem("" if isinstance(f.edl, Edl) else os.fspath(f.edl), None, "",
                                        f"this and {first.edl} would both write {path}",
                                        "give the EDLs (or deliverables) names of their own"))
    return problems


def _remembered() -> tuple[Callable[[Path], MediaInfo], Callable[[Path, float], Audible]]:
    """A prober and measurer that ask each file once in a run (without a cache to ask)."""
    probes: dict[Path, MediaInfo] = {}
    spans: dict[tuple[Path, float], Audible] = {}

    def prober(path: Path) -> MediaInfo:
        if path not in probes:
            probes[path] = probe(path)
        return probes[path]

    def measurer(path: Path, threshold: float) -> Audible:
        if (path, threshold) not in spans:
            spans[path, threshold] = audible_spans(path, threshold)
        return spans[path, threshold]
    return prober, measurer


def render_all(edls: Sequence[EdlSource], out: str | os.PathLike | None, *,
               progress: Callable[[Progress], None] | None = None, base_dir: str | os.PathLike | None = None,
               ffmpeg=None, cache: str | os.PathLike | bool | None = None, jobs: int | None = None,
               executor: Executor | None = None, on_checked: Callable[[Timeline], None] | None = None,
               picks: Mapping[str, str] | None = None, only: Sequence[str] = ()) -> Delivered:
    """Render every file of ``edls`` into ``out`` (see the module's docstring) on one
    cache: checked all first, then every segment missing from the cache rendered on one
    pool beside the sounds, then each file assembled. ``progress`` gets one fraction for
    the whole run; ``on_checked`` is
    called once, with the first file's timeline carrying every warning of the run. The
    other arguments are :func:`~assembler.render.render`'s."""
    if not edls:
        raise UsageError("nothing to render: give at least one EDL")
    started = time.monotonic()
    temporary = cache is False
    root = Path(tempfile.mkdtemp(prefix="assembler-cache-")) if temporary else cache_folder(cache, edls[0], base_dir)
    writable_cache(root)
    try:
        store = Cache(root)
        files = check_all(edls, out, base_dir=base_dir, store=store, only=only, picks=picks, ffmpeg=ffmpeg)
        if on_checked is not None:
            on_checked(files[0].timeline)
        ff = resolve_ffmpeg(ffmpeg)
        for f in files:
            remove_leftovers(written_files(f.out, f.timeline))
        begun = time.monotonic()
        results = render_checked([Checked(f.edl, f.out, f.timeline, begun) for f in files], base_dir, ff, store,
                                 progress, jobs, executor, reuse=not temporary)
        return Delivered(tuple((f.label, r) for f, r in zip(files, results)), time.monotonic() - started)
    finally:
        if temporary:
            shutil.rmtree(root, ignore_errors=True)
