"""Smaller things the hostile-input cases found: a title's own leading and trailing spaces
are kept, every line of a printed problem carries its place, a JSON EDL that only Python's
json reads still has line numbers, and user text prints literally everywhere the CLI prints."""

from __future__ import annotations

import re
import subprocess
import sys

import av
import numpy as np
import pytest
from PIL import ImageFont

import assembler
from assembler.errors import Problem
from assembler.timeline.sources import BUNDLED_FONT
from conftest import write_edl

W, H, FPS = 640, 360, 4
FRAME = 1 / FPS
OUTPUT = {"size": f"{W}x{H}", "fps": FPS, "video": {"preset": "ultrafast", "crf": 10}}
SIZE = 180  # of 1080 lines: 60 pixels at 360


def ink_columns(path) -> list[tuple[int, int]]:
    """Each frame's inked columns, left and right (exclusive)."""
    found = []
    with av.open(str(path)) as container:
        for frame in container.decode(video=0):
            xs = np.nonzero((frame.to_ndarray(format="gray") > 90).any(axis=0))[0]
            assert len(xs) > 10, "no text drawn"
            found.append((int(xs.min()), int(xs.max()) + 1))
    return found


# ------------------------------------------------------------------ (a) a title's own spaces

def test_a_title_keeps_its_leading_and_trailing_spaces(tmp_path):
    cards = [("Act two", "left"), ("    Act two", "left"), ("Act two", "right"), ("Act two    ", "right"),
             ("Act two", "center"), ("    Act two", "center"), ("  Act two  ", "center")]
    edl = write_edl(tmp_path, "spaces.yaml", {"version": 1, "output": OUTPUT, "video": [
        {"title": text, "duration": FRAME, "background": "black", "style": {"size": SIZE, "position": where}}
        for text, where in cards]})
    inks = ink_columns(assembler.render(edl, tmp_path / "spaces.mp4", cache=False).path)
    assert len(inks) == len(cards)
    # Four spaces of the face at the size drawn: the ink moves by their advance.
    font = ImageFont.truetype(str(BUNDLED_FONT), SIZE * H // 1080, index=2)
    spaces = font.getlength("    ")
    assert spaces > 40
    after = font.getlength("Act two    ") - font.getbbox("Act two", anchor="ls")[2]  # from the ink's end
    left, spaced_left, right, spaced_right, centred, spaced_centred, both = inks
    assert abs(spaced_left[0] - left[0] - spaces) <= 2
    assert abs(right[1] - spaced_right[1] - after) <= 2
    assert abs(spaced_centred[0] - centred[0] - spaces / 2) <= 2
    assert abs(both[0] - centred[0]) <= 1  # the same spaces on both sides keep it centred


# ------------------------------------------------------------------ (b) a problem's every line has its place

def cli(*args: str, cwd=None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "assembler", *args], capture_output=True, text=True, cwd=cwd,
                          timeout=120)


def test_each_line_of_a_problem_whose_field_holds_line_breaks_starts_with_its_place(tmp_path):
    edl = write_edl(tmp_path, "breaks.yaml", {"version": 1, "output": OUTPUT, "video": [
        {"clip": "no\nsuch\u2028clip\r\nat all.mp4"}, {"color": "black", "duration": 1}]})
    done = cli("check", str(edl), cwd=tmp_path)
    assert done.returncode == 2, done.stderr
    lines = done.stderr.splitlines()
    assert lines[-1].endswith("nothing was rendered.")
    told = lines[:-1]
    assert len(told) == 4, done.stderr  # the path's three breaks: four lines, each placed
    line = 1 + next(k for k, text in enumerate(edl.read_text().splitlines()) if '"clip"' in text)
    assert all(re.match(rf"^{re.escape(str(edl))}:{line}: ", text) for text in told), done.stderr
    assert told[0].endswith("video[0].clip: " + str(tmp_path / "no")) and "at all.mp4 does not exist" in told[3]


def test_a_warning_s_continuation_lines_carry_its_place_too():
    text = str(Problem("a.yaml", 7, "video[1].title", "first\nsecond\rthird", hint="a\nhint", severity="warning"))
    assert text.split("\n") == ["a.yaml:7: video[1].title: warning: first", "a.yaml:7: second", "a.yaml:7: third (a",
                                 "a.yaml:7: hint)"]
    assert str(Problem("a.yaml", None, "", "one line")) == "a.yaml: one line"


# ------------------------------------------------------------------ (c) JSON that only Python's json reads

@pytest.mark.parametrize("control", ["\u0080", "\u009f"])  # U+0085 ruamel reads: YAML allows it
def test_a_json_edl_that_ruamel_refuses_reports_every_problem_at_its_line(tmp_path, control):
    edl = write_edl(tmp_path, "c1.json", {"version": 1, "output": OUTPUT, "video": [
        {"title": f"Act{control}two", "duration": 1},
        {"color": "no such colour", "duration": 1},
        {"clip": "missing.mp4", "sped": 2},
        {"title": "x", "duration": [1, 2], "colour": "red"}]})
    text = edl.read_text(encoding="utf-8").split("\n")  # JSON's lines end at \n only, not at U+0085

    def line(needle: str) -> int:
        return 1 + next(k for k, row in enumerate(text) if needle in row)

    with pytest.raises(assembler.EdlError) as caught:
        assembler.check(edl)
    found = {p.path: p.line for p in caught.value.problems}
    assert found["video[1].color"] == line('"no such colour"')
    assert found["video[2].sped"] == line('"sped"')
    assert found["video[2].clip"] == line('"missing.mp4"')
    assert found["video[3].duration"] == line('"duration": [')
    assert found["video[3].colour"] == line('"colour"')
    assert all(p.line for p in caught.value.problems), [str(p) for p in caught.value.problems]


# ------------------------------------------------------------------ (d) user text printed literally

CLIP = "x [red]y[/red] :v: z.mp4"
TITLE = "Act [/b] two"
LAYER = "[bold]over[/bold] :smile:"


@pytest.fixture(scope="module")
def marked(tmp_path_factory):
    """An episode whose names and texts look like rich markup and emoji codes (a name's "/" is a folder's end)."""
    from media_tools import make_clip
    folder = tmp_path_factory.mktemp("marked")
    make_clip(folder / "plain.mp4", color="red", size=(320, 180), fps=FPS, duration=1, tone=440)
    (folder / CLIP).parent.mkdir()  # the name's "/" makes a folder "x [red]y["
    (folder / "plain.mp4").rename(folder / CLIP)  # ffmpeg would take the colon's left for a protocol
    (folder / "s [i]x :v:.srt").write_text("\n", encoding="utf-8")
    output = {"size": "320x180", "fps": FPS, "video": {"preset": "ultrafast"}}
    episode = {"version": 1, "output": output, "subtitles": {"file": "s [i]x :v:.srt"},
               "overlays": [{"title": LAYER, "start": 0, "duration": FRAME}],
               "video": [{"clip": CLIP}, {"title": TITLE, "duration": FRAME}, {"title": ":smile:", "duration": FRAME}]}
    edl = write_edl(folder, "ep [b]x :v:.yaml", episode)
    other = write_edl(folder, "ep [b]y :v:.yaml", {**episode, "video": [{"clip": CLIP}, {"title": TITLE + " :v:",
                                                                                          "duration": FRAME}]})
    return folder, edl, other


def test_check_prints_names_and_titles_literally(marked):
    folder, edl, _ = marked
    done = cli("check", str(edl), cwd=folder)
    assert done.returncode == 0, done.stderr
    for text in (f"clip: {CLIP.rsplit('/', 1)[1]}", f"title: {TITLE}", "title: :smile:", f"title: {LAYER}", str(edl)):
        assert text in done.stdout, (text, done.stdout)
    assert "s [i]x :v:.srt holds no cues" in done.stderr, done.stderr  # a warning


def test_errors_print_names_literally(marked):
    folder, _, _ = marked
    edl = write_edl(folder, "gone [b]x.yaml", {"version": 1, "video": [{"clip": "gone [b]x[/b] :v: [/].mp4"}]})
    done = cli("check", str(edl), cwd=folder)
    assert done.returncode == 2
    assert f"{edl}:" in done.stderr and "gone [b]x[/b] :v: [/].mp4 does not exist" in done.stderr, done.stderr
    done = cli("probe", str(folder / CLIP), str(folder / "gone [/b] :v:.mp4"), cwd=folder)
    assert f"{folder / CLIP}: video" in done.stdout, done.stdout
    assert f"{folder / 'gone [/b] :v:.mp4'}: " in done.stderr, done.stderr
    done = cli("cache", "info", str(folder / "gone [b]x :smile:.yaml"), cwd=folder)
    assert done.returncode == 2 and f"{folder / 'gone [b]x :smile:.yaml'} does not exist" in done.stderr, done.stderr


def test_a_dry_run_and_a_diff_print_names_literally(marked, tmp_path):
    folder, edl, other = marked
    target = tmp_path / "out [b]o :v:.mp4"
    done = cli("render", str(edl), "-o", str(target), "--dry-run", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert "dry run: nothing encoded" in done.stderr and "out [b]o :v:" in done.stderr, done.stderr
    assert CLIP in done.stdout
    done = cli("diff", str(edl), str(other), cwd=folder)
    assert done.returncode == 0, done.stderr
    assert f"only in {other}" in done.stdout and f"segments of {other} to render" in done.stdout, done.stdout


def test_a_render_and_its_verify_print_names_literally(marked, tmp_path):
    folder, edl, _ = marked
    target = tmp_path / "ren [b]o :v:.mp4"
    done = cli("render", str(edl), "-o", str(target), "--no-cache", cwd=folder)
    assert done.returncode == 0, done.stderr
    assert f"wrote {target}" in done.stderr and "s [i]x :v:.srt holds no cues" in done.stderr, done.stderr
    receipt = target.with_suffix(".receipt.json")
    done = cli("verify", str(receipt), cwd=folder)
    assert done.returncode == 0, done.stderr + done.stdout
    assert f"OK: {edl} re-renders" in done.stdout, done.stdout


# ------------------------------------------------------------------ (e) a long looped bed is read again, not held

@pytest.mark.parametrize("rate, kind", [(48000, "wav"), (48000, "flac"), (44100, "wav"), (48000, "m4a")])
def test_a_bed_read_again_each_time_round_sounds_as_the_held_loop_did(tmp_path, monkeypatch, rate, kind):
    from assembler.compile import mix
    from media_tools import _pcm, run_ffmpeg, BITEXACT
    bed = tmp_path / f"bed.{kind}"  # noise: a sample out of place anywhere would show
    run_ffmpeg("-f", "lavfi", "-i", f"anoisesrc=d=1.5:c=pink:r={rate}:seed=7:a=0.3", "-ac", "2",
               "-c:a", {"wav": "pcm_s16le", "flac": "flac", "m4a": "aac"}[kind], *BITEXACT, str(bed))
    edl = write_edl(tmp_path, "bed.yaml", {"version": 1, "output": {"size": "160x90", "fps": 25, "video": {
        "preset": "ultrafast"}}, "video": [{"color": "black", "duration": 5}], "audio": [{"file": str(bed), "loop": True}]})
    heard = {}
    for held, name in ((10 ** 9, "held"), (1, "again")):
        monkeypatch.setattr(mix, "_HELD_LOOP", held)
        job = assembler.dry_run(edl, tmp_path / f"{name}.mp4", cache=False, folder=tmp_path / f"dry-{name}")
        # Resampled, or lossy, it is read again from a lossless copy of its looped part
        # (tests/test_loop_reread.py): a seam read again from the file would sound otherwise.
        again = name == "again"
        copied = again and (rate != 48000 or kind == "m4a")
        assert ("-stream_loop" in job.text) == again and ("aloop" in job.text) == (not again)
        assert ("decoded once, read again each time round" in job.text) == copied
        heard[name] = _pcm(assembler.render(edl, tmp_path / f"{name}.mp4", cache=False).path)[0]
    assert heard["held"].shape == heard["again"].shape
    assert np.abs(heard["held"]).max() > 0.05  # the bed is there, four times round
    assert np.abs(heard["held"] - heard["again"]).max() < 1e-4
