"""Harvest the test suite's EDLs into a corpus of self-contained folders, for bench/same_bytes.py.

    ASSEMBLER_CORPUS=/tmp/corpus python -m pytest -n 2 -q

Every EDL a test writes with ``conftest.write_edl`` is remembered; at the end of the
session each becomes ``CORPUS/<case>/episode.<ext>`` with the files it names copied into
``CORPUS/<case>/files/`` and its paths rewritten to point there, so that two checkouts of
assembler can render exactly the same inputs later, long after pytest's temporary folders
are gone. Tests change their media as they go (that is what some of them test), so a case is
copied as it stands when the session ends; the corpus is only ever compared with itself.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import shutil
from pathlib import Path

_written: list[tuple[Path, dict, str]] = []
_MAX_FOLDER_BYTES = 50 * 2**20


def wanted() -> Path | None:
    root = os.environ.get("ASSEMBLER_CORPUS")
    return Path(root) if root else None


def record(path: Path, edl: dict) -> None:
    if wanted() is not None:
        _written.append((path, copy.deepcopy(edl), os.environ.get("PYTEST_CURRENT_TEST", "").split(" ")[0]))


def _folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def _localise(value, base: Path, case: Path, copied: dict[Path, str]):
    """The EDL with every string that names an existing file or folder pointed at a copy in the case."""
    if isinstance(value, dict):
        return {k: _localise(v, base, case, copied) for k, v in value.items()}
    if isinstance(value, list):
        return [_localise(v, base, case, copied) for v in value]
    if not isinstance(value, str) or not value or "\0" in value or len(value) > 1000:
        return value
    try:
        source = Path(value) if Path(value).is_absolute() else base / value
        is_file, is_dir = source.is_file(), source.is_dir()
    except (OSError, ValueError):
        return value
    if not (is_file or is_dir) or source.resolve() == base.resolve():
        return value
    key = source.resolve()
    if key not in copied:
        name = f"{len(copied):03d}_{source.name or 'dir'}"
        target = case / "files" / name
        target.parent.mkdir(parents=True, exist_ok=True)
        try:
            if is_file:
                shutil.copyfile(source, target)
            elif _folder_size(source) <= _MAX_FOLDER_BYTES:
                shutil.copytree(source, target, symlinks=False,
                                ignore=shutil.ignore_patterns(".assembler-cache", "*.dryrun"))
            else:
                return value
        except OSError:
            return value
        copied[key] = f"files/{name}"
    return copied[key]


def harvest(worker: str) -> int:
    root = wanted()
    if root is None:
        return 0
    root.mkdir(parents=True, exist_ok=True)
    made = 0
    for n, (path, edl, test) in enumerate(_written):
        case = root / f"{worker}-{n:04d}"
        shutil.rmtree(case, ignore_errors=True)
        case.mkdir()
        local = _localise(edl, path.parent, case, {})
        (case / f"episode{path.suffix or '.yaml'}").write_text(json.dumps(local, ensure_ascii=False, indent=2),
                                                              encoding="utf-8")
        (case / "case.json").write_text(json.dumps({"test": test, "name": path.name}), encoding="utf-8")
        made += 1
    return made


def fingerprint(case: Path) -> str:
    """The same EDL over the same bytes is the same case, whichever test wrote it."""
    h = hashlib.sha256()
    for p in sorted(case.rglob("*")):
        if p.is_file() and p.name != "case.json":
            h.update(str(p.relative_to(case)).encode())
            h.update(hashlib.sha256(p.read_bytes()).digest())
    return h.hexdigest()
