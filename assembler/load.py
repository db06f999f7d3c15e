"""Read an EDL file (YAML or JSON) into the model, remembering where every field was written.

Contract: a path -> :class:`Document` (plain data + a map from field path to line number)
-> :class:`Validated` (the model, or as much of it as is valid, plus every schema problem
as a :class:`~assembler.errors.Problem` with file, line, field path and a hint).
Validation never stops at the first problem: an item with a schema error must not hide a
missing file two lines below it, so when the whole file fails, each main-track item is
validated on its own and the valid ones go on to the media checks.
Imports ``edl``, ``errors``; never ffmpeg, never media.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.error import MarkedYAMLError

from . import edl as model
from .errors import EdlError, Problem, field_path

__all__ = ["Document", "Validated", "field_path", "from_model", "load", "parse", "validate"]

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """An EDL file as read: plain data, and the 1-based line of every key and list item."""

    file: str  # as the user named it, for messages
    folder: Path  # relative media paths resolve against this (or media_root inside it)
    data: Any
    lines: Mapping[FieldPath, int]

    def line_of(self, path: FieldPath) -> int | None:
        """Line of a field, or of its nearest ancestor that has one."""
        for end in range(len(path), -1, -1):
            line = self.lines.get(tuple(path[:end]))
            if line is not None:
                return line
        return None

    def problem(self, path: FieldPath, message: str, hint: str | None = None, *, warning: bool = False) -> Problem:
        return Problem(self.file, self.line_of(path), field_path(path), message, hint,
                       "warning" if warning else "error")


@dataclass(frozen=True)
class Validated:
    """The result of validation: ``edl`` is None when anything failed, but ``output`` and
    the items that are valid on their own are still there for the media checks."""

    document: Document
    edl: model.Edl | None
    output: model.Output
    items: tuple[Any | None, ...]  # one entry per main-track item, None where invalid
    problems: tuple[Problem, ...]
    overlays: tuple[model.Overlay | None, ...] = ()  # likewise, per overlay
    audio: tuple[model.Sound | None, ...] = ()  # likewise, per sound track
    subtitles: model.Subtitles | None = None  # None when absent or invalid


def parse(path: str | Path) -> Document:
    """Read YAML or JSON with line numbers. Raises EdlError for unreadable or malformed files."""
    path = Path(path)
    name = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EdlError([Problem(name, None, "", "file not found")]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise EdlError([Problem(name, None, "", f"cannot read the file: {exc}")]) from None
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        what = "JSON" if path.suffix.lower() == ".json" else "YAML"
        raise EdlError([Problem(name, line, "", f"not valid {what}: {exc.problem or exc.context}")]) from None
    except Exception as exc:  # ruamel raises a few non-Marked errors (e.g. tabs in JSON)
        if path.suffix.lower() != ".json":
            raise EdlError([Problem(name, None, "", f"not valid YAML: {exc}")]) from None
        try:
            return Document(name, path.parent.resolve(), json.loads(text), {})
        except json.JSONDecodeError as jexc:
            raise EdlError([Problem(name, jexc.lineno, "", f"not valid JSON: {jexc.msg}")]) from None
    lines: dict[FieldPath, int] = {}
    data = _plain(node, (), lines)
    if not isinstance(data, dict):
        raise EdlError([Problem(name, 1, "", "an EDL must be a mapping with `version: 1` and `video: [...]`")])
    return Document(name, path.parent.resolve(), data, lines)


def _plain(node: Any, path: FieldPath, lines: dict[FieldPath, int]) -> Any:
    """Copy ruamel's round-trip nodes into plain Python values, recording line numbers."""
    if isinstance(node, Mapping):
        out = {}
        for key, value in node.items():
            child = (*path, str(key))
            try:
                lines[child] = node.lc.key(key)[0] + 1
            except (AttributeError, KeyError, TypeError):
                pass
            out[str(key)] = _plain(value, child, lines)
        return out
    if isinstance(node, list):
        out_list = []
        for index, value in enumerate(node):
            child = (*path, index)
            try:
                lines[child] = node.lc.item(index)[0] + 1
            except (AttributeError, KeyError, TypeError, IndexError):
                pass
            out_list.append(_plain(value, child, lines))
        return out_list
    if isinstance(node, bool) or node is None:
        return node
    if isinstance(node, int):
        return int(node)
    if isinstance(node, float):
        return float(node)
    if isinstance(node, str):
        return str(node)
    return node


_ITEM = TypeAdapter(model.VideoItem)


def _problems(doc: Document, error: ValidationError, prefix: FieldPath = ()) -> list[Problem]:
    return [doc.problem(*explained) for explained in model.explain_all(error.errors(), prefix)]


def validate(doc: Document) -> Validated:
    """Validate a document against the model, collecting every problem."""
    try:
        edl = model.Edl.model_validate(doc.data)
        return Validated(doc, edl, edl.output, tuple(edl.video), (), tuple(edl.overlays), tuple(edl.audio),
                         edl.subtitles)
    except ValidationError as exc:
        problems = _problems(doc, exc)
    try:
        output = model.Output.model_validate(doc.data.get("output") or {})
    except ValidationError:
        output = model.Output()
    raw_items = doc.data.get("video")
    items: list[Any | None] = []
    for index, raw in enumerate(raw_items if isinstance(raw_items, list) else []):
        try:
            items.append(_ITEM.validate_python(raw))
        except ValidationError:
            items.append(None)
    # The parts that are valid on their own are still checked against their media.
    layers = _each(model.Overlay, doc.data.get("overlays"))
    sounds = _each(model.Sound, doc.data.get("audio"))
    subtitles = _each(model.Subtitles, [doc.data.get("subtitles")])[0] if doc.data.get("subtitles") else None
    return Validated(doc, None, output, tuple(items), tuple(problems), layers, sounds, subtitles)


def _each(kind: type, raw: Any) -> tuple:
    """Each entry of a list validated on its own: the model, or None where invalid."""
    found = []
    for entry in raw if isinstance(raw, list) else []:
        try:
            found.append(kind.model_validate(entry))
        except ValidationError:
            found.append(None)
    return tuple(found)


def load(path: str | Path) -> model.Edl:
    """Read and validate an EDL file (no media checks). Raises EdlError listing every problem.

    >>> import tempfile, pathlib
    >>> folder = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (folder / "ep.yaml").write_text("version: 1\\nvideo:\\n  - color: navy\\n    duration: 2\\n")
    >>> load(folder / "ep.yaml").video[0].color
    '0x000080'
    """
    result = validate(parse(path))
    if result.problems or result.edl is None:
        raise EdlError(list(result.problems))
    return result.edl


def from_model(edl: model.Edl, folder: str | Path | None = None) -> Validated:
    """Wrap an EDL built in code; its relative paths resolve against ``folder`` (default: cwd)."""
    folder = Path(folder or Path.cwd()).resolve()
    doc = Document("<edl>", folder, edl.model_dump(mode="json", by_alias=True), {})
    return Validated(doc, edl, edl.output, tuple(edl.video), (), tuple(edl.overlays), tuple(edl.audio), edl.subtitles)
