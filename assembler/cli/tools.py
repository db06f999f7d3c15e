"""The other commands: `schema`, `probe`, `verify`, `diff`, `cache info|prune` and `--version`."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Optional

import typer

from assembler import __version__
from assembler.errors import AssemblerError, FFmpegNotFound, MediaError, UsageError
from assembler.run.ffmpeg import find_ffmpeg
from assembler.run.probe import probe
from assembler.review.diff import diff as diff_edls
from assembler.review.verify import verify as verify_receipt
from assembler.run.cache import Cache
from assembler.render import cache_folder, folder_or_none
from assembler.model.schema import json_schema
from assembler.cli.console import fail, app, err, out

__all__ = ["cache_info", "cache_prune", "diff", "probe_files", "schema", "verify"]


@app.command()
def schema() -> None:
    """Print the JSON Schema of the EDL (for editor completion)."""
    out.print(json.dumps(json_schema(), indent=2, ensure_ascii=False), markup=False)


@app.command(name="probe")
def probe_files(files: Annotated[list[Path], typer.Argument(help="Media files.")]) -> None:
    """Show what media files hold, as assembler sees them."""
    failed = False
    for path in files:
        try:
            info = probe(path)
        except MediaError as exc:
            err.print(f"{path}: {exc}", style="red", markup=False)
            failed = True
            continue
        parts: list[str] = [info.kind]
        if info.duration is not None:
            parts.append(f"{float(info.duration):.3f} s")
        if info.has_video:
            w, h = info.display_size
            parts.append(f"{w}x{h}" + (f" (stored {info.width}x{info.height}, rotated {info.rotation})"
                                       if info.rotation else ""))
            if info.fps:
                parts.append(f"{float(info.fps):.3f} fps ({info.fps})")
            if info.pix_fmt:
                parts.append(info.pix_fmt)
        parts.append(f"audio {info.audio_rate} Hz {info.audio_channels} ch" if info.has_audio else "no audio")
        out.print(f"{path}: " + ", ".join(parts), markup=False)
    if failed:
        raise typer.Exit(2)


@app.command()
def verify(receipt: Annotated[Path, typer.Argument(help="A receipt written beside a render.")],
           jobs: Annotated[Optional[int], typer.Option("-j", "--jobs", min=1)] = None) -> None:
    """Re-render what a receipt describes, from scratch, and say whether the bytes match."""
    try:
        result = verify_receipt(receipt, jobs=jobs)
    except (OSError, ValueError, KeyError) as exc:
        err.print(f"error: cannot use {receipt}: {exc}", style="bold red", markup=False)
        raise typer.Exit(2) from None
    except AssemblerError as exc:
        raise fail(exc) from None
    for path in result.changed_inputs:
        err.print(f"changed since the receipt: {path}", style="yellow", markup=False)
    if result.matches:
        out.print(f"OK: {result.edl} re-renders to the same bytes (sha256 {result.actual})", markup=False)
        return
    out.print(f"MISMATCH: the receipt says sha256 {result.expected}, the re-render gives {result.actual}",
              style="bold red", markup=False)
    raise typer.Exit(1)


@app.command()
def diff(a: Annotated[Path, typer.Argument(help="An EDL.")], b: Annotated[Path, typer.Argument(help="Another EDL.")]) -> None:
    """List the items and segments that differ between two EDLs (nothing is rendered)."""
    try:
        result = diff_edls(a, b)
    except AssemblerError as exc:
        raise fail(exc) from None
    for parent in result.parents:
        out.print(f"the file {b} extends differs: {parent}", markup=False)
    for item in result.items:
        out.print(f"item {item} differs", markup=False)
    for side, planned in (("only in " + str(a), result.only_a), ("only in " + str(b), result.only_b)):
        for line in planned:
            items = ", ".join(f"video[{i}]" for i in line.items)
            out.print(f"segment {line.kind} frames {line.frames[0]}-{line.frames[1]} ({items}) {line.key[:12]}: "
                      f"{side}", markup=False)
    out.print(f"{len(result.items)} items differ; {len(result.only_b)} segments of {b} to render, "
              f"{result.shared} shared; the sound {'to mix again' if result.sound else 'the same'}", markup=False)


cache_app = typer.Typer(no_args_is_help=True, help="Look after the render cache.")
app.add_typer(cache_app, name="cache")
_CACHE_EDL = typer.Argument(help="An EDL: its cache, the one `render` uses (default: none; see --cache).")
_CACHE_OPTION = typer.Option(help="The cache folder (default: $ASSEMBLER_CACHE, else .assembler-cache/ beside "
                                  "the EDL, or in the current folder without one).")


def _cache_root(edl: Path | None, cache: Path | None) -> Cache:
    """The cache ``render EDL`` would use; a folder stands for the EDLs in it."""
    if edl is not None and cache is None:
        if edl.is_dir():
            edl = edl / "episode.yaml"  # any name: the cache is the folder's
        elif not edl.exists():
            err.print(f"{edl} does not exist: give the EDL (or its folder) whose cache to look at", style="red",
                      markup=False)
            raise typer.Exit(2)
    try:
        return Cache(folder_or_none(cache_folder(cache, edl), "the cache"))
    except UsageError as exc:
        raise fail(exc) from None


def _count(n: int, one: str, many: str) -> str:
    return f"{n} {one if n == 1 else many}"


def _kinds(kinds: tuple[tuple[str, int], ...]) -> str:
    return ", ".join(f"{n} {kind}{'s' if n != 1 else ''}" for kind, n in kinds) or "nothing"


@cache_app.command("info")
def cache_info(edl: Annotated[Optional[Path], _CACHE_EDL] = None,
               cache: Annotated[Optional[Path], _CACHE_OPTION] = None) -> None:
    """How many entries the cache holds, and how big it is."""
    info = _cache_root(edl, cache).info()
    if not info.exists:
        out.print(f"no cache at {info.root} (nothing rendered with it yet)", markup=False)
        return
    last = time.strftime("%Y-%m-%d %H:%M", time.localtime(info.newest)) if info.newest else "never"
    out.print(f"cache {info.root}: {_count(info.entries, 'entry', 'entries')} ({_kinds(info.kinds)}), {info.bytes / 2**20:.1f} MiB, "
              f"last used {last}", markup=False)


@cache_app.command("prune")
def cache_prune(edl: Annotated[Optional[Path], _CACHE_EDL] = None,
                cache: Annotated[Optional[Path], _CACHE_OPTION] = None,
                older_than: Annotated[Optional[float], typer.Option(min=0, help="Remove entries unused for this many days.")] = None,
                max_size: Annotated[Optional[float], typer.Option(min=0, help="Then keep at most this many MiB "
                                                                       "(least recently used go first).")] = None) -> None:
    """Remove old entries, or the least recently used ones beyond a size."""
    if older_than is None and max_size is None:
        err.print("say --older-than DAYS and/or --max-size MIB", style="red")
        raise typer.Exit(2)
    store = _cache_root(edl, cache)
    if not (store.root / "segments").is_dir():
        out.print(f"no cache at {store.root}; nothing removed", markup=False)
        return
    pruned = store.prune(older_than=None if older_than is None else older_than * 86400,
                         max_bytes=None if max_size is None else int(max_size * 2**20))
    extra = f", and {pruned.leftovers} unused subtitle or unfinished files" if pruned.leftovers else ""
    out.print(f"removed {_count(pruned.entries, 'entry', 'entries')} ({_kinds(pruned.kinds)}), {pruned.bytes / 2**20:.1f} MiB{extra}, "
              f"from {store.root}; {store.info().entries} left", markup=False)


@app.callback(invoke_without_command=True)
def _version(version: Annotated[bool, typer.Option("--version", help="Show the version.")] = False) -> None:
    if version:
        out.print(f"assembler {__version__}", markup=False)
        try:  # the bytes of a render depend on the ffmpeg build as much as on assembler
            ff = find_ffmpeg()
            out.print(f"ffmpeg {ff.version} at {ff.path}", markup=False)
        except FFmpegNotFound as exc:
            out.print(f"ffmpeg: none usable ({exc})", markup=False)
        raise typer.Exit(0)


