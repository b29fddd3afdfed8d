"""The package layout's import rules, read statically from the source (every ``import``,
including the lazy ones inside functions and under ``TYPE_CHECKING``).

- The runtime core (one module per pipeline stage plus cleaner, artifact, executors) imports
  nothing from the training-data builder, evaluation, I/O or CLI packages.
- Executors (``parallel``, ``dask``) may use the cleaner; the cleaner never imports ``dask``,
  and ``parallel`` is a generic ordered pool that imports no cleaner.
- Training may use the core and the evaluation metrics (thresholds are chosen by them); evaluation
  never imports training; neither imports the CLI.
- No import cycle between filter modules.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "filter"
CORE = {"segment", "normalize", "features", "model", "decode", "render", "spans", "cleaner", "artifact", "trees", "jit",
        "parallel", "dask", "doc", "runtime", "window", "langid"}
OUTER = ("filter.training", "filter.evaluation", "filter.io", "filter.cli")


def _module_name(path: Path) -> str:
    rel = path.relative_to(PKG.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    pkg = _module_name(path).rsplit(".", 1)[0] if path.name != "__init__.py" else _module_name(path)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.split(".")[0] == "filter")
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")[: len(pkg.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "filter":
                continue
            out.add(mod)
            for a in node.names:   # "from filter import dask" imports the module filter.dask
                if (PKG.parent / (mod.replace(".", "/") + "/" + a.name + ".py")).exists() or \
                        (PKG.parent / mod.replace(".", "/") / a.name / "__init__.py").exists():
                    out.add(f"{mod}.{a.name}")
    return out


GRAPH = {_module_name(p): _imports(p) for p in PKG.rglob("*.py")}


def _is_core(mod: str) -> bool:
    parts = mod.split(".")
    return len(parts) == 2 and parts[1] in CORE or mod == "filter"


def test_graph_is_read():
    assert "filter.cleaner" in GRAPH and "filter.training.fit" in GRAPH
    assert "filter.model" in GRAPH["filter.training.fit"]


@pytest.mark.parametrize("mod", sorted(m for m in GRAPH if _is_core(m)))
def test_core_imports_no_outer_layer(mod):
    bad = sorted(i for i in GRAPH[mod] if i.startswith(OUTER))
    assert not bad, f"{mod} (runtime core) imports {bad}"


def test_every_top_level_module_has_a_role():
    top = {m.split(".")[1] for m in GRAPH if m.count(".") == 1 and not any(m.startswith(o) for o in OUTER)}
    assert top - CORE <= {"__main__"}, f"modules outside the four roles: {sorted(top - CORE)}"


def test_executors_depend_on_the_cleaner_never_the_reverse():
    assert "filter.dask" not in GRAPH["filter.cleaner"]
    assert "filter.cleaner" not in GRAPH["filter.parallel"]
    assert "filter.cleaner" in GRAPH["filter.dask"]


def test_evaluation_and_training_never_import_the_cli():
    for mod, deps in GRAPH.items():
        if mod.startswith(("filter.training", "filter.evaluation", "filter.io")):
            assert not [d for d in deps if d.startswith("filter.cli")], mod
        if mod.startswith("filter.evaluation"):   # one way: fitting chooses thresholds by the metrics
            assert not [d for d in deps if d.startswith("filter.training")], mod


def test_no_import_cycle():
    mods = set(GRAPH)

    def deps(m: str) -> set[str]:   # a package import counts as importing its __init__
        return {d for d in GRAPH[m] if d in mods and d != m and not m.startswith(d + ".")}

    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        path.append(m)
        for d in deps(m):
            if state.get(d) == 1:
                raise AssertionError("import cycle: " + " -> ".join(path[path.index(d):] + [d]))
            if d not in state:
                visit(d)
        path.pop()
        state[m] = 2

    for m in sorted(mods):
        if m not in state:
            visit(m)
