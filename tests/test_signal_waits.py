"""A signal while assembler waits for ffmpeg ends the command at once and takes ffmpeg with it.

A SIGTERM raised in the main thread inside subprocess's own waiting once left Popen's wait
lock taken, and `assembler check` then hung for ever, deaf to more SIGTERMs (seen once in
the suite: test_hostile_leftovers' signal test, its `check` still asleep in a futex when
looked at with gdb). Now the main thread only waits for a helper thread that runs ffmpeg
(run/ffmpeg.py `_beside`), so the signal lands in that wait, and the children are stopped
by pid. The race itself is a window of a few bytecodes; these tests hold the command in
the wait where it opened (ffmpeg asked its encoders, ffmpeg rendering) and check the end."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from assembler.run.ffmpeg import find_ffmpeg
from conftest import write_edl
from media_tools import make_clip


def _slow_ffmpeg(folder: Path, slow: str) -> tuple[Path, Path]:
    """An ffmpeg that is the real one, but for the argument ``slow``, where it says its pid
    and sleeps (as the process assembler started: exec, so the pid is the sleeper's)."""
    marker = folder / "slow.pid"
    script = folder / "ffmpeg"
    script.write_text(f"#!/bin/sh\nfor a in \"$@\"; do if [ \"$a\" = {slow} ]; then echo $$ > {marker}; "
                      f"exec sleep 60; fi; done\nexec {find_ffmpeg().path} \"$@\"\n")
    script.chmod(0o755)
    return script, marker


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie is dead: it waits only for its parent, which has ended.
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().split(")")[-1].split()[0] == "Z")


@pytest.mark.skipif(not hasattr(signal, "SIGTERM") or sys.platform == "win32", reason="POSIX signals")
@pytest.mark.parametrize("command, slow", [(["check"], "-encoders"), (["render", "--no-cache", "--single"], "-progress")],
                         ids=["check-asking-encoders", "render-single-job"])
def test_a_sigterm_while_waiting_for_ffmpeg_ends_the_command_and_ffmpeg(tmp_path, command, slow):
    make_clip(tmp_path / "a.mp4", color="red", duration=1, tone=440)
    edl = write_edl(tmp_path, "ep.yaml", {"version": 1, "output": {"size": "320x180", "fps": 25},
                                          "video": [{"clip": "a.mp4"}]})
    script, marker = _slow_ffmpeg(tmp_path, slow)
    args = [*command, str(edl)] + (["-o", str(tmp_path / "ep.mp4")] if command[0] == "render" else [])
    proc = subprocess.Popen([sys.executable, "-m", "assembler", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env={**os.environ, "ASSEMBLER_FFMPEG": str(script)},
                            cwd=tmp_path)
    deadline = time.monotonic() + 60
    while not (marker.exists() and marker.read_text().strip()) and proc.poll() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    assert marker.exists(), proc.communicate(timeout=60)
    sleeper = int(marker.read_text())
    time.sleep(0.2)
    proc.send_signal(signal.SIGTERM)
    stdout, stderr = proc.communicate(timeout=30)  # it hung here for ever
    assert proc.returncode == 143, (proc.returncode, stdout, stderr)
    assert "Traceback" not in stderr, stderr
    for _ in range(50):
        if not _alive(sleeper):
            break
        time.sleep(0.1)
    assert not _alive(sleeper), "ffmpeg outlived the command"
    assert not (tmp_path / "ep.mp4").exists()


_WATCH = r"""
import sys, threading
from assembler.run import ffmpeg
ff = ffmpeg.find_ffmpeg()
seen = set()
def watch(frame, event, arg):
    if event == "call" and frame.f_code.co_filename.endswith("subprocess.py"):
        seen.add(frame.f_code.co_name)
sys.setprofile(watch)  # this thread only: the main one, where signals are raised
ffmpeg.encoders.cache_clear()
ffmpeg.encoders(ff)
ffmpeg.decode_errors(sys.argv[1], 0.0, None, ffmpeg=ff)
sys.setprofile(None)
print(sorted(seen))
"""


def test_the_main_thread_never_waits_inside_subprocess(tmp_path):
    """Where a signal can land: the main thread asks ffmpeg things (its encoders, a file's
    decode errors) and runs none of subprocess's code itself, whose waits are where a
    signal left a lock taken. (Before, it ran Popen, communicate and wait there.)"""
    make_clip(tmp_path / "a.mp4", color="red", duration=1, tone=440)
    done = subprocess.run([sys.executable, "-c", _WATCH, str(tmp_path / "a.mp4")], capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]", f"the main thread ran subprocess's {done.stdout.strip()}"
