"""The `gradtrace` command line.

gradtrace draw "(x + y) * z" x=-2 y=5 z=-4 -o graph.svg   # any expression, after backward
gradtrace draw "(x + y) * z" x=-2 y=5 z=-4 -o page.html  # a page stepping through it
gradtrace explain "(x + y) * z" x=-2 y=5 z=-4 --wrt x      # its chain rule, written out
gradtrace demo [-o DIR]                                     # the lecture's worked examples
"""

from __future__ import annotations

import argparse
import math
import os
import sys
from pathlib import Path
from typing import Any

from gradtrace import Value

EXIT_ERROR = 1


def demo_chain_rule() -> None:
    """f(x, y, z) = (x + y) z at x = -2, y = 5, z = -4 (lecture: df/dx = df/dy = -4, df/dz = 3)."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    f = q * z
    f.backward()
    print("(x + y) * z at x=-2, y=5, z=-4")
    print(f"  f = {f.data:g}   df/dx = {x.grad:g}   df/dy = {y.grad:g}   df/dz = {z.grad:g}")


def demo_sigmoid_neuron() -> None:
    """f(w, x) = sigmoid(w0 x0 + w1 x1 + w2) at w = (2, -3, -3), x = (-1, -2)."""
    w0, w1, w2 = Value(2.0, "w0"), Value(-3.0, "w1"), Value(-3.0, "w2")
    x0, x1 = Value(-1.0, "x0"), Value(-2.0, "x1")
    f = (w0 * x0 + w1 * x1 + w2).sigmoid()
    f.backward()
    print("sigmoid neuron, w = (2, -3, -3), x = (-1, -2)")
    print(f"  f = {f.data:.10f}")
    for v in (w0, x0, w1, x1, w2):
        print(f"  df/d{v.label} = {v.grad:+.7f}")


MAX_STEPS = 200  # --steps writes at most this many frames ...
MAX_STEP_BYTES = 25_000_000  # ... and about this many bytes of DOT


def compute(args: argparse.Namespace) -> tuple:
    """Parse the expression safely, run forward and backward: (parsed, root, {name: leaf}).
    A result or gradient that is NaN or infinite is an error, not a number to print."""
    from .expr import ExpressionError, evaluate, parse, parse_assignments

    parsed = parse(args.expression)
    root, leaves = evaluate(parsed, parse_assignments(args.values))
    if not math.isfinite(root.data):
        raise ExpressionError(
            f"f = {root.data}: the result is not a finite number (somewhere a value overflowed "
            "to inf, or inf - inf or 0 × inf made nan)"
        )
    root.backward()
    bad = [n for n, leaf in leaves.items() if not math.isfinite(leaf.grad)]
    if bad:
        raise ExpressionError(f"df/d{bad[0]} = {leaves[bad[0]].grad}: not a finite number")
    return parsed, root, leaves


def cmd_draw(args: argparse.Namespace) -> int:
    """Compute, print the gradients, draw the picture, the page or the backward steps."""
    from gradtrace.viz import network, render
    from gradtrace.viz.dot import FORMATS

    from .expr import ExpressionError

    page = bool(args.output) and Path(args.output).suffix.lower() == ".html"
    if args.output and not page and Path(args.output).suffix.lower() not in FORMATS:
        suffixes = ", ".join([*FORMATS, ".html"])
        return fail(f"-o {args.output}: the suffix must be one of {suffixes}")
    if args.output and not Path(args.output).parent.is_dir():
        return fail(f"-o {args.output}: the folder {Path(args.output).parent} does not exist")
    try:
        parsed, root, leaves = compute(args)
    except ExpressionError as e:
        return fail(str(e))
    text = parsed.text if len(parsed.text) <= 76 else parsed.text[:73] + "..."
    print(f"f = {text} = {root.data:{args.fmt}}")
    for name, leaf in leaves.items():
        print(f"df/d{name} = {leaf.grad:{args.fmt}}")
    title = f"f = {text}"
    options = dict(
        fmt=args.fmt,
        rankdir=args.rankdir,
        show_local=args.local,
        show_roles=args.roles,
        title=title,
    )
    if page:
        from gradtrace.viz.html import to_html

        path = to_html(root, args.output, fmt=args.fmt, rankdir=args.rankdir, title=title)
        print(f"wrote {path}")
    elif args.output and args.network:
        print(f"wrote {render(network(root, title=title), args.output)}")
    elif args.output:
        print(f"wrote {render(root, args.output, **options)}")
    if args.steps:
        return write_steps(root, args)
    return 0


def write_steps(root, args: argparse.Namespace) -> int:  # noqa: ANN001 - a Value
    """--steps DIR: the backward frames, refused (with the sizes) past the caps."""
    from gradtrace.viz import backward_steps
    from gradtrace.viz.graph import nodes

    n = 1 + sum(1 for node in nodes(root) if node.parents)
    if n > MAX_STEPS:
        return fail(
            f"--steps: {n} backward steps is more than {MAX_STEPS} pictures; step through a "
            "shorter expression, or draw the whole graph once (-o graph.svg, or --network)"
        )
    frames = backward_steps(root, fmt=args.fmt, rankdir=args.rankdir)
    size = len(frames[0].source.encode()) * n
    if size > MAX_STEP_BYTES:
        return fail(
            f"--steps: {n} pictures of about {size // n // 1000} kB each would write about "
            f"{size / 1e6:.0f} MB (more than {MAX_STEP_BYTES / 1e6:.0f} MB); step through a "
            "shorter expression, or draw the whole graph once (-o graph.svg, or --network)"
        )
    folder = Path(args.steps)
    created = not folder.exists()
    paths = frames.save(folder, format=args.steps_format)
    said = " (a new folder)" if created else ""
    print(f"wrote {len(paths)} backward steps to {folder}/{said}")
    return 0


def cmd_explain(args: argparse.Namespace) -> int:
    """Parse the expression, run forward and backward, write the chain rule for each --wrt."""
    from gradtrace.viz.explain import explain

    from .expr import ExpressionError

    try:
        _, root, leaves = compute(args)
    except ExpressionError as e:
        return fail(str(e))
    names = args.wrt or list(leaves)
    unknown = [n for n in names if n not in leaves]
    if unknown or not names:
        known = ", ".join(leaves) or "none"
        return fail(
            f"--wrt {unknown[0] if unknown else ''}: no such name in the expression "
            f"(its names: {known})"
        )
    for i, name in enumerate(names):
        try:
            e = explain(root, wrt=leaves[name], by=args.by, fmt=args.fmt, max_paths=args.max_paths)
        except ValueError as err:
            return fail(str(err))
        print(("\n" if i else "") + (e.markdown() if args.markdown else str(e)))
    return 0


def fail(message: str) -> int:
    """One line on stderr, no traceback, a non-zero exit status."""
    print(f"gradtrace: error: {message}", file=sys.stderr)
    return EXIT_ERROR


def reader_gone() -> int:
    """The reader of stdout left (`gradtrace explain ... | head`): stop quietly, as a Unix tool
    does, and point stdout at /dev/null so the interpreter's last flush raises nothing."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):  # stdout is not a real file (captured): nothing to flush
        pass
    return EXIT_ERROR


def build_parser() -> argparse.ArgumentParser:
    """The command line: gradtrace demo | draw | explain."""
    parser = argparse.ArgumentParser(
        prog="gradtrace", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True)
    demo = sub.add_parser("demo", help="run the lecture's worked examples and draw them")
    demo.add_argument(
        "-o",
        "--output",
        default="gradtrace-demo",
        metavar="DIR",
        help="folder for the pictures and plots (default: ./gradtrace-demo)",
    )
    demo.add_argument("--no-train", action="store_true", help="skip the training examples")
    _draw_arguments(sub)
    _explain_arguments(sub)
    return parser


def _draw_arguments(sub: Any) -> None:
    """`gradtrace draw`: an expression's graph after backward, its steps, its page."""
    from gradtrace.viz.dot import FORMATS

    draw = sub.add_parser(
        "draw",
        help="draw an expression's graph after backward",
        description="Draw an expression's graph after backward. Allowed: numbers, names, "
        "+ - * / ** (number exponent), unary -, exp log tanh sigmoid relu max. An "
        "expression that starts with '-' goes after `--`.",
    )
    draw.add_argument("expression", help='e.g. "(x + y) * z"')
    draw.add_argument("values", nargs="*", metavar="name=value", help="e.g. x=-2 y=5 z=-4")
    draw.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="the file to write; its suffix picks the format: "
        + ", ".join(FORMATS)
        + ", or .html (a page stepping through the forward and backward pass)",
    )
    draw.add_argument("--steps", metavar="DIR", help="also write one picture per backward step")
    draw.add_argument(
        "--steps-format",
        default="svg",
        choices=["svg", "png", "dot"],
        help="format of the step pictures (default svg)",
    )
    draw.add_argument("--fmt", default=".4g", help="number format (default .4g)")
    draw.add_argument("--rankdir", default="LR", choices=["LR", "RL", "TB", "BT"])
    draw.add_argument(
        "--network",
        action="store_true",
        help="draw the network view (boxes by depth, arrows by gradient size): for big graphs",
    )
    draw.add_argument("--local", action="store_true", help="show local gradients on the wires")
    draw.add_argument("--roles", action="store_true", help="name the gate roles")


def _explain_arguments(sub: Any) -> None:
    """`gradtrace explain`: the chain rule of an expression's gradient, written out."""
    explain = sub.add_parser(
        "explain",
        help="write the chain rule of an expression's gradient, path by path and node by node",
        description="Write how backprop gets each gradient: the sum over paths of products of "
        "local gradients, and the per-node sums. The expression language is draw's.",
    )
    explain.add_argument("expression", help='e.g. "(x + y) * z"')
    explain.add_argument("values", nargs="*", metavar="name=value", help="e.g. x=-2 y=5 z=-4")
    explain.add_argument(
        "--wrt",
        action="append",
        metavar="NAME",
        help="the input to explain (repeatable; default: every input)",
    )
    explain.add_argument("--by", default="gate", choices=["gate", "label"])
    explain.add_argument(
        "--fmt", default=".4g", help="number format (default .4g: four significant digits)"
    )
    explain.add_argument(
        "--max-paths",
        type=int,
        default=64,
        metavar="N",
        help="write the paths out only up to N of them (default 64)",
    )
    explain.add_argument("--markdown", action="store_true", help="Markdown with LaTeX")


def main(argv: list[str] | None = None) -> int:
    """Run one command; every error is one line on stderr and exit status 1."""
    from gradtrace.viz.dot import GraphvizTimeoutError

    args = build_parser().parse_args(argv)
    try:
        status = run(args)
        sys.stdout.flush()  # a closed pipe shows here, not in the interpreter's last flush
        return status
    except BrokenPipeError:
        return reader_gone()
    except GraphvizTimeoutError as e:
        return fail(f"{e}. On the command line: gradtrace draw ... --network -o graph.svg")
    except KeyboardInterrupt:
        return fail("interrupted")
    except (MemoryError, RecursionError):
        return fail("the expression is too big to build or draw here; try a smaller one")
    except Exception as e:  # noqa: BLE001 - a command line shows an error, not a traceback
        message = str(e).strip().splitlines()
        return fail(message[0] if message else type(e).__name__)


def run(args: argparse.Namespace) -> int:
    if args.command in ("draw", "explain"):
        try:
            format(1.0, args.fmt)
        except ValueError:
            return fail(f"--fmt {args.fmt!r} is not a number format (try .4g or .2f)")
        return cmd_draw(args) if args.command == "draw" else cmd_explain(args)
    demo_chain_rule()
    print()
    demo_sigmoid_neuron()
    from .demo import run

    run(args.output, train=not args.no_train)
    return 0


if __name__ == "__main__":
    sys.exit(main())
