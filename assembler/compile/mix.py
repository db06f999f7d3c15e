"""Mix the sounds beside the main track into its sound, duck, and set the loudness.

Contract: the timeline's voices (the main track's sound) and sounds -> graph links carrying
their sound for samples ``[origin, origin+n)`` of the timeline. Pure: builds graph chains
and gives the graph their sources, parses what ffmpeg measured.

* each voice is read from its source (its own input, unless the picture already reads
  the same stretch), given exact length, its speed (atempo keeps the pitch), volume and
  a click fade at hard edits; voices that overlap (transitions) are cross-faded over
  exactly the overlapping samples, those that meet are concatenated;

* each sound is read from its in-point, given its volume and fades, and delayed to its
  sample on the timeline; a long loop that wraps is read again each time round
  (``-stream_loop``): from its file when that is PCM or FLAC at the output's rate looped
  from its start, else from a lossless copy of its looped part that the runner made
  (``loop_chain``, handed in by ``loops``); a short one ``aloop`` repeats from memory;
* ``duck`` lowers a sound by ``amount`` dB over the spans ``duck.follow`` found for it (where
  the sounds of the named role are audible, or their items' spans): the spans are exact
  samples, so the envelope is the same on every render, ramping over ``attack`` and ``release``;
* ``amix`` with ``normalize=0`` sums (by default it divides every input by their count);
* loudness is two passes: ``ebur128`` measures, then a plain gain sets the integrated
  level; only when that gain would push the true peak above the ceiling does a limiter
  (4x oversampled, so it sees the peaks between samples) catch the peaks.

Imports ``graph``, ``sound`` (types), ``timeline`` (types).
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from fractions import Fraction

from assembler.compile.graph import Filter, GraphBuilder, Link, number
from assembler.timebase import whole_samples
from assembler.errors import RenderError
from assembler.timeline.sounds import CLICK_FADE, PlacedSound
from assembler.timeline.build import OutputSpec, Placement, Timeline
from assembler.timeline.items import Shot

__all__ = ["aformat", "gain_filters", "limits", "loop_chain", "loudness_scan", "looped_apart", "mix_sounds",
           "parse_loudness", "voices"]

# Where the limiter holds peaks, below the -1 dBTP the contract promises: AAC encoding can overshoot a little.
_LIMIT_AT = -1.5


def mix_sounds(g: GraphBuilder, main: Link, timeline: Timeline, origin: int, length: int, role: str | None = None,
             loops: Mapping[str, str] | None = None) -> Link:
    """Mix every sound (of ``role``, if given) that sounds in samples ``[origin, origin + length)``
    into ``main``. ``loops`` maps a sound of :func:`looped_apart` (by ``where``) to the lossless
    copy of its looped part (``loop_chain``) that is read in its place; without one, ``aloop``
    holds it.
    Each sound's file becomes a source of ``g``; returns the mixed link."""
    out = timeline.output
    links = [main]
    for placed in timeline.sounds:
        if placed.end <= origin or placed.start >= origin + length or (role is not None and placed.role != role):
            continue
        copy = (loops or {}).get(placed.where) if placed in looped_apart(timeline) else None
        path = copy or os.fspath(placed.media.file)
        start = [] if placed.loop or not placed.source_in else ["-ss", number(placed.source_in)]
        again = ["-stream_loop", "-1"] if copy or _rereads(placed, out.sample_rate) else []
        index = g.source(path, *start, *again)
        links.append(g.chain([g.input(index, "a")], _sound_chain(placed, timeline, origin, copy is not None), "a"))
    if len(links) == 1:
        return main
    mixed = g.chain(links, [Filter("amix", inputs=len(links), normalize=0, duration="first", dropout_transition=0),
                            Filter("aformat", sample_fmts="fltp", sample_rates=out.sample_rate,
                                   channel_layouts=out.layout)], "a")
    return mixed


def _sound_chain(placed: PlacedSound, timeline: Timeline, origin: int, copied: bool = False) -> list[Filter]:
    """``copied``: the sound is read from the copy of its looped part (``loop_chain``), which
    starts at its in-point and holds one round."""
    out = timeline.output
    rate = out.sample_rate
    chain = _decoded(out)
    if placed.loop and not copied and not _rereads(placed, rate):
        first, body = _loop_part(placed, rate)
        chain += [Filter("atrim", start_sample=first), Filter("asetpts", f"N/{rate}/TB")]
        if _may_wrap(placed, rate):
            chain.append(Filter("aloop", loop=-1, size=body))
    chain += [Filter("apad", whole_len=placed.samples), Filter("atrim", end_sample=placed.samples)]
    if placed.volume_db:
        chain.append(Filter("volume", f"{number(placed.volume_db)}dB"))
    if placed.fade_in:
        chain.append(Filter("afade", t="in", ss=0, ns=placed.fade_in))
    if placed.fade_out:
        chain.append(Filter("afade", t="out", ss=placed.samples - placed.fade_out, ns=placed.fade_out))
    # Onto the interval's own clock: delay a sound that starts inside it, cut the head of
    # one that started before it.
    if placed.start >= origin:
        chain.append(Filter("adelay", delays=f"{placed.start - origin}S", all=1))
    else:
        chain += [Filter("atrim", start_sample=origin - placed.start), Filter("asetpts", "PTS-STARTPTS")]
    if placed.duck:
        chain += _duck(placed, timeline, origin)
    return chain


def _decoded(out: OutputSpec) -> list[Filter]:
    rate = out.sample_rate
    return [Filter("aresample", rate),
            Filter("aformat", sample_fmts="fltp", sample_rates=rate, channel_layouts=out.layout),
            Filter("asetpts", f"N/{rate}/TB")]


def _loop_part(placed: PlacedSound, rate: int) -> tuple[int, int]:
    """The looped part of a sound's source, in output samples: its first and how many."""
    first = whole_samples(placed.source_in, rate)
    return first, max(1, whole_samples(placed.media.duration or Fraction(0), rate) - first)


# A header may overstate what decodes by up to half a second (``sound.cut_short`` warns):
# within that of its end, a loop might wrap.
_WRAP_MARGIN = Fraction(1, 2)


def _may_wrap(placed: PlacedSound, rate: int) -> bool:
    """Whether a looped sound goes round at least once: one that never does needs no ``aloop``,
    which would hold all that passes through it, though it never repeats it."""
    return placed.samples + whole_samples(_WRAP_MARGIN, rate) > _loop_part(placed, rate)[1]


def looped_apart(timeline: Timeline) -> list[PlacedSound]:
    """The sounds whose looped part is long and wraps, and whose file cannot be read again as
    it is (lossy, at another rate, or looped from an in-point): the runner makes a lossless
    copy of that part at the output's rate (``loop_chain``), read again each time round."""
    rate = timeline.output.sample_rate
    return [c for c in timeline.sounds if c.loop and _may_wrap(c, rate) and not _rereads(c, rate)
            and _loop_part(c, rate)[1] > _HELD_LOOP * rate]


def loop_chain(placed: PlacedSound, out: OutputSpec) -> list[Filter]:
    """The looped part of a sound's source as the held loop has it: decoded from the file's
    start (a decoder started at the in-point would give other samples), resampled to the
    output's rate and layout, from the in-point for one round."""
    first, body = _loop_part(placed, out.sample_rate)
    return [*_decoded(out), Filter("atrim", start_sample=first, end_sample=first + body)]


# A loop longer than this is read again each time round (``-stream_loop``), since
# ``aloop`` holds all of it in memory (2.7 GB for a 2-hour bed); a shorter one is held
# (at most 11 MiB), rather than the file reopened hundreds of times.
_HELD_LOOP = 30  # seconds


# Whose every sample decodes the same after a seek to the start as from a fresh decoder.
_FRAME_ALONE = (".wav", ".wave", ".w64", ".aif", ".aiff", ".flac")


def _rereads(placed: PlacedSound, rate: int) -> bool:
    """Whether a looped sound is read again from its file each time round: a long one that
    loops from its start (an in-point would be the file's start again on the next round),
    at the output's rate, of PCM or FLAC (across the seam, a resampler, or a lossy decoder's
    overlap with the last frame, would give other samples than the held loop's fresh start:
    up to 0.1 of full scale, measured)."""
    return placed.loop and not placed.source_in and (placed.media.duration or 0) > _HELD_LOOP \
        and placed.media.audio_rate == rate and placed.media.path.suffix.lower() in _FRAME_ALONE


# ffmpeg's expression parser refuses an envelope of about a hundred spans (measured: 90 parse,
# 95 do not), which a long voice-over with pauses has: an envelope is cut into volume filters
# of at most this many.
_SPANS_PER_FILTER = 32


def _duck(placed: PlacedSound, timeline: Timeline, origin: int) -> list[Filter]:
    """A volume envelope, in dB, that is ``amount`` while the other role sounds. Cut only
    where it is back up: each filter's gain is then exactly 1 wherever another's is not,
    and their product is the one envelope."""
    assert placed.duck is not None and placed.duck.spans is not None, "duck.follow finds the spans"
    rate = timeline.output.sample_rate
    attack = max(float(placed.duck.attack), 0.001)
    release = max(float(placed.duck.release), 0.001)
    groups: list[list[str]] = [[]]
    up = None  # when the envelope so far is back up
    for a, b in placed.duck.spans:
        ta, tb = (a - origin) / rate, (b - origin) / rate
        if len(groups[-1]) >= _SPANS_PER_FILTER and up is not None and ta >= up:
            groups.append([])
        groups[-1].append(f"if(lt(t,{ta:.6f}),0,if(lt(t,{tb:.6f}),min(1,(t-{ta:.6f})/{attack:.6f}),"
                          f"max(0,1-(t-{tb:.6f})/{release:.6f})))")
        up = max(up or tb + release, tb + release)
    if not groups[0]:
        return [Filter("anull")]
    filters = []
    for terms in groups:
        envelope = terms[0]
        for term in terms[1:]:
            envelope = f"max({envelope},{term})"
        filters.append(Filter("volume", volume=f"pow(10,{placed.duck.amount_db:.3f}*({envelope})/20)", eval="frame"))
    return filters


def limits(measured: dict, target: float) -> bool:
    """Whether reaching ``target`` with a plain gain would push peaks past the ceiling."""
    return measured["input_tp"] + target - measured["input_i"] > _LIMIT_AT


def gain_filters(measured: dict, target: float, sample_rate: int) -> list[Filter]:
    """The second loudness pass: a plain gain to the target, and a true-peak limiter only
    if that gain would lift the peaks past the ceiling."""
    gain = target - measured["input_i"]
    filters = [Filter("volume", f"{gain:.2f}dB")]
    if limits(measured, target):
        ceiling = 10 ** (_LIMIT_AT / 20)
        filters += [Filter("aresample", sample_rate * 4),
                    Filter("alimiter", limit=f"{ceiling:.5f}", attack=1, release=50, level=0, latency=1),
                    Filter("aresample", sample_rate)]
    return filters


_SUMMARY = re.compile(r"Summary:.*?I:\s*(-?[\d.]+|-inf)\s*LUFS.*?LRA:\s*(-?[\d.]+)\s*LU.*?Peak:\s*(-?[\d.]+|-inf)\s*dBFS",
                      re.S)


def parse_loudness(stderr: str) -> dict[str, float]:
    """What ``ebur128=peak=true`` printed in its summary: input_i (LUFS), input_tp (dBTP),
    input_lra (LU). Silence reads as -70 LUFS (the gate), not minus infinity."""
    found = _SUMMARY.findall(stderr)
    if not found:
        raise RenderError("ffmpeg printed no loudness measurement", [], "\n".join(stderr.splitlines()[-40:]), 0)
    i, lra, peak = (float(x) if x != "-inf" else -70.0 for x in found[-1])
    return {"input_i": max(i, -70.0), "input_tp": max(peak, -70.0), "input_lra": lra}


def loudness_scan() -> Filter:
    """The measuring pass: EBU R128 integrated loudness and true peak (4x oversampled), the
    meter the contract is checked with; its summary goes to stderr."""
    return Filter("ebur128", peak="true", framelog="quiet")


# -- the main track's sound ------------------------------------------------------------

def voices(g: GraphBuilder, timeline: Timeline, origin: int, stop: int,
           shown: dict[int, tuple[Placement, int | None]], role: str | None = None) -> Link:
    """The main track's sound for samples ``[origin, stop)``: each voice read from its
    source, cross-faded where voices overlap (transitions), joined where they meet. With
    ``role``, voices of other roles are silent. A voice that the interval cuts is read
    whole and trimmed after: a decoder (and a resampler) started inside it would give other
    samples than one started at its in-point, and windows would not join seamlessly."""
    out = timeline.output
    rate = out.sample_rate
    voices = timeline.voices
    chosen = timeline.voiced(origin, stop)
    links, spans = [], []
    for n, k in enumerate(chosen):
        v, p = voices[k], timeline.placements[k]
        shot = p if isinstance(p, Shot) and p.sound and (role is None or p.role == role) else None  # heard
        first, last = v.start, v.end
        source_in = v.source_in
        index = None
        if shot is not None:
            unshifted = all(j.shift == 0 for j in timeline.joins[max(0, k - 1):k + 1])
            picture = shown.get(k)
            if picture and picture[1] is not None and unshifted and first == timeline.sample(picture[0].start) \
                    and last == timeline.sample(picture[0].end):
                index = picture[1]  # the same stretch of the same file: read it once
            else:
                path = os.fspath(shot.media.file)
                needed = Fraction(last - first, rate) * shot.speed + Fraction(1, 10)
                index = g.source(path, *(["-ss", number(source_in)] if source_in else []), "-t", number(needed))
        head = k == 0 or timeline.joins[k - 1].frames == 0
        tail = k == len(voices) - 1 or timeline.joins[k].frames == 0
        links.append(_sound(g, shot, out, last - first, index, (head, tail)))
        spans.append((first, last))
    audio = _join_sounds(g, links, spans)
    base = spans[0][0]
    if origin > base or stop < spans[-1][1]:
        audio = g.chain([audio], [Filter("atrim", start_sample=origin - base, end_sample=stop - base),
                                  Filter("asetpts", "PTS-STARTPTS")], "a")
    return audio


def aformat(out: OutputSpec) -> Filter:
    return Filter("aformat", sample_fmts="fltp", sample_rates=out.sample_rate, channel_layouts=out.layout)


def _sound(g: GraphBuilder, p: Shot | None, out: OutputSpec, samples: int, index: int | None,
           edges: tuple[bool, bool]) -> Link:
    exact = [Filter("apad", whole_len=samples), Filter("atrim", end_sample=samples), aformat(out)]
    # Whole samples, where a sound's click fade is the nearest (sound.place_sounds): 220 and 221 at 44.1 kHz.
    click = min(whole_samples(CLICK_FADE, out.sample_rate), samples // 2)
    if edges[0] and click:
        exact.append(Filter("afade", t="in", ss=0, ns=click))
    if edges[1] and click:
        exact.append(Filter("afade", t="out", ss=samples - click, ns=click))
    if p is None:
        return g.chain([], [Filter("anullsrc", r=out.sample_rate, cl=out.layout), Filter("atrim", end_sample=samples),
                            aformat(out)], "a")
    assert index is not None
    chain = [Filter("aresample", out.sample_rate), aformat(out),
             # Count time in samples from the in-point: no gaps, no drift.
             Filter("asetpts", f"N/{out.sample_rate}/TB")]
    chain += _tempo(p.speed)
    if p.volume_db:
        chain.append(Filter("volume", f"{number(p.volume_db)}dB"))
    return g.chain([g.input(index, "a")], [*chain, *exact], "a")


def _tempo(speed: Fraction) -> list[Filter]:
    """atempo keeps the pitch; one instance covers 0.5..2, so chain them beyond that."""
    filters = []
    while speed > 2:
        filters.append(Filter("atempo", 2))
        speed /= 2
    while speed < Fraction(1, 2):
        filters.append(Filter("atempo", Fraction(1, 2)))
        speed *= 2
    if speed != 1:
        filters.append(Filter("atempo", speed))
    return filters


def _join_sounds(g: GraphBuilder, links: list[Link], spans: list[tuple[int, int]]) -> Link:
    """Concatenate sounds that meet; cross-fade (linear, like the picture's dissolve) those
    that overlap, over exactly the overlapping samples."""
    run = [links[0]]
    for n in range(1, len(links)):
        overlap = spans[n - 1][1] - spans[n][0]
        if overlap > 0:
            run = [g.chain([_concat_sounds(g, run), links[n]], [Filter("acrossfade", ns=overlap, c1="tri", c2="tri")],
                           "a")]
        else:
            run.append(links[n])
    return _concat_sounds(g, run)


def _concat_sounds(g: GraphBuilder, links: list[Link]) -> Link:
    return links[0] if len(links) == 1 else g.chain(links, [Filter("concat", n=len(links), v=0, a=1)], "a")
