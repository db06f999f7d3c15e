"""Verify a receipt: render it again from scratch and compare the bytes.

Contract: a receipt -> whether a from-scratch re-render gives the recorded bytes. A damaged
or crafted receipt is a clear error; nothing but regular files is read. Never prints.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assembler.run.cache import sha256_file
from assembler.errors import UsageError
from assembler.run.ffmpeg import FFmpeg
from assembler.render import render, validate_source
from assembler.run.receipts import Receipt

__all__ = ["Verification", "verify"]



@dataclass(frozen=True)
class Verification:
    """The outcome of re-rendering what a receipt describes."""

    matches: bool
    expected: str  # sha256 the receipt records
    actual: str  # sha256 of the re-render
    edl: Path
    changed_inputs: tuple[str, ...]  # inputs whose content differs from the receipt


def verify(receipt: str | os.PathLike, *, ffmpeg: str | os.PathLike | FFmpeg | None = None,
           jobs: int | None = None) -> Verification:
    """Re-render the EDL a receipt names, from scratch (no cache), into a temporary file,
    and compare its bytes with the ones the receipt records. A receipt that is not one
    (damaged, edited, crafted) is a :class:`~assembler.errors.UsageError` naming the field;
    only regular files are read (an input that is a device or a pipe counts as changed)."""
    data = Receipt.read(Path(receipt))
    edl = data.edl.path
    if not edl:
        raise UsageError(f"{receipt}: edl.path: the receipt is of an EDL built in code; verify needs an EDL file")
    if not os.path.isfile(edl):
        raise UsageError(f"{receipt}: edl.path: {edl} is not a file (the EDL the receipt names is gone or "
                         "is not a regular file)")
    changed = tuple(i.path for i in data.inputs if not os.path.isfile(i.path) or sha256_file(i.path) != i.sha256)
    made = Path(data.output.path)
    deliverable = _deliverable_of(edl, made)
    with tempfile.TemporaryDirectory(prefix="assembler-verify-") as scratch:
        out = Path(scratch) / ("verify" + made.suffix)
        # The takes that played (with --pick, not what the file says).
        render(edl, out, ffmpeg=ffmpeg, cache=False, jobs=jobs, only=[deliverable] if deliverable else (),
               picks=dict(data.edl.picks))
        actual = sha256_file(out.with_name(f"{out.stem}.{deliverable}{out.suffix}") if deliverable else out)
    expected = data.output.sha256
    return Verification(actual == expected, expected, actual, Path(edl), changed)


def _deliverable_of(edl: str, made: Path) -> str | None:
    """Which of the EDL's deliverables a receipt's output is (``<stem>.<name>.<suffix>``),
    or None for an EDL without them; one the EDL no longer has is said plainly."""
    validated = validate_source(edl, None)
    names = [d.name for d in validated.edl.deliverables] if validated.edl is not None else []
    if not names:
        return None
    name = made.stem.rsplit(".", 1)[-1]
    if name not in names:
        raise UsageError(f"{made.name} is none of the deliverables of {edl} now ({', '.join(names)}): "
                         "the EDL was changed since, and cannot make that file again")
    return name
