"""Every import inside the package runs downward: the layers below, never a layer above.

  entry points   train.py, predict.py, prepare.py, crossval.py, ... (any of the layers below)
  6              serve    (the web app: over stream and inference, as an entry point is)
  5              export, tuning, studies, stream
  4              training
  3              model, inference, demo   (no imports between the three)
  2              data
  1              config
  0              files.py, runtime.py, native_logs.py

Imports inside functions count too: a lazy import is still a dependency. A unit may import
its own modules freely.
"""

from __future__ import annotations

import ast
import pathlib

PACKAGE = pathlib.Path(__file__).resolve().parents[1] / "mrpn_tf"
LAYERS = (
    {"files.py", "runtime.py", "native_logs.py"},
    {"config"},
    {"data"},
    {"model", "inference", "demo"},
    {"training"},
    {"export", "tuning", "studies", "stream"},
    {"serve"},
)
LEVEL = {unit: level for level, units in enumerate(LAYERS) for unit in units}


def _unit(parts: list[str]) -> str:
    """The top-level unit of a module inside the package: a subpackage, or a module file."""
    head = parts[0]
    return head if (PACKAGE / head).is_dir() else f"{head}.py"


def _imports(path: pathlib.Path) -> set[str]:
    """The package units a file imports (module level or inside functions)."""
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[0] == "mrpn_tf":
            parts = node.module.split(".")[1:]
            names = [[alias.name] for alias in node.names] if not parts else [parts]
            found |= {_unit(name) for name in names}
        elif isinstance(node, ast.Import):
            found |= {_unit(a.name.split(".")[1:]) for a in node.names
                      if a.name.startswith("mrpn_tf.")}
    return found


def _violations() -> list[str]:
    bad = []
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(PACKAGE).parts)
        if len(parts) == 1 and parts[0] in ("__init__.py", "__main__.py"):
            continue
        unit = _unit(parts[:1] if len(parts) > 1 else [parts[0][:-3]])
        if unit not in LEVEL:
            continue  # an entry point: it may import any layer
        for imported in _imports(path) - {unit}:
            level = LEVEL.get(imported)
            if level is None or level >= LEVEL[unit]:
                bad.append(f"{path.relative_to(PACKAGE.parent)} ({unit}, layer {LEVEL[unit]}) "
                           f"imports {imported} (layer {level if level is not None else 'entry point'})")
    return bad


def test_every_import_runs_downward():
    assert _violations() == []


def test_every_unit_has_a_layer_or_is_an_entry_point():
    units = {_unit([p.name if p.is_dir() else p.stem]) for p in PACKAGE.iterdir()
             if (p.is_dir() and (p / "__init__.py").is_file()) or p.suffix == ".py"}
    entry_points = {u for u in units if u not in LEVEL}
    # Entry points are modules with a command line; a new subpackage must be given a layer.
    assert all(u.endswith(".py") for u in entry_points), sorted(entry_points)
    assert set(LEVEL) <= units
