"""The shape of the code that reviews asked for, kept: a thin CLI, no process-global state, small folders, imports
that point one way."""

import ast
import graphlib
from pathlib import Path
from typing import Dict, Iterator, Set

import pytest

from tests.helpers import REPO_ROOT

PACKAGE = REPO_ROOT / "zoho_crm"
CLI = REPO_ROOT / "zoho_crm_pipeline.py"
MAX_CLI_LINES = 150
MAX_MODULES_PER_FOLDER = 12


def python_files(root: Path) -> Iterator[Path]:
    return (p for p in sorted(root.rglob("*.py")) if "__pycache__" not in p.parts)


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, known: Set[str]) -> Set[str]:
    """Modules of the same package that `path` imports: at the top, under TYPE_CHECKING or inside functions."""
    name = module_name(path)
    package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
    found: Set[str] = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            anchor = package[: len(package) - node.level + 1]
            target = ".".join([*anchor, node.module]) if node.level and node.module else node.module or ""
            target = ".".join(anchor) if node.level and not node.module else target
            for alias in node.names:
                full = f"{target}.{alias.name}"
                found.add(full if full in known else target)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return {m for m in found if m in known and m != name}


@pytest.mark.parametrize("package", ["zoho_crm", "zoho_emulator"])
def test_no_import_cycle(package: str) -> None:
    files = list(python_files(REPO_ROOT / package))
    known = {module_name(p) for p in files}
    graph: Dict[str, Set[str]] = {module_name(p): imports_of(p, known) for p in files}
    try:
        list(graphlib.TopologicalSorter(graph).static_order())
    except graphlib.CycleError as cycle:
        pytest.fail(f"import cycle in {package}: {' -> '.join(cycle.args[1])}")


def test_the_cli_is_flags_printing_and_exit_codes_around_the_library() -> None:
    assert len(CLI.read_text().splitlines()) <= MAX_CLI_LINES


def test_no_folder_of_the_package_holds_more_than_twelve_modules() -> None:
    for folder in [PACKAGE, *(p for p in PACKAGE.rglob("*") if p.is_dir() and p.name != "__pycache__")]:
        modules = [p for p in folder.glob("*.py")] + [p for p in folder.iterdir() if (p / "__init__.py").exists()]
        assert len(modules) <= MAX_MODULES_PER_FOLDER, f"{folder.relative_to(REPO_ROOT)}: {len(modules)} modules"


@pytest.mark.parametrize("path", [*python_files(PACKAGE), CLI], ids=lambda p: str(p.relative_to(REPO_ROOT)))
def test_no_global_statement_and_no_write_into_dlt_config(path: Path) -> None:
    for node in ast.walk(ast.parse(path.read_text())):
        assert not isinstance(node, ast.Global), f"{path.name}:{node.lineno}: global state"
        targets = node.targets if isinstance(node, ast.Assign) else []
        targets += [node.target] if isinstance(node, ast.AugAssign) else []
        for target in targets:
            written = ast.unparse(target.value) if isinstance(target, ast.Subscript) else ""
            assert written not in ("dlt.config", "dlt.secrets"), f"{path.name}:{node.lineno}: writes {written}"
