"""Planning grows linearly with the episode (issue 12, speed): twice the clips, cues and
subtitles ask twice the work of the planner and the compilers, not four times. Work is
counted, not timed: the lines of the pure parts (plan, compile, timeline) that run while an
episode's segments, their jobs and keys, and its sound's windows and jobs are made, each
line once each time it runs (a scan inside a comprehension counts for every item)."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import assembler
from assembler.render import plan, resolve_ffmpeg
from assembler.run.cache import Cache
from assembler.run.soundtrack import mix_jobs
from media_tools import make_clip, make_tone_wav

PURE = tuple(os.fspath(Path(assembler.__file__).parent / part) for part in ("plan.py", "compile", "timeline"))


def _episode(folder: Path, clips: int) -> Path:
    """``clips`` clips (one file under many names), a dissolve after every fourth, a card
    every 20, a subtitle cue on every clip and a music bed under all of it."""
    first = folder / "s0.mp4"
    if not first.exists():
        make_clip(first, color="red", size=(160, 90), fps=24, duration=2, tone=440)
        make_tone_wav(folder / "music.wav", freq=220, duration=5)
    video, cues, at = [], [], 0.0
    for n in range(clips):
        if n and n % 20 == 0:
            video.append({"title": f"Part {n // 20}", "duration": 1})
            at += 1
        if not (folder / f"s{n}.mp4").exists():
            os.link(first, folder / f"s{n}.mp4")
        video.append({"clip": f"s{n}.mp4", "in": 0.2, "out": 1.2})
        cues.append(f"{n + 1}\n00:{int(at) // 60:02d}:{int(at) % 60:02d},100 --> "
                    f"00:{int(at) // 60:02d}:{int(at) % 60:02d},800\nline {n}\n")
        at += 1
        if n % 4 == 3 and n + 1 < clips:
            video.append({"transition": "dissolve", "duration": 0.25})
            at -= 0.25
    (folder / f"subs{clips}.srt").write_text("\n".join(cues), encoding="utf-8")
    path = folder / f"episode{clips}.yaml"
    path.write_text(json.dumps({"version": 1, "output": {"size": "320x180", "fps": 24},
                                "audio": [{"file": "music.wav", "role": "music", "loop": True, "volume": -12}],
                                "subtitles": {"file": f"subs{clips}.srt", "burn": True}, "video": video}),
                    encoding="utf-8")
    return path


def _work(folder: Path, clips: int) -> tuple[int, int]:
    """Lines run by the pure parts to plan the episode of ``clips``, and its segments."""
    path = _episode(folder, clips)
    store, ff = Cache(folder / "cache"), resolve_ffmpeg(None)
    timeline = assembler.check(path, prober=store.probe, measurer=store.audible)
    plan(timeline, store, ff, subtitles=folder / "subs")  # fingerprints made, outside the count
    lines = 0

    def line(frame, event, arg):
        nonlocal lines
        lines += event == "line"
        return line

    sys.settrace(lambda frame, event, arg: line if frame.f_code.co_filename.startswith(PURE) else None)
    try:
        planned = plan(timeline, store, ff, subtitles=folder / "subs")
        mix_jobs(timeline)
    finally:
        sys.settrace(None)
    return lines, len(planned)


def test_twice_the_episode_is_twice_the_planning(tmp_path):
    small, segments = _work(tmp_path, 60)
    large, more = _work(tmp_path, 120)
    assert 2 * segments <= more <= 2 * segments + 2
    # Linear: the ratio is 2 and a little (the episode's fixed part is counted once). Each
    # segment reading every subtitle cue, or each sound window every voice, made it 2.2.
    assert large / small < 2.08, (small, large)
