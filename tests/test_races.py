"""Signals, races and a cache that cannot be poisoned: SIGTERM like Ctrl-C, leftovers of
killed renders removed, sources that change while a render reads them, and cache files
that were edited or replaced (concurrent renders into one output: test_render_sets)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

import assembler
from assembler.run.cache import Cache
from assembler.errors import MediaError
from conftest import write_edl
from media_tools import make_clip, mean_color, frame_rgb


def small(items: list, **output) -> dict:
    return {"version": 1, "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}, **output},
            "video": items}


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _wait_for(found, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while not found() and time.monotonic() < deadline:
        time.sleep(0.05)
    assert found(), "the render never got that far"


def _long_render(folder: Path, *options: str) -> subprocess.Popen:
    """``assembler render`` of a minute of 720p at the slowest preset, over an output
    that holds a previous render, once ffmpeg has started writing."""
    (folder / "ep.mp4").write_bytes(b"last good render")
    path = write_edl(folder, "ep.yaml", {"version": 1, "output": {"size": "1280x720", "video": {"preset": "veryslow"}},
                                         "video": [{"color": "red", "duration": 60}]})
    proc = subprocess.Popen([sys.executable, "-m", "assembler", "render", str(path), "-o", str(folder / "ep.mp4"),
                             *options], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    _wait_for(lambda: list(folder.glob(".ep.*.partial.mp4")) or list(folder.glob(".assembler-cache/tmp/*/*")))
    return proc


@pytest.mark.parametrize("options", [("--single",), ()], ids=["single", "segments"])
def test_sigterm_is_handled_like_ctrl_c(tmp_path, options):
    proc = _long_render(tmp_path, *options)
    os.kill(proc.pid, signal.SIGTERM)  # only the render, as `docker stop` or `timeout` sends it
    _, stderr = proc.communicate(timeout=30)
    assert (proc.returncode, "Traceback" in stderr, "terminated" in stderr) == (143, False, True), stderr
    assert (tmp_path / "ep.mp4").read_bytes() == b"last good render"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name != ".assembler-cache") == ["ep.mp4", "ep.yaml"]
    assert not list(tmp_path.glob(".assembler-cache/tmp/*"))


def test_leftovers_of_a_killed_render_are_removed_by_the_next(tmp_path):
    path = write_edl(tmp_path, "ep.yaml", small([{"color": "red", "duration": 0.5}]))
    out = tmp_path / "ep.mp4"
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no process has now
    old = time.time() - 2 * 86400
    leftovers = [f".ep.{dead.pid}.0123abcd.partial.mp4", f".ep.receipt.json.{dead.pid}.89abcdef.partial",
                 ".ep.4567cdef.partial.mp4"]  # the last: the name before pids, two days old
    kept = [f".ep.{os.getppid()}.0123abcd.partial.mp4",  # a live process's: still being written
            f".other.{dead.pid}.0123abcd.partial.mp4",  # another output's
            ".ep.mp4.notes", ".ep.abcd.partial.mp4"]  # not our pattern
    for name in [*leftovers, *kept]:
        (tmp_path / name).write_bytes(b"x")
    os.utime(tmp_path / ".ep.4567cdef.partial.mp4", (old, old))
    assembler.render(path, out, cache=tmp_path / "c")
    hidden = sorted(p.name for p in tmp_path.iterdir() if p.name.startswith("."))
    assert hidden == sorted(kept)


def test_a_source_replaced_while_the_render_runs_is_not_cached_under_its_old_key(tmp_path):
    take = make_clip(tmp_path / "take.mp4", color="red", duration=1, tone=440)
    first = take.read_bytes()
    make_clip(tmp_path / "new take.mp4", color="blue", duration=1, tone=990)
    path = write_edl(tmp_path, "ep.yaml", small([{"clip": "take.mp4"}, {"color": "white", "duration": 0.4}]))
    out, cache = tmp_path / "ep.mp4", tmp_path / "c"

    def regenerate(progress) -> None:  # once the keys are made, before any job opens the take
        if (tmp_path / "new take.mp4").exists():
            os.replace(tmp_path / "new take.mp4", take)

    with pytest.raises(MediaError, match="take.mp4 changed while the render read it"):
        assembler.render(path, out, cache=cache, progress=regenerate, jobs=1)
    assert not out.exists()
    take.write_bytes(first)  # the old take is back: its key again, and its picture
    again = assembler.render(path, out, cache=cache)
    assert again.rendered == again.segments
    r, g, b = mean_color(out, 0.5)
    assert r > 200 and b < 60, (r, g, b)


def test_the_cache_keeps_nothing_made_from_a_source_that_changed_meanwhile(tmp_path):
    take = make_clip(tmp_path / "take.mp4", color="red", duration=1, tone=440)
    store = Cache(tmp_path / "c")
    known = {os.fspath(take): store.fingerprint(take)}
    make_clip(take, color="blue", duration=1, tone=990)
    with pytest.raises(MediaError, match="changed while"):
        store.put("ab" * 32, ("video.mp4",), lambda paths: paths[0].write_bytes(b"made") and {}, known)
    assert store.get("ab" * 32, ("video.mp4",)) is None and not list((tmp_path / "c" / "tmp").iterdir())


def test_an_edited_burned_subtitle_file_in_the_cache_is_written_again(tmp_path):
    make_clip(tmp_path / "a.mp4", color="black", duration=1, tone=None)
    edl = small([{"clip": "a.mp4", "subtitles": [{"start": 0, "end": 1, "text": "IIIIIIII"}]}])
    edl["subtitles"] = {"burn": True, "style": {"size": 240}}
    path, cache = write_edl(tmp_path, "ep.yaml", edl), tmp_path / "c"
    assembler.render(path, tmp_path / "first.mp4", cache=cache)
    (burned,) = (cache / "subtitles").glob("*.ass")
    burned.write_text(burned.read_text(encoding="utf-8").replace("IIIIIIII", ""), encoding="utf-8")
    for entry in cache.glob("segments/*/*"):
        Cache(cache).forget(entry.name)  # the segment is made again, from the subtitle file
    assembler.render(path, tmp_path / "again.mp4", cache=cache)
    lit = (frame_rgb(tmp_path / "again.mp4", 0.5) > 64).sum()
    assert lit > 500 and lit == (frame_rgb(tmp_path / "first.mp4", 0.5) > 64).sum()


@pytest.mark.parametrize("damage", [{"width": "wide"}, {"duration": [1]}, {"duration": "5"}, {"fps": "1/0"}],
                         ids=["text-width", "list-duration", "other-duration", "zero-rate"])
def test_an_edited_probe_record_is_not_believed(tmp_path, damage):
    make_clip(tmp_path / "a.mp4", color="red", duration=1, tone=440)
    path, cache = write_edl(tmp_path, "ep.yaml", small([{"clip": "a.mp4"}])), tmp_path / "c"
    assembler.render(path, tmp_path / "ep.mp4", cache=cache)
    (record,) = (cache / "fingerprints").glob("*.probe.json")
    record.write_text(json.dumps({**json.loads(record.read_text()), **damage}))
    result = assembler.render(path, tmp_path / "again.mp4", cache=cache)
    assert result.frames == 25
    assert Cache(cache).probe(tmp_path / "a.mp4").duration == 1 and Cache(cache).probe(tmp_path / "a.mp4").width == 320


@pytest.mark.parametrize("folder", ["segments", "fingerprints", "tmp", "subtitles", "segments/XX"])
def test_cache_folders_replaced_by_files_are_rebuilt(tmp_path, folder):
    make_clip(tmp_path / "a.mp4", color="red", duration=1, tone=440)
    edl = small([{"clip": "a.mp4", "subtitles": [{"start": 0, "end": 1, "text": "hi"}]}])
    path, cache = write_edl(tmp_path, "ep.yaml", edl), tmp_path / "c"
    first = assembler.render(path, tmp_path / "ep.mp4", cache=cache)
    if folder == "segments/XX":  # the folder of the first segment's key
        folder = f"segments/{json.loads(first.receipt.read_text())['segments'][0]['key'][:2]}"
    target = cache / folder
    shutil.rmtree(target)
    target.write_bytes(b"not a folder")
    (tmp_path / "ep.mp4").unlink()
    again = assembler.render(path, tmp_path / "ep.mp4", cache=cache)
    assert target.is_dir() and again.frames == 25
    assert assembler.render(path, tmp_path / "third.mp4", cache=cache).rendered == 0


_SLOW_IMPORT = """
import importlib.abc, sys, time
class Slow(importlib.abc.MetaPathFinder):  # the first second of `assembler`, made long enough to hit
    def find_spec(self, name, path, target=None):
        if name == "assembler.cli":
            print("importing", flush=True)
            time.sleep(20)
sys.meta_path.insert(0, Slow())
sys.argv = ["assembler", "--version"]
import assembler_launch
assembler_launch.main()
"""


@pytest.mark.parametrize("sent, code", [(signal.SIGINT, 130), (signal.SIGTERM, 143)], ids=["ctrl-c", "sigterm"])
def test_a_signal_while_the_command_imports_is_no_traceback(sent, code):
    proc = subprocess.Popen([sys.executable, "-c", _SLOW_IMPORT], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)
    assert proc.stdout.readline() == "importing\n"
    os.kill(proc.pid, sent)
    _, stderr = proc.communicate(timeout=10)
    assert (proc.returncode, "Traceback" in stderr) == (code, False), stderr
    assert sent != signal.SIGINT or stderr == "interrupted\n"


def test_the_command_starts_from_the_launcher():
    done = subprocess.run([os.path.join(os.path.dirname(sys.executable), "assembler"), "--version"],
                          capture_output=True, text=True)
    assert done.returncode == 0 and done.stdout.startswith("assembler ")
