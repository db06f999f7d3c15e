"""Shot slots with takes (issue 13, point 2): a slot plays the clip of its picked take, fitted
to the slot's length by `fit_length`, with every clip field kept across a change of take;
bad slots are EDL errors with file:line, all at once, before anything is encoded. Every
check decodes the real output: its frame count, and which take's colour plays when."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import assembler
from assembler.errors import EdlError
from conftest import TONES, write_edl
from media_tools import count_frames, dominant_tone, make_clip, mean_color, rms_db, run_ffmpeg, BITEXACT

FPS = 25
RED, GREEN, BLUE, WHITE = (255, 0, 0), (0, 128, 0), (0, 0, 255), (255, 255, 255)


def near(measured, expected, tol=40.0) -> bool:
    return all(abs(m - e) <= tol for m, e in zip(measured, expected))


def at(frame: int) -> float:
    return (frame + 0.5) / FPS


@pytest.fixture(scope="module")
def takes(tmp_path_factory) -> Path:
    """Three takes of one shot: a (red, 2 s), b (green, 3 s), c (blue, 1 s); and d, 4 s whose
    colour steps every second (red, green, blue, white), to see a retime's speed."""
    d = tmp_path_factory.mktemp("takes")
    make_clip(d / "s02_a.mp4", color="red", fps=FPS, duration=2, tone=TONES["red"])
    make_clip(d / "s02_b.mp4", color="green", fps=FPS, duration=3, tone=TONES["green"])
    make_clip(d / "s02_c.mp4", color="blue", fps=FPS, duration=1, tone=TONES["blue"])
    run_ffmpeg("-f", "lavfi", "-i",
               "color=red:s=320x180:r=25:d=1[a];color=green:s=320x180:r=25:d=1[b];"
               "color=blue:s=320x180:r=25:d=1[c];color=white:s=320x180:r=25:d=1[d];[a][b][c][d]concat=n=4",
               "-c:v", "libx264", "-preset", "ultrafast", "-g", "25", "-pix_fmt", "yuv420p", *BITEXACT,
               str(d / "s02_d.mp4"))
    return d


def episode(folder: Path, *items: dict, name: str = "ep.yaml") -> Path:
    edl = {"version": 1, "output": {"size": "160x90", "fps": FPS, "video": {"preset": "ultrafast"}},
           "media_root": str(folder.parent), "video": list(items)}
    return write_edl(folder, name, edl)


def slot(**fields) -> dict:
    return {"shot": "s02", "takes": {"a": "takes/s02_a.mp4", "b": {"file": "takes/s02_b.mp4", "model": "veo-3",
                                                                   "prompt": "a green field", "seed": 7},
                                     "c": "takes/s02_c.mp4", "d": "takes/s02_d.mp4"}, **fields}


@pytest.fixture
def folder(takes, tmp_path) -> Path:
    work = tmp_path / "ep"
    work.mkdir()
    (tmp_path / "takes").symlink_to(takes)
    return work


def render(path: Path, **options):
    out = path.with_suffix(".mp4")
    return out, assembler.render(path, out, cache=path.parent / "cache", **options)


def test_the_first_take_plays_when_none_is_picked(folder):
    out, result = render(episode(folder, slot(length=1.6)))
    assert result.frames == 40 == count_frames(out)
    assert near(mean_color(out, at(20)), RED)


def test_the_picked_take_plays_trimmed_to_the_slot_with_its_sound(folder):
    out, result = render(episode(folder, slot(pick="b", length=2, **{"in": 0.5})))
    assert count_frames(out) == 50
    assert near(mean_color(out, at(0)), GREEN) and near(mean_color(out, at(49)), GREEN)
    assert abs(dominant_tone(out, 1.0) - TONES["green"]) < 20


def test_hold_freezes_the_last_frame_to_fill_even_across_a_join(folder):
    # c lasts 1 s, the slot 2 s: frames 25..49 repeat its last (blue) picture; the dissolve
    # after it starts inside the hold, so a segment begins there.
    out, result = render(episode(folder, slot(pick="c", length=2, fit_length="hold"),
                                 {"transition": "dissolve", "duration": 0.4}, {"color": "white", "duration": 1}))
    assert result.frames == 50 + 25 - 10 == count_frames(out)
    for frame in (5, 24, 30, 39):
        assert near(mean_color(out, at(frame)), BLUE), frame
    assert near(mean_color(out, at(60)), WHITE)
    assert dominant_tone(out, 0.5) == pytest.approx(TONES["blue"], abs=20)
    assert rms_db(out, 1.3, 0.3) < -60  # a held picture is silent: the take's sound has ended
    assert assembler.check(episode(folder, slot(pick="c", length=2, fit_length="hold"))).placements[0].hold == 25


def test_hold_of_a_take_longer_than_the_slot_trims_it(folder):
    out, result = render(episode(folder, slot(pick="b", length=1, fit_length="hold")))
    assert count_frames(out) == 25 and near(mean_color(out, at(24)), GREEN)


def test_retime_fits_the_take_by_its_speed(folder):
    # d lasts 4 s and the slot 2 s: speed 2, each of its 1 s colours lasts 0.5 s.
    out, result = render(episode(folder, slot(pick="d", length=2, fit_length="retime")))
    assert count_frames(out) == 50
    for frame, colour in ((6, RED), (18, GREEN), (31, BLUE), (43, WHITE)):
        assert near(mean_color(out, at(frame)), colour), frame
    assert assembler.check(episode(folder, slot(pick="d", length=2, fit_length="retime"))).placements[0].speed == 2


def test_ripple_gives_the_slot_the_takes_own_length(folder):
    out, result = render(episode(folder, slot(pick="b", length=1, fit_length="ripple"),
                                 {"color": "white", "duration": 1}))
    assert count_frames(out) == 75 + 25
    assert near(mean_color(out, at(74)), GREEN) and near(mean_color(out, at(75)), WHITE)
    # The length written is not what plays: said, at its line.
    (warned,) = [w for w in result.warnings if w.path == "video[0].length"]
    assert "fit_length: ripple" in warned.message and "3 s" in warned.message and warned.line


def test_diff_says_when_only_a_slots_pick_changed(folder):
    a = episode(folder, slot(pick="a", length=1), {"color": "white", "duration": 1}, name="a.yaml")
    b = episode(folder, slot(pick="c", length=1), {"color": "white", "duration": 1}, name="b.yaml")
    c = episode(folder, slot(pick="c", length=0.5), {"color": "white", "duration": 1}, name="c.yaml")
    assert assembler.diff(a, b).items == ("video[0].pick",)
    assert assembler.diff(b, c).items == ("video[0]",)  # more than the pick


def test_a_clips_fields_stay_with_the_slot_across_a_change_of_take(folder):
    cue = {"start": 0.2, "end": 0.8, "text": "hello"}
    for pick in ("a", "b"):
        timeline = assembler.check(episode(folder, slot(pick=pick, length=1, fit="cover", volume=-6, role="dialogue",
                                                        subtitles=[cue], audio=[{"file": "takes/s02_c.mp4"}])))
        shot = timeline.placements[0]
        assert (shot.fit, shot.volume_db, shot.role, shot.frames) == ("cover", -6, "dialogue", 25)
        assert shot.media.path.name == f"s02_{pick}.mp4"
        assert [s.where for s in timeline.sounds] == ["video[0].audio[0]"]
        assert [(c.start, c.end) for c in timeline.subtitles.cues] == [(5, 20)]


def test_every_bad_slot_is_an_error_at_its_line_all_at_once(folder):
    (folder.parent / "gone").mkdir()
    path = episode(folder,
                   slot(pick="z", length=1),                                   # unknown pick
                   slot(shot="s03", pick="c", length=2),                       # too short for trim
                   slot(shot="s04", pick="d", length=0.4, fit_length="retime"),  # speed 10
                   {"shot": "s05", "takes": {"x": "gone/x.mp4", "y": "gone/y.mp4"}},  # the picked take is missing
                   {"shot": "s06", "takes": {}},                               # no takes
                   slot(shot="s08", length="00:00:01:30"),                     # frame 30 at 25 fps
                   slot(shot="s03", length=1))                                 # an id given twice
    with pytest.raises(EdlError) as info:
        assembler.check(path)
    lines = path.read_text().splitlines()
    found = {(p.path, p.severity): p for p in info.value.problems}

    def line_of(problem, key: str, nth: int = 0) -> None:
        assert problem.file == str(path) and key in lines[problem.line - 1], (problem, lines[problem.line - 1])

    unknown = found[("video[0].pick", "error")]
    assert "no take `z`" in unknown.message and "a, b, c, d" in unknown.message
    line_of(unknown, '"pick"')
    short = found[("video[1].length", "error")]
    assert "take `c`" in short.message and "s02_c.mp4" in short.message and "1 s" in short.message
    line_of(short, '"length"')
    fast = found[("video[2].fit_length", "error")]
    assert "speed 10.000" in fast.message and "0.25..4" in fast.message
    missing = found[("video[3].takes.x", "error")]
    assert "take `x`" in missing.message and "x.mp4" in missing.message
    assert found[("video[3].takes.y", "warning")]  # not picked: it can wait
    assert "at least one take" in found[("video[4].takes", "error")].message
    assert "frame 30 at 25 fps" in found[("video[5].length", "error")].message
    assert "also video[1]" in found[("video[6].shot", "error")].message


def test_a_slot_is_in_the_schema():
    schema = assembler.json_schema() if hasattr(assembler, "json_schema") else None
    if schema is None:
        from assembler.model.schema import json_schema
        schema = json_schema()
    slot_schema = schema["$defs"]["Slot"]["properties"]
    assert {"shot", "takes", "pick", "length", "in", "fit_length"} <= set(slot_schema)
    assert slot_schema["fit_length"]["enum"] == ["trim", "hold", "retime", "ripple"]
    assert json.dumps(schema["$defs"]["Take"]["properties"]).count("seed")


def segments_of(result) -> list[dict]:
    return json.loads(result.receipt.read_text(encoding="utf-8"))["segments"]


def test_a_new_pick_renders_only_that_slots_segments_and_the_joins_beside_it(folder):
    path = episode(folder, {"color": "white", "duration": 1}, {"transition": "dissolve", "duration": 0.4},
                   slot(pick="a", length=2), {"transition": "wipeleft", "duration": 0.4},
                   {"color": "navy", "duration": 1}, {"color": "yellow", "duration": 1})
    out, first = render(path)
    assert near(mean_color(out, at(35)), RED)
    before = segments_of(first)  # the receipt is rewritten by the next render
    out, again = render(path, picks={"s02": "b"})  # not a word of the file changed
    assert near(mean_color(out, at(35)), GREEN) and count_frames(out) == again.frames == 25 + 50 + 25 + 25 - 20
    after = segments_of(again)
    slot_keys = [[s["key"] for s in made if 2 in s["items"]] for made in (before, after)]
    assert all(a != b for a, b in zip(*slot_keys)) and len(slot_keys[0]) == 3
    remade = [s["items"] for s in after if s["rendered_now"]]
    # The slot (video[2]) alone, the dissolve into it and the wipe out of it: nothing else.
    assert remade and sorted(remade) == sorted(s["items"] for s in after if 2 in s["items"])
    assert {tuple(items) for items in remade} >= {(0, 2), (2,), (2, 4)}
    assert [s["key"] for s in before if 2 not in s["items"]] == [s["key"] for s in after if 2 not in s["items"]]


def test_picks_in_the_api_and_on_the_command_line_override_the_file(folder):
    import subprocess
    import sys
    path = episode(folder, slot(pick="a", length=1))
    assert assembler.check(path, picks={"s02": "c"}).placements[0].media.path.name == "s02_c.mp4"
    with pytest.raises(EdlError) as info:
        assembler.check(path, picks={"s02": "x", "s9": "a"})
    said = sorted(str(p) for p in info.value.problems)
    assert any("video[0].takes: --pick s02=x: no take `x`" in s and f"{path}:" in s for s in said), said
    assert any("no shot slot `s9`" in s and "s02" in s for s in said), said
    cli = [sys.executable, "-m", "assembler", "check", str(path), "--pick", "s02=b"]
    shown = subprocess.run(cli, capture_output=True, text=True)
    assert shown.returncode == 0 and "shot s02, take b: s02_b.mp4" in shown.stdout, shown.stderr
    bad = subprocess.run([*cli, "--pick", "s02"], capture_output=True, text=True)
    assert bad.returncode == 2 and "'s02' is not SLOT=TAKE" in bad.stderr


def test_the_listing_gives_every_take_its_length_provenance_and_pick(folder):
    from assembler.review.takes import list_takes
    path = episode(folder, slot(pick="b", length=1), {"color": "black"},
                   {"shot": "s07", "takes": {"only": "takes/s02_c.mp4", "lost": "takes/none.mp4"}})
    found = list_takes(path)
    assert [(s.index, s.shot, s.length, s.fit_length) for s in found] == [(0, "s02", 1, "trim"), (2, "s07", None, "trim")]
    first = found[0]
    assert [(t.name, t.seconds, t.picked) for t in first.takes] == [("a", 2, False), ("b", 3, True), ("c", 1, False),
                                                                   ("d", 4, False)]
    assert (first.picked.model, first.picked.prompt, first.picked.seed) == ("veo-3", "a green field", 7)
    lost = found[1].takes[1]
    assert lost.seconds is None and "none.mp4" in lost.problem and found[1].picked.name == "only"
    assert list_takes(path, picks={"s02": "d"})[0].picked.name == "d"
    # The lost take is not picked: the episode still checks, with a warning at that take.
    warned = [p for p in assembler.check(path).warnings if p.path == "video[2].takes.lost"]
    assert len(warned) == 1 and "cannot be picked" in warned[0].hint


def test_the_takes_command_lists_and_draws_a_slots_takes_side_by_side(folder):
    import subprocess
    import sys
    from PIL import Image
    path = episode(folder, slot(pick="c", length=1))
    cli = [sys.executable, "-m", "assembler", "takes", str(path)]
    listed = subprocess.run([*cli, "--pick", "s02=b"], capture_output=True, text=True)
    assert listed.returncode == 0, listed.stderr
    rows = {line.split("│")[3].strip(): line for line in listed.stdout.splitlines() if line.count("│") > 8}
    assert set(rows) >= {"a", "b *", "c", "d"} and "veo-3" in rows["b *"] and "3.000" in rows["b *"]
    sheet = folder / "s02.png"
    drawn = subprocess.run([*cli, "--sheet", "s02", "-o", str(sheet)], capture_output=True, text=True)
    assert drawn.returncode == 0, drawn.stderr
    picture = Image.open(sheet).convert("RGB")
    tile = 240 + 8
    assert picture.width == 4 * tile + 8
    # a red, b green, c blue; d in the middle of its first second (the slot trims it to 1 s): red.
    for n, colour in enumerate((RED, GREEN, BLUE, RED)):
        assert near(picture.getpixel((8 + n * tile + 120, 8 + 67)), colour), n
    assert near(picture.getpixel((8 + 2 * tile - 2, 40)), (255, 200, 0))  # c, the picked one, is framed
    wrong = subprocess.run([*cli, "--sheet", "s9"], capture_output=True, text=True)
    assert wrong.returncode == 2 and "no shot slot `s9`" in wrong.stderr and "s02" in wrong.stderr


def test_take_names_may_be_numbers_and_a_bad_take_is_named_in_its_path(folder):
    numbered = {"shot": "s02", "takes": {1: "takes/s02_a.mp4", 2: "takes/s02_b.mp4"}, "pick": 2, "length": 1}
    path = folder / "numbered.yaml"
    # YAML's flow style, numbers unquoted: the keys 1 and 2, and `pick: 2` a number.
    path.write_text("version: 1\noutput: {fps: 25}\nmedia_root: ..\nvideo:\n  - " + json.dumps(numbered)
                    .replace('"1"', "1").replace('"2"', "2") + "\n")
    assert '{1: "takes/s02_a.mp4", 2:' in path.read_text() and '"pick": 2,' in path.read_text()
    assert assembler.check(path).placements[0].take == ("s02", "2")
    with pytest.raises(EdlError) as info:
        assembler.check(episode(folder, {"shot": "s02", "takes": {"a": {"file": ""}, "b": 3}},
                                slot(shot="s03", length=0)))
    assert sorted(p.path for p in info.value.problems) == ["video[0].takes.a.file", "video[0].takes.b",
                                                           "video[1].length"]
    assert "less than one frame" in next(p.message for p in info.value.problems if p.path == "video[1].length")


def test_a_receipt_says_which_takes_played_and_verify_plays_them_again(folder):
    path = episode(folder, slot(pick="a", length=1), {"color": "white", "duration": 1})
    out, result = render(path, picks={"s02": "c"})
    receipt = json.loads(out.with_name(out.stem + ".receipt.json").read_text())
    assert receipt["edl"]["picks"] == {"s02": "c"}
    assert assembler.verify(out.with_name(out.stem + ".receipt.json")).matches
