"""The ``assembler`` command's first step, outside the package: Ctrl-C or SIGTERM while
Python imports assembler and its libraries (about a second) ends with "interrupted" and
exit 130 (143), not a traceback from deep inside an import."""

import signal
import sys


def _terminated(signum, frame):
    raise SystemExit(143)


def main() -> None:
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, _terminated)  # nothing to clean up yet; cli.main takes it over
    try:
        from assembler.cli import main as command
    except KeyboardInterrupt:
        sys.stderr.write("interrupted\n")
        raise SystemExit(130) from None
    command()


if __name__ == "__main__":  # pragma: no cover
    main()
