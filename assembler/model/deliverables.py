"""Deliverables: several files of one cut, each the EDL with its own ``output``.

Contract: a validated EDL and the names asked for (``--only``; none: all) -> one
:class:`Target` per file to write, each a ``Validated`` whose ``output`` (and
``subtitles``) are the EDL's with the deliverable's fields written over them, key by key
for ``video``, ``audio`` and ``subtitles``. An EDL without ``deliverables`` is one target,
itself. Everything else (the main track, the sounds, the cues) is the same object in
every target, which is why what they share is made once downstream: the timelines differ
only where the outputs do, and the cache's keys only where the jobs do.

>>> from assembler.model.load import from_model
>>> from assembler.model.edl import Edl
>>> edl = Edl(version=1, video=[{"color": "red", "duration": 1}],
...           deliverables=[{"name": "master"}, {"name": "vertical", "size": "720x1280", "fit": "cover"}])
>>> [(t.name, t.validated.output.size, t.validated.output.fit) for t in targets(from_model(edl))[0]]
[('master', (1920, 1080), 'contain'), ('vertical', (720, 1280), 'cover')]
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from pydantic import BaseModel

from assembler.errors import Problem
from assembler.model import edl as model
from assembler.model.load import Validated

__all__ = ["Target", "located", "names", "targets"]

# Everything a deliverable names outright, as ``output`` has it.
_OUTPUT_FIELDS = tuple(f for f in model.Deliverable.model_fields if f in model.Output.model_fields)


@dataclass(frozen=True)
class Target:
    """One file to write: ``name`` None for an EDL without deliverables (its own output)."""

    name: str | None
    validated: Validated
    index: int | None = None  # its place in ``deliverables``, for what is said of it
    deliverable: model.Deliverable | None = None


def names(validated: Validated) -> tuple[str, ...]:
    """The deliverables an EDL names, in its order (none: it writes its own output)."""
    edl = validated.edl
    return tuple(d.name for d in edl.deliverables) if edl is not None else ()


def targets(validated: Validated, only: Sequence[str] = ()) -> tuple[list[Target], list[Problem]]:
    """The files to write (``only``: those deliverables' names), and the problems of
    asking: two deliverables that would write one file, a name asked for that none has.
    An EDL that is not valid still gives its valid deliverables, so that what is wrong
    with them (an encoder setting, a title too wide for the vertical) is said too."""
    doc = validated.document
    given = _given(validated)
    if not given:
        hint = "--only picks among the EDL's `deliverables:`; without them it writes one file"
        wrote = bool(doc.data.get("deliverables"))  # all of them invalid: their problems are said
        return [Target(None, validated)], [] if wrote else [
            Problem(doc.file, None, "", f"--only {name}: this EDL has no deliverables", hint) for name in only]
    problems = _same_names(validated)
    known = [d.name for _, d in given]
    for name in only:
        if name not in known:
            problems.append(Problem(doc.file, None, "", f"--only {name}: no deliverable `{name}` in this EDL "
                                    f"(its deliverables: {', '.join(known)})", model.did_you_mean(name, tuple(known))))
    chosen = [Target(d.name, _applied(validated, d), i, d) for i, d in given if not only or d.name in only]
    return chosen, problems


def _given(validated: Validated) -> list[tuple[int, model.Deliverable]]:
    """The EDL's deliverables with their places; of an EDL that is not valid, those that
    are valid on their own."""
    if validated.edl is not None:
        return list(enumerate(validated.edl.deliverables))
    raw = validated.document.data.get("deliverables")
    found = []
    for i, d in enumerate(raw if isinstance(raw, list) else []):
        try:
            found.append((i, model.Deliverable.model_validate(d)))
        except ValueError:  # said with the EDL's other problems
            continue
    return found


def located(problem: Problem, target: Target, validated: Validated) -> Problem:
    """A problem of a deliverable's output, said where the deliverable wrote the value
    (``deliverables[1].preset``), not at the ``output`` field it overrides."""
    d = target.deliverable
    # A problem of the file as a whole names its field last, in brackets (a container that
    # cannot hold a codec: "... (subtitles.soft)"), when the EDL has no line for it.
    named = None if problem.path else re.search(r" \(((?:output|subtitles)\.[a-z_.]+)\)$", problem.message)
    path, message = (named[1], problem.message[:named.start()]) if named else (problem.path, problem.message)
    if d is None or target.index is None or not path.startswith(("output.", "subtitles.")):
        return problem
    parts = path.split(".")
    field, rest = (parts[1], parts[2:]) if parts[0] == "output" else ("subtitles", parts[1:])
    at: tuple | None = None
    if field == "video" and rest[:1] == ["preset"] and d.preset is not None:
        at = ("preset",)
    elif field in ("video", "audio", "subtitles") and rest:
        sub = getattr(d, field)
        at = (field, rest[0]) if isinstance(sub, BaseModel) and rest[0] in sub.model_fields_set else None
    elif field in d.model_fields_set:
        at = (field,)
    if at is None:
        return problem
    return validated.document.problem(("deliverables", target.index, *at), message, problem.hint,
                                      warning=problem.severity == "warning")


def _same_names(validated: Validated) -> list[Problem]:
    """Two deliverables that would write one file; read from what the file holds, so that
    it is said with the EDL's other problems, also when the EDL is not valid."""
    given = validated.document.data.get("deliverables")
    problems: list[Problem] = []
    seen: dict[str, int] = {}
    for i, d in enumerate(given if isinstance(given, list) else []):
        name = d.get("name") if isinstance(d, dict) else None
        # Case apart, two names are one file on the file systems of macOS and Windows.
        if isinstance(name, str) and (first := seen.setdefault(name.casefold(), i)) != i:
            other = given[first]["name"]
            alike = f"`{name}` is the name of deliverables[{first}] too" if other == name else \
                f"`{name}` and deliverables[{first}]'s `{other}` differ only in case, one file where case is not told apart"
            problems.append(validated.document.problem(
                ("deliverables", i, "name"), f"{alike}: both would write <stem>.{name}.<suffix>",
                "give each deliverable a name of its own"))
    return problems


def _applied(validated: Validated, d: model.Deliverable) -> Validated:
    given = d.model_fields_set
    output: Any = validated.output.model_copy(update={f: getattr(d, f) for f in _OUTPUT_FIELDS
                                                      if f in given and f not in ("video", "audio")})
    if d.video is not None:
        output = output.model_copy(update={"video": _over(output.video, d.video)})
    if d.preset is not None:
        output = output.model_copy(update={"video": output.video.model_copy(update={"preset": d.preset})})
    if d.audio is not None:
        output = output.model_copy(update={"audio": _over(output.audio, d.audio)})
    subtitles = validated.subtitles
    if d.subtitles is False:  # none at all: neither the file's cues nor those the clips carry
        subtitles = model.Subtitles(burn=False, soft=False, sidecar=False)
    elif isinstance(d.subtitles, model.Subtitles):  # (true: the EDL's own, as when not given)
        subtitles = _over(subtitles or model.Subtitles(), d.subtitles)
    edl = validated.edl
    return replace(validated, output=output, subtitles=subtitles,
                   edl=None if edl is None else edl.model_copy(update={"output": output, "subtitles": subtitles}))


def _over(base: BaseModel, over: BaseModel) -> Any:
    """``base`` with each field ``over`` was given written over it, models key by key."""
    update = {}
    for name in over.model_fields_set:
        value, under = getattr(over, name), getattr(base, name)
        update[name] = _over(under, value) if isinstance(value, BaseModel) and isinstance(under, BaseModel) else value
    return base.model_copy(update=update)
