"""Segments and the cache: the same picture as one graph, only what changed is rendered
again, the same bytes however the work was done, a receipt, and safety under faults."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import av
import numpy as np
import pytest

import assembler
from assembler.run.receipts import Receipt
from assembler.run.cache import Cache
from assembler.run.ffmpeg import find_ffmpeg
from assembler.render import build_segment, plan
from conftest import write_edl
from media_tools import count_frames, dominant_tone, stream_info


def episode(media: Path, in_point: float = 0.2) -> dict:
    return {"version": 1, "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}},
            "video": [
                {"clip": str(media / "red.mp4"), "out": 1.5},
                {"transition": "dissolve", "duration": 0.4},
                {"clip": str(media / "green.mp4"), "in": in_point, "duration": 1.2},
                {"clip": str(media / "steps.mp4"), "in": 0.5, "out": 3.5},
                {"transition": "wipeleft", "duration": 0.4},
                {"title": "Chapter 2", "duration": 1},
                {"color": "navy", "duration": 11},  # longer than one segment: cut into pieces
                {"clip": str(media / "yellow.mov"), "duration": 1},
            ]}


def sha(path: Path) -> str:
    import hashlib
    return hashlib.sha256(path.read_bytes()).hexdigest()


def frames(path: Path):
    with av.open(str(path)) as c:
        for f in c.decode(video=0):
            yield f.to_ndarray(format="rgb24").astype(np.float64)


def psnr(a: np.ndarray, b: np.ndarray) -> float:
    mse = ((a - b) ** 2).mean()
    return 99.0 if mse == 0 else 10 * np.log10(255**2 / mse)


@pytest.fixture(scope="module")
def ep(media, tmp_path_factory):
    folder = tmp_path_factory.mktemp("segments")
    return write_edl(folder, "ep.yaml", episode(media))


def test_plan_tiles_the_timeline(ep):
    timeline = assembler.check(ep)
    from assembler.plan import segments
    parts = segments(timeline)
    assert parts[0].start == 0 and parts[-1].end == timeline.frames
    assert all(a.end == b.start for a, b in zip(parts, parts[1:]))
    assert [p.kind for p in parts].count("join") == 2
    assert max(p.frames for p in parts) <= 250 and len([p for p in parts if 6 in p.items]) == 2


def test_segmented_render_looks_like_the_single_graph(ep, tmp_path):
    one, many = tmp_path / "one.mp4", tmp_path / "many.mp4"
    assembler.render(ep, one, single=True)
    result = assembler.render(ep, many, cache=False)
    assert result.segments > 5 and count_frames(one) == count_frames(many) == result.frames
    worst = min(psnr(a, b) for a, b in zip(frames(one), frames(many)))
    assert worst > 35, f"a frame differs: PSNR {worst:.1f} dB"
    assert abs(stream_info(one)["audio_duration"] - stream_info(many)["audio_duration"]) < 1024 / 48000
    for t in (0.5, 1.5, 3.0):
        assert abs(dominant_tone(one, t, 0.2) - dominant_tone(many, t, 0.2)) < 15


def test_rerender_with_nothing_changed_renders_nothing(ep, tmp_path):
    cache = tmp_path / "cache"
    first = assembler.render(ep, tmp_path / "a.mp4", cache=cache)
    # The first render into a new cache remembered its probes: the next one opens no media file.
    sources = {Path(p.media.path).resolve() for p in assembler.check(ep).placements if p.media}
    probed = {Path(json.loads(r.read_text())["path"]) for r in (cache / "fingerprints").glob("*.probe.json")}
    assert sources and sources <= probed
    again = assembler.render(ep, tmp_path / "b.mp4", cache=cache)
    assert first.rendered == first.segments and again.rendered == 0
    assert json.loads(again.receipt.read_text())["sound"]["rendered_now"] is False  # nothing re-encoded
    assert sha(tmp_path / "a.mp4") == sha(tmp_path / "b.mp4")


def test_one_changed_in_point_renders_only_its_segments_and_matches_a_clean_render(media, ep, tmp_path):
    cache = tmp_path / "cache"
    assembler.render(ep, tmp_path / "before.mp4", cache=cache)
    changed = write_edl(tmp_path, "changed.yaml", episode(media, in_point=0.6))
    timeline = assembler.check(changed)
    from assembler.plan import segments
    touching = [s for s in segments(timeline) if 2 in s.items]
    incremental = assembler.render(changed, tmp_path / "incremental.mp4", cache=cache)
    assert incremental.rendered == len(touching) == 2  # its incoming join and its body (a cut follows)
    clean = assembler.render(changed, tmp_path / "clean.mp4", cache=tmp_path / "fresh")
    assert clean.rendered == clean.segments
    assert sha(tmp_path / "incremental.mp4") == sha(tmp_path / "clean.mp4")
    receipt = json.loads(incremental.receipt.read_text())
    assert sum(s["rendered_now"] for s in receipt["segments"]) == 2


def test_serial_parallel_and_any_order_give_the_same_bytes(ep, tmp_path):
    serial = assembler.render(ep, tmp_path / "serial.mp4", cache=tmp_path / "c1", jobs=1)
    parallel = assembler.render(ep, tmp_path / "parallel.mp4", cache=tmp_path / "c2", jobs=3)
    # Fill a third cache by hand, last segment first, then assemble from it.
    store, ff = Cache(tmp_path / "c3"), find_ffmpeg()
    for p in reversed(plan(assembler.check(ep), store, ff)):
        build_segment(os.fspath(store.root), p.key, p.job, ff.path)
    reverse = assembler.render(ep, tmp_path / "reverse.mp4", cache=tmp_path / "c3")
    assert reverse.rendered == 0
    assert sha(serial.path) == sha(parallel.path) == sha(reverse.path)


def test_a_moved_source_keeps_its_segments(media, tmp_path):
    shutil.copy(media / "red.mp4", tmp_path / "a.mp4")
    edl = {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}},
           "video": [{"clip": "a.mp4", "out": 1}]}
    first = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "1.mp4", cache=tmp_path / "c")
    (tmp_path / "a.mp4").rename(tmp_path / "renamed shot.mp4")
    edl["video"][0]["clip"] = "renamed shot.mp4"
    again = assembler.render(write_edl(tmp_path, "ep.yaml", edl), tmp_path / "2.mp4", cache=tmp_path / "c")
    assert first.rendered == 1 and again.rendered == 0


def test_receipt_says_what_made_the_bytes(ep, tmp_path):
    result = assembler.render(ep, tmp_path / "ep.mp4", cache=tmp_path / "c")
    receipt = json.loads(result.receipt.read_text())
    assert result.receipt == tmp_path / "ep.receipt.json"
    assert receipt["output"]["sha256"] == sha(tmp_path / "ep.mp4")
    assert receipt["edl"]["sha256"] == sha(ep)
    assert receipt["ffmpeg"]["version"] and receipt["assembler"]
    assert {Path(i["path"]).name for i in receipt["inputs"]} >= {"red.mp4", "green.mp4", "steps.mp4", "yellow.mov"}
    assert all(len(i["sha256"]) == 64 and i["size"] > 0 for i in receipt["inputs"])
    assert len(receipt["segments"]) == result.segments
    assert all(len(s["key"]) == 64 and s["argv"][0].endswith(("ffmpeg", "v9.0.2")) for s in receipt["segments"])
    assert set(receipt["timings"]) >= {"segments", "assemble", "total"}


def test_verify_and_diff_on_the_command_line(media, ep, tmp_path):
    out = tmp_path / "ep.mp4"
    assembler.render(ep, out, cache=tmp_path / "c")
    done = subprocess.run([sys.executable, "-m", "assembler", "verify", str(tmp_path / "ep.receipt.json")],
                          capture_output=True, text=True)
    assert done.returncode == 0 and "OK" in done.stdout, done.stdout + done.stderr
    receipt = json.loads((tmp_path / "ep.receipt.json").read_text())
    receipt["output"]["sha256"] = "0" * 64
    (tmp_path / "bad.receipt.json").write_text(json.dumps(receipt))
    done = subprocess.run([sys.executable, "-m", "assembler", "verify", str(tmp_path / "bad.receipt.json")],
                          capture_output=True, text=True)
    assert done.returncode == 1 and "MISMATCH" in done.stdout
    changed = write_edl(tmp_path, "changed.yaml", episode(media, in_point=0.6))
    done = subprocess.run([sys.executable, "-m", "assembler", "diff", str(ep), str(changed)],
                          capture_output=True, text=True, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "item video[2] differs" in done.stdout and "1 items differ; 2 segments" in done.stdout


def test_what_diff_says_is_made_is_what_the_next_receipt_lists_as_made(media, ep, tmp_path):
    """diff speaks the receipt's schema: the segments it says B renders anew are, line for
    line, the ones B's render then records as rendered now (and the shared ones are not)."""
    cache = tmp_path / "c"
    first = assembler.render(ep, tmp_path / "a.mp4", cache=cache)
    changed = write_edl(tmp_path, "changed.yaml", episode(media, in_point=0.6))
    said = assembler.diff(ep, changed, cache=cache)
    assert said.only_b and said.shared
    second = assembler.render(changed, tmp_path / "b.mp4", cache=cache)
    lines = Receipt.read(second.receipt).segments
    made = [(s.kind, s.frames, s.items, s.key) for s in lines if s.rendered_now]
    assert [(s.kind, s.frames, s.items, s.key) for s in said.only_b] == made
    assert {s.key for s in said.only_a} == {s.key for s in Receipt.read(first.receipt).segments} - {s.key for s in lines}
    assert second.rendered == len(made) and len(lines) - len(made) == said.shared


def test_a_broken_cache_entry_is_rebuilt_not_trusted(ep, tmp_path):
    cache = tmp_path / "c"
    first = assembler.render(ep, tmp_path / "a.mp4", cache=cache)
    victim = next(cache.glob("segments/*/*/video.mp4"))
    victim.write_bytes(victim.read_bytes()[:100])
    again = assembler.render(ep, tmp_path / "b.mp4", cache=cache)
    assert again.rendered == 1
    assert sha(first.path) == sha(again.path)


def test_cache_info_and_prune(ep, tmp_path):
    cache = tmp_path / "c"
    result = assembler.render(ep, tmp_path / "a.mp4", cache=cache)
    cli = [sys.executable, "-m", "assembler", "cache"]
    done = subprocess.run([*cli, "info", "--cache", str(cache)], capture_output=True, text=True)
    assert f"{result.segments + 1} entries" in done.stdout  # the segments and the sound
    done = subprocess.run([*cli, "prune", "--cache", str(cache), "--max-size", "0"], capture_output=True, text=True)
    assert f"removed {result.segments + 1} entries" in done.stdout
    assert Cache(cache).info().entries == 0


def test_two_renders_share_a_cache_at_once(ep, tmp_path):
    cache, results, errors = tmp_path / "c", {}, []

    def go(name):
        try:
            results[name] = assembler.render(ep, tmp_path / f"{name}.mp4", cache=cache, jobs=2)
        except Exception as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=go, args=(n,)) for n in ("x", "y")]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    assert sha(results["x"].path) == sha(results["y"].path)
    assert assembler.render(ep, tmp_path / "z.mp4", cache=cache).rendered == 0


def test_killed_render_leaves_no_output_and_a_usable_cache(media, tmp_path):
    edl = {"version": 1, "output": {"size": "640x360", "fps": 25, "video": {"preset": "slow"}},
           "video": [{"clip": str(media / "red.mp4")}, {"color": "white", "duration": 6},
                     {"transition": "fade"}, {"clip": str(media / "steps.mp4")}, {"color": "blue", "duration": 6}]}
    path = write_edl(tmp_path, "ep.yaml", edl)
    out, cache = tmp_path / "ep.mp4", tmp_path / "c"
    proc = subprocess.Popen([sys.executable, "-m", "assembler", "render", str(path), "-o", str(out), "--cache",
                             str(cache), "-j", "1", "-q"], start_new_session=True)
    deadline = time.monotonic() + 60
    while not list(cache.glob("segments/*/*/video.mp4")) and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the render and its ffmpeg, mid-work
    proc.wait()
    assert not out.exists() and not list(tmp_path.glob(".ep*partial*"))
    again = assembler.render(path, out, cache=cache)
    assert 0 < again.rendered < again.segments
    clean = assembler.render(path, tmp_path / "clean.mp4", cache=False)
    assert sha(out) == sha(clean.path)


def test_segments_on_a_dask_cluster(ep, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None) as c, \
            distributed.Client(c) as client:
        remote = assembler.render(ep, tmp_path / "dask.mp4", cache=tmp_path / "c", executor=client.get_executor())
    local = assembler.render(ep, tmp_path / "local.mp4", cache=tmp_path / "c2")
    assert remote.rendered == remote.segments
    assert sha(remote.path) == sha(local.path)


def _tree_rss_mb(root: int) -> float:
    """Resident memory of a process and all its descendants, from /proc."""
    parents: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    parents[int(entry)] = int(f.read().rsplit(")", 1)[1].split()[1])
            except (OSError, ValueError, IndexError):
                pass
    family, grew = {root}, True
    while grew:
        more = {pid for pid, parent in parents.items() if parent in family} - family
        family |= more
        grew = bool(more)
    total = 0
    for pid in family:
        try:
            with open(f"/proc/{pid}/status") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        except (OSError, StopIteration):
            pass
    return total / 1024


def test_three_hundred_shots_in_bounded_memory(media, tmp_path):
    """A 300-shot episode with 100 attached sounds: every segment opens at most two
    inputs, the sound is mixed from its 400 sources in windows of at most 8, and the whole
    process tree stays far below 1 GB."""
    items = []
    sources = ["red.mp4", "green.mp4", "yellow.mov", "blue.mp4"]
    for k in range(300):
        if k % 2:
            items.append({"transition": "dissolve", "duration": "2f"})
        items.append({"clip": str(media / sources[k % 4]), "in": f"{k % 3}f", "duration": 0.32})  # 8 frames
        if k % 3 == 0:
            items[-1]["audio"] = [{"file": str(media / "steps.mp4"), "start": 0.05, "duration": 0.2, "role": "sfx"}]
    path = write_edl(tmp_path, "big.yaml", {"version": 1, "output": {"size": "160x90", "fps": 25,
                                                                     "video": {"preset": "ultrafast"}},
                                            "video": items})
    timeline = assembler.check(path)
    store = Cache(tmp_path / "c")
    assert max(len(p.job.graph.sources) for p in plan(timeline, store, find_ffmpeg())) <= 2
    peak, done = [0.0], threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _tree_rss_mb(os.getpid()))
            done.wait(0.05)

    sampler = threading.Thread(target=sample)
    sampler.start()
    try:
        result = assembler.render(path, tmp_path / "big.mp4", cache=store.root, jobs=2)
    finally:
        done.set()
        sampler.join()
    assert result.frames == 300 * 8 - 150 * 2 == count_frames(result.path)
    assert abs(stream_info(result.path)["audio_duration"] - float(result.duration)) < 1024 / 48000
    windows = json.loads(result.receipt.read_text())["sound"]["windows"]
    assert len(windows) >= 400 / 8 and max(sources for _, _, sources in windows) <= 8
    assert peak[0] < 1024, f"peak {peak[0]:.0f} MB"


def test_scheduler_option_on_the_command_line(ep, tmp_path):
    distributed = pytest.importorskip("distributed")
    with distributed.LocalCluster(n_workers=1, threads_per_worker=2, processes=True, dashboard_address=None) as c:
        done = subprocess.run([sys.executable, "-m", "assembler", "render", str(ep), "-o", str(tmp_path / "d.mp4"),
                               "--cache", str(tmp_path / "c"), "--scheduler", c.scheduler_address, "-q"],
                              capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert count_frames(tmp_path / "d.mp4") == assembler.check(ep).frames


def test_ctrl_c_during_segments_keeps_output_and_cache_sound(media, tmp_path):
    out, cache = tmp_path / "ep.mp4", tmp_path / "c"
    out.write_bytes(b"last good render")
    path = write_edl(tmp_path, "ep.yaml", {
        "version": 1, "output": {"size": "1280x720", "video": {"preset": "veryslow"}},
        "video": [{"color": "red", "duration": 20}, {"transition": "fade"}, {"color": "blue", "duration": 20}]})
    proc = subprocess.Popen([sys.executable, "-m", "assembler", "render", str(path), "-o", str(out), "--cache",
                             str(cache)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not list(cache.glob("segments/*/*/video.mp4")) and time.monotonic() < deadline:
        time.sleep(0.02)
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 130, stderr
    assert out.read_bytes() == b"last good render"
    assert not list(tmp_path.glob(".ep*")) and not list((cache / "tmp").iterdir())
    for meta in cache.glob("segments/*/*/meta.json"):  # whatever was finished (segments, sound) is whole
        assert Cache(cache).get(meta.parent.name, tuple(json.loads(meta.read_text())["files"])) is not None


def test_same_output_again_is_left_alone_unless_it_was_touched(ep, tmp_path):
    out, cache = tmp_path / "ep.mp4", tmp_path / "c"
    assembler.render(ep, out, cache=cache)
    before, stamp = sha(out), out.stat().st_mtime_ns
    again = assembler.render(ep, out, cache=cache)
    assert again.rendered == 0 and out.stat().st_mtime_ns == stamp  # not even rewritten
    receipt = json.loads(again.receipt.read_text())
    assert not any(s["rendered_now"] for s in receipt["segments"]) and receipt["timings"]["reused"]
    out.write_bytes(b"damaged")
    repaired = assembler.render(ep, out, cache=cache)
    assert repaired.rendered == 0 and sha(out) == before  # rebuilt from the cache alone
