"""The graph owns its inputs: it numbers its sources, yields the argv, the files it reads and
the script; content keys name each file by its fingerprint, never by its path."""

from __future__ import annotations

import hashlib
import re
import shutil
from pathlib import Path

import pytest

import assembler
from assembler.compile.escape import value as escape_value
from assembler.compile.graph import File, Filter, GraphBuilder, Source
from assembler.compile.jobs import compile_assembly, compile_mix, compile_segment, compile_timeline
from assembler.layout.frame import own
from assembler.compile.keys import job_key
from assembler.render import plan
from assembler.run.cache import Cache
from assembler.run.ffmpeg import find_ffmpeg
from assembler.run.soundtrack import sound_key
from conftest import write_edl

PACKAGE = Path(assembler.__file__).parent


def test_sources_are_numbered_in_the_order_given_and_the_argv_follows():
    g = GraphBuilder()
    first = g.source("/m/a.mp4", "-ss", "1.5", "-t", "2")
    second = g.source("/m/list.txt", "-f", "concat", "-safe", "0")
    g.chain([g.input(second, "a")], [Filter("anull")], "a", name="aout")
    g.chain([g.input(first, "v")], [Filter("null")], "v", name="vout")
    graph = g.build()
    assert (first, second) == (0, 1)
    assert graph.sources == (Source("/m/a.mp4", ("-ss", "1.5", "-t", "2")),
                             Source("/m/list.txt", ("-f", "concat", "-safe", "0")))
    assert graph.argv() == ("-ss", "1.5", "-t", "2", "-i", "/m/a.mp4", "-f", "concat", "-safe", "0", "-i",
                            "/m/list.txt")
    assert graph.script() == "[1:a:0]anull[aout];\n[0:v:0]null[vout]\n"


def test_the_file_set_is_every_source_and_every_file_read_once_in_the_order_given():
    g = GraphBuilder()
    g.source("/m/a.mp4")
    g.read("/f/face.ttf", "/m/a.mp4")
    # A filter that names a file nobody registered still counts as read.
    g.chain([g.input(0, "v")], [Filter("lut3d", file=File("/l/look.cube"))], "v", name="vout")
    assert g.build().files == ("/m/a.mp4", "/f/face.ttf", "/l/look.cube")


def test_a_file_option_is_escaped_in_the_script_and_named_by_its_fingerprint_in_a_key():
    path = "/m/it's: [a], b; c.png"
    f = Filter("movie", filename=File(path), format_opts="pattern_type=none")
    assert f.text() == str(f) == f"movie=filename={escape_value(path)}:format_opts=pattern_type=none"
    assert f.text({path: "sha256:00ff"}) == "movie=filename=sha256:00ff:format_opts=pattern_type=none"
    with pytest.raises(KeyError):
        f.text({})  # a key is never made from a file without its fingerprint


def _episode(folder: Path, media: Path) -> Path:
    """An EDL reading a clip (from an in-point), a still, a title, an overlay (a movie
    source), a LUT and a sound beside the main track, all from ``folder``."""
    folder.mkdir()
    for name in ("red.mp4", "still.png", "green.mp4"):
        shutil.copyfile(media / name, folder / name)
    lines = ["TITLE t", "LUT_3D_SIZE 2", *(f"{b} {g} {r}" for r in (0, 1) for g in (0, 1) for b in (0, 1))]
    (folder / "look.cube").write_text("\n".join(lines) + "\n")
    return write_edl(folder, "ep.yaml", {
        "version": 1, "output": {"size": "160x90", "fps": 25, "video": {"preset": "ultrafast"}, "lut": "look.cube"},
        "video": [{"clip": "red.mp4", "in": 0.2, "out": 1}, {"transition": "fade", "duration": 0.2},
                  {"image": "still.png", "duration": 0.6}, {"title": "Hi", "duration": 0.6}],
        "overlays": [{"image": "still.png", "start": 0, "duration": 1, "scale": 0.25}],
        "audio": [{"file": "green.mp4", "start": 0.4}]})


@pytest.fixture(scope="module")
def moved(media, tmp_path_factory):
    """The same episode in two folders: the second is the first, moved."""
    root = tmp_path_factory.mktemp("moved")
    return [assembler.check(_episode(root / name, media)) for name in ("here", "there, [moved]")]


def _fingerprints(paths) -> dict[str, str]:
    return {p: "sha256:" + hashlib.sha256(Path(p).read_bytes()).hexdigest() for p in paths}


def test_a_compiled_job_reads_its_sources_by_the_index_the_graph_gave_them(moved):
    job = compile_timeline(moved[0], laid=own(moved[0]))
    sources = job.graph.sources
    named = [job.inputs[k + 1] for k, arg in enumerate(job.inputs) if arg == "-i"]
    assert named == [s.path for s in sources] and len(sources) >= 3  # the clip, the still, the sound
    used = {int(k) for k in re.findall(r"\[(\d+):[va]:0\]", job.script)}
    assert used == set(range(len(sources)))  # every source read, none read that is not one
    clip = next(s for s in sources if s.path.endswith("red.mp4"))
    assert clip.options[:2] == ("-ss", "0.2")
    folder = Path(clip.path).parent
    assert set(job.paths) >= {clip.path, str(folder / "still.png"), str(folder / "green.mp4"),
                              str(folder / "look.cube")}
    assert len(job.paths) == len(set(job.paths))


def test_a_key_follows_the_files_content_not_where_they_are(moved):
    here, there = moved
    salt = "assembler-segment/test|ffmpeg x"
    for make in (lambda t: compile_timeline(t, laid=own(t)), lambda t: compile_segment(t, 0, t.frames, laid=own(t)),
                 lambda t: compile_mix(t, 0, t.samples)):
        a, b = make(here), make(there)
        assert a.paths != b.paths
        prints_a, prints_b = _fingerprints(a.paths), _fingerprints(b.paths)
        assert job_key(a, prints_a, salt) == job_key(b, prints_b, salt)
        assert job_key(a, prints_a, salt) != job_key(a, prints_a, salt + "2")  # another ffmpeg build
        for path in a.paths:  # a source, a movie's file, a LUT, a font: each one's content counts
            changed = dict(prints_a, **{path: "sha256:" + "0" * 64})
            assert job_key(a, changed, salt) != job_key(a, prints_a, salt), path


def test_segment_and_sound_keys_made_through_the_cache_survive_a_move(moved, tmp_path):
    store, ff = Cache(tmp_path / "cache"), find_ffmpeg()
    here, there = moved
    assert [p.key for p in plan(here, store, ff)] == [p.key for p in plan(there, store, ff)]
    assert sound_key(store, ff, here) == sound_key(store, ff, there)


def test_a_job_without_a_graph_has_sources_and_no_script(moved):
    job = compile_assembly("/s/video.txt", "/s/sound.m4a", moved[0], chapters="/s/chapters.txt")
    assert job.script is None
    assert job.paths == ("/s/video.txt", "/s/sound.m4a", "/s/chapters.txt")
    assert job.inputs == ("-f", "concat", "-safe", "0", "-i", "/s/video.txt", "-i", "/s/sound.m4a", "-f",
                          "ffmetadata", "-i", "/s/chapters.txt")
    assert job.outputs[0][job.outputs[0].index("-map_chapters") + 1] == "2"


def test_no_code_counts_inputs_in_an_argv():
    found = [f"{p.relative_to(PACKAGE)}:{n}" for p in PACKAGE.rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1)
             if re.search(r"""(count|index)\(\s*["']-i["']""", line)]
    assert found == []


def test_a_fingerprint_follows_a_link_that_is_made_to_point_elsewhere(tmp_path):
    """Fingerprints are remembered by the name given (not resolved again each time), and
    still a link that now names another file gets that file's fingerprint, never the old one."""
    from assembler.run.cache import Cache
    (tmp_path / "a.bin").write_bytes(b"take a")
    (tmp_path / "b.bin").write_bytes(b"take b")  # same size, another file (inode)
    link = tmp_path / "shot.bin"
    link.symlink_to(tmp_path / "a.bin")
    store = Cache(tmp_path / "cache")
    first = store.fingerprint(link)
    assert first == store.fingerprint(tmp_path / "a.bin") == store.fingerprint(link)
    link.unlink()
    link.symlink_to(tmp_path / "b.bin")
    assert store.fingerprint(link) == store.fingerprint(tmp_path / "b.bin") != first
