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

Layers, lowest first (a module imports only lower layers; only ``ffmpeg`` spawns processes):
``timebase``/``errors``/``escape``; ``edl``/``media``; ``load``/``words``/``typeset``/``schema``;
``sound``/``captions``/``layers``;
``timeline``;
``plan``/``duck``/``damage``; ``graph``; ``mix``/``picture``; ``compile``; ``ffmpeg``/``cache``/``sheet``; ``soundtrack``;
``outputs``; ``render``; ``review``/``dryrun``; ``cli``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("edl-assembler")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from .edl import (Clip, ClipCue, Color, Duck, Edl, Image, Motion, Output, OutputAudio, OutputVideo, Overlay, Sound,
                  Subtitles, SubtitleStyle, Title, TitleStyle, Transition, TransitionAudio)
from .errors import AssemblerError, EdlError, FFmpegNotFound, MediaError, Problem, RenderError, UsageError
from .ffmpeg import Progress
from .load import load
from .media import MediaInfo, probe
from .dryrun import DryRun, dry_run
from .render import RenderResult, check, render
from .review import Difference, Verification, diff, verify
from .timeline import Timeline

__all__ = [
    "AssemblerError",
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
    "Sound",
    "SubtitleStyle",
    "Subtitles",
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
    "load",
    "probe",
    "render",
    "verify",
]
