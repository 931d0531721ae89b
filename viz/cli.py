"""The `gradtrace` command line. `gradtrace demo` runs the lecture's worked examples."""

from __future__ import annotations

import argparse
import sys

from autograd import Value


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="gradtrace", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("demo", help="run the lecture's worked examples and print their gradients")
    args = parser.parse_args(argv)
    if args.command == "demo":
        demo_chain_rule()
        print()
        demo_sigmoid_neuron()
    return 0


if __name__ == "__main__":
    sys.exit(main())
