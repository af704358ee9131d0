"""Dependencies point one way: every import of the product packages, read with `ast` (also the ones inside
functions and under TYPE_CHECKING), goes down the layers, never up or sideways.

    app  >  ui  >  assistant  >  ingestion  >  retrieval  >  domain

A package may use any layer below it (the UI shows retrieval's SearchHit and ingestion's IngestReport as they are).
Two more rules of the house: only the persistence boundary imports the Google Cloud SDKs, and no two modules of a
package import each other (directly or round a circle).
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


# One persistence boundary: only these modules talk to Google Cloud (Firestore, Cloud Storage, Vertex AI); every
# other module reaches data through them (`domain` repositories, retrieval's index and chunk adapters, the Cloud
# Storage reader of ingestion), so that what stands behind a Protocol can change without touching its callers.
CLOUD_SDKS = ("google.cloud", "google.api_core", "google.auth", "firebase", "firebase_admin")
MAY_USE_CLOUD = frozenset(
    {
        "ingestion/sources.py",
        "retrieval/chunk_store.py",
        "retrieval/vertex_index.py",
    }
)


def imported_modules(path: Path) -> set[str]:
    """The full dotted names of every absolute import in the file (`from a.b import c` gives `a.b` and `a.b.c`)."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def cloud_imports(path: Path) -> set[str]:
    return {name for name in imported_modules(path) if any(name == s or name.startswith(f"{s}.") for s in CLOUD_SDKS)}


def test_only_the_persistence_boundary_imports_the_cloud_sdks() -> None:
    wrong = []
    for package, path in product_files():
        relative = path.relative_to(ROOT).as_posix()
        if package == "domain" or relative in MAY_USE_CLOUD:
            continue
        wrong += [f"{relative} imports {name}" for name in sorted(cloud_imports(path))]
    assert not wrong, "Google Cloud SDKs outside domain/ and the named adapters:\n" + "\n".join(wrong)


def test_the_check_sees_a_cloud_import(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text(
        "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from google.cloud import firestore\n"
        "def f():\n    import google.api_core.exceptions\n    from google.auth import default\n"
        "import googleapiclient\nfrom google_crc32c import value\n"
    )
    assert cloud_imports(module) == {
        "google.cloud",
        "google.cloud.firestore",
        "google.api_core.exceptions",
        "google.auth",
        "google.auth.default",
    }


# No import circle between the modules of one package: each module can be read (and changed) after the ones it
# uses. Every import counts, also a relative one, one inside a function and one under TYPE_CHECKING.
def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def sibling_imports(path: Path, root: Path, modules: set[str]) -> set[str]:
    """The modules of `modules` (one package's) that the file imports, relative imports resolved."""
    name = module_name(path, root)
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        targets: list[str] = []
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - (node.level - 1)]
                stem = ".".join(base + ([node.module] if node.module else []))
            else:
                stem = node.module or ""
            targets = [stem] + [f"{stem}.{alias.name}" for alias in node.names]
        for target in targets:
            while target and target not in modules:  # `import a.b.c` uses a.b.c, or its nearest module
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def import_cycles(root: Path, package: str) -> list[list[str]]:
    """Every circle of imports between the modules of `package` under `root` (one per strongly connected set)."""
    files = {module_name(p, root): p for p in sorted((root / package).rglob("*.py"))}
    graph = {name: sibling_imports(path, root, set(files)) for name, path in files.items()}
    # Tarjan's strongly connected components; a component of two or more modules is a circle.
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for nxt in sorted(graph[node]):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return cycles


@pytest.mark.parametrize("package", sorted(ALLOWED))
def test_no_import_circle_between_the_modules_of_a_package(package: str) -> None:
    cycles = import_cycles(ROOT, package)
    assert not cycles, f"import circles in {package}/:\n" + "\n".join(" <-> ".join(c) for c in cycles)


def test_the_check_sees_an_import_circle(tmp_path: Path) -> None:
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "a.py").write_text("from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.sub.b import B\n")
    (pkg / "sub" / "b.py").write_text("def f():\n    from .. import c\n")
    (pkg / "c.py").write_text("from . import a\n")
    (pkg / "d.py").write_text("import pkg.a\n")  # uses the circle, is not part of it
    assert import_cycles(tmp_path, "pkg") == [["pkg.a", "pkg.c", "pkg.sub.b"]]
