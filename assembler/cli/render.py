"""`assembler render`: one EDL, its deliverables, or a season of EDLs into a folder."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from assembler.errors import AssemblerError, UsageError
from assembler.compile.escape import shell_word
from assembler.dryrun import dry_run
from assembler.render import RenderResult, folder_or_none, render as render_edl
from assembler.batch import Delivered, render_all
from assembler.model.takes import parse_picks
from assembler.timebase import format_seconds
from assembler.cli.console import ONLY_OPTION, PICK_OPTION, Terminated, executor_for, fail, show_problems, app, err, progress_bar, show_progress

__all__ = ["render"]


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
    pick: Annotated[Optional[list[str]], PICK_OPTION] = None,
    only: Annotated[Optional[list[str]], ONLY_OPTION] = None,
) -> None:
    """Render an EDL to a video file (or each of its deliverables; or a season of EDLs into a folder)."""
    edl = edls[0]
    several = len(edls) > 1
    if output is not None and not several and _is_folder(output):
        output = output / f"{edl.stem}.mp4"  # into a folder: named for its EDL, as a season's files are
    target = output or edl.with_suffix(".mp4")
    try:
        picks = parse_picks(pick or [])
        if several and (dry or dry_dir is not None or single):
            raise UsageError("--dry-run and --single take one EDL; a season renders in segments")
        if dry or dry_dir is not None:
            plan = dry_run(edl, target, ffmpeg=ffmpeg, cache=False if no_cache else cache, folder=dry_dir,
                           single=single, picks=picks, only=only or ())
            show_problems(plan.timeline.warnings)
            sys.stdout.write(plan.text)  # literally: no markup, no emoji, no wrapping
            sys.stdout.flush()
            err.print(f"dry run: nothing encoded; the commands and their files are in {plan.folder}/ "
                      f"(sh {shell_word(os.fspath(plan.script))} runs them all)", markup=False)
            return
        if several and output is not None:
            if output.suffix and not _is_folder(output):
                raise UsageError(f"-o {output}: several EDLs write into a folder, one file each (and each of "
                                 "its deliverables): name a folder, or leave -o out to write each beside its EDL")
            folder_or_none(output, "the output folder -o")
        bar = progress_bar(err, disable=quiet)
        task = bar.add_task(f"{len(edls)} EDLs" if several else escape(target.name), total=1.0, stage="starting",
                            where="")

        shown: list = []

        def checked(timeline) -> None:
            # Validation passed: its warnings go first, then the bar, before anything encodes.
            show_problems(timeline.warnings)
            shown.extend(timeline.warnings)
            bar.start()

        try:
            with executor_for(scheduler) as executor:
                report = lambda p: show_progress(bar, task, p)  # noqa: E731
                if several:
                    result: Any = render_all(edls, output, progress=report, ffmpeg=ffmpeg,
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
            show_problems(one.warnings[len(shown):])  # found while encoding: ffmpeg's decode errors
            _wrote(one)
        if isinstance(result, Delivered):
            _summary(result)
    except AssemblerError as exc:
        raise fail(exc) from None
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
    for name in ("file", "duration", "segments rendered / reused", "done after (s)", "loudness"):
        table.add_column(name, justify="left" if name == "file" else "right")
    for row in delivered.rows():
        table.add_row(*(escape(cell) for cell in row))
    err.print(table)


def _is_folder(path: Path) -> bool:
    """Whether ``path`` is a folder now; a name too long to ask about is not (the checks
    say why it cannot be written)."""
    try:
        return path.is_dir()
    except OSError:
        return False
