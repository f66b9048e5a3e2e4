"""The style guide keeps functions under ~60 lines: small enough to read whole. A function may stay
longer only if it is listed here with the reason."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[2] / "tuoyu"
LIMIT = 60
ALLOWED: dict[str, str] = {}


def long_functions(root: Path, limit: int = LIMIT) -> Iterator[tuple[str, int]]:
    """(path:qualified name, lines) of every function or method over `limit` lines."""
    for path in sorted(root.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        yield from _walk(tree, f"{path.relative_to(root.parent).as_posix()}:", limit)


def _walk(node: ast.AST, prefix: str, limit: int) -> Iterator[tuple[str, int]]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            name = f"{prefix}{child.name}"
            if not isinstance(child, ast.ClassDef):
                length = (child.end_lineno or child.lineno) - child.lineno + 1
                if length > limit:
                    yield name, length
            yield from _walk(child, f"{name}.", limit)


def test_no_function_in_the_package_is_longer_than_60_lines_unless_listed_with_its_reason():
    found = {name: length for name, length in long_functions(PACKAGE) if name not in ALLOWED}
    assert found == {}, "split these (or list them in ALLOWED with the reason they stay):\n" + "\n".join(
        f"  {length} lines  {name}" for name, length in sorted(found.items())
    )


def test_the_finder_sees_a_long_function(tmp_path):
    module = tmp_path / "pkg" / "m.py"
    module.parent.mkdir()
    module.write_text("def short():\n    pass\n\n\nclass C:\n    def long(self):\n" + "        x = 1\n" * 61)
    assert list(long_functions(tmp_path / "pkg")) == [("pkg/m.py:C.long", 62)]
