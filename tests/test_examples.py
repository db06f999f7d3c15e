"""Every example in edl_examples/ is documentation, so every one is rendered here."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import av
import pytest

import assembler
from media_tools import count_frames, stream_info

EXAMPLES = Path(__file__).resolve().parents[1] / "edl_examples"


@pytest.mark.parametrize("example", sorted(p.name for p in EXAMPLES.iterdir() if (p / "episode.yaml").exists()))
def test_example_renders(example, tmp_path):
    folder = tmp_path / example
    shutil.copytree(EXAMPLES / example, folder, ignore=shutil.ignore_patterns("media", "*.mp4"))
    subprocess.run([sys.executable, str(folder / "make_media.py")], check=True, capture_output=True)
    timeline = assembler.check(folder / "episode.yaml")
    out = tmp_path / f"{example}.mp4"
    done = subprocess.run([sys.executable, "-m", "assembler", "render", str(folder / "episode.yaml"), "-o", str(out)],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert count_frames(out) == timeline.frames
    info = stream_info(out)
    assert (info["width"], info["height"]) == (timeline.output.width, timeline.output.height)
    assert abs(info["audio_duration"] - float(timeline.duration)) < 0.03
    receipt = json.loads(out.with_name(f"{example}.receipt.json").read_text())
    if timeline.loudness is not None:
        assert abs(receipt["sound"]["loudness"]["integrated"] - timeline.loudness) <= 0.5
        assert receipt["sound"]["loudness"]["true_peak"] <= -1.0
    if timeline.stems:
        assert receipt["sound"]["stems"] and all(Path(p).exists() for p in receipt["sound"]["stems"])
    track = timeline.subtitles
    if track is not None:
        with av.open(str(out)) as container:
            assert track.soft == bool(container.streams.subtitles)
        assert track.sidecar == out.with_suffix(".srt").exists()
        if track.sidecar:
            assert out.with_suffix(".srt").read_text(encoding="utf-8").count(" --> ") == len(track.cues)
    assert not [w for w in timeline.warnings if "not rendered" in w.message]  # examples use what works
