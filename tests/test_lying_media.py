"""Media that lie: a still named like an image sequence, files whose content is not what
their names say, a truncated clip, and a clip whose data does not decode."""

from __future__ import annotations

from pathlib import Path

import pytest

import assembler
from assembler import EdlError
from conftest import write_edl
from media_tools import make_clip, make_image, mean_color

OUTPUT = {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}}


def episode(video: list, **more) -> dict:
    return {"version": 1, "output": OUTPUT, "video": video, **more}


def problems_of(edl: Path) -> list:
    with pytest.raises(EdlError) as raised:
        assembler.check(edl)
    return raised.value.problems


def near(rgb, expected, tolerance: int = 40) -> bool:
    return all(abs(float(a) - b) <= tolerance for a, b in zip(rgb, expected))


# ------------------------------------------------------------------ (a) sequence-like names

def test_a_still_named_like_a_sequence_is_read_as_that_one_file(tmp_path):
    make_image(tmp_path / "p%d.png", color="blue", size=(320, 180))
    make_image(tmp_path / "p1.png", color="red", size=(160, 90))  # what image2 would read instead
    assert assembler.probe(tmp_path / "p%d.png").width == 320
    # On the main track (an input of its own), and as an overlay (a `movie` source) over green.
    edl = write_edl(tmp_path, "ep.yaml", episode([{"image": "p%d.png", "duration": 1}]))
    over = write_edl(tmp_path, "over.yaml", episode(
        [{"color": "green", "duration": 1}],
        overlays=[{"image": "p%d.png", "position": "top-left", "scale": 0.5, "start": 0, "end": 1}]))
    main = assembler.render(edl, tmp_path / "main.mp4").path
    assert near(mean_color(main, 0.5), (0, 0, 255))
    drawn = assembler.render(over, tmp_path / "over.mp4").path
    assert near(mean_color(drawn, 0.5, box=(0.1, 0.1, 0.4, 0.4)), (0, 0, 255))
    assert near(mean_color(drawn, 0.5, box=(0.6, 0.6, 0.9, 0.9)), (0, 128, 0))
