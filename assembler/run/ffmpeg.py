"""The one process boundary: find ffmpeg, run a job, report progress, write atomically.

Contract: ``(Job, output path)`` -> the output file, complete, or no file at all. ffmpeg
writes to a hidden temporary file beside the output, renamed over it only on success; a
failure, an exception or Ctrl-C kills ffmpeg and removes the temporary file, so a previous
output is never replaced by a broken one. Commands are argument lists, never a shell; the
graph always goes through a script file (one argv string over 128 KiB fails with E2BIG).
Progress comes from ``-progress pipe:1``, not from guessing.

This is the only module that imports ``subprocess``.
"""

from __future__ import annotations

import collections
import contextlib
import functools
import itertools
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from assembler.compile.escape import file_name, xml_text
from assembler.compile.jobs import Job
from assembler.errors import Cancelled, FFmpegNotFound, RenderError
from assembler.timeline.sources import BUNDLED_FONT

__all__ = ["Encoder", "FFmpeg", "Progress", "analyze", "command", "decode_errors", "encoder",
           "encoders", "find_ffmpeg", "folder_lock", "font_environment", "partial_path", "pixel_formats",
           "remove_leftovers", "run", "write_atomic"]

_MUXERS = {".mp4": "mp4", ".m4v": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm"}


@dataclass(frozen=True)
class FFmpeg:
    """An ffmpeg binary and what its version means for the command line."""

    path: str
    version: str
    major: int

    @property
    def script_flag(self) -> str:
        # ffmpeg 7 added "-/OPTION FILE" (read the option's value from a file); ffmpeg 9
        # removed -filter_complex_script, which older builds (Debian's 5.1) still need.
        return "-/filter_complex" if self.major >= 7 else "-filter_complex_script"


@dataclass(frozen=True)
class Progress:
    """One progress report: how far ffmpeg is through the job (or a render through its jobs)."""

    fraction: float  # 0..1
    seconds: float  # output time written so far
    total: float  # output time the job will write
    frame: int  # output frames done so far
    elapsed: float  # wall seconds since the start
    speed: float | None  # output seconds per wall second (times real time)
    stage: str = ""  # what a render is doing: "segments 3/27", "sound", "assembly"

    @property
    def eta(self) -> float | None:
        """Seconds left, extrapolated from the pace so far."""
        if self.fraction <= 0 or self.elapsed <= 0:
            return None
        return self.elapsed * (1 - self.fraction) / self.fraction


def find_ffmpeg(explicit: str | os.PathLike | None = None) -> FFmpeg:
    """The ffmpeg to use: ``explicit``, else ``$ASSEMBLER_FFMPEG``, else the imageio-ffmpeg binary."""
    chosen = explicit or os.environ.get("ASSEMBLER_FFMPEG")
    if chosen:
        path = shutil.which(os.fspath(chosen)) or os.fspath(chosen)
    else:
        try:
            import imageio_ffmpeg
            path = imageio_ffmpeg.get_ffmpeg_exe()
        except Exception as exc:  # the wheel raises RuntimeError when its binary is missing
            raise FFmpegNotFound(f"the bundled ffmpeg (imageio-ffmpeg) is not usable: {exc}; "
                                 "reinstall assembler or set ASSEMBLER_FFMPEG to an ffmpeg binary") from exc
    return _identify(path)


@functools.lru_cache(maxsize=8)
def _identify(path: str) -> FFmpeg:
    try:
        done = _completed([path, "-hide_banner", "-version"], text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FFmpegNotFound(f"cannot run ffmpeg at {path!r}: {exc}") from exc
    first = done.stdout.splitlines()[0] if done.stdout else ""
    if done.returncode != 0 or not first.startswith("ffmpeg version"):
        raise FFmpegNotFound(f"{path!r} does not look like ffmpeg (it printed {first!r})")
    version = first.split()[2]
    match = re.match(r"n?(\d+)\.(\d+)", version)
    # Builds from git ("N-12345-g...") are newer than any release.
    return FFmpeg(path, version, int(match[1]) if match else 99)


@dataclass(frozen=True)
class Encoder:
    """What one encoder of an ffmpeg build accepts, as ``-h encoder=NAME`` says."""

    name: str
    kind: str  # "video", "audio" or "subtitle"
    pix_fmts: tuple[str, ...] | None  # None: the build does not say
    sample_rates: tuple[int, ...] | None
    preset: str | None  # the type of its -preset option ("string", "int", ...); None: it has none
    presets: tuple[str, ...] = ()  # the named values of -preset, when it lists them
    preset_range: tuple[int, int] | None = None  # an int -preset's range
    layouts: str | None = None  # its channel layouts as listed ("mono stereo 5.1 ..."; names hold spaces)


_KINDS = {"V": "video", "A": "audio", "S": "subtitle"}
# libx264/libx265 take -preset as a free string and hand it to the library, which knows these.
_X26X_PRESETS = ("ultrafast", "superfast", "veryfast", "faster", "fast", "medium", "slow", "slower", "veryslow",
                 "placebo")


def _ask(ff: FFmpeg, *args: str) -> str:
    try:
        done = _completed([ff.path, "-hide_banner", *args], text=True, timeout=30, stdin=subprocess.DEVNULL)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise FFmpegNotFound(f"cannot ask ffmpeg at {ff.path!r} what it supports: {exc}") from exc
    return done.stdout


@functools.lru_cache(maxsize=8)
def encoders(ff: FFmpeg) -> dict[str, str]:
    """Every encoder of this build: name -> kind ("video", "audio", "subtitle"); asked once per build."""
    found = {}
    for line in _ask(ff, "-encoders").splitlines():
        match = re.match(r"\s*([VAS])[.A-Z]{5}\s+(\S+)\s", line)
        if match and match[2] != "=":
            found[match[2]] = _KINDS[match[1]]
    return found


@functools.lru_cache(maxsize=8)
def pixel_formats(ff: FFmpeg) -> frozenset[str]:
    """The pixel formats this build knows by name."""
    return frozenset(m[1] for line in _ask(ff, "-pix_fmts").splitlines()
                     if (m := re.match(r"[IO.][O.][H.][P.][B.]\s+(\S+)\s+\d", line)))


@functools.lru_cache(maxsize=64)
def encoder(ff: FFmpeg, name: str) -> Encoder | None:
    """What the encoder ``name`` of this build accepts; None when the build has no such encoder."""
    kind = encoders(ff).get(name)
    if kind is None:
        return None
    text = _ask(ff, "-h", f"encoder={name}")
    pix = re.search(r"Supported pixel formats: (.*)", text)
    rates = re.search(r"Supported sample rates: (.*)", text)
    option = re.search(r"^\s*-preset\s+<(\w+)>.*$", text, re.M)
    named: tuple[str, ...] = ()
    span: tuple[int, int] | None = None
    if option:
        after = text[option.end():].splitlines()[1:]
        named = tuple(m[1] for m in (re.match(r"\s{5,}(\S+)\s+\S+\s+E", line) for line in
                                     itertools.takewhile(lambda line: not line.lstrip().startswith("-"), after)) if m)
        bounds = re.search(r"\(from (-?\d+) to (-?\d+)\)", option[0])
        span = (int(bounds[1]), int(bounds[2])) if bounds else None
    if name in ("libx264", "libx264rgb", "libx265"):
        named = _X26X_PRESETS
    layouts = re.search(r"Supported channel layouts: (.*)", text)
    return Encoder(name, kind, tuple(pix[1].split()) if pix else None,
                   tuple(int(r) for r in rates[1].split() if r.isdigit()) if rates else None,
                   option[1] if option else None, named, span, layouts[1].strip() if layouts else None)


def command(ff: FFmpeg, job: Job, script: str | os.PathLike | None,
            outputs: str | os.PathLike | Sequence[str | os.PathLike], loglevel: str = "error",
            progress: bool = True) -> list[str]:
    """The full argument list for a job whose graph is in ``script``, writing ``outputs``
    (one path per output group of the job); ``progress=False`` for a person to run it."""
    paths = [outputs] if isinstance(outputs, (str, os.PathLike)) else list(outputs)
    if len(paths) != len(job.outputs):
        raise ValueError(f"the job writes {len(job.outputs)} files, {len(paths)} paths given")
    argv = [ff.path, "-hide_banner", "-nostdin", "-y", "-loglevel", loglevel,
            *(("-progress", "pipe:1") if progress else ()), "-nostats", *job.inputs]
    if job.script is not None:
        argv += [ff.script_flag, os.fspath(script)]  # type: ignore[arg-type]  # a graph comes with its script
    for group, path in zip(job.outputs, paths):
        muxer = [] if "-f" in group else ["-f", _MUXERS.get(Path(path).suffix.lower(), "mp4")]
        argv += [*group, *muxer, file_name(os.fspath(path))]
    return argv


class _Stalled(Exception):
    """ffmpeg went on running without writing anything more."""


def stall_seconds() -> float:
    """How long a job may go without its output advancing before it counts as hung
    (``$ASSEMBLER_STALL_SECONDS``, default 300: a join decodes a long single-keyframe shot
    from its start before its first frame comes out)."""
    try:
        return float(os.environ.get("ASSEMBLER_STALL_SECONDS", "300"))
    except ValueError:
        return 300.0


def run(job: Job, outputs: str | os.PathLike | Sequence[str | os.PathLike], *, ffmpeg: FFmpeg | None = None,
        progress: Callable[[Progress], None] | None = None, cancel: threading.Event | None = None,
        publish: Callable[[list[tuple[Path, Path]]], None] | None = None,
        said: Callable[[str], None] | None = None) -> float:
    """Run a job into ``outputs`` atomically; return the wall time in seconds.

    Every output appears complete or not at all: each is written to a hidden temporary
    name beside it and renamed only when ffmpeg succeeded. Raises RenderError (with the
    command and the tail of ffmpeg's stderr) on failure, Cancelled when ``cancel`` is set.
    ``publish`` is given the (temporary, final) pairs instead of the renames, to rename
    them itself (with what must describe them); if it raises, the temporary files go.
    ``said`` is given what ffmpeg wrote on stderr (its last lines) when it succeeded: errors
    it went past, such as a clip's damaged data.
    """
    ff = ffmpeg or find_ffmpeg()
    finals = [Path(outputs)] if isinstance(outputs, (str, os.PathLike)) else [Path(p) for p in outputs]
    partials = []
    for final in finals:
        final.parent.mkdir(parents=True, exist_ok=True)
        partials.append(partial_path(final, final.suffix or ".mp4"))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="assembler-") as scratch:
        script = Path(scratch) / "graph.txt"
        if job.script is not None:
            script.write_text(job.script, encoding="utf-8")
        argv = command(ff, job, script, partials)
        env = _environment(job, Path(scratch))
        for attempt in (1, 2):  # a hung ffmpeg is killed and tried once more
            try:
                code, tail = _beside(lambda: _supervise(argv, job, started, progress, cancel, env))
                break
            except _Stalled as stalled:
                for partial in partials:
                    _remove(partial)
                if attempt == 2:
                    raise RenderError(f"ffmpeg wrote nothing for {stall_seconds():.0f} s while rendering "
                                      f"{finals[0].name}, twice; it was stopped", argv, str(stalled), None) from None
            except BaseException:
                for partial in partials:
                    _remove(partial)
                raise
    if code != 0 or not all(p.exists() for p in partials):
        for partial in partials:
            _remove(partial)
        raise RenderError(f"ffmpeg failed (exit status {code}) while rendering {finals[0].name}", argv, tail, code)
    if said is not None and tail.strip():
        said(tail)
    try:
        if publish is not None:
            publish(list(zip(partials, finals)))
        else:
            for partial, final in zip(partials, finals):
                os.replace(partial, final)
    except BaseException:
        for partial in partials:
            _remove(partial)
        raise
    return time.monotonic() - started


def partial_path(final: Path, suffix: str = "") -> Path:
    """A hidden temporary name beside ``final``, unique to this process and call; the pid
    in it lets a later render tell a dead render's leftover from a running one's file. Its
    name part is shortened so that the whole stays within the 255 bytes a file name may
    have (a 240-byte output name is fine, its temporary name must be too)."""
    return final.with_name(_partial_name(final, suffix, os.getpid(), uuid.uuid4().hex[:8]))


def _partial_name(final: Path, suffix: str, pid: int, token: str) -> str:
    name = final.stem if suffix else final.name
    tail = f".{pid}.{token}.partial{suffix}"
    room = 255 - 1 - len(os.fsencode(tail))
    name = os.fsencode(name)[:room].decode("utf-8", "ignore")  # no half characters
    return f".{name}{tail}"


def write_atomic(path: Path, text: str, publish: Callable[[list[tuple[Path, Path]]], None] | None = None) -> None:
    """``text`` into ``path`` whole or not at all, under a name no other writer shares;
    ``publish``, as in :func:`run`, is given the (temporary, final) pair instead of the
    rename."""
    partial = partial_path(path)
    try:
        partial.write_text(text, encoding="utf-8")
        if publish is not None:
            publish([(partial, path)])
        else:
            os.replace(partial, path)
    except BaseException:
        _remove(partial)
        raise


@contextlib.contextmanager
def folder_lock(folder: Path):
    """Hold ``folder`` for this writer alone (other processes and threads that ask wait),
    so that a file and the ones that describe or go with it are replaced together. Once it
    is held, SIGINT and SIGTERM wait in this thread until it is let go: a swap of several
    renames is never cut in half. Advisory, leaves no file; where there is no ``flock``
    (Windows) it holds nothing."""
    try:
        import fcntl
        fd = os.open(folder, os.O_RDONLY)
    except (ImportError, OSError):
        yield
        return
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # waiting here may still be interrupted
        with _signals_held():
            yield
    finally:
        os.close(fd)  # closing the descriptor releases the lock


@contextlib.contextmanager
def _signals_held():
    held = {signal.SIGINT, signal.SIGTERM}
    try:
        before = signal.pthread_sigmask(signal.SIG_BLOCK, held)
    except (AttributeError, OSError, ValueError):  # no signal masks here (Windows)
        yield
        return
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, before)  # a signal that came meanwhile arrives now


# Our own temporary names: ".NAME.PID.8HEX.partial[.SUFFIX]", NAME shortened to fit 255
# bytes (and, before the pid was added, ".NAME.8HEX.partial.SUFFIX").
_PARTIAL = re.compile(r"\.(?P<name>.+)\.(?P<pid>\d+)\.(?P<token>[0-9a-f]{8})\.partial(?P<suffix>\.[^.]+)?")
_UNNUMBERED = re.compile(r"\.(?P<name>.+)\.[0-9a-f]{8}\.partial(?P<suffix>\.[^.]+)?")
_STALE_SECONDS = 86400.0


def remove_leftovers(finals: Path | Sequence[Path]) -> int:
    """Remove the temporary files that earlier, killed renders left beside ``finals``
    (every file a render writes: the output, its receipt, sidecar and stems) under the
    names :func:`partial_path` gives them, each only when the process that made it is no
    longer running here (never another running render's), or, for the names older
    renders gave without a pid, when it is a day old. Nothing else is touched: not
    another output's temporaries, nor a file that only looks like one. Returns how many
    were removed."""
    finals = [Path(finals)] if isinstance(finals, (str, os.PathLike)) else [Path(f) for f in finals]
    removed = 0
    for folder in dict.fromkeys(f.parent for f in finals):
        mine = [f for f in finals if f.parent == folder]
        try:
            names = os.listdir(folder)
        except OSError:
            continue
        for name in names:
            path = folder / name
            try:
                if _left_by_dead(name, mine) or (_unnumbered(name, mine) and
                                                 time.time() - path.stat().st_mtime > _STALE_SECONDS):
                    path.unlink()
                    removed += 1
            except OSError:
                continue  # gone meanwhile, or not ours to remove
    return removed


def _left_by_dead(name: str, finals: list[Path]) -> bool:
    match = _PARTIAL.fullmatch(name)
    if not match:
        return False
    pid, token, suffix = int(match["pid"]), match["token"], match["suffix"] or ""
    return any(name == _partial_name(f, suffix, pid, token) for f in finals) and not _alive(pid)


def _unnumbered(name: str, finals: list[Path]) -> bool:
    match = _UNNUMBERED.fullmatch(name)
    return match is not None and any(match["name"] == (f.stem if match["suffix"] else f.name) for f in finals)


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)  # signal 0: asks whether the process exists, sends nothing
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True  # another user's process, or not a pid we can ask about: keep its file
    return True


def analyze(job: Job, *, ffmpeg: FFmpeg | None = None) -> str:
    """Run a job that writes nothing (its outputs go to ffmpeg's null muxer) and return
    everything ffmpeg said: measuring filters such as loudnorm report on stderr."""
    ff = ffmpeg or find_ffmpeg()
    with tempfile.TemporaryDirectory(prefix="assembler-") as scratch:
        script = Path(scratch) / "graph.txt"
        if job.script is not None:
            script.write_text(job.script, encoding="utf-8")
        argv = command(ff, job, script, ["-"] * len(job.outputs), loglevel="info")
        done = _completed(argv, stdin=subprocess.DEVNULL, env=_environment(job, Path(scratch)))
    text = done.stderr.decode("utf-8", "replace")
    if done.returncode != 0:
        raise RenderError(f"ffmpeg failed (exit status {done.returncode}) while measuring", argv,
                          "\n".join(text.splitlines()[-40:]), done.returncode)
    return text


def decode_errors(path: str | os.PathLike, start: float, seconds: float | None, *,
                  ffmpeg: FFmpeg | None = None) -> list[str]:
    """The errors ffmpeg reports decoding ``seconds`` of a file from ``start`` (None: only
    its first picture), and nothing else is done: which of the files a job read its
    errors came from, as ffmpeg's messages do not say."""
    ff = ffmpeg or find_ffmpeg()
    span = ["-t", f"{seconds:.6f}"] if seconds is not None else []
    argv = [ff.path, "-hide_banner", "-nostdin", "-loglevel", "error", "-ss", f"{start:.6f}", *span,
            "-i", file_name(os.fspath(path)), *(["-frames:v", "1"] if seconds is None else []), "-f", "null", "-"]
    done = _completed(argv, stdin=subprocess.DEVNULL)
    return [line for line in done.stderr.decode("utf-8", "replace").splitlines() if line.strip()]


def _environment(job: Job, scratch: Path) -> dict[str, str] | None:
    extra = font_environment(job, scratch / "fonts.conf")
    return None if extra is None else {**os.environ, **extra}


def font_environment(job: Job, config: Path) -> dict[str, str] | None:
    """For a job that draws text by family name: a private fontconfig (written to
    ``config``) that sees the bundled fonts and the job's font folders and nothing else,
    so that text looks the same on every machine, with or without system fonts (and a
    missing family was already an error, never a silent fallback). Returns the variables
    to add to the environment."""
    if job.fonts is None:
        return None
    dirs = [os.fspath(BUNDLED_FONT.parent), *job.fonts]
    cache = Path(tempfile.gettempdir()) / f"assembler-fontconfig-{os.getuid() if hasattr(os, 'getuid') else 0}"
    config.write_text(fontconfig_text(dirs, os.fspath(cache)), encoding="utf-8")
    return {"FONTCONFIG_FILE": os.fspath(config)}


def fontconfig_text(dirs: Sequence[str], cache: str) -> str:
    """A fontconfig file that sees exactly ``dirs``."""
    body = "".join(f"  <dir>{xml_text(d)}</dir>\n" for d in dirs)
    return ('<?xml version="1.0"?>\n<!DOCTYPE fontconfig SYSTEM "fonts.dtd">\n<fontconfig>\n'
            f"{body}  <cachedir>{xml_text(cache)}</cachedir>\n</fontconfig>\n")


def _supervise(argv: list[str], job: Job, started: float, progress: Callable[[Progress], None] | None,
               cancel: threading.Event | None, env: dict[str, str] | None = None) -> tuple[int, str]:
    """Run ffmpeg, feeding progress events; on any exception (Ctrl-C too) kill it first."""
    proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
    _CHILDREN.add(proc)
    lines: collections.deque[str] = collections.deque(maxlen=40)
    reader = threading.Thread(target=_drain, args=(proc.stderr, lines), daemon=True)
    reader.start()
    total = float(job.duration)
    limit = stall_seconds()
    # ffmpeg reports every half second even when stuck: the watch is on what it has written.
    moved: list[Any] = [time.monotonic(), None]  # when, and what had been written by then
    watch = threading.Event()

    def watchdog() -> None:
        while not watch.wait(min(1.0, limit / 4)):
            if time.monotonic() - moved[0] > limit:
                stalled.set()
                _stop(proc)
                return

    stalled = threading.Event()
    guard = threading.Thread(target=watchdog, daemon=True)
    guard.start()
    try:
        state: dict[str, str] = {}
        assert proc.stdout is not None
        for raw in proc.stdout:
            key, _, value = raw.decode("utf-8", "replace").strip().partition("=")
            state[key] = value
            if cancel is not None and cancel.is_set():
                raise Cancelled(argv[0])
            if key == "progress":
                written = (state.get("total_size"), state.get("out_time_us"))
                if written != moved[1]:
                    moved[:] = [time.monotonic(), written]
                if progress is not None:
                    progress(_progress(state, total, started))
        code = proc.wait()
        if stalled.is_set():
            reader.join(timeout=5)
            raise _Stalled("\n".join(lines))
    except BaseException:
        _stop(proc)
        raise
    finally:
        _CHILDREN.discard(proc)
        watch.set()
        reader.join(timeout=5)
    return code, "\n".join(lines)


_T = TypeVar("_T")
# The ffmpeg processes running now, so that a signal stops them by pid (see _beside).
_CHILDREN: set[subprocess.Popen] = set()


def _beside(work: Callable[[], _T]) -> _T:
    """``work()``, which runs ffmpeg, in a thread of its own when called from the main
    thread, which only waits for it there. Ctrl-C and SIGTERM are raised in the main
    thread wherever it is: raised inside subprocess's own waiting, between its taking
    Popen's wait lock and the `with` that gives it back, one left the lock taken, and the
    wait that followed (stopping ffmpeg, or Popen's exit) hung for ever, deaf to another
    SIGTERM (a `check` stopped while it asked ffmpeg its encoders). Raised in the join
    here, it stops the children by pid, which takes no lock, and goes on unwinding."""
    if threading.current_thread() is not threading.main_thread():
        return work()
    done: list[tuple[bool, Any]] = []

    def body() -> None:
        try:
            done.append((True, work()))
        except BaseException as exc:  # handed to the main thread, which raises it
            done.append((False, exc))

    helper = threading.Thread(target=body, name="assembler-ffmpeg", daemon=True)
    helper.start()
    try:
        helper.join()
    except BaseException:
        for child in list(_CHILDREN):
            with contextlib.suppress(OSError):
                os.kill(child.pid, signal.SIGTERM)
        helper.join(timeout=10)  # its own cleanup (ffmpeg reaped, temporary files removed)
        for child in list(_CHILDREN):  # one that would not stop
            with contextlib.suppress(OSError):
                os.kill(child.pid, getattr(signal, "SIGKILL", signal.SIGTERM))
        raise
    ok, value = done[0]
    if not ok:
        raise value
    return value


def _completed(argv: list[str], timeout: float | None = None, **options: Any) -> subprocess.CompletedProcess:
    """``subprocess.run(argv, capture_output=True, ...)``, beside the main thread."""
    def work() -> subprocess.CompletedProcess:
        with subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, **options) as child:
            _CHILDREN.add(child)
            try:
                out, err = child.communicate(timeout=timeout)
            except subprocess.TimeoutExpired:
                child.kill()
                child.communicate()
                raise
            finally:
                _CHILDREN.discard(child)
        return subprocess.CompletedProcess(argv, child.returncode, out, err)

    return _beside(work)


def _progress(state: dict[str, str], total: float, started: float) -> Progress:
    def number(key: str) -> float | None:
        try:
            return float(state.get(key, "").rstrip("x"))
        except ValueError:
            return None

    micros = number("out_time_us") or number("out_time_ms") or 0.0
    seconds = max(0.0, micros / 1e6)
    done = state.get("progress") == "end"
    fraction = 1.0 if done else min(1.0, seconds / total) if total > 0 else 0.0
    return Progress(fraction, seconds, total, int(number("frame") or 0), time.monotonic() - started,
                    number("speed"))


def _drain(stream, lines: collections.deque[str]) -> None:
    for raw in stream:
        lines.append(raw.decode("utf-8", "replace").rstrip())


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _remove(path: Path) -> None:
    try:
        path.unlink()
    except FileNotFoundError:
        pass

