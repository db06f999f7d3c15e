#!/usr/bin/env python3
"""Time `assembler render` against one hand-written ffmpeg command on the shared episode.

    .venv/bin/python bench/run.py [-n 3] [--repeat R] [--work DIR] [--results bench/RESULTS.md]
                                  [--with music] [--with subs] [--hand-only]

One run: makes the media (shared/bench/make_media.sh, skipped when WORK/media is complete),
writes WORK/episode<N>.yaml (the EDL) and WORK/hand<N>.sh + .graph (the same episode as one
ffmpeg graph), renders both once as a warm-up and verifies them with PyAV, then times them
A B A B (-n pairs) and prints median wall, CPU, peak RSS and the ratio ours / hand-written.
N = 14 * R shots; each shot 1 s .. 5 s, contain into 1280x720 30 fps on black, 0.5 s
dissolve (picture + sound) between every pair, x264 veryfast crf 23 + AAC 192k stereo 48k.

The scenario's music bed and burned subtitles are left out of BOTH contenders by default
(assembler does not support them yet); `--with music` / `--with subs` put them in both.
Both use the imageio-ffmpeg binary (ours through ASSEMBLER_FFMPEG). shared/ is found at
../shared next to the repo, or at $ASSEMBLER_SHARED.
"""
from __future__ import annotations

import argparse
import datetime
import importlib.util
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
from ruamel.yaml import YAML

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
SHARED = Path(os.environ.get("ASSEMBLER_SHARED") or HERE.parents[1] / "shared")
TARGET = 1.15                                # ours / hand-written, wall time
N_SHOTS, IN, OUT, XF, FPS = 14, 1, 5, 0.5, 30
MEDIA = [f"shot{i:02d}.mp4" for i in range(1, N_SHOTS + 1)] + ["music.mp3", "subtitles.srt"]
EXTRAS = ("music", "subs")                   # parts of the scenario assembler lacks so far


def load_shared():
    """shared/bench/episode_ffmpeg.py as a module: vnorm, anorm, music_chain, subtitles..."""
    path = SHARED / "bench" / "episode_ffmpeg.py"
    if not path.is_file():
        sys.exit(f"error: {path} not found; set ASSEMBLER_SHARED to the shared/ directory")
    spec = importlib.util.spec_from_file_location("shared_episode_ffmpeg", path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def make_media(media: Path, ff: str) -> None:
    if all((media / f).is_file() for f in MEDIA):
        print(f"media: reusing {media}")
        return
    env = {**os.environ, "FFMPEG": ff, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    print(f"media: making {media} ...", flush=True)
    subprocess.run(["bash", str(SHARED / "bench" / "make_media.sh"), str(media)], env=env, check=True)


def write_edl(path: Path, shots: list[str], extras: set[str]) -> None:
    video: list[dict] = []
    for s in shots:
        if video:
            video.append({"transition": {"type": "dissolve", "duration": XF}})
        video.append({"clip": f"media/{s}", "in": IN, "out": OUT})
    edl: dict = {"version": 1, "name": f"bench: {len(shots)} shots", "output": {
        "size": "1280x720", "fps": FPS, "fit": "contain", "background": "black",
        "loudness": None,                    # no loudness pass: the hand command has none
        "video": {"codec": "libx264", "preset": "veryfast", "crf": 23, "pix_fmt": "yuv420p"},
        "audio": {"codec": "aac", "bitrate": "192k", "rate": 48000, "channels": 2}},
        "video": video}
    if "music" in extras:
        edl["audio"] = [{"file": "media/music.mp3", "role": "music", "volume": -18,
                         "fade_in": 2, "fade_out": 2, "loop": True}]
    if "subs" in extras:
        edl["subtitles"] = {"file": "media/subtitles.srt", "burn": True,
                            "style": {"font": "DejaVu Sans"}}
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = None
    y.sort_base_mapping_type_on_output = False      # keep the contract's field order
    with path.open("w") as f:
        y.dump(edl, f)


def write_hand(ep, ff: str, media: Path, work: Path, shots: list[str], extras: set[str]) -> list[str]:
    """The episode as ONE ffmpeg command, its graph in a file; writes hand<N>.sh too."""
    n, seg, xf = len(shots), Fraction(OUT - IN), Fraction(XF)
    dur = n * seg - (n - 1) * xf
    audio = {s: ep.has_audio(ff, media / s) for s in set(shots)}
    inputs: list[str] = []
    g: list[str] = []
    for i, s in enumerate(shots):
        inputs += ["-ss", ep.dec(Fraction(IN)), "-t", ep.dec(seg), "-i", str(media / s)]
        g.append(ep.vnorm(f"{i}:v:0", f"v{i}", seg))
        g.append(ep.anorm(f"{i}:a:0" if audio[s] else None, f"a{i}", seg))   # else anullsrc
    v, a = "v0", "a0"
    for k in range(1, n):
        g.append(f"[{v}][v{k}]xfade=transition=fade:duration={ep.dec(xf)}"
                 f":offset={ep.dec(k * (seg - xf))}[x{k}]")
        g.append(f"[{a}][a{k}]acrossfade=d={ep.dec(xf)}:c1=tri:c2=tri[ax{k}]")
        v, a = f"x{k}", f"ax{k}"
    if "music" in extras:
        inputs += ep.music_input(media / "music.mp3", Fraction(90), dur)
        g.append(ep.music_chain(n, dur))
        g.append(f"[{a}][mus]amix=inputs=2:duration=first:dropout_transition=0:normalize=0[amix]")
        a = "amix"
    if "subs" in extras:
        g.append(f"[{v}]{ep.subtitles(media / 'subtitles.srt')}[vsub]")
        v = "vsub"
    graph = work / f"hand{n}.graph"
    graph.write_text(";\n".join(g) + "\n")
    argv = ([ff, "-hide_banner", "-nostdin", "-y", "-loglevel", "error"] + inputs
            + ["-/filter_complex", str(graph), "-map", f"[{v}]", "-map", f"[{a}]"]
            + ep.ENCODE_V + ep.ENCODE_A + [str(work / f"hand{n}.mp4")])
    ep.write_script(work / f"hand{n}.sh", [ep.sh(argv)])
    return argv


def assembler_missing() -> str | None:
    """Why `python -m assembler` cannot run with this interpreter from the repo, or None."""
    p = subprocess.run([sys.executable, "-c", "import importlib.util as u, sys; "
                        "sys.exit(0 if u.find_spec('assembler.__main__') else 3)"],
                       cwd=REPO, capture_output=True, text=True)
    if p.returncode == 0:
        return None
    err = p.stderr.strip().splitlines()
    return err[-1] if err else "no module assembler.__main__"


def run_once(label: str, argv: list[str], env: dict, log: Path) -> dict:
    """Like shared harness.py: wall, CPU and peak RSS (largest process) of the whole tree."""
    t0 = time.monotonic()
    with log.open("w") as err:
        p = subprocess.Popen(argv, cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                             stdout=subprocess.DEVNULL, stderr=err, start_new_session=True)
        _, status, ru = os.wait4(p.pid, 0)
    wall = time.monotonic() - t0
    rc = os.waitstatus_to_exitcode(status)
    if rc != 0:
        sys.exit(f"error: {label} exited with status {rc} (log: {log}): {' '.join(argv)[:200]}\n"
                 + "".join(log.read_text().splitlines(True)[-15:]))
    return {"wall": wall, "cpu": ru.ru_utime + ru.ru_stime, "peak": ru.ru_maxrss / 1024}


def busy_cpu() -> float:
    """Non-idle CPU seconds of the whole machine so far (/proc/stat), to spot other load."""
    with open("/proc/stat") as f:
        t = [int(x) for x in f.readline().split()[1:9]]
    return (sum(t) - t[3] - t[4]) / os.sysconf("SC_CLK_TCK")       # minus idle, iowait


def verify(label: str, path: Path, want: float) -> bool:
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
          f"{w}x{h}, {frames} frames (want {round(want * FPS)}), {ainfo}")
    return ok


def med(xs: list[float], nd: int = 2) -> str:
    return f"{statistics.median(xs):.{nd}f} ({min(xs):.{nd}f}-{max(xs):.{nd}f})"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3, help="timed A B pairs (after 1 warm-up)")
    ap.add_argument("--repeat", type=int, default=1, help="repeat the 14 shots R times")
    ap.add_argument("--work", type=Path, help="work dir (default: a new temp dir)")
    ap.add_argument("--results", type=Path, help="append a dated markdown row to this file")
    ap.add_argument("--with", dest="extras", action="append", default=[], choices=EXTRAS,
                    help="add the scenario's music bed / burned subtitles to BOTH contenders")
    ap.add_argument("--hand-only", action="store_true", help="render/time the hand command only")
    a = ap.parse_args()
    extras = set(a.extras)
    ff = imageio_ffmpeg.get_ffmpeg_exe()
    ep = load_shared()
    if not a.hand_only and (why := assembler_missing()):
        sys.exit(f"error: cannot run our half: `{sys.executable} -m assembler` is not importable "
                 f"from {REPO} ({why}).\nInstall the package (pip install -e .) or pass --hand-only.")
    work = (a.work or Path(tempfile.mkdtemp(prefix="assembler-bench."))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"work: {work}\nffmpeg: {ff}\n{os.cpu_count()} cores, python {platform.python_version()}")
    make_media(work / "media", ff)

    shots = MEDIA[:N_SHOTS] * a.repeat
    n = len(shots)
    want = n * (OUT - IN) - (n - 1) * XF
    left_out = [x for x in EXTRAS if x not in extras]
    print(f"scenario: {n} shots, {want} s, 0.5 s dissolves, contain 1280x720@30, x264 veryfast crf 23 + AAC")
    if left_out:
        print(f"NOTE: {' and '.join(left_out)} left out of BOTH contenders (assembler lacks them "
              f"so far): like for like, but lighter than the full scenario (--with music|subs)")
    if extras:
        print(f"NOTE: with {', '.join(sorted(extras))} in both contenders (assembler may reject them)")
    edl = work / f"episode{n}.yaml"
    write_edl(edl, shots, extras)
    contenders = {"hand-written": (write_hand(ep, ff, work / "media", work, shots, extras), dict(os.environ))}
    if not a.hand_only:
        contenders = {"assembler": ([sys.executable, "-m", "assembler", "render", str(edl), "--no-cache", "-o",
                                     str(work / f"ours{n}.mp4")], {**os.environ, "ASSEMBLER_FFMPEG": ff}),
                      **contenders}
    outs = {"assembler": work / f"ours{n}.mp4", "hand-written": work / f"hand{n}.mp4"}
    print(f"EDL: {edl}\nhand-written: {work / f'hand{n}.sh'}")

    for out in outs.values():
        out.unlink(missing_ok=True)          # never verify a stale output
    print("warm-up render + verify:", flush=True)
    for label, (argv, env) in contenders.items():
        r = run_once(label, argv, env, work / f"{label}.log")
        print(f"  {label}: {r['wall']:.2f} s (not counted)", flush=True)
    if not all([verify(label, outs[label], want) for label in contenders]):
        sys.exit("error: an output failed verification; not timing")

    res: dict[str, list[dict]] = {label: [] for label in contenders}
    busy0 = busy_cpu()
    for i in range(a.n):
        for label, (argv, env) in contenders.items():
            res[label].append(run_once(label, argv, env, work / f"{label}.log"))
        print(f"  pair {i + 1}/{a.n}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s" for k, v in res.items()),
              flush=True)
    print(f"results, {a.n} runs each, median (min-max):")
    for label, rs in res.items():
        print(f"  {label:<12}: wall {med([r['wall'] for r in rs])} s | cpu {med([r['cpu'] for r in rs])} s"
              f" | peak RSS {med([r['peak'] for r in rs], 0)} MiB")
    ratio = None
    if "assembler" in res:
        ratios = [o["wall"] / h["wall"] for o, h in zip(res["assembler"], res["hand-written"])]
        ratio = statistics.median(ratios)
        verdict = "OK" if ratio <= TARGET else "MISSED"
        print(f"  ours / hand-written wall (per pair): {med(ratios, 3)}x | target <= {TARGET}x: {verdict}")
        cpu = statistics.median(r["cpu"] for r in res["assembler"]) / statistics.median(
            r["cpu"] for r in res["hand-written"])
        print(f"  ours / hand-written cpu (medians): {cpu:.3f}x (steadier than wall on a busy machine)")
    foreign = max(0.0, busy_cpu() - busy0 - sum(r["cpu"] for rs in res.values() for r in rs))
    share = foreign / (sum(r["wall"] for rs in res.values() for r in rs) * (os.cpu_count() or 1))
    print(f"{'WARNING: ' if share > 0.1 else ''}other processes used {foreign:.0f} CPU-s "
          f"({share:.0%} of the machine) while timing{'; wall times are noisy' if share > 0.1 else ''}")
    if a.results:
        write_row(a.results, n, extras, a.n, res, ratio, share)
    return 0


def write_row(path: Path, n: int, extras: set[str], runs: int, res: dict, ratio: float | None,
              share: float) -> None:
    def cell(label: str, key: str, nd: int) -> str:
        rs = res.get(label)
        return f"{statistics.median(r[key] for r in rs):.{nd}f}" if rs else "-"
    if not path.exists() or path.stat().st_size == 0:
        path.write_text("| date | cores | shots | extras | runs | hand s | hand MiB | ours s | ours MiB"
                        " | ours/hand | target | other load |\n" + "|---" * 12 + "|\n")
    row = [datetime.date.today().isoformat(), str(os.cpu_count()), str(n),
           "+".join(sorted(extras)) or "none", str(runs), cell("hand-written", "wall", 2),
           cell("hand-written", "peak", 0), cell("assembler", "wall", 2), cell("assembler", "peak", 0),
           f"{ratio:.3f}x" if ratio is not None else "-", f"{TARGET}x", f"{share:.0%}"]
    with path.open("a") as f:
        f.write("| " + " | ".join(row) + " |\n")
    print(f"row appended to {path}")


if __name__ == "__main__":
    sys.exit(main())
