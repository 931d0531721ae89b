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
