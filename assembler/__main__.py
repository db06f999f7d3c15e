"""``python -m assembler`` is the ``assembler`` command."""

from .cli import main

main()
