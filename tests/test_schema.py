"""The JSON Schema an editor uses agrees with the loader: it is valid draft 2020-12, says
what every field is, offers defaults a user could type, lists the names the loader knows,
and accepts every EDL the documentation shows while rejecting what the loader rejects."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import typing
from pathlib import Path

import imageio_ffmpeg
import pytest
from jsonschema import Draft7Validator, Draft202012Validator
from ruamel.yaml import YAML

import assembler
from assembler.model import edl as model
from assembler.errors import EdlError
from assembler.model.schema import json_schema
from assembler.timebase import TimeSpec, parse_time

ROOT = Path(__file__).resolve().parents[1]
SCHEMA = json_schema()
VALIDATOR = Draft202012Validator(SCHEMA)
# yaml-language-server (VS Code's YAML extension and others) validates as draft 7: the schema
# must mean the same there, so every verdict below is asked of both.
EDITOR = Draft7Validator(SCHEMA)
DOCS = ("README.md", "docs/edl.md")


def properties(schema: dict = SCHEMA):
    """(where, name, property schema) for every property of every object in the schema."""
    yield from ((("Edl",), name, prop) for name, prop in schema["properties"].items())
    for definition, body in schema["$defs"].items():
        yield from (((definition,), name, prop) for name, prop in body.get("properties", {}).items())


def test_the_schema_is_draft_2020_12_and_names_itself():
    Draft202012Validator.check_schema(SCHEMA)
    Draft7Validator.check_schema(SCHEMA)
    assert SCHEMA["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert SCHEMA["title"] and SCHEMA["description"]


def test_the_command_prints_the_schema():
    done = subprocess.run([sys.executable, "-m", "assembler", "schema"], capture_output=True, text=True, check=True)
    assert json.loads(done.stdout) == SCHEMA


def test_every_property_and_definition_has_a_description():
    missing = [f"{where[0]}.{name}" for where, name, prop in properties() if not prop.get("description", "").strip()]
    assert not missing, missing
    assert all(body.get("description") for body in SCHEMA["$defs"].values())
    assert len(list(properties())) > 100  # the walk sees the whole model


def validator_of(where: str, name: str) -> Draft202012Validator:
    """A validator of one property's values, its $refs resolved in the whole schema."""
    defs = {**SCHEMA["$defs"], "Edl": {"properties": SCHEMA["properties"]}}
    return Draft202012Validator({"$defs": defs, "$ref": f"#/$defs/{where}/properties/{name}"})


# Required fields of each model, so that one default at a time can be written out.
MINIMAL = {
    "Edl": {"version": 1, "video": [{"color": "black"}]},
    "Clip": {"clip": "a.mp4"}, "Image": {"image": "a.png"}, "Title": {"title": "x"}, "Color": {"color": "red"},
    "Transition": {"transition": "cut"}, "TransitionSpec": {"type": "wipeleft"}, "Sound": {"file": "a.wav"},
    "Duck": {"under": "dialogue"}, "Marker": {"at": 1, "name": "x"}, "Position": {"x": 0.5, "y": 0.5},
    "ClipCue": {"start": 0, "end": 1, "text": "x"}, "Overlay": {"title": "x"},
    "Slot": {"shot": "s01", "takes": {"a": "a.mp4"}}, "Take": {"file": "a.mp4"}, "Deliverable": {"name": "vertical"},
}


def _comparable(value):
    """TimeSpecs compare by the time they mean, not by how they were written."""
    if isinstance(value, TimeSpec):
        return value.seconds, value.frames
    return value


def test_defaults_are_what_a_user_writes_and_mean_the_models_defaults():
    checked = 0
    for (where,), name, prop in properties():
        if "default" not in prop:
            continue
        default = prop["default"]
        assert json.loads(json.dumps(default)) == default and not isinstance(default, dict), (where, name, default)
        if isinstance(default, str) and name not in ("font", "codec", "pix_fmt", "preset", "bitrate"):
            assert not default.startswith("0x"), (where, name, default)  # colours by name
        # The schema accepts its own default...
        validator_of(where, name).validate(default)
        # ...and the models read it as the value they use when the field is left out.
        cls = getattr(model, where)
        minimal = MINIMAL.get(where, {})
        if name in minimal:
            continue
        field = next(f for f, info in cls.model_fields.items() if (info.alias or f) == name)
        written = cls.model_validate({**minimal, name: default})
        assert _comparable(getattr(written, field)) == _comparable(getattr(cls.model_validate(minimal), field)), \
            (where, name, default)
        checked += 1
    assert checked > 60


def _examples(prop: dict) -> list:
    return list(prop.get("examples", ())) + [x for branch in prop.get("anyOf", []) for x in _examples(branch)]


def test_examples_are_accepted_by_the_schema_and_the_models():
    checked = 0
    for (where,), name, prop in properties():
        for example in _examples(prop):
            validator_of(where, name).validate(example)
            alone = where == "Overlay" and name in model.OVERLAY_KINDS  # one kind per overlay
            getattr(model, where).model_validate({**({} if alone else MINIMAL.get(where, {})), name: example})
            checked += 1
    assert checked > 20  # colours, sizes, rates, fonts


def test_time_and_size_defaults_are_plain_text():
    defs = SCHEMA["$defs"]
    assert defs["Output"]["properties"]["size"]["default"] == "1920x1080"
    assert defs["Output"]["properties"]["fps"]["default"] == 30
    assert defs["Duck"]["properties"]["attack"]["default"] == 0.2
    assert defs["Clip"]["properties"]["in"]["default"] == 0
    assert defs["Subtitles"]["properties"]["offset"]["default"] == 0
    assert defs["Title"]["properties"]["background"]["default"] == "black"


def _enums(prop: dict) -> set:
    """Every enum and const value a property schema offers, through anyOf/oneOf and $refs."""
    found = set(prop.get("enum", ())) | ({prop["const"]} if "const" in prop else set())
    if "$ref" in prop:
        found |= _enums(SCHEMA["$defs"][prop["$ref"].rsplit("/", 1)[1]])
    for branch in prop.get("anyOf", []) + prop.get("oneOf", []):
        found |= _enums(branch)
    return found


def xfade_names() -> set[str]:
    """The transitions the bundled ffmpeg's xfade knows, from its own help."""
    done = subprocess.run([imageio_ffmpeg.get_ffmpeg_exe(), "-hide_banner", "-h", "filter=xfade"],
                          capture_output=True, text=True, check=True)
    options = done.stdout.split("transition", 1)[1].split("duration", 1)[0]
    names = set(re.findall(r"^\s+(\w+)\s+-?\d+\s", options, re.M)) - {"custom"}
    assert {"fade", "wipeleft", "revealdown"} <= names
    return names


def test_enums_list_the_names_the_loader_knows():
    defs = SCHEMA["$defs"]
    transitions = {"cut", "dissolve", "fade"} | xfade_names()
    assert _enums(defs["Transition"]["properties"]["transition"]) == transitions == set(model.TRANSITIONS)
    assert _enums(defs["TransitionSpec"]["properties"]["type"]) == transitions
    fits = set(typing.get_args(model.Fit))
    for where in ("Output", "Clip", "Image"):
        assert _enums(defs[where]["properties"]["fit"]) == fits == {"contain", "cover", "stretch"}
    roles = {"music", "dialogue", "sfx", "other"}
    for where, name in (("Sound", "role"), ("Clip", "role"), ("Duck", "under")):
        assert _enums(defs[where]["properties"][name]) == roles
    anchors = set(typing.get_args(model.Anchor))
    assert _enums(defs["Overlay"]["properties"]["position"]) == anchors
    assert _enums(defs["TitleStyle"]["properties"]["position"]) == anchors
    assert _enums(defs["SubtitleStyle"]["properties"]["alignment"]) == set(typing.get_args(model.SubtitleAlignment))
    assert _enums(SCHEMA["properties"]["version"]) == {1}


def test_the_reference_names_every_field_and_transition():
    """docs/edl.md has a table row for every field the schema knows (a new field comes with
    its documentation) and names every transition."""
    reference = (ROOT / "docs/edl.md").read_text(encoding="utf-8")
    rows = set(re.findall(r"^\| `([a-z_]+)` \|", reference, re.M))
    assert {name for _, name, _ in properties()} - rows == set()
    assert {name for name in model.TRANSITIONS if f"`{name}`" not in reference} == set()


YAML_BLOCK = re.compile(r"^```yaml\n(.*?)^```", re.S | re.M)


def doc_blocks():
    for doc in DOCS:
        for n, block in enumerate(YAML_BLOCK.findall((ROOT / doc).read_text(encoding="utf-8"))):
            yield pytest.param(block, id=f"{doc}#{n}")


def whole_edl(block: str) -> str:
    """A fragment becomes a whole EDL: `version: 1` and a one-item main track when missing."""
    data = YAML(typ="safe").load(block)
    assert isinstance(data, dict), "a yaml block in the docs is a mapping of top-level EDL fields"
    text = block if "version" in data else "version: 1\n" + block
    return text if "video" in data else text + "\nvideo: [{color: black}]\n"


def assert_valid_both_ways(text: str, tmp_path: Path) -> None:
    data = YAML(typ="safe").load(text)
    errors = [f"{'.'.join(map(str, e.absolute_path))}: {e.message}"
              for validator in (VALIDATOR, EDITOR) for e in validator.iter_errors(data)]
    assert not errors, errors
    (tmp_path / "s1").mkdir()
    path = tmp_path / "s1" / "episode.yaml"
    path.write_text(text, encoding="utf-8")
    if isinstance(data.get("extends"), str):  # an episode of a series: a parent where it says, saying little
        parent = (path.parent / data["extends"]).resolve()
        assert tmp_path.resolve() in parent.parents, "a docs example extends a file beside it or one folder up"
        parent.write_text("version: 1\n", encoding="utf-8")
    assert assembler.load(path).version == 1  # raises EdlError listing every problem


def test_the_docs_have_yaml_blocks():
    assert len(list(doc_blocks())) >= 15


@pytest.mark.parametrize("block", list(doc_blocks()))
def test_every_edl_in_the_docs_is_valid_for_the_schema_and_the_loader(block, tmp_path):
    assert_valid_both_ways(whole_edl(block), tmp_path)


def test_the_example_is_valid_for_the_schema_and_the_loader(tmp_path):
    assert_valid_both_ways((ROOT / "edl_examples/pilot/episode.yaml").read_text(encoding="utf-8"), tmp_path)


BAD = [
    ("unknown transition", "- {clip: a.mp4}\n- {transition: wipeleftt}\n- {clip: b.mp4}"),
    ("unknown long-form transition", "- {clip: a.mp4}\n- {transition: {type: blur}}\n- {clip: b.mp4}"),
    ("unknown fit", "- {clip: a.mp4, fit: fill}"),
    ("unknown role", "- {clip: a.mp4, role: voice}"),
    ("unknown field", "- {clip: a.mp4, duraton: 2}"),
    ("out and duration", "- {clip: a.mp4, out: 2, duration: 1}"),
    ("not a time", "- {clip: a.mp4, in: 5 seconds}"),
    ("negative time", "- {clip: a.mp4, in: -1}"),
    ("not a kind of item", "- {colour: red}"),
    ("speed out of range", "- {clip: a.mp4, speed: 5}"),
    ("lead and lag", "- {clip: a.mp4}\n- {transition: cut, audio: {lead: 1, lag: 1}}\n- {clip: b.mp4}"),
]
BAD_TOP = [
    ("unknown anchor", "overlays: [{image: logo.png, position: top-centre}]"),
    ("two kinds of overlay", "overlays: [{image: logo.png, title: Hello}]"),
    ("overlay of no kind", "overlays: [{start: 1}]"),
    ("unknown alignment", "subtitles: {style: {alignment: middle}}"),
    ("alignment off the pad", "subtitles: {style: {alignment: 10}}"),
    ("size without x", "output: {size: 1920*1080}"),
    ("version 2", "version: 2"),
]


@pytest.mark.parametrize("what, items", BAD, ids=[b[0] for b in BAD])
def test_what_the_loader_rejects_the_schema_rejects(what, items, tmp_path):
    assert_invalid_both_ways("version: 1\nvideo:\n" + "\n".join("  " + line for line in items.splitlines()),
                             tmp_path)


@pytest.mark.parametrize("what, text", BAD_TOP, ids=[b[0] for b in BAD_TOP])
def test_what_the_loader_rejects_the_schema_rejects_above_the_main_track(what, text, tmp_path):
    assert_invalid_both_ways(("" if text.startswith("version") else "version: 1\n") + text +
                             "\nvideo: [{color: black}]\n", tmp_path)


def assert_invalid_both_ways(text: str, tmp_path: Path) -> None:
    data = YAML(typ="safe").load(text)
    assert not VALIDATOR.is_valid(data) and not EDITOR.is_valid(data), text
    path = tmp_path / "episode.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(EdlError):
        assembler.load(path)


TIMES = ["2", "2.5", ".5", "2.5s", "2.5 s", "36f", "36 f", "01:02.5", "00:01:02.500", "1:00:00", "00:00:04:12",
         "00:00:04;12", "5 seconds", "1:2:3:4:5", "-1", "abc", "", "2.5.1", "f36"]


@pytest.mark.parametrize("text", TIMES)
def test_the_time_pattern_agrees_with_the_parser(text):
    try:
        parse_time(text)
        parsed = True
    except ValueError:
        parsed = False
    # Minutes and seconds past 59 are the parser's to refuse; none are in the list.
    assert validator_of("Marker", "at").is_valid(text) == parsed, text
