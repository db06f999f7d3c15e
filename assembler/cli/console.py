"""What every command shares: the typer app, the consoles (stdout for what a command
gives, stderr for problems and progress), how an error ends a command (its exit code),
the options several commands take, and the render's progress bar."""

import contextlib
import signal
import sys

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn
from rich.table import Column

from assembler.errors import AssemblerError, EdlError, MediaError, Problem, RenderError, UsageError
from assembler.run.ffmpeg import Progress as RenderProgress
from assembler.compile.escape import shell_line
from assembler.timebase import format_seconds

__all__ = ["ONLY_OPTION", "PICK_OPTION", "Terminated", "app", "err", "executor_for", "fail", "on_sigterm", "out", "progress_bar", "show_problems", "show_progress"]


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


def on_sigterm(signum, frame) -> None:
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one must not cut the cleanup short
    raise Terminated()


def show_problems(problems: tuple[Problem, ...] | list[Problem]) -> None:
    for problem in problems:
        style = "yellow" if problem.severity == "warning" else "red"
        err.print(str(problem), style=style, markup=False)


def fail(exc: AssemblerError) -> typer.Exit:
    if isinstance(exc, EdlError):
        show_problems(exc.problems)
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
PICK_OPTION = typer.Option("--pick", metavar="SLOT=TAKE", help="Play this take of this shot slot instead of its "
                     "`pick` (repeatable), without editing the EDL.")


# `--only vertical`, repeatable: some of the EDL's deliverables, not all.
ONLY_OPTION = typer.Option("--only", metavar="NAME", help="Write only this deliverable of the EDL's `deliverables:` "
                     "(repeatable).")



@contextlib.contextmanager
def executor_for(address: str | None):
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

