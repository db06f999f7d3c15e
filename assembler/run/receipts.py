"""The receipt beside a render, as one typed schema: written by render, read by verify, by a
render that finds its output up to date, and by the bench.

Contract: a :class:`Receipt` <-> the JSON of ``<output>.receipt.json``. Reading is strict
where a reader depends on it: a receipt that is not one (damaged, edited, crafted) is a
:class:`~assembler.errors.UsageError` naming the first field that is wrong. The fields
verify needs (the EDL's path, each input's path and sha256, the output's path and sha256)
must be there; every other field may be missing (a receipt another version wrote) but is
of its type when present. Writing gives back the keys, in the order, that receipts have
always had, so that older readers and older receipts keep working.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from assembler.errors import UsageError

__all__ = ["BesideLine", "EdlLine", "FFmpegLine", "InputLine", "OutputLine", "Receipt", "SegmentLine", "SoundLine",
           "Timings", "frozen"]

RECEIPT_BYTES = 256 * 2**20  # far above any real receipt (one line per segment)


class _Wrong(Exception):
    """A field of the wrong shape; said as a UsageError once the file's name is known."""


def _kind(value: Any) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "true/false", int: "a number",
             float: "a number", type(None): "null"}
    if isinstance(value, str) and "\0" in value:
        return "a string holding NUL"
    text = names.get(type(value), type(value).__name__)
    return text if isinstance(value, (dict, list, str)) else f"{text} ({json.dumps(value)[:40]})"


def _object(value: Any, at: str) -> dict:
    if not isinstance(value, dict):
        raise _Wrong(f"{at or 'the receipt'}: expected an object, found {_kind(value)}")
    return value


def _list(value: Any, at: str) -> list:
    if not isinstance(value, list):
        raise _Wrong(f"{at}: expected a list, found {_kind(value)}")
    return value


def _string(value: Any, at: str, null: bool = False) -> Any:
    if (value is None and null) or (isinstance(value, str) and "\0" not in value):
        return value
    raise _Wrong(f"{at}: expected {'a string or null' if null else 'a string'}, found {_kind(value)}")


def _number(value: Any, at: str) -> Any:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    raise _Wrong(f"{at}: expected a number, found {_kind(value)}")


def _flag(value: Any, at: str) -> bool:
    if isinstance(value, bool):
        return value
    raise _Wrong(f"{at}: expected true/false, found {_kind(value)}")


def frozen(value: Any) -> Any:
    """JSON lists as tuples, all the way down (objects stay as they are: measurements)."""
    return tuple(frozen(v) for v in value) if isinstance(value, list) else value


def _field(data: dict, key: str, at: str, read: Callable[[Any, str], Any], required: bool = False,
           default: Any = None) -> Any:
    where = f"{at}.{key}" if at else key
    if key not in data:
        if required:
            raise _Wrong(f"{where} is missing (this file is not a receipt assembler wrote)")
        return default
    return read(data[key], where)


def _nullable(read: Callable[[Any, str], Any]) -> Callable[[Any, str], Any]:
    return lambda value, at: None if value is None else read(value, at)


def _strings(value: Any, at: str) -> tuple[str, ...]:
    return tuple(_string(v, f"{at}[{n}]") for n, v in enumerate(_list(value, at)))


def _lines(value: Any, at: str) -> tuple:
    """A list of anything JSON holds (windows, commands, ffmpeg's lines), kept as read."""
    return frozen(_list(value, at))


def _each(read: Callable[[dict, str], Any]) -> Callable[[Any, str], tuple]:
    return lambda value, at: tuple(read(_object(v, f"{at}[{n}]"), f"{at}[{n}]")
                                   for n, v in enumerate(_list(value, at)))


def _thawed(value: Any) -> Any:
    return [_thawed(v) for v in value] if isinstance(value, tuple) else value


@dataclass(frozen=True)
class FFmpegLine:
    path: str
    version: str
    fingerprint: str

    def to_json(self) -> dict:
        return {"path": self.path, "version": self.version, "fingerprint": self.fingerprint}

    @staticmethod
    def from_json(data: dict, at: str) -> FFmpegLine:
        return FFmpegLine(*(_field(data, k, at, _string, default="") for k in ("path", "version", "fingerprint")))


@dataclass(frozen=True)
class EdlLine:
    path: str | None  # None: an EDL built in code
    sha256: str
    # (slot, take) of each shot slot as it played: with --pick, not what the file says
    picks: tuple[tuple[str, str], ...] = ()

    def to_json(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, **({"picks": dict(self.picks)} if self.picks else {})}

    @staticmethod
    def from_json(data: dict, at: str) -> EdlLine:
        return EdlLine(_field(data, "path", at, lambda v, w: _string(v, w, null=True), required=True),
                       _field(data, "sha256", at, _string, default=""),
                       _field(data, "picks", at, _picks, default=()))


def _picks(value: Any, at: str) -> tuple[tuple[str, str], ...]:
    picks = _object(value, at)
    return tuple((_string(slot, at), _string(take, f"{at}.{slot}")) for slot, take in picks.items())


@dataclass(frozen=True)
class InputLine:
    """A file the render read, as it was then."""

    path: str
    sha256: str
    size: int | None = None

    def to_json(self) -> dict:
        return {"path": self.path, **({"size": self.size} if self.size is not None else {}), "sha256": self.sha256}

    @staticmethod
    def from_json(data: dict, at: str) -> InputLine:
        return InputLine(_field(data, "path", at, _string, required=True),
                         _field(data, "sha256", at, _string, required=True), _field(data, "size", at, _number))


@dataclass(frozen=True)
class SegmentLine:
    """A segment of the plan: what it is, its key, and whether this render made it."""

    kind: str
    frames: tuple[int, int]
    items: tuple[int, ...]
    key: str
    rendered_now: bool
    argv: tuple[str, ...] | None  # the command that made it, as the cache recorded it
    seconds: float | None = None  # None once a later render found the output up to date
    decode_errors: tuple[str, ...] = ()

    def to_json(self) -> dict:
        return {"kind": self.kind, "frames": list(self.frames), "items": list(self.items), "key": self.key,
                "rendered_now": self.rendered_now, **({"seconds": self.seconds} if self.seconds is not None else {}),
                "argv": _thawed(self.argv), **({"decode_errors": list(self.decode_errors)} if self.decode_errors else {})}

    @staticmethod
    def from_json(data: dict, at: str) -> SegmentLine:
        return SegmentLine(_field(data, "kind", at, _string, default=""),
                           _field(data, "frames", at, _lines, default=(0, 0)),
                           _field(data, "items", at, _lines, default=()), _field(data, "key", at, _string, default=""),
                           _field(data, "rendered_now", at, _flag, default=False),
                           _field(data, "argv", at, _nullable(_strings)), _field(data, "seconds", at, _number),
                           _field(data, "decode_errors", at, _strings, default=()))


@dataclass(frozen=True)
class SoundLine:
    """The episode's sound: its key, how it was mixed and encoded, and what it measured."""

    key: str
    rendered_now: bool
    windows: tuple | None  # (start, end, sources) in samples, per window of the mix
    mix_argv: tuple | None
    argv: tuple[str, ...] | None
    loudness: dict | None = None  # when a target is set: target, gain_db, integrated, true_peak, range
    ducks: tuple = ()
    decode_errors: tuple = ()  # per window: ffmpeg's lines
    stems: tuple[str, ...] | None = None

    def to_json(self) -> dict:
        return {"key": self.key, "rendered_now": self.rendered_now, "windows": _thawed(self.windows),
                "mix_argv": _thawed(self.mix_argv), "argv": _thawed(self.argv), "loudness": self.loudness,
                **({"ducks": _thawed(self.ducks)} if self.ducks else {}),
                **({"decode_errors": _thawed(self.decode_errors)} if self.decode_errors else {}),
                **({"stems": list(self.stems)} if self.stems is not None else {})}

    @staticmethod
    def from_json(data: dict, at: str) -> SoundLine:
        return SoundLine(_field(data, "key", at, _string, default=""),
                         _field(data, "rendered_now", at, _flag, default=False),
                         _field(data, "windows", at, _nullable(_lines)), _field(data, "mix_argv", at, _nullable(_lines)),
                         _field(data, "argv", at, _nullable(_strings)),
                         _field(data, "loudness", at, _nullable(_object)), _field(data, "ducks", at, _lines, default=()),
                         _field(data, "decode_errors", at, _lines, default=()), _field(data, "stems", at, _strings))


@dataclass(frozen=True)
class OutputLine:
    path: str
    sha256: str  # of the bytes as written, before they were renamed into place
    frames: int = 0
    duration: str = "0"  # seconds, exact, as a fraction's text

    def to_json(self) -> dict:
        return {"path": self.path, "sha256": self.sha256, "frames": self.frames, "duration": self.duration}

    @staticmethod
    def from_json(data: dict, at: str) -> OutputLine:
        return OutputLine(_field(data, "path", at, _string, required=True),
                          _field(data, "sha256", at, _string, required=True),
                          _field(data, "frames", at, _number, default=0),
                          _field(data, "duration", at, _string, default="0"))


@dataclass(frozen=True)
class BesideLine:
    """A file written beside the output (sidecar subtitles, a stem)."""

    path: str
    sha256: str

    def to_json(self) -> dict:
        return {"path": self.path, "sha256": self.sha256}

    @staticmethod
    def from_json(data: dict, at: str) -> BesideLine:
        return BesideLine(_field(data, "path", at, _string, default=""), _field(data, "sha256", at, _string, default=""))


@dataclass(frozen=True)
class Timings:
    """Wall seconds of the render's stages; a render that found the output up to date has
    only its ``total`` and says it ``reused`` the output."""

    total: float
    check: float | None = None
    segments: float | None = None
    assemble: float | None = None
    reused: bool = False

    def named(self) -> dict[str, float]:
        """The stages timed, by name, in the order a render goes through them."""
        found = {"check": self.check, "segments": self.segments, "assemble": self.assemble, "total": self.total}
        return {k: round(v, 3) for k, v in found.items() if v is not None}

    def to_json(self) -> dict:
        return {**self.named(), **({"reused": True} if self.reused else {})}

    @staticmethod
    def from_json(data: dict, at: str) -> Timings:
        read = {k: _field(data, k, at, _number) for k in ("check", "segments", "assemble")}
        return Timings(_field(data, "total", at, _number, default=0.0), **read,
                       reused=_field(data, "reused", at, _flag, default=False))


@dataclass(frozen=True)
class Receipt:
    """``<output>.receipt.json``: everything needed to say what made an output's bytes."""

    assembler: str
    ffmpeg: FFmpegLine
    edl: EdlLine
    inputs: tuple[InputLine, ...]
    segments: tuple[SegmentLine, ...]
    sound: SoundLine | None
    output: OutputLine
    timings: Timings
    identity: str  # what the output is a function of (its segments, sound, joining): see render
    beside: tuple[BesideLine, ...] | None = None

    def reused(self, total: float) -> Receipt:
        """This receipt for a render that found its output up to date: nothing made now."""
        return replace(self, segments=tuple(replace(s, rendered_now=False, seconds=None) for s in self.segments),
                       sound=self.sound and replace(self.sound, rendered_now=False),
                       timings=Timings(total, reused=True))

    def to_json(self) -> dict:
        return {"assembler": self.assembler, "ffmpeg": self.ffmpeg.to_json(), "edl": self.edl.to_json(),
                "inputs": [i.to_json() for i in self.inputs], "segments": [s.to_json() for s in self.segments],
                "sound": self.sound and self.sound.to_json(), "output": self.output.to_json(),
                "timings": self.timings.to_json(), "identity": self.identity,
                **({"beside": [b.to_json() for b in self.beside]} if self.beside is not None else {})}

    def text(self) -> str:
        """The receipt as it is written."""
        return json.dumps(self.to_json(), indent=1, ensure_ascii=False) + "\n"

    @staticmethod
    def from_json(data: Any) -> Receipt:
        """A receipt from its parsed JSON; raises ``UsageError`` naming the field that is
        not what a receipt holds (without the file's name: see :meth:`read`)."""
        try:
            return _receipt(data)
        except _Wrong as exc:
            raise UsageError(str(exc)) from None

    @staticmethod
    def read(path: Path) -> Receipt:
        """The receipt at ``path``, read only when it is a regular file of a sane size;
        every error names the file."""
        if not path.is_file():
            raise UsageError(f"{path}: not a receipt: " + ("no such file" if not path.exists() else "not a regular file"))
        if path.stat().st_size > RECEIPT_BYTES:
            raise UsageError(f"{path}: not a receipt: {path.stat().st_size} bytes is far more than a receipt holds")
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except (ValueError, RecursionError) as exc:  # RecursionError: thousands of nested brackets
            raise UsageError(f"{path}: not a receipt: not JSON ({exc})") from None
        try:
            return _receipt(data)
        except _Wrong as exc:
            raise UsageError(f"{path}: {exc}") from None


def _receipt(data: Any) -> Receipt:
    data = _object(data, "")
    # The fields verify reads come first, so that a crafted receipt is told about those.
    edl = _field(data, "edl", "", lambda v, at: EdlLine.from_json(_object(v, at), at), required=True)
    inputs = _field(data, "inputs", "", _each(InputLine.from_json), required=True)
    output = _field(data, "output", "", lambda v, at: OutputLine.from_json(_object(v, at), at), required=True)
    return Receipt(
        _field(data, "assembler", "", _string, default=""),
        _field(data, "ffmpeg", "", lambda v, at: FFmpegLine.from_json(_object(v, at), at), default=FFmpegLine("", "", "")),
        edl, inputs, _field(data, "segments", "", _each(SegmentLine.from_json), default=()),
        _field(data, "sound", "", _nullable(lambda v, at: SoundLine.from_json(_object(v, at), at))), output,
        _field(data, "timings", "", lambda v, at: Timings.from_json(_object(v, at), at), default=Timings(0.0)),
        _field(data, "identity", "", _string, default=""), _field(data, "beside", "", _nullable(_each(BesideLine.from_json))))
