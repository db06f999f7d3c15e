"""Peak memory of the ffmpeg processes that render a 10-minute looped bed under a 30 s
timeline and under an 11-minute one (where it wraps), held in memory by ``aloop`` and read
again (``-stream_loop``: from the file for PCM at the output's rate, else from a lossless
copy of its looped part); for a PCM bed, a lossy one (mp3), one at 44.1 kHz and one looped
from an in-point.
Not a test (it takes minutes and writes some 500 MB): run it by hand,
``python tests/measure_loop_rss.py``; ``PYTHONPATH=OTHER_TREE python tests/measure_loop_rss.py``
measures another tree's assembler (before a change)."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from media_tools import BITEXACT, run_ffmpeg

CHILD = """
import json, resource, sys, time
import assembler
from assembler.compile import mix
mix._HELD_LOOP = float(sys.argv[3])
started = time.monotonic()
assembler.render(sys.argv[1], sys.argv[2], cache=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.monotonic() - started)
"""

BEDS = {"wav 48k": ("bed.wav", 48000, ["-c:a", "pcm_s16le"], {}),
        "mp3 48k": ("bed.mp3", 48000, ["-c:a", "libmp3lame", "-b:a", "192k"], {}),
        "wav 44.1k": ("bed44.wav", 44100, ["-c:a", "pcm_s16le"], {}),
        "wav 48k, in: 5": ("bed.wav", 48000, ["-c:a", "pcm_s16le"], {"in": 5})}

# One command of the dry run, alone: its own peak, not the render's largest process.
ONE = """
import resource, subprocess, sys, time
started = time.monotonic()
subprocess.run(sys.argv[1:], check=True, capture_output=True)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, time.monotonic() - started)
"""


def sound_steps(edl: Path, folder: Path, label: str) -> None:
    """The peak memory of each of the sound's commands (as the dry run lists them), run alone."""
    import assembler
    plan = assembler.dry_run(edl, folder / "out.mp4", cache=False, folder=folder / "dry")
    for step in plan.steps:
        if step.what == "sound" and step.writes:
            done = subprocess.run([sys.executable, "-c", ONE, *step.argv], capture_output=True, text=True, check=True)
            rss, took = done.stdout.split()[-2:]
            print(f"  {label}, {step.title}: {int(rss) / 1024:.1f} MiB, {float(took):.1f} s", flush=True)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        for name, (file, rate, codec, more) in BEDS.items():
            bed = folder / file
            if not bed.exists():
                run_ffmpeg("-f", "lavfi", "-i", f"anoisesrc=d=600:c=pink:r={rate}:seed=7:a=0.3", "-ac", "2",
                           *codec, *BITEXACT, str(bed))
            edl = folder / "bed.yaml"
            for seconds in (30, 660):
                edl.write_text(json.dumps({"version": 1, "output": {"size": "64x36", "fps": 5, "video": {
                    "preset": "ultrafast"}}, "video": [{"color": "black", "duration": seconds}],
                    "audio": [{"file": str(bed), "loop": True, **more}]}))
                sound_steps(edl, folder, f"{name} bed, {seconds} s timeline")
                for how, held in (("held by aloop", 1e9), ("read again", 30)):
                    done = subprocess.run([sys.executable, "-c", CHILD, str(edl), str(folder / "out.mp4"), str(held)],
                                          capture_output=True, text=True, check=True)
                    rss, took = done.stdout.split()[-2:]
                    print(f"{name} bed, {seconds} s timeline, {how}: peak RSS of ffmpeg {int(rss) / 1024:.1f} MiB, "
                          f"render {float(took):.1f} s", flush=True)


if __name__ == "__main__":
    main()
