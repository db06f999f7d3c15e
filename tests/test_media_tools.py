"""The test helpers measure what they claim to (checked against media of known content)."""

from __future__ import annotations

import math
from fractions import Fraction
from pathlib import Path

import av
import imageio_ffmpeg
import numpy as np
import pytest
from PIL import Image

from media_tools import (audio_duration, count_frames, dominant_tone, ffmpeg_exe,
                         frame_rgb, make_clip, make_image, make_split_clip, make_tone_wav,
                         mean_color, rms_db, run_ffmpeg, stream_info, video_duration)

RED, GREEN, BLUE = (255, 0, 0), (0, 128, 0), (0, 0, 255)
SINE_DB = 20 * math.log10(0.125 / math.sqrt(2))  # lavfi sine: amplitude 1/8, about -21.1


def near(measured, expected, tol=6.0) -> bool:
    """Colours survive yuv420p/x264 to within a few levels."""
    return all(abs(m - e) <= tol for m, e in zip(measured, expected))


@pytest.fixture(scope="module")
def media(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("media")


@pytest.fixture(scope="module")
def red_clip(media) -> Path:
    return make_clip(media / "red.mp4")


def test_ffmpeg_exe_honours_env(monkeypatch):
    monkeypatch.delenv("ASSEMBLER_FFMPEG", raising=False)
    assert ffmpeg_exe() == imageio_ffmpeg.get_ffmpeg_exe()
    monkeypatch.setenv("ASSEMBLER_FFMPEG", "/opt/other/ffmpeg")
    assert ffmpeg_exe() == "/opt/other/ffmpeg"


def test_red_clip_measures_red_440hz_and_exact_lengths(red_clip):
    for t in (0.0, 1.0, 1.99):
        assert near(mean_color(red_clip, t), RED)
    assert frame_rgb(red_clip, 1.0).shape == (180, 320, 3)
    assert dominant_tone(red_clip, 0.5) == pytest.approx(440, abs=2)
    assert rms_db(red_clip, 0.5) == pytest.approx(SINE_DB, abs=0.5)  # same level per channel
    info = stream_info(red_clip)
    assert info == {**info, "has_video": True, "width": 320, "height": 180, "fps": 25,
                    "frames": 50, "video_duration": 2.0, "rotation": 0, "sar": 1,
                    "pix_fmt": "yuv420p", "video_codec": "h264", "has_audio": True,
                    "sample_rate": 48000, "channels": 2, "audio_codec": "aac",
                    "audio_duration": 2.0}


def test_make_clip_is_byte_for_byte_reproducible(media, red_clip):
    again = make_clip(media / "red_again.mp4")
    assert again.read_bytes() == red_clip.read_bytes()


def test_no_tone_means_no_audio_stream(media):
    clip = make_clip(media / "silent.mov", color="blue", tone=None, duration=0.5)
    info = stream_info(clip)
    assert info["has_audio"] is False and info["sample_rate"] is None
    assert near(mean_color(clip, 0.2), BLUE)
    with pytest.raises(ValueError, match="no audio"):
        audio_duration(clip)


def test_ntsc_rate_counts_exact_frames_and_sound_matches_picture(media):
    clip = make_clip(media / "ntsc.mp4", fps="30000/1001", duration=2.0, tone=1000)
    assert count_frames(clip) == 60  # ceil(2 * 29.97)
    assert stream_info(clip)["fps"] == Fraction(30000, 1001)
    assert video_duration(clip) == pytest.approx(60 * 1001 / 30000)
    assert audio_duration(clip) == pytest.approx(video_duration(clip), abs=1 / 48000)
    assert dominant_tone(clip, 1.9) == pytest.approx(1000, abs=2)


def test_duration_rounds_up_to_whole_frames(media):
    clip = make_clip(media / "odd.mkv", fps=24, duration=1.01, sample_rate=44100,
                     channels=1, audio_codec="flac")
    info = stream_info(clip)
    assert info["frames"] == 25 and info["channels"] == 1 and info["sample_rate"] == 44100
    assert info["audio_duration"] == pytest.approx(25 / 24, abs=1 / 44100)


@pytest.mark.parametrize("rotation, top_side", [
    (0, (0, 0, 1, 0.25)),         # upright: top stays on top
    (90, (0.75, 0, 1, 1)),        # phone portrait: turned clockwise, top goes right
    (180, (0, 0.75, 1, 1)),
    (270, (0, 0, 0.25, 1)),
])
def test_rotation_is_stored_as_metadata_and_applied_when_shown(media, rotation, top_side):
    clip = make_split_clip(media / f"rot{rotation}.mp4", rotation=rotation, duration=0.4)
    with av.open(str(clip)) as container:  # PyAV sees the display matrix, counter-clockwise
        assert next(container.decode(video=0)).rotation % 360 == -rotation % 360
    info = stream_info(clip)
    assert (info["rotation"], info["width"], info["height"]) == (rotation, 320, 180)
    shown = frame_rgb(clip, 0.1)
    assert shown.shape == ((320, 180, 3) if rotation % 180 else (180, 320, 3))
    assert near(mean_color(clip, 0.1, top_side), RED)
    stored = frame_rgb(clip, 0.1, rotate=False)
    assert near(stored[:90].reshape(-1, 3).mean(0), RED)
    assert near(stored[90:].reshape(-1, 3).mean(0), BLUE)


def test_sar_is_stored(media):
    clip = make_clip(media / "sar.mp4", sar="2:1", tone=None, duration=0.2)
    assert stream_info(clip)["sar"] == Fraction(2, 1)


def test_frame_rgb_returns_the_frame_being_shown(media):
    # Luma 16 + 4n in frame n: which frame a time lands on is readable off the pixels.
    ramp = media / "ramp.mp4"
    run_ffmpeg("-f", "lavfi", "-i", "nullsrc=s=64x64:r=25,geq=lum=16+4*N:cb=128:cr=128",
               "-t", "2", "-c:v", "libx264", "-qp", "0", "-g", "25", "-pix_fmt", "yuv420p",
               str(ramp))

    def frame_number(t: float) -> int:
        return round(frame_rgb(ramp, t).mean() * 219 / 255 / 4)

    assert [frame_number(t) for t in (0, 0.039, 0.04, 0.05, 1.0, 1.01, 1.999)] == \
        [0, 0, 1, 1, 25, 25, 49]
    with pytest.raises(ValueError, match="after the end"):
        frame_rgb(ramp, 2.0)


def test_mean_color_box_is_in_fractions(media):
    clip = make_split_clip(media / "split.mp4", top="white", bottom="black", tone=None,
                           duration=0.2, size=(200, 100))
    assert near(mean_color(clip, 0, (0, 0, 1, 0.5)), (255, 255, 255))
    assert near(mean_color(clip, 0, (0.5, 0.5, 1, 1)), (0, 0, 0))
    assert near(mean_color(clip, 0), (128, 128, 128), tol=2)
    with pytest.raises(ValueError, match="no pixels"):
        mean_color(clip, 0, (0.5, 0.5, 0.5, 1))


def test_make_image_plain_and_with_alpha(media):
    png = make_image(media / "green.png")
    with Image.open(png) as img:
        assert (img.mode, img.size) == ("RGB", (400, 300))
    assert mean_color(png, 0) == pytest.approx(GREEN)
    with Image.open(make_image(media / "logo.png", color="red", alpha=True)) as img:
        logo = np.asarray(img)
    assert logo.shape == (300, 400, 4)
    assert tuple(logo[150, 200]) == (*RED, 255) and logo[0, 0, 3] == 0
    assert (logo[..., 3] == 255).mean() == pytest.approx(0.25)


def test_tone_wav_pitch_level_and_exact_length(media):
    wav = make_tone_wav(media / "tone.wav", freq=1234.5, sample_rate=44100, duration=1.5)
    info = stream_info(wav)
    assert (info["has_video"], info["channels"], info["sample_rate"]) == (False, 1, 44100)
    assert info["audio_duration"] == 1.5
    assert dominant_tone(wav, 0.7) == pytest.approx(1234.5, abs=2)
    assert rms_db(wav, 0.7) == pytest.approx(SINE_DB, abs=0.2)


def test_silence_has_no_tone(media):
    wav = make_tone_wav(media / "silence.wav", freq=None, duration=0.5, channels=2)
    assert dominant_tone(wav, 0.2) == 0.0
    assert rms_db(wav, 0.2) == -math.inf
    with pytest.raises(ValueError, match="no audio in"):
        rms_db(wav, 0.6)
