"""Every content key: what a cached file (a segment, a loop's copy, the sound) or the
finished output is a function of, as one sha256. Pure: the files' fingerprints and the
salt (cache format, ffmpeg build) are given as data; nothing here reads a file.

A job's key is its graph as data with each file named by its fingerprint: the sources'
options and fingerprints in ``-i`` order, the script with every :class:`~assembler.compile.graph.File`
option as its fingerprint, the output arguments (encoder settings), the frame count, the
fingerprints of every file it reads (those named nowhere in it, such as a subtitle's
fonts, too), and whether it draws text by family. So a moved file keeps its key and a
changed one changes it. Never Python's ``hash()``; JSON with sorted keys, ASCII only.

Imports ``compile`` (jobs, graph) and ``timeline`` (types, subtitles).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from pathlib import PurePath

from assembler.compile.jobs import Job, chapters_text, compile_assembly, compile_sound
from assembler.timeline.build import Timeline
from assembler.compile.subtitles import srt_text

__all__ = ["MIX_LIST", "ducked", "job_key", "output_key", "sound_key"]

# The concat list of the mixed windows is made from the windows the sound key already holds:
# it stands in its own key under this name, whatever its path.
MIX_LIST = "MIX.txt"


def job_key(job: Job, fingerprints: Mapping[str, str], salt: str) -> str:
    """The content key of what ``job`` writes; ``fingerprints`` maps every file it reads
    (``job.paths``) to its fingerprint."""
    graph = job.graph
    canonical = json.dumps({"salt": salt, "inputs": list(graph.argv(fingerprints)),
                            "graph": graph.script(fingerprints) if graph.chains else "",
                            "outputs": [list(g) for g in job.outputs], "frames": job.frames,
                            "reads": [fingerprints[p] for p in job.paths], "fonts": job.fonts is not None},
                           sort_keys=True, ensure_ascii=True)
    return _digest(canonical)


def sound_key(mix: Sequence[Job], timeline: Timeline, fingerprints: Mapping[str, str], salt: str,
              loops: Sequence[str] = ()) -> str:
    """The content key of the episode's sound: every window of the ``mix`` (its sources by
    content, how they are placed and mixed), the encoder, the loudness target, what each
    ducked sound follows over which spans (found in the sources' content), and the keys of
    the long loops' copies it reads (``loops``)."""
    encode = compile_sound(MIX_LIST, timeline)
    ducks = ducked(timeline)
    # A long loop's copy holds the samples aloop would: the mix is the same either way, but
    # a sound made before loops were copied is not trusted to be.
    canonical = json.dumps({"mix": [job_key(job, fingerprints, salt) for job in mix],
                            "encode": job_key(encode, {MIX_LIST: MIX_LIST}, salt),
                            "loudness": timeline.loudness, **({"ducks": ducks} if ducks else {}),
                            **({"loops": list(loops)} if loops else {})})
    return _digest(canonical)


def ducked(timeline: Timeline) -> list[list]:
    """Each ducked sound, what it follows and the timeline samples it is ducked over."""
    return [[c.where, c.duck.follow, [list(s) for s in c.duck.spans or ()]] for c in timeline.sounds if c.duck]


def output_key(segments: Sequence[str], sound: str, timeline: Timeline, out: PurePath) -> str:
    """What the finished file is a function of: its segments' keys, its sound's, how they
    are joined (chapters, soft subtitles, the container)."""
    joining = compile_assembly("video.txt", "sound.m4a", timeline)
    track = timeline.subtitles
    soft = srt_text(track, timeline.output.fps) if track and track.soft else None
    canonical = json.dumps({"segments": list(segments), "sound": sound, "join": joining.outputs,
                            "chapters": chapters_text(timeline), "soft": soft, "suffix": out.suffix.lower()})
    return _digest(canonical)


def _digest(canonical: str) -> str:
    return hashlib.sha256(canonical.encode()).hexdigest()
