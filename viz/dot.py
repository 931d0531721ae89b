"""DOT writing and the one place Graphviz runs: fast node/edge writers, HTML-label cells, the
`dot` call (always with a time limit), a layout read back as JSON, and files written safely.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from functools import lru_cache
from pathlib import Path
from typing import Any

import graphviz

FORMATS = {".svg": "svg", ".png": "png", ".pdf": "pdf", ".dot": None, ".gv": None}
TIMEOUT = 60.0  # seconds any one Graphviz run may take
# PNGs are drawn at twice Graphviz's 96 dpi unless the graph sets its own: the (x+y)z picture
# is 822 px wide instead of 411, big enough to read on a slide.
PNG_DPI = 192


class GraphvizNotFoundError(RuntimeError):
    """Graphviz's `dot` program is needed to lay out a picture but is not installed."""


class GraphvizTimeoutError(RuntimeError):
    """Graphviz took longer than its time limit to lay out a picture."""


class GraphvizError(RuntimeError):
    """Graphviz refused a picture (its own message follows)."""


# ---------------------------------------------------------------------------- writing DOT
DOT_KEYWORDS = {"node", "edge", "graph", "digraph", "subgraph", "strict"}
_ID = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
_NUMERAL = re.compile(r"-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)\Z")


@lru_cache(maxsize=4096)
def _plain(v: str) -> str:
    if _ID.match(v) and v.lower() not in DOT_KEYWORDS or _NUMERAL.match(v):
        return v
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"'


class HTML(str):
    """A Graphviz HTML-like label (`<...>`) that gradtrace built itself from escaped text.

    Only this type is written into DOT as markup; every other string, whatever it looks like
    (a user's label `'<b>x</b>'`, say), is quoted as text. User text is data, never markup."""


def _value(v: str) -> str:
    if isinstance(v, HTML):
        return v
    return _plain(v)


def attributes(a: dict[str, str]) -> str:
    """' [label=... k=v ...]' in DOT, label first, the rest sorted (reproducible text)."""
    if not a:
        return ""
    items = [f"label={_value(a['label'])}"] if "label" in a else []
    items += [f"{k}={_value(v)}" for k, v in sorted(a.items()) if k != "label"]
    return " [" + " ".join(items) + "]"


class Writer:
    """Appends node and edge statements to a Digraph's body, and remembers each node's
    attributes (the steady frames measure them).

    The same text the graphviz package writes, without its per-attribute quoting machinery,
    which dominates the time on graphs of 100,000 nodes. Names are plain ids (n0, w3:e); an
    `HTML` label is written as is, any other value is quoted as text."""

    def __init__(self, graph: graphviz.Digraph) -> None:
        self.graph = graph
        self.nodes: dict[str, str] = {}

    def node(self, name: str, **a: str) -> None:
        text = attributes(a)
        self.nodes[name] = text
        self.graph.body.append(f"\t{name}{text}\n")

    def edge(self, tail: str, head: str, **a: str) -> None:
        self.graph.body.append(f"\t{tail} -> {head}{attributes(a)}\n")


def tooltip_text(text: str) -> str:
    """`text` for a tooltip, shown as written: Graphviz keeps `&lt;` in its SVG as an entity
    (so `&` is written `&amp;`), and expands its escapes (\\N the node's name) after DOT's
    quoting has taken one backslash of each pair (so each is doubled here too)."""
    return text.replace("&", "&amp;").replace("\\", "\\\\")


# A group with a tooltip: Graphviz writes the tooltip on an <a> around its shapes, its
# <title> the id (n0, w3).
_TIP = re.compile(
    r'<title>[^<]*</title>(\s*)<g id="a_[^"]*"><a xlink:title="([^"]*)">\n?(.*?)</a>\n</g>\n',
    re.S,
)


def titled(svg: str) -> str:
    """Each group's <title> (what a screen reader reads, and a browser's tooltip) its tooltip
    where it has one, rather than Graphviz's id; the <a> Graphviz wraps it in is dropped."""
    return _TIP.sub(lambda m: f"<title>{m.group(2)}</title>{m.group(1)}{m.group(3)}", svg)


def label_text(text: str) -> str:
    """`text` for inside a Graphviz HTML label: escaped for HTML, and each backslash doubled,
    since Graphviz expands its escapes (\\N the node's name, \\G, \\L, ...) even there."""
    return html.escape(text).replace("\\", "\\\\")


def cell(text: str, color: str = "black", size: int | None = None, italic: bool = False) -> str:
    """The inside of one table cell, escaped for a Graphviz HTML label."""
    body = label_text(text) if text else " "
    if italic and text:
        body = f"<I>{body}</I>"
    size_attr = f' POINT-SIZE="{size}"' if size else ""
    return f'<FONT COLOR="{color}"{size_attr}>{body}</FONT>'


def text_lines_label(lines: list[str], size: int = 12, width: int | None = None) -> str:
    """An HTML label of left-aligned lines (a caption), at least `width` points wide."""
    first = f' WIDTH="{width}"' if width else ""
    rows = "".join(
        f'<TR><TD ALIGN="LEFT"{first if i == 0 else ""}>'
        f"{cell(line, size=size) if line.strip() else ' '}</TD></TR>"
        for i, line in enumerate(lines)
    )
    return HTML(
        f'<<TABLE BORDER="0" CELLBORDER="0" CELLSPACING="0" CELLPADDING="1">{rows}</TABLE>>'
    )


def left_lines(lines: list[str]) -> str:
    """A plain (non-HTML) graph label of left-aligned lines, every character taken as text:
    backslashes are doubled so a user's `\\N` is not Graphviz's node-name escape."""
    return graphviz.nohtml("".join(line.replace("\\", "\\\\") + "\\l" for line in lines))


# ---------------------------------------------------------------------------- running dot
PURE = "graphviz-pure"  # the pure-Rust port of Graphviz on PyPI, a dependency of gradtrace
# Which program lays out the pictures: "auto" (graphviz-pure, else the system's `dot`), "dot"
# (the system's Graphviz, else graphviz-pure) or "graphviz-pure"; the environment variable
# GRADTRACE_GRAPHVIZ sets it (README: "Dependencies, and why" says why auto prefers the port).
ENGINE_VARIABLE = "GRADTRACE_GRAPHVIZ"
INSTALL_DOT = (
    "Debian/Ubuntu: sudo apt-get install graphviz; macOS: brew install graphviz; "
    "conda: conda install -c conda-forge graphviz"
)


def system_dot() -> str | None:
    """The system Graphviz's `dot` program, if it is on PATH."""
    return shutil.which("dot")


def pure_dot() -> str | None:
    """The `graphviz-pure` program: on PATH, or beside this Python (a virtual environment's
    scripts folder is not on PATH when a notebook kernel runs its Python by path)."""
    found = shutil.which(PURE)
    if found:
        return found
    name = PURE + (".exe" if os.name == "nt" else "")
    for folder in {sysconfig.get_path("scripts"), str(Path(sys.executable).parent)}:
        candidate = Path(folder) / name
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def layout_program() -> tuple[str, bool] | None:
    """(path, is graphviz-pure) of the program that lays out pictures, or None."""
    choice = os.environ.get(ENGINE_VARIABLE, "auto").strip().lower() or "auto"
    if choice not in ("auto", "dot", PURE):
        raise ValueError(f"{ENGINE_VARIABLE}={choice!r}: use auto, dot or {PURE}")
    pure, dot = pure_dot(), system_dot()
    if choice == "dot" or (choice == "auto" and pure is None):
        return (dot, False) if dot else ((pure, True) if pure else None)
    return (pure, True) if pure else ((dot, False) if dot else None)


def dot_available() -> bool:
    """Can pictures be laid out here (graphviz-pure, or Graphviz's `dot`)?"""
    return layout_program() is not None


def require_dot(what: str) -> None:
    if not dot_available():
        raise GraphvizNotFoundError(
            f"writing {what} needs graphviz-pure (pip install graphviz-pure; gradtrace installs "
            f"it where it has a wheel) or Graphviz's `dot` ({INSTALL_DOT}), and neither was "
            "found; or write a .dot file."
        )


def _command(engine: str, fmt: str) -> list[str]:
    """The command line that lays out DOT text read from stdin with `engine` into `fmt`."""
    if fmt == "pdf":  # graphviz-pure writes no PDF (yet): only the system's Graphviz does
        dot = system_dot()
        if dot is None:
            raise GraphvizNotFoundError(
                f"a .pdf needs the system's Graphviz ({INSTALL_DOT}); without it, write .svg "
                "(vector too) and print it to PDF from a browser."
            )
        return [dot, f"-K{engine}", "-Tpdf"]
    program = layout_program()
    if program is None:
        require_dot(f"a .{fmt} picture")
    path, _ = program
    return [path, f"-K{engine}", f"-T{fmt}"]


def run(source: str, fmt: str, engine: str = "dot", timeout: float | None = None) -> bytes:
    """Run Graphviz (`engine` -T`fmt`) on DOT text, within `timeout` seconds (TIMEOUT)."""
    command = _command(engine, fmt)
    limit = TIMEOUT if timeout is None else timeout
    try:
        done = subprocess.run(command, input=source.encode(), capture_output=True, timeout=limit)
    except subprocess.TimeoutExpired:
        nodes = source.count("\n")
        raise GraphvizTimeoutError(
            f"Graphviz's {engine} took longer than {limit:g} s to lay out this graph (about "
            f"{nodes} DOT lines) and was stopped. Draw the network view instead "
            "(gradtrace.viz.network(root), or draw(root, max_nodes=...) with a smaller limit), "
            "or write a .dot file"
        ) from None
    if done.returncode != 0:
        message = done.stderr.decode(errors="replace").strip().splitlines()
        who = Path(command[0]).name
        raise GraphvizError(f"Graphviz ({who} -K{engine}) failed: {message[0] if message else '?'}")
    return done.stdout


class Digraph(graphviz.Digraph):
    """The graphviz package's Digraph, its pictures made by `run` (graphviz-pure or the
    system's dot, with a time limit): it shows itself in Jupyter, and `pipe` works, without a
    system Graphviz. (The graphviz package itself runs `dot` by name.)"""

    def _repr_mimebundle_(
        self, include: Any = None, exclude: Any = None, **_: Any
    ) -> dict[str, str]:
        wanted = set(include or ["image/svg+xml"]) - set(exclude or [])
        return (
            {"image/svg+xml": to_bytes(self, "svg").decode()} if "image/svg+xml" in wanted else {}
        )

    def pipe(  # type: ignore[override]
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: Any = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The picture in `format` (svg, png, ...), laid out by `run`."""
        if renderer or formatter or neato_no_op:  # Graphviz's own options: its own machinery
            return super().pipe(
                format, renderer, formatter, neato_no_op, quiet, engine=engine, encoding=encoding
            )
        fmt = format or self.format
        data = (
            to_bytes(self, fmt) if engine in (None, self.engine) else run(self.source, fmt, engine)
        )
        return data.decode(encoding) if encoding else data


def to_bytes(graph: graphviz.Digraph, fmt: str, timeout: float | None = None) -> bytes:
    """Lay out `graph` and return the picture in format `fmt` (svg, png, pdf, json, ...)."""
    source = graph.source
    if fmt == "png" and "dpi=" not in source:
        source = source.replace("{\n", f"{{\n\tdpi={PNG_DPI}\n", 1)
    data = run(source, fmt, graph.engine, timeout)
    if fmt == "svg" and b"xlink:title=" in data:
        data = titled(data.decode()).encode()
    return data


def layout(source: str, timeout: float | None = None) -> dict:
    """Graphviz's layout of DOT text as JSON: node positions and sizes in points."""
    return json.loads(run(source, "json", "dot", timeout))


# ---------------------------------------------------------------------------- files
def write_file(path: str | Path, data: bytes) -> Path:
    """Write `data` to `path` so a failure never leaves half a file: a temporary file in the
    same folder, flushed to disk, then renamed over the target. The folder must exist."""
    path = Path(path)
    if not path.parent.is_dir():
        raise FileNotFoundError(f"cannot write {path}: the folder {path.parent} does not exist")
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        mask = os.umask(0)
        os.umask(mask)
        os.chmod(tmp, 0o666 & ~mask)  # mkstemp makes it private; a picture is not
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def picture_bytes(graph: graphviz.Digraph, suffix: str, timeout: float | None = None) -> bytes:
    """What a file with `suffix` holds for `graph`: the DOT text, or the laid-out picture."""
    fmt = FORMATS[suffix]
    return graph.source.encode() if fmt is None else to_bytes(graph, fmt, timeout)


# ---------------------------------------------------------------------------- steady frames
CAPTION = "caption"  # the node that holds a frame's caption, placed above the graph
GAP = 10.0  # points between the caption and the graph


def steady_positions(
    new_graph: Callable[[], graphviz.Digraph],
    frames: list[Writer],
    skeleton: Writer,
    timeout: float | None = None,
) -> tuple[dict[str, tuple[float, float]], dict[str, tuple[float, float]]]:
    """Where every node goes, the same in every frame: the frames of an animation never move.

    Two Graphviz runs: one measures every distinct node of every frame (their sizes, laid out
    side by side with no edges), one lays out `skeleton` (a frame without its caption) with each
    node as big as it gets in any frame. The caption node goes above, at the left; two corner
    points fix the drawing's size. Returns the positions (inches, for `pin`) and each node's
    largest size (width, height in inches)."""
    distinct: dict[str, list[str]] = {}
    for w in frames:
        for name, text in w.nodes.items():
            seen = distinct.setdefault(name, [])
            if text not in seen:
                seen.append(text)
    g = new_graph()
    owner = []
    for name, texts in distinct.items():
        for text in texts:
            g.body.append(f"\ts{len(owner)}{text}\n")
            owner.append(name)
    size: dict[str, tuple[float, float]] = {}
    for obj in layout(g.source, timeout).get("objects", []):
        name = owner[int(obj["name"][1:])]
        w, h = size.get(name, (0.0, 0.0))
        size[name] = (max(w, float(obj["width"])), max(h, float(obj["height"])))

    ref = new_graph()
    ref.body += skeleton.graph.body
    for name in skeleton.nodes:
        w, h = size.get(name, (0.0, 0.0))
        box = f'label="" shape=box fixedsize=true width={w:.4f} height={h:.4f}'
        ref.body.append(f"\t{name} [{box}]\n")
    laid = layout(ref.source, timeout)
    pos = {}
    for obj in laid.get("objects", []):
        if "pos" in obj and obj["name"] in skeleton.nodes:
            x, y = (float(v) for v in obj["pos"].split(","))
            pos[obj["name"]] = (x / 72, y / 72)
    width, height = (float(v) / 72 for v in laid["bb"].split(",")[2:])
    top = height
    if CAPTION in size:
        cw, ch = size[CAPTION]
        pos[CAPTION] = (cw / 2, height + GAP / 72 + ch / 2)
        width, top = max(width, cw), height + GAP / 72 + ch
    # Corners a little outside everything, so they alone decide the drawing's box.
    pad = 4 / 72
    pos["corner_0"], pos["corner_1"] = (-pad, -pad), (width + pad, top + pad)
    return pos, size


def pin(graph: graphviz.Digraph, positions: dict[str, tuple[float, float]]) -> graphviz.Digraph:
    """`graph` with every node pinned at `positions` (inches), laid out by neato, which keeps
    pinned nodes where they are and draws the edges straight between them."""
    graph.engine = "neato"
    graph.attr(overlap="true", splines="line")
    for name, (x, y) in positions.items():
        extra = " shape=point style=invis width=0 height=0" if name.startswith("corner_") else ""
        graph.body.append(f'\t{name} [pos="{x:.4f},{y:.4f}!"{extra}]\n')
    return graph


def size_attr(size: float | tuple[float, float] | None) -> str | None:
    """Graphviz's `size` ("8,100": at most 8 inches wide) from a width or (width, height)."""
    if size is None:
        return None
    pair = size if isinstance(size, (tuple, list)) else (size, 100.0)
    ok = len(pair) == 2 and all(
        isinstance(v, (int, float)) and not isinstance(v, bool) and 0 < v < float("inf")
        for v in pair
    )
    if not ok:
        raise ValueError(
            f"size must be a width in inches or (width, height), both > 0, got {size!r}"
        )
    return f"{float(pair[0]):g},{float(pair[1]):g}"
