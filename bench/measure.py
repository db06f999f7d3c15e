"""Measuring one command, and the machine around it (stdlib + PyAV; used by run.py).

run_once: wall, CPU (user+sys of the command and every descendant it waited for), the
peak RSS of its largest process (wait4) and, with tree=True, the peak of the summed PSS
of ALL processes in its session sampled every 0.2 s (like shared/bench/harness.py
--tree: a render that runs several ffmpeg at once hides most of its memory from wait4).
Load: how much CPU other processes took while a stretch of the benchmark ran.
"""
from __future__ import annotations

import os
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import av

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
