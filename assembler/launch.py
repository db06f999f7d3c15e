"""Where the ``assembler`` command starts, for the console script (``assembler_launch``)
and ``python -m assembler`` alike: Ctrl-C or SIGTERM while Python imports the command
and its libraries (about a second) ends with "interrupted" and exit 130 (143), not a
traceback from deep inside an import, nor from typer while it builds the command line.
The package imports its names lazily, so all that runs before this guard is the
interpreter's own start and a few lines."""

import os
import _thread
import signal
import sys
import time

__all__ = ["main"]


def _terminated(signum, frame):
    raise SystemExit(143)


def _interrupted() -> None:
    sys.stderr.write("interrupted\n")
    sys.stdout.flush()
    sys.stderr.flush()
    # Not SystemExit: when the interrupt fell inside code run by exec() (dataclasses
    # make their methods so), CPython ends by killing itself with SIGINT after any exit
    # code; nothing has started that finalisation would have to clean up.
    os._exit(130)


def _send_again() -> None:
    time.sleep(0.005)  # the hook and the callback it came from have returned by then
    signal.raise_signal(signal.SIGINT)


def _again(unraisable) -> None:
    # A Ctrl-C can land in a callback Python cannot raise from (an import lock's weakref
    # callback): it would print "Exception ignored ... Traceback" and go on as if nothing
    # happened. Sent again a moment later from another thread (sent from here, it would
    # land in this hook), it arrives where it can be raised and handled like any other.
    if issubclass(unraisable.exc_type, KeyboardInterrupt):
        _thread.start_new_thread(_send_again, ())
        return
    sys.__unraisablehook__(unraisable)


def main() -> None:
    sys.unraisablehook = _again
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminated)  # nothing to clean up yet; cli.main takes it over
    try:
        from assembler.cli import main as command
        command()  # typer builds the command line before click's own Ctrl-C handling starts
    except KeyboardInterrupt:
        _interrupted()
