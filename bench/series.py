#!/usr/bin/env python3
"""Benchmark series work (issue 13's speed targets) on the bench scenario's media.

    .venv/bin/python bench/series.py [--work bench/work] [-n 2] [--results bench/RESULTS.md]
                                     [--skip deliverables|season|repick]

1. deliverables: the 14-shot episode's master (1280x720) alone vs master + vertical
   (720x1280, cover) + review (640x360, preset ultrafast) in one run, both without a cache,
   A B A B (-n pairs); target: at most 1.9x, the sound made once (the receipts say).
2. season: ten episodes of 4 shots each that extend one series file with a 10 s intro and
   outro. The episodes' own work is the intro and outro rendered once plus each episode
   rendered on a cache that already holds them; the season is all ten in one run, from no
   cache. Target: at most 1.05x; the intro's and outro's segments rendered once.
3. repick: the episode as 14 shot slots of two takes each, three deliverables; a full
   render vs the same after one slot's pick changed (cache warm); target: under 25 %.

Uses the media bench/run.py makes (WORK/media; made here the same way when missing), the
imageio-ffmpeg binary, and this checkout's assembler (`python -m assembler`).
"""
from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

import imageio_ffmpeg

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure import Load, med, run_once  # noqa: E402
from run import IN, MEDIA, N_SHOTS, OUT, XF, make_media  # noqa: E402

HERE = Path(__file__).resolve().parent
DELIVERABLES_TARGET, SEASON_TARGET, REPICK_TARGET = 1.9, 1.05, 0.25
OUTPUT = {"size": "1280x720", "fps": 30, "fit": "contain", "background": "black",
          "video": {"codec": "libx264", "preset": "veryfast", "crf": 23, "pix_fmt": "yuv420p"},
          "audio": {"codec": "aac", "bitrate": "192k", "rate": 48000, "channels": 2}}
THREE = [{"name": "master"}, {"name": "vertical", "size": "720x1280", "fit": "cover"},
         {"name": "review", "size": "640x360", "preset": "ultrafast"}]
EPISODES, SHOTS_PER_EPISODE, BOOKEND = 10, 4, 10  # the season: episodes, shots each, intro/outro seconds


def dump(path: Path, edl: dict) -> Path:
    path.write_text(json.dumps(edl, indent=1))  # JSON is YAML
    return path


def main_track(shots: list[str], prefix: str = "media/") -> list[dict]:
    video: list[dict] = []
    for s in shots:
        if video:
            video.append({"transition": {"type": "dissolve", "duration": XF}})
        video.append({"clip": f"{prefix}{s}", "in": IN, "out": OUT})
    return video


def ours(*args: str) -> list[str]:
    return [sys.executable, "-m", "assembler", "render", *args, "-q"]


def receipts(paths: list[Path]) -> list[dict]:
    return [json.loads(p.with_name(p.stem + ".receipt.json").read_text()) for p in paths]


def deliverables(work: Path, env: dict, n: int) -> list[dict]:
    shots = MEDIA[:N_SHOTS]
    alone = dump(work / "series-master.yaml", {"version": 1, "output": OUTPUT, "video": main_track(shots)})
    three = dump(work / "series-three.yaml", {"version": 1, "output": OUTPUT, "video": main_track(shots),
                                              "deliverables": THREE})
    load, a, b = Load(), [], []
    for k in range(n):
        a.append(run_once("master alone", ours(str(alone), "-o", str(work / "out" / "alone.mp4"), "--no-cache"),
                          env, work / "series-a.log"))
        b.append(run_once("three", ours(str(three), "-o", str(work / "out" / "three.mp4"), "--no-cache"),
                          env, work / "series-b.log"))
        load.add(a[-1], b[-1])
        print(f"  pair {k + 1}: master {a[-1]['wall']:.2f} s, three {b[-1]['wall']:.2f} s", flush=True)
    load.done("the deliverables pairs")
    made = receipts([work / "out" / f"three.{d['name']}.mp4" for d in THREE])
    sounds = sum(r["sound"]["rendered_now"] for r in made)
    ratio = statistics.median(r["wall"] for r in b) / statistics.median(r["wall"] for r in a)
    cpu = statistics.median(r["cpu"] for r in b) / statistics.median(r["cpu"] for r in a)
    print(f"  three deliverables / master alone: {ratio:.2f}x wall, {cpu:.2f}x CPU; sound made {sounds} time(s)")
    return [{"measure": "master + vertical + review / master alone (wall)", "ours": med([r["wall"] for r in b]),
             "ref": med([r["wall"] for r in a]), "ratio": f"{ratio:.2f}x", "target": f"<= {DELIVERABLES_TARGET}x",
             "verdict": "OK" if ratio <= DELIVERABLES_TARGET and sounds == 1 else "MISSED"},
            {"measure": "the same, CPU seconds", "ours": med([r["cpu"] for r in b]), "ref": med([r["cpu"] for r in a]),
             "ratio": f"{cpu:.2f}x", "target": "", "verdict": ""},
            {"measure": "sounds made for the three", "ours": str(sounds), "ref": "", "ratio": "", "target": "1",
             "verdict": "OK" if sounds == 1 else "MISSED"}]


def season(work: Path, env: dict, ff: str) -> list[dict]:
    folder = work / "season"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    (folder / "media").symlink_to(work / "media")
    for name, src in (("intro.mp4", "testsrc2"), ("outro.mp4", "smptebars")):
        subprocess.run([ff, "-v", "error", "-y", "-f", "lavfi", "-i", f"{src}=s=1280x720:r=30:d={BOOKEND}", "-f",
                        "lavfi", "-i", f"sine=f=330:d={BOOKEND}", "-c:v", "libx264", "-preset", "veryfast",
                        "-c:a", "aac", "-shortest", str(folder / name)], check=True)
    dump(folder / "series.yaml", {"version": 1, "output": OUTPUT,
                                  "intro": [{"clip": "intro.mp4"}, {"transition": {"type": "dissolve", "duration": XF}}],
                                  "outro": [{"transition": {"type": "dissolve", "duration": XF}}, {"clip": "outro.mp4"}]})
    shots = MEDIA[:N_SHOTS]
    edls = []
    for e in range(EPISODES):
        mine = [shots[(e * 3 + k) % len(shots)] for k in range(SHOTS_PER_EPISODE)]
        video = main_track(mine)
        video[0]["in"] = IN + e / 8  # each episode its own cut of its first shot: no two episodes alike
        edls.append(dump(folder / f"ep{e + 1:02d}.yaml", {"version": 1, "extends": "series.yaml", "video": video}))
    bookends = dump(folder / "bookends.yaml", {"version": 1, "extends": "series.yaml",
                                               "video": [{"color": "black", "duration": 1}]})
    load = Load()
    own = [run_once("intro and outro", ours(str(bookends), "-o", str(folder / "out-own" / "bookends.mp4"),
                                            "--cache", str(folder / "cache-own")), env, folder / "own.log")]
    for edl in edls:
        own.append(run_once(edl.stem, ours(str(edl), "-o", str(folder / "out-own" / f"{edl.stem}.mp4"),
                                           "--cache", str(folder / "cache-own")), env, folder / "own.log"))
    whole = run_once("season", ours(*map(str, edls), "-o", str(folder / "out"), "--cache", str(folder / "cache")),
                     env, folder / "season.log")
    load.add(*own, whole)
    load.done("the season")
    summed = sum(r["wall"] for r in own)
    made = receipts([folder / "out" / f"{e.stem}.mp4" for e in edls])
    # The intro's segments: those of the first episode's receipt that every other receipt has too.
    shared = set.intersection(*({s["key"] for s in r["segments"]} for r in made))
    rendered = sum(s["rendered_now"] for r in made for s in r["segments"] if s["key"] in shared)
    ratio = whole["wall"] / summed
    print(f"  season {whole['wall']:.2f} s, the episodes' own work {summed:.2f} s: {ratio:.2f}x; "
          f"{len(shared)} shared segments, rendered {rendered} time(s) in all")
    return [{"measure": f"season of {EPISODES} in one run / their own work (wall)", "ours": f"{whole['wall']:.2f}",
             "ref": f"{summed:.2f}", "ratio": f"{ratio:.2f}x", "target": f"<= {SEASON_TARGET}x",
             "verdict": "OK" if ratio <= SEASON_TARGET else "MISSED"},
            {"measure": "intro and outro segments rendered (each once)", "ours": str(rendered), "ref": str(len(shared)),
             "ratio": "", "target": "= ref", "verdict": "OK" if rendered == len(shared) else "MISSED"}]


def repick(work: Path, env: dict) -> list[dict]:
    shots = MEDIA[:N_SHOTS]
    video: list[dict] = []
    for k, s in enumerate(shots):
        if video:
            video.append({"transition": {"type": "dissolve", "duration": XF}})
        other = shots[(k + 7) % len(shots)]
        video.append({"shot": f"s{k + 1:02d}", "takes": {"a": f"media/{s}", "b": f"media/{other}"},
                      "in": IN, "length": OUT - IN, "fit_length": "trim"})
    edl = {"version": 1, "output": OUTPUT, "video": video, "deliverables": THREE}
    path = dump(work / "series-repick.yaml", edl)
    cache, out = work / "series-repick-cache", work / "out" / "repick.mp4"
    shutil.rmtree(cache, ignore_errors=True)
    load = Load()
    full = run_once("full", ours(str(path), "-o", str(out), "--cache", str(cache)), env, work / "repick.log")
    again = run_once("one pick", ours(str(path), "-o", str(out), "--cache", str(cache), "--pick", "s07=b"), env,
                     work / "repick.log")
    load.add(full, again)
    load.done("the re-pick")
    made = receipts([out.with_name(f"repick.{d['name']}.mp4") for d in THREE])
    counts = [f"{sum(s['rendered_now'] for s in r['segments'])}/{len(r['segments'])}" for r in made]
    ratio = again["wall"] / full["wall"]
    print(f"  full {full['wall']:.2f} s, one pick changed {again['wall']:.2f} s: {ratio:.0%}; "
          f"segments rendered per deliverable: {', '.join(counts)}")
    return [{"measure": "one slot re-picked, 3 deliverables / full render (wall)", "ours": f"{again['wall']:.2f}",
             "ref": f"{full['wall']:.2f}", "ratio": f"{ratio:.0%}", "target": f"< {REPICK_TARGET:.0%}",
             "verdict": "OK" if ratio < REPICK_TARGET else "MISSED"},
            {"measure": "segments rendered after the re-pick (per deliverable)", "ours": ", ".join(counts),
             "ref": "", "ratio": "", "target": "", "verdict": ""}]


def table(rows: list[dict]) -> str:
    keys = ("measure", "ours", "ref", "ratio", "target", "verdict")
    lines = ["| " + " | ".join(keys) + " |", "|" + "---|" * len(keys)]
    lines += ["| " + " | ".join(str(r[k]) for k in keys) + " |" for r in rows]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=HERE / "work")
    ap.add_argument("-n", type=int, default=2, help="pairs of the deliverables comparison")
    ap.add_argument("--results", type=Path, help="append the table to this markdown file")
    ap.add_argument("--skip", action="append", default=[], choices=("deliverables", "season", "repick"))
    a = ap.parse_args()
    work = a.work.resolve()
    (work / "out").mkdir(parents=True, exist_ok=True)
    ff = imageio_ffmpeg.get_ffmpeg_exe()
    make_media(work / "media", ff)
    env = {**os.environ, "ASSEMBLER_FFMPEG": ff}
    rows: list[dict] = []
    for name, step in (("deliverables", lambda: deliverables(work, env, a.n)), ("season", lambda: season(work, env, ff)),
                       ("repick", lambda: repick(work, env))):
        if name not in a.skip:
            print(f"{name}:", flush=True)
            rows += step()
    text = table(rows)
    print(text)
    if a.results:
        stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
        with a.results.open("a") as f:
            f.write(f"\n## Series work ({stamp}, {platform.machine()}, {os.cpu_count()} cores)\n\n"
                    f"`bench/series.py -n {a.n}`\n\n{text}\n")
    return 0 if all(r["verdict"] != "MISSED" for r in rows) else 1


if __name__ == "__main__":
    sys.exit(main())
