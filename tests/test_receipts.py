"""The receipt's one schema (run/receipts.py): a real render's receipt reads and writes back
to the same bytes, fresh and reused; a receipt of another version (fields missing) reads; a
field of the wrong type is named; and the plan only names the subtitles it burns, the
runner writes them, with the keys the files would give."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

import assembler
from assembler.errors import UsageError
from assembler.render import plan
from assembler.run.assemble import write_planned
from assembler.run.cache import Cache
from assembler.run.ffmpeg import find_ffmpeg
from assembler.run.receipts import Receipt
from conftest import write_edl
from media_tools import make_clip


def episode(folder: Path, burn: bool = False) -> dict:
    return {"version": 1, "output": {"size": "320x180", "fps": 24, "video": {"preset": "ultrafast"}},
            "media_root": str(folder),
            "video": [{"clip": "a.mp4", "out": 0.5, "subtitles": [{"start": 0.1, "end": 0.4, "text": "One"}]},
                      {"clip": "a.mp4", "in": 0.5, "out": 1.0,
                       "subtitles": [{"start": 0.1, "end": 0.3, "text": "Two"}]}],
            "subtitles": {"burn": burn, "sidecar": True}}


@pytest.fixture(scope="module")
def folder(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("receipts")
    make_clip(folder / "a.mp4", duration=1, tone=440)
    return folder


@pytest.fixture(scope="module")
def receipts(folder) -> tuple[Path, str, str]:
    """A render's receipt as written fresh, and as rewritten by a render that found the output up to date."""
    edl = write_edl(folder, "ep.yaml", episode(folder))
    first = assembler.render(edl, folder / "ep.mp4", cache=folder / "cache")
    fresh = first.receipt.read_text(encoding="utf-8")
    again = assembler.render(edl, folder / "ep.mp4", cache=folder / "cache")
    assert again.rendered == 0 and again.receipt == first.receipt
    return first.receipt, fresh, again.receipt.read_text(encoding="utf-8")


def test_a_receipt_reads_and_writes_back_byte_for_byte(receipts, tmp_path):
    _, fresh, reused = receipts
    for text in (fresh, reused):
        path = tmp_path / "ep.receipt.json"
        path.write_text(text, encoding="utf-8")
        assert Receipt.read(path).text() == text


def test_the_reused_receipt_is_the_fresh_one_with_nothing_made_now(receipts):
    _, fresh, reused = receipts
    before, after = json.loads(fresh), json.loads(reused)
    assert [s["rendered_now"] for s in before["segments"]] == [True, True]
    assert all(not s["rendered_now"] and "seconds" not in s for s in after["segments"])
    assert list(before["timings"]) == ["check", "segments", "assemble", "total"]
    assert list(after["timings"]) == ["total", "reused"] and after["timings"]["reused"] is True
    assert after["sound"]["rendered_now"] is False and after["sound"]["key"] == before["sound"]["key"]
    for data in (before, after):
        data.pop("timings")
        data["sound"].pop("rendered_now")
        for s in data["segments"]:
            s.pop("rendered_now")
            s.pop("seconds", None)
    assert before == after
    assert [Path(b["path"]).name for b in after["beside"]] == ["ep.srt"]


def test_a_receipt_of_another_version_reads_with_what_it_has(tmp_path):
    path = tmp_path / "old.receipt.json"
    path.write_text(json.dumps({"edl": {"path": None}, "inputs": [{"path": "/a.mp4", "sha256": "ab"}],
                                "output": {"path": "/ep.mp4", "sha256": "cd"}}), encoding="utf-8")
    receipt = Receipt.read(path)
    assert (receipt.edl.path, receipt.inputs[0].size, receipt.output.sha256) == (None, None, "cd")
    assert receipt.segments == () and receipt.sound is None and receipt.beside is None


@pytest.mark.parametrize("keys, value, expected", [
    (["segments", 0, "rendered_now"], 1, "segments[0].rendered_now: expected true/false, found a number (1)"),
    (["segments", 0, "argv"], [1], "segments[0].argv[0]: expected a string, found a number (1)"),
    (["sound", "loudness"], 5, "sound.loudness: expected an object, found a number (5)"),
    (["timings", "total"], [1], "timings.total: expected a number, found a list"),
    (["inputs", 0, "size"], True, "inputs[0].size: expected a number, found true/false (true)"),
    (["beside", 0, "path"], "a\0b", "beside[0].path: expected a string, found a string holding NUL"),
    # A string is said as one: only a string with a NUL in it is "a string holding NUL".
    (["segments", 0, "rendered_now"], "yes", "segments[0].rendered_now: expected true/false, found a string"),
    (["inputs", 0], "s01.mp4", "inputs[0]: expected an object, found a string"),
])
def test_a_field_of_the_wrong_type_is_named(receipts, tmp_path, keys, value, expected):
    data = json.loads(receipts[1])
    target = data
    for key in keys[:-1]:
        target = target[key]
    target[keys[-1]] = value
    path = tmp_path / "crafted.receipt.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    with pytest.raises(UsageError) as caught:
        Receipt.read(path)
    assert str(caught.value) == f"{path}: {expected}"


def test_the_plan_names_burned_subtitles_and_the_runner_writes_them(folder, tmp_path):
    timeline = assembler.check(write_edl(folder, "burn.yaml", episode(folder, burn=True)))
    store, ff = Cache(tmp_path / "cache"), find_ffmpeg()
    planned = plan(timeline, store, ff, subtitles=tmp_path / "subs")
    assert not (tmp_path / "subs").exists()
    named = [path for p in planned for path, _ in p.writes]
    assert len(named) == 2 and all(path in p.job.paths for p in planned for path, _ in p.writes)
    write_planned(planned)
    assert sorted(os.listdir(tmp_path / "subs")) == sorted(Path(path).name for path in named)
    # Once written, each file's fingerprint is the one the plan made its key from.
    assert [dict(p.sources)[path] for p in planned for path, _ in p.writes] == \
        [Cache(tmp_path / "third").fingerprint(path) for path in named]
