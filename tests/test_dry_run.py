"""A dry run that runs: every printed command, pasted into a shell as printed, makes the
file the render makes, byte for byte; the dry run itself encodes nothing and leaves the
cache alone."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

import assembler
from conftest import write_edl
from media_tools import BITEXACT, make_clip, make_tone_wav, run_ffmpeg

RED_CUE = "over red: [0:v:0] :a: 50%"


def cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assembler", *args], capture_output=True, text=True)


@pytest.fixture()
def episode(media, tmp_path) -> Path:
    """Several clips, a transition, burned and soft subtitles, chapters, music levelled to a
    loudness target, and stems."""
    make_tone_wav(tmp_path / "music bed.wav", freq=220, duration=1.5, channels=2)
    (tmp_path / "subs.srt").write_text("1\n00:00:02,000 --> 00:00:02,800\nover green\n", encoding="utf-8")
    edl = {"version": 1,
           "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}, "loudness": -18, "stems": True},
           "video": [{"clip": str(media / "red.mp4"), "out": 1.5, "role": "dialogue",
                      "subtitles": [{"start": 0.2, "end": 1.0, "text": RED_CUE}]},
                     {"transition": "wipeleft", "duration": 0.4},
                     {"clip": str(media / "green.mp4"), "in": 0.5},
                     {"transition": "cut"},
                     {"clip": str(media / "red.mp4"), "out": 1.5, "role": "dialogue"},
                     {"title": "The end", "duration": 0.6}],
           "audio": [{"file": "music bed.wav", "role": "music", "volume": -6, "loop": True}],
           "subtitles": {"file": "subs.srt", "burn": True, "soft": True, "sidecar": True},
           "markers": [{"at": 0, "name": "Open"}, {"at": 2, "name": "Part two"}]}
    return write_edl(tmp_path, "ep.yaml", edl)


def level(printed: str) -> str:
    return re.search(r"the level command below sets ([-+][\d.]+ dB)", printed)[1]


def commands(printed: str) -> list[str]:
    return [line for line in printed.splitlines() if line.strip() and not line.startswith("#")]


def run_as_printed(lines: list[str], cwd: Path) -> None:
    cwd.mkdir(exist_ok=True)
    for line in lines:
        done = subprocess.run(["bash", "-c", line], cwd=cwd, capture_output=True, text=True, env={"PATH": "/usr/bin:/bin"})
        assert done.returncode == 0, f"{line}\n{done.stderr[-2000:]}"


def snapshot(folder: Path) -> dict:
    return {p: (p.stat().st_size, p.stat().st_mtime_ns) for p in folder.rglob("*")}


def test_dry_run_commands_run_as_printed_and_make_the_render_byte_for_byte(episode, tmp_path):
    out, cache = tmp_path / "ep.mp4", tmp_path / "cache"
    done = cli("render", str(episode), "-o", str(out), "--cache", str(cache), "--dry-run")
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "ep.mp4.dryrun"
    assert str(folder) in done.stderr and "run.sh" in done.stderr
    assert "[0:v:0]" in done.stdout and "✌" not in done.stdout  # literally, not rich's emoji
    assert "-/filter_complex" in done.stdout and "xfade=transition=wipeleft" in done.stdout
    assert "measured now, decoding only" in done.stdout and "FONTCONFIG_FILE=" in done.stdout
    assert not out.exists() and not cache.exists()  # nothing encoded, the cache not even made
    lines = commands(done.stdout)
    segments = [s for s in done.stdout.split("\n\n") if s.startswith("# segment:")]
    assert len(segments) >= 4 and all(" not cached" in s for s in segments)
    assert (folder / "run.sh").read_text().endswith(done.stdout)

    run_as_printed(lines, tmp_path / "elsewhere")  # from another folder, with a bare environment
    made = folder / "ep.mp4"
    assert made.exists()

    rendered = cli("render", str(episode), "-o", str(out), "--cache", str(cache), "-q")
    assert rendered.returncode == 0, rendered.stderr
    assert made.read_bytes() == out.read_bytes()
    for name in ("ep.dialogue.wav", "ep.music.wav", "ep.srt"):
        assert (folder / name).read_bytes() == (tmp_path / name).read_bytes(), name

    # Once rendered, everything is cached; a dry run says so, and only reads the cache.
    before, output = snapshot(cache), out.read_bytes()
    plan = assembler.dry_run(episode, out, cache=cache)
    assert snapshot(cache) == before and out.read_bytes() == output
    receipt = json.loads((tmp_path / "ep.receipt.json").read_text())
    keys = [s.key for s in plan.steps if s.what == "segment"]
    assert keys == list(dict.fromkeys(s["key"] for s in receipt["segments"]))
    assert all(s.cached for s in plan.steps if s.key) and receipt["sound"]["key"] in {s.key for s in plan.steps}
    # The level now comes from the cached sound's record: the same as measured before it existed.
    assert plan.level_recorded and level(plan.text) == level(done.stdout)
    assert not made.exists()  # the folder of the earlier dry run was emptied


def test_run_sh_makes_the_render_with_windows_and_a_limiter(media, tmp_path):
    """Ten cues (so the sound is mixed in windows and joined by copy, the stem too) of a
    tone with full-scale spikes raised to a target only a limiter reaches: the level the
    dry run measured without writing anything is the render's, to the byte."""
    run_ffmpeg("-f", "lavfi", "-i", "aevalsrc='0.05*sin(2*PI*440*t)+0.95*lt(mod(t\\,0.25)\\,0.0005)':s=48000:d=0.5",
               "-c:a", "pcm_s16le", *BITEXACT, str(tmp_path / "spiky.wav"))
    edl = {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}, "loudness": -12,
                                    "stems": True},
           "video": [{"clip": str(media / "red.mp4"), "mute": True}, {"transition": "dissolve"},
                     {"color": "navy", "duration": 1.5}],
           "audio": [{"file": "spiky.wav", "role": "sfx", "start": 0.25 * k, "duration": 0.3} for k in range(10)]}
    path = write_edl(tmp_path, "ep.yaml", edl)
    out = tmp_path / "ep.mp4"
    plan = assembler.dry_run(path, out, cache=False)
    assert plan.loudness != plan.first_loudness  # the limiter's correction was measured too
    assert sum(s.title.startswith("sound: mix window") for s in plan.steps) > 1
    assert any("joined by copy" in s.title for s in plan.steps if s.what == "stem")
    assert not out.exists() and not (tmp_path / ".assembler-cache").exists()
    done = subprocess.run(["sh", os.fspath(plan.script)], cwd="/", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr[-2000:]
    result = assembler.render(path, out, cache=tmp_path / "cache")
    assert abs(result.loudness["integrated"] - -12) <= 0.5
    assert plan.made.read_bytes() == out.read_bytes()
    assert (plan.folder / "ep.sfx.wav").read_bytes() == (tmp_path / "ep.sfx.wav").read_bytes()
    again = assembler.dry_run(path, out, cache=tmp_path / "cache")
    assert again.level_recorded and (again.first_loudness, again.loudness) == (plan.first_loudness, plan.loudness)


def test_single_dry_run_runs_as_printed(episode, tmp_path):
    out = tmp_path / "one.mp4"
    done = cli("render", str(episode), "-o", str(out), "--single", "--dry-run-dir", str(tmp_path / "dry"))
    assert done.returncode == 0, done.stderr
    lines = commands(done.stdout)
    assert len([line for line in lines if line.endswith("one.mp4")]) == 1 and "[0:v:0]" in done.stdout
    assert all(line.endswith(".wav") for line in lines if not line.endswith("one.mp4")) and not out.exists()
    run_as_printed(lines, tmp_path / "elsewhere")
    assert cli("render", str(episode), "-o", str(out), "--single", "-q").returncode == 0
    assert (tmp_path / "dry" / "one.mp4").read_bytes() == out.read_bytes()
    # The one graph writes the stems too, at its own gain, as the render does.
    written = sorted(p.name for p in tmp_path.glob("one.*.wav"))
    assert written and len(lines) == 1 + len(written)
    for name in written:
        assert (tmp_path / "dry" / name).read_bytes() == (tmp_path / name).read_bytes()


def test_a_dry_run_never_writes_into_a_folder_that_is_not_its_own(episode, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    (tmp_path / "mine" / "run.sh").write_text("echo mine")  # a script of one's own is no dry run's mark
    done = cli("render", str(episode), "--dry-run-dir", str(tmp_path / "mine"))
    assert done.returncode == 2 and "not an earlier dry run's folder" in done.stderr and "Traceback" not in done.stderr
    assert sorted(p.name for p in (tmp_path / "mine").iterdir()) == ["notes.txt", "run.sh"]
    done = cli("render", str(episode), "--cache", str(tmp_path / "c"), "--dry-run-dir", str(tmp_path / "c" / "dry"))
    assert done.returncode == 2 and "inside the cache" in done.stderr and not (tmp_path / "c").exists()


def test_hostile_names_run_as_printed(tmp_path):
    """Quotes, brackets, %, &, # and ; in folders, files, the output's name and the text."""
    hostile = "we ird: [dir], \"q\" 'x' 50% & #1; $HOME `x` 中文"
    folder = tmp_path / hostile
    folder.mkdir()
    clip = make_clip(folder / "clip, one: [a] 'b' 100% & $x.mp4", color="red", duration=1, tone=660)
    edl = {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}},
           "video": [{"clip": clip.name, "subtitles": [{"start": 0.1, "end": 0.8, "text": "a \\ b {c} 'e' $HOME [0:v:0]"}]},
                     {"transition": "dissolve", "duration": 0.2},
                     {"title": "It's: [a], b; c \\ 50% %{pts} \"q\" $(x)", "duration": 0.6}],
           "subtitles": {"burn": True}}
    path = write_edl(folder, "ép 1: [final] 'v2' $y.yaml", edl)
    out = folder / "out: \"final\" & $z.mp4"
    done = cli("render", str(path), "-o", str(out), "--dry-run")
    assert done.returncode == 0, done.stderr
    run_as_printed(commands(done.stdout), tmp_path / "elsewhere")
    assert cli("render", str(path), "-o", str(out), "-q").returncode == 0
    assert (folder / (out.name + ".dryrun") / out.name).read_bytes() == out.read_bytes()
