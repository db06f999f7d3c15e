"""Mix the sounds beside the main track into its sound, duck, and set the loudness.

Contract: a graph link carrying the main track's sound for samples ``[origin, origin+n)``
of the timeline, plus the timeline's cues -> one link carrying the mix for the same
samples. Pure: builds graph chains and input arguments, parses what ffmpeg measured.

* each cue is read from its in-point (``aloop`` repeats it in memory when it loops),
  given its volume and fades, and delayed to its sample on the timeline;
* ``duck`` lowers a cue by ``amount`` dB while any sound of the named role plays (cues
  and clips' own sound): the spans are known from the EDL, so the envelope is exact and
  the same on every render, ramping over ``attack`` and ``release``;
* ``amix`` with ``normalize=0`` sums (by default it divides every input by their count);
* loudness is two passes: ``loudnorm`` measures, then a plain gain sets the integrated
  level; only when that gain would push the true peak above the ceiling does a limiter
  (4x oversampled, so it sees the peaks between samples) catch the peaks.

Imports ``graph``, ``sound`` (types), ``timeline`` (types).
"""

from __future__ import annotations

import json
import os
import re

from .graph import Filter, GraphBuilder, Link, number
from .sound import Cue, active_spans
from .timeline import Timeline

__all__ = ["PEAK_CEILING", "gain_filters", "loudness_scan", "mix_cues", "parse_loudnorm"]

PEAK_CEILING = -1.0  # dBTP the contract promises
_LIMIT_AT = -1.5  # where the limiter holds peaks: AAC encoding can overshoot a little


def mix_cues(g: GraphBuilder, main: Link, timeline: Timeline, first_input: int, origin: int,
             length: int, role: str | None = None) -> tuple[Link, list[str], list[str]]:
    """Mix every cue (of ``role``, if given) that sounds in samples ``[origin, origin + length)``
    into ``main``.
    Returns the mixed link, the input arguments to append (their indexes start at
    ``first_input``) and the files they read."""
    out = timeline.output
    inputs: list[str] = []
    paths: list[str] = []
    links = [main]
    for cue in timeline.cues:
        if cue.end <= origin or cue.start >= origin + length or (role is not None and cue.role != role):
            continue
        index = first_input + len(links) - 1
        path = os.fspath(cue.media.path.resolve())
        start = [] if cue.loop or not cue.source_in else ["-ss", number(cue.source_in)]
        inputs += [*start, "-i", path]
        paths.append(path)
        links.append(g.chain([g.input(index, "a")], _cue_chain(cue, timeline, origin, length), "a"))
    if len(links) == 1:
        return main, inputs, paths
    mixed = g.chain(links, [Filter("amix", inputs=len(links), normalize=0, duration="first", dropout_transition=0),
                            Filter("aformat", sample_fmts="fltp", sample_rates=out.sample_rate,
                                   channel_layouts=out.layout)], "a")
    return mixed, inputs, paths


def _cue_chain(cue: Cue, timeline: Timeline, origin: int, length: int) -> list[Filter]:
    out = timeline.output
    rate = out.sample_rate
    chain = [Filter("aresample", rate),
             Filter("aformat", sample_fmts="fltp", sample_rates=rate, channel_layouts=out.layout),
             Filter("asetpts", f"N/{rate}/TB")]
    if cue.loop:
        first = int(cue.source_in * rate)
        body = int((cue.media.duration or 0) * rate) - first
        chain += [Filter("atrim", start_sample=first), Filter("asetpts", f"N/{rate}/TB"),
                  Filter("aloop", loop=-1, size=max(1, body))]
    chain += [Filter("apad", whole_len=cue.samples), Filter("atrim", end_sample=cue.samples)]
    if cue.volume_db:
        chain.append(Filter("volume", f"{number(cue.volume_db)}dB"))
    if cue.fade_in:
        chain.append(Filter("afade", t="in", ss=0, ns=cue.fade_in))
    if cue.fade_out:
        chain.append(Filter("afade", t="out", ss=cue.samples - cue.fade_out, ns=cue.fade_out))
    # Onto the interval's own clock: delay a cue that starts inside it, cut the head of
    # one that started before it.
    if cue.start >= origin:
        chain.append(Filter("adelay", delays=f"{cue.start - origin}S", all=1))
    else:
        chain += [Filter("atrim", start_sample=origin - cue.start), Filter("asetpts", "PTS-STARTPTS")]
    if cue.duck:
        chain.append(_duck(cue, timeline, origin))
    return chain


def _duck(cue: Cue, timeline: Timeline, origin: int) -> Filter:
    """A volume envelope, in dB, that is ``amount`` while the other role sounds."""
    assert cue.duck is not None
    rate = timeline.output.sample_rate
    spans = [(c.start, c.end) for c in timeline.cues if c.role == cue.duck.under and c is not cue]
    spans += [(timeline.sample(p.start), timeline.sample(p.end)) for p in timeline.placements
              if p.sound and p.role == cue.duck.under]
    attack = max(float(cue.duck.attack), 0.001)
    release = max(float(cue.duck.release), 0.001)
    terms = []
    for a, b in active_spans(spans):
        ta, tb = (a - origin) / rate, (b - origin) / rate
        terms.append(f"if(lt(t,{ta:.6f}),0,if(lt(t,{tb:.6f}),min(1,(t-{ta:.6f})/{attack:.6f}),"
                     f"max(0,1-(t-{tb:.6f})/{release:.6f})))")
    if not terms:
        return Filter("anull")
    envelope = terms[0]
    for term in terms[1:]:
        envelope = f"max({envelope},{term})"
    return Filter("volume", volume=f"pow(10,{cue.duck.amount_db:.3f}*({envelope})/20)", eval="frame")


def gain_filters(measured: dict, target: float, sample_rate: int) -> list[Filter]:
    """The second loudness pass: a plain gain to the target, and a true-peak limiter only
    if that gain would lift the peaks past the ceiling."""
    gain = target - measured["input_i"]
    filters = [Filter("volume", f"{gain:.2f}dB")]
    if measured["input_tp"] + gain > _LIMIT_AT:
        ceiling = 10 ** (_LIMIT_AT / 20)
        filters += [Filter("aresample", sample_rate * 4),
                    Filter("alimiter", limit=f"{ceiling:.5f}", attack=1, release=50, level=0, latency=1),
                    Filter("aresample", sample_rate)]
    return filters


_JSON = re.compile(r"\{[^{}]*\"input_i\"[^{}]*\}", re.S)


def parse_loudnorm(stderr: str) -> dict[str, float]:
    """The measurement ``loudnorm=print_format=json`` printed: input_i (LUFS), input_tp
    (dBTP), input_lra (LU), input_thresh."""
    found = _JSON.findall(stderr)
    if not found:
        raise ValueError("ffmpeg printed no loudness measurement")
    values = json.loads(found[-1])
    return {k: float(values[k]) for k in ("input_i", "input_tp", "input_lra", "input_thresh")}


def loudness_scan() -> Filter:
    """The measuring pass (print_format=json reports on stderr)."""
    return Filter("loudnorm", I=-16, TP=-1, LRA=11, print_format="json")

