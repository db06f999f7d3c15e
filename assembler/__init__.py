"""assembler: finished video episodes from an edit-decision list (EDL).

    episode.yaml --load--> Edl --probe--> media --timeline--> Timeline
        --compile--> Job (argv + filter graph) --run--> episode.mp4

In a notebook::

    import assembler
    edl = assembler.load("episode.yaml")            # the validated model
    result = assembler.render(edl, "episode.mp4",   # or a path instead of edl
                              base_dir="edl_folder", progress=print)
    result.duration, result.frames, result.elapsed

Layers, lowest first (a module imports only lower layers; only ``ffmpeg`` spawns processes):
``timebase``/``errors``/``escape``; ``edl``/``media``; ``load``; ``timeline``; ``graph``;
``compile``; ``ffmpeg``; ``render``; ``cli``.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("edl-assembler")
except PackageNotFoundError:  # pragma: no cover - running from a source tree
    __version__ = "0.0.0"

from .edl import Clip, Color, Edl, Image, Output, OutputAudio, OutputVideo, Title, TitleStyle, Transition
from .errors import AssemblerError, EdlError, FFmpegNotFound, MediaError, Problem, RenderError
from .ffmpeg import Progress
from .load import load
from .media import MediaInfo, probe
from .render import DryRun, RenderResult, check, dry_run, render
from .timeline import Timeline

__all__ = [
    "AssemblerError",
    "Clip",
    "Color",
    "DryRun",
    "Edl",
    "EdlError",
    "FFmpegNotFound",
    "Image",
    "MediaError",
    "MediaInfo",
    "Output",
    "OutputAudio",
    "OutputVideo",
    "Problem",
    "Progress",
    "RenderError",
    "RenderResult",
    "Timeline",
    "Title",
    "TitleStyle",
    "Transition",
    "check",
    "dry_run",
    "load",
    "probe",
    "render",
]
