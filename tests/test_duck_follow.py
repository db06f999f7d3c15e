"""Ducking follows the voice: the music comes back up in the voice's pauses, measured on the
music stem and on the mix (the music's band by FFT); short gaps stay ducked; the
measurement is remembered in the cache and deterministic."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

import assembler
import assembler.run.cache
import assembler.compile.mix
from conftest import write_edl
from media_tools import BITEXACT, make_clip, make_tone_wav, rms_db, run_ffmpeg
from test_sound import _integrated, band_db

MUSIC, VOICE = 220, 1000  # Hz: the bed and the voice, far apart
BED_DB = -6  # the music track's volume
AMOUNT = -12


def voice_wav(path: Path, pause: float, tone: float = 2.0, freq: float = VOICE, amplitude: float = 0.125) -> Path:
    """``tone`` s of a sine at ``amplitude`` peak (1/8: -18 dBFS), ``pause`` s of digital
    silence, ``tone`` s again."""
    end = 2 * tone + pause
    run_ffmpeg("-f", "lavfi", "-i", f"aevalsrc='{amplitude}*sin(2*PI*{freq}*t)*(lt(t,{tone})+gte(t,{tone + pause}))'"
               f":s=48000:d={end}", "-c:a", "pcm_s16le", *BITEXACT, str(path))
    return path


@pytest.fixture(scope="module")
def sounds(tmp_path_factory):
    d = tmp_path_factory.mktemp("duck")
    make_tone_wav(d / "bed.wav", freq=MUSIC, duration=3, channels=2)
    voice_wav(d / "vo pause.wav", pause=4)
    voice_wav(d / "vo short gap.wav", pause=0.5)
    return d


def episode(sounds: Path, voice: str, seconds: float, follow: str | None = None, **duck) -> dict:
    """The voice from 1 s over a looped bed that ducks under dialogue."""
    duck = {"under": "dialogue", "amount": AMOUNT, "attack": 0.2, "release": 0.8, **duck}
    if follow:
        duck["follow"] = follow
    return {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}, "stems": True},
            "video": [{"color": "black", "duration": seconds}],
            "audio": [{"file": str(sounds / "bed.wav"), "role": "music", "loop": True, "volume": BED_DB,
                       "duck": duck},
                      {"file": str(sounds / voice), "role": "dialogue", "start": 1}]}


def render(folder: Path, edl: dict, name: str = "ep", **kwargs) -> Path:
    path = write_edl(folder, f"{name}.yaml", edl)
    return assembler.render(path, folder / f"{name}.mp4", **kwargs).path


def music(path: Path, t: float, window: float = 0.6) -> float:
    return band_db(path, t, window, MUSIC)


def own_level(sounds: Path) -> float:
    return music(sounds / "bed.wav", 0.5) + BED_DB


def test_the_music_comes_back_up_in_a_pause_of_the_voice(sounds, tmp_path):
    out = render(tmp_path, episode(sounds, "vo pause.wav", 11))
    stem = out.with_name("ep.music.wav")
    own = own_level(sounds)
    for heard in (stem, out):
        assert abs(music(heard, 0.2) - own) < 1, heard  # before the voice
        assert abs(music(heard, 1.7) - (own + AMOUNT)) < 1, heard  # under its first line
        assert abs(music(heard, 4.7) - own) < 1, heard  # the middle of its 4 s pause (3..7 s)
        assert abs(music(heard, 7.7) - (own + AMOUNT)) < 1, heard  # under its second line
        assert abs(music(heard, 10.0) - own) < 1, heard  # after it and its release
    assert band_db(out, 4.7, 0.6, VOICE) < -70 < band_db(out, 1.7, 0.6, VOICE)


def test_follow_span_keeps_the_music_down_for_the_whole_item(sounds, tmp_path):
    out = render(tmp_path, episode(sounds, "vo pause.wav", 11, follow="span"))
    own = own_level(sounds)
    for heard in (out.with_name("ep.music.wav"), out):
        assert abs(music(heard, 0.2) - own) < 1, heard
        assert abs(music(heard, 4.7) - (own + AMOUNT)) < 1, heard  # the pause too
        assert abs(music(heard, 10.0) - own) < 1, heard


def test_a_gap_shorter_than_attack_and_release_stays_ducked(sounds, tmp_path):
    # The voice: 1..3 s, quiet 3..3.5 s (long enough to be a pause of the source), 3.5..5.5 s.
    out = render(tmp_path, episode(sounds, "vo short gap.wav", 7))
    own = own_level(sounds)
    for heard in (out.with_name("ep.music.wav"), out):
        assert abs(music(heard, 3.15, 0.2) - (own + AMOUNT)) < 1, heard
        assert abs(music(heard, 6.5, 0.4) - own) < 1, heard
    # With a release short enough to come back in it, the gap is a pause.
    out = render(tmp_path, episode(sounds, "vo short gap.wav", 7, attack=0.05, release=0.1), "quick")
    assert abs(music(out.with_name("quick.music.wav"), 3.2, 0.1) - own) < 1


def test_a_clips_own_voice_is_followed_through_its_in_point_and_speed(sounds, tmp_path):
    # The clip's sound: tone 0..2 s, pause 2..6 s, tone 6..8 s; from 1 s at twice the speed it
    # plays at 1..1.5 s, is quiet 1.5..3.5 s and plays again 3.5..4.5 s on the timeline.
    talk = tmp_path / "talk.mp4"
    make_clip(talk, duration=8, tone=None)
    voice_wav(tmp_path / "talk.wav", pause=4)
    run_ffmpeg("-i", str(talk), "-i", str(tmp_path / "talk.wav"), "-map", "0:v", "-map", "1:a", "-c:v", "copy",
               "-c:a", "aac", *BITEXACT, str(tmp_path / "talking.mp4"))
    edl = episode(sounds, "vo pause.wav", 1, attack=0.1, release=0.3)
    edl["audio"].pop()
    edl["video"] += [{"clip": str(tmp_path / "talking.mp4"), "in": 1, "speed": 2, "role": "dialogue"},
                     {"color": "black", "duration": 1}]
    out = render(tmp_path, edl)
    own = own_level(sounds)
    for heard in (out.with_name("ep.music.wav"), out):
        assert abs(music(heard, 1.1, 0.3) - (own + AMOUNT)) < 1, heard
        assert abs(music(heard, 2.2, 0.6) - own) < 1, heard  # its pause, as the speed put it
        assert abs(music(heard, 3.8, 0.5) - (own + AMOUNT)) < 1, heard


def test_the_measurement_is_remembered_and_a_changed_voice_is_measured_again(sounds, tmp_path, monkeypatch):
    decoded: list[str] = []
    measure = assembler.run.cache.audible_spans

    def counted(path, threshold_db):
        decoded.append(Path(path).name)
        return measure(path, threshold_db)

    monkeypatch.setattr(assembler.run.cache, "audible_spans", counted)
    voice = voice_wav(tmp_path / "vo.wav", pause=4)
    edl = episode(sounds, "vo.wav", 11)
    edl["audio"][1]["file"] = str(voice)
    cache = tmp_path / "cache"
    render(tmp_path, edl, cache=cache)
    assert decoded == ["vo.wav"]
    rate = 48000  # the receipt says where: under the voice's two lines, at 1..3 s and 7..9 s
    ducks = json.loads((tmp_path / "ep.receipt.json").read_text())["sound"]["ducks"]
    assert ducks == [["audio[0]", "audible", [[1 * rate, 3 * rate], [7 * rate, 9 * rate]]]]
    assert len(list((cache / "fingerprints").glob("*.audible.json"))) == 1
    render(tmp_path, edl, "again", cache=cache)  # another output: everything but the checks from the cache
    assert decoded == ["vo.wav"]
    assert not json.loads((tmp_path / "again.receipt.json").read_text())["sound"]["rendered_now"]

    voice_wav(voice, pause=2)  # the same name, other content: its second line at 5..7 s
    out = render(tmp_path, edl, "changed", cache=cache)
    assert decoded == ["vo.wav", "vo.wav"]
    assert json.loads((tmp_path / "changed.receipt.json").read_text())["sound"]["rendered_now"]
    assert abs(music(out.with_name("changed.music.wav"), 5.7, 0.4) - (own_level(sounds) + AMOUNT)) < 1


def test_diff_says_a_changed_follow_mode_mixes_the_sound_again(sounds, tmp_path):
    a = write_edl(tmp_path, "a.yaml", episode(sounds, "vo pause.wav", 11))
    b = write_edl(tmp_path, "b.yaml", episode(sounds, "vo pause.wav", 11, follow="span"))
    assert assembler.diff(a, b).sound
    assert not assembler.diff(a, a).sound
    audible, span = assembler.check(a).sounds[0].duck.spans, assembler.check(b).sounds[0].duck.spans
    rate = 48000  # the voice plays 1..3 s and 7..9 s, measured in 10 ms windows
    assert audible == ((1 * rate, 3 * rate), (7 * rate, 9 * rate)) and span == ((1 * rate, 9 * rate),)


def test_ducking_that_follows_the_voice_gives_the_same_bytes_every_time(sounds, tmp_path):
    edl = episode(sounds, "vo pause.wav", 11)

    def digest(name: str, **kwargs) -> list[str]:
        out = render(tmp_path, edl, name, **kwargs)
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, out.with_name(f"{name}.music.wav"))]

    assert digest("one", cache=False) == digest("two", cache=False, jobs=1)


def test_a_looped_voice_is_followed_through_every_repeat(sounds, tmp_path):
    # The source: tone 0..1 s, quiet 1..3 s, tone 3..4 s; looped from its in-point 0.5 s
    # (every 3.5 s) and placed at 1 s it plays at 1..1.5, 3.5..5 (across the seam at 4.5)
    # and 7..8.5 s, quiet between.
    voice_wav(tmp_path / "loop.wav", pause=2, tone=1)
    edl = episode(sounds, "vo pause.wav", 10, attack=0.1, release=0.3)
    edl["audio"][1].update(file=str(tmp_path / "loop.wav"), loop=True, duration=8, **{"in": 0.5})
    out = render(tmp_path, edl)
    own = own_level(sounds)
    for heard in (out.with_name("ep.music.wav"), out):
        assert abs(music(heard, 2.0, 1.0) - own) < 1, heard
        assert abs(music(heard, 3.7, 1.2) - (own + AMOUNT)) < 1, heard
        assert abs(music(heard, 5.6, 1.2) - own) < 1, heard
        assert abs(music(heard, 7.2, 1.2) - (own + AMOUNT)) < 1, heard


def test_a_voice_with_a_hundred_lines_ducks_under_every_one(sounds, tmp_path):
    # 100 lines of 0.25 s, one every 0.6 s: more spans than one ffmpeg expression can hold.
    run_ffmpeg("-f", "lavfi", "-i", f"aevalsrc='0.125*sin(2*PI*{VOICE}*t)*lt(mod(t,0.6),0.25)':s=48000:d=60",
               "-c:a", "pcm_s16le", *BITEXACT, str(tmp_path / "lines.wav"))
    edl = episode(sounds, "vo pause.wav", 62, attack=0.02, release=0.05)
    edl["audio"][1]["file"] = str(tmp_path / "lines.wav")
    out = render(tmp_path, edl)
    assert len(assembler.check(tmp_path / "ep.yaml").sounds[0].duck.spans) == 100
    own = own_level(sounds)
    for heard in (out.with_name("ep.music.wav"), out):
        for line in (3, 50, 99):  # down under the line, back up before the next
            assert abs(music(heard, 1 + line * 0.6 + 0.1, 0.1) - (own + AMOUNT)) < 1, (heard, line)
            assert abs(music(heard, 1 + line * 0.6 + 0.4, 0.15) - own) < 1, (heard, line)


def test_an_envelope_cut_into_filters_gives_the_same_samples(sounds, tmp_path, monkeypatch):
    # Six lines; cut after every span, the envelope's filters multiply into the very same gain.
    run_ffmpeg("-f", "lavfi", "-i", f"aevalsrc='0.125*sin(2*PI*{VOICE}*t)*lt(mod(t,0.6),0.25)':s=48000:d=3.6",
               "-c:a", "pcm_s16le", *BITEXACT, str(tmp_path / "lines.wav"))
    edl = episode(sounds, "vo pause.wav", 5, attack=0.02, release=0.05)
    edl["audio"][1]["file"] = str(tmp_path / "lines.wav")

    def digest(name: str) -> list[str]:
        out = render(tmp_path, edl, name, cache=False)
        return [hashlib.sha256(p.read_bytes()).hexdigest() for p in (out, out.with_name(f"{name}.music.wav"))]

    whole = digest("whole")
    monkeypatch.setattr(assembler.compile.mix, "_SPANS_PER_FILTER", 1)
    assert digest("cut") == whole
    assert len(assembler.check(tmp_path / "cut.yaml").sounds[0].duck.spans) == 6


def duck_line(edl_path: Path) -> int:
    """The line of the EDL file that holds the (first) ``duck``."""
    return next(n for n, text in enumerate(edl_path.read_text().splitlines(), 1) if '"duck"' in text)


QUIET = 10 ** (-42 / 20)  # a recording whose peaks are at -42 dBFS: below -40 until it is boosted


def test_a_quiet_voice_boosted_by_its_volume_ducks_as_it_is_heard(sounds, tmp_path, monkeypatch):
    # Peaks at -42 dBFS played 20 dB up are heard at -22 dBFS: measured at -60 dBFS on the source.
    measured: list[tuple[str, float]] = []
    measure = assembler.run.cache.audible_spans

    def counted(path, threshold_db):
        measured.append((Path(path).name, threshold_db))
        return measure(path, threshold_db)

    monkeypatch.setattr(assembler.run.cache, "audible_spans", counted)
    voice_wav(tmp_path / "quiet.wav", pause=4, amplitude=QUIET)
    edl = episode(sounds, "vo pause.wav", 11)
    edl["audio"][1].update(file=str(tmp_path / "quiet.wav"), volume=20)
    cache = tmp_path / "cache"
    result = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "ep.mp4", cache=cache)
    assert measured == [("quiet.wav", -60.0)] and not result.warnings
    own = own_level(sounds)
    for heard in (tmp_path / "ep.music.wav", result.path):
        assert abs(music(heard, 1.7) - (own + AMOUNT)) < 1, heard  # under its first line
        assert abs(music(heard, 4.7) - own) < 1, heard  # its pause
        assert abs(music(heard, 7.7) - (own + AMOUNT)) < 1, heard
    # Remembered per threshold: the same file played as it is is measured (and remembered) anew.
    edl["audio"][1]["volume"] = 0
    quiet = assembler.render(write_edl(tmp_path, "flat.yaml", edl), tmp_path / "flat.mp4", cache=cache)
    assert measured == [("quiet.wav", -60.0), ("quiet.wav", -40.0)]
    assert len(list((cache / "fingerprints").glob("*.audible.json"))) == 2
    assert abs(music(tmp_path / "flat.music.wav", 1.7) - own) < 1  # heard at -42 dBFS: no ducking
    [warning] = quiet.warnings
    assert (warning.severity, warning.path) == ("warning", "audio[0].duck")
    assert warning.line == duck_line(tmp_path / "flat.yaml")
    assert "quiet.wav (audio[1]) never reaches -40 dBFS in the mix: nothing ducks it" in warning.message
    edl["audio"][1]["volume"] = 20
    assembler.render(write_edl(tmp_path, "again.yaml", edl), tmp_path / "again.mp4", cache=cache)
    assert len(measured) == 2  # both thresholds remembered


def test_a_voice_turned_down_is_measured_at_a_higher_threshold(sounds, tmp_path):
    # Peaks at -35 dBFS, 10 dB down: heard at -45 dBFS, under -40 (the source measured at -30).
    voice_wav(tmp_path / "soft.wav", pause=4, amplitude=10 ** (-35 / 20))
    edl = episode(sounds, "vo pause.wav", 11)
    edl["audio"][1]["file"] = str(tmp_path / "soft.wav")
    loud = write_edl(tmp_path, "as is.yaml", edl)
    assert assembler.check(loud).sounds[0].duck.spans == ((48000, 3 * 48000), (7 * 48000, 9 * 48000))
    edl["audio"][1]["volume"] = -10
    result = assembler.render(write_edl(tmp_path, "down.yaml", edl), tmp_path / "down.mp4")
    assert assembler.check(tmp_path / "down.yaml").sounds[0].duck.spans == ()
    assert [w.path for w in result.warnings] == ["audio[0].duck"]
    assert "never reaches -40 dBFS in the mix" in result.warnings[0].message
    own = own_level(sounds)
    assert abs(music(tmp_path / "down.music.wav", 1.7) - own) < 1
    assert abs(music(result.path, 7.7) - own) < 1
    # Beside a voice that is heard, the soft one is still named: it alone ducks nothing.
    edl["audio"].append({"file": str(sounds / "vo pause.wav"), "role": "dialogue", "start": 1})
    [warning] = assembler.check(write_edl(tmp_path, "both.yaml", edl)).warnings
    assert warning.message == ("soft.wav (audio[1]) never reaches -40 dBFS in the mix: "
                               "only the other dialogue sounds duck it")


def test_a_duck_under_a_role_nothing_has_names_that_role_in_its_hint(sounds, tmp_path):
    edl = episode(sounds, "vo pause.wav", 11, under="sfx")
    result = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "ep.mp4")
    [warning] = result.warnings
    assert (warning.path, warning.line) == ("audio[0].duck", duck_line(tmp_path / "ep.yaml"))
    assert "nothing of role 'sfx' sounds" in warning.message
    assert "`role: sfx`" in warning.hint and "dialogue" not in warning.hint
    assert abs(music(result.path, 1.7) - own_level(sounds)) < 1  # the dialogue does not duck it


def test_a_sound_never_ducks_under_itself_but_under_the_others_of_its_role(sounds, tmp_path):
    # The bed is dialogue too, ducked under dialogue: alone it never ducks, and is warned of it.
    edl = episode(sounds, "vo pause.wav", 11)
    edl["audio"][0]["role"] = "dialogue"
    voice = edl["audio"].pop()
    result = assembler.render(write_edl(tmp_path, "alone.yaml", edl), tmp_path / "alone.mp4")
    [warning] = result.warnings
    assert (warning.path, warning.line) == ("audio[0].duck", duck_line(tmp_path / "alone.yaml"))
    assert "never ducks under itself" in warning.message and "`role: dialogue`" in warning.hint
    own = own_level(sounds)
    for t in (0.2, 1.7, 4.7, 7.7):
        assert abs(music(result.path, t) - own) < 1, t
    # Another dialogue item ducks it, where that one is heard.
    edl["audio"].append(voice)
    result = assembler.render(write_edl(tmp_path, "two.yaml", edl), tmp_path / "two.mp4")
    assert not result.warnings
    for heard in (tmp_path / "two.dialogue.wav", result.path):
        assert abs(music(heard, 1.7) - (own + AMOUNT)) < 1, heard
        assert abs(music(heard, 4.7) - own) < 1, heard
        assert abs(music(heard, 7.7) - (own + AMOUNT)) < 1, heard


def test_a_ducked_mix_whose_encoding_misses_the_loudness_is_encoded_again(sounds, tmp_path):
    # White noise loses about 1.1 LU of what the meter counts to AAC's low-pass at 192k: the
    # level set on the PCM mix alone would leave the output at about -17.1 LUFS.
    run_ffmpeg("-f", "lavfi", "-i", "anoisesrc=color=white:amplitude=0.3:seed=7:d=4", "-ac", "2",
               "-c:a", "pcm_s16le", *BITEXACT, str(tmp_path / "hiss.wav"))
    edl = episode(sounds, "vo pause.wav", 11)
    edl["audio"][0]["file"] = str(tmp_path / "hiss.wav")
    edl["output"]["loudness"] = -16
    result = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "ep.mp4", cache=False)
    assert abs(result.loudness["integrated"] + 16) <= 0.5, result.loudness
    second_opinion, _ = _integrated(result.path)
    assert abs(second_opinion + 16) <= 0.5
    stem = tmp_path / "ep.music.wav"  # ducked as before: down under the line, up in the pause
    assert abs(rms_db(stem, 1.4, 1.2) - rms_db(stem, 3.8, 1.8) - AMOUNT) < 1
