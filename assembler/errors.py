"""The exception tree. Every error the library raises is an ``AssemblerError``::

    AssemblerError
     +-- EdlError          the EDL is invalid: carries every Problem found, all at once
     +-- MediaError        a media file cannot be read or probed
     +-- FFmpegNotFound    no usable ffmpeg binary
     +-- RenderError       ffmpeg failed: carries the command and the tail of its stderr
     +-- UsageError        a call or command line asks for what cannot be (a cache folder that is a file)
     +-- Cancelled         a job stopped because the render it belongs to stopped

The library never prints and never exits; the CLI turns these into messages and exit codes.
Imports nothing from the rest of the package.
"""

from __future__ import annotations

import errno
import re
from dataclasses import dataclass
from typing import Literal

__all__ = ["CHECK_PATH", "AssemblerError", "Cancelled", "EdlError", "FFmpegNotFound", "MediaError", "Problem",
           "RenderError", "UsageError", "field_path", "media_hint", "os_hint"]


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an EDL, located as ``FILE:LINE: field.path: message``."""

    file: str
    line: int | None
    path: str
    message: str
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"

    def __str__(self) -> str:
        where = _TERMINAL.sub(_escaped, f"{self.file}:{self.line}" if self.line else self.file)
        field = f" {_CONTROL.sub(_escaped, self.path)}:" if self.path else ""
        said = " warning:" if self.severity == "warning" else ""
        text = f"{self.message} ({self.hint})" if self.hint else self.message
        # A field's text may hold line breaks: each printed line keeps its place (grep, editors' jump-to).
        first, *rest = _BREAKS.split(_TERMINAL.sub(_escaped, text))
        return "\n".join([f"{where}:{field}{said} {first}", *(f"{where}: {line}" for line in rest)])


# What a terminal or an editor takes for the end of a line.
_BREAKS = re.compile("\r\n|[\n\r\v\f\x85\u2028\u2029]")
# What may not stand as itself in a field path (a key the user wrote): it would break the
# line or move the cursor, or not show at all (a zero-width space, a BOM). Written as an
# escape, the path stays on its one line and shows what is there.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u200b-\u200f\u2060-\u2064\ufeff]")


# What a terminal acts on rather than shows (ESC starts colours and cursor moves), in a
# message that quotes the user's text: written as an escape. Tabs and line breaks stay.
_TERMINAL = re.compile("[\x00-\x08\x0e-\x1f\x7f-\x84\x86-\x9f]")


def _escaped(match: re.Match) -> str:
    return f"\\u{ord(match[0]):04x}"


def field_path(path: tuple[str | int, ...]) -> str:
    """``("video", 3, "out")`` -> ``"video[3].out"``."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


class AssemblerError(Exception):
    """Base of every error raised by assembler."""


class EdlError(AssemblerError):
    """An invalid EDL. ``problems`` lists every error found, in file order."""

    def __init__(self, problems: list[Problem]):
        self.problems = sorted(problems, key=lambda p: (p.file, p.line or 0, p.path))
        count = len(self.problems)
        lines = "\n".join(str(p) for p in self.problems)
        super().__init__(f"{count} problem{'s' if count != 1 else ''} in the EDL:\n{lines}")


CHECK_PATH = "check the path; relative paths start at the EDL's folder"


def os_hint(exc: OSError) -> str | None:
    """What to do about a file the system refused, by the reason it gave."""
    if exc.errno == errno.ENAMETOOLONG:
        return "a name in the path is longer than the file system allows (255 bytes a name): shorten it"
    if exc.errno == errno.ELOOP:
        return "its symbolic links lead round in a loop: point the link at the file itself"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "check the file's permissions"
    return None


class MediaError(AssemblerError):
    """A media file is missing, unreadable or has no usable stream. ``hint`` says what
    to do about it (to check the path only when there is nothing at that path)."""

    def __init__(self, message: str, hint: str | None = None):
        super().__init__(message)
        self.hint = hint


def media_hint(found: object) -> str | None:
    """The hint for a file that could not be used: its error's own, else to check the path."""
    return found.hint if isinstance(found, MediaError) else CHECK_PATH


class FFmpegNotFound(AssemblerError):
    """No ffmpeg binary could be found or run."""


class RenderError(AssemblerError):
    """ffmpeg failed. ``argv`` is the command, ``stderr_tail`` the last lines it wrote."""

    def __init__(self, message: str, argv: list[str], stderr_tail: str, returncode: int | None):
        self.argv = argv
        self.stderr_tail = stderr_tail
        self.returncode = returncode
        super().__init__(f"{message}\n--- last lines of ffmpeg's output ---\n{stderr_tail}")


class UsageError(AssemblerError):
    """The call or the command line asks for what cannot be done, whatever the EDL holds:
    a cache folder that is a file, a dry run's folder that holds other files."""


class Cancelled(AssemblerError):
    """A job was stopped because its ``cancel`` event was set: another job of the render
    failed, or the render was interrupted."""
