"""Fail on any import in `src` that runs against the stage order (`src.STAGES`), module level or inside a function.

python -m src.apps.check_imports [ROOT]   (make lint)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

from src import ROOT, STAGES


def _targets(tree: ast.AST, module: str) -> list[tuple[int, str]]:
    """(line, imported module) for every import of `src.*` anywhere in the tree (relative imports resolved)."""
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(node.lineno, a.name) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = module.split(".")[: -node.level]
                base = ".".join([*parent, base] if base else parent)
            # `from src import data` imports a stage; `from src import ROOT` only the package's own names
            out += [(node.lineno, f"src.{a.name}" if base == "src" and a.name in STAGES else base) for a in node.names]
    return [(line, name) for line, name in out if name == "src" or name.startswith("src.")]


def stage_of(module: str) -> int | None:
    """Index of a `src.<stage>...` module's stage in `STAGES`; None for `src` itself."""
    parts = module.split(".")
    if len(parts) < 2:
        return None
    if parts[1] not in STAGES:
        raise ValueError(f"{module}: src.{parts[1]} is not a stage of src.STAGES {STAGES}; add it there")
    return STAGES.index(parts[1])


def violations(root: Path = ROOT) -> list[str]:
    """One line per import against the order, as `path:line: a -> b`."""
    bad = []
    for path in sorted((root / "src").rglob("*.py")):
        rel = path.relative_to(root)
        module = ".".join(rel.with_suffix("").parts).removesuffix(".__init__")
        own = stage_of(module)
        for line, target in _targets(ast.parse(path.read_text(), str(path)), module):
            other = stage_of(target)
            if own is not None and other is not None and other > own:
                bad.append(f"{rel}:{line}: {module} imports {target} ({STAGES[own]} < {STAGES[other]})")
    return bad


def main(argv: list[str] | None = None) -> None:
    """Print each violation and exit 1 if there is any."""
    args = argv if argv is not None else sys.argv[1:]
    bad = violations(Path(args[0]) if args else ROOT)
    for line in bad:
        print(line)
    if bad:
        sys.exit(f"{len(bad)} import(s) against src.STAGES {' < '.join(STAGES)}")


if __name__ == "__main__":
    main()
