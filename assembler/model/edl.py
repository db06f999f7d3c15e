"""Pydantic models of the EDL contract (docs/edl.md, its reference). Pure data.

Contract: a validated, immutable description of what the user asked for, in the user's own
terms (paths as written, times as :class:`~assembler.timebase.TimeSpec`). Nothing here
touches the disk or knows about ffmpeg; resolving paths, probing media and placing items on
the frame grid happen in later stages. Imports only ``timebase`` and ``errors``.

The same models build an EDL in code::

    >>> edl = Edl(version=1, output=Output(size="640x360", fps=24),
    ...           video=[Clip(clip="a.mp4", out=2), Transition(transition="dissolve"),
    ...                  Title(title="The End", duration=2)])
    >>> edl.video[1].type, str(edl.video[1].length)
    ('dissolve', '0.5')
"""

from __future__ import annotations

import difflib
import re
import unicodedata
from fractions import Fraction
from typing import Annotated, Any, Literal, Self, Union

from PIL import ImageColor
from pydantic_core import ErrorDetails, PydanticCustomError
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PlainSerializer,
    PlainValidator,
    Tag,
    ValidationError,
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from assembler.errors import EdlError, Problem, field_path
from assembler.timebase import MAX_FPS, MAX_SECONDS, MIN_FPS, TimeSpec, parse_rate, parse_time, shown

__all__ = [
    "FONT_SUFFIXES",
    "IMAGE_SUFFIXES",
    "Clip",
    "ClipCue",
    "Color",
    "Duck",
    "Edl",
    "Focus",
    "FocusKey",
    "FocusPoint",
    "Image",
    "Marker",
    "Motion",
    "OVERLAY_KINDS",
    "Output",
    "OutputAudio",
    "OutputVideo",
    "Overlay",
    "SAME_AS",
    "Slot",
    "Sound",
    "SubtitleStyle",
    "Subtitles",
    "TRANSITIONS",
    "Take",
    "Title",
    "TitleStyle",
    "Transition",
    "TransitionAudio",
    "TransitionSpec",
    "VideoItem",
]

# The contract's transition names: `cut`, then the overlapping ones (which the contract
# takes from ffmpeg 9.0's xfade; compile.picture says what each is drawn with).
TRANSITIONS = ("cut", *(
    "fade wipeleft wiperight wipeup wipedown slideleft slideright slideup slidedown circlecrop "
    "rectcrop distance fadeblack fadewhite radial smoothleft smoothright smoothup smoothdown "
    "circleopen circleclose vertopen vertclose horzopen horzclose dissolve pixelize diagtl diagtr "
    "diagbl diagbr hlslice hrslice vuslice vdslice hblur fadegrays wipetl wipetr wipebl wipebr "
    "squeezeh squeezev zoomin fadefast fadeslow hlwind hrwind vuwind vdwind coverleft coverright "
    "coverup coverdown revealleft revealright revealup revealdown"
).split())
# Names the contract gives one transition twice: `dissolve` is the cross-dissolve, `fade`.
SAME_AS = {"dissolve": "fade"}
DEFAULT_TRANSITION_SECONDS = "0.5"
# Validated by Transition (the message names the item); the schema lists the names for editors.
TransitionName = Annotated[str, WithJsonSchema({"enum": list(TRANSITIONS)})]


def _parse_time_field(value: Any) -> TimeSpec:
    return parse_time(value)


Time = Annotated[
    TimeSpec,
    PlainValidator(_parse_time_field),
    PlainSerializer(lambda t: str(t), return_type=str),
    WithJsonSchema({
        "anyOf": [
            {"type": "number", "minimum": 0, "maximum": MAX_SECONDS},
            # The notations of timebase.parse_time, so that an editor flags what the loader rejects.
            {"type": "string", "pattern": r"^\s*((\d+(\.\d*)?|\.\d+)\s*s?|\d+\s*f|(\d+:)?\d+:\d+(\.\d+)?"
                                          r"|\d+:\d{1,2}:\d{1,2}[:;]\d+)\s*$"},
        ],
        "description": "seconds (2.5), clock (\"00:01:02.500\"), SMPTE (\"00:00:04:12\") or frames (\"36f\")",
    }),
]


def _parse_color(value: Any) -> str:
    """Any colour Pillow understands (names, #rgb, #rrggbb, rgb()), or 0xRRGGBB, with an
    optional ``@alpha``. Normalised to the contract's hex form ``0xRRGGBB[AA]`` (AA the
    opacity, left out when opaque)."""
    if not isinstance(value, str):
        raise ValueError("a colour must be a string such as black, \"#1a2b3c\" or 0x1A2B3C")
    text, _, alpha = value.strip().partition("@")
    if text.lower().startswith("0x"):
        text = "#" + text[2:]
    try:
        rgb = ImageColor.getrgb(text)
    except ValueError:
        raise ValueError(f"unknown colour {value!r}; use a name (black, white, navy...) or \"#rrggbb\"") from None
    out = "0x" + "".join(f"{c:02X}" for c in rgb[:3])
    a = rgb[3] if len(rgb) == 4 else 255
    if alpha:
        try:
            factor = float(alpha)
        except ValueError:
            raise ValueError(f"colour {value!r}: the part after @ must be an opacity 0..1") from None
        if not 0 <= factor <= 1:
            raise ValueError(f"colour {value!r}: opacity must be between 0 and 1")
        a = round(a * factor)
    return out + (f"{a:02X}" if a != 255 else "")


ColorValue = Annotated[
    str,
    PlainValidator(_parse_color),
    WithJsonSchema({"type": "string", "description": "colour name, \"#rrggbb\" or 0xRRGGBB, optional @opacity",
                    "examples": ["black", "white", "#14213d", "black@0.4"]}),
]

# Font files, told apart from family names by the suffix (a series file's paths are
# rebased by it, model.series; the timeline reads the files).
FONT_SUFFIXES = {".ttf", ".otf", ".ttc", ".otc"}

# Stills a title card can stand on, told apart from colours by the file's suffix.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".webp", ".bmp", ".tif", ".tiff", ".gif")


def _is_image_path(value: Any) -> bool:
    return isinstance(value, str) and value.strip().lower().endswith(IMAGE_SUFFIXES)


def _parse_background(value: Any) -> str:
    """A colour (normalised as :func:`_parse_color` does), or an image file's path as written."""
    return value.strip() if _is_image_path(value) else _parse_color(value)


Background = Annotated[
    str,
    PlainValidator(_parse_background),
    WithJsonSchema({"type": "string", "description": "colour name, \"#rrggbb\" or 0xRRGGBB, or an image file "
                                                     "(.png, .jpg...) shown fitted (cover) behind the text"}),
]


# 8K: DCI's 8192 wide, UHD's 4320 high, either way up; more is a typo, and a frame
# that size is already 100 MB of raw picture for every filter that holds one.
MAX_SIDE, MAX_AREA = 8192, 8192 * 4320
_SIZE = re.compile(r"^\s*(\d{1,5})\s*[xX]\s*(\d{1,5})\s*$")


def _parse_size(value: Any) -> tuple[int, int]:
    if isinstance(value, str) and (m := _SIZE.match(value)):
        size = (int(m[1]), int(m[2]))
    elif isinstance(value, (list, tuple)) and len(value) == 2 and all(isinstance(v, int) for v in value):
        size = (value[0], value[1])
    elif isinstance(value, int) and not isinstance(value, bool):
        # YAML reads an unquoted 0x360 as a hexadecimal number (864), and 0x0 as 0.
        raise ValueError(f"size {value} is a number, not WIDTHxHEIGHT; a size written 0x... is read as a "
                         "hexadecimal number: write it as \"640x360\", in quotes")
    else:
        raise ValueError(f"size {shown(value)} must look like 1920x1080")
    if not all(16 <= v <= MAX_SIDE for v in size) or size[0] * size[1] > MAX_AREA:
        raise ValueError(f"size {shown(value)} is out of range (16..{MAX_SIDE} pixels a side, "
                         f"at most 8K: {MAX_SIDE}x4320 or 4320x{MAX_SIDE})")
    if any(v % 2 for v in size):
        raise ValueError(f"size {value!r}: width and height must be even (4:2:0 video)")
    return size


Size = Annotated[
    tuple[int, int],
    PlainValidator(_parse_size),
    PlainSerializer(lambda s: f"{s[0]}x{s[1]}", return_type=str),
    WithJsonSchema({"type": "string", "pattern": r"^\d+x\d+$", "description": "WIDTHxHEIGHT, e.g. 1920x1080",
                    "examples": ["1920x1080", "1280x720", "1080x1920"]}),
]


def _parse_fps(value: Any):
    return parse_rate(value)


Fps = Annotated[
    Any,
    PlainValidator(_parse_fps),
    PlainSerializer(lambda r: str(r) if r.denominator != 1 else r.numerator),
    WithJsonSchema({"anyOf": [{"type": "number", "minimum": MIN_FPS, "maximum": MAX_FPS}, {"type": "string", "pattern": r"^\d+(\.\d+)?(/\d+)?$"}],
                    "description": "24, 29.97 or \"30000/1001\"", "examples": [24, 25, 30, "24000/1001"]}),
]

Fit = Literal["contain", "cover", "stretch"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    def __init__(self, /, **data: Any) -> None:
        # A model built in code reports a typo as the file loader does (an EdlError with
        # the field and "did you mean"), and is still the ValidationError it used to be.
        try:
            super().__init__(**data)
        except ValidationError as exc:
            if isinstance(exc, ModelError):
                raise
            raise ModelError.of(type(self).__name__, exc) from None

    # Marked as pydantic's own: models nested in a dict are validated by pydantic-core in
    # one pass (every problem at once), never through this __init__.
    __init__.__pydantic_base_init__ = True  # type: ignore[attr-defined]

    # pydantic's other ways in (a dict, a JSON text) say what is wrong the same way.
    @classmethod
    def model_validate(cls, obj: Any, **options: Any) -> Self:
        try:
            return super().model_validate(obj, **options)
        except ValidationError as exc:
            raise exc if isinstance(exc, ModelError) else ModelError.of(cls.__name__, exc) from None

    @classmethod
    def model_validate_json(cls, json_data: str | bytes | bytearray, **options: Any) -> Self:
        try:
            return super().model_validate_json(json_data, **options)
        except ValidationError as exc:
            raise exc if isinstance(exc, ModelError) else ModelError.of(cls.__name__, exc) from None


class OutputVideo(_Model):
    """Video encoder settings."""

    codec: str = Field("libx264", description="ffmpeg video encoder")
    crf: int | None = Field(20, ge=0, le=63, description="constant rate factor: lower is better and bigger; "
                                                         "ignored when `bitrate` is set")
    preset: str | None = Field("medium", description="encoder speed/size trade-off: ultrafast .. veryslow")
    pix_fmt: str = Field("yuv420p", description="pixel format of the output; yuv420p plays everywhere")
    bitrate: str | None = Field(None, description="a target bitrate such as 8M instead of `crf`")


SAMPLE_RATES = (8000, 192000)  # Hz: telephone sound to the most any encoder takes


class OutputAudio(_Model):
    """Audio encoder settings."""

    codec: str = Field("aac", description="ffmpeg audio encoder")
    bitrate: str | None = Field("192k", description="audio bitrate")
    rate: int = Field(48000, ge=SAMPLE_RATES[0], le=SAMPLE_RATES[1], description="sample rate in Hz; every sound is resampled to it")
    channels: int = Field(2, ge=1, le=8, description="channels of the mix (2: stereo)")


class Output(_Model):
    """What the episode is rendered to; every item is conformed to it."""

    size: Size = Field((1920, 1080), description="WIDTHxHEIGHT of the picture, both even")
    fps: Fps = Field(parse_rate(30), description="frame rate: 24, 29.97 or \"30000/1001\"; every edit snaps "
                                                 "to its frame grid")
    fit: Fit = Field("contain", description="how pictures of another shape fill the frame: contain (bars), "
                                            "cover (crop) or stretch; an item's own `fit` overrides it")
    background: ColorValue = Field("0x000000", description="colour behind contained pictures and under "
                                                           "transitions", json_schema_extra={"default": "black"})
    video: OutputVideo = Field(OutputVideo(), description="video encoder settings")
    audio: OutputAudio = Field(OutputAudio(), description="audio encoder settings")
    loudness: float | None = Field(None, ge=-70, le=-5, description="integrated LUFS of the final mix; "
                                                                    "true peak at most -1 dBTP; null: levels as mixed")
    stems: bool = Field(False, description="also write one WAV per sound role beside the output")
    lut: str | None = Field(None, description="a 3D LUT file (.cube or .3dl) applied to every item, "
                                              "after a clip's own")
    burn_info: bool = Field(False, description="draw on every frame, in a small box at the top left, the item "
                                               "under the playhead (a shot slot's id and take, a clip's file name, "
                                               "or the item's kind and place) and the timeline's timecode "
                                               "HH:MM:SS:FF: a review copy to comment on")


Role = Literal["music", "dialogue", "sfx", "other"]


class Duck(_Model):
    """Lower an item while any sound of role ``under`` plays."""

    under: Role = Field(description="the role whose sound this item makes way for")
    amount: float = Field(-12.0, ge=-60, le=0, description="how far the item is lowered, in dB")
    attack: Time = Field(parse_time(0.2), description="how long the item takes to go down")
    release: Time = Field(parse_time(0.8), description="how long it takes to come back up")
    follow: Literal["audible", "span"] = Field(
        "audible", description="audible: duck where the `under` sounds are above -40 dBFS in the mix, after their "
        "volume (pauses of 0.3 s or more let the item back up, gaps shorter than attack + release stay ducked); "
        "span: for the whole of each item")


class Sound(_Model):
    """A sound on a track of its own (``audio:``), or attached to a clip (``video[i].audio``,
    where ``start`` counts from the clip's first frame)."""

    file: str = Field(min_length=1, description="the sound file (any format ffmpeg reads, or a video's sound)")
    role: Role | None = Field(None, description="what the sound is, for ducking and stems; "
                                                "default: other on a track, dialogue on a clip")
    start: Time = Field(TimeSpec(), description="where it starts on the timeline (attached to a clip: "
                                                "from the clip's first frame)")
    in_: Time = Field(TimeSpec(), alias="in", description="where it starts in the source")
    out: Time | None = Field(None, description="where it stops in the source (or give `duration`)")
    duration: Time | None = Field(None, description="how long it plays; default: to the source's or the "
                                                    "timeline's end, whichever comes first")
    volume: float = Field(0.0, ge=-60, le=30, description="gain in dB")
    fade_in: Time = Field(TimeSpec(), description="fade from silence over this long")
    fade_out: Time = Field(TimeSpec(), description="fade to silence over this long at its end")
    loop: bool = Field(False, description="repeat the source to fill `duration` or the timeline")
    duck: Duck | None = Field(None, description="lower this sound while sounds of another role play")

    @model_validator(mode="after")
    def _out_or_duration(self) -> Sound:
        if self.out is not None and self.duration is not None:
            raise ValueError("give `out` or `duration`, not both")
        return self


class TransitionAudio(_Model):
    """A J-cut (``lead``: the incoming sound starts that much before its picture) or an
    L-cut (``lag``: the outgoing sound runs on that much under the next picture)."""

    lead: Time | None = Field(None, description="J-cut: the incoming sound starts this much before its "
                                                "picture")
    lag: Time | None = Field(None, description="L-cut: the outgoing sound runs on this much under the next "
                                               "picture")

    @model_validator(mode="after")
    def _one(self) -> TransitionAudio:
        if self.lead is not None and self.lag is not None:
            raise ValueError("give `lead` (J-cut) or `lag` (L-cut), not both")
        return self


class Marker(_Model):
    """A named point on the timeline, written into the output as the start of a chapter."""

    at: Time = Field(description="where the chapter starts on the timeline")
    name: str = Field(min_length=1, description="the chapter's title")


class Position(_Model):
    """Where the middle of a text block goes, as fractions of the frame's width and height."""

    x: float = Field(ge=0, le=1, description="0 is the left edge of the frame, 1 the right")
    y: float = Field(ge=0, le=1, description="0 is the top edge of the frame, 1 the bottom")


class TitleStyle(_Model):
    """Text style of a title card. ``font`` is a font file path (relative to the EDL) or
    the bundled family; None means the bundled Noto Sans CJK."""

    font: str | None = Field(None, description="a font file (.ttf, .otf...) or a family; default: the bundled "
                                               "Noto Sans CJK SC", examples=["Noto Sans CJK SC", "fonts/Title.ttf"])
    size: int = Field(72, ge=4, le=1000, description="text height in pixels of a 1080-line frame; scaled with the output")
    color: ColorValue = Field("0xFFFFFF", description="colour of the text",
                              json_schema_extra={"default": "white"})
    position: Literal["center", "top", "bottom", "left", "right", "top-left", "top-right", "bottom-left",
                      "bottom-right"] | Position = Field("center", description="a named place, or {x, y}: "
                                                         "the middle of the text as fractions of the frame")


class ClipCue(_Model):
    """A subtitle attached to a clip; ``start`` and ``end`` count from the clip's first
    frame on the timeline, so the cue moves with the clip and is cut at its end."""

    start: Time = Field(description="when the cue appears, from the item's first frame")
    end: Time = Field(description="when it goes, from the item's first frame")
    text: str = Field(min_length=1, description="the words; \\n breaks a line")

    @model_validator(mode="after")
    def _ordered(self) -> ClipCue:
        # With frame counts the rate is needed: the timeline checks those.
        if not self.start.frames and not self.end.frames and self.end.seconds <= self.start.seconds:
            raise ValueError("`end` must be after `start`")
        return self


SubtitleAlignment = Literal["bottom", "top", "center", "bottom-left", "bottom-right", "top-left", "top-right",
                            "left", "right"]


class SubtitleStyle(_Model):
    """How burned subtitles look. Sizes are pixels of a 1080-line frame, scaled with the
    output. ``font`` is a family (the bundled Noto Sans CJK families, or one in
    ``fonts_dir``) or a font file."""

    font: str = Field("Noto Sans CJK SC", description="a family (bundled: Noto Sans CJK SC/TC/JP/KR/HK; or one "
                      "in `fonts_dir`) or a font file", examples=["Noto Sans CJK SC", "Noto Sans CJK JP"])
    size: float = Field(48, ge=4, le=500, description="text height in pixels of a 1080-line frame")
    color: ColorValue = Field("0xFFFFFF", description="colour of the text", json_schema_extra={"default": "white"})
    outline: float = Field(2, ge=0, le=50, description="outline width in pixels of a 1080-line frame")
    outline_color: ColorValue = Field("0x000000", description="colour of the outline",
                                      json_schema_extra={"default": "black"})
    margin_v: float = Field(60, ge=0, le=1000, description="distance from the frame's edge in pixels of a "
                                                           "1080-line frame")
    alignment: SubtitleAlignment | Annotated[int, Field(ge=1, le=9)] = Field(
        "bottom", description="a named place, or the ASS number pad position 1..9")
    bold: bool = Field(False, description="bold text")


def _parse_offset(value: Any) -> TimeSpec:
    """A time that may be negative: ``-1.5``, ``"-00:00:01.500"``."""
    negative = (isinstance(value, (int, float)) and not isinstance(value, bool) and value < 0) or \
        (isinstance(value, str) and value.strip().startswith("-"))
    if not negative:
        return parse_time(value)
    spec = parse_time(-value if not isinstance(value, str) else value.strip()[1:])
    return TimeSpec(-spec.seconds, -spec.frames, "-" + spec.text)


SignedTime = Annotated[
    TimeSpec,
    PlainValidator(_parse_offset),
    PlainSerializer(lambda t: str(t), return_type=str),
    WithJsonSchema({"anyOf": [{"type": "number"}, {"type": "string"}],
                    "description": "a time as for any other field, with an optional minus sign"}),
]


class Subtitles(_Model):
    """Dialogue subtitles: cues from ``file`` (times on the timeline, moved by ``offset``)
    and cues attached to clips. Three ways out, in any combination; when none is named,
    they are burned."""

    file: str | None = Field(None, description="a subtitle file (.srt, .ass, .ssa, .vtt), times on the timeline")
    offset: SignedTime = Field(TimeSpec(), description="moves every cue of `file`; may be negative")
    burn: bool | None = Field(None, description="draw the cues into the picture (the default when none of "
                                                "burn, soft, sidecar is given)")
    soft: bool | None = Field(None, description="carry them as a subtitle stream (mov_text) in the MP4")
    sidecar: bool | None = Field(None, description="write <output stem>.srt beside the output")
    language: str | None = Field(None, description="ISO 639 code of the soft stream, e.g. eng, chi")
    style: SubtitleStyle = Field(SubtitleStyle(), description="how burned cues look; when given, every cue "
                                                              "takes it (an .ass file's own styles otherwise)")
    fonts_dir: str | None = Field(None, description="a folder of more font families for subtitles and titles")

    @property
    def ways(self) -> tuple[bool, bool, bool]:
        """(burn, soft, sidecar) as asked; burning when nothing is said."""
        if self.burn is None and self.soft is None and self.sidecar is None:
            return True, False, False
        return bool(self.burn), bool(self.soft), bool(self.sidecar)


Anchor = Literal["center", "top", "bottom", "left", "right", "top-left", "top-right", "bottom-left", "bottom-right"]


class Overlay(_Model):
    """A layer above the main track: one of ``image``, ``clip``, ``title`` or ``color``,
    from ``start`` (timeline time) to ``end`` or for ``duration`` (default: to the end of
    the timeline, or of the clip). Later items are drawn on top of earlier ones.

    ``position``: a named anchor puts the layer's matching edge or corner 5 % of the
    frame's height in from the frame's edge (``center`` centres it); ``{x, y}`` puts the
    layer's centre at those fractions of the frame. A title's text is placed as on a
    title card. ``scale``: the layer's width as a fraction of the frame's width (default:
    its own size in pixels; a colour fills the frame)."""

    image: str | None = Field(None, min_length=1, description="a picture file as the layer (PNG keeps its "
                                                              "transparency)")
    clip: str | None = Field(None, min_length=1, description="a video file as the layer (picture-in-picture, "
                                                             "silent)")
    title: str | None = Field(None, description="text drawn on the picture")
    color: ColorValue | None = Field(None, description="a colour layer, e.g. \"black@0.4\"")
    start: Time = Field(TimeSpec(), description="where the layer appears on the timeline")
    end: Time | None = Field(None, description="where it goes; default: the end of the timeline or of the clip")
    duration: Time | None = Field(None, description="how long it shows (instead of `end`)")
    in_: Time = Field(TimeSpec(), alias="in", description="where a clip starts playing in its source")
    position: Anchor | Position = Field("center", description="a named anchor (5 % of the frame's height "
                                        "in from the edge) or {x, y}: the layer's centre as fractions of the frame")
    scale: float | None = Field(None, gt=0, le=4, description="the layer's width as a fraction of the frame's "
                                                          "width; default: its own pixels (a colour fills the frame)")
    opacity: float = Field(1.0, ge=0, le=1, description="0 transparent .. 1 opaque")
    fade_in: Time = Field(TimeSpec(), description="fade the layer in over this long")
    fade_out: Time = Field(TimeSpec(), description="fade it out over this long before its end")
    style: TitleStyle | None = Field(None, description="a title layer's font, size and colour (its place is "
                                                       "`position`)")

    @model_validator(mode="after")
    def _one_kind(self) -> Overlay:
        kinds = [k for k in OVERLAY_KINDS if getattr(self, k) is not None]
        if len(kinds) != 1:
            raise ValueError(f"an overlay needs exactly one of {', '.join(OVERLAY_KINDS)}"
                             + (f" (it has {' and '.join(kinds)})" if kinds else ""))
        if self.end is not None and self.duration is not None:
            raise ValueError("give `end` or `duration`, not both")
        return self

    @property
    def kind(self) -> Literal["image", "clip", "title", "color"]:
        return next(k for k in OVERLAY_KINDS if getattr(self, k) is not None)


OVERLAY_KINDS: tuple[Literal["image", "clip", "title", "color"], ...] = ("image", "clip", "title", "color")


Fraction01 = Annotated[float, Field(ge=0, le=1)]


class FocusPoint(_Model):
    """The point of a picture that a ``cover`` crop keeps in the frame, as near the frame's
    centre as the picture allows (the crop never leaves the picture, so no bars appear)."""

    x: Fraction01 = Field(description="0 is the picture's left edge, 1 its right")
    y: Fraction01 = Field(description="0 is the picture's top edge, 1 its bottom")


# A keyframe [time, x, y]: time on the item's own clock (from its first frame).
FocusKey = tuple[Time, Fraction01, Fraction01]


def _increasing(keys: list[FocusKey]) -> list[FocusKey]:
    # Times in frames need the output's rate: the timeline checks those (on the frame grid).
    for n in range(1, len(keys)):
        before, after = keys[n - 1][0], keys[n][0]
        if not before.frames and not after.frames and after.seconds <= before.seconds:
            raise ValueError(f"keyframe times must increase: [{n}] at {after} s is not after [{n - 1}] at {before} s")
    return keys


Focus = Union[FocusPoint, Annotated[list[FocusKey], Field(min_length=1), AfterValidator(_increasing)]]


class Clip(_Model):
    """A video file, trimmed to ``in``..``out`` (or ``in`` + ``duration``) of the source."""

    clip: str = Field(min_length=1, description="the video file (relative to the EDL's folder or media_root)")
    in_: Time = Field(TimeSpec(), alias="in", description="source in-point (SMPTE frames at the source's rate)")
    out: Time | None = Field(None, description="source out-point; default: the end of the source")
    duration: Time | None = Field(None, description="how much of the source plays from `in` (instead of `out`)")
    fit: Fit | None = Field(None, description="contain, cover or stretch; default: output.fit")
    focus: Focus | None = Field(None, description="where a `cover` crop looks: {x, y} (fractions of the source "
                                "picture), or [[time, x, y], ...] keyframes on the item's own clock, eased; "
                                "default: the centre")
    speed: float = Field(1.0, ge=0.25, le=4.0, description="playback speed 0.25..4; the sound keeps its pitch")
    volume: float = Field(0.0, ge=-60, le=30, description="dB applied to the clip's own sound")
    mute: bool = Field(False, description="drop the clip's own sound")
    role: Role = Field("other", description="the role of the clip's own sound, for ducking")
    lut: str | None = Field(None, description="a 3D LUT file (.cube or .3dl) for this clip, before output.lut")
    subtitles: list[ClipCue] = Field([], description="cues that move with the clip, times from its first frame")
    audio: list[Sound] = Field([], description="sounds that move with the clip, `start` from its first frame")

    @model_validator(mode="after")
    def _out_or_duration(self) -> Clip:
        if self.out is not None and self.duration is not None:
            raise ValueError("give `out` or `duration`, not both")
        return self


class Take(_Model):
    """One generated take of a shot slot: its file, and where it came from (for people and
    for ``assembler takes``; nothing but ``file`` changes what is rendered)."""

    file: str = Field(min_length=1, description="the take's video file")
    model: str | None = Field(None, description="what made it (a model's name)")
    prompt: str | None = Field(None, description="the prompt it was made from")
    seed: int | str | None = Field(None, description="the seed it was made with")
    notes: str | None = Field(None, description="anything a person wants to remember about it")


FitLength = Literal["trim", "hold", "retime", "ripple"]
# How far `retime` may change a take's speed: a clip's own `speed` range.
RETIME_RANGE = (Fraction(1, 4), Fraction(4))


class Slot(_Model):
    """A shot slot (``shot: s02``): several takes of one shot, one of them picked. It plays
    as the clip of its picked take (``model.takes`` lowers it), trimmed, held, retimed or
    rippled to the slot's ``length``; everything else a clip has stays with the slot, so a
    new pick keeps its fit, volume, LUT, sounds and cues."""

    shot: str = Field(min_length=1, description="the slot's id, unique in the EDL (`--pick ID=TAKE` names it)")
    takes: dict[str, Annotated[str, Field(min_length=1)] | Take] = Field(
        description="take name -> a file, or {file, model, prompt, seed, notes}")
    pick: str | None = Field(None, description="the take that plays; default: the first")
    length: Time | None = Field(None, description="the directed length of the slot; default: the take's own, "
                                                  "from `in`")
    in_: Time = Field(TimeSpec(), alias="in", description="where every take starts playing in its source")
    fit_length: FitLength = Field("trim", description="a take of another length than the slot's: trim (cut to "
                                  "`length`; an error if shorter), hold (its last frame held to fill), retime "
                                  "(its speed changed to fit, 0.25..4) or ripple (the slot takes the take's length)")
    fit: Fit | None = Field(None, description="contain, cover or stretch; default: output.fit")
    focus: Focus | None = Field(None, description="where a `cover` crop looks: {x, y} (fractions of the source "
                                "picture), or [[time, x, y], ...] keyframes on the item's own clock, eased; "
                                "default: the centre")
    volume: float = Field(0.0, ge=-60, le=30, description="dB applied to the take's own sound")
    mute: bool = Field(False, description="drop the take's own sound")
    role: Role = Field("other", description="the role of the take's own sound, for ducking")
    lut: str | None = Field(None, description="a 3D LUT file (.cube or .3dl) for this slot, before output.lut")
    subtitles: list[ClipCue] = Field([], description="cues that move with the slot, times from its first frame")
    audio: list[Sound] = Field([], description="sounds that move with the slot, `start` from its first frame")

    @field_validator("takes")
    @classmethod
    def _some(cls, value: dict) -> dict:
        if not value:
            raise ValueError("a slot needs at least one take")
        return value

    @field_validator("pick", mode="before")
    @classmethod
    def _named(cls, value: Any) -> Any:
        # YAML reads `pick: 2` as a number, and the take named `2` as the key "2".
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

    @field_validator("pick")
    @classmethod
    def _known_pick(cls, value: str | None, info: ValidationInfo) -> str | None:
        takes = info.data.get("takes")
        if value is not None and takes and value not in takes:
            raise PydanticCustomError("unknown_pick", "no take `{pick}` in this slot (its takes: {names})",
                                      {"pick": value, "names": ", ".join(map(str, takes))})
        return value

    @property
    def picked(self) -> str:
        """The name of the take that plays."""
        return self.pick if self.pick is not None else next(iter(self.takes))

    def file_of(self, name: str) -> str:
        take = self.takes[name]
        return take if isinstance(take, str) else take.file


Zoom = Annotated[float, Field(ge=1, le=8)]


class Motion(_Model):
    """A still's slow push-in or pan over its whole duration (the "Ken Burns" move):
    ``zoom`` from the fitted picture (1) to a magnification, ``focus`` the point of the
    picture the view is centred on at the start and at the end, as fractions of the
    frame. The view never leaves the picture: near an edge the centre gives way."""

    zoom: tuple[Zoom, Zoom] = Field((1.0, 1.0), description="[start, end] magnification, 1 (the fitted picture) "
                                                            "to 8")
    focus: tuple[tuple[Fraction01, Fraction01], tuple[Fraction01, Fraction01]] = Field(
        ((0.5, 0.5), (0.5, 0.5)), description="[[x, y], [x, y]]: the centre of the view at the start and the end, "
                                              "fractions of the frame")

    @property
    def still(self) -> bool:
        """True when nothing moves (the whole picture, all the time)."""
        return self.zoom == (1.0, 1.0)


class Image(_Model):
    """A still image shown for ``duration``, optionally in ``motion``."""

    image: str = Field(min_length=1, description="the picture file")
    duration: Time = Field(parse_time(3), description="how long it shows")
    fit: Fit | None = Field(None, description="contain, cover or stretch; default: output.fit")
    motion: Motion | None = Field(None, description="a slow push-in or pan over the whole duration")
    focus: Focus | None = Field(None, description="where a `cover` crop looks: {x, y} (fractions of the source "
                                "picture), or [[time, x, y], ...] keyframes, eased; a still in `motion` is framed "
                                "by `motion.focus` instead")
    subtitles: list[ClipCue] = Field([], description="cues that move with the still, times from its first frame")


class Title(_Model):
    """A text card: ``title`` (may hold several lines) on a background colour or picture."""

    title: str = Field(description="the text; \\n breaks a line")
    duration: Time = Field(parse_time(3), description="how long the card shows")
    background: Background = Field("0x000000", description="a colour, or an image file fitted (cover) behind "
                                                           "the text", json_schema_extra={"default": "black"})
    style: TitleStyle = Field(TitleStyle(), description="font, size, colour and position of the text")
    focus: Focus | None = Field(None, description="where the background picture's crop looks: {x, y} (fractions "
                                "of the picture), or [[time, x, y], ...] keyframes, eased; default: the centre")
    fade_in: Time = Field(TimeSpec(), description="the text fades in over the background over this long")
    fade_out: Time = Field(TimeSpec(), description="the text fades out over this long before the card ends")
    subtitles: list[ClipCue] = Field([], description="cues that move with the card, times from its first frame")

    @property
    def background_image(self) -> str | None:
        """The background's image path, or None when the background is a colour."""
        return self.background if _is_image_path(self.background) else None


class Color(_Model):
    """A solid colour (slate, black) for ``duration``."""

    color: ColorValue = Field(description="the colour, e.g. black or \"#14213d\"")
    duration: Time = Field(parse_time(1), description="how long it shows")
    subtitles: list[ClipCue] = Field([], description="cues that move with the slate, times from its first frame")


class TransitionSpec(_Model):
    """The long form ``transition: {type: wipeleft, duration: 0.75}``."""

    type: TransitionName = Field(description="the transition's name")
    duration: Time | None = Field(None, description="the overlap; default 0.5 s (0 for cut)")
    audio: TransitionAudio | None = Field(None, description="a J-cut (lead) or L-cut (lag) of the sound")


class Transition(_Model):
    """A transition between the items before and after it. The overlap of length
    ``duration`` makes the timeline that much shorter."""

    transition: TransitionName | TransitionSpec = Field(description="a name, or {type, duration, audio}")
    duration: Time | None = Field(None, description="the overlap; default 0.5 s (0 for cut); the timeline "
                                                    "gets this much shorter")
    audio: TransitionAudio | None = Field(None, description="a J-cut (lead) or L-cut (lag) of the sound")

    @field_validator("transition")
    @classmethod
    def _known_name(cls, value: str | TransitionSpec) -> str | TransitionSpec:
        name = value if isinstance(value, str) else value.type
        if name not in TRANSITIONS:
            raise ValueError(f"unknown transition {name!r}")
        return value

    @property
    def type(self) -> str:
        return self.transition if isinstance(self.transition, str) else self.transition.type

    @property
    def sound(self) -> TransitionAudio | None:
        """The J/L cut, written beside ``transition`` or inside its long form."""
        nested = None if isinstance(self.transition, str) else self.transition.audio
        return self.audio or nested

    @property
    def length(self) -> TimeSpec:
        """The overlap as written, 0 for a cut, 0.5 s when not given."""
        if self.type == "cut":
            return parse_time(0)
        nested = None if isinstance(self.transition, str) else self.transition.duration
        return self.duration or nested or parse_time(DEFAULT_TRANSITION_SECONDS)


ITEM_KINDS = ("clip", "image", "title", "color", "transition", "shot")


def item_kind(value: Any) -> str | None:
    """Which kind of main-track item a raw mapping or a model is (its identifying key)."""
    if isinstance(value, dict):
        return next((k for k in ITEM_KINDS if k in value), None)
    kinds: dict[type, str] = {Clip: "clip", Image: "image", Title: "title", Color: "color", Transition: "transition",
                              Slot: "shot"}
    return kinds.get(type(value))


VideoItem = Annotated[
    Union[
        Annotated[Clip, Tag("clip")],
        Annotated[Image, Tag("image")],
        Annotated[Title, Tag("title")],
        Annotated[Color, Tag("color")],
        Annotated[Transition, Tag("transition")],
        Annotated[Slot, Tag("shot")],
    ],
    Discriminator(
        item_kind,
        custom_error_type="item_kind",
        custom_error_message="an item of the main track needs one of the keys clip, image, title, color, transition, "
                             "shot",
    ),
]


# A deliverable's name goes into a file name (<stem>.<name>.mp4): letters, digits, - and _.
DeliverableName = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9][A-Za-z0-9_-]*$")]


class Deliverable(_Model):
    """One more file of the same cut (``deliverables:``), written as ``<stem>.<name>.<suffix>``:
    each field given overrides ``output`` for that file (``video``, ``audio`` and
    ``subtitles`` key by key), the rest is the output's. What deliverables share is made
    once: one timeline, one sound when their sound settings agree, and every picture
    segment whose size, rate, fit, layers and encoder agree."""

    name: DeliverableName = Field(description="the file's part: episode.<name>.mp4 (letters, digits, - and _)")
    size: Size | None = Field(None, description="WIDTHxHEIGHT of this file, both even")
    fps: Fps | None = Field(None, description="frame rate of this file")
    fit: Fit | None = Field(None, description="how pictures of another shape fill this frame: contain, cover, "
                                              "stretch (an item's own `fit` still wins; `focus` guides cover)")
    background: ColorValue | None = Field(None, description="colour behind contained pictures")
    video: OutputVideo | None = Field(None, description="encoder settings, over the output's key by key")
    preset: str | None = Field(None, description="the encoder's preset (short for video: {preset})")
    audio: OutputAudio | None = Field(None, description="audio encoder settings, over the output's key by key")
    loudness: float | None = Field(None, ge=-70, le=-5, description="integrated LUFS of this file's mix; "
                                                                    "null: levels as mixed")
    stems: bool | None = Field(None, description="also write one WAV per sound role beside this file")
    burn_info: bool | None = Field(None, description="draw the item's name or shot id, the take and the timeline's "
                                                     "timecode on every frame of this file (a review copy)")
    subtitles: Subtitles | bool | None = Field(None, description="over the EDL's `subtitles` key by "
                                                         "key (burn, soft, sidecar, style, file...); false: none; true: the EDL's")


class Edl(_Model):
    """An edit-decision list, version 1."""

    version: Literal[1] = Field(description="the EDL format's version: 1")
    name: str | None = Field(None, description="the episode's name, for people")
    output: Output = Field(Output(), description="what the episode is rendered to")
    media_root: str | None = Field(None, description="folder that relative paths start from (relative to the "
                                                     "EDL's folder); default: the EDL's folder")
    video: list[VideoItem] = Field(min_length=1, description="the main track, played in order: clip, image, "
                                                             "title, color, shot (a slot of takes) and transition items")
    # Parts of the contract that later issues build; accepted so that files written to the
    # contract load, and reported as "not rendered yet" by the timeline stage.
    overlays: list[Overlay] = Field([], description="layers above the main track; later ones on top")
    audio: list[Sound] = Field([], description="sound tracks beside the main track's own sound")
    subtitles: Subtitles | None = Field(None, description="subtitle cues from a file and from the items")
    markers: list[Marker] = Field([], description="named points, written as chapters into the MP4")
    extends: str | None = Field(None, description="a series (or season) file this one is merged over: mappings "
                                                  "merge key by key, lists are replaced, null removes a value")
    # Read from a series file: played before and after `video`. Loading puts them on the
    # main track (model.series), so a loaded Edl holds them only when `video` is not a list.
    intro: list[VideoItem] = Field([], description="items played before `video` (transitions included); "
                                                   "for a series file")
    outro: list[VideoItem] = Field([], description="items played after `video` (transitions included); "
                                                   "for a series file")
    deliverables: list[Deliverable] = Field([], description="several files of one cut (a 16:9 master, a 9:16 "
                                                             "vertical, a review copy...), each overriding `output`")

    def __repr__(self) -> str:
        kinds = [item_kind(item) for item in self.video]
        parts = [f"{_count(len(self.video), 'item')} ({_count(kinds.count('clip'), 'clip')}, "
                 f"{_count(kinds.count('transition'), 'transition')})",
                 f"{self.output.size[0]}x{self.output.size[1]}@{self.output.fps}"]
        parts += [_count(len(found), what) for found, what in ((self.audio, "sound track"), (self.overlays, "overlay"),
                                                               (self.markers, "marker")) if found]
        parts += ["subtitles"] if self.subtitles else []
        return f"<Edl{f' {self.name!r}' if self.name else ''} {', '.join(parts)}>"

    __str__ = __repr__


def time_fields(value: Any, at: tuple = ()) -> list[tuple[tuple, TimeSpec]]:
    """Every time written in a model (or a list of them), with its field path."""
    if isinstance(value, (list, tuple)):
        return [found for i, v in enumerate(value) for found in time_fields(v, (*at, i))]
    if isinstance(value, TimeSpec):
        return [(at, value)]
    if not isinstance(value, BaseModel):
        return []
    return [found for name, info in type(value).model_fields.items()
            for found in time_fields(getattr(value, name), (*at, info.alias or name))]


def _count(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


_INVISIBLE = ("Cf", "Cc", "Zl", "Zp")


_BOUNDS = ("greater_than", "greater_than_equal", "less_than", "less_than_equal")


def _visible(word: str) -> str:
    return "".join(c for c in word if unicodedata.category(c) not in _INVISIBLE)


def did_you_mean(word: str, choices: set[str] | tuple[str, ...]) -> str | None:
    # A key pasted from a web page or a chat may carry a character no editor shows (a BOM,
    # a zero-width space): the word the user sees is then the one to name.
    hidden = [c for c in word if unicodedata.category(c) in _INVISIBLE]
    visible = _visible(word)
    close = difflib.get_close_matches(visible or word, sorted(choices), n=1, cutoff=0.6)
    if hidden and close:
        shown = "".join(f"\\u{ord(c):04x}" if c in hidden else c for c in word)
        return f"`{shown}` holds a character no editor shows, U+{ord(hidden[0]):04X}: did you mean `{close[0]}`?"
    return f"did you mean `{close[0]}`?" if close else None


def _all_models(base: type[BaseModel] = _Model) -> list[type[BaseModel]]:
    return [m for sub in base.__subclasses__() for m in (sub, *_all_models(sub))]


# Every field name of the contract, for "did you mean" hints on unknown keys.
FIELD_NAMES = {info.alias or name for cls in _all_models() for name, info in cls.model_fields.items()}


# pydantic's complaints that only say which member of a union a value was not: when the
# value failed another member for a reason of its own, that reason is the one to give.
_WRONG_TYPE = {"string_type", "dict_type", "model_type", "model_attributes_type", "int_type", "int_parsing",
               "float_type", "float_parsing", "bool_type", "bool_parsing", "list_type", "is_instance_of"}


def explain_all(errors: list[Any]) -> list[tuple[tuple, str, str | None]]:
    """pydantic's errors in the contract's words, one per field: (field path, message, hint).
    A value that fits none of a union's members (a position that is neither an anchor
    nor ``{x, y}``) is one problem, the member's that says most, not one per member."""
    explained = [(explain(err), err["type"], err.get("input")) for err in errors]
    specific = {path for (path, _, _), kind, _ in explained if kind not in _WRONG_TYPE}
    found: dict[tuple, tuple[tuple, str, str | None]] = {}
    for (path, message, hint), kind, given in explained:
        # A mapping given where a name or a mapping may stand: its own fields say what is wrong.
        named = kind == "literal_error" and isinstance(given, dict)
        covered = (kind in _WRONG_TYPE or named) and any(p[:len(path)] == path and p != path for p in specific) \
            or kind in _WRONG_TYPE and path in specific
        if not covered and path not in found:
            found[path] = (path, message, hint)
    return list(found.values())


def explain(err: Any) -> tuple[tuple, str, str | None]:
    """One of pydantic's errors in the contract's words: (field path, message, hint)."""
    loc = list(err["loc"])
    # pydantic puts the union tag into the location: video.3.clip.out -> video.3.out
    if len(loc) >= 3 and loc[0] == "video" and isinstance(loc[1], int) and loc[2] in ITEM_KINDS:
        del loc[2]
    # ...and the member's name inside a union field (position.Position, alignment.constrained-int),
    # which no user wrote: every step of a path is a field, an index, or (last) an unknown key.
    kind = err["type"]
    last = len(loc) - 1 if kind == "extra_forbidden" else len(loc)
    # A slot's take names are the user's keys: `takes.a.file`.
    path = tuple(step for n, step in enumerate(loc) if n >= last or isinstance(step, int) or step in FIELD_NAMES
                 or n and loc[n - 1] == "takes")
    message, hint = err["msg"], None
    if message.startswith("Value error, "):
        message = message[len("Value error, "):]
    given = err.get("input")
    if isinstance(given, float) and given != given and kind in _BOUNDS:  # YAML's .nan fails every bound
        message = "NaN is not a number (YAML reads .nan as one): give a number"
    if kind == "extra_forbidden":
        message = f"unknown field `{path[-1]}`"
        # A field of another part of the EDL (`fps` in an item) is not a typo of itself.
        hint = did_you_mean(str(path[-1]), FIELD_NAMES) if path[-1] not in FIELD_NAMES \
            else f"an item is of one kind: give `{path[-1]}` an item of its own" if path[-1] in ITEM_KINDS \
            else f"`{path[-1]}` is a field of another part of the EDL; see `assembler schema`"
    elif "focus" in path and path[path.index("focus") - 1:path.index("focus")] != ("motion",):
        # An item's focus (not a moving still's `motion.focus`, a pair of points).
        below = path[path.index("focus") + 1:]
        if len(below) == 2 and kind == "missing" or len(below) == 1 and kind in ("too_long", "too_short"):
            message = f"a keyframe is [time, x, y], not {shown(err.get('input'))}" if kind != "missing" \
                else "a keyframe is [time, x, y]: this one is short of a value"
            path = path[:-1] if kind == "missing" else path  # the keyframe, not the value it lacks
        elif kind == "missing":
            message = f"`{path[-1]}` is required"
        elif not below and kind in _WRONG_TYPE:
            message = f"a focus is {{x, y}} or a list of [time, x, y] keyframes, not {shown(err.get('input'))}"
        if "increase" not in message:
            hint = "x and y are fractions of the source picture (0, 0 its top-left; 1, 1 its bottom-right), e.g. " \
                   "focus: {x: 0.7, y: 0.4} or focus: [[0, 0.2, 0.5], [3, 0.8, 0.5]]"
    elif kind == "missing":
        message = f"`{path[-1]}` is required"
    elif path[:1] == ("deliverables",) and path[-1:] == ("name",) and kind == "string_pattern_mismatch":
        message = f"{shown(err.get('input'))} cannot name a file's part: letters, digits, - and _ only"
        hint = "e.g. vertical, review, tiktok-9x16"
    elif kind == "item_kind" and isinstance(err.get("input"), dict):
        # The key most like a kind is the one meant (not the first: `duration` is like `transition`).
        keys = sorted(map(str, err["input"]), key=lambda k: -max(
            difflib.SequenceMatcher(None, _visible(k), kind).ratio() for kind in ITEM_KINDS))
        hint = next((g for g in (did_you_mean(k, ITEM_KINDS) for k in keys) if g), None)
    elif kind == "unknown_pick":
        hint = did_you_mean(str(err.get("input")), tuple((err.get("ctx") or {}).get("names", "").split(", ")))
    elif kind == "literal_error" and path == ("version",):
        message = f"version must be 1, not {err.get('input')!r}"
    elif kind == "literal_error" and isinstance(err.get("input"), str):
        expected = str((err.get("ctx") or {}).get("expected", ""))
        hint = did_you_mean(err["input"], tuple(re.findall(r"'([^']*)'", expected)))
        if path[-1] == "alignment":
            hint = f"{hint + ' ' if hint else ''}or a number 1-9, as on the ASS number pad"
    elif path[-1:] == ("fps",) and "out of range" in message:
        hint = "the usual rates are 24, 25, 30 and 60, and NTSC's 23.976, 29.97 and 59.94"
    elif path[-1:] == ("rate",) and kind in ("greater_than_equal", "less_than_equal"):
        low, high = SAMPLE_RATES
        message = f"sample rate {err.get('input')!r} Hz is out of range ({low} <= rate <= {high})"
        hint = "the usual rates are 48000 for video and 44100 for music"
    elif "unknown colour" in message and isinstance(err.get("input"), str):
        hint = did_you_mean(err["input"].partition("@")[0].strip().lower(), tuple(ImageColor.colormap))
    elif "unknown transition" in message:
        given = err.get("input")
        given = given.get("type") if isinstance(given, dict) else given
        name = str(given if isinstance(given, str) else path[-1])
        hint = did_you_mean(name, TRANSITIONS) or "see `assembler schema` for the names"
    return path, message, hint


class ModelError(EdlError, ValidationError):
    """A model built in code that is invalid: an EdlError (every problem, located by field
    path, with the loader's hints) that is also pydantic's ValidationError."""

    _found: list[ErrorDetails]  # pydantic's errors as it found them, with their context

    def __init__(self, *args: Any) -> None:  # pydantic-core passes its own arguments
        pass

    def __str__(self) -> str:
        return EdlError.__str__(self)

    def errors(self, **options: Any) -> list[ErrorDetails]:
        return self._found if not options else super().errors(**options)

    @classmethod
    def of(cls, model_name: str, error: ValidationError) -> ModelError:
        found = error.errors()
        # Kinds of our own (an item of no known kind) are no type pydantic-core knows by name:
        # each goes back in as a custom error of its kind, and errors() stays the original's.
        made = cls.from_exception_data(error.title, [{"type": PydanticCustomError(e["type"], e["msg"]), "loc": e["loc"],
                                                      "input": e["input"]} for e in found])
        made._found = found
        where = f"{model_name}(...)"
        EdlError.__init__(made, [Problem(where, None, field_path(p), m, h) for p, m, h in explain_all(found)])
        return made
