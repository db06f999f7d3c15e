"""The command line: ``assembler render|check|schema|probe``. The only module that prints.

Exit codes: 0 done, 1 render failed (ffmpeg's message is shown), 2 the EDL or the command
line is wrong (every problem listed, no traceback, no output written), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM: docker stop, a CI cancel, ``timeout``), with the same
cleanup.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer
from rich.console import Console
from rich.markup import escape
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column, Table

from assembler import __version__
from assembler.errors import AssemblerError, EdlError, FFmpegNotFound, MediaError, Problem, RenderError, UsageError
from assembler.run.ffmpeg import Progress as RenderProgress, find_ffmpeg
from assembler.run.probe import probe
from assembler.review.diff import diff as diff_edls
from assembler.compile.escape import shell_line, shell_word
from assembler.dryrun import dry_run
from assembler.review.verify import verify as verify_receipt
from assembler.review.sheet import SHEET_SUFFIXES, contact_sheet
from assembler.review.takes import list_takes, slot_named, takes_sheet
from assembler.run.cache import Cache
from assembler.render import RenderResult, cache_folder, folder_or_none, render as render_edl
from assembler.batch import Delivered, File, check_all, render_all
from assembler.model.schema import json_schema
from assembler.model.takes import parse_picks
from assembler.model.resolved import resolved_yaml
from assembler.model.series import read as read_edl
from assembler.layout.frame import own
from assembler.timebase import format_seconds
from assembler.timeline.items import Card, OverlayClip, OverlayColor, OverlayImage, OverlayText, Plate, Shot, Still

__all__ = ["app", "main"]

app = typer.Typer(add_completion=False, no_args_is_help=True, pretty_exceptions_enable=False,
                  help="Assemble finished video episodes from an edit-decision list (EDL).")
# Pipes and CI logs get a wide console: the timeline table and messages stay one line each.
_WIDTH = None if sys.stdout.isatty() else 160
# No emoji codes: ffmpeg's stream specifiers (``[0:v:0]``) would become pictures.
out = Console(highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)
err = Console(stderr=True, highlight=False, soft_wrap=True, width=_WIDTH, emoji=False)


class Terminated(BaseException):
    """SIGTERM, raised in the main thread: it unwinds like Ctrl-C (ffmpeg stopped, the
    temporary files removed), but is not a KeyboardInterrupt, which click would turn into
    "Aborted!" and exit 1."""


def _terminate(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup short
    raise Terminated()


def _problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        style = "yellow" if problem.severity == "warning" else "red"
        err.print(str(problem), style=style, markup=False)


def _fail(exc: AssemblerError) -> typer.Exit:
    if isinstance(exc, EdlError):
        _problems(exc.problems)
        count = sum(p.severity == "error" for p in exc.problems)
        err.print(f"{count} error{'s' if count != 1 else ''}; nothing was rendered.", style="bold red")
        return typer.Exit(2)
    if isinstance(exc, RenderError):
        err.print(f"error: {str(exc).splitlines()[0]}", style="bold red", markup=False)
        err.print("command: " + shell_line(exc.argv), markup=False)
        err.print(exc.stderr_tail, markup=False)
        return typer.Exit(1)
    err.print(f"error: {exc}", style="bold red", markup=False)
    return typer.Exit(2 if isinstance(exc, (MediaError, UsageError)) else 1)


# `--pick s02=c`, repeatable: a shot slot's take, instead of the EDL's `pick`.
_PICK = typer.Option("--pick", metavar="SLOT=TAKE", help="Play this take of this shot slot instead of its "
                     "`pick` (repeatable), without editing the EDL.")


# `--only vertical`, repeatable: some of the EDL's deliverables, not all.
_ONLY = typer.Option("--only", metavar="NAME", help="Write only this deliverable of the EDL's `deliverables:` "
                     "(repeatable).")


@app.command()
def render(
    edls: Annotated[list[Path], typer.Argument(metavar="EDL...", help="The EDL (YAML or JSON); several (a season) "
                                                                      "render in one run into the folder -o.")],
    output: Annotated[Optional[Path], typer.Option("-o", "--output", help="Output file (default: EDL name .mp4); "
                                                   "with deliverables, each is OUTPUT-stem.NAME.mp4; with several "
                                                   "EDLs, a folder.")] = None,
    dry: Annotated[bool, typer.Option("--dry-run", help="Print the render's ffmpeg commands as shell lines and write "
                                                        "the files they read into OUTPUT.dryrun/ (with run.sh); "
                                                        "encode nothing.")] = False,
    dry_dir: Annotated[Optional[Path], typer.Option("--dry-run-dir", help="The dry run's folder "
                                                                          "(implies --dry-run).")] = None,
    ffmpeg: Annotated[Optional[str], typer.Option(help="ffmpeg binary (default: $ASSEMBLER_FFMPEG or the bundled one).")] = None,
    quiet: Annotated[bool, typer.Option("-q", "--quiet", help="No progress bar.")] = False,
    cache: Annotated[Optional[Path], typer.Option(help="Cache folder (default: $ASSEMBLER_CACHE or "
                                                       ".assembler-cache/ beside the EDL).")] = None,
    no_cache: Annotated[bool, typer.Option("--no-cache", help="Render every segment afresh; keep nothing.")] = False,
    jobs: Annotated[Optional[int], typer.Option("-j", "--jobs", min=1, help="Segments rendered at once "
                                                                          "(default: the number of cores).")] = None,
    scheduler: Annotated[Optional[str], typer.Option(help="dask.distributed scheduler address: render segments "
                                                          "on that cluster (needs the 'distributed' extra).")] = None,
    single: Annotated[bool, typer.Option("--single", help="One ffmpeg graph for the whole episode, "
                                                          "no segments, no cache.")] = False,
    pick: Annotated[Optional[list[str]], _PICK] = None,
    only: Annotated[Optional[list[str]], _ONLY] = None,
) -> None:
    """Render an EDL to a video file (or each of its deliverables; or a season of EDLs into a folder)."""
    edl = edls[0]
    several = len(edls) > 1
    target = output or (Path(".") if several else edl.with_suffix(".mp4"))
    try:
        picks = parse_picks(pick or [])
        if several and (dry or dry_dir is not None or single):
            raise UsageError("--dry-run and --single take one EDL; a season renders in segments")
        if dry or dry_dir is not None:
            plan = dry_run(edl, target, ffmpeg=ffmpeg, cache=False if no_cache else cache, folder=dry_dir,
                           single=single, picks=picks, only=only or ())
            _problems(plan.timeline.warnings)
            sys.stdout.write(plan.text)  # literally: no markup, no emoji, no wrapping
            sys.stdout.flush()
            err.print(f"dry run: nothing encoded; the commands and their files are in {plan.folder}/ "
                      f"(sh {shell_word(os.fspath(plan.script))} runs them all)", markup=False)
            return
        if several:
            folder_or_none(target, "the output folder -o")
        bar = progress_bar(err, disable=quiet)
        task = bar.add_task(escape(target.name or "season"), total=1.0, stage="starting", where="")

        shown: list = []

        def checked(timeline) -> None:
            # Validation passed: its warnings go first, then the bar, before anything encodes.
            _problems(timeline.warnings)
            shown.extend(timeline.warnings)
            bar.start()

        try:
            with _executor(scheduler) as executor:
                report = lambda p: show_progress(bar, task, p)  # noqa: E731
                if several:
                    result: Any = render_all(edls, target, progress=report, ffmpeg=ffmpeg,
                                             cache=False if no_cache else cache, jobs=jobs, executor=executor,
                                             on_checked=checked, picks=picks, only=only or ())
                else:
                    result = render_edl(edl, target, progress=report, ffmpeg=ffmpeg, cache=False if no_cache else cache,
                                        jobs=jobs, executor=executor, single=single, on_checked=checked, picks=picks,
                                        only=only or ())
        finally:
            bar.stop()
        results = list(result.values()) if isinstance(result, Delivered) else [result]
        for one in results:
            _problems(one.warnings[len(shown):])  # found while encoding: ffmpeg's decode errors
            _wrote(one)
        if isinstance(result, Delivered):
            _summary(result)
    except AssemblerError as exc:
        raise _fail(exc) from None
    except KeyboardInterrupt:
        err.print("interrupted; no output was written", style="bold red")
        raise typer.Exit(130) from None
    except Terminated:
        err.print("terminated; no output was written", style="bold red")
        raise typer.Exit(143) from None


def _wrote(result: RenderResult) -> None:
    reused = f", {result.segments - result.rendered} of {result.segments} segments from the cache" \
        if result.segments else ""
    err.print(f"wrote {result.path} ({format_seconds(result.duration)}, {result.frames} frames) "
              f"in {result.elapsed:.1f} s{reused}", markup=False)
    if result.loudness:
        err.print(f"loudness {result.loudness['integrated']:.1f} LUFS integrated, true peak "
                  f"{result.loudness['true_peak']:.1f} dBTP", markup=False)


def _summary(delivered: Delivered) -> None:
    """The run's table: each file, what was rendered and reused, its time and loudness."""
    table = Table(title=f"{len(delivered)} files in {delivered.elapsed:.1f} s", title_justify="left")
    for name in ("file", "duration", "segments rendered / reused", "seconds", "loudness"):
        table.add_column(name, justify="left" if name == "file" else "right")
    for row in delivered.rows():
        table.add_row(*(escape(cell) for cell in row))
    err.print(table)


@contextlib.contextmanager
def _executor(address: str | None):
    """A dask.distributed executor for ``--scheduler``, or None for local threads."""
    if address is None:
        yield None
        return
    try:
        from distributed import Client
    except ImportError:
        err.print("--scheduler needs dask.distributed: pip install 'edl-assembler[distributed]'", style="red")
        raise typer.Exit(2) from None
    with Client(address) as client:
        yield client.get_executor()


# What the listing names each item by: its file, its text's first line, or its colour.
_NAMES: dict[type, Callable[[Any], str]] = {
    Shot: lambda p: p.media.path.name, Still: lambda p: p.media.path.name,
    Card: lambda p: p.text.text.splitlines()[0] if p.text.text else p.media.path.name if p.media else p.color or "",
    Plate: lambda p: p.color, OverlayImage: lambda x: x.media.path.name, OverlayClip: lambda x: x.media.path.name,
    OverlayText: lambda x: x.text.text.splitlines()[0] if x.text.text else "", OverlayColor: lambda x: x.color}


@app.command()
def check(edl: Annotated[Path, typer.Argument(help="The EDL (YAML or JSON).")],
          sheet: Annotated[Optional[Path], typer.Option(help="Also write a contact sheet (PNG): "
                                                             "a picture of every item, as it will look.")] = None,
          output: Annotated[Optional[Path], typer.Option("-o", "--output", help="The file a render would write "
                                                         "(default: EDL name .mp4): checked too, with what goes "
                                                         "beside it.")] = None,
          single: Annotated[bool, typer.Option("--single", help="Check for a --single render "
                                                                "(one graph, no segments).")] = False,
          pick: Annotated[Optional[list[str]], _PICK] = None,
          resolved: Annotated[bool, typer.Option("--resolved", help="Print the EDL merged over the files it "
                                                                    "extends, as YAML, each inherited value "
                                                                    "commented with its file and line.")] = False,
          ) -> None:
    """Validate an EDL and its media, and show the timeline."""
    try:
        if resolved:  # printed before the media checks: what was merged is what to look at when they fail
            out.print(resolved_yaml(read_edl(edl)), markup=False, end="")
        # The output `render` would write is checked too: a clash found here is not found
        # only when the render starts.
        if sheet is not None and sheet.suffix.lower() not in SHEET_SUFFIXES:
            raise UsageError(f"--sheet {sheet}: a contact sheet is a picture: name it "
                             f"{' or '.join(SHEET_SUFFIXES)}")
        files = check_all([edl], output or edl.with_suffix(".mp4"), segmented=not single, sheet=sheet,
                          picks=parse_picks(pick or []))
    except AssemblerError as exc:
        raise _fail(exc) from None
    timeline = files[0].timeline
    if sheet is not None:
        sheet.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(timeline, sheet)
        err.print(f"contact sheet: {sheet}", markup=False)
    if resolved:
        _problems(timeline.warnings)
        return
    rate = timeline.output.fps
    table = Table(title=escape(f"{edl}") + f" - {timeline.output.width}x{timeline.output.height} @ {rate} fps")
    for column in ("#", "item", "source range", "timeline range", "length", "join after"):
        table.add_column(column)
    laid = own(timeline)
    for k, p in enumerate(timeline.placements):
        source = f"{format_seconds(p.source_in)} - {format_seconds(p.source_out)}" if isinstance(p, Shot) else ""
        if isinstance(p, Shot) and p.speed != 1:
            source += f" x{float(p.speed):g}"
        join = timeline.joins[k] if k < len(timeline.joins) else None
        after = "" if join is None else join.transition if not join.frames else \
            f"{join.transition} {format_seconds(join.frames / rate)}"
        kind = f"shot {p.take[0]}, take {p.take[1]}" if isinstance(p, Shot) and p.take else p.kind
        table.add_row(f"video[{p.index}]", escape(f"{kind}: {_NAMES[type(p)](p)}"), source,
                      f"{format_seconds(p.start / rate)} - {format_seconds(p.end / rate)}",
                      format_seconds(p.frames / rate), after)
    out.print(table)
    out.print(f"total: {format_seconds(timeline.duration)} ({timeline.frames} frames)")
    if timeline.overlays:
        layers = Table(title="overlays (later on top)")
        for column in ("#", "layer", "timeline range", "place (x, y)", "size", "opacity"):
            layers.add_column(column)
        for x in timeline.overlays:
            box = laid.boxes[x.index]
            size = f"text {laid.texts[x.index].size} px" if isinstance(x, OverlayText) else f"{box.width}x{box.height}"
            opacity = x.text.opacity if isinstance(x, OverlayText) else x.opacity  # type: ignore[attr-defined]
            layers.add_row(f"overlays[{x.index}]", escape(f"{x.kind}: {_NAMES[type(x)](x)}"),
                           f"{format_seconds(x.start / rate)} - {format_seconds(x.end / rate)}", f"{box.x}, {box.y}",
                           size, f"{opacity:g}")
        out.print(layers)
    if timeline.subtitles and laid.subtitles:
        track = timeline.subtitles
        ways = ", ".join(w for w, on in (("burned", track.burn), ("soft stream", track.soft),
                                         ("sidecar .srt", track.sidecar)) if on)
        out.print(f"subtitles: {len(track.cues)} cue{'s' if len(track.cues) != 1 else ''}, {ways}; "
                  f"{laid.subtitles.family} {laid.subtitles.size} px", markup=False)
    if files[0].deliverable is not None:
        _deliverables(files)
    _problems(timeline.warnings)


def _deliverables(files: list[File]) -> None:
    """What each deliverable writes, and how (the table above is the first one's)."""
    table = Table(title="deliverables")
    for column in ("name", "file", "size", "fps", "fit", "encoder", "loudness", "subtitles"):
        table.add_column(column)
    for f in files:
        o, track = f.timeline.output, f.timeline.subtitles
        v = o.video
        ways = "none" if track is None else ", ".join(w for w, on in (("burned", track.burn), ("soft", track.soft),
                                                                       ("sidecar", track.sidecar)) if on) or "none"
        loud = "as mixed" if f.timeline.loudness is None else f"{f.timeline.loudness:g} LUFS"
        table.add_row(escape(f.deliverable or ""), escape(f.out.name), f"{o.width}x{o.height}", f"{o.fps}",
                      f.output.fit,
                      escape(f"{v.codec} {v.preset or ''} " + (f"crf {v.crf}" if v.bitrate is None else v.bitrate)),
                      loud, ways)
    out.print(table)


@app.command()
def takes(edl: Annotated[Path, typer.Argument(help="The EDL (YAML or JSON).")],
          sheet: Annotated[Optional[str], typer.Option("--sheet", metavar="SLOT", help="Also draw this slot's "
                                                       "takes side by side (a picture: -o).")] = None,
          output: Annotated[Optional[Path], typer.Option("-o", "--output", help="The sheet's file (default: "
                                                         "EDL name .SLOT.takes.png).")] = None,
          pick: Annotated[Optional[list[str]], _PICK] = None) -> None:
    """List every shot slot with its takes, their lengths and provenance, and which plays."""
    try:
        found = list_takes(edl, picks=parse_picks(pick or []))
        target = output or edl.with_name(f"{edl.stem}.{sheet}.takes.png")
        if sheet is not None and target.suffix.lower() not in SHEET_SUFFIXES:
            raise UsageError(f"-o {target}: a contact sheet is a picture: name it {' or '.join(SHEET_SUFFIXES)}")
        if sheet is not None:
            takes_sheet(slot_named(found, sheet), target)
            err.print(f"contact sheet of {sheet}: {target}", markup=False)
    except AssemblerError as exc:
        raise _fail(exc) from None
    table = Table(title=escape(f"{edl}") + f" - {len(found)} shot slot{'s' if len(found) != 1 else ''}")
    for column in ("#", "slot", "take", "length", "file", "model", "seed", "prompt", "notes"):
        table.add_column(column)
    for slot in found:
        fitted = f"{format_seconds(slot.length)} {slot.fit_length}" if slot.length is not None else "its own"
        for take in slot.takes:
            length = format_seconds(take.seconds) if take.seconds is not None else take.problem or "?"
            table.add_row(f"video[{slot.index}]", escape(f"{slot.shot} ({fitted})"),
                          escape(f"{take.name} *" if take.picked else take.name), escape(length), escape(take.file),
                          *(escape(str(v)) if v is not None else "" for v in (take.model, take.seed, take.prompt,
                                                                               take.notes)))
    out.print(table)
    out.print("* the take that plays", markup=False)


@app.command()
def schema() -> None:
    """Print the JSON Schema of the EDL (for editor completion)."""
    out.print(json.dumps(json_schema(), indent=2, ensure_ascii=False), markup=False)


@app.command(name="probe")
def probe_files(files: Annotated[list[Path], typer.Argument(help="Media files.")]) -> None:
    """Show what media files hold, as assembler sees them."""
    failed = False
    for path in files:
        try:
            info = probe(path)
        except MediaError as exc:
            err.print(f"{path}: {exc}", style="red", markup=False)
            failed = True
            continue
        parts: list[str] = [info.kind]
        if info.duration is not None:
            parts.append(f"{float(info.duration):.3f} s")
        if info.has_video:
            w, h = info.display_size
            parts.append(f"{w}x{h}" + (f" (stored {info.width}x{info.height}, rotated {info.rotation})"
                                       if info.rotation else ""))
            if info.fps:
                parts.append(f"{float(info.fps):.3f} fps ({info.fps})")
            if info.pix_fmt:
                parts.append(info.pix_fmt)
        parts.append(f"audio {info.audio_rate} Hz {info.audio_channels} ch" if info.has_audio else "no audio")
        out.print(f"{path}: " + ", ".join(parts), markup=False)
    if failed:
        raise typer.Exit(2)


@app.command()
def verify(receipt: Annotated[Path, typer.Argument(help="A receipt written beside a render.")],
           jobs: Annotated[Optional[int], typer.Option("-j", "--jobs", min=1)] = None) -> None:
    """Re-render what a receipt describes, from scratch, and say whether the bytes match."""
    try:
        result = verify_receipt(receipt, jobs=jobs)
    except (OSError, ValueError, KeyError) as exc:
        err.print(f"error: cannot use {receipt}: {exc}", style="bold red", markup=False)
        raise typer.Exit(2) from None
    except AssemblerError as exc:
        raise _fail(exc) from None
    for path in result.changed_inputs:
        err.print(f"changed since the receipt: {path}", style="yellow", markup=False)
    if result.matches:
        out.print(f"OK: {result.edl} re-renders to the same bytes (sha256 {result.actual})", markup=False)
        return
    out.print(f"MISMATCH: the receipt says sha256 {result.expected}, the re-render gives {result.actual}",
              style="bold red", markup=False)
    raise typer.Exit(1)


@app.command()
def diff(a: Annotated[Path, typer.Argument(help="An EDL.")], b: Annotated[Path, typer.Argument(help="Another EDL.")]) -> None:
    """List the items and segments that differ between two EDLs (nothing is rendered)."""
    try:
        result = diff_edls(a, b)
    except AssemblerError as exc:
        raise _fail(exc) from None
    for parent in result.parents:
        out.print(f"the file {b} extends differs: {parent}", markup=False)
    for item in result.items:
        out.print(f"item {item} differs", markup=False)
    for side, planned in (("only in " + str(a), result.only_a), ("only in " + str(b), result.only_b)):
        for line in planned:
            items = ", ".join(f"video[{i}]" for i in line.items)
            out.print(f"segment {line.kind} frames {line.frames[0]}-{line.frames[1]} ({items}) {line.key[:12]}: "
                      f"{side}", markup=False)
    out.print(f"{len(result.items)} items differ; {len(result.only_b)} segments of {b} to render, "
              f"{result.shared} shared; the sound {'to mix again' if result.sound else 'the same'}", markup=False)


def progress_bar(console: Console, disable: bool = False) -> Progress:
    """The render's bar: the stage, the bar, the share done, the time taken and left; in a
    terminal of 100 columns or more also the output's name (the task's description) and the
    timeline position."""
    stage = TextColumn("{task.fields[stage]}", table_column=Column(width=15, no_wrap=True))
    if console.width < 100:
        columns = [stage, BarColumn(bar_width=None)]
    else:
        columns = [TextColumn("[bold]rendering {task.description}"), stage, BarColumn(),
                   TextColumn("{task.fields[where]}")]
    return Progress(*columns, TextColumn("{task.percentage:>3.0f}%"), TimeElapsedColumn(), TextColumn("ETA"),
                    TimeRemainingColumn(), console=console, disable=disable, transient=False,
                    expand=console.width < 100)


def show_progress(bar: Progress, task, p: RenderProgress) -> None:
    where = f"{format_seconds(p.seconds)} / {format_seconds(p.total)}"
    bar.update(task, completed=p.fraction, stage=p.stage, where=where)


cache_app = typer.Typer(no_args_is_help=True, help="Look after the render cache.")
app.add_typer(cache_app, name="cache")
_CACHE_EDL = typer.Argument(help="An EDL: its cache, the one `render` uses (default: none; see --cache).")
_CACHE_OPTION = typer.Option(help="The cache folder (default: $ASSEMBLER_CACHE, else .assembler-cache/ beside "
                                  "the EDL, or in the current folder without one).")


def _cache_root(edl: Path | None, cache: Path | None) -> Cache:
    """The cache ``render EDL`` would use; a folder stands for the EDLs in it."""
    if edl is not None and cache is None:
        if edl.is_dir():
            edl = edl / "episode.yaml"  # any name: the cache is the folder's
        elif not edl.exists():
            err.print(f"{edl} does not exist: give the EDL (or its folder) whose cache to look at", style="red",
                      markup=False)
            raise typer.Exit(2)
    try:
        return Cache(folder_or_none(cache_folder(cache, edl), "the cache"))
    except UsageError as exc:
        raise _fail(exc) from None


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _kinds(kinds: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in kinds) or "nothing"


@cache_app.command("info")
def cache_info(edl: Annotated[Optional[Path], _CACHE_EDL] = None,
               cache: Annotated[Optional[Path], _CACHE_OPTION] = None) -> None:
    """How many entries the cache holds, and how big it is."""
    info = _cache_root(edl, cache).info()
    if not info.exists:
        out.print(f"no cache at {info.root} (nothing rendered with it yet)", markup=False)
        return
    last = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.newest)) if info.newest else "never"
    out.print(f"cache {info.root}: {_count(info.entries, 'entry', 'entries')} ({_kinds(info.kinds)}), {info.bytes / 2**20:.1f} MiB, "
              f"last used {last}", markup=False)


@cache_app.command("prune")
def cache_prune(edl: Annotated[Optional[Path], _CACHE_EDL] = None,
                cache: Annotated[Optional[Path], _CACHE_OPTION] = None,
                older_than: Annotated[Optional[float], typer.Option(min=0, help="Remove entries unused for this many days.")] = None,
                max_size: Annotated[Optional[float], typer.Option(min=0, help="Then keep at most this many MiB "
                                                                       "(least recently used go first).")] = None) -> None:
    """Remove old entries, or the least recently used ones beyond a size."""
    if older_than is None and max_size is None:
        err.print("say --older-than DAYS and/or --max-size MIB", style="red")
        raise typer.Exit(2)
    store = _cache_root(edl, cache)
    if not (store.root / "segments").is_dir():
        out.print(f"no cache at {store.root}; nothing removed", markup=False)
        return
    pruned = store.prune(older_than=None if older_than is None else older_than * 86400,
                         max_bytes=None if max_size is None else int(max_size * 2**20))
    extra = f", and {pruned.leftovers} unused subtitle or unfinished files" if pruned.leftovers else ""
    out.print(f"removed {_count(pruned.entries, 'entry', 'entries')} ({_kinds(pruned.kinds)}), {pruned.bytes / 2**20:.1f} MiB{extra}, "
              f"from {store.root}; {store.info().entries} left", markup=False)


@app.callback(invoke_without_command=True)
def _version(version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False) -> None:
    if version:
        out.print(f"assembler {__version__}", markup=False)
        try:  # the bytes of a render depend on the ffmpeg build as much as on assembler
            ff = find_ffmpeg()
            out.print(f"ffmpeg {ff.version} at {ff.path}", markup=False)
        except FFmpegNotFound as exc:
            out.print(f"ffmpeg: none usable ({exc})", markup=False)
        raise typer.Exit(0)


def main() -> None:
    """Entry point of the ``assembler`` command."""
    with contextlib.suppress(AttributeError, ValueError):  # no SIGTERM (Windows), or not the main thread
        signal.signal(signal.SIGTERM, _terminate)
    try:
        app()
    except Terminated:  # in a command other than render, which says what it left
        err.print("terminated", style="bold red")
        sys.exit(143)


if __name__ == "__main__":  # pragma: no cover
    main()
