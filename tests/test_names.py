"""Every module says what it offers: each name in its ``__all__`` is there (defined, or
imported to be offered on), and the list holds every name the rest of the package imports
from it (a private name, ``_like_this``, is imported knowingly and is in no list)."""

import ast
import importlib
from pathlib import Path

import assembler

PACKAGE = Path(assembler.__file__).parent


def _modules() -> tuple[dict[str, ast.Module], set[str]]:
    """Each module's syntax tree by its dotted name, and which of them are packages."""
    found, packages = {}, set()
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE).with_suffix("").parts
        name = ".".join(("assembler", *parts[:-1])) if path.name == "__init__.py" else ".".join(("assembler", *parts))
        found[name] = ast.parse(path.read_text(encoding="utf-8"))
        if path.name == "__init__.py":
            packages.add(name)
    return found, packages


MODULES, PACKAGES = _modules()


def _listed(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            return list(ast.literal_eval(node.value))
    return None


def _defined(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level by a definition or an assignment."""
    names: set[str] = set()

    def bind(target: ast.expr) -> None:
        if isinstance(target, ast.Name):
            names.add(target.id)
        elif isinstance(target, (ast.Tuple, ast.List)):
            for element in target.elts:
                bind(element)

    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            for target in node.targets:
                bind(target)
        elif isinstance(node, (ast.AnnAssign, ast.AugAssign)):
            bind(node.target)
    return names


def _imported_from() -> dict[str, dict[str, set[str]]]:
    """For each of our modules: the public names other modules of the package import from
    it, and which modules do."""
    found: dict[str, dict[str, set[str]]] = {}
    for importer, tree in MODULES.items():
        package = importer if importer in PACKAGES else importer.rsplit(".", 1)[0]
        for node in ast.walk(tree):
            if not isinstance(node, ast.ImportFrom):
                continue
            if node.level:
                base = package.split(".")[:len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module or ""
            if source not in MODULES or source == "assembler":
                continue
            for alias in node.names:
                if not alias.name.startswith("_") and f"{source}.{alias.name}" not in MODULES:
                    found.setdefault(source, {}).setdefault(alias.name, set()).add(importer)
    return found


def test_every_module_with_names_to_offer_lists_them():
    missing = [name for name, tree in MODULES.items() if _listed(tree) is None and _defined(tree) - {"__all__"}
               and not name.endswith("__main__")]
    assert not missing, f"modules without __all__: {missing}"


def _imports(tree: ast.Module) -> set[str]:
    """The names a module binds at its top level by an import."""
    return {alias.asname or alias.name.split(".")[0] for node in tree.body if isinstance(node, (ast.Import, ast.ImportFrom))
            for alias in node.names}


def test_each_listed_name_is_there_once():
    wrong = {}
    for name, tree in MODULES.items():
        if name.endswith("__main__"):  # running it is its only use
            continue
        listed = _listed(tree) or []
        module = importlib.import_module(name)
        # The package's own names live in their modules and load on first use.
        bound = _defined(tree) | _imports(tree) if name != "assembler" else set(listed)
        absent = [n for n in listed if n not in bound or not hasattr(module, n)]
        if absent or len(set(listed)) != len(listed):
            wrong[name] = absent or "a name twice"
    assert not wrong, f"names in __all__ that the module does not have: {wrong}"


def test_every_name_the_package_imports_from_a_module_is_in_its_list():
    unlisted = {}
    for source, names in _imported_from().items():
        listed = set(_listed(MODULES[source]) or [])
        for name, importers in names.items():
            if name not in listed:
                unlisted[f"{source}.{name}"] = sorted(importers)
    assert not unlisted, f"imported from a module whose __all__ leaves them out: {unlisted}"


def test_the_checks_above_can_fail():
    tree = ast.parse("from x import y as w\nimport p.q\nA = 1\nB, (C, D) = 2, (3, 4)\ndef f(): pass\n"
                     "class K: pass\n__all__ = ['A', 'Z']\n")
    assert _defined(tree) == {"A", "B", "C", "D", "f", "K", "__all__"} and _imports(tree) == {"w", "p"}
    assert _listed(tree) == ["A", "Z"]
    imported = _imported_from()
    assert imported["assembler.errors"]["EdlError"] >= {"assembler.render", "assembler.cli.console"}
    assert "assembler" not in imported  # the package's front is checked against its modules instead
