"""Verify a receipt: render it again from scratch and compare the bytes.

Contract: a receipt -> whether a from-scratch re-render gives the recorded bytes. A damaged
or crafted receipt is a clear error; nothing but regular files is read. Never prints.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from assembler.run.cache import sha256_file
from assembler.errors import UsageError
from assembler.run.ffmpeg import FFmpeg
from assembler.render import render

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
    data = _receipt(Path(receipt))
    edl = data["edl"]["path"]
    if not edl:
        raise UsageError(f"{receipt}: edl.path: the receipt is of an EDL built in code; verify needs an EDL file")
    if not os.path.isfile(edl):
        raise UsageError(f"{receipt}: edl.path: {edl} is not a file (the EDL the receipt names is gone or "
                         "is not a regular file)")
    changed = tuple(i["path"] for i in data["inputs"]
                    if not os.path.isfile(i["path"]) or sha256_file(i["path"]) != i["sha256"])
    with tempfile.TemporaryDirectory(prefix="assembler-verify-") as scratch:
        out = Path(scratch) / ("verify" + Path(data["output"]["path"]).suffix)
        render(edl, out, ffmpeg=ffmpeg, cache=False, jobs=jobs)
        actual = sha256_file(out)
    expected = data["output"]["sha256"]
    return Verification(actual == expected, expected, actual, Path(edl), changed)


_RECEIPT_BYTES = 256 * 2**20  # far above any real receipt (one line per segment)


# The fields verify reads, with their types: anything else in a receipt is not looked at.
_SHAPE = {"edl": {"path": (str, type(None))}, "inputs": [{"path": str, "sha256": str}],
          "output": {"path": str, "sha256": str}}


def _receipt(path: Path) -> dict:
    """The receipt at ``path``, read only when it is a regular file of a sane size, with
    the fields verify uses of the types they must have."""
    if not path.is_file():
        raise UsageError(f"{path}: not a receipt: " + ("no such file" if not path.exists() else "not a regular file"))
    if path.stat().st_size > _RECEIPT_BYTES:
        raise UsageError(f"{path}: not a receipt: {path.stat().st_size} bytes is far more than a receipt holds")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (ValueError, RecursionError) as exc:  # RecursionError: thousands of nested brackets
        raise UsageError(f"{path}: not a receipt: not JSON ({exc})") from None
    _conform(path, data, _SHAPE, "")
    return data


def _conform(path: Path, value, shape, at: str) -> None:
    if isinstance(shape, dict):
        if not isinstance(value, dict):
            raise UsageError(f"{path}: {at or 'the receipt'}: expected an object, found {_kind(value)}")
        for key, inner in shape.items():
            where = f"{at}.{key}" if at else key
            if key not in value:
                raise UsageError(f"{path}: {where} is missing (this file is not a receipt assembler wrote)")
            _conform(path, value[key], inner, where)
    elif isinstance(shape, list):
        if not isinstance(value, list):
            raise UsageError(f"{path}: {at}: expected a list, found {_kind(value)}")
        for n, item in enumerate(value):
            _conform(path, item, shape[0], f"{at}[{n}]")
    elif not isinstance(value, shape) or (isinstance(value, str) and "\0" in value):
        raise UsageError(f"{path}: {at}: expected {'a string' if shape is str else 'a string or null'}, "
                         f"found {_kind(value)}")


def _kind(value) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
             float: "a number", type(None): "null"}
    text = "a string holding NUL" if isinstance(value, str) else names.get(type(value), type(value).__name__)
    return text if isinstance(value, (dict, list, str)) else f"{text} ({json.dumps(value)[:40]})"
