"""assembler: finished video episodes from an edit-decision list (EDL).

    episode.yaml --load--> Edl --probe--> media --timeline--> Timeline --plan--> segments
        --compile--> Job per segment --run (unless cached)--> cache
        --assemble (stream copy + the sound encoded once)--> episode.mp4 + episode.receipt.json

In a notebook::

    import assembler
    edl = assembler.load("episode.yaml")            # the validated model
    result = assembler.render(edl, "episode.mp4",   # or a path instead of edl
                              base_dir="edl_folder", progress=print)
    result.duration, result.frames, result.elapsed

The package is in parts, one per stage (docs/architecture.md): ``model`` (the EDL),
``timeline`` (frames and samples), ``plan`` (segments), ``compile`` (ffmpeg jobs), ``run``
(processes, probes, the cache), then ``render``/``dryrun`` and ``review`` on top.
"""

from __future__ import annotations

import importlib
import sys
import types

TYPE_CHECKING = False  # typing.TYPE_CHECKING, without importing typing (milliseconds before the Ctrl-C guard)

# Each public name and the module that defines it. They load on first use (PEP 562), so
# importing the package is cheap: `python -m assembler` reaches its Ctrl-C guard (launch)
# before pydantic, ruamel, rich and PyAV are imported, and a script loads only what it uses.
_HOME = {
    **dict.fromkeys(["Clip", "ClipCue", "Color", "Duck", "Edl", "Image", "Motion", "Output", "OutputAudio",
                     "OutputVideo", "Overlay", "Slot", "Sound", "Subtitles", "SubtitleStyle", "Take", "Title",
                     "TitleStyle", "Transition", "TransitionAudio"], "model.edl"),
    **dict.fromkeys(["AssemblerError", "Cancelled", "EdlError", "FFmpegNotFound", "MediaError", "Problem",
                     "RenderError", "UsageError"], "errors"),
    "Progress": "run.ffmpeg",
    "load": "model.load",
    "MediaInfo": "timeline.sources", "probe": "run.probe",
    "DryRun": "dryrun", "dry_run": "dryrun",
    "RenderResult": "render", "check": "render", "render": "render",
    "Difference": "review.diff", "Verification": "review.verify", "diff": "review.diff",
    "verify": "review.verify", "list_takes": "review.takes",
    "Timeline": "timeline.build",
}

if TYPE_CHECKING:  # what type checkers and editors see: the same names, imported eagerly
    from typing import Any

    from assembler.dryrun import DryRun, dry_run
    from assembler.model.edl import (Clip, ClipCue, Color, Duck, Edl, Image, Motion, Output, OutputAudio, OutputVideo, Overlay,
                      Slot, Sound, Subtitles, SubtitleStyle, Take, Title, TitleStyle, Transition, TransitionAudio)
    from assembler.errors import (AssemblerError, Cancelled, EdlError, FFmpegNotFound, MediaError, Problem, RenderError,
                                  UsageError)
    from assembler.run.ffmpeg import Progress
    from assembler.model.load import load
    from assembler.timeline.sources import MediaInfo
    from assembler.run.probe import probe
    from assembler.render import RenderResult, check, render
    from assembler.review.diff import Difference, diff
    from assembler.review.verify import Verification, verify
    from assembler.review.takes import list_takes
    from assembler.timeline.build import Timeline


def __getattr__(name: str) -> Any:
    if name == "__version__":
        # importlib.metadata costs tens of milliseconds: only `--version` asks.
        from importlib.metadata import PackageNotFoundError, version
        try:
            found = version("edl-assembler")
        except PackageNotFoundError:  # pragma: no cover - running from a source tree
            found = "0.0.0"
    elif name in _HOME:
        found = getattr(importlib.import_module(f".{_HOME[name]}", __name__), name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = found  # the next lookup is an ordinary one
    return found


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__, "__version__"})


class _Package(types.ModuleType):
    """Importing the submodule ``render``, from anywhere, sets the package's
    attribute of that name to the module; the public name stays the function it defines."""

    def __setattr__(self, name: str, value: Any) -> None:
        if isinstance(value, types.ModuleType) and value.__name__ == f"{__name__}.{name}" and _HOME.get(name) == name:
            value = getattr(value, name)
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = [
    "AssemblerError",
    "Cancelled",
    "Clip",
    "ClipCue",
    "Color",
    "Difference",
    "DryRun",
    "Duck",
    "Edl",
    "EdlError",
    "FFmpegNotFound",
    "Image",
    "MediaError",
    "MediaInfo",
    "Motion",
    "Output",
    "OutputAudio",
    "OutputVideo",
    "Overlay",
    "Problem",
    "Progress",
    "RenderError",
    "RenderResult",
    "Slot",
    "Sound",
    "SubtitleStyle",
    "Subtitles",
    "Take",
    "Timeline",
    "Title",
    "TitleStyle",
    "Transition",
    "TransitionAudio",
    "UsageError",
    "Verification",
    "check",
    "diff",
    "dry_run",
    "list_takes",
    "load",
    "probe",
    "render",
    "verify",
]
