"""A tiny filter-graph IR: frozen filters and links, deterministic labels, text output.

Contract: the compiler describes a graph as chains of :class:`Filter` s between
:class:`Link` s; :meth:`GraphBuilder.build` freezes it into a :class:`Graph` whose
:meth:`Graph.script` is the text ffmpeg reads from a filter script file.

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

from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Literal

from assembler.compile.escape import value as escape_value

__all__ = ["Chain", "Filter", "Graph", "GraphBuilder", "Link", "number"]

Kind = Literal["v", "a"]


def number(x: Fraction | int | float) -> str:
    """A number as ffmpeg reads it: exact decimal when short, else 9 decimals."""
    if isinstance(x, float):
        return repr(x)
    x = Fraction(x)
    if x.denominator == 1:
        return str(x.numerator)
    for digits in range(1, 10):
        if (x * 10**digits).denominator == 1:
            return f"{float(x):.{digits}f}"
    return f"{float(x):.9f}"


@dataclass(frozen=True)
class Filter:
    """One filter: a name and its options, in the order given (positional ones first)."""

    name: str
    positional: tuple[str, ...] = ()
    options: tuple[tuple[str, str], ...] = ()

    def __init__(self, name: str, *positional: object, **options: object):
        def text(v: object) -> str:
            return number(v) if isinstance(v, (Fraction, int, float)) and not isinstance(v, bool) else str(v)

        object.__setattr__(self, "name", name)
        object.__setattr__(self, "positional", tuple(text(p) for p in positional))
        object.__setattr__(self, "options", tuple((k, text(v)) for k, v in options.items() if v is not None))

    def __str__(self) -> str:
        args = [escape_value(p) for p in self.positional]
        args += [f"{k}={escape_value(v)}" for k, v in self.options]
        return f"{self.name}={':'.join(args)}" if args else self.name


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
        ins = "".join(f"[{link.label}]" for link in self.inputs)
        outs = "".join(f"[{link.label}]" for link in self.outputs)
        return ins + ",".join(str(f) for f in self.filters) + outs


@dataclass(frozen=True)
class Graph:
    chains: tuple[Chain, ...]

    def script(self) -> str:
        """The graph as filter-script text: one chain a line."""
        return ";\n".join(str(c) for c in self.chains) + "\n"

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
        return Graph(tuple(self._chains))
