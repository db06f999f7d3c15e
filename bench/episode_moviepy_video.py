#!/usr/bin/env python3
"""The benchmark episode in idiomatic moviepy 2.x, WITHOUT music and subtitles.

    MOVIEPY_PY episode_moviepy_video.py MEDIA_DIR OUT.mp4 [--repeat R] [--threads N]

Like for like with what bench/run.py asks of assembler and of the hand-written command
(shared/bench/episode_moviepy.py is the full scenario, with the music bed and burned
subtitles that assembler does not render yet): shots 01..14 (x R), each cut to 1 s .. 5 s,
fitted into 1280x720 on black, a 0.5 s cross-fade of picture (CrossFadeIn, clips
overlapped by negative padding) and of sound (fade out + fade in over the same overlap),
30 fps, libx264 veryfast crf 23, AAC 192k 48 kHz. Runs in its own virtual environment
(moviepy 2.2.1 pins pillow<12); set IMAGEIO_FFMPEG_EXE to use the same ffmpeg binary.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path

from moviepy import VideoFileClip, afx, concatenate_videoclips, vfx

SIZE, FPS, RATE = (1280, 720), 30, 48000
CUT, XF = (1.0, 5.0), 0.5


def contained(clip):
    """Scaled to fit SIZE without cropping, centred on black."""
    scale = min(SIZE[0] / clip.w, SIZE[1] / clip.h)
    if scale != 1:
        clip = clip.resized(scale)
    if tuple(clip.size) != SIZE:
        clip = clip.with_background_color(size=SIZE, color=(0, 0, 0), pos="center")
    return clip


def episode(media: Path, repeat: int):
    """(the timeline clip, the source clips to close afterwards)."""
    names = [f"shot{i:02d}.mp4" for i in range(1, 15)] * repeat
    sources = [VideoFileClip(str(media / name), audio_fps=RATE) for name in names]
    last = len(sources) - 1
    shots = []
    for k, source in enumerate(sources):
        effects = []
        if k > 0:       # the incoming side of a dissolve
            effects += [vfx.CrossFadeIn(XF), afx.AudioFadeIn(XF)]
        if k < last:    # the outgoing side: its sound fades under the next shot's
            effects.append(afx.AudioFadeOut(XF))
        shots.append(contained(source.subclipped(*CUT)).with_effects(effects))
    return concatenate_videoclips(shots, method="compose", padding=-XF), sources


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("media", type=Path)
    ap.add_argument("out", type=Path)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--threads", type=int, default=os.cpu_count() or 2, help="x264 threads")
    a = ap.parse_args()
    video, sources = episode(a.media, a.repeat)
    try:
        video.write_videofile(str(a.out), fps=FPS, codec="libx264", preset="veryfast",
                              ffmpeg_params=["-crf", "23"], pixel_format="yuv420p",
                              audio_codec="aac", audio_bitrate="192k", audio_fps=RATE,
                              threads=a.threads, logger=None,
                              temp_audiofile_path=str(a.out.parent))
    finally:
        for source in sources:
            source.close()


if __name__ == "__main__":
    main()
