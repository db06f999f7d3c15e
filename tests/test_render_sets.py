"""A render writes a set of files (the output, its receipt, the sidecar subtitles, the
stems): the next render removes what a killed one left of any of them, concurrent renders
into one output leave one render's whole set, a signal while the stems are written leaves
the previous set, and a render killed mid-segment leaves nothing in a shared cache."""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import assembler
from conftest import write_edl
from media_tools import make_clip, make_tone_wav, mean_color

COLOURS = {"red": (255, 0, 0), "blue": (0, 0, 255)}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def episode(folder: Path, colour: str, card: float = 0) -> dict:
    """A clip of ``colour`` with its tone as dialogue, then a card of it for ``card``
    seconds, music under it all, a cue naming the colour in a sidecar, and stems."""
    clip, music = folder / f"{colour}.mp4", folder / f"{colour} bed {card}.wav"
    if not clip.exists():
        make_clip(clip, color=colour, duration=0.6, tone=440 if colour == "red" else 880)
    if not music.exists():
        make_tone_wav(music, freq=220 if colour == "red" else 330, duration=0.6 + card, channels=2)
    return {"version": 1, "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}, "stems": True},
            "video": [{"clip": clip.name, "role": "dialogue",
                       "subtitles": [{"start": 0, "end": 0.4, "text": f"this is {colour}"}]},
                      *([{"color": colour, "duration": card}] if card else [])],
            "audio": [{"file": music.name, "role": "music", "volume": -6}],
            "subtitles": {"sidecar": True}}


def the_set(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.parent.iterdir())
            if p.is_file() and p.name.startswith(out.stem + ".")}


def hidden(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.name.startswith(".") and p.name != ".assembler-cache")


def _dead_pid() -> int:
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no process has now
    return dead.pid


@pytest.mark.parametrize("stem", ["ep", "e" * 240], ids=["short", "240-byte"])
def test_leftovers_of_every_file_a_render_writes_are_removed_by_the_next(tmp_path, stem):
    path = write_edl(tmp_path, "edl.yaml", episode(tmp_path, "red"))
    out = tmp_path / f"{stem}.mp4"
    written = [out, *(tmp_path / f"{stem}.{end}" for end in ("receipt.json", "srt", "dialogue.wav", "music.wav"))]
    dead, live = _dead_pid(), os.getppid()

    def temporary(final: Path, pid: int, suffix: bool) -> str:
        # As the render names them: shortened to fit 255 bytes, the pid and a token kept whole
        # (the token tells apart files whose shortened names are the same).
        tail = f".{pid}.{written.index(final):08x}.partial{final.suffix if suffix else ''}"
        name = final.stem if suffix else final.name
        return f".{os.fsencode(name)[:254 - len(tail)].decode()}{tail}"

    # ffmpeg's files keep their suffix at the end (the muxer reads it); text files do not.
    leftovers = [temporary(f, dead, f.suffix in (".mp4", ".wav")) for f in written]
    kept = [temporary(f, live, f.suffix in (".mp4", ".wav")) for f in written]  # still being written
    if stem == "ep":  # (a long name's would pass 255 bytes)
        kept += [f".ep.v2.{dead}.0123abcd.partial.mp4",  # another output, whose name starts like this one's
                 f".ep.srt.{dead}.0123abcd.partial.txt", ".ep.mp4.notes"]  # not names a render gives
    for name in [*leftovers, *kept]:
        (tmp_path / name).write_bytes(b"x")
    assembler.render(path, out, cache=tmp_path / "c")
    assert hidden(tmp_path) == sorted(kept)
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(stem + ".")) == \
        sorted(f.name for f in written)


def test_concurrent_renders_of_two_edls_into_one_output_leave_one_renders_whole_set(tmp_path):
    edls = {c: write_edl(tmp_path, f"{c}.yaml", episode(tmp_path, c)) for c in COLOURS}
    out, errors = tmp_path / "ep.mp4", []

    def go(colour: str) -> None:
        try:
            assembler.render(edls[colour], out, cache=tmp_path / f"c-{colour}", jobs=1)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    for colour in COLOURS:  # each cache warm: the renders then race on the files beside the output
        assembler.render(edls[colour], tmp_path / f"warm-{colour}.mp4", cache=tmp_path / f"c-{colour}")
    seen = set()
    for _ in range(4):
        threads = [threading.Thread(target=go, args=(c,)) for c in ("red", "blue", "blue", "red")]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        assert not errors
        receipt = json.loads((tmp_path / "ep.receipt.json").read_text())
        described = Path(receipt["edl"]["path"]).stem
        seen.add(described)
        assert receipt["output"]["sha256"] == sha(out)
        beside = {Path(f["path"]).name: f["sha256"] for f in receipt["beside"]}
        assert sorted(beside) == ["ep.dialogue.wav", "ep.music.wav", "ep.srt"]
        assert all(sha(tmp_path / name) == digest for name, digest in beside.items())
        assert f"this is {described}" in (tmp_path / "ep.srt").read_text(encoding="utf-8")
        shown = mean_color(out, 0.2)
        assert max(abs(a - b) for a, b in zip(shown, COLOURS[described])) < 40, (described, shown)
    assert hidden(tmp_path) == []


def _render(edl: Path, out: Path, *options: str, **popen) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "assembler", "render", str(edl), "-o", str(out), *options],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen)


@pytest.mark.parametrize("sent, code", [(signal.SIGTERM, 143), (signal.SIGINT, 130)], ids=["sigterm", "ctrl-c"])
def test_a_signal_while_the_stems_are_written_leaves_the_previous_set(tmp_path, sent, code):
    out, cache = tmp_path / "ep.mp4", tmp_path / "c"
    assembler.render(write_edl(tmp_path, "old.yaml", episode(tmp_path, "red")), out, cache=cache)
    before = the_set(out)
    assert sorted(before) == ["ep.dialogue.wav", "ep.mp4", "ep.music.wav", "ep.receipt.json", "ep.srt"]
    # A long episode makes its stems long to write; its pictures and sound are in the cache already.
    new = write_edl(tmp_path, "new.yaml", episode(tmp_path, "blue", card=60))
    assembler.render(new, tmp_path / "warm.mp4", cache=cache)
    proc = _render(new, out, "--cache", str(cache))
    deadline = time.monotonic() + 60
    while not list(tmp_path.glob(".ep.*.partial.wav")) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.005)
    assert list(tmp_path.glob(".ep.*.partial.wav")), "the render never wrote a stem"
    os.kill(proc.pid, sent)
    _, stderr = proc.communicate(timeout=30)
    assert (proc.returncode, "Traceback" in stderr) == (code, False), stderr
    assert the_set(out) == before
    assert hidden(tmp_path) == []


def _partials(cache, pid: int) -> list:
    try:
        return list(cache.glob(f"tmp/*/.video.{pid}.*.partial.mp4"))
    except OSError:  # the other render's scratch folder went away while it was listed
        return []


def test_a_render_killed_mid_segment_leaves_a_shared_cache_that_renders_the_clean_bytes(tmp_path):
    items = [{"color": c, "duration": 2} for c in ("red", "green", "blue", "white")]
    edl = {"version": 1, "output": {"size": "640x360", "fps": 25, "video": {"preset": "veryslow"}}, "video": items}
    path, cache = write_edl(tmp_path, "ep.yaml", edl), tmp_path / "shared"
    killed = _render(path, tmp_path / "killed.mp4", "--cache", str(cache), "--jobs", "1", start_new_session=True)
    other = _render(path, tmp_path / "other.mp4", "--cache", str(cache), "--jobs", "1")
    # The first is killed while its ffmpeg writes a segment into the cache (its pid is in the name).
    deadline = time.monotonic() + 60
    while not (half := _partials(cache, killed.pid)) and time.monotonic() < deadline:
        time.sleep(0.005)
    assert half, "the first render never started a segment"
    os.killpg(killed.pid, signal.SIGKILL)  # the render and its ffmpeg, as the OOM killer or `kill -9` of a job
    killed.communicate(timeout=30)
    assert all(p.exists() for p in half), "killed after its segment was done, not in the middle of it"
    _, stderr = other.communicate(timeout=300)
    assert other.returncode == 0, stderr
    assert not (tmp_path / "killed.mp4").exists()
    again = assembler.render(path, tmp_path / "again.mp4", cache=cache)
    assert again.rendered == 0  # every segment from the shared cache
    clean = assembler.render(path, tmp_path / "clean.mp4", cache=False)
    assert clean.rendered == 4
    assert sha(tmp_path / "again.mp4") == sha(tmp_path / "clean.mp4") == sha(tmp_path / "other.mp4")
