"""A fuzz campaign against the loader, the CLI's printing and the dry run (issue 11).

Not collected by pytest (its name does not start with ``test_``); run it by hand:

    . .venv/bin/activate
    python tests/fuzz_edl.py --cases 3000 --jobs 2 --seed 1 --out /tmp/fuzz

It generates EDLs (random ones, and mutations of ``edl_examples/*/*.yaml`` and of the
``yaml`` blocks of README.md and docs/edl.md: type swaps, huge/tiny/negative/NaN/inf
numbers, deep nesting, aliases, odd unicode, control characters, markup, long strings,
duplicate keys, wrong types at every field, missing and extra fields, paths that are
folders, devices, fifos, /dev/zero or symlink loops, JSON variants) and runs each through
``assembler check``, ``assembler render --dry-run`` and the library's ``load`` +
``dry_run``, each in a forked child with a timeout and a memory limit. A case fails if
the exit code is not 0 or 2, a traceback or a Python source path is printed, it times out
or runs out of memory, an error line lacks its ``FILE:LINE:``, or user text is not printed
literally (markup read, emoji drawn). Failures are bucketed by signature and written to
``OUT/failures/<bucket>/`` (the EDL and what was printed); ``OUT/summary.json`` counts them.
A ``--cli-every N``-th case also runs the real ``assembler`` command in a new process.

``generate(rng, media)`` is also used in-process by tests/test_fuzz_findings.py.
"""

from __future__ import annotations

import argparse
import copy
import hashlib
import io
import json
import os
import random
import re
import resource
import signal
import subprocess
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).resolve().parent))

TIMEOUT = 10.0
MEMORY = 3 * 2**30  # address space of a child, ffmpeg's included (each its own)

# Injected user text and what it must stay when printed: the core of each must appear
# only as part of the whole (markup never read), and no emoji may appear that was not given.
MARKERS = ["[b]Q7x[/b]", "[red]R7x[/red]", "Act [/b] two", "[link=http://x]L7x[/link]", "say :smile: now",
           "[0:v:0]", "\\[b]E7x", "[bold red on blue]B7x"]
CORES = {"Q7x": "[b]Q7x[/b]", "R7x": "[red]R7x[/red]", "L7x": "[link=http://x]L7x[/link]", "B7x": "[bold red on blue]B7x",
         "E7x": "\\[b]E7x"}
EMOJI = re.compile("[\U0001F300-\U0001FAFF\u2600-\u27BF]")
ODD_TEXT = ["", " ", "\t", "\n", "\r\n", "\x00", "\x07", "\x1b[31mred\x1b[0m", "\x85", "\u2028", "\u202e\u0645",
            "\ufeff", "\u200b", "🎬", "e\u0301" * 50, "𝔘𝔫𝔦", "中文字幕", "%d", "%s%n", "'", '"', "\\", "${HOME}",
            "$(id)", "`id`", "-i", "--", "~", "~root", "..", "../../etc/passwd", "a:b", "concat:x|y", "file:x",
            "http://127.0.0.1:1/x.mp4", "C:\\x.mp4", "x" * 300, "x" * 5000, "é" * 200, "\ud800" if False else "\u00a0",
            *MARKERS]
NUMBERS = [0, -0.0, 1, -1, 0.5, 1e-9, -1e-9, 1e-300, 5e-324, 1e300, -1e300, 2**63, -(2**63), 2**64 + 1, 10**30,
           float("inf"), float("-inf"), float("nan"), 24, 25, 29.97, 240, 241, 86400, 86401, 3.3333333333333335,
           0.1 + 0.2, 1e8, True, False, None, 7680, 7681, 4320, 100000]
STRINGS_OF_NUMBERS = ["1e999999999", "-1e999", "inf", "-inf", "nan", "NaN", "Infinity", "0x10", "1_000", "1/0",
                      "0/0", "24000/1001", "30000/1001", "-24/1", "1/3", "99999999999999999999/1", "9" * 400,
                      "1" * 5000, "00:00:00:00", "99:99:99", "00:00:04:99", "-00:00:01", "00:00:01.5.5", "36f",
                      "-36f", "0f", "99999999999f", "1e9f", "1.5f", "f", ":", "::", "00:00:00;12", "+5", " 5 ",
                      "5 s", "1920x1080", "0x0", "-1x-1", "1x1", "99999x99999", "7680x4320", "1920X1080",
                      "1920×1080", "x", "#fff", "#ffffff00", "#ggg", "0xff0000", "red@0.5", "transparent", "black",
                      "rgb(1,2,3)", "-16", "-70", "0", "+1"]
KEYS = ["version", "name", "output", "media_root", "video", "overlays", "audio", "subtitles", "markers",
        "clip", "image", "title", "color", "transition", "duration", "in", "out", "fit", "speed", "volume", "mute",
        "lut", "style", "font", "size", "position", "background", "motion", "zoom", "focus", "start", "end", "scale",
        "opacity", "fade_in", "fade_out", "file", "role", "loop", "duck", "under", "amount", "attack", "release",
        "burn", "soft", "sidecar", "offset", "fonts_dir", "margin_v", "outline", "text", "at", "type", "lead", "lag",
        "fps", "codec", "crf", "preset", "pix_fmt", "bitrate", "rate", "channels", "loudness", "stems", "align",
        "x", "y", "vido", "titel", "durations", "extends", "deliverables", "shot", "takes", "pick"]
PATH_FIELDS = {"clip", "image", "file", "lut", "background", "fonts_dir", "media_root", "font"}


class Media:
    """The files and odd paths the generated EDLs name, made once in ``folder``."""

    def __init__(self, folder: Path):
        from media_tools import make_clip, make_image, make_tone_wav

        self.folder = folder
        folder.mkdir(parents=True, exist_ok=True)
        m = folder / "media"
        m.mkdir(exist_ok=True)
        if not (m / "a.mp4").exists():
            make_clip(m / "a.mp4", color="red", size=(160, 90), fps=24, duration=1.5, tone=440)
            make_clip(m / "b.mp4", color="blue", size=(90, 160), fps=25, duration=1.5, tone=None)
            make_image(m / "still.png", color="green", size=(160, 90))
            make_tone_wav(m / "tone.wav", freq=330, duration=1.5)
            (m / "subs.srt").write_text("1\n00:00:00,100 --> 00:00:00,900\n[b]Q7x[/b] :smile:\n\n", encoding="utf-8")
            (m / "empty.srt").write_text("", encoding="utf-8")
            (m / "look.cube").write_text("LUT_3D_SIZE 2\n" + "0 0 0\n1 0 0\n0 1 0\n1 1 0\n0 0 1\n1 0 1\n0 1 1\n1 1 1\n")
            (m / "folder.mp4").mkdir()
            for suffix in (".mp4", ".srt", ".cube", ".ttf", ".wav"):
                os.mkfifo(m / f"fifo{suffix}")
                os.symlink("/dev/zero", m / f"zero{suffix}") if suffix != ".mp4" else None
            os.symlink("loop2.mp4", m / "loop1.mp4")
            os.symlink("loop1.mp4", m / "loop2.mp4")
            os.symlink("/dev/zero", m / "zero.mp4")
            os.symlink("a.mp4", m / "link.srt")
            os.symlink("still.png", m / "link.cube")
            (m / "text.mp4").write_text("not a video\n")
            (m / "[bold red on blue]B7x :smile:.png").write_bytes((m / "still.png").read_bytes())
            (m / "p%d.png").write_bytes((m / "still.png").read_bytes())
        self.good = {"clip": ["media/a.mp4", "media/b.mp4"], "image": ["media/still.png", "media/[bold red on blue]B7x :smile:.png",
                                                                     "media/p%d.png"],
                     "file": ["media/tone.wav", "media/a.mp4"], "subtitles": ["media/subs.srt", "media/empty.srt"],
                     "lut": ["media/look.cube"], "fonts_dir": ["media"]}
        self.bad = ["media/folder.mp4", "media/fifo.mp4", "media/fifo.srt", "media/fifo.cube", "media/fifo.ttf",
                    "media/fifo.wav", "media/zero.srt", "media/zero.cube", "media/zero.ttf", "media/zero.wav", "media/loop1.mp4", "media/zero.mp4", "/dev/zero",
                    "/dev/null", "/dev/stdin", "/dev/tty", "/proc/self/mem", "/", "media/text.mp4", "media/link.srt",
                    "media/link.cube", "media/missing.mp4", "media/a.mp4/x", "media", ".", "", "media/a.mp4\x00x",
                    "x" * 300 + ".mp4", ("d" * 200 + "/") * 3 + "a.mp4", "media\n/a.mp4", "~nobody_here/x.mp4",
                    "media/empty.srt", "media/subs.srt", "media/tone.wav", "media/still.png"]


def seeds() -> list[object]:
    """The examples: every EDL the project ships or documents, as plain data."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    texts = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "edl_examples").glob("*/*.yaml"))]
    for doc in (ROOT / "README.md", ROOT / "docs" / "edl.md"):
        texts += re.findall(r"```yaml\n(.*?)```", doc.read_text(encoding="utf-8"), re.S)
    found = []
    for text in texts:
        try:
            data = yaml.load(text)
        except Exception:
            continue
        if isinstance(data, dict):
            data.setdefault("version", 1)
            data.setdefault("video", [{"color": "red", "duration": 1}])
            found.append(data)
    return found


def _repath(data: object, media: Media, rng: random.Random) -> object:
    """The seed's files replaced by real ones (mostly), or odd paths (sometimes)."""
    if isinstance(data, dict):
        out = {}
        for key, value in data.items():
            if key in PATH_FIELDS and isinstance(value, str) and key not in ("font", "background"):
                subtitles = key == "file" and {"burn", "soft", "sidecar", "style", "offset"} & set(data)
                pool = media.good["subtitles"] if subtitles else media.good.get(key) or media.good["file"]
                value = rng.choice(media.bad) if rng.random() < 0.08 else rng.choice(pool)
            out[key] = _repath(value, media, rng)
        if "media_root" in out:
            out["media_root"] = "." if rng.random() < 0.9 else rng.choice(media.bad)
        return out
    if isinstance(data, list):
        return [_repath(v, media, rng) for v in data]
    return data


def _odd_value(rng: random.Random, media: Media, depth: int = 0) -> object:
    roll = rng.random()
    if roll < 0.25:
        return rng.choice(NUMBERS)
    if roll < 0.45:
        return rng.choice(STRINGS_OF_NUMBERS)
    if roll < 0.65:
        return rng.choice(ODD_TEXT)
    if roll < 0.75:
        return rng.choice(media.bad)
    if roll < 0.85 and depth < 3:
        return [_odd_value(rng, media, depth + 1) for _ in range(rng.randint(0, 3))]
    if roll < 0.95 and depth < 3:
        return {rng.choice(KEYS): _odd_value(rng, media, depth + 1) for _ in range(rng.randint(0, 3))}
    return rng.choice([{}, [], "", None, [[[[]]]], {"": None}, {1: 2}])


def _spots(data: object, path: tuple = ()) -> list[tuple]:
    """Every place in the data: mappings' keys and lists' items."""
    found = [path]
    if isinstance(data, dict):
        for key, value in data.items():
            found += _spots(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            found += _spots(value, (*path, index))
    return found


def _get(data, path):
    for part in path:
        data = data[part]
    return data


def mutate(data: object, rng: random.Random, media: Media) -> object:
    data = copy.deepcopy(data)
    for _ in range(rng.choice([1, 1, 1, 2, 3, 5])):
        spots = _spots(data)
        path = rng.choice(spots)
        if not path:
            continue
        parent, key = _get(data, path[:-1]), path[-1]
        op = rng.random()
        if op < 0.45:  # a wrong or odd value at a field
            parent[key] = _odd_value(rng, media)
        elif op < 0.55:  # removed
            del parent[key]
        elif op < 0.65 and isinstance(parent, dict):  # an extra field beside it
            parent[rng.choice(KEYS) + rng.choice(["", "", "_x", "s"])] = _odd_value(rng, media)
        elif op < 0.72:  # wrapped: a list or a mapping where a scalar was
            parent[key] = rng.choice([[parent[key]], {str(key): parent[key]}, [[[parent[key]]]]])
        elif op < 0.80 and isinstance(parent, list):  # duplicated many times
            parent.extend([copy.deepcopy(parent[key])] * rng.choice([1, 10, 500]))
        elif op < 0.88:  # a marker or odd text in a string
            value = parent[key]
            if isinstance(value, str):
                parent[key] = value + rng.choice(MARKERS + ODD_TEXT[:20])
            else:
                parent[key] = rng.choice(MARKERS)
        else:  # a number pushed to an edge
            parent[key] = rng.choice(NUMBERS + STRINGS_OF_NUMBERS[:20])
    return data


def random_edl(rng: random.Random, media: Media) -> dict:
    """An EDL from scratch, mostly valid in shape."""
    items = []
    for _ in range(rng.randint(0, 6)):
        kind = rng.choice(["clip", "image", "title", "color", "transition"])
        if kind == "clip":
            item = {"clip": rng.choice(media.good["clip"]), "in": rng.choice([0, 0.2, "3f"]),
                    "duration": rng.choice([0.5, 1, "00:00:00:12"])}
        elif kind == "image":
            item = {"image": rng.choice(media.good["image"]), "duration": 1}
        elif kind == "title":
            item = {"title": rng.choice(MARKERS + ["Hello", "第一集\nline"]), "duration": 1}
        elif kind == "color":
            item = {"color": rng.choice(["red", "#102030", "navy"]), "duration": 0.5}
        else:
            item = {"transition": rng.choice(["dissolve", "wipeleft", "cut", "fadeblack", "nope"])}
        items.append(item)
    data: dict = {"version": 1, "name": rng.choice(MARKERS + ["ep"]),
                  "output": {"size": rng.choice(["160x90", "320x180", "90x160"]), "fps": rng.choice([24, 25, "30000/1001"])},
                  "video": items}
    if rng.random() < 0.4:
        data["audio"] = [{"file": "media/tone.wav", "role": rng.choice(["music", "dialogue"]), "loop": rng.random() < .5}]
    if rng.random() < 0.3:
        data["subtitles"] = {"file": rng.choice(media.good["subtitles"]), "burn": rng.random() < .5,
                             "sidecar": rng.random() < .5}
    if rng.random() < 0.3:
        data["overlays"] = [{"title": rng.choice(MARKERS), "start": 0, "duration": 0.5}]
    if rng.random() < 0.3:
        data["markers"] = [{"at": 0, "name": rng.choice(MARKERS)}]
    return data


def _dump_yaml(data: object) -> str:
    from ruamel.yaml import YAML

    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = None
    yaml.allow_unicode = True
    stream = io.StringIO()
    yaml.dump(data, stream)
    return stream.getvalue()


def _text_mutation(text: str, rng: random.Random) -> str:
    """Mutations of the text itself: what no data structure writes."""
    op = rng.randrange(12)
    lines = text.split("\n")
    if op == 0 and lines:  # a line duplicated: duplicate keys
        k = rng.randrange(len(lines))
        lines.insert(k, lines[k])
    elif op == 1:  # an alias bomb or an alias
        bomb = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
        bomb += [f"a{n}: &a{n} [{', '.join([f'*a{n - 1}'] * 10)}]" for n in range(1, rng.randint(2, 9))]
        lines = bomb + lines
    elif op == 2:  # deep nesting
        n = rng.choice([10, 63, 64, 65, 200, 3000])
        lines.append("deep: " + rng.choice(["[" * n + "]" * n, "{a: " * n + "1" + "}" * n, "[" * n]))
    elif op == 3:  # a control character somewhere
        pos = rng.randrange(len(text) + 1)
        return text[:pos] + rng.choice(["\x00", "\x01", "\x1b", "\x7f", "\x85", "\x9b", "\t", "\r", "\ufeff",
                                        "\ud800" if False else "\uffff", "\u2028"]) + text[pos:]
    elif op == 4:  # cut short
        return text[:rng.randrange(len(text) + 1)]
    elif op == 5:  # a tag
        lines.append(rng.choice(["x: !!python/object/apply:os.system ['id']", "x: !!binary aGVsbG8=",
                                 "x: !custom 1", "x: !!float 1e999", "x: !!int 99999999999999999999999",
                                 "x: !!timestamp 2001-12-14", "x: !!set {a, b}", "x: !!omap [a: 1]"]))
    elif op == 6:  # a merge key
        lines = ["base: &b {duration: 1}", *lines, "merged: {<<: *b, color: red}"]
    elif op == 7:  # a second document
        lines += ["---", "version: 2"]
    elif op == 8:  # odd indentation
        k = rng.randrange(len(lines))
        lines[k] = rng.choice(["\t", "  ", " "]) + lines[k]
    elif op == 9:  # a long line
        lines.append("name: " + json.dumps("x" * rng.choice([10_000, 1_000_000])))
    elif op == 10:  # a huge plain number
        lines.append(f"name: {'9' * rng.choice([400, 4300, 5000, 100_000])}")
    else:  # a byte-order mark, CRLF endings
        return "\ufeff" + text.replace("\n", "\r\n")
    return "\n".join(lines)


def _json_text(data: object, rng: random.Random) -> str:
    """JSON as different writers write it: Python's own (surrogate escapes, Infinity), compact, sorted."""
    try:
        return json.dumps(data, ensure_ascii=rng.random() < 0.5, indent=rng.choice([None, 2]),
                          sort_keys=rng.random() < 0.2, allow_nan=True, default=str)
    except (TypeError, ValueError):
        return "{}"


def generate(rng: random.Random, media: Media) -> tuple[str, str]:
    """One case: (suffix, text)."""
    pool = _SEEDS or seeds()
    _SEEDS[:] = pool
    roll = rng.random()
    if roll < 0.2:
        data = random_edl(rng, media)
    else:
        data = _repath(rng.choice(pool), media, rng)
    if rng.random() < 0.85:
        data = mutate(data, rng, media)
    as_json = rng.random() < 0.25
    try:
        text = _json_text(data, rng) if as_json else _dump_yaml(data)
    except Exception:
        text = _json_text(data, rng)
    if rng.random() < 0.3:
        text = _text_mutation(text, rng)
    if as_json and rng.random() < 0.1:  # a top level that is no mapping
        text = rng.choice(["[" + text + "]", "1", '"x"', "null", ""])
    return (".json" if as_json else rng.choice([".yaml", ".yaml", ".yml", ".YAML", ".edl"])), text


_SEEDS: list = []


# ---------------------------------------------------------------- running

def _limit() -> None:
    os.setpgid(0, 0)
    resource.setrlimit(resource.RLIMIT_AS, (MEMORY, MEMORY))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))


def _child_run(mode: str, edl: Path, work: Path) -> int:
    """In a forked child: the CLI (``check``, ``dry``) or the library (``lib``); its exit code."""
    if mode == "lib":
        import assembler

        try:
            assembler.load(edl)
            assembler.dry_run(edl, work / "out.mp4", cache=work / "cache", folder=work / "lib.dryrun")
        except assembler.EdlError as exc:
            print("\n".join(str(p) for p in exc.problems), file=sys.stderr)
            return 2
        except assembler.AssemblerError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 2
        return 0
    from assembler import cli

    sys.argv = ["assembler", *(["check", str(edl), "-o", str(work / "out.mp4")] if mode == "check" else
                                ["render", str(edl), "--dry-run", "-o", str(work / "out.mp4"), "--cache",
                                 str(work / "cache")])]
    try:
        cli.main()
    except SystemExit as exc:
        return exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
    return 0


def run_forked(mode: str, edl: Path, work: Path, timeout: float = TIMEOUT) -> dict:
    """``mode`` on ``edl`` in a forked child with limits; what it printed and how it ended."""
    out_path, err_path = work / f"{mode}.out", work / f"{mode}.err"
    started = time.monotonic()
    pid = os.fork()
    if pid == 0:  # the child
        code = 70
        try:
            _limit()
            fd_out = os.open(out_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            fd_err = os.open(err_path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
            os.dup2(fd_out, 1)
            os.dup2(fd_err, 2)
            os.chdir(work)
            code = _child_run(mode, edl, work)
        except MemoryError:
            code = 99
        except BaseException:
            traceback.print_exc()
            code = 70
        finally:
            with_flush()
            os._exit(code if isinstance(code, int) and 0 <= code < 256 else 70)
    return _wait(pid, started, timeout, out_path, err_path)


def with_flush() -> None:
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except Exception:
            pass


def _wait(pid: int, started: float, timeout: float, out_path: Path, err_path: Path) -> dict:
    timed_out = False
    while True:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            break
        if time.monotonic() - started > timeout:
            timed_out = True
            with_kill(pid)
            os.waitpid(pid, 0)
            status = -1
            break
        time.sleep(0.02)
    with_kill(pid)  # what it started and left behind
    code = os.waitstatus_to_exitcode(status) if status != -1 else None
    read = lambda p: p.read_bytes()[:200_000].decode("utf-8", "replace") if p.exists() else ""  # noqa: E731
    return {"code": code, "timeout": timed_out, "seconds": time.monotonic() - started,
            "stdout": read(out_path), "stderr": read(err_path)}


def with_kill(pid: int) -> None:
    try:
        os.killpg(pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_command(edl: Path, work: Path) -> dict:
    """The real ``assembler check`` in a new process."""
    started = time.monotonic()
    proc = subprocess.Popen([sys.executable, "-m", "assembler", "check", str(edl), "-o", str(work / "cli.mp4")],
                            cwd=work, stdout=subprocess.PIPE, stderr=subprocess.PIPE, preexec_fn=_limit)
    try:
        out, err = proc.communicate(timeout=TIMEOUT + 5)
        timed_out = False
    except subprocess.TimeoutExpired:
        with_kill(proc.pid)
        out, err = proc.communicate()
        timed_out = True
    return {"code": proc.returncode, "timeout": timed_out, "seconds": time.monotonic() - started,
            "stdout": out.decode("utf-8", "replace"), "stderr": err.decode("utf-8", "replace")}


_PROBLEM = re.compile(r"^(?P<file>.+?):(?P<line>\d+):")
_SOURCE = re.compile(r'File "[^"]+\.py", line \d+|/site-packages/(?!imageio_ffmpeg/binaries/|noto_cjk_sans_otc/)|/assembler/\w+\.py\b')


def judge(result: dict, edl: Path, text: str) -> list[str]:
    """What went wrong in one run: signatures, empty when it held."""
    found = []
    output = result["stdout"] + result["stderr"]
    if result["timeout"]:
        found.append("timeout")
    elif result["code"] == 99 or "MemoryError" in output:
        found.append("memory")
    elif result["code"] not in (0, 2):
        found.append(f"exit-{result['code']}")
    tb = re.findall(r"^(\w+(?:\.\w+)*(?:Error|Exception|Warning|Exit)\b.*)$", result["stderr"], re.M)
    if "Traceback" in output:
        last = tb[-1][:60] if tb else "?"
        where = re.findall(r'File "([^"]+)", line (\d+), in (\w+)', output)
        at = f"{Path(where[-1][0]).name}:{where[-1][2]}" if where else "?"
        found.append(f"traceback {re.sub(r'[0-9]+', 'N', last.split(':')[0])} at {at}")
    elif _SOURCE.search(output):
        found.append("python-source-path")
    if result["code"] == 2 and not result["timeout"]:
        for line in result["stderr"].splitlines():
            if not line.strip() or line.startswith(("error: ", "dry run: ", "contact sheet: ")) or \
                    re.match(r"^\d+ errors?; ", line):
                continue
            if not _PROBLEM.match(line):
                found.append("problem-without-line" if line.startswith(str(edl)) else "line-without-file-line")
                break
    # A mutation may put a character no one sees (a BOM, a zero-width space) inside the
    # markup-like text: printed literally, it still parts `[bold red on blue]` in two.
    plain = re.sub("[\u200b-\u200f\u2060-\u2064\ufeff]", "", output.replace("\\", ""))
    for core, whole in CORES.items():
        head, tail = (part.replace("\\", "") for part in whole.split(core))
        for match in re.finditer(re.escape(core), plain):
            if whole not in text:
                break
            before = plain[max(0, match.start() - len(head)):match.start()]
            after = plain[match.end():match.end() + len(tail)]
            if before != head or not (after == tail or "\u2026" in after or "..." in after):
                found.append(f"markup-read {whole}")
                break
    try:  # JSON's escapes (\ud83c\udfac) are the characters they name
        given = text + json.dumps(json.loads(text), ensure_ascii=False).encode("utf-16", "surrogatepass").decode("utf-16")
    except (ValueError, UnicodeError, RecursionError):
        given = text
    emoji = set(EMOJI.findall(output)) - set(EMOJI.findall(given))
    if emoji:
        found.append("emoji-drawn")
    return found


def campaign(args) -> dict:
    __import__("assembler.cli")  # imported once, before the children are forked

    out = Path(args.out).resolve()
    media = Media(out / "media-root")
    rng = random.Random(args.seed)
    buckets: dict[str, list[int]] = {}
    modes = ["check", "dry", "lib"]
    started = time.monotonic()
    total_runs = shown = 0
    running: dict[int, tuple] = {}
    cases = [generate(rng, media) for _ in range(args.cases)]
    queue = [(k, mode) for k in range(len(cases)) for mode in modes]
    queue += [(k, "command") for k in range(0, len(cases), args.cli_every)] if args.cli_every else []
    results: dict[tuple, dict] = {}

    def start(k: int, mode: str) -> None:
        suffix, text = cases[k]
        work = media.folder / f"case{k % 64}_{mode}"
        if work.exists():
            subprocess.run(["rm", "-rf", str(work)], check=False)
        work.mkdir()
        (work / "media").symlink_to(media.folder / "media")
        edl = work / f"ep{suffix}"
        edl.write_text(text, encoding="utf-8", errors="surrogatepass")
        if mode == "command":
            results[(k, mode)] = (run_command(edl, work), edl, work)
            return
        pid = os.fork()
        if pid == 0:
            try:
                result = run_forked(mode, edl, work)
                (work / "result.json").write_text(json.dumps(result))
            finally:
                os._exit(0)
        running[pid] = (k, mode, edl, work)

    def finish(pid: int) -> None:
        k, mode, edl, work = running.pop(pid)
        try:
            result = json.loads((work / "result.json").read_text())
        except (OSError, ValueError):
            result = {"code": None, "timeout": False, "seconds": 0, "stdout": "", "stderr": "lost"}
        results[(k, mode)] = (result, edl, work)

    while queue or running:
        while queue and len(running) < args.jobs:
            k, mode = queue.pop(0)
            start(k, mode)
            for key in [key for key in results]:
                report(key, results.pop(key), cases, buckets, out)
                total_runs += 1
        if running:
            pid, _ = os.wait()
            if pid in running:
                finish(pid)
        for key in [key for key in results]:
            report(key, results.pop(key), cases, buckets, out)
            total_runs += 1
        if total_runs // 300 > shown:
            shown = total_runs // 300
            print(f"{total_runs} runs, {time.monotonic() - started:.0f} s, {len(buckets)} buckets", flush=True)
    summary = {"cases": len(cases), "runs": total_runs, "seconds": round(time.monotonic() - started),
               "buckets": {name: {"count": len(ks), "first": ks[:5]} for name, ks in sorted(buckets.items())}}
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    return summary


def report(key, found, cases, buckets, out: Path) -> None:
    (k, mode), (result, edl, _) = key, found
    suffix, text = cases[k]
    for signature in judge(result, edl, text):
        name = f"{mode}: {signature}"
        buckets.setdefault(name, []).append(k)
        folder = out / "failures" / hashlib.sha1(name.encode()).hexdigest()[:10]
        if len(buckets[name]) <= 3:
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "signature.txt").write_text(name + "\n")
            (folder / f"case{k}{suffix}").write_text(text, encoding="utf-8", errors="surrogatepass")
            (folder / f"case{k}.printed").write_text(f"exit {result['code']} in {result['seconds']:.1f} s\n--- stdout\n"
                                                     f"{result['stdout'][-4000:]}\n--- stderr\n{result['stderr'][-6000:]}",
                                                     errors="replace")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cli-every", type=int, default=50, help="run the real command on every N-th case (0: never)")
    parser.add_argument("--out", default="/tmp/assembler-fuzz")
    summary = campaign(parser.parse_args())
    print(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
