"""The scalar workloads of `bench_scalar.py`, run in a fresh process per library.

This file imports nothing from gradtrace at the top, so micrograd's throwaway virtual
environment can run it too:

    python benchmarks/scalar_workloads.py {gradtrace,micrograd,tape} {on,off}

It prints one JSON object with the timings. "on"/"off" is Python's garbage collector
(on is what users have). All data come from seeded `random.Random` generators, so every
library replays the very same numbers and operations.
"""

from __future__ import annotations

import gc
import json
import math
import random
import statistics
import sys
import time
import tracemalloc

ADD, MUL, RELU, SQUARE = 0, 1, 2, 3


# --------------------------------------------------------------------------- the random graph
def make_program(chains: int, length: int, leaves: int, seed: int = 0):
    """A random graph as `chains` chains of `length` ops each: x = x + leaf, x * leaf,
    relu(x) or x**2, where each leaf is one of `leaves` shared inputs in [-1, 1].

    Ops are chosen by simulating the values, so every value stays in [-5, 5] and every
    local gradient in [-1, 1] (x**2 only where |x| <= 0.5): no value or gradient overflows.
    Returns (leaf values, [(start leaf, [(op, leaf), ...]) per chain])."""
    rng = random.Random(seed)
    leaf_values = [rng.uniform(-1.0, 1.0) for _ in range(leaves)]
    program = []
    for _ in range(chains):
        start = rng.randrange(leaves)
        x = leaf_values[start]
        ops = []
        for _ in range(length):
            op = rng.randrange(4)
            k = rng.randrange(leaves)
            if op == SQUARE and abs(x) > 0.5:
                op = MUL
            if op == ADD and abs(x) > 4.0:
                op = MUL
            if op == ADD:
                x = x + leaf_values[k]
            elif op == MUL:
                x = x * leaf_values[k]
            elif op == RELU:
                x = x if x > 0 else 0.0
            else:
                x = x**2
            ops.append((op, k))
        program.append((start, ops))
    return leaf_values, program


def build_nodes(program, leaves):
    """Replay `program` with node objects (gradtrace or micrograd Values); returns the
    chain ends."""
    heads = []
    for start, ops in program:
        x = leaves[start]
        for op, k in ops:
            if op == ADD:
                x = x + leaves[k]
            elif op == MUL:
                x = x * leaves[k]
            elif op == RELU:
                x = x.relu()
            else:
                x = x**2
        heads.append(x)
    return heads


def reduce_nodes(heads):
    """root = heads[0] + heads[1] + ... (a chain of add gates in both libraries)."""
    root = heads[0]
    for h in heads[1:]:
        root = root + h
    return root


class Tape:
    """The baseline: a flat pure-Python tape. A node is an index; `data` and `grad` are
    lists; each op appends its two inputs and their local gradients to four flat lists
    (a one-input op uses the scratch slot 0 with local gradient 0)."""

    def __init__(self, leaf_values):
        self.data = [0.0, *leaf_values]  # slot 0 is the scratch slot
        self.first_op = len(self.data)
        self.a, self.b, self.la, self.lb = [], [], [], []


def build_tape(program, tape: Tape):
    data, A, B, LA, LB = tape.data, tape.a, tape.b, tape.la, tape.lb
    push, pa, pb, pla, plb = data.append, A.append, B.append, LA.append, LB.append
    heads = []
    for start, ops in program:
        i = start + 1
        for op, k in ops:
            k += 1
            x = data[i]
            if op == ADD:
                push(x + data[k])
                pa(i), pb(k), pla(1.0), plb(1.0)
            elif op == MUL:
                y = data[k]
                push(x * y)
                pa(i), pb(k), pla(y), plb(x)
            elif op == RELU:
                if x > 0:
                    push(x)
                    pa(i), pb(0), pla(1.0), plb(0.0)
                else:
                    push(0.0)
                    pa(i), pb(0), pla(0.0), plb(0.0)
            else:
                push(x * x)
                pa(i), pb(0), pla(2.0 * x), plb(0.0)
            i = len(data) - 1
        heads.append(i)
    return heads


def reduce_tape(heads, tape: Tape):
    data = tape.data
    root = heads[0]
    for h in heads[1:]:
        data.append(data[root] + data[h])
        tape.a.append(root), tape.b.append(h), tape.la.append(1.0), tape.lb.append(1.0)
        root = len(data) - 1
    return root


def backward_tape(root, tape: Tape):
    grad = [0.0] * len(tape.data)
    grad[root] = 1.0
    first, A, B, LA, LB = tape.first_op, tape.a, tape.b, tape.la, tape.lb
    for j in range(len(A) - 1, -1, -1):
        g = grad[first + j]
        grad[A[j]] += LA[j] * g
        grad[B[j]] += LB[j] * g
    return grad


def random_graph(lib: str, make_value, repeats: int, chains=200, length=1000, leaves=1000):
    """Build ops/s and backward ops/s on a 200,000-op random graph (plus the final sum)."""
    leaf_values, program = make_program(chains, length, leaves)
    n_ops = chains * length + chains - 1
    builds, backs = [], []
    for _ in range(repeats):
        gc.collect()
        if lib == "tape":
            tape = Tape(leaf_values)
            t0 = time.perf_counter()
            root = reduce_tape(build_tape(program, tape), tape)
            t1 = time.perf_counter()
            grad = backward_tape(root, tape)
            t2 = time.perf_counter()
            value = tape.data[root]
            leaf_grad = math.fsum(grad[1 : 1 + leaves])
            del tape, grad
        else:
            xs = [make_value(v) for v in leaf_values]
            t0 = time.perf_counter()
            root = reduce_nodes(build_nodes(program, xs))
            t1 = time.perf_counter()
            root.backward()
            t2 = time.perf_counter()
            value = root.data
            leaf_grad = math.fsum(x.grad for x in xs)
            del xs
        del root
        builds.append(t1 - t0)
        backs.append(t2 - t1)
    build, back = statistics.median(builds), statistics.median(backs)
    return {
        "ops": n_ops,
        "build_s": build,
        "backward_s": back,
        "build_ops_per_s": n_ops / build,
        "backward_ops_per_s": n_ops / back,
        "check_value": value,
        "check_leaf_grad_sum": leaf_grad,
    }


def bytes_per_node(lib: str, make_value, nodes=1_000_000):
    """tracemalloc: bytes still allocated after building a graph of `nodes` op nodes
    (1,000 chains of 1,000 ops), divided by `nodes`. Counts every Python allocation that
    the graph keeps alive (node objects, tuples, sets, closures, floats)."""
    leaf_values, program = make_program(nodes // 1000, 1000, 1000, seed=1)
    gc.collect()
    if lib == "tape":
        tape = Tape(leaf_values)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        heads = build_tape(program, tape)
    else:
        xs = [make_value(v) for v in leaf_values]
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        heads = build_nodes(program, xs)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    del heads
    return {"nodes": nodes, "bytes_per_node": (after - before) / nodes}


# --------------------------------------------------------------------------- the moons demo
def make_moons(n: int = 100, noise: float = 0.1, seed: int = 0):
    """Two interleaving half circles (as sklearn's make_moons), labels -1 and +1."""
    rng = random.Random(seed)
    X, y = [], []
    for i in range(n):
        half = i % 2
        t = math.pi * rng.random()
        if half == 0:
            px, py = math.cos(t), math.sin(t)
        else:
            px, py = 1.0 - math.cos(t), 0.5 - math.sin(t)
        X.append((px + rng.gauss(0.0, noise), py + rng.gauss(0.0, noise)))
        y.append(-1.0 if half == 0 else 1.0)
    return X, y


def init_weights(nin: int, nouts, seed: int = 0):
    """[(weights rows, biases) per layer], uniform in [-1, 1], shared by both libraries."""
    rng = random.Random(seed)
    layers, sizes = [], [nin, *nouts]
    for i in range(len(nouts)):
        rows = [[rng.uniform(-1, 1) for _ in range(sizes[i])] for _ in range(sizes[i + 1])]
        layers.append((rows, [0.0] * sizes[i + 1]))
    return layers


def moons_step_micrograd(repeats: int):
    from micrograd.engine import Value
    from micrograd.nn import MLP

    model = MLP(2, [16, 16, 1])  # ReLU hidden layers, linear output
    weights = init_weights(2, [16, 16, 1])
    for layer, (rows, biases) in zip(model.layers, weights, strict=True):
        for neuron, row, b in zip(layer.neurons, rows, biases, strict=True):
            for w, v in zip(neuron.w, row, strict=True):
                w.data = v
            neuron.b.data = b
    params = model.parameters()
    X, y = make_moons()

    def step(lr):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in params)
        loss = data_loss + reg_loss
        model.zero_grad()
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss.data

    return time_steps(step, repeats)


def moons_step_gradtrace(repeats: int, fused: bool = True):
    """gradtrace's nn.MLP: fused=True (the default) makes each neuron's w.x + b one "linear"
    gate; fused=False draws it gate by gate (a mul gate per weight and one n-ary "+"), the
    same graph shape as micrograd's."""
    from gradtrace import Value, vsum
    from gradtrace.nn import MLP

    weights = init_weights(2, [16, 16, 1])
    model = MLP(2, [16, 16, 1], activation="relu", fused=fused)
    params = list(model.parameters())
    flat = [v for rows, bs in weights for row, b in zip(rows, bs, strict=True) for v in (*row, b)]
    for p, v in zip(params, flat, strict=True):
        p.data = v
    forward = model

    X, y = make_moons()

    def step(lr):
        inputs = [list(map(Value, xrow)) for xrow in X]
        scores = list(map(forward, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(y, scores, strict=True)]
        data_loss = vsum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * vsum(p * p for p in params)
        loss = data_loss + reg_loss
        for p in params:
            p.grad = 0.0
        loss.backward()
        for p in params:
            p.data -= lr * p.grad
        return loss.data

    return time_steps(step, repeats)


def time_steps(step, repeats: int):
    gc.collect()
    times, losses = [], []
    for k in range(repeats):
        t0 = time.perf_counter()
        losses.append(step(1.0 - 0.9 * k / 100))
        times.append(time.perf_counter() - t0)
    return {"step_s": statistics.median(times), "losses": losses[:3]}


# --------------------------------------------------------------------------- main
def main() -> None:
    lib, gc_mode = sys.argv[1], sys.argv[2]
    workloads = sys.argv[3].split(",") if len(sys.argv) > 3 else ["moons", "graph", "memory"]
    sys.setrecursionlimit(1_000_000)  # micrograd's topological sort is recursive
    if gc_mode == "off":
        gc.disable()
    if lib == "micrograd":
        from micrograd.engine import Value as make_value
    elif lib == "gradtrace":
        from gradtrace import Value as make_value
    else:
        make_value = None
    slow = lib == "micrograd" and gc_mode == "on"
    result = {"lib": lib, "gc": gc_mode}
    if "moons" in workloads and lib != "tape":
        if lib == "micrograd":
            result["moons"] = moons_step_micrograd(3 if slow else 7)
        else:
            result["moons"] = moons_step_gradtrace(11, fused=True)
            result["moons_unfused"] = moons_step_gradtrace(11, fused=False)
    if "graph" in workloads:
        result["graph"] = random_graph(lib, make_value, 3 if slow else 5)
    if "memory" in workloads:
        result["memory"] = bytes_per_node(lib, make_value)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
