"""The architecture, executable: the parts of the package (docs/architecture.md) import only
the parts below them, only the process boundary spawns processes, and only the outside world
reads media and subtitle files."""

import ast
import importlib
from pathlib import Path

import assembler

PACKAGE = Path(assembler.__file__).parent
# Lowest first. A module may import its own part and the parts below it, never above.
PARTS = [
    "foundation",  # errors, timebase: every part speaks them
    "model",  # the EDL contract: typed, validated, located; no ffmpeg, no I/O beyond reading the EDL
    "timeline",  # EDL + sources -> frames and samples: time, no pixels
    "layout",  # a timeline laid out for one output: every pixel value (text set in lines, boxes)
    "plan",  # timeline -> segments
    "compile",  # a unit of the plan -> an ffmpeg job
    "run",  # processes, probes, readers, cache, outputs: the outside world
    "api",  # the public operations: render, check, dry_run
    "review",  # looking back: verify, diff, the contact sheet
    "command",  # the CLI and the package's front
]
FOUNDATION = {"errors", "timebase"}
API = {"render", "dryrun", "batch"}
COMMAND = {"cli", "launch", "__init__", "__main__"}
# Libraries that read the outside world, and the only parts that may use them.
READERS = {"av": {"run"}, "pysubs2": {"run"}, "subprocess": {"run"}}


def part_of(module: str) -> str:
    """``timeline.build`` -> ``timeline``; ``render`` -> ``api``."""
    head = module.split(".")[0]
    if head in FOUNDATION:
        return "foundation"
    if head in API:
        return "api"
    if head in COMMAND:
        return "command"
    assert head in PARTS, f"{module} belongs to no part: add it to a part (and to docs/architecture.md)"
    return head


def modules() -> dict[str, Path]:
    return {".".join(p.relative_to(PACKAGE).with_suffix("").parts): p for p in PACKAGE.rglob("*.py")
            if p.name != "__init__.py" or p.parent == PACKAGE}


def imports_of(path: Path, module: str) -> set[str]:
    """Dotted names imported, package-relative for our own modules (``timeline.build``)."""
    tree = ast.parse(path.read_text())
    package = module.split(".")[:-1] if path.name != "__init__.py" else module.split(".")
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                name = ".".join(base + ([node.module] if node.module else []))
                found |= {name} if node.module else {".".join(base + [a.name]) for a in node.names}
            elif node.module == "assembler":
                found |= {a.name for a in node.names}
            elif node.module and node.module.startswith("assembler."):
                found.add(node.module[len("assembler."):])
            elif node.module:
                found.add("!" + node.module)
        elif isinstance(node, ast.Import):
            for a in node.names:
                found.add(a.name[len("assembler."):] if a.name.startswith("assembler.") else "!" + a.name)
    return found


def test_every_module_belongs_to_a_part():
    for module in modules():
        part_of(module)


def test_parts_import_only_the_parts_below_them():
    rank = {part: n for n, part in enumerate(PARTS)}
    for module, path in modules().items():
        mine = rank[part_of(module)]
        for name in imports_of(path, module):
            if not name.startswith("!") and name.split(".")[0] in set(PARTS) | FOUNDATION | API | COMMAND:
                theirs = rank[part_of(name)]
                assert theirs <= mine, f"{module} ({PARTS[mine]}) imports {name} ({PARTS[theirs]})"


def test_only_the_outside_world_reads_media_and_spawns_processes():
    for module, path in modules().items():
        for name in imports_of(path, module):
            allowed = READERS.get(name.lstrip("!").split(".")[0])
            if name.startswith("!") and allowed is not None:
                assert part_of(module) in allowed, f"{module} imports {name[1:]}"
        if module != "run.ffmpeg":
            assert "!subprocess" not in imports_of(path, module), f"{module} spawns processes: only run.ffmpeg may"
            assert "os.system" not in path.read_text()


def test_the_check_can_fail(tmp_path, monkeypatch):
    """The scanner sees an import of subprocess, and a part reaching up, where there is one."""
    (tmp_path / "probe_mod.py").write_text("import subprocess\nfrom assembler.run.cache import Cache\n"
                                           "from ..compile import jobs\n")
    found = imports_of(tmp_path / "probe_mod.py", "timeline.probe_mod")
    assert {"!subprocess", "run.cache", "compile"} <= found
    assert part_of("run.cache") == "run" and part_of("render") == "api"


def test_public_api_is_sorted_and_complete():
    assert assembler.__all__ == sorted(assembler.__all__, key=lambda n: (n[0].islower(), n))
    for name in assembler.__all__:
        assert getattr(assembler, name) is not None
    importlib.import_module("assembler.__main__".rsplit(".", 1)[0])


# What touches the file system, as a call: a path resolved (links followed), a file opened,
# read, written or listed, its metadata asked for.
_FILE_SYSTEM = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "stat", "lstat", "exists", "is_file",
                "is_dir", "iterdir", "glob", "rglob", "realpath", "abspath", "expanduser", "listdir", "scandir",
                "walk", "mkdir", "unlink", "rename", "replace_file"}


def file_system_calls(path: Path) -> list[str]:
    """The calls in a module that ask the file system anything (``x.resolve()`` with no
    argument is a path resolved; a time's ``resolve(rate)`` is not)."""
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Call):
            name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
            if name in _FILE_SYSTEM or name == "resolve" and not node.args:
                found.append(f"{path.name}:{node.lineno}: {name}()")
    return found


def test_planning_and_compiling_never_touch_the_file_system():
    """The compiler turns a unit of the plan into a job from values alone: the catalog gave
    every file as the reader found it (``MediaInfo.file``), so nothing is resolved here."""
    for module, path in modules().items():
        if part_of(module) in ("plan", "compile"):
            assert not file_system_calls(path), file_system_calls(path)


def test_the_file_system_check_can_fail(tmp_path):
    (tmp_path / "m.py").write_text("import os\np.media.path.resolve()\nopen('x')\nos.listdir('.')\n"
                                   "spec.start.resolve(rate)\n")
    assert [c.split(": ")[1] for c in file_system_calls(tmp_path / "m.py")] == ["resolve()", "open()", "listdir()"]
