"""Where ``cover`` crops: the window of the scaled picture that fills the frame, centred
on the item's focus (``timeline.items.Focus``), clamped inside the picture so that no bars
ever show, and moving per frame for keyframes (crop's ``x``/``y`` are expressions it
evaluates for every frame). Pure: filters in, filters out; ``picture`` places the crop.
"""

from __future__ import annotations

import re
from fractions import Fraction

from assembler.compile.graph import Filter, number
from assembler.timeline.items import Card, Focus, Shot, Still

__all__ = ["cover_crop", "cover_window", "crop_moves", "source_crop"]


def cover_crop(p: Shot | Still | Card, frame: tuple[int, int]) -> Filter:
    """``cover``'s crop of the scaled picture to the frame: centred (crop's default), or
    centred on the item's focus, clamped inside the picture so that no bars ever show. An
    axis the scaling fills exactly has nothing to move, and says nothing: a focus that
    crops nothing makes the very job of no focus (a master and a vertical of one cut then
    share its segments)."""
    w, h = frame
    if p.focus is None or p.media is None:
        return Filter("crop", w, h)
    wide, high = _covered(p.media.display_size, frame, p.media.sar != 1)
    return Filter("crop", w, h, x=_edge("iw", "ow", p.focus, 0, p.head) if wide > w else None,
                  y=_edge("ih", "oh", p.focus, 1, p.head) if high > h else None)


def cover_window(p: Shot | Still | Card, frame: tuple[int, int]) -> tuple[int, int] | None:
    """The part of the picture (square-pixelled) that ``cover`` shows in ``frame``, in the
    picture's own pixels (the cropped side even, for 4:2:0), when it crops anything; None
    when the scaled picture is the frame itself."""
    assert p.media is not None
    square = p.media.sar != 1
    iw, ih = p.media.display_size
    iw = iw // 2 * 2 if square else iw
    wide, high = _covered((iw, ih), frame, square)
    w, h = frame
    if (wide, high) == (w, h):
        return None
    if wide > w:  # wider than the frame: a window of its width
        return min(iw, 2 * round(Fraction(ih * w, h) / 2)), ih
    return iw, min(ih, 2 * round(Fraction(iw * h, w) / 2))


def source_crop(p: Shot | Still | Card, window: tuple[int, int]) -> Filter:
    """``cover``'s crop of the picture itself to ``window`` (``cover_window``), before it is
    scaled to the frame: centred, or centred on the item's focus and clamped inside the
    picture, as :func:`cover_crop` places its window in the scaled picture; scaling the
    window alone is a third of the work for a 16:9 shot in a 9:16 frame."""
    assert p.media is not None
    cw, ch = window
    iw, ih = p.media.display_size
    focus = p.focus
    if focus is None:
        return Filter("crop", cw, ch)
    return Filter("crop", cw, ch, x=_edge("iw", "ow", focus, 0, p.head) if cw < iw // 2 * 2 else None,
                  y=_edge("ih", "oh", focus, 1, p.head) if ch < ih else None)


def crop_moves(crop: Filter) -> bool:
    """Whether a crop follows keyframes (its place is an expression of the frame's number)."""
    return any(re.search(r"\bn\b", str(value)) for _, value in crop.options)


def _covered(size: tuple[int, int], frame: tuple[int, int], square: bool) -> tuple[int, int]:
    """The size cover's scale makes of a picture of ``size`` for ``frame``, as ffmpeg's
    ``force_original_aspect_ratio=increase`` computes it (each side rounded to nearest;
    ``square``: the width was first made even by making the pixels square)."""
    (iw, ih), (w, h) = size, frame
    iw = iw // 2 * 2 if square else iw
    return max((h * iw + ih // 2) // ih, w), max((w * ih + iw // 2) // iw, h)


def _edge(size: str, window: str, focus: Focus, axis: int, head: int) -> str | None:
    """The crop window's first edge along an axis: the focus point (a fraction of the
    scaled picture's ``size``) at the window's middle, clamped to the picture; None for
    the centre, crop's own default. Keyframes make it an expression of crop's ``n``, the
    frame's number in this interval, so ``head`` (frames of the item before it) puts it on
    the item's own clock: an item cut into segments moves as one."""
    keys = focus.axis(axis)
    if all(value == keys[0][1] for _, value in keys):
        if keys[0][1] == Fraction(1, 2):
            return None
        point = number(keys[0][1])
    else:
        point = _eased(keys, f"(n+{head})" if head else "n")
    return f"clip({size}*{point}-{window}/2,0,{size}-{window})"


def _eased(keys: tuple[tuple[int, Fraction], ...], frame: str) -> str:
    """A value eased from key to key (smoothstep, u*u*(3-2u) of the way between two),
    held before the first and after the last: the first key's value plus each step's
    share, the way between each pair clamped to 0..1 (so no branch is needed)."""
    terms = [number(keys[0][1])]
    for (start, a), (end, b) in zip(keys, keys[1:]):
        if a == b:
            continue
        u = f"clip(({frame}-{start})/{end - start},0,1)"
        terms.append(f"{'-' if b < a else '+'}{number(abs(b - a))}*{u}*{u}*(3-2*{u})")
    return f"({''.join(terms)})"
