"""Many sounds, few files per process: the episode's sound is mixed from its sources in
windows of the timeline that each open a handful of files, and the windows join into
exactly the mix one big job makes."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import assembler
from assembler import plan
from assembler.compile.jobs import compile_mix, compile_stem
from conftest import write_edl
from media_tools import _pcm, make_tone_wav

CUES = 14
STEP = 0.22  # cues overlap their neighbours: windows must cut between overlapping sounds


def cue_freq(k: int) -> int:
    return 1100 + 150 * k


@pytest.fixture(scope="module")
def tones(tmp_path_factory):
    d = tmp_path_factory.mktemp("tones")
    make_tone_wav(d / "bed.wav", freq=220, duration=1.3, channels=2)
    for k in range(CUES):
        make_tone_wav(d / f"cue{k}.wav", freq=cue_freq(k), duration=0.3, sample_rate=44100 if k % 2 else 48000)
    return d


def busy_episode(media, tones, **output) -> dict:
    cues = [{"file": str(tones / f"cue{k}.wav"), "start": round(0.1 + STEP * k, 3), "role": "sfx", "volume": -6}
            for k in range(CUES)]
    # A looping bed under everything crosses every window's edge.
    bed = {"file": str(tones / "bed.wav"), "role": "music", "volume": -12, "loop": True, "fade_in": 0.3}
    return {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}, **output},
            "video": [{"clip": str(media / "red.mp4")}, {"transition": "fade"}, {"clip": str(media / "green.mp4")}],
            "audio": [bed, *cues]}


def band_db(x: np.ndarray, rate: int, t: float, window: float, freq: float) -> float:
    part = x[int(t * rate):int((t + window) * rate)].mean(axis=1).astype(np.float64)
    spectrum = np.abs(np.fft.rfft(part * np.hanning(len(part)))) / (len(part) / 4)
    freqs = np.fft.rfftfreq(len(part), 1 / rate)
    band = spectrum[(freqs > freq - 15) & (freqs < freq + 15)]
    return 20 * math.log10(max(float(np.sqrt((band ** 2).sum())), 1e-9))


def test_windows_tile_the_timeline_and_each_hears_a_handful(media, tones, tmp_path):
    timeline = assembler.check(write_edl(tmp_path, "ep.yaml", busy_episode(media, tones)))
    windows = plan.sound_windows(timeline, voices=True)
    assert len(windows) > 1
    assert windows[0].start == 0 and windows[-1].end == timeline.samples
    assert all(a.end == b.start for a, b in zip(windows, windows[1:]))
    for w in windows:
        cues = [c for c in timeline.sounds if c.start < w.end and c.end > w.start]
        clips = [v for v, p in zip(timeline.voices, timeline.placements) if p.sound and v.start < w.end and v.end > w.start]
        assert w.sources == len(cues) + len(clips) <= plan.MAX_SOUND_INPUTS
        assert len(compile_mix(timeline, w.start, w.end).graph.sources) == w.sources
    for w in plan.sound_windows(timeline, role="other", voices=True):
        assert len(compile_stem(timeline, "other", None, w.start, w.end).graph.sources) <= plan.MAX_SOUND_INPUTS


def test_more_sounds_at_one_instant_than_the_limit_make_one_short_window(media, tones, tmp_path):
    edl = busy_episode(media, tones)
    edl["audio"] = [{"file": str(tones / f"cue{k}.wav"), "start": 1} for k in range(9)]
    timeline = assembler.check(write_edl(tmp_path, "ep.yaml", edl))
    windows = plan.sound_windows(timeline)
    crowded = [w for w in windows if w.sources > plan.MAX_SOUND_INPUTS]
    assert [(w.start, w.end, w.sources) for w in crowded] == [(48000, 48000 + 14400, 9)]  # 0.3 s at 1 s


@pytest.mark.parametrize("loudness", [None, -18])
def test_windowed_mix_is_the_one_job_mix(media, tones, tmp_path, monkeypatch, loudness):
    edl = busy_episode(media, tones, loudness=loudness)
    path = write_edl(tmp_path, "ep.yaml", edl)
    windowed = assembler.render(path, tmp_path / "windowed.mp4", cache=False)
    windows = json.loads(windowed.receipt.read_text())["sound"]["windows"]
    assert len(windows) > 1 and all(sources <= plan.MAX_SOUND_INPUTS for _, _, sources in windows)
    monkeypatch.setattr(plan, "MAX_SOUND_INPUTS", 100)
    whole = assembler.render(path, tmp_path / "whole.mp4", cache=False)
    assert len(json.loads(whole.receipt.read_text())["sound"]["windows"]) == 1
    a, rate = _pcm(windowed.path)
    b, _ = _pcm(whole.path)
    assert a.shape == b.shape
    # Only sounding cues add to a sample, in the same order: the same float sums, the same AAC.
    assert float(np.abs(a - b).max()) < 1e-6
    for k in range(CUES):
        t = 0.1 + STEP * k
        assert band_db(a, rate, t + 0.05, 0.2, cue_freq(k)) > -40 > band_db(a, rate, t + 0.4, 0.2, cue_freq(k)), k


def test_stems_in_windows_are_the_one_job_stems(media, tones, tmp_path, monkeypatch):
    edl = busy_episode(media, tones, stems=True)
    path = write_edl(tmp_path, "ep.yaml", edl)
    assembler.render(path, tmp_path / "windowed.mp4", cache=False)
    monkeypatch.setattr(plan, "MAX_SOUND_INPUTS", 100)
    assembler.render(path, tmp_path / "whole.mp4", cache=False)
    for role in ("sfx", "music", "other"):
        a, rate = _pcm(tmp_path / f"windowed.{role}.wav")
        b, _ = _pcm(tmp_path / f"whole.{role}.wav")
        assert a.shape == b.shape and np.array_equal(a, b), role
    a, rate = _pcm(tmp_path / "windowed.sfx.wav")
    assert band_db(a, rate, 0.1 + STEP * 5 + 0.05, 0.2, cue_freq(5)) > -40
