"""Where the ``assembler`` command starts, for the console script (``assembler_launch``)
and ``python -m assembler`` alike: Ctrl-C or SIGTERM while Python imports the command
and its libraries (about a second) ends with "interrupted" and exit 130 (143), not a
traceback from deep inside an import, nor from typer while it builds the command line.
The package imports its names lazily, so all that runs before this guard is the
interpreter's own start and a few lines."""

import os
import signal
import sys

__all__ = ["main"]


def _terminated(signum, frame):
    raise SystemExit(143)


def main() -> None:
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminated)  # nothing to clean up yet; cli.main takes it over
    try:
        from assembler.cli import main as command
        command()  # typer builds the command line before click's own Ctrl-C handling starts
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        sys.stdout.flush()
        sys.stderr.flush()
        # Not SystemExit: when the interrupt fell inside code run by exec() (dataclasses
        # make their methods so), CPython ends by killing itself with SIGINT after any exit
        # code; nothing has started that finalisation would have to clean up.
        os._exit(130)
