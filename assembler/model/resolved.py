"""A merged EDL written back as YAML, each inherited value commented with where it was
written (``# from series.yaml:12``): what ``assembler check --resolved`` prints.

Contract: a :class:`~assembler.model.load.Document` -> YAML text that reads back (with
``load.parse``, from the episode's folder) to the same data. Block style, every string
double-quoted (JSON's escapes are YAML's), so no value changes type on the way back.
Imports ``load``; never the file system.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

from assembler.errors import field_path
from assembler.model.load import Document, FieldPath

__all__ = ["resolved_yaml"]

_PLAIN_KEY = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")


def resolved_yaml(doc: Document) -> str:
    """``doc``'s data as YAML; a value that another file wrote says which, and at what line
    (and under what name, when it is not its name here: an intro item is ``video[n]``)."""
    lines: list[str] = []
    _mapping(doc, doc.data, (), 0, lines, "")
    return "".join(line + "\n" for line in lines)


def _mapping(doc: Document, data: dict, at: FieldPath, indent: int, out: list[str], first: str) -> None:
    """Each key of ``data``; the first on the line begun by ``first`` (a list's dash)."""
    for n, (key, value) in enumerate(data.items()):
        lead = first if n == 0 else " " * indent
        _entry(doc, f"{lead}{_key(key)}:", value, (*at, key), indent, out)


def _entry(doc: Document, head: str, value: Any, at: FieldPath, indent: int, out: list[str]) -> None:
    if isinstance(value, dict) and value:
        out.append(head)
        _mapping(doc, value, at, indent + 2, out, " " * (indent + 2))
    elif isinstance(value, list) and value:
        out.append(head)
        for n, item in enumerate(value):
            _item(doc, item, (*at, n), indent + 2, out)
    else:
        out.append(f"{head} {_scalar(value)}{_note(doc, at)}")


def _item(doc: Document, item: Any, at: FieldPath, indent: int, out: list[str]) -> None:
    dash = " " * indent + "- "
    if isinstance(item, dict) and item:
        _mapping(doc, item, at, indent + 2, out, dash)
    elif isinstance(item, list) and item:
        out.append(dash.rstrip() + _note(doc, at))
        for n, inner in enumerate(item):
            _item(doc, inner, (*at, n), indent + 2, out)
    else:
        out.append(f"{dash}{_scalar(item)}{_note(doc, at)}")


def _note(doc: Document, at: FieldPath) -> str:
    file, line, written = doc.where(at)
    if file == doc.file:
        return ""
    named = f" ({field_path(written)})" if written != at else ""
    return f"  # from {file}:{line}{named}"


def _key(key: str) -> str:
    return key if _PLAIN_KEY.match(key) and key not in ("true", "false", "null", "yes", "no", "on", "off") \
        else json.dumps(key, ensure_ascii=False)


def _scalar(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        if math.isnan(value):
            return ".nan"
        if math.isinf(value):
            return ".inf" if value > 0 else "-.inf"
        text = repr(value)
        mantissa, e, power = text.partition("e")
        # YAML 1.2 reads 1e-05 as text: its floats have a point before the exponent.
        return f"{mantissa if '.' in mantissa else mantissa + '.0'}{e}{power}" if e else text
    if isinstance(value, dict):
        return "{}"
    if isinstance(value, list):
        return "[]"
    return json.dumps(str(value), ensure_ascii=False)
