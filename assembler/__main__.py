"""``python -m assembler`` is the ``assembler`` command, with its guard against Ctrl-C while it imports."""

from assembler.launch import main

main()
