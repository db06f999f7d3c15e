"""Measuring one command, and the machine around it (stdlib + PyAV; used by run.py).

run_once: wall, CPU (user+sys of the command and every descendant it waited for), the
peak RSS of its largest process (wait4) and, with tree=True, the peak of the summed PSS
of ALL processes in its session sampled every 0.2 s (like shared/bench/harness.py
--tree: a render that runs several ffmpeg at once hides most of its memory from wait4).
Load: how much CPU other processes took while a stretch of the benchmark ran.
verify: duration, size, frames and sound of an output; streams + loudness (ebur128) and
sound_difference: what a loudness target and a mix are checked with.
"""
from __future__ import annotations

import os
import re
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np

REPO = Path(__file__).resolve().parents[1]
FPS = 30
SAMPLE_EVERY = 0.2        # seconds between two samples of the tree's memory


def session_pids(sid: int) -> list[int]:
    pids = []
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                if os.getsid(int(d)) == sid:
                    pids.append(int(d))
            except OSError:
                pass
    return pids


def pss_kib(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def comm(pid: int) -> str:
    """The process's name, "ffmpeg" for any ffmpeg build."""
    try:
        with open(f"/proc/{pid}/comm") as f:
            name = f.read().strip()
    except OSError:
        return "?"
    return "ffmpeg" if name.startswith("ffmpeg") else name


class TreeSampler(threading.Thread):
    """Peak summed PSS (MiB) and peak process count of one session, until stopped; `at_peak`
    says which processes made up the peak (name and MiB, largest first)."""

    def __init__(self, sid: int):
        super().__init__(daemon=True)
        self.sid, self.peak, self.procs, self.at_peak, self.stop = sid, 0.0, 0, "", threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            names = {p: comm(p) for p in session_pids(self.sid)}
            sizes = {p: pss_kib(p) / 1024 for p in names}
            if sum(sizes.values()) > self.peak:
                self.peak = sum(sizes.values())
                self.at_peak = " + ".join(f"{names[p]} {mib:.0f}" for p, mib in
                                          sorted(sizes.items(), key=lambda x: -x[1]) if mib >= 1)
            self.procs = max(self.procs, len(sizes))
            self.stop.wait(SAMPLE_EVERY)


def run_once(label: str, argv: list[str], env: dict, log: Path, tree: bool = False) -> dict:
    """Run argv from the repo root (own session, stdout discarded, stderr to log); exit on failure."""
    t0 = time.monotonic()
    with log.open("w") as err:
        p = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        sampler = TreeSampler(p.pid) if tree else None
        if sampler:
            sampler.start()
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    if sampler:
        sampler.stop.set()
        sampler.join()
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.exit(f"error: {label} exited with status {rc} (log: {log}): {' '.join(argv)[:300]}\n"
                 + "".join(log.read_text(errors="replace").splitlines(True)[-15:]))
    r = {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak": ru.ru_maxrss / 1024}
    if sampler:
        r.update(tree=sampler.peak, procs=sampler.procs, at_peak=sampler.at_peak)
    return r


def busy_cpu() -> float:
    """Non-idle CPU seconds of the whole machine so far (/proc/stat)."""
    with open("/proc/stat") as f:
        t = [int(x) for x in f.readline().split()[1:9]]
    return (sum(t) - t[3] - t[4]) / os.sysconf("SC_CLK_TCK")       # minus idle, iowait


class Load:
    """CPU that processes other than ours took during a stretch of the benchmark:
    the machine's busy CPU, minus the commands' (add each run), minus this process's own."""

    def __init__(self) -> None:
        self.t0, self.busy0, self.self0, self.ours = time.monotonic(), busy_cpu(), time.process_time(), 0.0

    def add(self, *runs: dict) -> None:
        self.ours += sum(r["cpu"] for r in runs)

    def done(self, what: str) -> float:
        """Print and return the share of the machine other processes used meanwhile."""
        wall = time.monotonic() - self.t0
        foreign = max(0.0, busy_cpu() - self.busy0 - self.ours - (time.process_time() - self.self0))
        share = foreign / (wall * (os.cpu_count() or 1)) if wall > 0 else 0.0
        noisy = share > 0.10
        print(f"  {'WARNING: ' if noisy else ''}other processes used {foreign:.0f} CPU-s ({share:.0%} of "
              f"the machine) during {what}{'; these wall times are noisy' if noisy else ''}", flush=True)
        return share


def verify(label: str, path: Path, want: float) -> bool:
    """Duration within 0.1 s, 1280x720, frame count and sound, read with PyAV."""
    with av.open(str(path)) as c:
        dur = c.duration / 1e6 if c.duration else float("nan")
        vs = c.streams.video[0] if c.streams.video else None
        aus = c.streams.audio[0] if c.streams.audio else None
        w, h = (vs.codec_context.width, vs.codec_context.height) if vs else (0, 0)
        frames = sum(1 for pk in c.demux(vs) if pk.size) if vs else 0
    ok = abs(dur - want) <= 0.1 and (w, h) == (1280, 720) and aus is not None
    ainfo = (f"{aus.codec_context.name} {aus.codec_context.sample_rate} Hz "
             f"{aus.codec_context.channels} ch" if aus else "NO AUDIO")
    print(f"  {'OK ' if ok else 'BAD'} {label:<12} {path.name}: {dur:.3f} s (want {want} ± 0.1), "
          f"{w}x{h}, {frames} frames (want {round(want * FPS)}), {ainfo}", flush=True)
    return ok


def median(rs: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rs)


def med(xs: list[float], nd: int = 2) -> str:
    """median (min-max)"""
    return f"{statistics.median(xs):.{nd}f} ({min(xs):.{nd}f}-{max(xs):.{nd}f})"


def streams(path: Path) -> str:
    """One line: the video and audio streams (codec, size, rate, channels)."""
    with av.open(str(path)) as c:
        parts = [f"{s.codec_context.name} {s.codec_context.width}x{s.codec_context.height} "
                 f"{float(s.average_rate or 0):g} fps" for s in c.streams.video]
        parts += [f"{s.codec_context.name} {s.codec_context.sample_rate} Hz {s.codec_context.channels} ch"
                  for s in c.streams.audio]
    return " + ".join(parts)


def loudness(ff: str, path: Path) -> dict[str, float]:
    """Integrated loudness (LUFS), loudness range (LU) and true peak (dBTP) of a file's sound,
    by ffmpeg's ebur128 filter: a meter of its own, not the loudnorm both contenders level with."""
    p = subprocess.run([ff, "-hide_banner", "-nostdin", "-nostats", "-i", str(path), "-map", "0:a:0",
                        "-af", "ebur128=peak=true", "-f", "null", "-"], capture_output=True, text=True)
    summary = p.stderr[p.stderr.rfind("Summary:"):]
    found = {key: re.search(rf"{pattern}\s+(-?[\d.]+|-inf)", summary)
             for key, pattern in (("i", r"I:"), ("lra", r"LRA:"), ("tp", r"True peak:\s+Peak:"))}
    if p.returncode != 0 or not all(found.values()):
        sys.exit(f"error: ebur128 measured nothing in {path}:\n{p.stderr[-1500:]}")
    return {key: float(m.group(1)) for key, m in found.items()}


def _pcm(path: Path) -> np.ndarray:
    """The first audio stream, decoded to float (channels x samples)."""
    with av.open(str(path)) as c:
        frames = [f.to_ndarray() for f in c.decode(c.streams.audio[0])]
    return np.concatenate(frames, axis=1).astype(np.float64)


def sound_difference(a: Path, b: Path, rate: int = 48000) -> dict[str, float]:
    """How far apart the sound of two outputs is: the residual a - b as dB below a's level,
    over the whole file and in the worst 1 s window (against a's overall level, so quiet
    windows do not inflate it), after aligning them (lag in samples, by cross-correlation
    of the first 10 s). Two AAC encodings of the same mix sit far below 0 dB; a missing duck
    or a different gain shows up as a few dB."""
    x, y = _pcm(a), _pcm(b)
    head = min(x.shape[1], y.shape[1], 10 * rate)
    xs, ys = x[0, :head], y[0, :head]
    corr = np.fft.irfft(np.fft.rfft(xs, 2 * head) * np.conj(np.fft.rfft(ys, 2 * head)))
    lag = int(np.argmax(np.concatenate([corr[-2048:], corr[:2049]]))) - 2048   # within ±2048 samples
    x, y = (x[:, lag:], y) if lag >= 0 else (x, y[:, -lag:])
    n = min(x.shape[1], y.shape[1])
    x, y = x[:, :n], y[:, :n]
    level = np.sqrt(np.mean(x ** 2))
    resid = (x - y) ** 2
    windows = [np.sqrt(np.mean(resid[:, k:k + rate])) for k in range(0, n - rate + 1, rate)]
    db = lambda r: 20 * np.log10(max(r, 1e-12) / level)            # noqa: E731
    return {"lag": lag, "overall": db(np.sqrt(np.mean(resid))), "worst": db(max(windows)),
            "worst_at": float(np.argmax(windows)), "seconds": n / rate}
