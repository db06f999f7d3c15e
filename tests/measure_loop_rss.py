"""Peak memory of the ffmpeg processes that render a 10-minute looped bed under a 30 s
timeline and under an 11-minute one (where it wraps), held in memory by ``aloop`` and read
again from the file (``-stream_loop``).
Not a test (it takes a minute and writes a 110 MB WAV): run it by hand,
``python tests/measure_loop_rss.py``."""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
from pathlib import Path

from media_tools import BITEXACT, run_ffmpeg

CHILD = """
import json, resource, sys
import assembler
from assembler import mix
mix._HELD_LOOP = float(sys.argv[3])
assembler.render(sys.argv[1], sys.argv[2], cache=False)
print(resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
"""


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        folder = Path(folder)
        bed = folder / "bed.wav"
        run_ffmpeg("-f", "lavfi", "-i", "anoisesrc=d=600:c=pink:r=48000:seed=7:a=0.3", "-ac", "2",
                   "-c:a", "pcm_s16le", *BITEXACT, str(bed))
        edl = folder / "bed.yaml"
        for seconds in (30, 660):
            edl.write_text(json.dumps({"version": 1, "output": {"size": "64x36", "fps": 5, "video": {
                "preset": "ultrafast"}}, "video": [{"color": "black", "duration": seconds}],
                "audio": [{"file": str(bed), "loop": True}]}))
            for name, held in (("held by aloop", 1e9), ("read again", 30)):
                done = subprocess.run([sys.executable, "-c", CHILD, str(edl), str(folder / "out.mp4"), str(held)],
                                      capture_output=True, text=True, check=True)
                print(f"{seconds} s timeline, {name}: peak RSS of ffmpeg {int(done.stdout.split()[-1]) / 1024:.1f} MiB")


if __name__ == "__main__":
    main()
