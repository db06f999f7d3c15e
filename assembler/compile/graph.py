"""A tiny filter-graph IR: its sources, frozen filters and links, deterministic labels, text output.

Contract: the compiler gives a graph its :class:`Source` s (a file and the options read
before its ``-i``) and describes it as chains of :class:`Filter` s between :class:`Link` s;
:meth:`GraphBuilder.build` freezes it into a :class:`Graph`, which yields the input
arguments (:meth:`Graph.argv`, in the order the sources were given: the ``-i`` indexes are
the graph's own), the files it reads (:attr:`Graph.files`) and the text ffmpeg reads from
a filter script file (:meth:`Graph.script`). A file a filter reads (a ``movie`` source, a
LUT, a font) is a :class:`File` option, so a content key can name it by its fingerprint.

Invariants:

* every option value is escaped here (``escape.value``), so a path or a title can never
  break the graph; escaping is semantics-preserving, so expressions may pass through too;
* labels are a kind letter plus a counter in creation order (``v0``, ``a3``): the same
  description always gives the same script, byte for byte;
* a link is consumed at most once (ffmpeg's rule): building a graph that breaks it raises.

Building is iterative, never recursive, so a thousand-item timeline cannot hit Python's
recursion limit. Imports only ``escape``.

>>> g = GraphBuilder()
>>> v = g.chain([], [Filter("color", c="red", s="64x36", r=24), Filter("trim", end_frame=24)], "v")
>>> _ = g.chain([v], [Filter("format", pix_fmts="yuv420p")], "v", name="vout")
>>> print(g.build().script(), end="")
color=c=red:s=64x36:r=24,trim=end_frame=24[v0];
[v0]format=pix_fmts=yuv420p[vout]
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from assembler.compile.escape import value as escape_value

__all__ = ["Chain", "File", "Filter", "Graph", "GraphBuilder", "Link", "Source", "merge", "number"]

Kind = Literal["v", "a"]
Names = Mapping[str, str]  # a file's path -> what a content key calls it (its fingerprint)


def number(x: Fraction | int | float) -> str:
    """A number as ffmpeg reads it: exact decimal when short, else 9 decimals."""
    if isinstance(x, float):
        return repr(x)
    if not isinstance(x, Fraction):
        x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    for digits in range(1, 10):
        if 10**digits % x.denominator == 0:  # x has that many decimals (in lowest terms: the denominator divides 10**digits)
            return f"{float(x):.{digits}f}"
    return f"{float(x):.9f}"


@dataclass(frozen=True)
class File:
    """An option value that names a file the graph reads: its path in the script, its
    fingerprint in a content key (so a moved file keeps its key)."""

    path: str


@dataclass(frozen=True)
class Source:
    """One input file of a job and the options ffmpeg reads before its ``-i`` (seek,
    length, demuxer, loop), in that order."""

    path: str
    options: tuple[str, ...] = ()

    def argv(self, names: Names | None = None) -> tuple[str, ...]:
        return (*self.options, "-i", self.path if names is None else names[self.path])


def _text(v: object) -> str | File:
    """An option's value as the script writes it (a file stays a file, for the key)."""
    if isinstance(v, File):
        return v
    return number(v) if isinstance(v, (Fraction, int, float)) and not isinstance(v, bool) else str(v)


@dataclass(frozen=True)
class Filter:
    """One filter: a name and its options, in the order given (positional ones first)."""

    name: str
    positional: tuple[str, ...] = ()
    options: tuple[tuple[str, str | File], ...] = ()

    def __init__(self, name: str, *positional: object, **options: object):
        object.__setattr__(self, "name", name)
        object.__setattr__(self, "positional", tuple([str(_text(p)) for p in positional]))
        object.__setattr__(self, "options", tuple([(k, _text(v)) for k, v in options.items() if v is not None]))

    def __str__(self) -> str:
        return self.text()

    def text(self, names: Names | None = None) -> str:
        """The filter as the script has it; with ``names``, each file as it names it (as
        it is: a key is never parsed by ffmpeg)."""
        def option(v: str | File) -> str:
            if isinstance(v, File):
                return escape_value(v.path) if names is None else names[v.path]
            return escape_value(v)

        args = [escape_value(p) for p in self.positional]
        args += [f"{k}={option(v)}" for k, v in self.options]
        return f"{self.name}={':'.join(args)}" if args else self.name

    @property
    def files(self) -> tuple[str, ...]:
        return tuple(v.path for _, v in self.options if isinstance(v, File))


@dataclass(frozen=True)
class Link:
    """A labelled stream between chains: ``0:v:0`` for a file input, ``v3`` inside."""

    label: str
    kind: Kind


@dataclass(frozen=True)
class Chain:
    inputs: tuple[Link, ...]
    filters: tuple[Filter, ...]
    outputs: tuple[Link, ...]

    def __str__(self) -> str:
        return self.text()

    def text(self, names: Names | None = None) -> str:
        ins = "".join(f"[{link.label}]" for link in self.inputs)
        outs = "".join(f"[{link.label}]" for link in self.outputs)
        return ins + ",".join(f.text(names) for f in self.filters) + outs


@dataclass(frozen=True)
class Graph:
    """A job's reading and filtering: its sources in ``-i`` order, its chains (none for a
    job that only copies streams) and every file it reads, in the order first given."""

    chains: tuple[Chain, ...]
    sources: tuple[Source, ...] = ()
    reads: tuple[str, ...] = ()  # the sources' files and the others (fonts, LUTs, subtitles), once each

    def script(self, names: Names | None = None) -> str:
        """The graph as filter-script text: one chain a line (``names``: see :meth:`Filter.text`)."""
        return ";\n".join(c.text(names) for c in self.chains) + "\n"

    def argv(self, names: Names | None = None) -> tuple[str, ...]:
        """The input arguments: each source's options and ``-i`` its file (or its name in ``names``)."""
        return tuple(arg for source in self.sources for arg in source.argv(names))

    @functools.cached_property
    def files(self) -> tuple[str, ...]:
        """Every file the job reads: those given, then any a filter names that was not
        (kept: a plan asks for each job's three times)."""
        named = (path for chain in self.chains for f in chain.filters for path in f.files)
        return tuple(dict.fromkeys([*self.reads, *named]))

    @property
    def outputs(self) -> tuple[Link, ...]:
        consumed = {link for chain in self.chains for link in chain.inputs}
        return tuple(link for chain in self.chains for link in chain.outputs if link not in consumed)


@dataclass
class GraphBuilder:
    """Collects chains; the only mutable object here, frozen by :meth:`build`."""

    _chains: list[Chain] = field(default_factory=list)
    _counts: dict[str, int] = field(default_factory=dict)
    _used: set[Link] = field(default_factory=set)
    _sources: list[Source] = field(default_factory=list)
    _reads: list[str] = field(default_factory=list)

    def source(self, path: str, *options: str) -> int:
        """A new input, read with ``options``; returns its index (the ``-i`` order is the
        order sources are given in)."""
        self._sources.append(Source(path, tuple(options)))
        self._reads.append(path)
        return len(self._sources) - 1

    def read(self, *paths: str) -> None:
        """Files the job reads that are no input: fonts, LUTs, subtitles, a movie source's file."""
        self._reads.extend(paths)

    @staticmethod
    def input(index: int, kind: Kind) -> Link:
        """The first stream of a kind in input file ``index``."""
        return Link(f"{index}:{kind}:0", kind)

    def chain(self, inputs: Sequence[Link], filters: Sequence[Filter], outputs: Kind | Sequence[Kind],
              name: str | None = None) -> Link:
        """Append ``[inputs]f1,f2,...[outputs]``; return the (first) output link."""
        return self.chain_many(inputs, filters, [outputs] if isinstance(outputs, str) else outputs, name)[0]

    def chain_many(self, inputs: Sequence[Link], filters: Sequence[Filter], outputs: Sequence[Kind],
                   name: str | None = None) -> tuple[Link, ...]:
        if not filters:
            raise ValueError("a chain needs at least one filter")
        for link in inputs:
            if link in self._used:
                raise ValueError(f"link [{link.label}] is consumed twice")
            self._used.add(link)
        if name is not None and len(outputs) != 1:
            raise ValueError("a name can only be given to a chain with one output")
        outs = tuple(Link(name, kind) if name else self._new(kind) for kind in outputs)
        self._chains.append(Chain(tuple(inputs), tuple(filters), outs))
        return outs

    def _new(self, kind: Kind) -> Link:
        n = self._counts.get(kind, 0)
        self._counts[kind] = n + 1
        return Link(f"{kind}{n}", kind)

    def build(self) -> Graph:
        return Graph(tuple(self._chains), tuple(self._sources), tuple(dict.fromkeys(self._reads)))


def merge(graphs: Sequence[Graph]) -> Graph:
    """Several graphs as one, for one ffmpeg run with an output per graph: a source given
    alike (same file, same options) is read once and its streams feed every graph that
    uses it (ffmpeg decodes an input once for all the chains that name its streams); the
    labels of graph ``k`` are prefixed ``g<k>`` (``g1vout``), so each graph keeps its own.

    >>> a, b = GraphBuilder(), GraphBuilder()
    >>> for g, size in ((a, "64x36"), (b, "32x18")):
    ...     i = g.source("shot.mp4", "-ss", "1")
    ...     _ = g.chain([g.input(i, "v")], [Filter("scale", size)], "v", name="vout")
    >>> merged = merge([a.build(), b.build()])
    >>> merged.argv(), print(merged.script(), end="")
    [0:v:0]scale=64x36[g0vout];
    [0:v:0]scale=32x18[g1vout]
    (('-ss', '1', '-i', 'shot.mp4'), None)
    """
    sources: list[Source] = []
    at: dict[Source, int] = {}
    chains: list[Chain] = []
    for k, graph in enumerate(graphs):
        for source in graph.sources:
            if source not in at:
                at[source] = len(sources)
                sources.append(source)
        index = [at[source] for source in graph.sources]

        def relabel(link: Link, k: int = k, index: list[int] = index) -> Link:
            if ":" in link.label:  # a file's stream: that file's place among all the sources
                i, stream = link.label.split(":", 1)
                return Link(f"{index[int(i)]}:{stream}", link.kind)
            return Link(f"g{k}{link.label}", link.kind)

        chains += [Chain(tuple(map(relabel, c.inputs)), c.filters, tuple(map(relabel, c.outputs))) for c in graph.chains]
    reads = tuple(dict.fromkeys(path for graph in graphs for path in graph.reads))
    return Graph(tuple(chains), tuple(sources), reads)
