"""Test helpers: make real media with ffmpeg's lavfi sources, and measure real output.

Tests check rendered files by *measuring* them. Media is made by the library's
own ffmpeg with bit-exact flags, so it is reproducible byte for byte.
Conventions, as measured with the pinned ffmpeg 9.0.2 and PyAV 18:

* Video is decoded by PyAV; ``frame_rgb`` is what a player shows at ``t``
  (rotation applied; pixels not rescaled for a non-square sample aspect).
* Audio is decoded by the ffmpeg CLI, which trims AAC priming *and* end padding
  by the MP4/MOV edit list; PyAV keeps the end padding (2.0 s decodes to
  2.0053 s). Matroska cannot trim AAC's end, so ``.mkv`` + AAC decodes up to
  1023 samples long: use ``audio_codec="flac"`` there when lengths matter.
* Rotation is *clockwise* degrees, like phones and the old ``rotate`` tag:
  ``rotation=90`` is portrait phone footage, which ffmpeg's
  ``-display_rotation``, ffprobe and PyAV's ``VideoFrame.rotation`` call -90.
* Levels are dBFS, full scale 1.0. Tones are lavfi ``sine`` at amplitude 1/8
  (-21.1 dBFS) in every channel.
"""

from __future__ import annotations

import math
import os
import subprocess
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import imageio_ffmpeg
import numpy as np
from PIL import Image, ImageDraw

StrPath = str | os.PathLike[str]

#: Output options that make ffmpeg's files reproducible (no versions, dates, tags).
BITEXACT = ["-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
            "-map_metadata", "-1"]
#: A window whose RMS level (dBFS) is below this counts as silence.
SILENCE_DB = -60.0


def ffmpeg_exe() -> str:
    """Path of the ffmpeg binary: ``$ASSEMBLER_FFMPEG`` if set, else imageio-ffmpeg's."""
    return os.environ.get("ASSEMBLER_FFMPEG") or imageio_ffmpeg.get_ffmpeg_exe()


def run_ffmpeg(*args: str) -> bytes:
    """Run ffmpeg with ``args`` (an argument list, never a shell); return its stdout."""
    cmd = [ffmpeg_exe(), "-nostdin", "-hide_banner", "-loglevel", "error", "-y", *args]
    proc = subprocess.run(cmd, capture_output=True, check=False)
    if proc.returncode != 0:
        err = proc.stderr.decode(errors="replace")[-3000:]
        raise RuntimeError(f"ffmpeg exited {proc.returncode}: {cmd}\n{err}")
    return proc.stdout


# ------------------------------------------------------------------ making media

def _tone(freq: float | None, sample_rate: int, channels: int, n_samples: int) -> str:
    """lavfi graph: exactly ``n_samples`` of a sine (or silence) at full level per channel."""
    src = (f"anullsrc=r={sample_rate}:cl=mono" if freq is None
           else f"sine=frequency={freq}:sample_rate={sample_rate}")
    # pan copies the tone into each channel; -ac would upmix mono 3 dB down.
    layout = {1: "mono", 2: "stereo"}.get(channels, f"{channels}c")
    pan = "|".join([layout] + [f"c{i}=c0" for i in range(channels)])
    return f"{src},atrim=end_sample={n_samples},pan={pan}"


def make_clip(path: StrPath, *, color: str | tuple[str, str] = "red",
              size: tuple[int, int] = (320, 180), fps: str | int | Fraction = "25",
              duration: float = 2.0, tone: float | None = 440, sample_rate: int = 48000,
              channels: int = 2, rotation: int = 0, pix_fmt: str = "yuv420p",
              sar: str | None = None, codec: str = "libx264",
              audio_codec: str = "aac") -> Path:
    """Write a solid-colour clip with a sine tone; the container follows the suffix.

    ``color`` is an ffmpeg colour (``"red"``, ``"0x336699"``) or a ``(top, bottom)``
    pair (see ``make_split_clip``). ``fps`` may be a fraction like ``"30000/1001"``.
    The picture has ``ceil(duration * fps)`` frames (as ``-t duration`` would)
    and the sound is exactly as long as the picture, to the nearest sample.
    ``tone=None`` writes no audio stream at all. ``rotation`` (clockwise) is
    display-matrix metadata over landscape pixels, like phone footage. ``sar``
    such as ``"2:1"`` makes pixels non-square. One keyframe per second keeps
    seeking cheap.
    """
    path = Path(path)
    if rotation % 90:
        raise ValueError(f"rotation must be a multiple of 90, not {rotation}")
    rate = Fraction(str(fps))
    n_frames = math.ceil(Fraction(str(duration)) * rate)
    w, h = size
    top, bottom = color if isinstance(color, tuple) else (color, color)
    picture = f"color=c={bottom}:s={w}x{h}:r={rate},trim=end_frame={n_frames}"
    if top != bottom:
        picture += f",drawbox=x=0:y=0:w={w}:h={h // 2}:color={top}:t=fill"
    if sar:
        picture += f",setsar={str(sar).replace(':', '/')}"
    args = ["-f", "lavfi", "-i", picture]
    if tone is not None:
        n_samples = round(n_frames / rate * sample_rate)
        args += ["-f", "lavfi", "-i", _tone(tone, sample_rate, channels, n_samples),
                 "-c:a", audio_codec]
    args += ["-c:v", codec, "-pix_fmt", pix_fmt, "-g", str(math.ceil(rate))]
    if codec in ("libx264", "libx265"):
        args += ["-preset", "ultrafast"]
    if not rotation % 360:
        run_ffmpeg(*args, *BITEXACT, str(path))
        return path
    # Encode upright, then remux with a display matrix. -display_rotation (an
    # input option) is counter-clockwise, so the clockwise angle is negated.
    tmp = path.with_name(f".{path.stem}.unrotated{path.suffix}")
    try:
        run_ffmpeg(*args, *BITEXACT, str(tmp))
        run_ffmpeg("-display_rotation:v:0", str(-rotation), "-i", str(tmp),
                   "-map", "0", "-c", "copy", *BITEXACT, str(path))
    finally:
        tmp.unlink(missing_ok=True)
    return path


def make_split_clip(path: StrPath, *, top: str = "red", bottom: str = "blue",
                    **options: Any) -> Path:
    """``make_clip`` (any keyword but ``color``) with a ``top`` and a ``bottom`` half.

    Shows which way a picture was turned."""
    return make_clip(path, color=(top, bottom), **options)


def make_image(path: StrPath, *, color: str = "green", size: tuple[int, int] = (400, 300),
               alpha: bool = False) -> Path:
    """Write a one-colour PNG (CSS colour names, the same as ffmpeg's).

    ``alpha=True`` writes RGBA: the centre box (fractions 0.25..0.75 each way)
    is opaque ``color``, the rest fully transparent, for overlay tests.
    """
    w, h = size
    if alpha:
        img = Image.new("RGBA", size, (0, 0, 0, 0))
        box = (w // 4, h // 4, w - w // 4 - 1, h - h // 4 - 1)
        ImageDraw.Draw(img).rectangle(box, fill=color)
    else:
        img = Image.new("RGB", size, color)
    img.save(path, format="PNG")
    return Path(path)


def make_tone_wav(path: StrPath, *, freq: float | None = 440, duration: float = 2.0,
                  sample_rate: int = 48000, channels: int = 1) -> Path:
    """Write a 16-bit WAV of exactly ``round(duration * sample_rate)`` samples.

    ``freq=None`` writes digital silence.
    """
    n_samples = round(Fraction(str(duration)) * sample_rate)
    run_ffmpeg("-f", "lavfi", "-i", _tone(freq, sample_rate, channels, n_samples),
               "-c:a", "pcm_s16le", *BITEXACT, str(path))
    return Path(path)


# -------------------------------------------------------------- measuring video

def _frame_at(path: StrPath, t: float) -> av.VideoFrame:
    """Decode the frame shown at ``t``: the last one whose timestamp is <= t."""
    eps = 1e-6
    for seek in (True, False):  # seek to a keyframe; from the start if that overshot
        with av.open(str(path)) as container:
            stream = container.streams.video[0]
            if seek and t > 0:
                container.seek(int(t / stream.time_base), stream=stream, backward=True)
            shown, after_last = None, True
            for frame in container.decode(stream):
                if frame.time > t + eps:
                    after_last = False
                    break
                shown = frame
            if shown is None:
                continue
            if after_last:  # t must still fall within the last frame's duration
                length = (shown.duration * shown.time_base if shown.duration
                          else 1 / stream.average_rate)
                if t >= shown.time + length - eps:
                    raise ValueError(f"t={t} is after the end of the picture of {path}")
            return shown
    raise ValueError(f"t={t} is before the first frame of {path}")


def frame_rgb(path: StrPath, t: float, *, rotate: bool = True) -> np.ndarray:
    """The frame shown at ``t`` seconds, as an (H, W, 3) uint8 RGB array.

    ``rotate`` (default) applies the display rotation as a player would;
    ``rotate=False`` gives the stored pixels.
    """
    frame = _frame_at(path, t)
    rgb = frame.to_ndarray(format="rgb24")
    if rotate and frame.rotation:  # both counter-clockwise
        rgb = np.rot90(rgb, k=round(frame.rotation / 90) % 4)
    return np.ascontiguousarray(rgb)


def mean_color(path: StrPath, t: float,
               box: tuple[float, float, float, float] | None = None) -> tuple[float, float, float]:
    """Mean (R, G, B) of the frame shown at ``t``, over all of it or over ``box``.

    ``box`` is ``(x0, y0, x1, y1)`` in *fractions* (0..1) of the displayed width
    and height, so it survives scaling: ``(0, 0, 0.5, 1)`` is the left half.
    Alpha is ignored (transparent PNG pixels count as black).
    """
    rgb = frame_rgb(path, t)
    if box is not None:
        h, w = rgb.shape[:2]
        x0, y0, x1, y1 = box
        rgb = rgb[round(y0 * h):round(y1 * h), round(x0 * w):round(x1 * w)]
        if rgb.size == 0:
            raise ValueError(f"box {box} holds no pixels of a {w}x{h} frame")
    r, g, b = rgb.reshape(-1, 3).mean(axis=0)
    return float(r), float(g), float(b)


def _scan_video(path: StrPath) -> tuple[int, int, Fraction]:
    """Decode all video frames: count, first frame's CCW rotation, frame rate."""
    count, rotation = 0, 0
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        for frame in container.decode(stream):
            rotation = frame.rotation if count == 0 else rotation
            count += 1
        return count, rotation, Fraction(stream.average_rate or 0)


def count_frames(path: StrPath) -> int:
    """Exact number of video frames, by decoding them all."""
    return _scan_video(path)[0]


def video_duration(path: StrPath) -> float:
    """Picture length in seconds: decoded frames / frame rate (constant-rate video)."""
    count, _, rate = _scan_video(path)
    return float(count / rate)


# -------------------------------------------------------------- measuring audio

def _pcm(path: StrPath, t: float = 0.0, window: float | None = None) -> tuple[np.ndarray, int]:
    """The first audio stream decoded by ffmpeg: float32 (samples, channels), rate."""
    with av.open(str(path)) as container:
        if not container.streams.audio:
            raise ValueError(f"{path} has no audio stream")
        channels, rate = container.streams.audio[0].channels, container.streams.audio[0].rate
    args = ["-i", str(path), "-map", "0:a:0", "-ss", f"{t:.6f}"]  # after -i: sample-exact
    if window is not None:
        args += ["-t", f"{window:.6f}"]
    raw = run_ffmpeg(*args, "-ac", str(channels), "-f", "f32le", "-")
    return np.frombuffer(raw, dtype="<f4").reshape(-1, channels), rate


def _mono(path: StrPath, t: float, window: float) -> tuple[np.ndarray, int, float]:
    """Mono mix (mean of channels) of [t, t+window), its rate and RMS level in dBFS."""
    samples, rate = _pcm(path, t, window)
    if len(samples) == 0:
        raise ValueError(f"no audio in [{t}, {t + window}) of {path}")
    x = samples.mean(axis=1, dtype=np.float64)
    rms = math.sqrt(float(np.mean(x * x)))
    return x, rate, 20 * math.log10(rms) if rms > 0 else -math.inf


def rms_db(path: StrPath, t: float, window: float = 0.1) -> float:
    """RMS level (dBFS) of the mono mix in [t, t+window); -inf for digital silence."""
    return _mono(path, t, window)[2]


def dominant_tone(path: StrPath, t: float, window: float = 0.1) -> float:
    """Hz of the strongest spectral peak of the mono mix in [t, t+window).

    0.0 if the window is silent (below ``SILENCE_DB``). Hann window plus
    parabolic peak interpolation: within about 1 Hz for a 0.1 s window.
    """
    x, rate, level = _mono(path, t, window)
    if level < SILENCE_DB:
        return 0.0
    spectrum = np.abs(np.fft.rfft(x * np.hanning(len(x)))) + 1e-12
    k = int(np.argmax(spectrum[1:])) + 1  # skip DC
    shift = 0.0
    if k + 1 < len(spectrum):
        a, b, c = np.log(spectrum[k - 1:k + 2])
        shift = 0.5 * (a - c) / (a - 2 * b + c)
    return float((k + shift) * rate / len(x))


def audio_duration(path: StrPath) -> float:
    """Sound length in seconds: samples decoded by ffmpeg / sample rate."""
    samples, rate = _pcm(path)
    return len(samples) / rate


# ---------------------------------------------------------------------- probing

def stream_info(path: StrPath) -> dict[str, Any]:
    """Measured facts about the first video and first audio stream of ``path``.

    Video: has_video, width, height (as stored, before rotation), fps (Fraction),
    frames, video_duration, rotation (clockwise, as ``make_clip``), sar
    (Fraction), pix_fmt, video_codec. Audio: has_audio, sample_rate, channels,
    audio_duration, audio_codec. A missing stream's keys are None. Durations
    are decoded, as in ``video_duration`` and ``audio_duration``."""
    info: dict[str, Any] = dict.fromkeys(
        "width height fps frames video_duration rotation sar pix_fmt video_codec "
        "sample_rate channels audio_duration audio_codec".split())
    info.update(has_video=False, has_audio=False)
    with av.open(str(path)) as container:
        if container.streams.video:
            v = container.streams.video[0].codec_context
            info.update(has_video=True, width=v.width, height=v.height, pix_fmt=v.pix_fmt,
                        sar=Fraction(v.sample_aspect_ratio or 1), video_codec=v.name)
        if container.streams.audio:
            a = container.streams.audio[0]
            info.update(has_audio=True, sample_rate=a.rate, channels=a.channels,
                        audio_codec=a.codec_context.name)
    if info["has_video"]:
        frames, ccw, fps = _scan_video(path)
        info.update(frames=frames, fps=fps or None, rotation=round(-ccw) % 360,
                    video_duration=float(frames / fps) if fps else None)
    if info["has_audio"]:
        info["audio_duration"] = audio_duration(path)
    return info
