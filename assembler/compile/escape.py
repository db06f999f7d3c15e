r"""The only code that quotes anything: what enters an ffmpeg filter graph, and the files
that ffmpeg, fontconfig and libass read beside it (concat lists, FFMETADATA, fontconfig's
XML and family patterns, ASS events and colours), an output's name on ffmpeg's command line, and the
shell lines a dry run prints.

ffmpeg parses a graph in two levels ("Notes on filtergraph escaping" in ffmpeg-filters):

1. *option value*: inside ``key=value:key=value`` a value ends at ``:``; ``\`` and ``'``
   are escape characters. So ``\ ' :`` are backslash-escaped.
2. *graph*: the whole filter argument is read by ``av_get_token`` with ``[],;`` as
   terminators, so ``\ ' [ ] , ;`` are backslash-escaped again, and leading or trailing
   whitespace (which that parser strips) is escaped too.

A value that passes through both levels gets both, in that order: ``:`` becomes ``\:``
(level 1) and then ``\\:`` (level 2 escapes the backslash). Everything user-controlled
(paths, text) goes through :func:`value`; numbers and our own identifiers need nothing.

>>> print(value("/media/My Film: the cut, [v2].mp4"))
/media/My Film\\: the cut\, \[v2\].mp4
>>> print(value("it's 50%"))
it\\\'s 50%

Imports nothing from the rest of the package.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterable, Sequence
from xml.sax.saxutils import escape as _xml_escape

__all__ = ["ass_colour", "ass_event", "colour", "concat_list", "ffmetadata", "file_name", "fontconfig_family", "graph_level",
           "option_level", "shell_comment", "shell_line", "shell_word", "value", "xml_text"]

_OPTION_SPECIAL = "\\':"
_HEX_COLOUR = re.compile(r"0x[0-9A-F]{6}(?:[0-9A-F]{2})?")
_GRAPH_SPECIAL = "\\'[],;"
_WHITESPACE = " \t\r\n"


def option_level(text: str) -> str:
    """Escape for level 1: one option value inside a filter's ``key=value:...`` list."""
    return "".join("\\" + ch if ch in _OPTION_SPECIAL else ch for ch in text)


def graph_level(text: str) -> str:
    """Escape for level 2: a filter's whole argument string inside the graph."""
    out = ["\\" + ch if ch in _GRAPH_SPECIAL else ch for ch in text]
    # av_get_token strips unescaped whitespace at both ends of a token.
    for i in range(len(out)):
        if out[i] not in _WHITESPACE:
            break
        out[i] = "\\" + out[i]
    for i in range(len(out) - 1, -1, -1):
        if out[i] not in _WHITESPACE:
            break
        out[i] = "\\" + out[i]
    return "".join(out)


_NOTHING_TO_ESCAPE = re.compile(r"(?![ \t\r\n])[^\\':\[\],;\x00]*(?<![ \t\r\n])")


def value(text: str) -> str:
    """Escape a user string (path or text) used as one option value inside a graph."""
    if _NOTHING_TO_ESCAPE.fullmatch(text):  # most are: a number, a name (a long episode has 60,000)
        return text
    if "\x00" in text:
        raise ValueError("a NUL character cannot pass through ffmpeg")
    return graph_level(option_level(text))


def concat_list(paths: list[str]) -> str:
    """A concat-demuxer list file naming ``paths``: ``file '...'`` with ``'`` written as
    ``'\\''`` (close the quote, an escaped quote, reopen), the demuxer's own quoting."""
    lines = []
    for path in paths:
        if "\n" in path or "\r" in path:
            raise ValueError(f"a path with a line break cannot go into a concat list: {path!r}")
        lines.append("file '" + path.replace("'", "'\\''") + "'\n")
    return "".join(lines)


def ffmetadata(text: str) -> str:
    """A value in an FFMETADATA file: ``= ; # \\`` and line breaks are backslash-escaped."""
    return "".join("\\" + ch if ch in "=;#\\\n" else ch for ch in text.replace("\r", ""))


def fontconfig_family(family: str) -> str:
    """A family as a fontconfig pattern (drawtext's ``font``), whose own syntax gives
    ``- : ,`` and ``\\`` meanings: each is backslash-escaped (then :func:`value` escapes
    the whole for the graph)."""
    for char in "\\-:,":
        family = family.replace(char, "\\" + char)
    return family


def xml_text(text: str) -> str:
    """Text inside an XML element (a fontconfig file's folders): ``& < >`` as entities."""
    return _xml_escape(text)


def ass_event(text: str) -> str:
    """Plain text as an ASS event's text: braces would start style overrides and a
    backslash an escape (a word joiner after it keeps it literal); newlines become ASS
    line breaks."""
    text = text.replace("\\", "\\\u2060").replace("{", "\\{").replace("}", "\\}")
    return text.replace("\r\n", "\n").replace("\n", "\\N")


def ass_colour(red: int, green: int, blue: int, transparency: int) -> str:
    """An ASS colour: ``&HAABBGGRR``, whose alpha counts transparency (0 is opaque)."""
    return f"&H{transparency:02X}{blue:02X}{green:02X}{red:02X}"


def colour(value: str | None) -> str:
    """A colour as ffmpeg's filters take it, from the model's ``0xRRGGBB[AA]`` (AA the
    opacity): ffmpeg reads that form as it is, and nothing in it needs escaping."""
    if value is None or not _HEX_COLOUR.fullmatch(value):
        raise ValueError(f"not a colour as the model writes one (0xRRGGBB[AA]): {value!r}")
    return value


def shell_word(text: str) -> str:
    """One word of a POSIX shell command line, quoted only when it needs to be."""
    return shlex.quote(text)


def shell_line(argv: Sequence[str], env: Iterable[tuple[str, str]] = ()) -> str:
    """A command as one shell line that runs it as given: ``VAR=value`` prefixes first."""
    return " ".join([*(f"{name}={shell_word(value)}" for name, value in env), shlex.join(argv)])


def shell_comment(text: str) -> str:
    """One shell comment line, whatever the text holds (a name with a newline in it must
    not end the comment and start a command)."""
    return "# " + " ".join(text.splitlines())


_PROTOCOL = re.compile(r"[A-Za-z0-9+.-]{2,}:")


def file_name(path: str) -> str:
    """A file's name as ffmpeg's command line takes it: ffmpeg reads a name that starts
    "WORD:" as a protocol ("S01E01:pilot.mp4" is protocol "S01E01"), and "file:" makes it
    the file it is. "-" stays the pipe, "/..." needs nothing."""
    return f"file:{path}" if _PROTOCOL.match(path) else path
