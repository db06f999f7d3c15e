"""Shared fixtures: a session's worth of real source media, made once with lavfi."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import corpus
from media_tools import make_clip, make_image, make_split_clip, run_ffmpeg, BITEXACT

# Tones are far apart so that an FFT window tells them apart at a glance.
TONES = {"red": 440, "green": 660, "blue": 990, "yellow": 1320, "hd": 550}


@pytest.fixture(scope="session")
def media(tmp_path_factory) -> Path:
    """Source clips of every shape the contract says comes in."""
    d = tmp_path_factory.mktemp("media")
    make_clip(d / "red.mp4", color="red", size=(320, 180), fps=25, duration=2, tone=TONES["red"])
    make_clip(d / "green.mp4", color="green", size=(640, 360), fps="30000/1001", duration=2, tone=TONES["green"],
              sample_rate=44100, channels=1)
    make_clip(d / "blue.mp4", color="blue", size=(180, 320), fps=24, duration=2, tone=None)  # portrait, silent
    make_clip(d / "yellow.mov", color="yellow", size=(400, 300), fps=30, duration=2, tone=TONES["yellow"],
              pix_fmt="yuv444p", channels=6)
    make_clip(d / "wide.mp4", color="green", size=(320, 180), fps=25, duration=2, tone=None, sar="2:1")
    make_split_clip(d / "phone.mp4", top="red", bottom="blue", size=(320, 180), fps=30, duration=2, tone=None,
                    rotation=90)
    make_image(d / "still.png", color="purple", size=(400, 300))
    # Colour changes every second (red, green, blue, white): trims are visible in the picture,
    # and a 220 Hz -> 880 Hz step shows where the sound was cut.
    run_ffmpeg("-f", "lavfi", "-i",
               "color=red:s=320x180:r=24:d=1[a];color=green:s=320x180:r=24:d=1[b];"
               "color=blue:s=320x180:r=24:d=1[c];color=white:s=320x180:r=24:d=1[d];[a][b][c][d]concat=n=4",
               "-f", "lavfi", "-i", "sine=f=220:d=2,aformat=channel_layouts=mono[s1];sine=f=880:d=2[s2];"
               "[s1][s2]concat=v=0:a=1",
               "-c:v", "libx264", "-preset", "ultrafast", "-g", "12", "-pix_fmt", "yuv420p", "-c:a", "aac",
               *BITEXACT, str(d / "steps.mp4"))
    return d


def write_edl(folder: Path, name: str, edl: dict) -> Path:
    """Write an EDL as YAML-compatible JSON text (JSON is YAML), or real JSON for .json."""
    path = folder / name
    path.write_text(json.dumps(edl, ensure_ascii=False, indent=2), encoding="utf-8")
    corpus.record(path, edl)  # only with ASSEMBLER_CORPUS set (bench/same_bytes.py)
    return path


def pytest_sessionfinish(session):
    worker = getattr(session.config, "workerinput", {}).get("workerid", "main")
    corpus.harvest(worker)
