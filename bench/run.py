#!/usr/bin/env python3
"""Benchmark `assembler render` on the shared episode (see bench/README.md).

Against one hand-written ffmpeg command and moviepy, and against itself: a warm cache,
-j 1 / -j 2, 14 vs 56 shots.

    .venv/bin/python bench/run.py [-n 3] [--repeat R] [--work DIR] [--results bench/RESULTS.md]
                                  [--moviepy] [--moviepy-venv DIR] [--scale R2] [--skip SECTION]
                                  [--with music|subs|vo|loudness] [--sound] [--hand-only]

One run, one machine, ratios (see bench/README.md): makes the media (shared/bench/
make_media.sh, skipped when WORK/media is complete), writes WORK/episode<N>.yaml (the EDL)
and WORK/hand<N>.sh + .graph (the same episode as one ffmpeg graph), then
  1. full render without the cache vs the hand-written command, A B A B (-n pairs);
  5. -j 1 vs -j 2, full renders without the cache, A B A B;        (--skip jobs)
  3. a no-op re-render against a warm cache (WORK/cache), as % of 1;  (--skip cache)
  4. one middle shot's in-point moved (same length), as % of 1;
  6. summed PSS of the whole process tree, 14 vs 14*R2 shots, ours and hand (--skip memory);
  2. with --moviepy, moviepy 2.2.1 (its own venv, WORK/moviepy-venv) once: how much faster we are.
N = 14 * R shots; each shot 1 s .. 5 s (its k-th repeat k/8 s later), contain into 1280x720 30 fps on black, 0.5 s
dissolve (picture + sound) between every pair, x264 veryfast crf 23 + AAC 192k stereo 48k.
Prints a summary table (markdown) at the end; --results appends it as a dated section.

The scenario's music bed and burned subtitles are left out of every contender by default;
`--with music` / `--with subs` put them in ours and the hand command; with both, moviepy runs
the full shared scenario (shared/bench/episode_moviepy.py) instead of the lighter one.
Beyond the shared scenario: `--with vo` adds the voice-over (vo.wav, role dialogue, from 3 s;
with music, the bed ducks under it) and `--with loudness` a -16 LUFS target (ours: the EDL's
output.loudness; the hand command: a loudnorm measuring pass, then the render with that gain).
`--sound` = music + vo + loudness; with vo or loudness the full-render target is 1.15x.
All use the imageio-ffmpeg binary (ours through ASSEMBLER_FFMPEG). shared/ is found at
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
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path

import imageio_ffmpeg
from ruamel.yaml import YAML

import sections
from measure import REPO, Load, loudness, med, median, run_once, sound_difference, streams, verify
from sections import receipt, row, timings

HERE = Path(__file__).resolve().parent
SHARED = Path(os.environ.get("ASSEMBLER_SHARED") or HERE.parents[1] / "shared")
TARGET = 1.10                                # ours / hand-written, wall time, full render
SOUND_TARGET = 1.15                          # the same, with a voice-over or a loudness target
N_SHOTS, IN, OUT, XF, FPS = 14, 1, 5, 0.5, 30
SHIFT = Fraction(1, 8)   # repeat k of the 14 shots is cut (k % 8) * SHIFT s later, same length:
# assembler renders a segment shown twice once, so 4 identical repeats would time 14 shots
MEDIA = [f"shot{i:02d}.mp4" for i in range(1, N_SHOTS + 1)] + ["music.mp3", "subtitles.srt", "vo.wav"]
SYSTEM_FONTS = "/usr/share/fonts/truetype/dejavu"  # what shared/bench/episode_ffmpeg.py uses
EXTRAS = ("music", "subs", "vo", "loudness")  # off by default: like for like, but lighter
SOUND = ("music", "vo", "loudness")          # --sound
VO_START = 3                                 # s on the timeline; vo.wav is 20 s long
VO_LENGTH = 20
DUCK = {"under": "dialogue", "amount": -10, "attack": 0.2, "release": 0.8}   # the bed, under the VO
LUFS = -16                                   # --with loudness: integrated target
LIMIT_AT = -1.5                              # dBTP: a limiter only if the gain pushes peaks past this
LUFS_TOLERANCE = 0.5                         # LU: both outputs, measured by ebur128
SAME_MIX_DB = -30                            # ours - hand, worst 1 s, below ours' level: "the same mix"
SECTIONS = ("jobs", "cache", "memory")       # what --skip can leave out


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


def cuts(repeat: int) -> list[tuple[str, Fraction]]:
    """(shot, in-point) of every shot: 14 x repeat, each a distinct cut (see SHIFT)."""
    return [(s, IN + (k % 8) * SHIFT) for k in range(repeat) for s in MEDIA[:N_SHOTS]]


def write_edl(path: Path, shots: list[tuple[str, Fraction]], extras: set[str]) -> None:
    video: list[dict] = []
    for s, start in shots:
        if video:
            video.append({"transition": {"type": "dissolve", "duration": XF}})
        video.append({"clip": f"media/{s}", "in": float(start), "out": float(start + OUT - IN)})
    edl: dict = {"version": 1, "name": f"bench: {len(shots)} shots", "output": {
        "size": "1280x720", "fps": FPS, "fit": "contain", "background": "black",
        "loudness": LUFS if "loudness" in extras else None,     # the hand command does the same 2 passes
        "video": {"codec": "libx264", "preset": "veryfast", "crf": 23, "pix_fmt": "yuv420p"},
        "audio": {"codec": "aac", "bitrate": "192k", "rate": 48000, "channels": 2}},
        "video": video}
    audio: list[dict] = []
    if "music" in extras:
        audio.append({"file": "media/music.mp3", "role": "music", "volume": -18,
                      "fade_in": 2, "fade_out": 2, "loop": True})
        if "vo" in extras:
            audio[-1]["duck"] = DUCK
    if "vo" in extras:
        audio.append({"file": "media/vo.wav", "role": "dialogue", "start": VO_START})
    if audio:
        edl["audio"] = audio
    if "subs" in extras:
        # As the hand command draws them: DejaVu Sans from the system's folder, 40 px at 720p.
        edl["subtitles"] = {"file": "media/subtitles.srt", "burn": True, "fonts_dir": SYSTEM_FONTS,
                            "style": {"font": "DejaVu Sans", "size": 60}}
    y = YAML(typ="safe", pure=True)
    y.default_flow_style = None
    y.sort_base_mapping_type_on_output = False      # keep the contract's field order
    with path.open("w") as f:
        y.dump(edl, f)


def duck_volume() -> str:
    """The bed ducked under the voice-over as a volume envelope over the dialogue's known span
    (the VO item: VO_START .. VO_START + VO_LENGTH on the timeline), like the EDL's `duck`:
    down by `amount` dB over `attack` from the span's start, back over `release` after its end."""
    a, b = VO_START, VO_START + VO_LENGTH
    up = (f"if(lt(t,{a}),0,if(lt(t,{b}),min(1,(t-{a})/{DUCK['attack']}),"
          f"max(0,1-(t-{b})/{DUCK['release']})))")
    return f"volume='pow(10,{DUCK['amount']}*{up}/20)':eval=frame"


def write_hand(ep, ff: str, media: Path, work: Path, shots: list[tuple[str, Fraction]],
               extras: set[str]) -> tuple[list[str], list[str] | None]:
    """The episode as ONE ffmpeg command, its graph in a file; writes hand<N>.sh too.

    With loudness, hand<N>.sh is two passes, as an expert would run them: the same sound
    graph alone (-vn: no picture decoded) through `loudnorm=print_format=json`, then the
    render with the measured gain (and alimiter only if needed) appended to the graph.
    Returns what to time (the command, or bash hand<N>.sh) and the measuring pass alone."""
    n, seg, xf = len(shots), Fraction(OUT - IN), Fraction(XF)
    dur = n * seg - (n - 1) * xf
    audio = {s: ep.has_audio(ff, media / s) for s, _ in set(shots)}
    inputs: list[str] = []
    sound_inputs: list[str] = []            # the same, picture left out (the measuring pass)
    g: list[str] = []                       # the whole graph
    ga: list[str] = []                      # its sound part alone
    for i, (s, start) in enumerate(shots):
        trim = ["-ss", ep.dec(start), "-t", ep.dec(seg)]
        inputs += trim + ["-i", str(media / s)]
        sound_inputs += trim + ["-vn", "-i", str(media / s)]
        g.append(ep.vnorm(f"{i}:v:0", f"v{i}", seg))
        ga.append(ep.anorm(f"{i}:a:0" if audio[s] else None, f"a{i}", seg))   # else anullsrc
        g.append(ga[-1])
    v, a = "v0", "a0"
    for k in range(1, n):
        g.append(f"[{v}][v{k}]xfade=transition=fade:duration={ep.dec(xf)}"
                 f":offset={ep.dec(k * (seg - xf))}[x{k}]")
        ga.append(f"[{a}][a{k}]acrossfade=d={ep.dec(xf)}:c1=tri:c2=tri[ax{k}]")
        g.append(ga[-1])
        v, a = f"x{k}", f"ax{k}"
    more: list[str] = []                    # inputs after the shots: music, voice-over
    mix, mixing = [a], len(ga)              # ga[mixing:]: the sound's lines after the shots'
    if "music" in extras:
        more += ep.music_input(media / "music.mp3", Fraction(90), dur)
        ga.append(ep.music_chain(n, dur))
        mix.append("mus")
        if "vo" in extras:
            ga.append(f"[mus]{duck_volume()}[bed]")
            mix[-1] = "bed"
    if "vo" in extras:
        vo = n + more.count("-i")
        more += ["-i", str(media / "vo.wav")]
        # 5 ms fades at its edges, like assembler's at every sound's start and end: vo.wav's last
        # burst is cut mid-way, and AAC rings at a hard onset (-3.9 instead of -7.0 dBTP here)
        ga.append(f"[{vo}:a:0]aresample=48000,aformat=sample_fmts=fltp:sample_rates=48000:channel_layouts=stereo,"
                  f"afade=t=in:d=0.005,afade=t=out:st={VO_LENGTH - 0.005:g}:d=0.005,"
                  f"adelay=delays={VO_START * 1000}:all=1[vo]")
        mix.append("vo")
    if len(mix) > 1:
        ga.append("".join(f"[{x}]" for x in mix)
                  + f"amix=inputs={len(mix)}:duration=first:dropout_transition=0:normalize=0[amix]")
        a = "amix"
    g += ga[mixing:]
    if "subs" in extras:
        g.append(f"[{v}]{ep.subtitles(media / 'subtitles.srt')}[vsub]")
        v = "vsub"
    head = [ff, "-hide_banner", "-nostdin", "-y", "-loglevel", "error"]
    graph, out, script = work / f"hand{n}.graph", work / f"hand{n}.mp4", work / f"hand{n}.sh"
    graph.write_text(";\n".join(g) + (";\n" if "loudness" in extras else "\n"))   # + the level, in pass 2
    if "loudness" not in extras:
        argv = (head + inputs + more + ["-/filter_complex", str(graph), "-map", f"[{v}]", "-map", f"[{a}]"]
                + ep.ENCODE_V + ep.ENCODE_A + [str(out)])
        ep.write_script(script, [ep.sh(argv)])
        return argv, None
    measure_graph, level_graph = work / f"hand{n}.measure.graph", work / f"hand{n}.level.graph"
    measure_graph.write_text(";\n".join(ga + [f"[{a}]loudnorm=I={LUFS}:TP=-1:LRA=11:print_format=json[aout]"]) + "\n")
    measure = ([ff, "-hide_banner", "-nostdin", "-nostats", "-loglevel", "info"] + sound_inputs + more
               + ["-/filter_complex", str(measure_graph), "-map", "[aout]", "-f", "null", "-"])
    render = (head + inputs + more + ["-/filter_complex", str(level_graph), "-map", f"[{v}]", "-map", "[aout]"]
              + ep.ENCODE_V + ep.ENCODE_A + [str(out)])
    limiter = (f"aresample=192000,alimiter=limit={10 ** (LIMIT_AT / 20):.5f}:attack=1:release=50:level=0:latency=1,"
               "aresample=48000")
    value = r's/^[[:space:]]*"{}" : "\([^"]*\)".*/\1/p'      # sed: one value of loudnorm's JSON
    ep.write_script(script, [
        "# pass 1: the mixed sound alone (-vn: no picture decoded), measured by loudnorm",
        f"report=$({ep.sh(measure)} 2>&1 >/dev/null)",
        f"input_i=$(sed -n {ep.sh([value.format('input_i')])} <<<\"$report\")",
        f"input_tp=$(sed -n {ep.sh([value.format('input_tp')])} <<<\"$report\")",
        '[[ -n $input_i && -n $input_tp ]] || { echo "pass 1 printed no loudness measurement" >&2; exit 1; }',
        f"# pass 2: a plain gain to {LUFS} LUFS; a 4x-oversampled limiter only if that gain would lift",
        f"# the true peak past {LIMIT_AT} dBTP (like assembler, and the EDL contract's -1 dBTP)",
        f"level=$(awk -v i=\"$input_i\" -v tp=\"$input_tp\" 'BEGIN {{ g = {LUFS} - i; printf \"volume=%.2fdB\", g;"
        f" if (tp + g > {LIMIT_AT}) printf \",{limiter}\" }}')",
        f"{{ cat {ep.sh([str(graph)])}; printf '[{a}]%s[aout]\\n' \"$level\"; }} > {ep.sh([str(level_graph)])}",
        ep.sh(render)])
    return ["bash", str(script)], measure


def assembler_missing() -> str | None:
    """Why `python -m assembler` cannot run with this interpreter from the repo, or None."""
    p = subprocess.run([sys.executable, "-c", "import importlib.util as u, sys; "
                        "sys.exit(0 if u.find_spec('assembler.__main__') else 3)"],
                       cwd=REPO, capture_output=True, text=True)
    if p.returncode == 0:
        return None
    err = p.stderr.strip().splitlines()
    return err[-1] if err else "no module assembler.__main__"


@dataclass(frozen=True)
class Scenario:
    n: int                  # shots
    want: float             # seconds
    edl: Path
    hand: list[str]         # the hand-written command (with loudness: bash hand<N>.sh, two passes)
    hand_out: Path
    hand_measure: list[str] | None = None     # with loudness: its measuring pass alone


@dataclass
class Bench:
    """What every section needs: where, which ffmpeg, how to run ours, the scenarios."""
    work: Path
    ff: str
    ep: object              # shared episode_ffmpeg.py
    extras: set[str]
    repeat: int
    env: dict               # ours: ASSEMBLER_FFMPEG set
    hand_env: dict
    made: dict

    def scenario(self, repeat: int) -> Scenario:
        """WORK/episode<N>.yaml and WORK/hand<N>.sh for 14 x repeat shots (written once)."""
        if repeat not in self.made:
            shots = cuts(repeat)
            n = len(shots)
            edl = self.work / f"episode{n}.yaml"
            write_edl(edl, shots, self.extras)
            hand, measure = write_hand(self.ep, self.ff, self.work / "media", self.work, shots, self.extras)
            self.made[repeat] = Scenario(n, n * (OUT - IN) - (n - 1) * XF, edl, hand, self.work / f"hand{n}.mp4",
                                         measure)
        return self.made[repeat]

    def ours(self, edl: Path, out: Path, *flags: str) -> list[str]:
        return [sys.executable, "-m", "assembler", "render", str(edl), *flags, "-o", str(out)]


def full_vs_hand(b: Bench, n_runs: int, hand_only: bool) -> tuple[list[dict], dict[str, dict], float]:
    """Summary rows, the medians {label: {wall, cpu}} and the other processes' share."""
    sc = b.scenario(b.repeat)
    contenders = {"hand-written": (sc.hand, b.hand_env, sc.hand_out)}
    if not hand_only:
        out = b.work / f"ours{sc.n}.mp4"
        contenders = {"assembler": (b.ours(sc.edl, out, "--no-cache"), b.env, out), **contenders}
    print(f"EDL: {sc.edl}\nhand-written: {b.work / f'hand{sc.n}.sh'}")
    print(f"\n== full render, no cache, vs the hand-written command: {sc.n} shots, {n_runs} pairs\n"
          "warm-up render + verify:", flush=True)
    for label, (argv, env, out) in contenders.items():
        out.unlink(missing_ok=True)          # never verify a stale output
        r = run_once(label, argv, env, b.work / f"{label}.log")
        print(f"  {label}: {r['wall']:.2f} s (not counted)", flush=True)
    if not all([verify(label, out, sc.want) for label, (_, _, out) in contenders.items()]):
        sys.exit("error: an output failed verification; not timing")
    rows = check_sound(b, {label: out for label, (_, _, out) in contenders.items()})
    if sc.hand_measure:
        r = run_once("hand pass 1", sc.hand_measure, b.hand_env, b.work / "hand-measure.log")
        print(f"  hand-written pass 1 alone (measuring the mix, -vn): {r['wall']:.2f} s, cpu {r['cpu']:.2f} s "
              "(part of every hand-written run below)", flush=True)

    res: dict[str, list[dict]] = {label: [] for label in contenders}
    receipts = []
    load = Load()
    for i in range(n_runs):
        for label, (argv, env, out) in contenders.items():
            res[label].append(run_once(label, argv, env, b.work / f"{label}.log"))
            load.add(res[label][-1])
            if label == "assembler":
                receipts.append(receipt(out))
        print(f"  pair {i + 1}/{n_runs}: " + ", ".join(f"{k} {v[-1]['wall']:.2f} s" for k, v in res.items()),
              flush=True)
    print(f"  results, {n_runs} runs each, median (min-max):")
    for label, rs in res.items():
        print(f"  {label:<12}: wall {med([r['wall'] for r in rs])} s | cpu {med([r['cpu'] for r in rs])} s"
              f" | largest process RSS {med([r['peak'] for r in rs], 0)} MiB")
    share = load.done("the full renders")
    meds = {label: {k: median(rs, k) for k in ("wall", "cpu")} for label, rs in res.items()}
    hand = f"hand: {meds['hand-written']['wall']:.2f} s"
    passes = " (2 passes)" if sc.hand_measure else ""
    if hand_only:
        return [row(f"full render, hand-written only{passes} (n={n_runs})", hand), *rows], meds, share
    print(f"  ours, the receipts' timings: {timings(receipts, res['assembler'])}"
          + ("\n    (assemble = the sound: mix, loudness passes, AAC, + joining the pictures)"
             if "loudness" in b.extras else ""))
    target = SOUND_TARGET if b.extras & {"vo", "loudness"} else TARGET
    ratios = [o["wall"] / h["wall"] for o, h in zip(res["assembler"], res["hand-written"])]
    ratio = statistics.median(ratios)
    print(f"  ours / hand-written wall (per pair): {med(ratios, 3)}x | target <= {target}x: "
          f"{'OK' if ratio <= target else 'MISSED'}")
    cpu = meds["assembler"]["cpu"] / meds["hand-written"]["cpu"]
    print(f"  ours / hand-written cpu (medians): {cpu:.3f}x (steadier than wall on a busy machine)")
    return [row(f"full render, no cache, vs hand-written{passes} (n={n_runs})", f"{meds['assembler']['wall']:.2f} s",
                hand, f"{ratio:.3f}x (cpu {cpu:.3f}x)", f"<= {target}x", ratio <= target), *rows], meds, share


def check_sound(b: Bench, outs: dict[str, Path]) -> list[dict]:
    """With any of music / vo / loudness: the streams of each output, its loudness (ebur128;
    with a target, within LUFS_TOLERANCE of it) and whether ours and the hand command made
    the same mix (the residual of their decoded sound). Summary rows; never stops the run."""
    if not b.extras & set(SOUND):
        return []
    print("  sound:")
    got = {}
    for label, out in outs.items():
        got[label] = loudness(b.ff, out)
        print(f"    {label:<12} {streams(out)} | ebur128: {got[label]['i']:.1f} LUFS integrated, "
              f"true peak {got[label]['tp']:.1f} dBTP, LRA {got[label]['lra']:.1f} LU", flush=True)
    if "assembler" in outs and (sound := receipt(outs["assembler"]).sound) and (said := sound.loudness):
        print(f"    assembler's receipt: {said['integrated']:.2f} LUFS, true peak {said['true_peak']:.2f} dBTP, "
              f"gain {said['gain_db']:+.2f} dB (target {said['target']:g})")
    rows = []
    if "loudness" in b.extras:
        off = {label: abs(g["i"] - LUFS) for label, g in got.items()}
        ok = max(off.values()) <= LUFS_TOLERANCE
        print(f"    loudness: target {LUFS} LUFS ± {LUFS_TOLERANCE} LU: {'OK' if ok else 'MISSED'}")
        ours = f"{got['assembler']['i']:.1f} LUFS, {got['assembler']['tp']:.1f} dBTP" if "assembler" in got else ""
        rows.append(row("integrated loudness (ebur128), true peak", ours,
                        f"hand: {got['hand-written']['i']:.1f} LUFS, {got['hand-written']['tp']:.1f} dBTP", "",
                        f"{LUFS} ± {LUFS_TOLERANCE} LU", ok))
    if "assembler" in outs:
        d = sound_difference(outs["assembler"], outs["hand-written"])
        same = d["worst"] <= SAME_MIX_DB and d["lag"] == 0
        print(f"    ours - hand: {d['overall']:.1f} dB below ours' level overall, worst 1 s window "
              f"{d['worst']:.1f} dB (at {d['worst_at']:.0f} s), lag {d['lag']} samples: "
              f"{'the same mix' if same else 'DIFFERENT mixes'} (<= {SAME_MIX_DB} dB, no lag)")
        rows.append(row("same mix: ours - hand, worst 1 s", f"{d['worst']:.1f} dB", "",
                        f"overall {d['overall']:.1f} dB, lag {d['lag']}", f"<= {SAME_MIX_DB} dB", same))
    return rows



def table(rows: list[dict]) -> str:
    lines = ["| measure | ours | reference | ratio | target | |", "|---|---|---|---|---|---|"]
    lines += ["| " + " | ".join(r[k] for k in ("measure", "ours", "ref", "ratio", "target", "verdict")) + " |"
              for r in rows]
    return "\n".join(lines) + "\n"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("-n", type=int, default=3, help="timed runs / A B pairs per figure (after 1 warm-up)")
    ap.add_argument("--repeat", type=int, default=1, help="repeat the 14 shots R times")
    ap.add_argument("--work", type=Path, help="work dir (default: a new temp dir)")
    ap.add_argument("--results", type=Path, help="append a dated section with the summary to this file")
    ap.add_argument("--moviepy", action="store_true", help="also time moviepy 2.2.1 once (about 1-2 min)")
    ap.add_argument("--moviepy-venv", type=Path, help="its virtual environment (default: WORK/moviepy-venv; "
                                                      "made when missing)")
    ap.add_argument("--scale", type=int, default=4, metavar="R2",
                    help="memory: also 14*R2 shots (default 4; 0: only 14*R)")
    ap.add_argument("--skip", action="append", default=[], choices=SECTIONS, help="leave a section out")
    ap.add_argument("--with", dest="extras", action="append", default=[], choices=EXTRAS,
                    help="add to ours and the hand command: the scenario's music bed / burned subtitles, "
                         f"the voice-over (role dialogue at {VO_START} s; the bed ducks under it) / a {LUFS} "
                         "LUFS target (two passes in both)")
    ap.add_argument("--sound", action="store_true", help="= --with music --with vo --with loudness")
    ap.add_argument("--hand-only", action="store_true",
                    help="time the hand command only (and moviepy against it, with --moviepy)")
    a = ap.parse_args()
    extras = set(a.extras) | (set(SOUND) if a.sound else set())
    ff = imageio_ffmpeg.get_ffmpeg_exe()
    if not a.hand_only and (why := assembler_missing()):
        sys.exit(f"error: cannot run our half: `{sys.executable} -m assembler` is not importable "
                 f"from {REPO} ({why}).\nInstall the package (pip install -e .) or pass --hand-only.")
    work = (a.work or Path(tempfile.mkdtemp(prefix="assembler-bench."))).resolve()
    work.mkdir(parents=True, exist_ok=True)
    print(f"work: {work}\nffmpeg: {ff}\n{os.cpu_count()} cores, python {platform.python_version()}")
    make_media(work / "media", ff)
    b = Bench(work, ff, load_shared(), extras, a.repeat, {**os.environ, "ASSEMBLER_FFMPEG": ff},
              dict(os.environ), {})
    sc = b.scenario(a.repeat)
    left_out = [x for x in ("music", "subs") if x not in extras]
    print(f"scenario: {sc.n} shots, {sc.want} s, 0.5 s dissolves, contain 1280x720@30, x264 veryfast crf 23 + AAC")
    if left_out:
        print(f"NOTE: the scenario's {' and '.join(left_out)} left out of every contender: like for like, "
              f"but lighter than the full scenario (--with music|subs)")
    if extras:
        full = {"music", "subs"} <= extras
        print(f"NOTE: with {', '.join(sorted(extras))} in ours and the hand command"
              + (" (moviepy: the full shared scenario, music and subtitles)" if full else " (not in moviepy's)"))
    if "vo" in extras:
        print(f"NOTE: voice-over vo.wav from {VO_START} s, role dialogue"
              + (f"; the bed ducks {DUCK['amount']} dB under it (hand: a volume envelope over its span)"
                 if "music" in extras else ""))
    if "loudness" in extras:
        print(f"NOTE: loudness {LUFS} LUFS: the hand command measures the mix (loudnorm), then renders with "
              f"that gain; both passes are timed")

    rows, meds, share = full_vs_hand(b, a.n, a.hand_only)
    loads = [share]
    if not a.hand_only:
        full = meds["assembler"]
        for name, section in (("jobs", lambda: sections.jobs(b, a.n)),
                              ("cache", lambda: sections.cache(b, a.n, full)),
                              ("memory", lambda: sections.memory(
                                  b, sorted({a.repeat, a.scale} - {0}), hand=True))):
            if name not in a.skip:
                more, share = section()
                rows += more
                loads.append(share)
    if a.moviepy:
        more, share = sections.moviepy(b, (a.moviepy_venv or work / "moviepy-venv").resolve(), meds)
        rows += more
        loads.append(share)
    busiest = max(loads)
    rows.append(row("other processes' CPU (busiest section)", f"{busiest:.0%} of the machine", "", "",
                    "<= 10%", busiest <= 0.10))
    stamp = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    heading = (f"{stamp}: {os.cpu_count()} cores, {sc.n} shots, extras {'+'.join(sorted(extras)) or 'none'}, "
               f"python {platform.python_version()}")
    print(f"\n== summary ({heading})\n")
    print(table(rows))
    if busiest > 0.10:
        print(f"WARNING: the machine was shared while timing (up to {busiest:.0%} taken by other "
              f"processes): wall figures are noisy, compare CPU and ratios from calmer runs")
    if a.results:
        new = not a.results.exists() or a.results.stat().st_size == 0
        with a.results.open("a") as f:
            f.write(("# bench results\n" if new else "") + f"\n## {heading}\n\n" + table(rows))
        print(f"section appended to {a.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
