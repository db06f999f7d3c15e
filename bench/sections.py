"""The parts of a bench run beyond "full render vs the hand-written command" (used by run.py).

Each section times commands with measure.run_once, prints what it found as it goes and
returns summary rows: {measure, ours, ref, ratio, target, verdict}. `b` is run.Bench: the
work dir, the ffmpeg binary, the environments, and scenario(repeat) -> the EDL and the
hand-written command for 14 x repeat shots.
"""
from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
from pathlib import Path

from assembler.errors import UsageError
from assembler.run.receipts import Receipt, SegmentLine
from measure import Load, med, median, run_once, verify
from ruamel.yaml import YAML

NOOP_TARGET = 0.05          # no-op re-render / full render
ONESHOT_TARGET = 0.25       # one changed shot / full render
MEMORY_TARGET = 300         # MiB, summed PSS of the whole process tree
FLAT = 1.2                  # "flat": the big episode's tree peak at most this x the small one's
MOVIEPY_TARGET = 8.0        # moviepy wall / ours
MOVIEPY_PINS = ["moviepy==2.2.1", "imageio-ffmpeg", "av", "numpy"]
ONESHOT_IN = 0.2            # the changed shot's in- and out-points move later by this


def row(measure: str, ours: str, ref: str = "", ratio: str = "", target: str = "", ok: bool | None = None) -> dict:
    return {"measure": measure, "ours": ours, "ref": ref, "ratio": ratio, "target": target,
            "verdict": "" if ok is None else "OK" if ok else "MISSED"}


def receipt(out: Path) -> Receipt:
    """The receipt the render wrote beside `out` (<stem>.receipt.json), read by its schema."""
    for path in (out.with_name(out.stem + ".receipt.json"), out.with_name(out.name + ".receipt.json")):
        if path.is_file():
            try:
                return Receipt.read(path)
            except UsageError as exc:
                sys.exit(f"error: {exc}")
    sys.exit(f"error: no receipt beside {out}")


def fresh(out: Path) -> None:
    """Remove an output and its receipt, so that nothing stale is ever checked."""
    out.unlink(missing_ok=True)
    out.with_name(out.stem + ".receipt.json").unlink(missing_ok=True)


def rendered_now(rc: Receipt) -> list[SegmentLine]:
    return [s for s in rc.segments if s.rendered_now]


def sound_now(rc: Receipt) -> str:
    """Whether the receipt says the episode's sound was encoded anew (receipts without it: "?")."""
    return "?" if rc.sound is None else "encoded again" if rc.sound.rendered_now else "from the cache"


def timings(rcs: list[Receipt], runs: list[dict]) -> str:
    """Median of the receipts' own timings, and what is left of the wall time (start-up)."""
    keys = list(rcs[0].timings.named())
    parts = [f"{k} {statistics.median(rc.timings.named()[k] for rc in rcs):.2f}" for k in keys]
    startup = statistics.median(r["wall"] - rc.timings.total for r, rc in zip(runs, rcs))
    return ", ".join(parts) + f" s; outside render() (interpreter, imports, exit) {startup:.2f} s"


# -- 5. segments at once ----------------------------------------------------------------
def jobs(b, n_runs: int) -> tuple[list[dict], float]:
    """-j 1 vs -j 2, full renders without the cache, A B A B (tree PSS sampled too)."""
    sc = b.scenario(b.repeat)
    print(f"\n== -j 1 vs -j 2: full render, --no-cache, {sc.n} shots, {n_runs} pairs", flush=True)
    outs = {j: b.work / f"ours{sc.n}-j{j}.mp4" for j in (1, 2)}
    res: dict[int, list[dict]] = {1: [], 2: []}
    load = Load()
    for i in range(n_runs):
        for j, out in outs.items():
            fresh(out)
            r = run_once(f"-j {j}", b.ours(sc.edl, out, "--no-cache", "-j", str(j)), b.env, b.work / f"j{j}.log",
                         tree=True)
            res[j].append(r)
            load.add(r)
        print(f"  pair {i + 1}/{n_runs}: -j 1 {res[1][-1]['wall']:.2f} s, -j 2 {res[2][-1]['wall']:.2f} s",
              flush=True)
    share = load.done("-j 1 / -j 2")
    ratios = [x["wall"] / y["wall"] for x, y in zip(res[1], res[2])]
    for j in (1, 2):
        print(f"  -j {j}: wall {med([r['wall'] for r in res[j]])} s | cpu {med([r['cpu'] for r in res[j]])} s"
              f" | tree PSS {med([r['tree'] for r in res[j]], 0)} MiB")
    print(f"  -j 1 / -j 2 wall (per pair): {med(ratios, 3)}x  ({os.cpu_count()} cores)")
    same = receipt(outs[1]).output.sha256 == receipt(outs[2]).output.sha256
    print(f"  -j 1 and -j 2 outputs {'are byte-identical' if same else 'DIFFER (segments should not depend on -j)'}")
    return [row(f"full, no cache, -j 2 vs -j 1 (n={n_runs})",
                f"{median(res[2], 'wall'):.2f} s, {median(res[2], 'tree'):.0f} MiB",
                f"-j 1: {median(res[1], 'wall'):.2f} s, {median(res[1], 'tree'):.0f} MiB",
                f"{statistics.median(ratios):.2f}x faster", "", None if same else False)], share


# -- 3. and 4. the cache ------------------------------------------------------------------
def cache(b, n_runs: int, full_runs: dict) -> tuple[list[dict], float]:
    """Fill WORK/cache once, then time a no-op re-render and a one-shot change against it;
    as shares of the median full render without the cache (wall, and CPU: steadier)."""
    full, full_cpu = full_runs["wall"], full_runs["cpu"]
    sc = b.scenario(b.repeat)
    root = b.work / "cache"
    shutil.rmtree(root, ignore_errors=True)
    print(f"\n== cache: {root}, {sc.n} shots; full render without the cache: {full:.2f} s", flush=True)
    load = Load()
    out = b.work / f"cached{sc.n}.mp4"
    fresh(out)
    fill = run_once("cache fill", b.ours(sc.edl, out, "--cache", str(root)), b.env, b.work / "cache.log")
    load.add(fill)
    base = receipt(out)
    segs = len(base.segments)
    if len(rendered_now(base)) != segs:
        sys.exit(f"error: the first render into an empty cache rendered {len(rendered_now(base))} of {segs} segments")
    print(f"  fill (empty cache): {fill['wall']:.2f} s, {segs} segments rendered "
          f"({fill['wall'] / full:.0%} of the full render without the cache)", flush=True)

    noop, noop_rc = [], []
    for _ in range(n_runs):
        r = run_once("no-op", b.ours(sc.edl, out, "--cache", str(root)), b.env, b.work / "noop.log")
        load.add(r)
        rc = receipt(out)
        if rendered_now(rc):
            sys.exit(f"error: a re-render with nothing changed rendered {len(rendered_now(rc))} segments")
        if rc.output.sha256 != base.output.sha256:
            sys.exit("error: a no-op re-render wrote different bytes")
        noop.append(r)
        noop_rc.append(rc)
    noop_share = median(noop, "wall") / full
    print(f"  no-op re-render: wall {med([r['wall'] for r in noop])} s = {noop_share:.1%} of full "
          f"(target < {NOOP_TARGET:.0%}): {'OK' if noop_share < NOOP_TARGET else 'MISSED'}; "
          f"cpu {median(noop, 'cpu'):.2f} s = {median(noop, 'cpu') / full_cpu:.1%} of full; "
          f"0 of {segs} segments rendered, sound {sound_now(noop_rc[-1])}, same bytes")
    print(f"    receipt timings: {timings(noop_rc, noop)}")

    # 4. one middle shot's in-point moves (same length): only its segments render again.
    k = sc.n // 2
    edl = b.work / f"episode{sc.n}-shot{k + 1}.yaml"
    yaml = YAML(typ="safe", pure=True)
    doc = yaml.load(sc.edl.read_text())
    clip = doc["video"][2 * k]                          # clips and transitions alternate
    clip["in"], clip["out"] = clip["in"] + ONESHOT_IN, clip["out"] + ONESHOT_IN
    yaml.default_flow_style = None
    yaml.sort_base_mapping_type_on_output = False
    with edl.open("w") as f:
        yaml.dump(doc, f)
    print(f"  one-shot change: {edl.name}: video[{2 * k}] ({clip['clip']}) in {clip['in']:g} out {clip['out']:g};"
          f" each run on a fresh copy (hard links) of the warm cache", flush=True)
    scratch, out1 = b.work / "cache-oneshot", b.work / f"oneshot{sc.n}.mp4"
    old_keys = {s.key for s in base.segments}
    one, one_rc = [], []
    for i in range(n_runs):
        shutil.rmtree(scratch, ignore_errors=True)
        shutil.copytree(root, scratch, copy_function=os.link)   # restore: the shot not rendered yet
        fresh(out1)
        r = run_once("one-shot", b.ours(edl, out1, "--cache", str(scratch)), b.env, b.work / "oneshot.log")
        load.add(r)
        rc = receipt(out1)
        new = {s.key for s in rc.segments} - old_keys
        done = rendered_now(rc)
        wrong = [s for s in done if 2 * k not in s.items]
        if {s.key for s in done} != new or wrong or not done:
            sys.exit(f"error: one-shot change rendered {len(done)} segments ({len(wrong)} not showing "
                     f"video[{2 * k}]), expected exactly the {len(new)} new ones")
        one.append(r)
        one_rc.append(rc)
        if i == 0 and not verify("one-shot", out1, sc.want):
            sys.exit("error: the one-shot render failed verification")
    shutil.rmtree(scratch, ignore_errors=True)
    n_done = len(rendered_now(one_rc[0]))
    one_share = median(one, "wall") / full
    print(f"  one-shot change: wall {med([r['wall'] for r in one])} s = {one_share:.1%} of full "
          f"(target < {ONESHOT_TARGET:.0%}): {'OK' if one_share < ONESHOT_TARGET else 'MISSED'}; "
          f"cpu {median(one, 'cpu'):.2f} s = {median(one, 'cpu') / full_cpu:.1%} of full; "
          f"{n_done} of {segs} segments rendered each run (checked in the receipts), "
          f"sound {sound_now(one_rc[-1])}")
    print(f"    receipt timings: {timings(one_rc, one)}")
    share = load.done("the cache runs")
    noop_cpu, one_cpu = median(noop, "cpu") / full_cpu, median(one, "cpu") / full_cpu
    return [row(f"no-op re-render, warm cache (n={n_runs})", f"{median(noop, 'wall'):.2f} s", f"full: {full:.2f} s",
                f"{noop_share:.1%} (cpu {noop_cpu:.1%})", f"< {NOOP_TARGET:.0%}", noop_share < NOOP_TARGET),
            row(f"one shot changed, {n_done} of {segs} segments (n={n_runs})", f"{median(one, 'wall'):.2f} s",
                f"full: {full:.2f} s", f"{one_share:.1%} (cpu {one_cpu:.1%})", f"< {ONESHOT_TARGET:.0%}",
                one_share < ONESHOT_TARGET),
            row("cache fill: empty cache (n=1)", f"{fill['wall']:.2f} s", f"full: {full:.2f} s",
                f"{fill['wall'] / full:.0%}")], share


# -- 6. memory of the whole process tree ----------------------------------------------------
def memory(b, repeats: list[int], hand: bool) -> tuple[list[dict], float]:
    """One full render (no cache) per size, with the tree's summed PSS sampled; the hand
    command too, for comparison."""
    print(f"\n== memory: peak summed PSS of the whole process tree (sampled every 0.2 s), "
          f"{' and '.join(str(14 * r) for r in repeats)} shots, one run each", flush=True)
    load = Load()
    got: dict[int, dict] = {}
    for rep in repeats:
        sc = b.scenario(rep)
        out = b.work / f"ours{sc.n}.mp4"
        fresh(out)
        ours = run_once("assembler", b.ours(sc.edl, out, "--no-cache"), b.env, b.work / f"mem{sc.n}.log", tree=True)
        load.add(ours)
        got[sc.n] = {"ours": ours}
        if not verify("assembler", out, sc.want):
            sys.exit("error: an output failed verification")
        if hand:
            sc.hand_out.unlink(missing_ok=True)
            h = run_once("hand-written", sc.hand, b.hand_env, b.work / f"mem{sc.n}-hand.log", tree=True)
            load.add(h)
            got[sc.n]["hand"] = h
            if not verify("hand-written", sc.hand_out, sc.want):
                sys.exit("error: an output failed verification")
        for label, r in got[sc.n].items():
            print(f"  {sc.n} shots {label:<12}: tree PSS {r['tree']:.0f} MiB ({r['at_peak']} MiB), "
                  f"{r['procs']} processes at most | largest process RSS {r['peak']:.0f} MiB | "
                  f"wall {r['wall']:.2f} s | cpu {r['cpu']:.1f} s", flush=True)
    share = load.done("the memory runs")
    sizes = sorted(got)
    small = got[sizes[0]]["ours"]["tree"]
    rows = []
    for n in sizes:
        r = got[n]["ours"]
        growth = r["tree"] / small
        ok = r["tree"] <= MEMORY_TARGET and growth <= FLAT
        h = got[n].get("hand")
        rows.append(row(f"peak tree PSS, {n} shots (n=1)", f"{r['tree']:.0f} MiB, {r['wall']:.1f} s",
                        f"hand: {h['tree']:.0f} MiB, {h['wall']:.1f} s" if h else "",
                        f"{growth:.2f}x of {sizes[0]} shots" if n != sizes[0] else "",
                        f"<= {MEMORY_TARGET} MiB, flat", ok))
    if len(sizes) > 1:
        growth = got[sizes[-1]]["ours"]["tree"] / small
        print(f"  ours {sizes[-1]} / {sizes[0]} shots: tree peak {growth:.2f}x, wall "
              f"{got[sizes[-1]]['ours']['wall'] / got[sizes[0]]['ours']['wall']:.2f}x "
              f"(target: flat, at most {FLAT}x, and <= {MEMORY_TARGET} MiB)")
    return rows, share


# -- 2. moviepy, in its own virtual environment ----------------------------------------------
def moviepy_python(venv: Path) -> str:
    """The python of `venv`, made with `python3 -m venv` + pip install MOVIEPY_PINS when needed."""
    py = venv / "bin" / "python"
    check = [str(py), "-c", "from importlib.metadata import version; import moviepy, av, imageio_ffmpeg; "
             "assert version('moviepy') == '2.2.1', version('moviepy')"]
    if py.exists() and subprocess.run(check, capture_output=True).returncode == 0:
        print(f"  moviepy venv: reusing {venv}")
        return str(py)
    print(f"  moviepy venv: making {venv} (pip install {' '.join(MOVIEPY_PINS)}) ...", flush=True)
    base = getattr(sys, "_base_executable", None) or shutil.which("python3") or "python3"
    for argv in ([base, "-m", "venv", str(venv)], [str(py), "-m", "pip", "install", "-q", *MOVIEPY_PINS]):
        p = subprocess.run(argv, capture_output=True, text=True)
        if p.returncode != 0:
            sys.exit(f"error: {' '.join(argv)} failed:\n{(p.stdout + p.stderr)[-2000:]}")
    if subprocess.run(check, capture_output=True).returncode != 0:
        sys.exit(f"error: {venv} has no working moviepy 2.2.1")
    return str(py)


def moviepy(b, venv: Path, meds: dict[str, dict]) -> tuple[list[dict], float]:
    """The moviepy script once (n=1, tree PSS sampled), against the median full renders
    of section 1 (`meds`: {label: {wall, cpu}}): ours, and the hand command for scale."""
    sc = b.scenario(b.repeat)
    full = {"music", "subs"} <= set(b.extras)
    script = Path(b.ep.__file__).with_name("episode_moviepy.py") if full \
        else Path(__file__).with_name("episode_moviepy_video.py")
    print(f"\n== moviepy 2.2.1, like for like ({script.name}: "
          f"{'music and subtitles' if full else 'no music, no subtitles'}), {sc.n} shots, one run", flush=True)
    py = moviepy_python(venv)
    version = subprocess.run([py, "-c", "from importlib.metadata import version as v; import sys; print("
                              "sys.version.split()[0], 'moviepy', v('moviepy'), 'pillow', v('pillow'))"],
                             capture_output=True, text=True).stdout.strip()
    print(f"  python {version}, ffmpeg {b.ff}")
    out = b.work / f"moviepy{sc.n}.mp4"
    out.unlink(missing_ok=True)
    argv = [py, str(script), str(b.work / "media"), str(out),
            "--repeat", str(sc.n // 14)]
    env = {**b.hand_env, "IMAGEIO_FFMPEG_EXE": b.ff, "FFMPEG_BINARY": b.ff}
    load = Load()
    r = run_once("moviepy", argv, env, b.work / "moviepy.log", tree=True)
    load.add(r)
    share = load.done("the moviepy run")
    if not verify("moviepy", out, sc.want):
        sys.exit("error: the moviepy output failed verification")
    label, medians = ("ours", meds["assembler"]) if "assembler" in meds else ("hand", meds["hand-written"])
    wall = medians["wall"]
    faster, cpu = r["wall"] / wall, r["cpu"] / medians["cpu"]
    hand = r["wall"] / meds["hand-written"]["wall"]
    print(f"  moviepy: wall {r['wall']:.2f} s | cpu {r['cpu']:.1f} s | tree PSS {r['tree']:.0f} MiB "
          f"({r['at_peak'][:120]} MiB), {r['procs']} processes at most | largest process RSS {r['peak']:.0f} MiB")
    print(f"  moviepy / {label} (median full render {wall:.2f} s): {faster:.2f}x, i.e. {label} is {faster:.1f}x "
          f"faster (target >= {MOVIEPY_TARGET:g}x): {'OK' if faster >= MOVIEPY_TARGET else 'MISSED'}; "
          f"moviepy / {label} cpu: {cpu:.2f}x")
    print(f"  for scale: moviepy / hand-written wall {hand:.2f}x (median hand {meds['hand-written']['wall']:.2f} s)")
    return [row(f"moviepy 2.2.1 vs {label}, full (n=1)", f"{wall:.2f} s",
                f"moviepy: {r['wall']:.2f} s, {r['tree']:.0f} MiB", f"{faster:.2f}x faster (cpu {cpu:.2f}x; hand {hand:.2f}x)",
                f">= {MOVIEPY_TARGET:g}x faster", faster >= MOVIEPY_TARGET)], share
