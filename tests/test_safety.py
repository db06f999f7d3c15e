"""A render never writes over a file it reads, and never starts what its container cannot
hold: both are EDL errors (exit 2, file:line, a hint) before anything is written."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import av
import pytest
from typer.testing import CliRunner

import assembler
from assembler.cli import app
from assembler.model.load import parse, validate
from assembler.errors import MediaError, field_path
from assembler.run.readers import read_sources
from assembler.timeline.sources import BUNDLED_FONT, Face, MediaInfo, SubtitleFile, needs
from media_tools import audio_duration, count_frames, make_clip, make_image, make_tone_wav

EDL = """\
version: 1
output: {size: 320x180, fps: 24, video: {preset: ultrafast}}
video:
  - clip: shots/s01.mp4
    out: 1
"""


@pytest.fixture(scope="module")
def shot(tmp_path_factory) -> Path:
    return make_clip(tmp_path_factory.mktemp("shot") / "s01.mp4", duration=1, tone=440)


@pytest.fixture
def project(tmp_path, shot, monkeypatch) -> Path:
    """A folder with ep.yaml reading shots/s01.mp4 (line 4); the tests run inside it."""
    (tmp_path / "shots").mkdir()
    shutil.copy(shot, tmp_path / "shots" / "s01.mp4")
    (tmp_path / "ep.yaml").write_text(EDL, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("ASSEMBLER_CACHE", raising=False)
    return tmp_path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (links as what they point at) with its bytes' hash."""
    return {os.fspath(p.relative_to(folder)): sha256(p) if p.is_file() else "dir"
            for p in sorted(folder.rglob("*"))}


def refused(folder: Path, *args: str) -> str:
    """Run the CLI, assert that it refused (exit 2) and wrote nothing; return its message."""
    before = tree(folder)
    done = CliRunner().invoke(app, list(args))
    assert done.exit_code == 2, done.output
    assert tree(folder) == before, "a refused render wrote or changed files"
    assert "Traceback" not in done.output and "nothing was rendered" in done.output
    return done.output


@pytest.mark.parametrize("single", [False, True], ids=["segments", "single"])
@pytest.mark.parametrize("spelling", ["same", "dotted", "symlink", "hardlink"])
def test_an_output_over_a_shot_is_refused_however_it_is_named(project, spelling, single):
    target = {"same": "shots/s01.mp4", "dotted": "./shots/../shots/s01.mp4", "symlink": "latest.mp4",
              "hardlink": "take.mp4"}[spelling]
    if spelling == "symlink":
        (project / "latest.mp4").symlink_to(project / "shots" / "s01.mp4")
    elif spelling == "hardlink":
        os.link(project / "shots" / "s01.mp4", project / "take.mp4")
    message = refused(project, "render", "ep.yaml", "-o", target, "-q", *(["--single"] if single else []))
    assert f"ep.yaml:4: video[0].clip: shots/s01.mp4 is also the output this render writes ({Path(target)})" in message
    assert "would be overwritten (choose another output name)" in message
    assert ("hard link" in message) == (spelling == "hardlink")
    assert not (project / ".assembler-cache").exists()


def test_an_input_that_links_to_the_output_is_refused(project):
    """The EDL reads a link; the output is the file it points at."""
    (project / "ep.yaml").write_text(EDL.replace("shots/s01.mp4", "current.mp4"), encoding="utf-8")
    (project / "current.mp4").symlink_to(project / "shots" / "s01.mp4")
    message = refused(project, "render", "ep.yaml", "-o", "shots/s01.mp4", "-q")
    assert "ep.yaml:4: video[0].clip: current.mp4 is also the output this render writes (shots/s01.mp4) " \
           "(the same file, through a link)" in message


SIDECAR = """\
version: 1
output: {size: 320x180, fps: 24, video: {preset: ultrafast}}
video:
  - clip: shots/s01.mp4
subtitles:
  file: ep02.srt
  offset: 0.5
  sidecar: true
"""


def test_the_sidecar_never_replaces_the_subtitle_file_it_is_made_from(project):
    """ep02.yaml + ep02.srt, the most natural layout: the sidecar would be ep02.srt itself,
    shifted by the offset again at every render."""
    (project / "ep02.yaml").write_text(SIDECAR, encoding="utf-8")
    srt = project / "ep02.srt"
    srt.write_text("1\n00:00:00,000 --> 00:00:00,400\nHello\n", encoding="utf-8")
    for extra in ([], ["--single"], ["-o", "ep02.mp4"]):
        message = refused(project, "render", "ep02.yaml", "-q", *extra)
        assert "ep02.yaml:6: subtitles.file: ep02.srt is also the sidecar subtitles this render writes " \
               "(ep02.srt): it would be overwritten (choose another output name, or set " \
               "`subtitles.sidecar: false`)" in message
    # Another output name is the way out: the user's file stays, the sidecar has the shift.
    done = CliRunner().invoke(app, ["render", "ep02.yaml", "-o", "out/ep02.mp4", "-q"])
    assert done.exit_code == 0, done.output
    assert srt.read_text(encoding="utf-8") == "1\n00:00:00,000 --> 00:00:00,400\nHello\n"
    assert "00:00:00,500 --> 00:00:00,917" in (project / "out" / "ep02.srt").read_text(encoding="utf-8")
    assert count_frames(project / "out" / "ep02.mp4") == 24


def test_a_stem_is_never_written_over_a_sound_the_edl_reads(project):
    make_tone_wav(project / "ep.music.wav", duration=1)
    (project / "ep.yaml").write_text(EDL.replace("video: {preset: ultrafast}}", "video: {preset: ultrafast}, "
                                                 "stems: true}") +
                                     "audio:\n  - {file: ep.music.wav, role: music}\n", encoding="utf-8")
    message = refused(project, "render", "ep.yaml", "-q")
    assert "ep.yaml:7: audio[0].file: ep.music.wav is also the music stem this render writes (ep.music.wav)" in message
    assert "set `output.stems: false`" in message


def test_the_edl_itself_is_never_the_output(project):
    message = refused(project, "render", "ep.yaml", "-o", "ep.yaml", "-q")
    assert "ep.yaml:1: the EDL itself is also the output this render writes (ep.yaml)" in message
    assert "ep.yaml:1: cannot write ep.yaml: .yaml is not a container assembler writes" in message


def test_the_receipt_is_never_written_over_the_edl(project):
    """A JSON EDL named like the receipt of the output beside it."""
    edl = {"version": 1, "output": {"size": "320x180", "fps": 24}, "video": [{"clip": "shots/s01.mp4"}]}
    (project / "ep.receipt.json").write_text(json.dumps(edl), encoding="utf-8")
    message = refused(project, "render", "ep.receipt.json", "-o", "ep.mp4", "-q")
    assert "ep.receipt.json:1: the EDL itself is also the receipt this render writes (ep.receipt.json)" in message


def test_the_api_refuses_an_edl_built_in_code_before_writing_anything(project):
    edl = assembler.Edl(version=1, output=assembler.Output(size="320x180", fps=24),
                        video=[assembler.Clip(clip="shots/s01.mp4", out=1)])
    before = tree(project)
    for single in (False, True):
        with pytest.raises(assembler.EdlError) as caught:
            assembler.render(edl, project / "shots" / "s01.mp4", base_dir=project, single=single)
        assert [p.path for p in caught.value.problems] == ["video[0].clip"]
        assert "is also the output this render writes" in caught.value.problems[0].message
    with pytest.raises(assembler.EdlError):
        assembler.dry_run(edl, project / "shots" / "s01.mp4", base_dir=project)
    assert tree(project) == before


EVERY_INPUT = """\
version: 1
output: {size: 320x180, fps: 24, lut: looks/all.cube}
video:
  - clip: shots/s01.mp4
    lut: looks/shot.cube
    audio: [{file: vo/line.wav}]
  - image: stills/map.png
    duration: 1
  - title: Hi
    background: stills/paper.png
    style: {font: fonts/title.otc}
    duration: 1
overlays:
  - {image: brand/logo.png}
  - {clip: shots/insert.mp4, duration: 0.5}
  - {title: Lower, style: {font: fonts/lower.otc}, duration: 0.5}
audio:
  - {file: music/bed.wav}
subtitles:
  file: subs/ep.srt
  fonts_dir: more_fonts
  style: {font: fonts/subs.otc}
"""
FIELDS = {
    "output.lut": (2, "looks/all.cube"), "video[0].clip": (4, "shots/s01.mp4"),
    "video[0].lut": (5, "looks/shot.cube"), "video[0].audio[0].file": (6, "vo/line.wav"),
    "video[1].image": (7, "stills/map.png"), "video[2].background": (10, "stills/paper.png"),
    "video[2].style.font": (11, "fonts/title.otc"), "overlays[0].image": (14, "brand/logo.png"),
    "overlays[1].clip": (15, "shots/insert.mp4"), "overlays[2].style.font": (16, "fonts/lower.otc"),
    "audio[0].file": (18, "music/bed.wav"), "subtitles.file": (20, "subs/ep.srt"),
    "subtitles.fonts_dir": (21, "more_fonts/extra.otc"), "subtitles.style.font": (22, "fonts/subs.otc"),
}


@pytest.fixture
def every_input(project) -> Path:
    """An EDL that reads a file of every kind there is, each a file of its own."""
    cube = "LUT_3D_SIZE 2\n" + "".join(f"{r} {g} {b}\n" for b in (0, 1) for g in (0, 1) for r in (0, 1))
    for name in ("looks/all.cube", "looks/shot.cube"):
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).write_text(cube)
    for name in ("stills/map.png", "stills/paper.png", "brand/logo.png"):
        (project / name).parent.mkdir(exist_ok=True)
        make_image(project / name)
    shutil.copy(project / "shots" / "s01.mp4", project / "shots" / "insert.mp4")
    for name in ("vo/line.wav", "music/bed.wav"):
        (project / name).parent.mkdir(exist_ok=True)
        make_tone_wav(project / name, duration=0.5)
    for name in ("fonts/title.otc", "fonts/lower.otc", "fonts/subs.otc", "more_fonts/extra.otc"):
        (project / name).parent.mkdir(exist_ok=True)
        (project / name).symlink_to(BUNDLED_FONT)  # a link: the clash is told by the link's own name
    (project / "subs").mkdir()
    (project / "subs" / "ep.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nHi\n", encoding="utf-8")
    (project / "ep.yaml").write_text(EVERY_INPUT, encoding="utf-8")
    return project


def test_every_kind_of_input_is_compared_and_located(every_input):
    assert assembler.check("ep.yaml", out="ep.mp4").frames > 0  # a valid EDL that reads all of them
    link = every_input / "ep.mp4"
    for field, (line, name) in FIELDS.items():
        link.unlink(missing_ok=True)
        link.symlink_to(every_input / name)
        with pytest.raises(assembler.EdlError) as caught:
            assembler.check("ep.yaml", out="ep.mp4")
        found = [(p.line, p.path) for p in caught.value.problems if p.message.startswith(name + " is also the output")]
        assert (line, field) in found, (field, [str(p) for p in caught.value.problems])


KINDS = {
    "output.lut": "lut", "video[0].clip": "media", "video[0].lut": "lut", "video[0].audio[0].file": "media",
    "video[1].image": "media", "video[2].style.font": "font", "video[2].background": "media",
    "audio[0].file": "media", "overlays[0].image": "media", "overlays[1].clip": "media",
    "overlays[2].style.font": "font", "subtitles.file": "subtitles", "subtitles.fonts_dir": "faces",
    "subtitles.style.font": "faces",
}


def test_one_walk_names_every_kind_of_input_with_its_field(every_input):
    validated = validate(parse("ep.yaml"))
    listed = [(field_path(n.at) if n.at else None, n.path, n.kind) for n in needs(validated)]
    folder = every_input / "more_fonts"
    assert listed == [*((field, folder if field == "subtitles.fonts_dir" else every_input / FIELDS[field][1], kind)
                        for field, kind in KINDS.items()), (None, BUNDLED_FONT, "faces")]
    sources = read_sources(needs(validated))
    for need in needs(validated):
        found = getattr(sources, need.kind)(need.path)
        wanted = {"media": MediaInfo, "lut": MediaInfo, "font": MediaInfo, "faces": tuple,
                  "subtitles": SubtitleFile}[need.kind]
        assert isinstance(found, wanted), (need, found)
    assert sources.lut(every_input / "looks/all.cube").kind == "lut"
    assert sources.font(every_input / "fonts/title.otc").kind == "font"
    assert all(isinstance(face, Face) for face in sources.faces(folder))
    assert sources.fields(every_input / "shots/s01.mp4") == (("video", 0, "clip"),)
    # A family name is no file: nothing to read, and no field for it.
    text = (every_input / "ep.yaml").read_text().replace("fonts/lower.otc", "Noto Sans CJK SC")
    (every_input / "ep.yaml").write_text(text, encoding="utf-8")
    assert "overlays[2].style.font" not in [field_path(n.at) for n in needs(validate(parse("ep.yaml"))) if n.at]


def test_every_input_that_is_not_there_is_said_at_its_own_field(every_input):
    """The catalog keeps each file's error; the timeline says it where the EDL names it
    (never "was not probed": one walk lists what is read)."""
    validated = validate(parse("ep.yaml"))
    for need in (n for n in needs(validated) if n.at is not None):
        away = need.path.with_name(need.path.name + ".away")
        need.path.rename(away)
        found = getattr(read_sources(needs(validated)), need.kind)(need.path)
        assert isinstance(found, MediaError), (need, found)
        with pytest.raises(assembler.EdlError) as caught:
            assembler.check("ep.yaml")
        said = [p for p in caught.value.problems if p.severity == "error"]
        assert [p.path for p in said] == [field_path(need.at)], [str(p) for p in said]
        assert "not found" in said[0].message or "does not exist" in said[0].message, str(said[0])
        away.rename(need.path)


@pytest.mark.parametrize("name, settings, expected", [
    ("x.gif", "", "ep.yaml:1: cannot write x.gif: .gif is not a container assembler writes (name the output "
                  ".mp4, .m4v, .mov or .mkv)"),
    ("x", "", "ep.yaml:1: cannot write x: its name has no suffix to say its container"),
    ("x.webm", "", "ep.yaml:1: x.webm is WebM, which cannot hold libx264 video (output.video.codec) (name the "
                   "output .mp4, .m4v, .mov or .mkv, or change `output.video.codec`)"),
    ("x.webm", "video: {codec: libvpx-vp9}", "ep.yaml:1: x.webm is WebM, which cannot hold aac sound "
                                             "(output.audio.codec)"),
    ("x.mov", "video: {codec: libsvtav1}", "ep.yaml:2: output.video.codec: x.mov is QuickTime, which cannot hold "
                                           "libsvtav1 video (name the output .mp4, .m4v or .mkv"),
    ("x.mkv", "soft", "ep.yaml:8: subtitles.soft: x.mkv is Matroska, which cannot hold the soft subtitles "
                      "(mov_text) (name the output .mp4, .m4v or .mov"),
])
def test_an_output_its_settings_cannot_write_is_refused_before_encoding(project, name, settings, expected):
    text = EDL
    if settings == "soft":
        (project / "ep.srt").write_text("1\n00:00:00,000 --> 00:00:00,500\nHi\n", encoding="utf-8")
        text += "subtitles:\n  file: ep.srt\n  soft: true\n"
    elif settings:
        text = text.replace("video: {preset: ultrafast}", settings)
    (project / "ep.yaml").write_text(text, encoding="utf-8")
    for command in (["render", "ep.yaml", "-o", name, "-q"], ["render", "ep.yaml", "-o", name, "-q", "--single"],
                    ["check", "ep.yaml", "-o", name]):
        assert expected in refused(project, *command)


def test_webm_with_its_own_codecs_and_matroska_pass_the_check(project):
    (project / "ep.yaml").write_text(EDL.replace("video: {preset: ultrafast}",
                                                 "video: {codec: libvpx-vp9}, audio: {codec: libopus}"))
    done = CliRunner().invoke(app, ["check", "ep.yaml", "-o", "x.webm"])
    assert done.exit_code == 0, done.output


@pytest.mark.parametrize("single", [False, True], ids=["segments", "single"])
def test_matroska_renders_with_the_default_codecs(project, single):
    (project / "ep.yaml").write_text(EDL + "markers: [{at: 0, name: Open}, {at: 0.5, name: Middle}]\n")
    done = CliRunner().invoke(app, ["render", "ep.yaml", "-o", "ep.mkv", "-q", *(["--single"] if single else [])])
    assert done.exit_code == 0, done.output
    with av.open(os.fspath(project / "ep.mkv")) as container:
        assert "matroska" in container.format.name
        assert [s.type for s in container.streams] == ["video", "audio"]
        assert [c["metadata"]["title"] for c in container.chapters()] == ["Open", "Middle"]
    assert count_frames(project / "ep.mkv") == 24
    # Matroska cannot say where AAC's last frame ends: encoded straight into it (--single),
    # the sound decodes up to one AAC frame long; copied from the cached sound, exact.
    assert 0 <= audio_duration(project / "ep.mkv") - 1 < (1024 / 48000 if single else 1e-3)


def test_an_output_or_sidecar_that_is_a_folder_is_refused_before_encoding(project):
    (project / "ep.mp4").mkdir()
    assert "ep.yaml:1: cannot write the output " in refused(project, "render", "ep.yaml", "-q")
    (project / "ep.yaml").write_text(SIDECAR.replace("ep02", "ep"), encoding="utf-8")
    (project / "ep.srt").write_text("1\n00:00:00,000 --> 00:00:00,400\nHello\n", encoding="utf-8")
    (project / "out" / "x.srt").mkdir(parents=True)
    message = refused(project, "render", "ep.yaml", "-o", "out/x.mp4", "-q")
    assert "cannot write the sidecar subtitles " in message and "a folder of that name is there" in message
    assert not list(project.rglob("*.partial*"))


def test_a_cache_that_is_a_file_is_a_clear_error(project):
    before = sha256(project / "shots" / "s01.mp4")
    for cache in ("shots/s01.mp4", "shots/s01.mp4/inside"):
        for extra in ([], ["--dry-run"]):
            done = CliRunner().invoke(app, ["render", "ep.yaml", "--cache", cache, "-q", *extra])
            assert done.exit_code == 2 and "cannot be a folder" in done.output and "Traceback" not in done.output
        done = CliRunner().invoke(app, ["cache", "info", "--cache", cache])
        assert done.exit_code == 2 and "cannot be a folder" in done.output
    done = CliRunner().invoke(app, ["render", "ep.yaml", "--dry-run", "--dry-run-dir", "shots/s01.mp4/x"])
    assert done.exit_code == 2 and "the dry run's folder" in done.output and "Traceback" not in done.output
    assert sha256(project / "shots" / "s01.mp4") == before and not (project / "ep.mp4").exists()


def test_a_codec_mp4_segments_cannot_hold_needs_single(project):
    (project / "ep.yaml").write_text(EDL.replace("video: {preset: ultrafast}",
                                                 "video: {codec: prores_ks, pix_fmt: yuv422p10le}"))
    message = refused(project, "render", "ep.yaml", "-o", "x.mov", "-q")
    assert "ep.yaml:2: output.video.codec: prores_ks video cannot be rendered in segments" in message
    assert "render with --single" in message
    assert "prores_ks video cannot be rendered in segments" in refused(project, "check", "ep.yaml", "-o", "x.mov")
    assert CliRunner().invoke(app, ["check", "ep.yaml", "-o", "x.mov", "--single"]).exit_code == 0
    done = CliRunner().invoke(app, ["render", "ep.yaml", "-o", "x.mov", "-q", "--single"])
    assert done.exit_code == 0, done.output
    with av.open(os.fspath(project / "x.mov")) as container:
        assert container.streams.video[0].codec_context.name == "prores"
    assert count_frames(project / "x.mov") == 24


def test_check_checks_the_output_render_would_write(project):
    """Without -o, `check` looks at the output `render` would write by default."""
    (project / "ep02.yaml").write_text(SIDECAR, encoding="utf-8")
    (project / "ep02.srt").write_text("1\n00:00:00,000 --> 00:00:00,400\nHello\n", encoding="utf-8")
    assert "ep02.yaml:6: subtitles.file: ep02.srt is also the sidecar" in refused(project, "check", "ep02.yaml")
    assert CliRunner().invoke(app, ["check", "ep02.yaml", "-o", "out/ep02.mp4"]).exit_code == 0


def test_a_source_replaced_with_its_old_size_and_time_is_read_again(project):
    """`cp -p`, `rsync -a` or a same-length re-export on a disk with a coarse clock keep
    the size and the modification time: the cache must still see new content."""
    music = project / "music.wav"
    make_tone_wav(music, duration=1, freq=440)
    (project / "ep.yaml").write_text(EDL + "audio:\n  - {file: music.wav, role: music}\n", encoding="utf-8")
    assert CliRunner().invoke(app, ["render", "ep.yaml", "-q"]).exit_code == 0
    first = sha256(project / "ep.mp4")
    old = music.stat()
    make_tone_wav(project / "other.wav", duration=1, freq=880)
    os.replace(project / "other.wav", music)
    os.utime(music, ns=(old.st_atime_ns, old.st_mtime_ns))
    assert music.stat().st_size == old.st_size and music.stat().st_mtime_ns == old.st_mtime_ns
    assert CliRunner().invoke(app, ["render", "ep.yaml", "-q"]).exit_code == 0
    again = sha256(project / "ep.mp4")
    receipt = json.loads((project / "ep.receipt.json").read_text())
    assert [i["sha256"] for i in receipt["inputs"] if i["path"].endswith("music.wav")] == [sha256(music)]
    assert CliRunner().invoke(app, ["render", "ep.yaml", "-o", "clean.mp4", "-q", "--no-cache"]).exit_code == 0
    assert again != first and again == sha256(project / "clean.mp4")


def test_a_contact_sheet_never_overwrites_an_input(project):
    make_image(project / "still.png", color="blue", size=(64, 36))
    (project / "ep.yaml").write_text(EDL + "  - {image: still.png, duration: 1}\n", encoding="utf-8")
    message = refused(project, "check", "ep.yaml", "--sheet", "still.png")
    assert "ep.yaml:6: video[1].image: still.png is also the contact sheet" in message
    for bad in ("shots/s01.mp4", "ep.yaml"):  # not a picture's name: refused before anything is read
        done = CliRunner().invoke(app, ["check", "ep.yaml", "--sheet", bad])
        assert done.exit_code == 2 and "a contact sheet is a picture" in done.output and "Traceback" not in done.output
    (project / "sdir.png").mkdir()
    assert "a folder of that name is there" in refused(project, "check", "ep.yaml", "--sheet", "sdir.png")
    done = CliRunner().invoke(app, ["check", "ep.yaml", "--sheet", "new/cut.png"])
    assert done.exit_code == 0, done.output
    with av.open(os.fspath(project / "new" / "cut.png")) as picture:
        assert picture.streams.video[0].codec_context.width > 64
