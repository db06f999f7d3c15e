"""Sound beside the main track, measured on the output: tones at times (FFT), band levels
for ducking depth and fades, loudness by ffmpeg and by pyloudnorm, clicks at joins."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

import assembler
from assembler.errors import EdlError
from conftest import write_edl
from media_tools import _pcm, dominant_tone, make_tone_wav, rms_db, run_ffmpeg, BITEXACT, count_frames


def band_db(path, t: float, window: float, freq: float) -> float:
    """Level (dBFS) of the ±15 Hz band around ``freq`` in [t, t+window)."""
    x, rate = _pcm(path, t, window)
    mono = x.mean(axis=1).astype(np.float64) * np.hanning(len(x))
    spectrum = np.abs(np.fft.rfft(mono)) / (len(mono) / 4)
    freqs = np.fft.rfftfreq(len(mono), 1 / rate)
    band = spectrum[(freqs > freq - 15) & (freqs < freq + 15)]
    return 20 * math.log10(max(float(np.sqrt((band ** 2).sum())), 1e-9))


@pytest.fixture(scope="module")
def sounds(tmp_path_factory):
    d = tmp_path_factory.mktemp("sounds")
    make_tone_wav(d / "bed 220.wav", freq=220, duration=3, channels=2)
    make_tone_wav(d / "vo 1000.wav", freq=1000, duration=1.5, channels=1, sample_rate=44100)
    make_tone_wav(d / "short 880.wav", freq=880, duration=1.5, channels=1)
    run_ffmpeg("-f", "lavfi", "-i", "sine=f=660:d=2:sample_rate=48000", "-af", "pan=5.1|c0=c0|c1=c0|c2=c0|c3=c0|c4=c0|c5=c0",
               "-c:a", "aac", *BITEXACT, str(d / "surround 660.m4a"))
    # Quiet tone with full-scale spikes: raising it to a loudness target needs the limiter.
    run_ffmpeg("-f", "lavfi", "-i", "aevalsrc='0.05*sin(2*PI*440*t)+0.95*lt(mod(t\\,0.25)\\,0.0005)':s=48000:d=6",
               "-c:a", "pcm_s16le", *BITEXACT, str(d / "spiky.wav"))
    return d


def episode(video, audio=(), **output):
    return {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}, **output},
            "video": list(video), "audio": list(audio)}


SILENT_4S = [{"color": "black", "duration": 4}]


def render(tmp_path, edl, name="ep", **kwargs):
    path = write_edl(tmp_path, f"{name}.yaml", edl)
    return assembler.render(path, tmp_path / f"{name}.mp4", **kwargs)


def test_a_track_plays_where_and_as_loud_as_it_says(sounds, tmp_path):
    result = render(tmp_path, episode(SILENT_4S, [
        {"file": str(sounds / "short 880.wav"), "start": 1, "in": 0.25, "duration": 1, "volume": -6}]))
    out = result.path
    assert rms_db(out, 0.3, 0.5) < -60
    assert abs(dominant_tone(out, 1.3, 0.3) - 880) < 10
    assert rms_db(out, 2.3, 0.5) < -60  # stopped after its duration
    assert abs(rms_db(out, 1.3, 0.5) - (-21.1 - 6 - 3)) < 1.5  # lavfi sine level, -6 dB, mono into stereo


@pytest.mark.parametrize("start", ["00:00:01.000", "25f", "00:00:01:00", 1])
def test_every_time_notation_places_a_track(sounds, tmp_path, start):
    out = render(tmp_path, episode(SILENT_4S, [{"file": str(sounds / "short 880.wav"), "start": start}])).path
    x, rate = _pcm(out, 0.9, 0.2)
    onset = np.argmax(np.abs(x.mean(axis=1)) > 0.002) / rate + 0.9
    assert abs(onset - 1.0) < 0.006  # within the click fade


def test_without_duration_a_track_stops_at_its_end_or_the_timelines(sounds, tmp_path):
    out = render(tmp_path, episode(SILENT_4S, [{"file": str(sounds / "short 880.wav"), "start": 2},
                                               {"file": str(sounds / "bed 220.wav"), "start": 2.5}])).path
    assert abs(dominant_tone(out, 2.1, 0.3) - 880) < 10
    assert band_db(out, 3.6, 0.3, 880) < -60  # 1.5 s source ended at 3.5 s
    assert rms_db(out, 3.7, 0.25) > -40  # the bed is cut by the timeline's end, not before
    assert abs(assembler.check(tmp_path / "ep.yaml").sounds[1].samples - 1.5 * 48000) < 2


def test_loop_fills_the_timeline(sounds, tmp_path):
    out = render(tmp_path, episode(SILENT_4S, [{"file": str(sounds / "short 880.wav"), "loop": True}])).path
    for t in (0.5, 1.7, 3.2, 3.8):
        assert abs(dominant_tone(out, t, 0.15) - 880) < 10, t


def test_fades_in_and_out(sounds, tmp_path):
    out = render(tmp_path, episode(SILENT_4S, [
        {"file": str(sounds / "bed 220.wav"), "loop": True, "fade_in": 1, "fade_out": 1}])).path
    full = rms_db(out, 2.0, 0.1)
    assert rms_db(out, 0.1, 0.1) < full - 12 and rms_db(out, 3.85, 0.1) < full - 12
    assert rms_db(out, 0.5, 0.1) < full - 3 < rms_db(out, 0.5, 0.1) + 10


def test_attached_sound_moves_with_its_clip_and_is_cut_at_its_end(media, sounds, tmp_path):
    def edl(first):
        return episode([{"color": "black", "duration": first},
                        {"clip": str(media / "blue.mp4"), "duration": 1,
                         "audio": [{"file": str(sounds / "vo 1000.wav"), "start": 0.25}]},
                        {"color": "black", "duration": 1}])
    early = render(tmp_path, edl(1), "early").path
    late = render(tmp_path, edl(2), "late").path
    assert abs(dominant_tone(early, 1.4, 0.2) - 1000) < 10 and rms_db(early, 1.0, 0.2) < -60
    assert abs(dominant_tone(late, 2.4, 0.2) - 1000) < 10 and rms_db(late, 2.0, 0.2) < -60
    assert rms_db(late, 3.05, 0.3) < -60  # 1.5 s of voice cut where its 1 s clip ends


def test_ducking_lowers_the_bed_by_its_amount_and_recovers(sounds, tmp_path):
    out = render(tmp_path, episode([{"color": "black", "duration": 6}], [
        {"file": str(sounds / "bed 220.wav"), "role": "music", "loop": True, "volume": -6,
         "duck": {"under": "dialogue", "amount": -12, "attack": 0.1, "release": 0.3}},
        {"file": str(sounds / "vo 1000.wav"), "role": "dialogue", "start": 2}])).path
    before, during, after = band_db(out, 1.0, 0.5, 220), band_db(out, 2.7, 0.5, 220), band_db(out, 4.8, 0.5, 220)
    assert abs((before - during) - 12) < 3
    assert abs(after - before) < 1
    assert abs(dominant_tone(out, 2.7, 0.3) - 1000) < 10


def test_ducking_under_clip_sound_with_a_role(media, sounds, tmp_path):
    out = render(tmp_path, episode([{"color": "black", "duration": 1.5},
                                    {"clip": str(media / "red.mp4"), "out": 1.5, "role": "dialogue"},
                                    {"color": "black", "duration": 2}], [
        {"file": str(sounds / "bed 220.wav"), "loop": True, "role": "music",
         "duck": {"under": "dialogue", "amount": -10, "attack": 0.05, "release": 0.1}}])).path
    assert abs((band_db(out, 0.5, 0.5, 220) - band_db(out, 2.2, 0.5, 220)) - 10) < 3


def test_no_click_at_a_hard_cut(media, sounds, tmp_path):
    out = render(tmp_path, episode([{"clip": str(media / "red.mp4"), "in": 0.013, "out": 1},
                                    {"clip": str(media / "green.mp4"), "in": 0.31, "out": 1.3}])).path
    x, rate = _pcm(out, 0.0, 2.0)
    mono = x.mean(axis=1)
    steps = np.abs(np.diff(mono))
    cut = rate  # the edit at 1 s
    at_join = steps[cut - 480:cut + 480].max()
    own = max(steps[int(0.2 * rate):int(0.8 * rate)].max(), steps[int(1.2 * rate):int(1.8 * rate)].max())
    assert at_join <= own * 1.05


def test_mono_44k_and_surround_sources_mix(media, sounds, tmp_path):
    out = render(tmp_path, episode([{"clip": str(media / "green.mp4"), "out": 1.5},  # mono 44.1 kHz
                                    {"clip": str(media / "yellow.mov"), "out": 1.5}],  # 5.1
                                   [{"file": str(sounds / "surround 660.m4a"), "start": 1.6, "volume": -10},
                                    {"file": str(sounds / "vo 1000.wav"), "start": 0.2}])).path
    assert abs(dominant_tone(out, 0.5, 0.2) - 1000) < 10 or abs(dominant_tone(out, 0.5, 0.2) - 660) < 10
    assert band_db(out, 2.0, 0.3, 660) > -40 and band_db(out, 2.0, 0.3, 1320) > -40


def _integrated(path) -> tuple[float, float]:
    import pyloudnorm
    x, rate = _pcm(path)
    return pyloudnorm.Meter(rate).integrated_loudness(x.astype(np.float64)), 20 * math.log10(np.abs(x).max())


@pytest.mark.parametrize("source, target", [("bed 220.wav", -16), ("spiky.wav", -12)])
def test_loudness_reaches_the_target_with_peaks_below_the_ceiling(sounds, tmp_path, source, target):
    result = render(tmp_path, episode([{"color": "black", "duration": 6}],
                                      [{"file": str(sounds / source), "loop": True}], loudness=target))
    assert abs(result.loudness["integrated"] - target) <= 0.5
    assert result.loudness["true_peak"] <= -1.0
    second_opinion, sample_peak = _integrated(result.path)
    assert abs(second_opinion - target) <= 0.5 and sample_peak <= -1.0


def test_the_cli_reports_the_loudness(sounds, tmp_path):
    path = write_edl(tmp_path, "ep.yaml", episode([{"color": "black", "duration": 3}],
                                                  [{"file": str(sounds / "bed 220.wav")}], loudness=-20))
    done = subprocess.run([sys.executable, "-m", "assembler", "render", str(path), "-q"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert "LUFS" in done.stderr and "dBTP" in done.stderr


def test_changing_a_music_cue_renders_the_sound_not_the_picture(media, sounds, tmp_path):
    edl = episode([{"clip": str(media / "red.mp4")}, {"transition": "fade"}, {"clip": str(media / "green.mp4")}],
                  [{"file": str(sounds / "bed 220.wav"), "volume": -10}])
    cache = tmp_path / "c"
    first = render(tmp_path, edl, "first", cache=cache)
    edl["audio"][0]["volume"] = -4
    second = render(tmp_path, edl, "second", cache=cache)
    receipt = json.loads(second.receipt.read_text())
    assert first.rendered > 0 and second.rendered == 0 and receipt["sound"]["rendered_now"]
    assert band_db(second.path, 0.5, 0.4, 220) - band_db(first.path, 0.5, 0.4, 220) == pytest.approx(6, abs=1)


def test_diff_names_a_changed_track_and_the_sound_not_the_picture(media, sounds, tmp_path):
    edl = episode([{"clip": str(media / "red.mp4")}, {"transition": "fade"}, {"clip": str(media / "green.mp4")}],
                  [{"file": str(sounds / "bed 220.wav"), "volume": -10}, {"file": str(sounds / "short 880.wav")}])
    a = write_edl(tmp_path, "a.yaml", edl)
    same = assembler.diff(a, write_edl(tmp_path, "same.yaml", edl))
    assert same.items == () and not same.sound and not same.only_b
    edl["audio"][1]["start"] = 1
    changed = assembler.diff(a, write_edl(tmp_path, "b.yaml", edl))
    receipt = json.loads(render(tmp_path, edl, cache=False).receipt.read_text())
    assert {Path(i["path"]).name for i in receipt["inputs"]} >= {"bed 220.wav", "short 880.wav", "red.mp4"}
    assert len(receipt["sound"]["mix_argv"]) == len(receipt["sound"]["windows"]) >= 1
    assert changed.items == ("audio[1]",) and changed.sound and not changed.only_b and changed.shared == 3


def test_segmented_and_single_graph_sound_alike(media, sounds, tmp_path):
    edl = episode([{"clip": str(media / "red.mp4"), "out": 1.5}, {"transition": "fade"},
                   {"clip": str(media / "green.mp4"), "out": 1.5,
                    "audio": [{"file": str(sounds / "vo 1000.wav"), "start": 0.2}]}],
                  [{"file": str(sounds / "bed 220.wav"), "volume": -12, "role": "music",
                    "duck": {"under": "dialogue", "amount": -10}}], loudness=-18)
    one = render(tmp_path, edl, "one", single=True)
    many = render(tmp_path, edl, "many", cache=False)
    assert count_frames(one.path) == count_frames(many.path)
    assert abs(one.loudness["integrated"] - many.loudness["integrated"]) < 0.3
    for t, f in ((0.5, 440), (1.6, 1000)):
        assert abs(band_db(one.path, t, 0.3, f) - band_db(many.path, t, 0.3, f)) < 1


@pytest.mark.parametrize("audio, field, words, severity", [
    ([{"file": "missing.wav"}], "audio[0].file", "does not exist", "error"),
    ([{"file": "{short}", "start": 9}], "audio[0].start", "past the end", "error"),
    ([{"file": "{short}", "fade_in": 1, "fade_out": 1}], "audio[0].fade_out", "longer than the sound", "error"),
    ([{"file": "{short}", "duration": 5}], "audio[0].duration", "loop: true", "error"),
    ([{"file": "{short}", "duck": {"under": "dialogue"}}], "audio[0].duck", "never ducks", "warning"),
])
def test_sound_problems_are_reported_with_their_lines(sounds, tmp_path, audio, field, words, severity):
    for item in audio:
        item["file"] = item["file"].replace("{short}", str(sounds / "short 880.wav"))
    path = write_edl(tmp_path, "ep.yaml", episode(SILENT_4S, audio))
    try:
        problems = assembler.check(path).warnings
    except EdlError as exc:
        problems = exc.problems
    found = [p for p in problems if p.path == field and words in (p.message + (p.hint or ""))]
    assert found and found[0].severity == severity and found[0].line, problems


def _onset(path, t0: float, window: float, freq: float, threshold_db: float = -40) -> float:
    """When the tone ``freq`` first sounds in [t0, t0+window), to about 10 ms."""
    step = 0.01
    t = t0
    while t < t0 + window:
        if band_db(path, t, 0.02, freq) > threshold_db:
            return t
        t += step
    return math.inf


def jl_episode(media, audio, transition="cut"):
    return episode([{"clip": str(media / "red.mp4"), "out": 1.5},
                    {"transition": {"type": transition, "duration": 0.4 if transition != "cut" else 0}, "audio": audio},
                    {"clip": str(media / "green.mp4"), "in": 0.6, "out": 1.9}])


def test_j_cut_starts_the_next_sound_before_its_picture(media, tmp_path):
    out = render(tmp_path, jl_episode(media, {"lead": 0.5})).path
    assert abs(_onset(out, 0.8, 0.6, 660) - 1.0) <= 1024 / 48000  # 0.5 s before the cut at 1.5 s
    assert abs(dominant_tone(out, 1.2, 0.2) - 660) < 10
    from media_tools import mean_color
    assert mean_color(out, 1.3)[0] > 200  # the picture is still the red clip
    assert band_db(out, 1.2, 0.2, 440) < -50  # the outgoing sound stopped at the audio edit


def test_l_cut_runs_the_outgoing_sound_under_the_next_picture(media, tmp_path):
    out = render(tmp_path, jl_episode(media, {"lag": 0.3})).path
    assert abs(dominant_tone(out, 1.55, 0.2) - 440) < 10
    assert abs(_onset(out, 1.6, 0.5, 660) - 1.8) <= 1024 / 48000
    from media_tools import mean_color
    assert mean_color(out, 1.6)[1] > 100  # green picture already


def test_j_cut_with_a_dissolve_moves_the_cross_fade(media, tmp_path):
    out = render(tmp_path, jl_episode(media, {"lead": 0.4}, "dissolve")).path
    # picture dissolve 1.1..1.5 s; sound cross-fade 0.7..1.1 s
    assert abs(dominant_tone(out, 1.2, 0.2) - 660) < 10
    assert band_db(out, 1.2, 0.2, 440) < -50
    assert abs(dominant_tone(out, 0.3, 0.2) - 440) < 10


def test_j_cut_segmented_and_single_agree(media, tmp_path):
    edl = jl_episode(media, {"lead": 0.5})
    one = render(tmp_path, edl, "one", single=True).path
    many = render(tmp_path, edl, "many", cache=False).path
    for t in (0.5, 1.1, 1.7, 2.4):
        assert abs(band_db(one, t, 0.2, 660) - band_db(many, t, 0.2, 660)) < 1
        assert abs(band_db(one, t, 0.2, 440) - band_db(many, t, 0.2, 440)) < 1


def test_a_lead_without_source_before_the_in_point_is_an_error(media, tmp_path):
    edl = jl_episode(media, {"lead": 0.8})  # green's in-point is 0.6 s
    path = write_edl(tmp_path, "ep.yaml", edl)
    with pytest.raises(EdlError) as info:
        assembler.check(path)
    [problem] = [p for p in info.value.problems if p.severity == "error"]
    assert problem.path == "video[1].audio.lead" and "before its in-point" in problem.message and problem.line


def test_j_cut_into_a_clip_with_attached_sound_then_a_muted_clip(media, sounds, tmp_path):
    edl = episode([{"clip": str(media / "red.mp4"), "out": 1.5},
                   {"transition": "cut", "audio": {"lead": 0.5}},
                   {"clip": str(media / "green.mp4"), "in": 0.6, "out": 1.9,
                    "audio": [{"file": str(sounds / "short 880.wav"), "start": 0.2, "duration": 0.5}]},
                   {"clip": str(media / "yellow.mov"), "out": 1, "mute": True}])
    out = render(tmp_path, edl).path
    assert abs(dominant_tone(out, 1.1, 0.2) - 660) < 10          # J-cut lead
    assert band_db(out, 1.8, 0.2, 880) > -40                     # attached line at 1.5 + 0.2
    assert rms_db(out, 3.1, 0.3) < -60                           # the muted clip is silent


def test_stems_one_wav_per_role_aligned_with_the_output(media, sounds, tmp_path):
    edl = episode([{"clip": str(media / "red.mp4"), "out": 1.5, "role": "dialogue"},
                   {"clip": str(media / "steps.mp4"), "out": 1.5}],
                  [{"file": str(sounds / "bed 220.wav"), "role": "music", "volume": -6},
                   {"file": str(sounds / "short 880.wav"), "role": "sfx", "start": 2}], stems=True, loudness=-18)
    result = render(tmp_path, edl)
    names = sorted(p.name for p in tmp_path.glob("ep.*.wav"))
    assert names == ["ep.dialogue.wav", "ep.music.wav", "ep.other.wav", "ep.sfx.wav"]
    for name in names:
        x, rate = _pcm(tmp_path / name)
        assert abs(len(x) - float(result.duration) * 48000) <= 1, name  # as long as the picture, to the sample
    assert band_db(tmp_path / "ep.dialogue.wav", 0.5, 0.3, 440) > -40 > band_db(tmp_path / "ep.dialogue.wav", 0.5, 0.3, 220)
    assert band_db(tmp_path / "ep.music.wav", 0.5, 0.3, 220) > -40 > band_db(tmp_path / "ep.music.wav", 0.5, 0.3, 440)
    assert rms_db(tmp_path / "ep.sfx.wav", 1.0, 0.5) < -60 and band_db(tmp_path / "ep.sfx.wav", 2.2, 0.3, 880) > -40
    # the stems add up to the mix (same gain): compare a band in the mix with its stem
    assert abs(band_db(result.path, 0.5, 0.3, 220) - band_db(tmp_path / "ep.music.wav", 0.5, 0.3, 220)) < 1
