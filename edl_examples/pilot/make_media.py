#!/usr/bin/env python3
"""Make the demo media of the pilot episode, deterministically, with the bundled ffmpeg.

    python edl_examples/pilot/make_media.py          # writes edl_examples/pilot/media/

We ship no footage: every shot is drawn by ffmpeg's lavfi sources, each with its own
picture and tone, and in the shapes AI generators and phones really deliver (720p30,
1080p24 with mono 44.1 kHz sound, a portrait phone clip with rotation metadata, a clip
with no sound, a still), a music bed and a voice-over line. Same ffmpeg + same script ->
byte-identical files.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from PIL import Image, ImageDraw

HERE = Path(__file__).resolve().parent
BITEXACT = ["-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact"]
VIDEO = ["-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-pix_fmt", "yuv420p", "-g", "48"]


def ffmpeg() -> str:
    if os.environ.get("ASSEMBLER_FFMPEG"):
        return os.environ["ASSEMBLER_FFMPEG"]
    import imageio_ffmpeg
    return imageio_ffmpeg.get_ffmpeg_exe()


def run(*args: str) -> None:
    subprocess.run([ffmpeg(), "-hide_banner", "-loglevel", "error", "-nostdin", "-y", *args], check=True)


def shot(out: Path, picture: str, tone: float | None, *, seconds: int = 6, rate: int = 48000,
         channels: int = 2) -> None:
    """A shot: a lavfi picture and (optionally) a sine tone, AAC."""
    sound = ["-f", "lavfi", "-i", f"sine=frequency={tone}:sample_rate={rate}:duration={seconds}"] if tone else []
    audio = ["-c:a", "aac", "-b:a", "128k", "-ac", str(channels)] if tone else []
    run("-f", "lavfi", "-i", picture, *sound, "-t", str(seconds), *VIDEO, *audio, *BITEXACT, str(out))


def main() -> None:
    media = Path(sys.argv[1]) if len(sys.argv) > 1 else HERE / "media"
    media.mkdir(parents=True, exist_ok=True)
    # 1. an establishing shot, 720p30 with a 440 Hz tone
    shot(media / "s01_establishing.mp4", "testsrc2=size=1280x720:rate=30", 440)
    # 2. a 1080p24 shot with mono 44.1 kHz sound (another generator's format)
    shot(media / "s02_bars 1080p24.mp4",
         "smptehdbars=size=1920x1080:rate=24[b];color=white:s=200x200:r=24[w];"
         "[b][w]overlay=x='mod(t*400,1720)':y=440:shortest=1", 660, rate=44100, channels=1)
    # 3. phone footage: a portrait picture stored on its side (as phones do), with the
    #    rotation metadata that turns it upright again (-display_rotation counts
    #    counter-clockwise, so -90 turns it clockwise)
    upright = media / ".s03_sideways.mp4"
    shot(upright, "testsrc=size=360x640:rate=30,transpose=cclock", 880)
    run("-display_rotation:v:0", "-90", "-i", str(upright), "-map", "0", "-c", "copy", *BITEXACT,
        str(media / "s03_phone.mp4"))
    upright.unlink()
    # 4. a generated shot with no sound at all, 25 fps
    shot(media / "s04_silent.mp4",
         "mandelbrot=size=960x540:rate=25:end_scale=0.3,format=yuv420p", None)
    # 5. a still: a map-like picture drawn with Pillow
    still = Image.new("RGB", (1600, 900), (24, 60, 90))
    draw = ImageDraw.Draw(still)
    for k in range(0, 1600, 100):
        draw.line([(k, 0), (k, 900)], fill=(40, 90, 120), width=3)
    for k in range(0, 900, 100):
        draw.line([(0, k), (1600, k)], fill=(40, 90, 120), width=3)
    draw.ellipse([700, 350, 900, 550], fill=(230, 180, 60))
    still.save(media / "map.png", optimize=False)
    # 6. a music bed: a 12 s chord with a slow swell, made to loop
    run("-f", "lavfi", "-i", "aevalsrc='(0.25*sin(2*PI*110*t)+0.2*sin(2*PI*138.59*t)+0.2*sin(2*PI*164.81*t))"
        "*(0.8+0.2*sin(2*PI*t/6))':s=48000:c=stereo:d=12", "-c:a", "pcm_s16le", *BITEXACT, str(media / "theme.wav"))
    # 7. a voice-over line stand-in: 2.4 s of 300 Hz bursts, mono 44.1 kHz
    run("-f", "lavfi", "-i", "aevalsrc='(0.5*sin(2*PI*300*t)+0.2*sin(2*PI*600*t))*lt(mod(t,0.6),0.4)':s=44100:d=2.4",
        "-c:a", "pcm_s16le", *BITEXACT, str(media / "vo_line01.wav"))
    # 8. a logo with a transparent background, for the corner
    logo = Image.new("RGBA", (400, 200), (0, 0, 0, 0))
    ImageDraw.Draw(logo).rounded_rectangle([10, 10, 390, 190], radius=40, outline=(252, 163, 17, 255), width=18)
    ImageDraw.Draw(logo).ellipse([150, 50, 250, 150], fill=(252, 163, 17, 230))
    logo.save(media / "logo.png")
    # 9. dialogue subtitles in English and Chinese, times on the timeline
    (media / "pilot.srt").write_text(
        "1\n00:00:06,200 --> 00:00:08,600\nThe signal came from the north.\n信号来自北方。\n\n"
        "2\n00:00:09,000 --> 00:00:10,900\n\"Nobody has been there for years.\"\n\n"
        "3\n00:00:13,000 --> 00:00:14,500\n地图上什么都没有。\n", encoding="utf-8")
    print(f"demo media written to {media}")


if __name__ == "__main__":
    main()
