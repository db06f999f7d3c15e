"""What a render leaves beside its output, and how it gets there: the sidecar and stems
staged under temporary names and swapped in with the output and its receipt as one step;
the receipt made; and an output found already up to date.

Contract: the values a render knows -> a :class:`~assembler.run.receipts.Receipt`; staged
(temporary, final) pairs -> files in place, with the receipt, under the folder's lock.
Imports ``cache``, ``compile``, ``ffmpeg``, ``outputs``, ``receipts``, ``soundtrack``, ``timeline``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from assembler.errors import UsageError
from assembler.model.edl import Edl
from assembler.run.assemble import SEGMENT_FILES, PlannedSegment
from assembler.run.cache import Cache, sha256_file
from assembler.run.ffmpeg import FFmpeg, folder_lock, write_atomic
from assembler.run.outputs import sidecar_path
from assembler.run.receipts import (BesideLine, EdlLine, FFmpegLine, InputLine, OutputLine, Receipt, SegmentLine,
                                    SoundLine, Timings)
from assembler.run.soundtrack import mix_jobs, stem_paths, write_stems
from assembler.timeline.build import Timeline
from assembler.timeline.items import Shot
from assembler.compile.subtitles import srt_text

__all__ = ["discard", "make_receipt", "segment_meta", "stage_beside", "swap", "unchanged"]


def unchanged(out: Path, receipt: Path, identity: str, started: float, timeline: Timeline) -> Receipt | None:
    """Whether ``out`` (with its stems and sidecar) is already exactly what this render
    would write; if so, its receipt is brought up to date (nothing was rendered now) and
    returned."""
    with folder_lock(out.parent):  # no other render replaces the set meanwhile
        if not all(p.exists() for p in stem_paths(out, timeline).values()) or not _sidecar_current(out, timeline):
            return None
        return _reuse(out, receipt, identity, started)


def _reuse(out: Path, receipt: Path, identity: str, started: float) -> Receipt | None:
    try:
        recorded = Receipt.read(receipt)
        if recorded.identity != identity or sha256_file(out) != recorded.output.sha256:
            return None
    except (OSError, UsageError):
        return None
    recorded = recorded.reused(time.monotonic() - started)
    write_atomic(receipt, recorded.text())
    return recorded


def _sidecar_current(out: Path, timeline: Timeline) -> bool:
    track = timeline.subtitles
    if track is None or not track.sidecar:
        return True
    try:
        return sidecar_path(out).read_text(encoding="utf-8") == srt_text(track, timeline.output.fps)
    except OSError:
        return False


def stage_beside(out: Path, timeline: Timeline, ff: FFmpeg, gain_db: float | None, staged: list[tuple[Path, Path]],
                 loops: dict[str, str] | None = None) -> list[Path]:
    """The sidecar and the stems (at ``gain_db``, the mix's; long loops read from ``loops``)
    written under temporary names, their (temporary, final) pairs added to ``staged`` (to
    be swapped in with the output); returns the stems."""
    track = timeline.subtitles
    if track is not None and track.sidecar:
        write_atomic(sidecar_path(out), srt_text(track, timeline.output.fps), publish=staged.extend)
    return write_stems(out, timeline, ff, {"loudness": {"gain_db": gain_db}}, loops, publish=staged.extend)


def swap(out: Path, staged: list[tuple[Path, Path]], receipt: Path | None = None,
         described: Receipt | None = None) -> None:
    """Every staged file into place, then the receipt that describes them, as one step for
    any other render into the same output: the set beside it all comes from one render."""
    with folder_lock(out.parent):
        for partial, final in staged:
            os.replace(partial, final)
        if receipt is not None and described is not None:
            write_atomic(receipt, described.text())


def discard(staged: list[tuple[Path, Path]]) -> None:
    for partial, _ in staged:
        partial.unlink(missing_ok=True)  # none left once they were swapped in


def segment_meta(store: Cache, key: str) -> dict:
    """What the cache holds about a segment it has (its command, ffmpeg's decode errors)."""
    return json.loads((store.get(key, SEGMENT_FILES) / "meta.json").read_text())  # type: ignore[operator]  # it has


def make_receipt(edl: str | os.PathLike | Edl, out: Path, output_sha: str, identity: str, timeline: Timeline,
                 planned: list[PlannedSegment], built: dict[str, dict], sound: SoundLine, store: Cache, ff: FFmpeg,
                 timings: Timings, beside: list[tuple[Path, Path]]) -> Receipt:
    """Everything needed to say what made these bytes (whose sha256 is ``output_sha``,
    hashed before they became ``out``), and the files ``beside`` them ((temporary, final))."""
    inputs = sorted({path for p in planned for path in p.job.paths} |
                    {path for job in mix_jobs(timeline) for path in job.paths} |
                    {os.fspath(parent) for parent in timeline.parents})  # an edit there re-renders too
    lines, seen = [], set()
    for p in planned:
        meta = segment_meta(store, p.key)
        fresh = p.key in built and built[p.key]["built"] and p.key not in seen  # a repeat reuses the first
        seen.add(p.key)
        lines.append(SegmentLine(p.segment.kind, (p.segment.start, p.segment.end), p.segment.items, p.key, fresh,
                                 _strings(meta.get("argv")), built[p.key]["seconds"] if fresh else 0.0,
                                 tuple(meta.get("errors") or ())))
    return Receipt(
        _version(), FFmpegLine(ff.path, ff.version, store.fingerprint(ff.path)), _edl_line(edl, timeline),
        tuple(InputLine(path, store.fingerprint(path).split(":")[1], os.stat(path).st_size) for path in inputs),
        tuple(lines), sound,
        OutputLine(os.fspath(out.resolve()), output_sha, timeline.frames, str(timeline.duration)), timings, identity,
        tuple(BesideLine(os.fspath(final.resolve()), sha256_file(partial)) for partial, final in beside))


def _strings(argv: list | None) -> tuple[str, ...] | None:
    return None if argv is None else tuple(argv)


def _edl_line(edl: str | os.PathLike | Edl, timeline: Timeline) -> EdlLine:
    picks = tuple((p.take[0], p.take[1]) for p in timeline.placements if isinstance(p, Shot) and p.take)
    if isinstance(edl, Edl):
        text = edl.model_dump_json(by_alias=True)
        return EdlLine(None, hashlib.sha256(text.encode()).hexdigest(), picks)
    return EdlLine(os.fspath(Path(edl).resolve()), sha256_file(edl), picks)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version
    try:
        return version("edl-assembler")
    except PackageNotFoundError:  # pragma: no cover - a source tree without install
        return "0.0.0"
