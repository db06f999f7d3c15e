"""The JSON Schema of the EDL, for editors (completion, hover, red squiggles) and tools.

Contract: :func:`json_schema` -> a plain-JSON dict, JSON Schema draft 2020-12, generated
from the models in :mod:`edl` (their descriptions, enums and constraints) and shaped for a
person writing YAML: defaults as a user writes them (``"0"``, ``"1920x1080"``, ``30``,
``black``), not the models' internal values, and the rules the models check across fields
(``out`` or ``duration``, one kind per overlay) written as schema too, so that an editor
flags what ``assembler check`` would. Validation itself stays in the models.
Imports only ``edl`` and ``timebase``.
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from assembler.model.edl import OVERLAY_KINDS, Edl
from assembler.timebase import TimeSpec

__all__ = ["SCHEMA_DIALECT", "json_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _UserDefaults(GenerateJsonSchema):
    """Defaults as a user types them: a time in seconds is a number (``0.2``, not a
    TimeSpec's fields), a size ``"1920x1080"`` (through the field's own serializer). A
    sub-model's default is left out (its fields carry their own, and an editor would
    otherwise offer to paste the whole object), and so is null: it stands for a default
    the description tells (`out`: the source's end), and an editor would fill in ``null``."""

    def default_schema(self, schema: Any) -> Any:
        default = schema.get("default")
        serializer = schema["schema"].get("serialization") or {}
        if isinstance(default, TimeSpec) and not default.frames:
            schema = {**schema, "default": _number(default.seconds)}
        elif serializer.get("type") == "function-plain" and not serializer.get("info_arg") and default is not None:
            schema = {**schema, "default": serializer["function"](default)}
        json_schema = super().default_schema(schema)
        if "default" in json_schema and (json_schema["default"] is None or isinstance(json_schema["default"], dict)):
            del json_schema["default"]
        return json_schema


def _number(seconds: Fraction) -> int | float:
    # Only the contract's defaults come here (0, 0.2, 0.5, 3...): short decimals, exact as floats.
    return seconds.numerator if seconds.denominator == 1 else float(seconds)


def _not_both(a: str, b: str) -> dict:
    return {"not": {"required": [a, b]}}


# Rules the models' validators check across fields, per definition.
_RULES: dict[str, list[dict]] = {
    "Clip": [_not_both("out", "duration")],
    "Sound": [_not_both("out", "duration")],
    "Overlay": [{"oneOf": [{"required": [kind]} for kind in OVERLAY_KINDS]}, _not_both("end", "duration")],
    "TransitionAudio": [_not_both("lead", "lag")],
}


def json_schema() -> dict:
    """The JSON Schema of an EDL file (what ``assembler schema`` prints)."""
    schema = Edl.model_json_schema(by_alias=True, schema_generator=_UserDefaults)
    for name, rules in _RULES.items():
        schema["$defs"][name].setdefault("allOf", []).extend(rules)
    _plain_descriptions(schema)
    for body in [schema, *schema["$defs"].values()]:
        for prop in body.get("properties", {}).values():
            prop.pop("title", None)  # "Fade In" for fade_in: editors show it above the description
    return {"$schema": SCHEMA_DIALECT, "title": "assembler EDL, version 1",
            **{k: v for k, v in schema.items() if k != "title"}}


def _plain_descriptions(node: Any) -> None:
    """Docstrings' ``code`` as Markdown's `code`: editors show descriptions as Markdown."""
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            node["description"] = node["description"].replace("``", "`")
        for value in node.values():
            _plain_descriptions(value)
    elif isinstance(node, list):
        for value in node:
            _plain_descriptions(value)
