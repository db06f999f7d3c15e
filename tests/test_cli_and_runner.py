"""The command line, the runner's guarantees (atomic output, Ctrl-C, errors that carry the
command) and hostile names everywhere a path or a text goes."""

from __future__ import annotations

import ctypes.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time

import pytest

import assembler
from assembler.errors import FFmpegNotFound, RenderError
from assembler.run.ffmpeg import find_ffmpeg
from conftest import write_edl
from media_tools import frame_rgb, count_frames, make_clip, make_image, mean_color, dominant_tone

HOSTILE = "we ird: [dir], \"q\" 'x' 50% & #1; 中文"


def cli(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assembler", *args], capture_output=True, text=True, **kwargs)


def small(items: list, **output) -> dict:
    return {"version": 1, "output": {"size": "320x180", "fps": 25, "video": {"preset": "ultrafast"}, **output},
            "video": items}


def test_hostile_names_in_folders_files_output_and_text(tmp_path):
    folder = tmp_path / HOSTILE
    folder.mkdir()
    clip = make_clip(folder / "clip, one: [a] 'b' 100% & 日本.mp4", color="red", duration=1, tone=660)
    still = make_image(folder / "still; (c) \"é\".png", color="blue")
    edl = small([{"clip": clip.name}, {"transition": "dissolve", "duration": 0.2},
                 {"image": still.name, "duration": 1},
                 {"title": "It's: [a], b; c \\ 50% %{pts} \"q\" 中文", "duration": 1}])
    # Subtitles (a file, and text that is ASS syntax) and an overlay, all under hostile names:
    # the cache and its per-segment subtitle files live in the same folder.
    (folder / "subs, 1: [a] 'b'.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\n{\\b1} 50% 'q' \\N [x]: 中文\n",
                                                encoding="utf-8")
    edl["subtitles"] = {"file": "subs, 1: [a] 'b'.srt", "burn": True, "soft": True, "sidecar": True,
                        "style": {"size": 150}}
    edl["video"][0]["subtitles"] = [{"start": 0.6, "end": 0.9, "text": "a \\ b {c} \"d\" 'e' : f, g"}]
    edl["overlays"] = [{"image": still.name, "scale": 0.1, "position": "top-left"}]
    path = write_edl(folder, "épisode 1: [final], 'v2'.yaml", edl)
    out = tmp_path / "out: [dir], 'q' 50%" / "ép 1: \"final\" 中文.mp4"
    done = cli("render", str(path), "-o", str(out))
    assert done.returncode == 0, done.stderr
    assert count_frames(out) == 70
    assert "a \\ b {c} \"d\" 'e' : f, g" in out.with_suffix(".srt").read_text(encoding="utf-8")
    lower = frame_rgb(out, 0.25)[120:].astype(int)  # the file's cue, burned over the red clip
    assert ((lower[..., 1] > 170) & (lower[..., 2] > 170)).sum() > 10
    box = (0.4, 0.4, 0.6, 0.6)
    assert mean_color(out, 0.2, box)[0] > 200 and mean_color(out, 1.5, box)[2] > 200
    assert abs(dominant_tone(out, 0.2, 0.2) - 660) < 15


def test_dry_run_prints_command_and_graph_and_encodes_nothing(media, tmp_path):
    path = write_edl(tmp_path, "ep.yaml", small([{"clip": str(media / "red.mp4")}, {"transition": "fade"},
                                                 {"color": "black"}]))
    done = cli("render", str(path), "-o", str(tmp_path / "x.mp4"), "--dry-run")
    assert done.returncode == 0, done.stderr
    assert "-/filter_complex" in done.stdout and "xfade=transition=fade" in done.stdout
    assert "acrossfade" in done.stdout and str(media / "red.mp4") in done.stdout
    assert not (tmp_path / "x.mp4").exists()


def test_check_prints_the_timeline(media, tmp_path):
    path = write_edl(tmp_path, "ep.yaml", small([{"clip": str(media / "red.mp4"), "in": 0.5},
                                                 {"transition": "fade", "duration": 0.5}, {"color": "black"}]))
    done = cli("check", str(path))
    assert done.returncode == 0, done.stderr
    assert "video[0]" in done.stdout and "red.mp4" in done.stdout and "0:00.500 - 0:02.000" in done.stdout
    assert "total: 0:02.000 (50 frames)" in done.stdout


def test_schema_is_json_schema_with_the_contract_fields():
    done = cli("schema")
    schema = json.loads(done.stdout)
    assert {"in", "out", "duration", "fit", "speed", "volume", "mute"} <= set(schema["$defs"]["Clip"]["properties"])
    assert "version" in schema["required"]


def test_probe_shows_rotation(media):
    done = cli("probe", str(media / "phone.mp4"), str(media / "blue.mp4"))
    assert done.returncode == 0
    assert "180x320 (stored 320x180, rotated 270)" in done.stdout and "no audio" in done.stdout


def test_failed_render_keeps_previous_output_and_reports_the_command(media, tmp_path):
    out = tmp_path / "ep.mp4"
    good = write_edl(tmp_path, "good.yaml", small([{"color": "red", "duration": 0.5}]))
    assembler.render(good, out)
    before = out.read_bytes()
    # An encoder check cannot refuse, as the build has it: it fails only when ffmpeg opens it
    # (an unknown encoder is refused at check now).
    if ctypes.util.find_library("cuda"):
        pytest.skip("this machine has CUDA: h264_nvenc would work")
    bad = write_edl(tmp_path, "bad.yaml", small([{"color": "red", "duration": 0.5}],
                                                video={"codec": "h264_nvenc"}))
    with pytest.raises(RenderError) as info:
        assembler.render(bad, out)
    assert "h264_nvenc" in info.value.argv and "libcuda" in info.value.stderr_tail
    assert out.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == [".assembler-cache", "bad.yaml", "ep.mp4",
                                                          "ep.receipt.json", "good.yaml"]
    done = cli("render", str(bad), "-o", str(out))
    assert done.returncode == 1 and "command:" in done.stderr and "Traceback" not in done.stderr


def test_interrupt_in_the_api_leaves_no_partial_file(tmp_path):
    out = tmp_path / "ep.mp4"
    path = write_edl(tmp_path, "ep.yaml", small([{"color": "red", "duration": 30}], size="1280x720"))

    def interrupt(progress):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        assembler.render(path, out, progress=interrupt, cache=False)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.yaml"]


def test_ctrl_c_on_the_cli_keeps_the_previous_output(tmp_path):
    out = tmp_path / "ep.mp4"
    out.write_bytes(b"last good render")
    path = write_edl(tmp_path, "ep.yaml", {
        "version": 1, "output": {"size": "1280x720", "video": {"preset": "veryslow"}},
        "video": [{"color": "red", "duration": 60}]})
    proc = subprocess.Popen([sys.executable, "-m", "assembler", "render", str(path), "-o", str(out), "--single"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 30
    while not list(tmp_path.glob(".ep.*.partial.mp4")) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert list(tmp_path.glob(".ep.*.partial.mp4")), "ffmpeg never started writing"
    proc.send_signal(signal.SIGINT)
    _, stderr = proc.communicate(timeout=30)
    assert proc.returncode == 130, stderr
    assert "Traceback" not in stderr
    assert out.read_bytes() == b"last good render"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ep.mp4", "ep.yaml"]


def test_ffmpeg_override_by_environment(monkeypatch, tmp_path):
    bundled = find_ffmpeg().path
    link = tmp_path / "my ffmpeg"
    os.symlink(bundled, link)
    monkeypatch.setenv("ASSEMBLER_FFMPEG", str(link))
    assert find_ffmpeg().path == str(link) and find_ffmpeg().major >= 7
    monkeypatch.setenv("ASSEMBLER_FFMPEG", str(tmp_path / "nope"))
    with pytest.raises(FFmpegNotFound):
        find_ffmpeg()


def test_old_ffmpeg_gets_the_old_script_flag():
    from assembler.run.ffmpeg import FFmpeg
    assert FFmpeg("ffmpeg", "5.1.6", 5).script_flag == "-filter_complex_script"
    assert FFmpeg("ffmpeg", "n9.0.2", 9).script_flag == "-/filter_complex"


@pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no system ffmpeg to compare with")
def test_system_ffmpeg_can_render(tmp_path):  # pragma: no cover - only where one is installed
    path = write_edl(tmp_path, "ep.yaml", small([{"color": "red", "duration": 0.5}]))
    result = assembler.render(path, tmp_path / "ep.mp4", ffmpeg=shutil.which("ffmpeg"))
    assert count_frames(result.path) == 12


def test_contact_sheet_shows_each_item_as_it_will_look(media, tmp_path):
    from PIL import Image
    path = write_edl(tmp_path, "ep.yaml", small([{"clip": str(media / "red.mp4")}, {"color": "navy"},
                                                 {"clip": str(media / "phone.mp4")},
                                                 {"image": str(media / "still.png")}]))
    done = cli("check", str(path), "--sheet", str(tmp_path / "sheet.png"))
    assert done.returncode == 0, done.stderr
    sheet = Image.open(tmp_path / "sheet.png").convert("RGB")
    tile_w, tile_h, pad = 240, 135, 8

    def at(n, fx, fy):
        return sheet.getpixel((pad + n * (tile_w + pad) + int(fx * tile_w), pad + int(fy * tile_h)))

    assert near_rgb(at(0, 0.5, 0.5), (255, 0, 0)) and near_rgb(at(1, 0.5, 0.5), (0, 0, 128))
    # the phone clip upright: pillarboxed, its stored top (red) on the right
    assert near_rgb(at(2, 0.05, 0.5), (0, 0, 0)) and near_rgb(at(2, 0.55, 0.5), (255, 0, 0))
    assert near_rgb(at(2, 0.45, 0.5), (0, 0, 255)) and near_rgb(at(3, 0.5, 0.5), (128, 0, 128))


def near_rgb(a, b, tol=40):
    return all(abs(x - y) <= tol for x, y in zip(a, b))


def test_a_hung_ffmpeg_is_stopped_and_reported(monkeypatch, tmp_path):
    """A job whose output stops advancing is killed, tried once more, then reported."""
    from fractions import Fraction

    from assembler.compile.graph import Filter, GraphBuilder
    from assembler.compile.jobs import Job
    from assembler.errors import RenderError
    from assembler.run.ffmpeg import run
    monkeypatch.setenv("ASSEMBLER_STALL_SECONDS", "1")
    # Read at the source's own pace and drop the first 10 s: 10 s with nothing written.
    g = GraphBuilder()
    g.chain([g.input(g.source("testsrc=size=64x64:rate=25:duration=20", "-re", "-f", "lavfi"), "v")],
            [Filter("select", "gte(n,250)")], "v", name="vout")
    job = Job(g.build(), (("-map", "[vout]", "-c:v", "rawvideo", "-f", "nut"),), 250, Fraction(10))
    # Left alone it would succeed after 10 s: the error is the watchdog's doing.
    with pytest.raises(RenderError, match="wrote nothing for 1 s"):
        run(job, tmp_path / "out.nut")
    assert list(tmp_path.iterdir()) == []
