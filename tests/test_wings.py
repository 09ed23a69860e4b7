"""The product wing never imports the local wing (stand-ins and dev tooling).

Checked twice: statically, every import statement of every product module; and at run time,
importing each production entry point in a fresh interpreter loads no `avito_sync.local` module.
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "backend" / "avito_sync"
LOCAL = PACKAGE / "local"
LOCAL_MODULE = "avito_sync.local"


def _product_modules() -> list[Path]:
    return sorted(p for p in PACKAGE.rglob("*.py") if LOCAL not in p.parents)


def _imported_names(tree: ast.AST) -> list[str]:
    names: list[str] = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.extend(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module is not None and node.level == 0:
            names.append(node.module)
            names.extend(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def _is_local(name: str) -> bool:
    return name == LOCAL_MODULE or name.startswith(LOCAL_MODULE + ".")


def test_the_package_has_both_wings() -> None:
    product = _product_modules()
    assert len(product) > 50
    assert (LOCAL / "sandbox").is_dir()
    assert (LOCAL / "postgres").is_dir()


def test_no_product_module_imports_the_local_wing() -> None:
    offenders = {
        str(path.relative_to(PACKAGE)): sorted(filter(_is_local, _imported_names(tree)))
        for path in _product_modules()
        if (tree := ast.parse(path.read_text(encoding="utf-8")))
    }
    assert {path: names for path, names in offenders.items() if names} == {}


def test_the_static_check_sees_every_import_form() -> None:
    source = (
        "import avito_sync.local.sandbox\n"
        "from avito_sync import local\n"
        "def f():\n    from avito_sync.local.postgres import cli\n"
    )
    assert [n for n in _imported_names(ast.parse(source)) if _is_local(n)] == [
        "avito_sync.local.sandbox",
        "avito_sync.local",
        "avito_sync.local.postgres",
        "avito_sync.local.postgres.cli",
    ]


ENTRY_POINTS = (
    "avito_sync.api.app",
    "avito_sync.sync.runtime",
    "avito_sync.notify.runtime",
    "avito_sync.messenger.runtime",
    "avito_sync.cutover.cli",
    "avito_sync.cli",
)


def test_production_entry_points_load_nothing_local() -> None:
    probe = (
        f"import importlib, sys; [importlib.import_module(m) for m in {ENTRY_POINTS!r}]; "
        f"print(sorted(m for m in sys.modules if m.startswith({LOCAL_MODULE!r})))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


README = PACKAGE.parents[1] / "README.md"


def _layout_paths() -> set[str]:
    """Paths named in the README's layout table (first column, backticked)."""
    text = README.read_text(encoding="utf-8")
    section = text.split("## Layout", 1)[1].split("\n## ", 1)[0]
    paths: set[str] = set()
    for line in section.splitlines():
        if line.startswith("| `"):
            first_cell = line.split("|")[1]
            paths.update(part.strip("`/ ") for part in first_cell.split(",") if "`" in part)
    return paths


def test_the_readme_layout_matches_the_packages() -> None:
    listed = _layout_paths()
    root = PACKAGE.parents[1]
    packages = {
        str(path.parent.relative_to(root))
        for path in PACKAGE.glob("*/__init__.py")
        if path.parent != LOCAL
    } | {str(path.parent.relative_to(root)) for path in LOCAL.glob("*/__init__.py")}
    assert sorted(packages - listed) == []
    missing = sorted(p for p in listed if not (root / p).exists())
    assert missing == []
