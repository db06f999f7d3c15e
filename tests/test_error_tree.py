"""Every error the library raises is an AssemblerError: bad input to each public operation,
a model built in code, a receipt verify cannot use, and a job stopped by its render."""

from __future__ import annotations

import json
import threading

import pydantic
import pytest

import assembler
from assembler.compile.jobs import compile_segment
from assembler.layout.frame import own
from assembler.compile.mix import parse_loudness
from assembler.run.ffmpeg import run
from conftest import write_edl

CARD = {"version": 1, "output": {"size": [320, 180], "fps": 25}, "video": [{"color": "navy", "duration": 1}]}


def _bad_inputs(folder):
    """One of each kind of bad input a user hands the public operations."""
    (folder / "not-yaml.yaml").write_text("video: [unclosed\n")
    (folder / "binary.yaml").write_bytes(b"\x00\xff\xfe" * 100)
    (folder / "not-media.mp4").write_text("plain text\n")
    (folder / "receipt.json").write_text(json.dumps({"edl": {"path": 7}}))
    return {
        "missing": folder / "nonesuch.yaml",
        "a folder": folder,
        "not YAML": folder / "not-yaml.yaml",
        "binary": folder / "binary.yaml",
        "invalid EDL": write_edl(folder, "invalid.yaml", {"version": 2, "video": [{"clp": "a.mp4"}]}),
        "missing media": write_edl(folder, "media.yaml", {"version": 1, "video": [{"clip": "gone.mp4"}]}),
        "not media": write_edl(folder, "text.yaml", {"version": 1, "video": [{"clip": "not-media.mp4"}]}),
    }


def test_each_public_operation_raises_only_assembler_errors_for_bad_input(tmp_path):
    bad = _bad_inputs(tmp_path)
    good = write_edl(tmp_path, "good.yaml", CARD)
    calls = {f"{op} {label}": call for label, path in bad.items() for op, call in {
        "load": lambda path=path: assembler.load(path),
        "check": lambda path=path: assembler.check(path),
        "render": lambda path=path: assembler.render(path, tmp_path / "out.mp4", cache=tmp_path / "cache"),
        "dry_run": lambda path=path: assembler.dry_run(path, tmp_path / "out.mp4", folder=tmp_path / "dry"),
        "diff": lambda path=path: assembler.diff(good, path),
    }.items() if not (op == "load" and "media" in label)}  # load reads the EDL, not its media
    calls.update({
        "probe missing": lambda: assembler.probe(tmp_path / "nonesuch.mp4"),
        "probe text": lambda: assembler.probe(tmp_path / "not-media.mp4"),
        "probe folder": lambda: assembler.probe(tmp_path),
        "verify missing": lambda: assembler.verify(tmp_path / "nonesuch.json"),
        "verify not JSON": lambda: assembler.verify(bad["not YAML"]),
        "verify no receipt": lambda: assembler.verify(tmp_path / "receipt.json"),
        "render over its EDL": lambda: assembler.render(good, good),
        "render with a cache that is a file": lambda: assembler.render(good, tmp_path / "o.mp4", cache=good),
        "render with no ffmpeg": lambda: assembler.render(good, tmp_path / "o.mp4", ffmpeg=tmp_path / "ffmpeg"),
    })
    escaped = {}
    for name, call in calls.items():
        try:
            call()
            escaped[name] = "nothing raised"
        except assembler.AssemblerError:
            pass
        except Exception as exc:  # noqa: BLE001 - what the test is about
            escaped[name] = repr(exc)
    assert not escaped
    assert not (tmp_path / "out.mp4").exists()


def test_a_model_built_in_code_with_an_item_of_no_known_kind_is_an_edl_error():
    # pydantic-core does not know our error kinds by name: this was a KeyError.
    with pytest.raises(assembler.EdlError, match=r"video\[0\]: an item of the main track needs one of the keys") as caught:
        assembler.Edl(version=1, video=[{"clp": "a.mp4"}])
    assert isinstance(caught.value, pydantic.ValidationError)
    assert [e["type"] for e in caught.value.errors()] == ["item_kind"]
    assert "did you mean `clip`?" in str(caught.value)


def test_pydantic_s_other_ways_in_say_what_is_wrong_as_the_constructor_does():
    raw = {"version": 1, "video": [{"clp": "a.mp4"}, {"color": "nope", "duration": 1}]}
    for validate in (lambda: assembler.Edl.model_validate(raw), lambda: assembler.Edl.model_validate_json(json.dumps(raw))):
        with pytest.raises(assembler.EdlError) as caught:
            validate()
        assert isinstance(caught.value, pydantic.ValidationError) and len(caught.value.problems) == 2
        assert "Edl(...): video[1].color: unknown colour 'nope'" in str(caught.value)
    assert assembler.Edl.model_validate(CARD).video[0].duration.text == "1"


def test_verify_of_a_receipt_of_an_edl_built_in_code_is_a_usage_error(tmp_path):
    out = tmp_path / "card.mp4"
    assembler.render(assembler.Edl.model_validate(CARD), out, cache=False)
    with pytest.raises(assembler.UsageError, match="edl.path: the receipt is of an EDL built in code"):
        assembler.verify(out.with_suffix(".receipt.json"))


def test_a_job_its_render_stopped_raises_cancelled_an_assembler_error(tmp_path):
    timeline = assembler.check(write_edl(tmp_path, "card.yaml", {**CARD, "video": [{"color": "navy", "duration": 30}]}))
    stop = threading.Event()
    stop.set()
    with pytest.raises(assembler.Cancelled) as caught:
        run(compile_segment(timeline, 0, timeline.frames, laid=own(timeline)), tmp_path / "segment.mp4", cancel=stop)
    assert isinstance(caught.value, assembler.AssemblerError)
    assert not list(tmp_path.glob("*.mp4"))  # nothing half-written is left


def test_ffmpeg_s_silence_about_loudness_is_a_render_error():
    with pytest.raises(assembler.RenderError, match="no loudness measurement") as caught:
        parse_loudness("[Parsed_ebur128_0 @ 0x1] t: 0.1 M: -70\n")
    assert "Parsed_ebur128_0" in caught.value.stderr_tail
    assert parse_loudness("Summary:\n I: -23.0 LUFS\n LRA: 1.0 LU\n Peak: -1.5 dBFS")["input_i"] == -23.0
