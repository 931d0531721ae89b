"""Sphinx extension for gradtrace's site: what `make docs` needs besides the Markdown.

- the notebooks: notebooks/*.ipynb copied into docs/notebooks/ (rendered, never executed);
- the pictures and explorer pages the pages show, drawn by gradtrace itself into _generated/;
- MathJax copied from the `docs` extra's django-static-mathjax into the site (no CDN);
- docstrings read as the plain text they are (indented blocks kept as typed, |x|, a*b and
  max_norm_ shown as written, not as reST markup), so any helper's docstring builds clean;
- api/types.md written from the type hints: every gradtrace class that a public function
  takes or returns (or a returned class holds) but no package exports gets its entry there;
- a name defined in a private module (gradtrace.value.Value) resolved to where the reference
  documents it (gradtrace.Value), so type hints link and nitpicky mode stays quiet.
"""

from __future__ import annotations

import importlib
import importlib.util
import inspect
import re
import shutil
import typing
from pathlib import Path
from typing import Any

DOCS = Path(__file__).resolve().parents[1]
REPO = DOCS.parent
GENERATED = DOCS / "_generated"
MATHJAX_PARTS = ("tex-chtml.js", "a11y", "adaptors", "input", "output", "sre", "ui")


def copy_if_changed(source: Path, target: Path) -> None:
    """Copy keeping the time stamp, so Sphinx re-reads only notebooks that changed."""
    if target.exists() and target.read_bytes() == source.read_bytes():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy2(source, target)


def copy_notebooks() -> None:
    """notebooks/NN_name.ipynb -> docs/notebooks/ (git-ignored), stale copies removed."""
    folder = DOCS / "notebooks"
    sources = sorted((REPO / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    names = {s.name for s in sources}
    for old in folder.glob("*.ipynb"):
        if old.name not in names:
            old.unlink()
    for source in sources:
        copy_if_changed(source, folder / source.name)


def pictures() -> None:
    """The explorer pages that the site embeds, drawn from the lecture's two examples."""
    import pictures as drawn  # docs/_ext/pictures.py

    drawn.explorer_pages(GENERATED / "extra" / "pages")


def mathjax_folder() -> Path:
    spec = importlib.util.find_spec("mathjax")  # django-static-mathjax, without importing it
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "MathJax for the offline site is missing: pip install -e '.[docs]' "
            "(it brings django-static-mathjax)"
        )
    return Path(next(iter(spec.submodule_search_locations))) / "static" / "mathjax" / "es5"


def copy_mathjax(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    source, target = mathjax_folder(), Path(app.outdir) / "_static" / "mathjax"
    for part in MATHJAX_PARTS:
        if (target / part).exists():
            continue
        if (source / part).is_dir():
            shutil.copytree(source / part, target / part)
        else:
            target.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source / part, target / part)


PUBLIC = ("gradtrace", "gradtrace.nn", "gradtrace.viz", "gradtrace.cli", "gradtrace.micrograd")
SUBMODULES = (
    "gradtrace.gates",
    "gradtrace.micrograd.nn",
    "gradtrace.nn.functional",
    "gradtrace.nn.optim",
    "gradtrace.nn.metrics",
    "gradtrace.nn.data",
    "gradtrace.nn.init",
    "gradtrace.viz.plots",
    "gradtrace.viz.conv",
)


def _ours(obj: Any) -> bool:
    return isinstance(obj, type) and getattr(obj, "__module__", "").startswith("gradtrace")


def _classes_in(hint: Any) -> set[type]:
    """The gradtrace classes a type hint names (inside unions, lists, tuples ...)."""
    found = {hint} if _ours(hint) else set()
    for arg in typing.get_args(hint):
        found |= _classes_in(arg)
    return found


def _hints(obj: Any) -> set[type]:
    try:
        hints = typing.get_type_hints(obj)
    except Exception:  # a hint only importable under TYPE_CHECKING: nitpicky will say
        return set()
    return set().union(*map(_classes_in, hints.values())) if hints else set()


def _mentioned(obj: Any) -> set[type]:
    """The gradtrace classes a public function or class mentions in its hints and bases."""
    if not isinstance(obj, type):
        return _hints(obj) if callable(obj) else set()
    found = _hints(obj) | {base for base in obj.__bases__ if _ours(base)}
    for name, member in vars(obj).items():
        if name.startswith("_") and name != "__init__":
            continue
        target = member.fget if isinstance(member, property) else member
        if callable(target):
            found |= _hints(target)
    return found


def returned_types() -> list[type]:
    """Classes the public API mentions that no package exports, nearest first."""
    exported, todo = set(), []
    for name in PUBLIC + SUBMODULES:
        module = importlib.import_module(name)
        for attr in getattr(module, "__all__", None) or [a for a in vars(module) if a[0] != "_"]:
            obj = getattr(module, attr)
            if _ours(obj) or (inspect.isfunction(obj) and obj.__module__.startswith("gradtrace")):
                exported.add(obj)
                todo.append(obj)
    seen, extra = set(), []
    while todo:
        for cls in sorted(_mentioned(todo.pop(0)), key=lambda c: c.__qualname__):
            if cls in seen or cls in exported or cls.__name__.startswith("_"):
                continue
            seen.add(cls)
            extra.append(cls)
            todo.append(cls)
    return extra


def write_types_page() -> None:
    lines = [
        "# Other classes",
        "",
        "Classes that the functions above take or return (a report, a finding, a path of the",
        "chain rule) without a package exporting them by name. Found from the type hints at",
        "each build.",
        "",
        "```{eval-rst}",
    ]
    for cls in returned_types():
        lines += [f".. autoclass:: {cls.__module__}.{cls.__qualname__}", ""]
    text = "\n".join([*lines, "```", ""])
    page = DOCS / "api" / "types.md"
    if not page.exists() or page.read_text() != text:
        page.write_text(text)


def prepare(app: Any) -> None:
    mathjax_folder()  # fail early, with the fix, when the extra is not installed
    copy_notebooks()
    pictures()
    write_types_page()


def _object(dotted: str) -> Any:
    """The object a dotted name points to, or None."""
    parts = dotted.split(".")
    for cut in range(len(parts) - 1, 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:cut]))
        except ImportError:
            continue
        try:
            for attr in parts[cut:]:
                obj = getattr(obj, attr)
        except AttributeError:
            return None
        return obj
    return None


def _documented(env: Any) -> dict[int, str]:
    """id(object) -> the name the reference documents it under (the shortest one)."""
    cache = getattr(env, "_gradtrace_documented", None)
    if cache is None:
        cache = {}
        for name in sorted(env.get_domain("py").objects, key=len, reverse=True):
            obj = _object(name)
            if obj is not None:
                cache[id(obj)] = name
        env._gradtrace_documented = cache
    return cache


def missing_reference(app: Any, env: Any, node: Any, contnode: Any) -> Any:
    if node.get("refdomain") != "py" or not node.get("reftarget", "").startswith("gradtrace"):
        return None
    obj = _object(node["reftarget"])
    public = _documented(env).get(id(obj)) if obj is not None else None
    if public is None or public == node["reftarget"]:
        return None
    domain = env.get_domain("py")
    return domain.resolve_xref(
        env, node.get("refdoc", ""), app.builder, node["reftype"], public, node, contnode
    )


BACKTICKS = re.compile(r"(``.*?``|`[^`]*`)")
LIST_ITEM = re.compile(r"^(\s*)([-*+]|\d+[.)]) +")


def _escape(text: str) -> str:
    """Plain text -> reST text: markup characters outside `code` spans shown as typed."""
    parts = BACKTICKS.split(text)
    for i in range(0, len(parts), 2):  # the even parts are outside backticks
        part = parts[i].replace("\\", "\\\\")
        part = re.sub(r"([|*])", r"\\\1", part)
        parts[i] = re.sub(r"(?<=\w)_(?=\W|$)", r"\\_", part)
    for i in range(1, len(parts), 2):  # `Finding`s: a span must touch no letter (reST)
        if re.search(r"\w$", parts[i - 1]):
            parts[i - 1] += "\\ "
        if re.match(r"\w", parts[i + 1]):
            parts[i + 1] = "\\ " + parts[i + 1]
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


def plain_text_docstring(lines: list[str]) -> list[str]:
    """A plain-text docstring as reST: a run of lines indented deeper than the text around
    it (a code sample, an aligned table) becomes a literal block; a list gets the blank line
    reST needs before it; markup characters elsewhere are escaped."""
    out: list[str] = []
    literal, item_indent = False, None
    for line in lines:
        blank = not line.strip()
        if literal:
            if blank or _indent(line) > 0:
                out.append(line)
                continue
            literal = False
            out.append("")
        if blank:
            item_indent = None
            out.append(line)
            continue
        if out and out[-1].strip() and _indent(line) < _indent(out[-1]):
            out.append("")  # an indented list or block ends: reST wants a blank line
        item = LIST_ITEM.match(line)
        continues_item = item_indent is not None and _indent(line) == item_indent
        if _indent(line) > 0 and not item and not continues_item:
            if line.lstrip().startswith(">>>") and (not out or not out[-1].strip()):
                out.append(line)
                continue
            out += ["", "::", "", line]
            literal, item_indent = True, None
            continue
        if item:
            if out and out[-1].strip() and item_indent is None:
                out.append("")
            item_indent = len(item.group(0))
        elif _indent(line) == 0:
            item_indent = None
        out.append(_escape(line))
    return out


def process_docstring(app: Any, what: str, name: str, obj: Any, options: Any, lines: list) -> None:
    if name.startswith("gradtrace"):
        lines[:] = plain_text_docstring(lines)


def process_signature(app: Any, what: str, name: str, obj: Any, options: Any, signature, ret):
    """A dataclass field with a default factory shows as `=<factory>`, which is not Python:
    Sphinx then splits the signature at every comma. Show `=...` instead."""
    if signature and "<factory>" in signature:
        return signature.replace("<factory>", "..."), ret
    return None


def process_bases(app: Any, name: str, obj: Any, options: Any, bases: list) -> None:
    """`Bases: object` says nothing: show bases only when there is one to see."""
    bases[:] = [base for base in bases if base is not object]


def drop_empty_bases(app: Any, doctree: Any) -> None:
    """autodoc writes "Bases:" even when process_bases left none: remove that line."""
    from docutils import nodes

    for paragraph in list(doctree.findall(nodes.paragraph)):
        if paragraph.astext().strip() == "Bases:":
            paragraph.parent.remove(paragraph)


def setup(app: Any) -> dict[str, Any]:
    app.connect("config-inited", lambda app, config: prepare(app))
    app.connect("autodoc-process-docstring", process_docstring)
    app.connect("autodoc-process-signature", process_signature)
    app.connect("autodoc-process-bases", process_bases)
    app.connect("doctree-read", drop_empty_bases)
    app.connect("missing-reference", missing_reference)
    app.connect("build-finished", copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
