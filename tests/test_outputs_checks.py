"""What the render will write is found wrong at check time (exit 2, file:line, a hint), not by
ffmpeg after the episode was encoded: encoder settings the ffmpeg in use refuses, folders it
cannot write; and awkward output names (a colon, 240 bytes) render."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from assembler.cli import app
from media_tools import count_frames, make_clip, mean_color

EDL = """\
version: 1
output:
  size: 320x180
  fps: 24
  video: {{crf: 30{video}}}
  audio: {{{audio}}}
video:
  - clip: shots/s01.mp4
    out: 1
"""


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("shot") / "s01.mp4", color="red", duration=1, tone=440)


@pytest.fixture
def project(tmp_path, shot, monkeypatch) -> Path:
    (tmp_path / "shots").mkdir()
    shutil.copy(shot, tmp_path / "shots" / "s01.mp4")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSEMBLER_CACHE", raising=False)
    return tmp_path


def write(folder: Path, video: str = "", audio: str = "", name: str = "ep.yaml") -> Path:
    path = folder / name
    path.write_text(EDL.format(video=video, audio=audio.removeprefix(", ")), encoding="utf-8")
    return path


@pytest.mark.parametrize("video, audio, line, expected", [
    (", codec: libnothing", "", 5, "output.video.codec: 'libnothing' is not an encoder of this ffmpeg"),
    (", codec: aac", "", 5, "output.video.codec: 'aac' is an audio encoder, not a video one"),
    ("", ", codec: libx264", 6, "output.audio.codec: 'libx264' is a video encoder, not an audio one"),
    (", preset: bogus", "", 5, "output.video.preset: libx264 has no preset 'bogus'"),
    (", codec: libsvtav1", "", 5, "output.video.preset: libsvtav1 has no preset 'medium'"),
    (", pix_fmt: nope", "", 5, "output.video.pix_fmt: 'nope' is not a pixel format ffmpeg knows"),
    (", pix_fmt: rgb24", "", 5, "output.video.pix_fmt: libx264 cannot write rgb24"),
    (", bitrate: 8Q", "", 5, "output.video.bitrate: bit rate '8Q' is not a number"),
    (", bitrate: '-5'", "", 5, "output.video.bitrate: bit rate '-5' is not a number"),
    ("", ", bitrate: xx", 6, "output.audio.bitrate: bit rate 'xx' is not a number"),
    ("", ", rate: 9000", 6, "output.audio.rate: aac cannot encode at 9000 Hz"),
    ("", ", codec: libopus, rate: 44100", 6, "output.audio.rate: libopus cannot encode at 44100 Hz"),
    ("", ", codec: libmp3lame, channels: 6", 6, "output.audio.channels: libmp3lame cannot encode 6 channels (5.1)"),
])
@pytest.mark.parametrize("command", ["check", "render"])
def test_encoder_settings_ffmpeg_refuses_are_found_at_check(project, command, video, audio, line, expected):
    write(project, video, audio)
    done = CliRunner().invoke(app, [command, "ep.yaml", *(["-q"] if command == "render" else [])])
    assert done.exit_code == 2, done.output
    assert f"ep.yaml:{line}: {expected}" in done.output
    assert "Traceback" not in done.output
    assert not (project / "ep.mp4").exists() and not (project / ".assembler-cache" / "segments").exists()


@pytest.mark.parametrize("video, audio", [
    (", bitrate: 400k", ", bitrate: 96k"),
    (", codec: libvpx-vp9, preset: medium", ""),  # vp9 has no -preset: ffmpeg ignores it
    (", codec: libsvtav1, preset: '12'", ", codec: libopus"),
    (", pix_fmt: yuv444p", ", rate: 44100"),
    ("", ", codec: libmp3lame, channels: 1"),
])
def test_encoder_settings_ffmpeg_takes_render(project, video, audio):
    write(project, video, audio)
    out = "ep.mkv" if "libopus" in audio or "vp9" in video else "ep.mp4"
    done = CliRunner().invoke(app, ["render", "ep.yaml", "-o", out, "-q"])
    assert done.exit_code == 0, done.output
    assert count_frames(project / out) == 24
    assert mean_color(project / out, 0.5)[0] > 200


def run_read_only(folder: Path, *args: str) -> subprocess.CompletedProcess:
    """The CLI run with ``folder`` read-only: by its permissions, or (for root, whom
    permissions do not stop) as a read-only bind mount in a private user namespace."""
    argv = [sys.executable, "-m", "assembler", *args]
    folder.chmod(0o555)
    if not os.access(folder, os.W_OK):
        return subprocess.run(argv, capture_output=True, text=True, timeout=120)
    if not shutil.which("unshare") or subprocess.run(["unshare", "-rm", "true"], capture_output=True).returncode:
        pytest.skip("running as root without user namespaces: no way to make a folder read-only")
    script = 'mount --bind "$1" "$1" && mount -o remount,bind,ro "$1" && shift && exec "$@"'
    return subprocess.run(["unshare", "-rm", "sh", "-c", script, "sh", os.fspath(folder), *argv],
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("command", ["check", "render"])
def test_read_only_output_folder_is_refused_before_encoding(project, command):
    write(project)
    (project / "ro").mkdir()
    done = run_read_only(project / "ro", command, "ep.yaml", "-o", "ro/new/ep.mp4",
                         *(["-q"] if command == "render" else []))
    assert done.returncode == 2, done.stderr
    assert "ep.yaml:1: cannot write the output ro/new/ep.mp4: ro is not writable" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / ".assembler-cache" / "segments").exists() or \
        not any((project / ".assembler-cache" / "segments").iterdir())


def test_read_only_cache_is_refused_before_encoding(project):
    write(project)
    (project / "cache").mkdir()
    done = run_read_only(project / "cache", "render", "ep.yaml", "--cache", "cache/c", "-q")
    assert done.returncode == 2, done.stderr
    assert "error: the cache cache/c cannot be written: cache is read-only" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (project / "ep.mp4").exists()


@pytest.mark.parametrize("single", [False, True])
def test_output_name_with_a_colon_renders(project, single):
    write(project)
    done = CliRunner().invoke(app, ["render", "ep.yaml", "-o", "S01E01:pilot.mp4", "-q",
                                    *(["--single"] if single else [])])
    assert done.exit_code == 0, done.output
    assert count_frames(project / "S01E01:pilot.mp4") == 24
    assert mean_color(project / "S01E01:pilot.mp4", 0.5)[0] > 200
    assert single or (project / "S01E01:pilot.receipt.json").is_file()
    assert not [p for p in project.iterdir() if p.name.endswith(".partial.mp4")]


def test_240_byte_output_name_renders(project):
    # With what goes beside it: the sidecar (240 bytes too) and a stem (249), each written
    # under a hidden temporary name shortened to fit 255 bytes.
    path = write(project)
    (project / "ep.srt").write_text("1\n00:00:00,100 --> 00:00:00,900\nHello\n", encoding="utf-8")
    path.write_text(path.read_text(encoding="utf-8").replace("output:\n", "output:\n  stems: true\n") +
                    "subtitles: {file: ep.srt, burn: false, soft: false, sidecar: true}\n", encoding="utf-8")
    name = "é" * 118 + ".mp4"
    assert len(os.fsencode(name)) == 240
    done = CliRunner().invoke(app, ["render", "ep.yaml", "-o", name, "-q"])
    assert done.exit_code == 0, done.output
    assert count_frames(project / name) == 24
    assert (project / ("é" * 118 + ".receipt.json")).is_file()
    assert "Hello" in (project / ("é" * 118 + ".srt")).read_text(encoding="utf-8")
    assert [p.name for p in project.glob("*.wav")] == ["é" * 118 + ".other.wav"]
    assert not [p for p in project.iterdir() if ".partial" in p.name]


def test_output_whose_receipt_name_is_too_long_is_refused_at_check(project):
    write(project)
    name = "x" * 250 + ".mp4"  # fits, but its receipt (250 + 13 bytes) would not
    done = CliRunner().invoke(app, ["check", "ep.yaml", "-o", name])
    assert done.exit_code == 2, done.output
    assert f"ep.yaml:1: cannot write the receipt: its name {'x' * 250}.receipt.json is 263 bytes long" in done.output


def test_edl_in_a_folder_whose_name_holds_a_newline_renders(tmp_path, shot, monkeypatch):
    # The cache, the segments and the output are all under that folder: ffmpeg's concat
    # lists cannot name such paths, so they name links to them.
    folder = tmp_path / "season\none"
    (folder / "shots").mkdir(parents=True)
    shutil.copy(shot, folder / "shots" / "s01.mp4")
    edl = write(folder, audio=", bitrate: 96k")
    monkeypatch.delenv("ASSEMBLER_CACHE", raising=False)
    done = CliRunner().invoke(app, ["render", os.fspath(edl), "-q"])
    assert done.exit_code == 0, done.output
    assert count_frames(folder / "ep.mp4") == 24
    assert mean_color(folder / "ep.mp4", 0.5)[0] > 200
    assert (folder / ".assembler-cache").is_dir()


def test_long_names_around_the_output_are_errors_or_work(project):
    write(project)
    long = "x" * 250 + ".mp4"  # the default dry-run folder, NAME.dryrun, would be 257 bytes
    done = CliRunner().invoke(app, ["render", "ep.yaml", "-o", long, "--dry-run"])
    assert done.exit_code == 2, done.output
    assert "the dry run's folder" in done.output and "longer than the 255 bytes" in done.output
    sheet = "é" * 124 + ".png"  # 252 bytes: its hidden temporary name is shortened to fit
    done = CliRunner().invoke(app, ["check", "ep.yaml", "--sheet", sheet])
    assert done.exit_code == 0, done.output
    assert (project / sheet).stat().st_size > 1000
    assert not [p for p in project.iterdir() if ".partial" in p.name]
