"""Sphinx configuration of gradtrace's documentation site (`make docs`; built offline).

Sphinx + MyST-NB + furo: the user guide is MyST Markdown (docs/guide/*.md), the notebooks are
the committed .ipynb files rendered with their outputs (never executed here), the API reference
comes from the docstrings (autodoc, members from each package's `__all__`), and MathJax is
served from the site itself (django-static-mathjax's copy, in the `docs` extra): no CDN.
"""

import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS / "_ext"))

project = "gradtrace"
author = "The gradtrace developers"
copyright = "the gradtrace developers, MIT licence"  # noqa: A001 - Sphinx's name
try:
    from importlib.metadata import version as _version

    release = _version("gradtrace")
except Exception:  # pragma: no cover - building from a tree without the package installed
    release = ""

extensions = [
    "myst_nb",  # MyST Markdown and the notebooks (it brings myst_parser)
    "sphinx.ext.autodoc",
    "sphinx.ext.mathjax",
    "sphinxarg.ext",  # the command line, from its argparse parser
    "gradtrace_docs",  # ours: notebooks, pictures, explorer pages, local MathJax, name mapping
]

root_doc = "index"
smartquotes = False  # `--wrt` stays two hyphens, quotes stay as typed (code-heavy prose)
exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store", "**.ipynb_checkpoints"]
source_suffix = {".md": "myst-nb", ".ipynb": "myst-nb", ".rst": "restructuredtext"}

# Warnings are errors in CI (`make docs` passes -W); every cross-reference must resolve.
nitpicky = True
# Offline: no intersphinx inventories can be fetched, so names from outside gradtrace are shown
# as text. Everything under gradtrace must resolve.
nitpick_ignore_regex = [
    (r"py:.*", r"gradtrace\..*\._\w+"),  # private helpers (a base class shown by inheritance)
    (r"py:.*", r"(numpy|np|graphviz|matplotlib|torch|pathlib|collections|typing|types)\b.*"),
    (r"py:.*", r"(contextlib|os|io|argparse|enum|abc|numbers|datetime|_io|_contextvars)\b.*"),
    (r"py:.*", r"(ndarray|Path|Digraph|Figure|Axes|Generator|ArrayLike|DTypeLike)"),
    (r"py:.*", r"(Any|Callable|Iterable|Iterator|Sequence|Mapping|Hashable|Self|TypeAlias)"),
]

# A literal block (an aligned table in a docstring, a fence with no language) is shown as typed;
# ```python fences are still highlighted.
highlight_language = "none"

# Docstrings here are plain text with `name` for code: show single backticks as code.
default_role = "literal"
autodoc_default_options = {"members": True, "show-inheritance": True}
autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_class_signature = "separated"
add_module_names = False
python_use_unqualified_type_names = True

myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence", "deflist", "html_image"]
myst_heading_anchors = 3
nb_execution_mode = "off"  # the notebooks are committed executed; the docs render them
nb_merge_streams = True

html_theme = "furo"
html_title = f"gradtrace {release}"
html_static_path = ["_static"]
html_css_files = ["gradtrace.css"]
html_extra_path = ["_generated/extra"]  # the explorer pages, at the site's root
html_show_sourcelink = False
html_copy_source = False
html_last_updated_fmt = None

# MathJax from the site itself (gradtrace_docs copies it into _static/mathjax)
mathjax_path = "mathjax/tex-chtml.js"
