"""A content-addressed store of rendered segments, and the fingerprints of source files.

Contract: ``key -> entry folder`` holding the files a job made and a ``meta.json`` that
describes them (key, format, each file's size and sha256, what ffmpeg said of damaged
data while it made them), sealed by the hash of its content. An entry is created in a
temporary folder and renamed into place in one step, so readers see a whole entry or
none, and two renders sharing the cache never corrupt it (the second rename of the same
key loses and is discarded). An entry that is unreadable or does not match its meta is
moved aside and rebuilt, never trusted.

Fingerprints: a file's sha256, computed once and remembered with the file's size and
mtime; a file whose size or mtime changed is hashed again. Probes are remembered by path,
size and mtime; a sound's audible spans by its content and threshold (a changed file is
measured again, a copy or a moved file is not).

Layout::

    ROOT/CACHEDIR.TAG
    ROOT/segments/ab/abcdef.../{video.mp4 | sound.m4a | loop.wav, meta.json}
        (a segment | an episode's sound | a long loop's looped part, read again each time round)
    ROOT/fingerprints/<sha256 of the absolute path>.json   (and .probe.json)
    ROOT/fingerprints/<sha256 of the content>.<threshold>dB.audible.json
    ROOT/tmp/...

Touches the disk; never spawns a process. Imports ``media``.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

from assembler.errors import MediaError
from assembler.timeline.sources import AUDIBLE_DB, Audible, MediaInfo
from assembler.run.probe import audible_spans, probe

__all__ = ["CACHE_FORMAT", "Cache", "CacheInfo", "Pruned", "sha256_file", "source_changed"]

CACHE_FORMAT = 1
_TAG = "Signature: 8a477f597d28d172789f06886806bc55\n# assembler's render cache: safe to delete.\n"


def stamp(stat: os.stat_result) -> list[int]:
    """What says a file is unchanged without reading it: size and modification time, and
    also the inode and its change time, which a copy that keeps the old modification time
    (``cp -p``, ``rsync -a``, a same-length re-export on a coarse-clock disk) still moves."""
    return [stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev]


def sha256_file(path: str | os.PathLike) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


@dataclass(frozen=True)
class CacheInfo:
    root: Path
    entries: int
    bytes: int
    oldest: float | None  # last use, seconds since the epoch
    newest: float | None
    kinds: tuple[tuple[str, int], ...] = ()  # (kind, entries): "segment", "sound", "loop"

    @property
    def exists(self) -> bool:
        return (self.root / "segments").is_dir()


@dataclass(frozen=True)
class Pruned:
    """What ``Cache.prune`` removed."""

    entries: int
    bytes: int
    kinds: tuple[tuple[str, int], ...] = ()  # (kind, entries removed)
    leftovers: int = 0  # subtitle files and remains of killed renders, a day old


class Cache:
    """A render cache rooted at ``root`` (created on first use). A ``read_only`` one (a dry
    run's) answers the same questions but writes, touches and moves nothing."""

    def __init__(self, root: str | os.PathLike, *, read_only: bool = False):
        self.root = Path(root).expanduser().resolve()
        self.read_only = read_only
        self._checked: set[str] = set()  # entries this instance has verified byte for byte
        self._unwritten: dict[Path, dict] = {}  # probes and measurements made before the cache existed
        # Fingerprints read or made by this instance, by path, with the stamp they are of: a
        # render asks for each file's three times (check, segments, sound), and reading its
        # record again was a third of planning a long episode.
        self._known: dict[str, tuple[list[int], str]] = {}

    def _ready(self) -> None:
        if self.read_only:
            return
        for sub in ("segments", "fingerprints", "tmp"):
            self.folder(sub)
        tag = self.root / "CACHEDIR.TAG"
        if not tag.exists():
            _write_atomic(tag, _TAG.encode())
        # The first render's probes, kept back while the EDL might still have been refused:
        # remembered now, so that the re-render right after it opens no media file either.
        for record, plain in self._unwritten.items():
            _write_record(record, {**plain, "format": CACHE_FORMAT})
        self._unwritten.clear()

    def folder(self, name: str) -> Path:
        """The cache's folder ``name``, made when missing; a file in its place (the cache
        damaged by hand) is removed, as the cache is ours and safe to rebuild."""
        path = self.root / name
        if not self.read_only:
            _make_folder(path, self.root)
        return path

    # -- fingerprints ---------------------------------------------------------------
    def salt(self, ffmpeg_version: str, ffmpeg_path: str) -> str:
        """What every key also depends on: the cache format and the exact ffmpeg build."""
        return f"assembler-segment/{CACHE_FORMAT}|ffmpeg {ffmpeg_version} {self.fingerprint(ffmpeg_path)}"

    def fingerprint(self, path: str | os.PathLike) -> str:
        """``sha256:<hex>`` of a file's content, remembered by path and :func:`stamp`."""
        given = os.fspath(path)
        remembered = self._known.get(given)  # (when it is, the cache's folders were made then)
        # By the name as given: its stat follows a link to the file, whose inode a link that
        # now points elsewhere does not share, and resolving every name again cost a tenth
        # of checking a long episode.
        with contextlib.suppress(OSError):
            if remembered is not None and remembered[0] == stamp(os.stat(given)):
                return remembered[1]
        path = Path(given).resolve()
        self._ready()
        stat = path.stat()
        record = self.root / "fingerprints" / (hashlib.sha256(os.fsencode(path)).hexdigest() + ".json")
        try:
            known = _read_record(record)
            if known["stamp"] == stamp(stat) and isinstance(known["fingerprint"], str):
                self._known[given] = (stamp(stat), known["fingerprint"])
                return known["fingerprint"]
        except _UNTRUSTED:
            pass
        fingerprint = "sha256:" + sha256_file(path)
        if not self.read_only:
            _write_record(record, {"path": os.fspath(path), "stamp": stamp(stat), "fingerprint": fingerprint})
        self._known[given] = (stamp(stat), fingerprint)
        return fingerprint

    def probe(self, path: str | os.PathLike) -> MediaInfo:
        """``media.probe``, remembered by path, size and mtime (a re-render of an unchanged
        episode opens no media file at all). A cache that does not exist yet is not created
        here: checking a broken EDL leaves nothing behind."""
        path = Path(path)
        try:
            stat = path.stat()
        except OSError:
            return probe(path)  # raises the MediaError that says what is wrong
        record = self.root / "fingerprints" / (hashlib.sha256(os.fsencode(path.resolve())).hexdigest() + ".probe.json")
        if not (self.root / "fingerprints").is_dir():
            held = self._unwritten.get(record)
            if held is not None and held["stamp"] == stamp(stat):  # asked before in this run (another deliverable)
                return MediaInfo.from_json({k: v for k, v in held.items() if k != "stamp"})
            info = probe(path)
            self._unwritten[record] = {**info.to_json(), "stamp": stamp(stat)}
            return info
        try:
            known = _read_record(record)
            # A probe from before data_end was measured is measured again.
            if known.pop("stamp") == stamp(stat) and known.pop("format") == CACHE_FORMAT and "data_end" in known:
                return MediaInfo.from_json(known)
        except _UNTRUSTED:
            pass
        info = probe(path)
        if not self.read_only:
            _write_record(record, {**info.to_json(), "format": CACHE_FORMAT, "stamp": stamp(stat)})
        return info

    def audible(self, path: str | os.PathLike, threshold_db: float = AUDIBLE_DB) -> Audible:
        """``media.audible_spans``, remembered by the file's content and the threshold: a
        re-render decodes no sound to find its pauses. Like a probe, it creates no cache
        that does not exist yet."""
        path = Path(path)
        if (self.root / "fingerprints").is_dir():
            content = self.fingerprint(path).split(":")[1]
        else:
            content = sha256_file(path)
        # repr: the exact float, so that two thresholds never share a record.
        record = self.root / "fingerprints" / f"{content}.{float(threshold_db)!r}dB.audible.json"
        try:
            known = self._unwritten.get(record) or _read_record(record)
            if known.get("format", CACHE_FORMAT) == CACHE_FORMAT:
                found = Audible.from_json(known)
                if found.threshold_db == threshold_db:
                    return found
        except _UNTRUSTED:
            pass
        found = audible_spans(path, threshold_db)
        if (self.root / "fingerprints").is_dir():
            if not self.read_only:
                _write_record(record, {**found.to_json(), "format": CACHE_FORMAT})
        else:
            self._unwritten[record] = found.to_json()
        return found

    # -- segments -------------------------------------------------------------------
    def _folder(self, key: str) -> Path:
        return self.root / "segments" / key[:2] / key

    def get(self, key: str, names: tuple[str, ...]) -> Path | None:
        """The folder of a complete, intact entry for ``key``, or None (a broken entry is
        moved aside so that it gets rebuilt)."""
        folder = self._folder(key)
        if not folder.exists():
            return None
        if key in self._checked:
            return folder
        try:
            # Sealed: what it says beside the files' hashes (ffmpeg's decode errors) is repeated.
            meta = _read_record(folder / "meta.json")
            files = meta["files"]
            ok = (meta["key"] == key and meta["format"] == CACHE_FORMAT and sorted(files) == sorted(names)
                  and all((folder / n).stat().st_size == files[n]["size"]
                          and sha256_file(folder / n) == files[n]["sha256"] for n in names))
        except (OSError, ValueError, KeyError, TypeError):
            ok = False
        if not ok:
            if not self.read_only:
                self._discard(folder)
            return None
        if not self.read_only:
            os.utime(folder / "meta.json")  # last use, for pruning by age
        self._checked.add(key)
        return folder

    def changed(self, sources: Mapping[str, str]) -> list[str]:
        """Those of ``sources`` (path -> fingerprint) whose content is no longer that."""
        changed = []
        for path, known in sources.items():
            try:
                if self.fingerprint(path) != known:
                    changed.append(path)
            except OSError:
                changed.append(path)
        return changed

    def put(self, key: str, names: tuple[str, ...], make: Callable[[list[Path]], dict],
            sources: Mapping[str, str] | None = None) -> Path:
        """Create the entry for ``key``: ``make(paths)`` writes the files ``names`` (in a
        temporary folder) and returns extra metadata to record. ``sources`` are the files
        the key was made from (path -> fingerprint): one that changed while ``make`` read
        it would put other content under this key, so nothing is stored and MediaError
        says which."""
        self._ready()
        scratch = self.root / "tmp" / f"{key[:16]}.{uuid.uuid4().hex[:8]}"
        scratch.mkdir(parents=True)
        try:
            extra = make([scratch / n for n in names])
            if sources and (changed := self.changed(sources)):
                raise source_changed(changed)
            meta = {"key": key, "format": CACHE_FORMAT, "created": time.time(), **extra,
                    "files": {n: {"size": (scratch / n).stat().st_size, "sha256": sha256_file(scratch / n)}
                              for n in names}}
            _write_record(scratch / "meta.json", meta)
            final = self._folder(key)
            _make_folder(final.parent, self.root)
            try:
                os.rename(scratch, final)
            except OSError:
                # Another render made the same entry meanwhile: same key, same bytes. Keep theirs.
                if self.get(key, names) is None:
                    raise
            return final
        finally:
            shutil.rmtree(scratch, ignore_errors=True)

    def forget(self, key: str) -> None:
        """Remove the entry for ``key``, if there is one."""
        if self._folder(key).exists():
            self._discard(self._folder(key))

    def _discard(self, folder: Path) -> None:
        self._checked.discard(folder.name)
        trash = self.root / "tmp" / f"broken.{folder.name[:16]}.{uuid.uuid4().hex[:8]}"
        try:
            os.rename(folder, trash)
        except OSError:
            return
        shutil.rmtree(trash, ignore_errors=True)

    # -- housekeeping ---------------------------------------------------------------
    def _entries(self) -> list[tuple[Path, float, int, str]]:
        found = []
        for meta in (self.root / "segments").glob("*/*/meta.json"):
            try:
                files = list(meta.parent.iterdir())
                size = sum(p.stat().st_size for p in files)
                kind = "sound" if any(p.suffix == ".m4a" for p in files) else \
                    "loop" if any(p.name == "loop.wav" for p in files) else "segment"
                found.append((meta.parent, meta.stat().st_mtime, size, kind))
            except OSError:
                continue
        return found

    def info(self) -> CacheInfo:
        entries = self._entries()
        used = [e[1] for e in entries]
        return CacheInfo(self.root, len(entries), sum(e[2] for e in entries), min(used, default=None),
                         max(used, default=None), _kinds(e[3] for e in entries))

    def prune(self, *, older_than: float | None = None, max_bytes: int | None = None) -> Pruned:
        """Remove entries unused for ``older_than`` seconds, then the least recently used
        until the cache holds at most ``max_bytes``."""
        entries = sorted(self._entries(), key=lambda e: e[1])  # least recently used first
        total = sum(e[2] for e in entries)
        now = time.time()
        removed: list[tuple[str, int]] = []
        for folder, used, size, kind in entries:
            too_old = older_than is not None and now - used > older_than
            too_big = max_bytes is not None and total > max_bytes
            if too_old or too_big:
                self._discard(folder)
                total -= size
                removed.append((kind, size))
        leftovers = 0
        # Leftovers of renders killed mid-write, and segments' subtitle files (written again
        # when needed, touched when used); a day old, so never a render still running.
        for leftover in [*(self.root / "tmp").glob("*"), *(self.root / "subtitles").glob("*")]:
            try:
                if now - leftover.stat().st_mtime > 86400:
                    shutil.rmtree(leftover, ignore_errors=True) if leftover.is_dir() else leftover.unlink()
                    leftovers += 1
            except OSError:
                pass
        return Pruned(len(removed), sum(size for _, size in removed), _kinds(kind for kind, _ in removed), leftovers)


def source_changed(paths: list[str]) -> MediaError:
    return MediaError(f"{', '.join(paths)} changed while the render read {'it' if len(paths) == 1 else 'them'}: "
                      "what was made from it is not kept", "render again once the file is written in full")


def _kinds(kinds) -> tuple[tuple[str, int], ...]:
    counted: dict[str, int] = {}
    for kind in kinds:
        counted[kind] = counted.get(kind, 0) + 1
    return tuple(sorted(counted.items()))


# What a damaged or hand-edited record can raise on the way to a value: it is then missing.
_UNTRUSTED = (OSError, ValueError, KeyError, TypeError, AttributeError, ArithmeticError, IndexError)


def _seal(record: dict) -> str:
    return hashlib.sha256(json.dumps(record, sort_keys=True).encode()).hexdigest()


def _write_record(path: Path, record: dict) -> None:
    """A remembered fingerprint, probe or measurement, sealed by the hash of its content,
    so that an edited one (other timing, another file's hash) is never believed."""
    _write_atomic(path, json.dumps({**record, "sha256": _seal(record)}).encode())


def _read_record(path: Path) -> dict:
    """A record as :func:`_write_record` wrote it, or ValueError."""
    known = json.loads(path.read_text())
    if not isinstance(known, dict) or known.pop("sha256", None) != _seal(known):
        raise ValueError(f"{path} was not written by this cache as it is")
    return known


def _make_folder(path: Path, root: Path) -> None:
    try:
        path.mkdir(parents=True, exist_ok=True)
    except (FileExistsError, NotADirectoryError):
        # The file in the way, at the folder or above it: inside the cache, never above it.
        above = path
        while above not in (root, above.parent) and not (above.is_file() or above.is_symlink()):
            above = above.parent
        if above in (root, above.parent):
            raise
        above.unlink()
        path.mkdir(parents=True, exist_ok=True)


def _write_atomic(path: Path, data: bytes) -> None:
    partial = path.with_name(f".{path.name}.{uuid.uuid4().hex[:8]}")
    partial.write_bytes(data)
    os.replace(partial, path)
