"""The JSON Schema of the EDL, for editors (completion, hover, red squiggles) and tools.

Contract: :func:`json_schema` -> a plain-JSON dict, JSON Schema draft 2020-12, generated
from the models in :mod:`edl` (their descriptions, enums and constraints) and shaped for a
person writing YAML: defaults as a user writes them (``"0"``, ``"1920x1080"``, ``30``,
``black``), not the models' internal values, and the rules the models check across fields
(``out`` or ``duration``, one kind per overlay) written as schema too, so that an editor
flags what ``assembler check`` would. Validation itself stays in the models.
Imports only ``edl``.
"""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import GenerateJsonSchema

from .edl import OVERLAY_KINDS, Edl

__all__ = ["SCHEMA_DIALECT", "json_schema"]

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _UserDefaults(GenerateJsonSchema):
    """Defaults through the field's own serializer: a time's default is ``"0.2"``, not a
    TimeSpec's fields. A sub-model's default is left out (its fields carry their own, and
    an editor would otherwise offer to paste the whole object), and so is null: it stands
    for a default the description tells (`out`: the source's end), and an editor would
    fill in ``null``."""

    def default_schema(self, schema: Any) -> Any:
        serializer = schema["schema"].get("serialization") or {}
        if serializer.get("type") == "function-plain" and not serializer.get("info_arg") \
                and schema.get("default") is not None:
            schema = {**schema, "default": serializer["function"](schema["default"])}
        json_schema = super().default_schema(schema)
        if "default" in json_schema and (json_schema["default"] is None or isinstance(json_schema["default"], dict)):
            del json_schema["default"]
        return json_schema


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
