"""1,000 random PyTorch expressions, values reused anywhere (`torch.exp(x) * x`, `A.mean() - A`):
the traced graph holds every value once, in an order where each node comes after its inputs,
its leaves carry torch's own gradients, and it draws both traced and as a bare tensor."""

import numpy as np
import pytest
from fuzz_support import Draws, check_chunk
from gradtrace.viz import draw, trace_torch
from gradtrace.viz.torch_trace import as_graph, backward_graph

SEEDS, CHUNKS = 1000, 4
UNARY = ("exp", "tanh", "sigmoid", "neg", "relu", "square", "mean", "sum", "sin")
BINARY = ("+", "-", "*", "/", "+n", "*n", "n-", "n/")


def build(seed: int) -> dict:
    """A random program: leaves, then steps (op, operand indices, number) over all values."""
    d = Draws(seed)
    shape = () if d.random() < 0.5 else (d.integer(1, 4),)
    leaves = [
        [round(d.uniform(0.5, 2.0), 3) for _ in range(shape[0] if shape else 1)]
        for _ in range(d.integer(1, 4))
    ]
    steps, n = [], len(leaves)
    for _ in range(d.integer(1, 8)):
        if d.random() < 0.4:
            steps.append((d.choice(UNARY), (d.integer(0, n),), 0.0))
        else:
            steps.append((d.choice(BINARY), (d.integer(0, n), d.integer(0, n)), d.uniform(1, 3)))
        n += 1
    return {"seed": seed, "shape": shape, "leaves": leaves, "steps": steps}


def run(torch, program: dict, *xs):
    """The program's result, a single-element tensor (the sum of its last value)."""
    vals = list(xs)
    for op, args, c in program["steps"]:
        a = vals[args[0]]
        b = vals[args[-1]]
        if op in ("exp", "tanh", "sigmoid", "sin"):
            vals.append(getattr(torch, op)(torch.clamp(a, -5, 5) if op == "exp" else a))
        elif op == "neg":
            vals.append(-a)
        elif op == "relu":
            vals.append(torch.relu(a))
        elif op == "square":
            vals.append(a * a)
        elif op in ("mean", "sum"):
            vals.append(getattr(a, op)())
        elif op == "/":
            vals.append(a / (b * b + 1))
        elif op == "n/":
            vals.append(c / (a * a + 1))
        else:
            vals.append(
                {"+": a + b, "-": a - b, "*": a * b, "+n": a + c, "*n": a * c, "n-": c - a}[op]
            )
    return vals[-1].sum()


def leaves_of(torch, program: dict) -> list:
    """The program's leaves as float64 tensors that require grad, labelled x0, x1, ..."""
    xs = []
    for i, v in enumerate(program["leaves"]):
        x = torch.tensor(v if program["shape"] else v[0], dtype=torch.float64, requires_grad=True)
        x.label = f"x{i}"
        xs.append(x)
    return xs


def nodes_of(root) -> list:
    """Every node of a traced graph, each once."""
    seen, stack = {}, [root]
    while stack:
        node = stack.pop()
        if id(node) not in seen:
            seen[id(node)] = node
            stack.extend(node.parents)
    return list(seen.values())


def check(torch, program: dict) -> None:
    xs = leaves_of(torch, program)
    root = trace_torch(lambda *xs: run(torch, program, *xs), *xs)
    fresh = leaves_of(torch, program)
    out = run(torch, program, *fresh)
    expected = torch.autograd.grad(out, fresh, allow_unused=True, retain_graph=True)
    nodes = nodes_of(root)
    order = backward_graph(out)
    assert len(nodes) == len(order) == len(set(order)), "each value of the graph once"
    position = {key: i for i, key in enumerate(order)}
    for key in order:  # each backward function after the ones it depends on
        assert all(position[p] < position[key] for p in key[0].next_functions if p[0] is not None)
    assert all(n.data is not None for n in nodes), "trace_torch records every value"
    assert root.data == pytest.approx(out.item(), rel=1e-15)
    leaves = {n.label: n for n in nodes if not n.op}
    for x, g in zip(fresh, expected, strict=True):
        if g is None:  # not used by the result: not in PyTorch's graph
            assert x.label not in leaves
            continue
        np.testing.assert_allclose(leaves[x.label].grad, g.numpy(), rtol=1e-13, atol=1e-300)
    assert "->" in draw(root).source
    out.backward()
    assert "->" in draw(as_graph(out)).source


@pytest.mark.parametrize("chunk", range(CHUNKS))
def test_random_torch_expressions_trace_with_torchs_gradients(torch, chunk):
    check_chunk(chunk, SEEDS, CHUNKS, build, lambda p: check(torch, p))
