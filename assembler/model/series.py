"""An EDL over its parents: ``extends: ../series.yaml`` (series -> season -> episode).

Contract: a path -> one :class:`~assembler.model.load.Document`, the episode merged over
each parent before validation, so that the model and the timeline see one EDL. Mappings
merge key by key, lists are replaced, ``null`` removes an inherited value; the merged
``intro:`` and ``outro:`` go on the main track before and after ``video``. Every value
keeps the file, line and field that wrote it (``Document.origins``), so a problem with an
inherited value is said where the parent wrote it. A parent's relative paths are made
absolute from its own folder (and its own ``media_root``) as they are merged: a path
means what it means in the file that wrote it. Each parent is read by ``load.parse``,
with its limits on size, depth and aliases. Imports ``load``, ``edl``, ``errors``.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path
from typing import Any

from assembler.errors import EdlError, Problem
from assembler.model.edl import FONT_SUFFIXES, IMAGE_SUFFIXES
from assembler.model.load import Document, FieldPath, parse

__all__ = ["MAX_PARENTS", "PATH_FIELDS", "lower", "read", "resolve"]

MAX_PARENTS = 16  # series -> season -> episode needs two; a longer chain is a mistake, not a design
# The keys whose text is a file's path, wherever they stand; ``font`` and ``background``
# only when their suffix says a file (else a family name, a colour).
PATH_FIELDS = frozenset({"clip", "image", "lut", "file", "fonts_dir", "font", "background", "media_root"})

Located = tuple[Any, dict[FieldPath, int], dict[FieldPath, tuple[str, FieldPath]]]


def read(path: str | os.PathLike) -> Document:
    """The EDL at ``path`` merged over its parents; an EDL that extends nothing and has no
    intro or outro is the document ``parse`` reads, untouched."""
    return resolve(parse(path))


def resolve(doc: Document) -> Document:
    """``doc`` merged over the chain its ``extends`` names. Raises EdlError with every
    problem of the chain (a missing parent, a cycle, another version, an unreadable
    parent) at the line that names it."""
    if not isinstance(doc.data, dict) or (doc.data.get("extends") is None and not {"intro", "outro"} & doc.data.keys()):
        return doc
    chain, problems = _chain(doc)
    if any(p.severity == "error" for p in problems):
        raise EdlError(problems)
    merged: Located = ({}, {}, {})
    for parent in reversed(chain[1:]):  # the root first; each file's paths made absolute
        merged = _merge(merged, _own(_rebased(parent, merged[0].get("media_root"))))
    data, lines, origins = _merge(merged, _own(doc))
    data.pop("extends", None)  # the merged file stands alone (its line stays: a problem with it is said there)
    lines.setdefault((), doc.lines.get((), 1))
    origins = {at: origin for at, origin in origins.items() if origin != (doc.file, at)}
    return lower(Document(doc.file, doc.folder, data, lines, origins,
                          tuple(p.folder / Path(p.file).name for p in chain[1:])))  # the file as read


def lower(doc: Document) -> Document:
    """``intro`` + ``video`` + ``outro`` as one main track (transitions at the seams join
    their neighbours as anywhere), each item remembering where it was written."""
    data = doc.data
    parts = [(key, data.get(key)) for key in ("intro", "video", "outro")]
    if not isinstance(data.get("video"), list) or not all(isinstance(v, list) or v is None for _, v in parts):
        return doc  # the model says what is wrong with them, where they are
    data = {k: v for k, v in data.items() if k not in ("intro", "outro")}
    lines = {at: n for at, n in doc.lines.items() if at[:1] not in (("intro",), ("outro",), ("video",))}
    origins = {at: o for at, o in doc.origins.items() if at[:1] not in (("intro",), ("outro",), ("video",))}
    video: list = []
    for key, items in parts:
        if key == "video" and ("video",) in doc.lines:
            lines[("video",)] = doc.lines[("video",)]
            if ("video",) in doc.origins:
                origins[("video",)] = doc.origins[("video",)]
        for index, item in enumerate(items or []):
            for sub in _paths(item):
                at, to = (key, index, *sub), ("video", len(video), *sub)
                if at in doc.lines:
                    lines[to] = doc.lines[at]
                    origins[to] = doc.origins.get(at, (doc.file, at))
            video.append(item)
    if ("video",) not in lines:  # a track that only an intro or outro fills: said where they are
        lines[("video",)] = doc.lines.get(("intro",)) or doc.lines.get(("outro",)) or doc.lines.get((), 1)
    data["video"] = video
    origins = {at: origin for at, origin in origins.items() if origin != (doc.file, at)}
    return Document(doc.file, doc.folder, data, lines, origins, doc.parents)


def _chain(doc: Document) -> tuple[list[Document], list[Problem]]:
    """The episode and its parents, nearest first, and the problems of reading them."""
    chain, problems = [doc], []
    seen = {_real(doc.folder / Path(doc.file).name): doc.file}
    while "extends" in chain[-1].data and chain[-1].data["extends"] is not None:
        child = chain[-1]
        named = child.data["extends"]
        if not isinstance(named, str) or not named.strip():
            problems.append(child.problem(("extends",), "must name the parent EDL's file (a path, as text)",
                                          "e.g. extends: ../series.yaml"))
            break
        path = _absolute(child.folder, named)
        if _real(path) in seen:
            names = " -> ".join([*(c.file for c in chain), str(path)])
            problems.append(child.problem(("extends",), f"a cycle: {names}",
                                          "a series file extends nothing; a season extends the series"))
            break
        if len(chain) > MAX_PARENTS:
            problems.append(child.problem(("extends",), f"more than {MAX_PARENTS} files extend each other",
                                          "a series file, a season file, an episode: three are enough"))
            break
        if _not_a_file(path):  # a pipe or a device would be read without end
            problems.append(child.problem(("extends",), f"{named} is not a file (a folder, a device or a pipe)",
                                          "name the parent EDL's .yaml or .json file"))
            break
        try:  # named as the user would: beside the file that names it, `..` taken out
            parent = parse(path, named if _absolute(Path(), named).is_absolute() else
                           os.path.normpath(os.path.join(os.path.dirname(child.file), named)))
        except EdlError as exc:
            missing = [p for p in exc.problems if p.line is None and "not found" in p.message]
            if missing:
                problems.append(child.problem(("extends",), f"{named}: the parent file is not found ({path})",
                                              "a relative path starts at the folder of the file that names it"))
            else:
                problems.append(child.problem(("extends",), f"{named}: the parent file cannot be read; its "
                                                            "problems follow"))
                problems += exc.problems
            break
        problems += _version(child, parent)
        seen[_real(path)] = parent.file
        chain.append(parent)
    return chain, problems


def _real(path: Path) -> str:
    """The file a path names, links followed, as far as it can be (a name too long stays as given)."""
    try:
        return os.path.realpath(path)
    except (OSError, ValueError):
        return os.path.abspath(path)


def _not_a_file(path: Path) -> bool:
    """A folder, a device or a pipe; False for a regular file and for what cannot be
    looked at (the reader then says why)."""
    try:
        return not stat.S_ISREG(path.stat().st_mode)
    except (OSError, ValueError):
        return False


def _version(child: Document, parent: Document) -> list[Problem]:
    """A parent says the version its child says, or none (a series file may leave it to the episodes)."""
    theirs, ours = parent.data.get("version"), child.data.get("version")
    if "version" in parent.data and "version" in child.data and theirs != ours:
        return [child.problem(("extends",), f"{child.data['extends']} is an EDL of version {theirs!r}, this "
                                            f"file of version {ours!r}",
                              "a file extends only an EDL of its own version")]
    return []


def _absolute(folder: Path, text: str) -> Path:
    path = Path(text)
    try:
        path = path.expanduser()
    except RuntimeError:  # ~name of no user here: stays as written, and is not found
        pass
    return path if path.is_absolute() else folder / path


def _own(doc: Document) -> Located:
    return doc.data, dict(doc.lines), {at: (doc.file, at) for at in doc.lines}


def _rebased(doc: Document, inherited_root: Any) -> Document:
    """A parent's relative paths made absolute: from its folder, or its media_root (its
    own, or the one it inherits, already absolute)."""
    base = doc.folder
    root = doc.data.get("media_root", inherited_root)
    if isinstance(root, str) and root:
        base = _absolute(doc.folder, root)
    data = {k: (str(_absolute(doc.folder, v)) if k == "media_root" and isinstance(v, str) and v else
                _rebase(v, base, k)) for k, v in doc.data.items()}
    return Document(doc.file, doc.folder, data, doc.lines, doc.origins, doc.parents)


def _rebase(value: Any, base: Path, key: str | int | None) -> Any:
    if isinstance(value, dict):
        if key == "takes":  # a shot slot's takes: a name to a file, or to {file, ...}
            return {k: str(_absolute(base, v)) if isinstance(v, str) and v else _rebase(v, base, None)
                    for k, v in value.items()}
        return {k: _rebase(v, base, k) for k, v in value.items()}
    if isinstance(value, list):
        return [_rebase(v, base, None) for v in value]
    if isinstance(value, str) and value and key in PATH_FIELDS and _is_file(key, value):
        return str(_absolute(base, value))
    return value


def _is_file(key: str | int | None, value: str) -> bool:
    suffix = Path(value.strip()).suffix.lower()
    if key == "font":
        return suffix in FONT_SUFFIXES
    if key == "background":
        return suffix in IMAGE_SUFFIXES
    return True


def _merge(parent: Located, child: Located, at: FieldPath = ()) -> Located:
    """``child`` over ``parent`` (both at ``at``): mappings key by key, anything else
    replaced, a null removing what it names. Returns the value and its located fields."""
    (pv, plines, porig), (cv, clines, corig) = parent, child
    lines: dict[FieldPath, int] = {}
    origins: dict[FieldPath, tuple[str, FieldPath]] = {}

    def take(source: Located, key: str, value: Any) -> None:
        for sub in _paths(value):
            path = (*at, key, *sub)
            if path in source[1]:
                lines[path], origins[path] = source[1][path], source[2][path]

    merged: dict[str, Any] = {}
    for key, value in pv.items():
        if key not in cv:
            merged[key] = value
            take(parent, key, value)
    for key, value in cv.items():
        if value is None:
            continue  # removes the inherited value; absent, the model's default holds
        if isinstance(value, dict) and isinstance(pv.get(key), dict):
            inner, inner_lines, inner_origins = _merge((pv[key], plines, porig), (value, clines, corig), (*at, key))
            merged[key] = inner
            lines.update(inner_lines)
            origins.update(inner_origins)
            if (*at, key) in clines:
                lines[(*at, key)], origins[(*at, key)] = clines[(*at, key)], corig[(*at, key)]
        else:
            merged[key] = value
            take(child, key, value)
    if at == ():
        merged = {k: merged[k] for k in [*[k for k in cv if k in merged], *[k for k in merged if k not in cv]]}
    return merged, lines, origins


def _paths(value: Any) -> list[tuple]:
    """Every field path inside a plain value, ``()`` first."""
    found: list[tuple] = [()]
    if isinstance(value, dict):
        found += [(k, *sub) for k, v in value.items() for sub in _paths(v)]
    elif isinstance(value, list):
        found += [(n, *sub) for n, v in enumerate(value) for sub in _paths(v)]
    return found
