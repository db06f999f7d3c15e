"""The ``assembler`` command's entry point: :func:`assembler.launch.main`, which answers
Ctrl-C or SIGTERM while the command imports. Importing the package to reach it is cheap
(its names load lazily), so the guard is in place within milliseconds."""

from assembler.launch import main

if __name__ == "__main__":  # pragma: no cover
    main()
