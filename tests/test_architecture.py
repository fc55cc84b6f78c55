"""The layers import one way: import-linter's contracts in pyproject.toml hold them to it."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(src: Path, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(src)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--config", str(ROOT / "pyproject.toml"), "--no-cache"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _copy_package(tmp_path: Path) -> Path:
    src = tmp_path / "src"
    shutil.copytree(ROOT / "src" / "wf_structlog", src / "wf_structlog")
    return src


class TestLayers:
    def test_the_package_keeps_its_contracts(self, tmp_path: Path) -> None:
        """The package as it is keeps every import contract."""
        result = _lint(_copy_package(tmp_path), tmp_path)
        assert result.returncode == 0, result.stdout + result.stderr
        assert "0 broken" in result.stdout

    def test_an_import_up_a_layer_breaks_the_contract(self, tmp_path: Path) -> None:
        """A runtime module that imports the configuration, even inside a function, fails."""
        src = _copy_package(tmp_path)
        ids = src / "wf_structlog" / "_runtime" / "ids.py"
        ids.write_text(ids.read_text() + "\n\ndef _late():\n    from ..config import configure\n")
        result = _lint(src, tmp_path)
        assert result.returncode != 0
        assert "wf_structlog._runtime is not allowed to import wf_structlog.config" in result.stdout

    def test_the_reading_side_may_not_reach_the_runtime(self, tmp_path: Path) -> None:
        """A reader that imports the runtime's state fails the reading side's contract."""
        src = _copy_package(tmp_path)
        tree = src / "wf_structlog" / "reading" / "tree.py"
        tree.write_text(tree.read_text() + "\nfrom .._runtime.state import STATE\n")
        result = _lint(src, tmp_path)
        assert result.returncode != 0
        broken = "wf_structlog.reading is not allowed to import wf_structlog._runtime"
        assert broken in result.stdout


def _body_lines(node: ast.FunctionDef | ast.AsyncFunctionDef) -> int:
    """Lines of a function's body, its signature and docstring left out."""
    body = node.body
    if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
        body = body[1:] or body
    assert node.end_lineno is not None
    return node.end_lineno - body[0].lineno + 1


class TestSizes:
    def test_modules_and_functions_stay_small(self) -> None:
        """No module over 450 lines, no function body over 50: a longer one misses a name."""
        too_long = []
        for path in sorted((ROOT / "src" / "wf_structlog").rglob("*.py")):
            text = path.read_text("utf-8")
            name = path.relative_to(ROOT)
            lines = text.count("\n")
            if lines > 450:
                too_long.append(f"{name}: {lines} lines")
            functions = (
                node
                for node in ast.walk(ast.parse(text))
                if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
            )
            too_long += [
                f"{name}: {f.name}() {_body_lines(f)}" for f in functions if _body_lines(f) > 50
            ]
        assert too_long == []
