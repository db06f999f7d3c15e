"""The command line: ``assembler render|check|takes|schema|probe|verify|diff|cache``. The only
part that prints: ``console`` (what the commands share), ``render``, ``look`` (check,
takes), ``tools`` (the rest).

Exit codes: 0 done, 1 render failed (ffmpeg's message is shown), 2 the EDL or the command
line is wrong (every problem listed, no traceback, no output written), 130 interrupted
(Ctrl-C), 143 terminated (SIGTERM: docker stop, a CI cancel, ``timeout``), with the same
cleanup.
"""

from __future__ import annotations

import contextlib
import signal
import sys

from assembler.cli import look, render, tools
from assembler.cli.console import Terminated, on_sigterm, app, err

__all__ = ["app", "main"]

COMMANDS = (render, look, tools)  # imported for what they do: each registers its commands on the app


def main() -> None:
    """Entry point of the ``assembler`` command."""
    with contextlib.suppress(AttributeError, ValueError):  # no SIGTERM (Windows), or not the main thread
        signal.signal(signal.SIGTERM, on_sigterm)
    try:
        app()
    except Terminated:  # in a command other than render, which says what it left
        err.print("terminated", style="bold red")
        sys.exit(143)


if __name__ == "__main__":  # pragma: no cover
    main()
