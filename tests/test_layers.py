"""The architecture, executable: lower layers never import higher ones, and only the
process boundary spawns processes."""

import ast
import importlib
from pathlib import Path

import assembler

PACKAGE = Path(assembler.__file__).parent
LAYERS = [
    {"timebase", "errors", "escape"},
    {"edl", "media"},
    {"load", "words", "typeset", "schema"},
    {"sound", "captions", "layers"},
    {"timeline"},
    {"plan", "duck", "damage"},
    {"graph"},
    {"mix", "picture"},
    {"compile"},
    {"ffmpeg", "cache", "sheet"},
    {"soundtrack"},
    {"outputs"},
    {"render"},
    {"review", "dryrun"},
    {"cli", "launch", "__init__", "__main__"},
]
LEVEL = {name: level for level, names in enumerate(LAYERS) for name in names}


def imports_of(module: str) -> set[str]:
    tree = ast.parse((PACKAGE / f"{module}.py").read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from .x import y / from . import x
                found |= {node.module.split(".")[0]} if node.module else {a.name for a in node.names}
            elif node.module:
                found.add(node.module)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
    return found


def test_every_module_has_a_layer():
    modules = {p.stem for p in PACKAGE.glob("*.py")}
    assert modules == set(LEVEL), "add the new module to LAYERS (and to the architecture notes)"


def test_lower_layers_never_import_higher_ones():
    for module, level in LEVEL.items():
        for name in imports_of(module) & set(LEVEL):
            assert LEVEL[name] <= level, f"{module} (layer {level}) imports {name} (layer {LEVEL[name]})"


def test_only_the_runner_imports_subprocess():
    for module in LEVEL:
        if module != "ffmpeg":
            assert not {"subprocess", "os.system", "pty"} & imports_of(module), f"{module} imports subprocess"
            assert "os.system" not in (PACKAGE / f"{module}.py").read_text()


def test_the_check_can_fail(tmp_path, monkeypatch):
    """The scanner sees an import of subprocess where there is one."""
    (tmp_path / "probe_mod.py").write_text("import subprocess\n")
    monkeypatch.setattr(__import__(__name__), "PACKAGE", tmp_path)
    assert "subprocess" in imports_of("probe_mod")


def test_public_api_is_sorted_and_complete():
    assert assembler.__all__ == sorted(assembler.__all__, key=lambda n: (n[0].islower(), n))
    for name in assembler.__all__:
        assert getattr(assembler, name) is not None
    importlib.import_module("assembler.__main__".rsplit(".", 1)[0])
