"""Dependencies point one way: every import of the product packages, read with `ast` (also the ones inside
functions and under TYPE_CHECKING), goes down the layers, never up or sideways.

    app  >  ui  >  assistant  >  ingestion  >  retrieval  >  domain

A package may use any layer below it (the UI shows retrieval's SearchHit and ingestion's IngestReport as they are).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What each package may import of the others (itself always).
ALLOWED: dict[str, frozenset[str]] = {
    "app": frozenset({"ui", "assistant", "ingestion", "retrieval", "domain"}),
    "ui": frozenset({"assistant", "ingestion", "retrieval", "domain"}),
    "assistant": frozenset({"ingestion", "retrieval", "domain"}),
    "ingestion": frozenset({"retrieval", "domain"}),
    "retrieval": frozenset({"domain"}),
    "domain": frozenset(),
}


def imported_packages(path: Path) -> set[str]:
    """The top-level names of every absolute import in the file."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


def product_files() -> list[tuple[str, Path]]:
    return [(package, path) for package in ALLOWED for path in sorted((ROOT / package).rglob("*.py"))]


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_every_package_has_modules(package: str) -> None:
    assert list((ROOT / package).rglob("*.py")), f"{package}/ has no modules: is the layer list out of date?"


def test_no_import_runs_back_up() -> None:
    wrong = []
    for package, path in product_files():
        for name in imported_packages(path) & set(ALLOWED):
            if name != package and name not in ALLOWED[package]:
                wrong.append(f"{path.relative_to(ROOT)} imports {name}")
    assert not wrong, "imports against the layer order:\n" + "\n".join(wrong)


def test_the_check_sees_an_upward_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("def f():\n    from app.wiring import Services\n    import ui.app\n")
    assert imported_packages(module) == {"app", "ui"}
