"""`assembler check` and `assembler takes`: what an EDL holds, shown before it is rendered."""

from __future__ import annotations

from pathlib import Path
from collections.abc import Callable
from typing import Annotated, Any, Optional

import typer
from rich.markup import escape
from rich.table import Table

from assembler.errors import AssemblerError, UsageError, field_path
from assembler.model.load import Document
from assembler.render import validate_source
from assembler.review.sheet import SHEET_SUFFIXES, contact_sheet
from assembler.review.takes import list_takes, slot_named, takes_sheet
from assembler.batch import File, check_all
from assembler.model.takes import parse_picks
from assembler.model.resolved import resolved_yaml
from assembler.model.series import read as read_edl
from assembler.layout.frame import own
from assembler.timebase import format_seconds
from assembler.timeline.items import Card, OverlayClip, OverlayColor, OverlayImage, OverlayText, Plate, Shot, Still
from assembler.cli.console import PICK_OPTION, fail, show_problems, app, err, out

__all__ = ["check", "takes"]


# What the listing names each item by: its file, its text's first line, or its colour.
_NAMES: dict[type, Callable[[Any], str]] = {
    Shot: lambda p: p.media.path.name, Still: lambda p: p.media.path.name,
    Card: lambda p: p.text.text.splitlines()[0] if p.text.text else p.media.path.name if p.media else p.color or "",
    Plate: lambda p: p.color, OverlayImage: lambda x: x.media.path.name, OverlayClip: lambda x: x.media.path.name,
    OverlayText: lambda x: x.text.text.splitlines()[0] if x.text.text else "", OverlayColor: lambda x: x.color}


@app.command()
def check(edl: Annotated[Path, typer.Argument(help="The EDL (YAML or JSON).")],
          sheet: Annotated[Optional[Path], typer.Option(help="Also write a contact sheet (PNG): "
                                                             "a picture of every item, as it will look.")] = None,
          output: Annotated[Optional[Path], typer.Option("-o", "--output", help="The file a render would write "
                                                         "(default: EDL name .mp4): checked too, with what goes "
                                                         "beside it.")] = None,
          single: Annotated[bool, typer.Option("--single", help="Check for a --single render "
                                                                "(one graph, no segments).")] = False,
          pick: Annotated[Optional[list[str]], PICK_OPTION] = None,
          resolved: Annotated[bool, typer.Option("--resolved", help="Print the EDL merged over the files it "
                                                                    "extends, as YAML, each inherited value "
                                                                    "commented with its file and line.")] = False,
          ) -> None:
    """Validate an EDL and its media, and show the timeline."""
    try:
        if resolved:  # printed before the media checks: what was merged is what to look at when they fail
            out.print(resolved_yaml(read_edl(edl)), markup=False, end="")
        # The output `render` would write is checked too: a clash found here is not found
        # only when the render starts.
        if sheet is not None and sheet.suffix.lower() not in SHEET_SUFFIXES:
            raise UsageError(f"--sheet {sheet}: a contact sheet is a picture: name it "
                             f"{' or '.join(SHEET_SUFFIXES)}")
        files = check_all([edl], output or edl.with_suffix(".mp4"), segmented=not single, sheet=sheet,
                          picks=parse_picks(pick or []))
    except AssemblerError as exc:
        raise fail(exc) from None
    timeline = files[0].timeline
    if sheet is not None:
        sheet.parent.mkdir(parents=True, exist_ok=True)
        contact_sheet(timeline, sheet)
        err.print(f"contact sheet: {sheet}", markup=False)
    if resolved:
        show_problems(timeline.warnings)
        return
    rate = timeline.output.fps
    table = Table(title=escape(f"{edl}") + f" - {timeline.output.width}x{timeline.output.height} @ {rate} fps")
    for column in ("#", "item", "source range", "timeline range", "length", "join after"):
        table.add_column(column)
    laid = own(timeline)
    doc = validate_source(edl, None).document  # for each item's name as it was written (intro[0] of a series)
    for k, p in enumerate(timeline.placements):
        source = f"{format_seconds(p.source_in)} - {format_seconds(p.source_out)}" if isinstance(p, Shot) else ""
        if isinstance(p, Shot) and p.speed != 1:
            source += f" x{float(p.speed):g}"
        join = timeline.joins[k] if k < len(timeline.joins) else None
        after = "" if join is None else join.transition if not join.frames else \
            f"{join.transition} {format_seconds(join.frames / rate)}"
        kind = f"shot {p.take[0]}, take {p.take[1]}" if isinstance(p, Shot) and p.take else p.kind
        table.add_row(escape(_written(doc, ("video", p.index))), escape(f"{kind}: {_NAMES[type(p)](p)}"), source,
                      f"{format_seconds(p.start / rate)} - {format_seconds(p.end / rate)}",
                      format_seconds(p.frames / rate), after)
    out.print(table)
    out.print(f"total: {format_seconds(timeline.duration)} ({timeline.frames} frames)")
    if timeline.overlays:
        layers = Table(title="overlays (later on top)")
        for column in ("#", "layer", "timeline range", "place (x, y)", "size", "opacity"):
            layers.add_column(column)
        for x in timeline.overlays:
            box = laid.boxes[x.index]
            size = f"text {laid.texts[x.index].size} px" if isinstance(x, OverlayText) else f"{box.width}x{box.height}"
            opacity = x.text.opacity if isinstance(x, OverlayText) else x.opacity  # type: ignore[attr-defined]
            layers.add_row(f"overlays[{x.index}]", escape(f"{x.kind}: {_NAMES[type(x)](x)}"),
                           f"{format_seconds(x.start / rate)} - {format_seconds(x.end / rate)}", f"{box.x}, {box.y}",
                           size, f"{opacity:g}")
        out.print(layers)
    if timeline.subtitles and laid.subtitles:
        track = timeline.subtitles
        ways = ", ".join(w for w, on in (("burned", track.burn), ("soft stream", track.soft),
                                         ("sidecar .srt", track.sidecar)) if on)
        out.print(f"subtitles: {len(track.cues)} cue{'s' if len(track.cues) != 1 else ''}, {ways}; "
                  f"{laid.subtitles.family} {laid.subtitles.size} px", markup=False)
    if files[0].deliverable is not None:
        _deliverables(files)
    show_problems(timeline.warnings)


def _deliverables(files: list[File]) -> None:
    """What each deliverable writes, and how (the table above is the first one's)."""
    table = Table(title="deliverables")
    for column in ("name", "file", "size", "fps", "fit", "encoder", "loudness", "subtitles", "also"):
        table.add_column(column)
    for f in files:
        o, track = f.timeline.output, f.timeline.subtitles
        v = o.video
        ways = "none" if track is None else ", ".join(w for w, on in (("burned", track.burn), ("soft", track.soft),
                                                                       ("sidecar", track.sidecar)) if on) or "none"
        loud = "as mixed" if f.timeline.loudness is None else f"{f.timeline.loudness:g} LUFS"
        table.add_row(escape(f.deliverable or ""), escape(f.out.name), f"{o.width}x{o.height}", f"{o.fps}",
                      f.output.fit,
                      escape(f"{v.codec} {v.preset or ''} " + (f"crf {v.crf}" if v.bitrate is None else v.bitrate)),
                      loud, ways, ", ".join(w for w, on in (("info box", f.output.burn_info), ("stems", f.output.stems))
                                            if on))
    out.print(table)


@app.command()
def takes(edl: Annotated[Path, typer.Argument(help="The EDL (YAML or JSON).")],
          sheet: Annotated[Optional[str], typer.Option("--sheet", metavar="SLOT", help="Also draw this slot's "
                                                       "takes side by side (a picture: -o).")] = None,
          output: Annotated[Optional[Path], typer.Option("-o", "--output", help="The sheet's file (default: "
                                                         "EDL name .SLOT.takes.png).")] = None,
          pick: Annotated[Optional[list[str]], PICK_OPTION] = None) -> None:
    """List every shot slot with its takes, their lengths and provenance, and which plays."""
    try:
        found = list_takes(edl, picks=parse_picks(pick or []))
        target = output or edl.with_name(f"{edl.stem}.{sheet}.takes.png")
        if sheet is not None and target.suffix.lower() not in SHEET_SUFFIXES:
            raise UsageError(f"-o {target}: a contact sheet is a picture: name it {' or '.join(SHEET_SUFFIXES)}")
        if sheet is not None:
            takes_sheet(slot_named(found, sheet), target)
            err.print(f"contact sheet of {sheet}: {target}", markup=False)
    except AssemblerError as exc:
        raise fail(exc) from None
    table = Table(title=escape(f"{edl}") + f" - {len(found)} shot slot{'s' if len(found) != 1 else ''}")
    for column in ("#", "slot", "take", "length", "file", "model", "seed", "prompt", "notes"):
        table.add_column(column)
    for slot in found:
        fitted = f"{format_seconds(slot.length)} {slot.fit_length}" if slot.length is not None else "its own"
        for take in slot.takes:
            length = format_seconds(take.seconds) if take.seconds is not None else take.problem or "?"
            table.add_row(f"video[{slot.index}]", escape(f"{slot.shot} ({fitted})"),
                          escape(f"{take.name} *" if take.picked else take.name), escape(length), escape(take.file),
                          *(escape(str(v)) if v is not None else "" for v in (take.model, take.seed, take.prompt,
                                                                               take.notes)))
    out.print(table)
    out.print("* the take that plays", markup=False)


def _written(doc: Document, path: tuple) -> str:
    """An item's name as its file wrote it, with that file's name when it is another's."""
    file, _, written = doc.where(path)
    return field_path(written) + (f" ({Path(file).name})" if file != doc.file else "")
