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

import bisect
import json
import os
import re
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import BaseModel, TypeAdapter, ValidationError
from ruamel.yaml import YAML
from ruamel.yaml.composer import Composer
from ruamel.yaml.error import MarkedYAMLError
from ruamel.yaml.events import MappingStartEvent, SequenceStartEvent
from ruamel.yaml.reader import ReaderError

from assembler.model import edl as model
from assembler.model import libyaml
from assembler.errors import EdlError, Problem, field_path, os_hint

__all__ = ["Document", "FieldPath", "Validated", "field_path", "from_model", "load", "parse", "validate"]

FieldPath = tuple[str | int, ...]


@dataclass(frozen=True)
class Document:
    """An EDL file as read: plain data, and the 1-based line of every key and list item."""

    file: str  # as the user named it, for messages
    folder: Path  # relative media paths resolve against this (or media_root inside it)
    data: Any
    lines: Mapping[FieldPath, int]
    # A document merged over its parents (``model.series``): the fields written elsewhere
    # than ``file`` or under another name (an intro item is ``intro[0]`` where it was
    # written, ``video[0]`` here), as the file and field that wrote them.
    origins: Mapping[FieldPath, tuple[str, FieldPath]] = field(default_factory=dict)
    parents: tuple[Path, ...] = ()  # the files it extends, nearest first: inputs as much as the EDL

    def line_of(self, path: FieldPath) -> int | None:
        """Line of a field, or of its nearest ancestor that has one."""
        return self.where(path)[1]

    def where(self, path: FieldPath) -> tuple[str, int | None, FieldPath]:
        """The file, line and field that wrote ``path``: its own, or its nearest located
        ancestor's (the rest of the path below it as asked)."""
        for end in range(len(path), -1, -1):
            head = tuple(path[:end])
            line = self.lines.get(head)
            if line is not None:
                file, written = self.origins.get(head, (self.file, head))
                return file, line, (*written, *path[end:])
        return self.file, None, tuple(path)

    def name(self, path: FieldPath) -> str:
        """How a message names another item: as it was written (``intro[0]``, not its place
        on the merged main track), with the file that wrote it when that is not this one."""
        file, _, written = self.where(path)
        return field_path(written) + (f" of {file}" if file != self.file else "")

    def problem(self, path: FieldPath, message: str, hint: str | None = None, *, warning: bool = False) -> Problem:
        file, line, written = self.where(path)
        return Problem(file, line, field_path(written), message, hint, "warning" if warning else "error")


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


# What one document may hold: an EDL of thousands of items is far below both, and an
# alias bomb ("billion laughs": aliases of aliases, each a list of the last) far above.
MAX_VALUES = 200_000
MAX_DEPTH = 64
_LONG_NUMBER = re.compile(r"\d{1000,}")
_JSON_NESTING = re.compile(r'"(?:[^"\\]|\\.)*"|[\[\]{}]')  # a string (skipped whole), or a bracket


class _TooDeep(Exception):
    def __init__(self, line: int):
        super().__init__(line)
        self.line = line


class _BoundedScanner(YAML(typ="rt").Scanner):  # type: ignore[misc]  # ruamel picks its scanner class at run time
    """ruamel's scanner, stopped on a line of brackets nested far deeper than MAX_DEPTH.
    It reads up to 1024 characters of a line ahead of its parser, and each bracket there
    costs time for every bracket open before it: a line of 10,000 took it seconds before
    the composer below saw the first level too many. The line it names is that of the
    65th bracket open: ahead of the parser, all on the line the composer would name."""

    def fetch_flow_collection_start(self, TokenClass: Any, to_push: str) -> None:
        opened = self.__dict__.setdefault("opened", [])  # the line of each bracket open
        del opened[self.flow_level:]
        if self.flow_level >= 2 * MAX_DEPTH:
            raise _TooDeep(opened[MAX_DEPTH])
        opened.append(self.reader.line + 1)
        super().fetch_flow_collection_start(TokenClass, to_push)


class _BoundedComposer(Composer):
    """ruamel's composer, stopped at the first list or mapping nested deeper than
    MAX_DEPTH (block or flow, or both), before its parser reads on and before it runs out
    of stack: the whole tree is never built."""

    level = 0  # levels open around the node being composed

    # ruamel finds its parser and resolver through the loader (a frame inspection) on every
    # event: a fifth of a long file's reading. They are made once per document, so kept.
    @property
    def parser(self) -> Any:
        if "_parser" not in self.__dict__:
            self.__dict__["_parser"] = super().parser
        return self.__dict__["_parser"]

    @property
    def resolver(self) -> Any:
        if "_resolver" not in self.__dict__:
            self.__dict__["_resolver"] = super().resolver
        return self.__dict__["_resolver"]

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.level >= MAX_DEPTH and self.parser.check_event(SequenceStartEvent, MappingStartEvent):
            raise _TooDeep(self.parser.peek_event().start_mark.line + 1)
        self.level += 1
        node = super().compose_node(parent, index)
        self.level -= 1
        return node


def _json_too_deep(name: str, text: str) -> None:
    """The line where a JSON text passes MAX_DEPTH, found by its brackets outside strings
    before Python's json builds (and recurses into) the tree."""
    depth = 0
    for token in _JSON_NESTING.finditer(text):
        char = token[0]
        if char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                raise _too_deep(name, text.count("\n", 0, token.start()) + 1)
        elif char in "]}":
            depth -= 1


def parse(path: str | os.PathLike, name: str | None = None) -> Document:
    """Read YAML or JSON with line numbers. Raises EdlError for unreadable or malformed files.
    ``name``: the file as messages name it (default: ``path``)."""
    path = Path(path)
    name = str(path) if name is None else name
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise EdlError([Problem(name, None, "", "file not found")]) from None
    except UnicodeDecodeError as exc:
        line = exc.object.count(b"\n", 0, exc.start) + 1
        raise EdlError([Problem(name, line, "", f"not UTF-8 text: the byte 0x{exc.object[exc.start]:02x} "
                                f"({exc.reason})", "save the file as UTF-8")]) from None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        hint = os_hint(exc) if isinstance(exc, OSError) else None
        raise EdlError([Problem(name, None, "", f"cannot read the file: {_reason(exc)}", hint)]) from None
    what = "JSON" if path.suffix.lower() == ".json" else "YAML"
    lines: dict[FieldPath, int] = {}
    try:
        node = _read_yaml(text, fast=True)
    except Exception:  # or not libyaml's to read: ruamel alone reads it again, and says what is wrong
        node = _UNREAD
    try:
        if node is _UNREAD:
            node = _read_yaml(text, fast=False)
    except _TooDeep as exc:
        raise _too_deep(name, exc.line) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        marked = mark.line + 1 if mark else None
        raise EdlError([Problem(name, marked, "", f"not valid {what}: {exc.problem or exc.context}")]) from None
    except ReaderError as exc:  # a character YAML forbids: the position its reader stopped at, as a line
        if what == "JSON":
            node = _json_fallback(name, text, lines, exc)
        else:
            char = exc.character if isinstance(exc.character, int) else ord(exc.character)
            raise EdlError([Problem(name, text.count("\n", 0, exc.position) + 1, "",
                                    f"not valid YAML: the character U+{char:04X} is not allowed",
                                    "YAML's text holds no control characters but tabs and line breaks: "
                                    "remove it")]) from None
    except Exception as exc:  # ruamel raises a few non-Marked errors (e.g. tabs in JSON)
        if what != "JSON":
            _refuse_unreadable(name, text, exc)
            raise EdlError([Problem(name, None, "", f"not valid YAML: {exc}")]) from None
        node = _json_fallback(name, text, lines, exc)
    plain = _Plain(name, lines)
    data = plain.value(node, (), 0)
    if not isinstance(data, dict):
        raise EdlError([Problem(name, 1, "", "an EDL must be a mapping with `version: 1` and `video: [...]`")])
    # A field missing from the top level is missing from the mapping that starts at its first key.
    tops = [line for at, line in lines.items() if len(at) == 1]
    lines.setdefault((), min(tops, default=1))
    document = Document(name, path.parent.resolve(), data, lines)
    if plain.bad:
        raise EdlError([document.problem(at, message, hint) for at, message, hint in plain.bad])
    return document


_UNREAD = object()


def _read_yaml(text: str, *, fast: bool) -> Any:
    """ruamel's round-trip nodes and values of a text; ``fast``: from libyaml's events
    (see ``libyaml``), raising on anything it leaves to ruamel alone."""
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    yaml.Scanner, yaml.Composer = _BoundedScanner, _BoundedComposer
    if fast:
        yaml.Parser = lambda loader: libyaml.events(text)
    with warnings.catch_warnings():  # ruamel's warnings name its own source files, not ours
        warnings.simplefilter("ignore")
        return yaml.load(text)


def _json_fallback(name: str, text: str, lines: dict[FieldPath, int], exc: Exception) -> Any:
    """A .json EDL ruamel refused, read by Python's json (with the lines of its keys)."""
    _refuse_unreadable(name, text, exc)
    try:
        _json_too_deep(name, text)
        node = json.loads(text)
        lines.update(_json_lines(text))
        return node
    except json.JSONDecodeError as jexc:
        raise EdlError([Problem(name, jexc.lineno, "", f"not valid JSON: {jexc.msg}")]) from None
    except (ValueError, RecursionError) as jexc:
        _refuse_unreadable(name, text, jexc)
        raise


def _reason(exc: BaseException) -> str:
    return exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)


def _refuse_unreadable(name: str, text: str, exc: BaseException) -> None:
    """The parsers' own limits in our words: Python's advice about set_int_max_str_digits()
    and "maximum recursion depth" would be untrue of a file that is only too big."""
    if isinstance(exc, RecursionError):
        raise _too_deep(name, _deepest_line(text)) from None
    if isinstance(exc, ValueError) and (long := _LONG_NUMBER.search(text)):
        line = text.count("\n", 0, long.start()) + 1
        raise EdlError([Problem(name, line, "", f"a number of {len(long[0])} digits",
                                "times are at most 24 h and sizes 8K: a typo?")]) from None


_JSON_SPACE = re.compile(r"[ \t\n\r]*")
_JSON_SCALAR = re.compile(r"-?Infinity|NaN|true|false|null|-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?")


def _json_lines(text: str) -> dict[FieldPath, int]:
    """The line of every key and list item of a text Python's json has read (ruamel refused
    it), by a scan of its tokens; with a stack of its own, since json reads deeper than Python recurses."""
    breaks = [k for k, char in enumerate(text) if char == "\n"]
    lines: dict[FieldPath, int] = {}

    def skip(pos: int) -> int:
        return _JSON_SPACE.match(text, pos).end()  # type: ignore[union-attr]  # spaces or none: it always matches

    def member(parent: FieldPath, index: int | None, pos: int) -> tuple[FieldPath, int]:
        """The path of the member starting at ``pos`` (a key, or the item ``index``), and where its value starts."""
        lines_at = bisect.bisect_left(breaks, pos) + 1
        if index is not None:
            path: FieldPath = (*parent, index)
        else:
            key, pos = json.decoder.scanstring(text, pos + 1)  # type: ignore[attr-defined]  # json's own, untyped
            path = (*parent, key)
            pos = skip(skip(pos) + 1)  # past the colon
        lines[path] = lines_at
        return path, pos

    stack: list[list] = []  # open containers: their path and their last item's index (None: a mapping)
    path: FieldPath = ()
    pos = skip(0)
    while True:
        char = text[pos]  # a value starts here
        if char in "[{":
            pos = skip(pos + 1)
            if text[pos] not in "]}":
                stack.append([path, 0 if char == "[" else None])
                path, pos = member(path, stack[-1][1], pos)
                continue
            pos += 1
        elif char == '"':
            pos = json.decoder.scanstring(text, pos + 1)[1]  # type: ignore[attr-defined]
        else:
            pos = _JSON_SCALAR.match(text, pos).end()  # type: ignore[union-attr]  # json read it
        while True:  # after a value: the next member, or the ends of containers
            if not stack:
                return lines
            pos = skip(pos)
            if text[pos] == ",":
                pos = skip(pos + 1)
                top = stack[-1]
                if top[1] is not None:
                    top[1] += 1
                path, pos = member(top[0], top[1], pos)
                break
            stack.pop()
            pos += 1


_TOKEN = re.compile(r'"(?:[^"\\\n]|\\.)*"|\'[^\'\n]*\'|(?:^|(?<=\s))#[^\n]*|[\[\]{}\n]')


def _deepest_line(text: str) -> int | None:
    """The line where brackets (outside strings and comments) first open more than
    MAX_DEPTH deep; else, for block-style nesting, the first line indented more than MAX_DEPTH
    blocks deep (each dash of ``- - x`` a block of its own)."""
    depth, line = 0, 1
    for token in _TOKEN.finditer(text):
        char = token[0]
        if char == "\n":
            line += 1
        elif char in "[{":
            depth += 1
            if depth > MAX_DEPTH:
                return line
        elif char in "]}":
            depth = max(0, depth - 1)
    stack: list[int] = []  # the indents of the open blocks
    for line, row in enumerate(text.split("\n"), 1):
        if row.strip() and not row.lstrip().startswith("#"):
            indent = len(row) - len(row.lstrip(" -"))  # "- - x" opens a list per dash
            while stack and stack[-1] >= indent:
                stack.pop()
            stack.append(indent)
            if len(stack) > MAX_DEPTH:
                return line
    return None


def _too_deep(name: str, line: int | None, path: FieldPath = ()) -> EdlError:
    return EdlError([Problem(name, line, field_path(path),
                             f"lists or mappings nested too deeply (more than {MAX_DEPTH} levels)",
                             "an EDL needs fewer than ten")])


class _Plain:
    """Copies ruamel's round-trip nodes (or JSON's values) into plain Python values,
    recording line numbers; counts what it copies, since an alias is copied each time it
    is used, and collects strings that no path or text may hold."""

    def __init__(self, name: str, lines: dict[FieldPath, int]):
        self.name, self.lines, self.count = name, lines, 0
        self.bad: list[tuple[FieldPath, str, str | None]] = []

    def value(self, node: Any, path: FieldPath, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_VALUES:
            raise EdlError([Problem(self.name, self.lines.get(path), field_path(path),
                                    f"the file expands to more than {MAX_VALUES} values",
                                    "YAML aliases (*name) copy what they name each time: use fewer")])
        if depth >= MAX_DEPTH and isinstance(node, (Mapping, list)):  # the top level is depth 0
            raise _too_deep(self.name, self.lines.get(path), path)
        if isinstance(node, Mapping):
            out = {}
            for key, value in node.items():
                child = (*path, str(key))
                try:
                    self.lines[child] = node.lc.key(key)[0] + 1  # type: ignore[attr-defined]  # ruamel's
                except (AttributeError, KeyError, TypeError):
                    pass
                if isinstance(key, str) and (name := self.text(key, child)) != child[-1]:
                    self.lines[(*path, name)] = self.lines.get(child, 0)
                    child = (*path, name)
                out[child[-1]] = self.value(value, child, depth + 1)
            return out
        if isinstance(node, list):
            out_list = []
            for index, value in enumerate(node):
                child = (*path, index)
                try:
                    self.lines[child] = node.lc.item(index)[0] + 1  # type: ignore[attr-defined]
                except (AttributeError, KeyError, TypeError, IndexError):
                    pass
                out_list.append(self.value(value, child, depth + 1))
            return out_list
        if isinstance(node, bool) or node is None:
            return node
        if isinstance(node, int):
            return int(node)
        if isinstance(node, float):
            return float(node)
        if isinstance(node, str):
            return self.text(node, path)
        return node

    def text(self, node: str, path: FieldPath) -> str:
        text = str(node)
        if "\0" in text:
            self.bad.append((path, "holds a NUL character (\\0), which no path or text may hold", None))
        try:
            # YAML's "\ud83c\udfac" escapes (as json.dump writes 🎬) are one character, not two halves.
            text = text.encode("utf-16", "surrogatepass").decode("utf-16")
        except UnicodeDecodeError:
            self.bad.append((path, "holds half of a UTF-16 surrogate pair (an escape such as \\ud83c alone)",
                             "write the character itself, or both halves of its pair"))
            text = text.encode("utf-8", "replace").decode("utf-8")
        return text


_ITEM = TypeAdapter(model.VideoItem)


def _problems(doc: Document, error: ValidationError) -> list[Problem]:
    return [doc.problem(*explained) for explained in model.explain_all(error.errors())]


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


def _each(kind: type[BaseModel], raw: Any) -> tuple:
    """Each entry of a list validated on its own: the model, or None where invalid."""
    found: list[BaseModel | None] = []
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
    from assembler.model.series import read  # series reads its files with parse(), above

    result = validate(read(path))
    if result.problems or result.edl is None:
        raise EdlError(list(result.problems))
    return result.edl


def from_model(edl: model.Edl, folder: str | os.PathLike | None = None) -> Validated:
    """Wrap an EDL built in code; its relative paths resolve against ``folder`` (default: cwd)."""
    folder = Path(folder or Path.cwd()).resolve()
    doc = Document("<edl>", folder, edl.model_dump(mode="json", by_alias=True), {})
    plain = _Plain(doc.file, {})  # a NUL in a title is refused as from a file, not by ffmpeg
    plain.value(doc.data, (), 0)
    problems = tuple(doc.problem(*bad) for bad in plain.bad)
    if not problems and (edl.extends or edl.intro or edl.outro):  # merged as a file's would be
        from assembler.model.series import resolve
        # Only what the code set: a default dumped would override what the parent says.
        return validate(resolve(Document(doc.file, folder, edl.model_dump(mode="json", by_alias=True,
                                                                          exclude_unset=True), {})))
    return Validated(doc, None if problems else edl, edl.output, tuple(edl.video), problems, tuple(edl.overlays),
                     tuple(edl.audio), edl.subtitles)
