"""How long checking and planning a long EDL takes, with nothing encoded.

    .venv/bin/python bench/plan_speed.py [--clips 1000] [--work DIR] [--results bench/RESULTS.md]

A series file or an edit of a long cut is checked many times an hour; the plan (segments
and their content keys) is what a no-op re-render costs. This makes an EDL of N clips
(copies of one small clip under N names, so every clip is probed and fingerprinted on its
own), with a dissolve after every fourth, a title card every 50, a music bed ducked under
the clips' own sound and a subtitle cue per clip, then times, after one warm-up pass that
fills the cache's remembered probes and fingerprints:

- load: reading and validating the EDL;
- check: load + probes from the warm cache + the timeline (``assembler.check``);
- plan: the segments, their jobs and their content keys, and the sound's key.

It runs N and N/2 (and N/4) to show how the cost grows: linear growth keeps the ratio near
2. Target (issue 12): check + plan of 1,000 clips under 1 s on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))


def make_media(work: Path, clips: int) -> None:
    from media_tools import make_clip  # the suite's lavfi clip maker

    shots = work / "shots"
    shots.mkdir(parents=True, exist_ok=True)
    first = shots / "s0000.mp4"
    if not first.exists():
        make_clip(first, color="red", size=(320, 180), fps=24, duration=2, tone=440)
    for n in range(1, clips):
        copy = shots / f"s{n:04d}.mp4"
        if not copy.exists():
            os.link(first, copy)  # own name, own probe and fingerprint; no disk
    music = work / "music.wav"
    if not music.exists():
        from media_tools import run_ffmpeg
        run_ffmpeg("-f", "lavfi", "-i", "sine=f=220:d=20", "-ar", "48000", str(music))


def write_edl(work: Path, clips: int) -> Path:
    video: list[dict] = []
    cues = []
    at = 0.0
    for n in range(clips):
        if n and n % 50 == 0:
            video.append({"title": f"Part {n // 50}", "duration": 1})
            at += 1
        video.append({"clip": f"shots/s{n:04d}.mp4", "in": 0.2, "out": 1.2, "role": "dialogue"})
        cues.append(f"{len(cues) + 1}\n{_srt(at + 0.1)} --> {_srt(at + 0.8)}\nline {n}\n")
        at += 1
        if n % 4 == 3 and n + 1 < clips:
            video.append({"transition": "dissolve", "duration": 0.25})
            at -= 0.25
    (work / f"subs{clips}.srt").write_text("\n".join(cues), encoding="utf-8")
    edl = {"version": 1, "name": f"{clips} clips", "output": {"size": "1280x720", "fps": 24},
           "audio": [{"file": "music.wav", "role": "music", "loop": True, "volume": -12,
                      "duck": {"under": "dialogue"}}],
           "subtitles": {"file": f"subs{clips}.srt", "burn": True},
           "video": video}
    path = work / f"episode{clips}.yaml"
    path.write_text(json.dumps(edl, indent=1), encoding="utf-8")
    return path


def _srt(seconds: float) -> str:
    ms = round(seconds * 1000)
    return f"{ms // 3600000:02d}:{ms // 60000 % 60:02d}:{ms // 1000 % 60:02d},{ms % 1000:03d}"


def measure(path: Path, cache: Path, repeat: int) -> dict[str, float]:
    import assembler
    from assembler.render import plan, resolve_ffmpeg
    from assembler.run.cache import Cache
    from assembler.run.soundtrack import sound_key

    ff = resolve_ffmpeg(None)
    best = {"load": 1e9, "check": 1e9, "plan": 1e9}
    for n in range(repeat + 1):  # the first pass fills the remembered probes and fingerprints
        store = Cache(cache)  # as a render opens it: what one instance remembers starts empty
        t0 = time.perf_counter()
        assembler.load(path)
        t1 = time.perf_counter()
        timeline = assembler.check(path, prober=store.probe, measurer=store.audible)
        t2 = time.perf_counter()
        planned = plan(timeline, store, ff, subtitles=cache / "subtitles")
        sound_key(store, ff, timeline)
        t3 = time.perf_counter()
        if n:
            best = {"load": min(best["load"], t1 - t0), "check": min(best["check"], t2 - t1),
                    "plan": min(best["plan"], t3 - t2)}
    best["segments"] = len(planned)
    return best


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--clips", type=int, default=1000)
    ap.add_argument("--repeat", type=int, default=3, help="timed passes after the warm-up; the best is kept")
    ap.add_argument("--work", type=Path, default=None)
    ap.add_argument("--results", type=Path, default=None, help="append a section to this RESULTS.md")
    args = ap.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="plan-speed-"))
    make_media(work, args.clips)
    rows = []
    for clips in (args.clips // 4, args.clips // 2, args.clips):
        path = write_edl(work, clips)
        cache = work / f"cache{clips}"
        shutil.rmtree(cache, ignore_errors=True)
        # each size in its own process: no module state or warm Python caches carried over
        code = (f"import sys, json; sys.path.insert(0, {str(REPO / 'bench')!r}); import plan_speed; "
                f"print(json.dumps(plan_speed.measure(__import__('pathlib').Path({str(path)!r}), "
                f"__import__('pathlib').Path({str(cache)!r}), {args.repeat})))")
        done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
        if done.returncode:
            print(done.stderr, file=sys.stderr)
            return 1
        got = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append((clips, got))
        print(f"{clips:5d} clips, {got['segments']} segments: load {got['load']:.3f} s, check {got['check']:.3f} s "
              f"(incl. load), plan + keys {got['plan']:.3f} s; check + plan {got['check'] + got['plan']:.3f} s",
              flush=True)
    (small, a), (_, b), (big, c) = rows
    total = c["check"] + c["plan"]
    growth = total / (a["check"] + a["plan"])
    cpu = _processor()
    summary = (f"check + plan of {big} clips: {total:.2f} s (target < 1 s); {growth:.1f}x the time of "
               f"{small} clips for {big // small}x the clips (linear: {big // small}x)")
    print(summary)
    if args.results:
        with args.results.open("a", encoding="utf-8") as f:
            f.write(f"\n## Checking and planning a long EDL ({time.strftime('%Y-%m-%d')}, {cpu}, "
                    f"{os.cpu_count()} cores)\n\n`bench/plan_speed.py --clips {args.clips}`: best of {args.repeat} "
                    "after a warm-up; probes and fingerprints from the warm cache; nothing encoded.\n\n"
                    "| clips | segments | load | check (incl. load) | plan + keys | check + plan |\n|---|---|---|---|---|---|\n")
            for clips, got in rows:
                f.write(f"| {clips} | {got['segments']} | {got['load']:.3f} s | {got['check']:.3f} s | "
                        f"{got['plan']:.3f} s | {got['check'] + got['plan']:.3f} s |\n")
            f.write(f"\n{summary}.\n")
    return 0


def _processor() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


if __name__ == "__main__":
    sys.exit(main())
