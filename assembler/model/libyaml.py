"""libyaml's scanner and parser (PyYAML's C extension) under ruamel's composer and constructor.

ruamel's own scanner and parser are pure Python and were most of the time a long EDL
took to check: 0.4 s of a 1,000-clip file, against 10 ms for libyaml to make the same
events. Only the events come from libyaml: the nodes, their marks, the tags and the
values are ruamel's, so a file read either way gives the same values and lines. Where
the two readers could differ (a directive, an explicit tag, a character YAML forbids),
or when anything is wrong with the file, ``events`` gives up and the caller reads the
file again with ruamel alone, whose messages the user is told.
Imports nothing of ours.
"""

from __future__ import annotations

import re
from typing import Any

from ruamel.yaml import events as ruamel_events

try:
    from yaml.cyaml import CParser  # type: ignore[import-untyped]
    from yaml import events as c_events  # type: ignore[import-untyped]
except ImportError:  # PyYAML without libyaml: the pure reader does all
    CParser = None

__all__ = ["Unsure", "available", "events"]

# What ruamel's reader refuses (YAML's printable set); the line breaks of YAML 1.1 that
# libyaml counts as lines and ruamel (YAML 1.2) does not (NEL, LS, PS); tabs, which libyaml
# takes in places ruamel refuses them.
_UNLIKE = re.compile("[^\x0a\x0d\x20-\x7e\xa0-\u2027\u202a-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class Unsure(Exception):
    """libyaml read something whose reading ruamel alone must give."""


def available() -> bool:
    return CParser is not None


def _stream_start(e: Any) -> Any:
    return ruamel_events.StreamStartEvent(e.start_mark, e.end_mark, e.encoding)


def _document_start(e: Any) -> Any:
    if e.version is not None or e.tags:  # %YAML / %TAG: ruamel's resolver reads them from its own parser
        raise Unsure("a directive")
    return ruamel_events.DocumentStartEvent(e.start_mark, e.end_mark, e.explicit)


def _tag(e: Any) -> None:
    if e.tag is not None:  # tags are ruamel's Tag objects, made by its parser
        raise Unsure("an explicit tag")


def _scalar(e: Any) -> Any:
    _tag(e)
    return ruamel_events.ScalarEvent(e.anchor, None, e.implicit, e.value, e.start_mark, e.end_mark,
                                     e.style or None)  # libyaml's plain style is "", ruamel's None


def _sequence(e: Any) -> Any:
    _tag(e)
    return ruamel_events.SequenceStartEvent(e.anchor, None, e.implicit, e.start_mark, e.end_mark,
                                            flow_style=e.flow_style)


def _mapping(e: Any) -> Any:
    _tag(e)
    return ruamel_events.MappingStartEvent(e.anchor, None, e.implicit, e.start_mark, e.end_mark,
                                           flow_style=e.flow_style)


def _plain(kind: Any) -> Any:
    return lambda e: kind(e.start_mark, e.end_mark)


_CONVERT = {} if CParser is None else {
    c_events.StreamStartEvent: _stream_start,
    c_events.StreamEndEvent: _plain(ruamel_events.StreamEndEvent),
    c_events.DocumentStartEvent: _document_start,
    c_events.DocumentEndEvent: lambda e: ruamel_events.DocumentEndEvent(e.start_mark, e.end_mark, e.explicit),
    c_events.AliasEvent: lambda e: ruamel_events.AliasEvent(e.anchor, e.start_mark, e.end_mark),
    c_events.ScalarEvent: _scalar,
    c_events.SequenceStartEvent: _sequence,
    c_events.SequenceEndEvent: _plain(ruamel_events.SequenceEndEvent),
    c_events.MappingStartEvent: _mapping,
    c_events.MappingEndEvent: _plain(ruamel_events.MappingEndEvent),
}


class events:  # noqa: N801  # named for what ruamel asks of it: a parser's events
    """ruamel's parser interface (check, peek, get an event) over libyaml's events of a text."""

    def __init__(self, text: str):
        if CParser is None:
            raise Unsure("no libyaml")
        if _UNLIKE.search(text):
            raise Unsure("a character the two read differently")
        self._parser = CParser(text)
        self._next: Any = None

    def peek_event(self) -> Any:
        if self._next is None:
            event = self._parser.get_event()
            if event is None:
                return None
            self._next = _CONVERT[type(event)](event)
        return self._next

    def check_event(self, *choices: Any) -> bool:
        event = self.peek_event()
        return event is not None and (not choices or isinstance(event, choices))

    def get_event(self) -> Any:
        event = self.peek_event()
        self._next = None
        return event

    def dispose(self) -> None:
        self._parser.dispose()
