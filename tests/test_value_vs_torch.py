"""Random expression graphs on Value against PyTorch float64: value and every leaf gradient."""

import random

import pytest
from gradtrace import Value

UNARY = ["exp", "tanh", "sigmoid", "relu", "neg", "square", "log_abs", "recip_shift"]
BINARY = ["add", "sub", "mul", "div", "max"]


def _apply(op, args, lib):
    """One gate, written once for both engines (lib is the Value or the torch namespace)."""
    a = args[0]
    if op == "exp":
        return (a * 0.3).exp()
    if op == "tanh":
        return a.tanh()
    if op == "sigmoid":
        return a.sigmoid()
    if op == "relu":
        return a.relu()
    if op == "neg":
        return -a
    if op == "square":
        return a**2
    if op == "log_abs":
        return (a * a + 1.0).log()
    if op == "recip_shift":
        return 1.0 / (a * a + 0.5)
    b = args[1]
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / (b * b + 1.0)
    if op == "max":
        return lib.max(a, b)
    raise AssertionError(op)


class _ValueLib:
    @staticmethod
    def max(a, b):
        return a.max(b)


def _random_program(rng, n_leaves, n_ops):
    program = []
    for i in range(n_ops):
        pool = n_leaves + i
        if rng.random() < 0.4:
            program.append((rng.choice(UNARY), (rng.randrange(pool),)))
        else:
            program.append((rng.choice(BINARY), (rng.randrange(pool), rng.randrange(pool))))
    return program


def _run(program, leaves, lib):
    nodes = list(leaves)
    for op, idx in program:
        nodes.append(_apply(op, [nodes[i] for i in idx], lib))
    return nodes[-1]


@pytest.mark.parametrize("seed", range(300))
def test_random_graph_matches_torch(torch, seed):
    rng = random.Random(seed)
    n_leaves = rng.randint(1, 5)
    program = _random_program(rng, n_leaves, rng.randint(1, 25))
    xs = [rng.uniform(-2, 2) for _ in range(n_leaves)]

    ours = [Value(x) for x in xs]
    out = _run(program, ours, _ValueLib)
    out.backward()

    ref = [torch.tensor(x, dtype=torch.float64, requires_grad=True) for x in xs]
    ref_out = _run(program, ref, torch)
    ref_out.backward()

    assert out.data == pytest.approx(ref_out.item(), rel=1e-9, abs=1e-12)
    for mine, theirs in zip(ours, ref, strict=True):
        expected = 0.0 if theirs.grad is None else theirs.grad.item()
        assert mine.grad == pytest.approx(expected, rel=1e-9, abs=1e-12)
