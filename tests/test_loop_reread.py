"""A long looped bed is never held in memory: one that is lossy, at another rate or looped
from an in-point has its looped part decoded once into a lossless copy in the cache, read
again each time round; it sounds exactly as the held loop (``aloop``) did. (The memory
itself: ``python tests/measure_loop_rss.py``.)"""

from __future__ import annotations

import os
import subprocess

import numpy as np
import pytest

import assembler
import assembler.run.cache
from assembler.compile import mix
from conftest import write_edl
from media_tools import BITEXACT, _pcm, run_ffmpeg

OUTPUT = {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}}
CODECS = {"mp3": "libmp3lame", "m4a": "aac", "wav": "pcm_s16le", "opus": "libopus"}


def noise_bed(path, rate: int = 48000, seconds: float = 1.5):
    """Pink noise: a sample out of place anywhere would show."""
    run_ffmpeg("-f", "lavfi", "-i", f"anoisesrc=d={seconds}:c=pink:r={rate}:seed=7:a=0.3", "-ac", "2",
               "-c:a", CODECS[path.suffix[1:]], *BITEXACT, str(path))
    return path


def bed_edl(folder, bed, seconds: float = 5, name: str = "bed.yaml", **sound):
    return write_edl(folder, name, {"version": 1, "output": dict(OUTPUT), "video": [
        {"color": "black", "duration": seconds}], "audio": [{"file": str(bed), "loop": True, **sound}]})


@pytest.mark.parametrize("kind, rate, start", [("mp3", 48000, 0), ("m4a", 48000, 0), ("wav", 44100, 0),
                                               ("wav", 48000, 0.3), ("opus", 48000, 0.2)])
def test_a_long_loop_read_again_from_its_copy_sounds_as_the_held_loop_did(tmp_path, monkeypatch, kind, rate, start):
    bed = noise_bed(tmp_path / f"bed.{kind}", rate)
    edl = bed_edl(tmp_path, bed, **({"in": start} if start else {}))
    heard = {}
    for held, name in ((10 ** 9, "held"), (0.5, "again")):  # the 1.5 s bed counts as long under 0.5 s
        monkeypatch.setattr(mix, "_HELD_LOOP", held)
        plan = assembler.dry_run(edl, tmp_path / f"{name}.mp4", cache=False, folder=tmp_path / f"dry-{name}")
        assert ("aloop" in plan.text) == (name == "held")
        assert ("decoded once, read again each time round" in plan.text) == (name == "again")
        heard[name] = _pcm(assembler.render(edl, tmp_path / f"{name}.mp4", cache=tmp_path / "cache").path)[0]
    assert heard["held"].shape == heard["again"].shape == (5 * 48000, 2)
    assert np.abs(heard["held"][: 48000]).max() > 0.05  # the bed is there
    assert np.abs(heard["held"][-48000:]).max() > 0.05  # and still, three times round
    # The copy holds the very float samples aloop held: the mixes, and so the encoded sounds, are the same.
    assert np.array_equal(heard["held"], heard["again"])


def test_the_copy_is_made_once_verified_and_rebuilt_when_damaged(tmp_path, monkeypatch):
    monkeypatch.setattr(mix, "_HELD_LOOP", 0.5)
    bed = noise_bed(tmp_path / "bed.mp3")
    cache = tmp_path / "cache"
    first = assembler.render(bed_edl(tmp_path, bed), tmp_path / "a.mp4", cache=cache)
    copies = list(cache.glob("segments/*/*/loop.wav"))
    assert len(copies) == 1
    assert dict(assembler.run.cache.Cache(cache).info().kinds)["loop"] == 1
    made = copies[0].stat().st_mtime_ns
    # Another mix of the same bed (quieter) reads the same copy: it is not made again.
    quieter = bed_edl(tmp_path, bed, name="quiet.yaml", volume=-6)
    assembler.render(quieter, tmp_path / "b.mp4", cache=cache)
    assert list(cache.glob("segments/*/*/loop.wav")) == copies and copies[0].stat().st_mtime_ns == made
    # A copy damaged in the cache is not trusted: it is made again, and the sound is as a clean render's.
    data = bytearray(copies[0].read_bytes())
    data[len(data) // 2: len(data) // 2 + 4000] = bytes(4000)
    copies[0].write_bytes(bytes(data))
    louder = bed_edl(tmp_path, bed, name="loud.yaml", volume=-3)
    damaged = assembler.render(louder, tmp_path / "c.mp4", cache=cache)
    clean = assembler.render(louder, tmp_path / "clean.mp4", cache=False)
    assert damaged.path.read_bytes() == clean.path.read_bytes()
    assert (tmp_path / "a.mp4").read_bytes() == assembler.render(bed_edl(tmp_path, bed), tmp_path / "a2.mp4",
                                                                 cache=False).path.read_bytes()
    assert first.path.exists()


def test_stems_read_the_copy_too(tmp_path, monkeypatch):
    monkeypatch.setattr(mix, "_HELD_LOOP", 0.5)
    bed = noise_bed(tmp_path / "bed.m4a")
    edl = write_edl(tmp_path, "stems.yaml", {"version": 1, "output": {**OUTPUT, "stems": True}, "video": [
        {"color": "black", "duration": 4}], "audio": [{"file": str(bed), "loop": True, "role": "music"}]})
    plan = assembler.dry_run(edl, tmp_path / "s.mp4", cache=False, folder=tmp_path / "dry")
    assert "aloop" not in plan.text
    out = assembler.render(edl, tmp_path / "s.mp4", cache=tmp_path / "cache").path
    stem = _pcm(tmp_path / "s.music.wav")[0]
    monkeypatch.setattr(mix, "_HELD_LOOP", 10 ** 9)
    assembler.render(edl, tmp_path / "h.mp4", cache=tmp_path / "cache")
    held = _pcm(tmp_path / "h.music.wav")[0]
    assert stem.shape == held.shape == (4 * 48000, 2) and np.abs(stem[-48000:]).max() > 0.05
    assert np.array_equal(stem, held)
    assert out.exists()


def test_a_loop_that_never_wraps_is_not_held_and_sounds_as_the_bed_unlooped(tmp_path):
    # 3 s of bed under 2 s: loop: true changes nothing, and nothing holds what passes through.
    bed = noise_bed(tmp_path / "bed.mp3", seconds=3)
    looped = bed_edl(tmp_path, bed, seconds=2)
    plan = assembler.dry_run(looped, tmp_path / "l.mp4", cache=False, folder=tmp_path / "dry")
    assert "aloop" not in plan.text and "-stream_loop" not in plan.text
    once = write_edl(tmp_path, "once.yaml", {"version": 1, "output": dict(OUTPUT), "video": [
        {"color": "black", "duration": 2}], "audio": [{"file": str(bed)}]})
    a = _pcm(assembler.render(looped, tmp_path / "l.mp4", cache=False).path)[0]
    b = _pcm(assembler.render(once, tmp_path / "o.mp4", cache=False).path)[0]
    assert a.shape == b.shape == (2 * 48000, 2) and np.abs(a).max() > 0.05
    assert np.array_equal(a, b)


def test_the_one_graph_render_reads_a_copy_too(tmp_path, monkeypatch):
    bed = noise_bed(tmp_path / "bed.mp3")
    edl = bed_edl(tmp_path, bed, seconds=4)
    heard = {}
    for held, name in ((10 ** 9, "held"), (0.5, "again")):
        monkeypatch.setattr(mix, "_HELD_LOOP", held)
        plan = assembler.dry_run(edl, tmp_path / f"{name}.mp4", single=True, folder=tmp_path / f"dry-{name}")
        assert ("aloop" in plan.text) == (name == "held")
        assert ("decoded once, read again each time round" in plan.text) == (name == "again")
        heard[name] = _pcm(assembler.render(edl, tmp_path / f"{name}.mp4", single=True).path)[0]
    assert heard["held"].shape == (4 * 48000, 2) and np.abs(heard["held"][-48000:]).max() > 0.05
    assert np.array_equal(heard["held"], heard["again"])


@pytest.mark.parametrize("single", [False, True])
def test_a_dry_runs_script_makes_the_copy_and_the_render_byte_for_byte(tmp_path, monkeypatch, single):
    monkeypatch.setattr(mix, "_HELD_LOOP", 0.5)
    bed = noise_bed(tmp_path / "bed.m4a")
    edl = write_edl(tmp_path, "bed.yaml", {"version": 1, "output": {**OUTPUT, "loudness": -20, "stems": True},
                                           "video": [{"color": "black", "duration": 4}],
                                           "audio": [{"file": str(bed), "loop": True, "in": 0.2}]})
    plan = assembler.dry_run(edl, tmp_path / "out.mp4", cache=False, folder=tmp_path / "dry", single=single)
    done = subprocess.run(["sh", os.fspath(plan.script)], cwd="/", capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert list((tmp_path / "dry").rglob("loop0.wav"))
    rendered = assembler.render(edl, tmp_path / "out.mp4", cache=False, single=single).path
    assert (tmp_path / "dry" / "out.mp4").read_bytes() == rendered.read_bytes()
    assert (tmp_path / "dry" / "out.other.wav").read_bytes() == (tmp_path / "out.other.wav").read_bytes()
