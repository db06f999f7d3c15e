"""A user's loose ends: the cache commands find the render's cache, the progress bar comes
after validation and its warnings, reaches 100 % and fits a narrow terminal, reprs are
short, and a few errors say the right thing."""

from __future__ import annotations

import io
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pydantic import ValidationError

import assembler
from rich.console import Console

from assembler.cli import console as cli
from assembler.run.ffmpeg import find_ffmpeg
from conftest import write_edl
from media_tools import count_frames, make_clip

# A title and two shots joined by a dissolve: 3 segments (title, the join, the second shot's body).
SRT = "1\n00:00:00,000 --> 00:00:01,000\nThis line is far too long for anyone to read in the time it is on screen\n"


def episode(out: str = "00:00:00:15") -> dict:
    return {"version": 1, "output": {"size": "320x180", "fps": 24, "video": {"preset": "ultrafast"}},
            "video": [{"clip": "a.mp4"}, {"transition": "dissolve", "duration": 0.25}, {"clip": "b.mp4", "out": out}],
            "subtitles": {"file": "lint.srt"}}


@pytest.fixture
def folder(tmp_path) -> Path:
    make_clip(tmp_path / "a.mp4", color="red", duration=1, fps=24, tone=440)
    make_clip(tmp_path / "b.mp4", color="blue", duration=1, fps=30, tone=660)
    (tmp_path / "lint.srt").write_text(SRT, encoding="utf-8")
    return tmp_path


def run_cli(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k != "ASSEMBLER_CACHE"}
    return subprocess.run([sys.executable, "-m", "assembler", *args], capture_output=True, text=True, cwd=cwd,
                          env=env)


def test_cache_info_and_prune_look_where_render_does_and_say_so(folder, tmp_path_factory, monkeypatch):
    monkeypatch.delenv("ASSEMBLER_CACHE", raising=False)
    ep = write_edl(folder, "ep.yaml", episode())
    elsewhere = tmp_path_factory.mktemp("elsewhere")
    assert run_cli("render", str(ep), "-q", cwd=elsewhere).returncode == 0
    cache = folder / ".assembler-cache"
    info = run_cli("cache", "info", str(ep), cwd=elsewhere)
    assert info.returncode == 0, info.stderr
    assert f"cache {cache}: 4 entries (3 segments, 1 sound)" in info.stdout
    # Without an EDL: the current folder, named, and not mistaken for an empty cache.
    here = run_cli("cache", "info", cwd=elsewhere)
    assert f"no cache at {elsewhere / '.assembler-cache'}" in here.stdout
    assert not (elsewhere / ".assembler-cache").exists()
    pruned = run_cli("cache", "prune", str(ep), "--max-size", "0", cwd=elsewhere)
    assert pruned.returncode == 0, pruned.stderr
    assert f"removed 4 entries (3 segments, 1 sound), 0.1 MiB, from {cache}; 0 left" in pruned.stdout
    assert assembler.render(ep, folder / "again.mp4").rendered == 3  # it was the render's cache


def test_progress_reaches_one_with_frames_speed_and_stages_on_every_render(folder):
    ep = write_edl(folder, "ep.yaml", episode())

    def render(edl, out, **kwargs) -> tuple:
        frames = assembler.check(edl).frames
        events: list = []
        result = assembler.render(edl, out, progress=events.append, on_checked=lambda t: events.append(t), **kwargs)
        assert isinstance(events[0], assembler.Timeline)  # nothing is reported before validation passed
        reports = events[1:]
        assert reports and all(isinstance(p, assembler.Progress) for p in reports)
        fractions = [p.fraction for p in reports]
        assert fractions == sorted(fractions) and fractions[-1] == 1.0
        last = reports[-1]
        assert last.frame == frames == result.frames and last.seconds == pytest.approx(float(result.duration))
        assert all(p.speed is not None for p in reports if p.elapsed > 0) and last.speed > 0
        assert count_frames(out) == frames
        return reports, result

    fresh, result = render(ep, folder / "fresh.mp4")
    assert (result.segments, result.rendered) == (3, 3)
    stages = [p.stage for p in fresh]
    assert "segments 0/3" in stages and "segments 3/3" not in stages and "assembly" in stages
    assert any(0 < p.frame < result.frames for p in fresh)
    unchanged, result = render(ep, folder / "fresh.mp4")
    assert [p.stage for p in unchanged] == ["up to date"] and result.rendered == 0
    cached, result = render(ep, folder / "cached.mp4")  # every segment and the sound from the cache
    assert not any(p.stage.startswith("segments") for p in cached) and cached[-1].stage == "done"
    assert result.rendered == 0
    partly, result = render(write_edl(folder, "ep2.yaml", episode(out="00:00:00:24")), folder / "partly.mp4")
    assert f"segments 0/{result.rendered}" in [p.stage for p in partly] and 0 < result.rendered < 3
    single, _ = render(ep, folder / "single.mp4", single=True)
    assert {p.stage for p in single} == {"episode (one graph)", "done"}


def test_warnings_come_before_the_bar_and_no_bar_before_validation(folder):
    ep = write_edl(folder, "ep.yaml", episode())
    done = run_cli("render", str(ep), "-o", str(folder / "ep.mp4"))
    assert done.returncode == 0, done.stderr
    lint = done.stderr.index("lint.srt:2: cue 1: warning: a line is")
    assert lint < done.stderr.index("100%") < done.stderr.index("wrote ")
    assert done.stderr.count("warning:") == 2  # printed once, before encoding

    bad = write_edl(folder, "bad.yaml", {**episode(), "video": [{"clip": "missing.mp4"}]})
    refused = run_cli("render", str(bad))
    assert refused.returncode == 2 and "missing.mp4 does not exist" in refused.stderr
    assert "%" not in refused.stderr and "━" not in refused.stderr


def test_the_bar_fits_60_columns_and_names_the_stage(folder):
    ep = write_edl(folder, "ep.yaml", episode())
    screen = io.StringIO()
    console = Console(file=screen, width=60, force_terminal=True)
    bar = cli.progress_bar(console)
    task = bar.add_task("a very long output name for an episode, season two.mp4", total=1.0, stage="", where="")
    bar.start()

    def show(p) -> None:
        cli.show_progress(bar, task, p)
        bar.refresh()

    try:
        assembler.render(ep, folder / "ep.mp4", progress=show)
    finally:
        bar.stop()
    lines = re.split(r"[\r\n]", re.sub(r"\x1b\[[0-9;?]*[A-Za-z]", "", screen.getvalue()))
    assert max(len(line) for line in lines) <= 60
    drawn = [line for line in lines if "%" in line]
    assert any(line.startswith("segments 0/3") for line in drawn)
    assert any(line.startswith("assembly") for line in drawn) and "100%" in drawn[-1]


def test_edl_timeline_and_result_have_short_reprs(folder):
    ep = write_edl(folder, "ep.yaml", {**episode(), "audio": [{"file": "a.mp4"}], "markers": [{"at": 1, "name": "x"}]})
    edl = assembler.load(ep)
    timeline = assembler.check(ep)
    result = assembler.render(ep, folder / "ep.mp4")
    assert repr(edl) == str(edl) == "<Edl 3 items (2 clips, 1 transition), 320x180@24, 1 sound track, 1 marker, " \
                                    "subtitles>"
    assert repr(timeline) == "<Timeline 1.25 s, 30 frames at 320x180@24, 2 clips, 1 transitions>"
    assert re.fullmatch(r"<RenderResult ep\.mp4 1\.25 s 30 frames, 3 segments \(3 rendered\), \d+\.\d s>",
                        repr(result))


def test_a_typo_in_a_model_built_in_code_is_an_edl_error_with_a_suggestion():
    with pytest.raises(assembler.EdlError) as raised:
        assembler.Clip(clip="a.mp4", duraton=3)
    (problem,) = raised.value.problems
    assert (problem.path, problem.message, problem.hint) == ("duraton", "unknown field `duraton`",
                                                             "did you mean `duration`?")
    assert isinstance(raised.value, ValidationError)  # what it raised before, still catchable as that
    with pytest.raises(assembler.EdlError) as raised:
        assembler.Edl(version=1, video=[{"clip": "a.mp4", "fitt": "cover"}, {"title": "x", "duration": -1}])
    assert [(p.path, p.hint) for p in raised.value.problems] == [
        ("video[0].fitt", "did you mean `fit`?"), ("video[1].duration", None)]
    assert "Edl(...): video[0].fitt: unknown field `fitt` (did you mean `fit`?)" in str(raised.value)


def test_a_built_model_still_renders(folder):
    edl = assembler.Edl(version=1, output=assembler.Output(size="320x180", fps=24),
                        video=[assembler.Clip(clip="a.mp4", out=0.5), assembler.Title(title="End", duration=0.5)])
    result = assembler.render(edl, folder / "code.mp4", base_dir=folder, cache=False)
    assert count_frames(result.path) == 24


def test_a_smpte_frame_field_must_count_below_its_rate(folder):
    edl = episode(out="00:00:00:30")  # b.mp4 is 30 fps: frames count 0-29
    edl["video"].insert(0, {"title": "x", "duration": "00:00:01:24"})  # the output's 24 fps
    edl["video"][1]["out"] = "00:00:00:23"  # a.mp4 is 24 fps: fine
    with pytest.raises(assembler.EdlError) as raised:
        assembler.check(write_edl(folder, "ep.yaml", edl))
    found = [(p.line, p.path, p.message, p.hint) for p in raised.value.problems if "frame " in p.message]
    assert found == [(13, "video[0].duration", "'00:00:01:24': frame 24 at 24 fps", "frames count 0-23"),
                     (25, "video[3].out", "'00:00:00:30': frame 30 at 30 fps", "frames count 0-29")]
    edl["video"][0]["duration"], edl["video"][3]["out"] = "00:00:01:23", "00:00:00:29"
    assert assembler.check(write_edl(folder, "ep.yaml", edl)).placements[0].frames == 47


def test_the_check_the_path_hint_only_when_the_path_does_not_exist(folder):
    (folder / "broken.mp4").write_bytes(b"\x00not a video at all\xff" * 100)
    edl = episode()
    edl["video"] = [{"clip": "broken.mp4"}, {"clip": "nowhere.mp4"}]
    edl["audio"] = [{"file": "broken.mp4"}]
    with pytest.raises(assembler.EdlError) as raised:
        assembler.check(write_edl(folder, "ep.yaml", edl))
    hints = {p.path: p.hint for p in raised.value.problems}
    assert hints["video[1].clip"] == "check the path; relative paths start at the EDL's folder"
    for path in ("video[0].clip", "audio[0].file"):
        assert "check the path" not in hints[path] and "does not decode" in hints[path]


def test_version_names_the_ffmpeg_build():
    done = run_cli("--version")
    ff = find_ffmpeg()
    assert done.returncode == 0
    assert done.stdout.splitlines() == [f"assembler {assembler.__version__}", f"ffmpeg {ff.version} at {ff.path}"]
