"""viz's files: no import circles, no module importing the ones that use it."""

import ast
from pathlib import Path

VIZ = Path(__file__).resolve().parents[1] / "viz"


def imports_within_viz(path):
    tree = ast.parse(path.read_text())
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and node.level == 1:
            if node.module:
                found.add(node.module.split(".")[0])
            else:
                found.update(a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("gradtrace.viz."):
            found.add(node.module.split(".")[2])
    return found


def test_viz_modules_import_each_other_without_a_circle():
    graph = {p.stem: imports_within_viz(p) for p in VIZ.glob("*.py") if p.stem != "__init__"}
    graph = {k: {m for m in v if m in graph} for k, v in graph.items()}
    done, active = set(), []

    def visit(m):
        assert m not in active, "import circle: " + " -> ".join([*active, m])
        if m in done:
            return
        active.append(m)
        for n in sorted(graph[m]):
            visit(n)
        active.pop()
        done.add(m)

    for m in sorted(graph):
        visit(m)


def test_the_shared_pieces_import_no_picture():
    pictures = {"circuit", "network", "steps", "plots", "jupyter", "conv"}
    for shared in ("graph", "style", "dot", "modules"):
        assert not imports_within_viz(VIZ / f"{shared}.py") & pictures, shared


# ---------------------------------------------------------------------- nn and the engine too
PACKAGES = {  # folder -> its import name
    "nn": "gradtrace.nn",
    "autograd": "gradtrace",
}


def imports_within(folder, package):
    """The modules of `folder` that each of its modules imports (relative or absolute, at
    the top or inside a function: a lazy import closes a circle all the same)."""
    names = {p.stem for p in folder.glob("*.py") if p.stem != "__init__"}
    graph = {}
    for path in folder.glob("*.py"):
        if path.stem == "__init__":
            continue
        found = set()
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ImportFrom) and node.level == 1:
                found.update(
                    [node.module.split(".")[0]] if node.module else [a.name for a in node.names]
                )
            elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(package + "."):
                found.add(node.module[len(package) + 1 :].split(".")[0])
            elif isinstance(node, ast.ImportFrom) and node.module == package:
                found.update(a.name for a in node.names)
            elif isinstance(node, ast.Import):
                found.update(
                    a.name[len(package) + 1 :].split(".")[0]
                    for a in node.names
                    if a.name.startswith(package + ".")
                )
        graph[path.stem] = found & names - {path.stem}
    return graph


def circle(graph):
    """One import circle of `graph` as a list of modules, or None."""
    done, active = set(), []

    def visit(m):
        if m in active:
            return [*active[active.index(m) :], m]
        if m in done:
            return None
        active.append(m)
        for n in sorted(graph[m]):
            found = visit(n)
            if found:
                return found
        active.pop()
        done.add(m)
        return None

    for m in sorted(graph):
        found = visit(m)
        if found:
            return found
    return None


def test_nn_and_the_engine_import_each_other_without_a_circle():
    root = VIZ.parent
    for folder, package in PACKAGES.items():
        found = circle(imports_within(root / folder, package))
        assert found is None, f"{folder}: import circle: " + " -> ".join(found)


def test_the_circle_check_finds_a_circle():
    assert circle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert circle({"a": {"b"}, "b": set()}) is None
