"""`explain_layers(loss, model)`: the lecture's five backprop equations on the learner's network.

    e = explain_layers(loss, model)     loss = F.cross_entropy(model(x), y); backward optional
    e.layers[0].delta                   δ for layer 0, as NumPy, one row per example
    e.layers[0].grad_weight             ∂J/∂weight in gradtrace's (out, in) layout
    print(e)                            the equations with their numbers, each checked
    e                                   in Jupyter: Markdown with LaTeX

The maths lives here; the typesetting in layers_text.py. The numbers come from the forward
pass the graph recorded (z and a of every layer) and from the equations in NumPy; the truth
they are checked against is the engine's: its d loss / d z for every layer (a side pass over
the same gate VJPs, adjoints.py, so nothing needs retain_grad) and the `.grad` that backward
left on each parameter.

Covered: a `Sequential` of `Linear` layers, each optionally followed by Sigmoid, Tanh, ReLU or
LeakyReLU (Softmax or Sigmoid may end it), under softmax cross-entropy, sigmoid BCE (from
logits or probabilities), the multi-label loss or MSE.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from gradtrace import topological_order

from .adjoints import adjoints

ACTIVATIONS = {  # module class -> the gate its output node was made by
    "Sigmoid": "sigmoid",
    "Tanh": "tanh",
    "ReLU": "relu",
    "LeakyReLU": "*",
    "Softmax": "softmax",
}
RTOL, ATOL = 1e-9, 1e-12  # float64; a float32 model is checked to float32's precision
RTOL32, ATOL32 = 1e-4, 1e-6


@dataclass(frozen=True)
class Layer:
    """One layer L: z = a_prev · weightᵀ + bias, a = h(z), its δ = ∂J/∂z and gradients."""

    index: int  # L, counted from 0 as in the notes (layer 0 reads x)
    name: str  # the Linear's state_dict prefix, "0"
    activation: str  # "Sigmoid", ..., or "" for none (h(z) = z)
    slope: float  # LeakyReLU's slope (0 otherwise)
    a_prev: np.ndarray  # x for layer 0
    z: np.ndarray
    a: np.ndarray
    delta: np.ndarray  # from the equations (δ^H from the head rule, then eq. 3 down)
    engine_delta: np.ndarray  # d loss / d z as the engine's gate VJPs give it
    weight: np.ndarray  # (out, in)
    grad_weight: np.ndarray  # δᵀ · a_prev, (out, in)
    grad_bias: np.ndarray | None  # Σₙ δ, (out,); None for a Linear without bias
    recorded_weight: np.ndarray | None  # weight.grad as found (None: backward has not run)
    recorded_bias: np.ndarray | None

    @property
    def delta_agrees(self) -> bool:
        return _close(self.delta, self.engine_delta)

    @property
    def weight_agrees(self) -> bool | None:
        return (
            None if self.recorded_weight is None else _close(self.grad_weight, self.recorded_weight)
        )

    @property
    def bias_agrees(self) -> bool | None:
        if self.grad_bias is None or self.recorded_bias is None:
            return None
        return _close(self.grad_bias, self.recorded_bias)


@dataclass(frozen=True)
class Head:
    """The loss at the output: its kind, the target y and the reduction's weight w, so
    δ^H = w (a^H − y) (softmax + CE, sigmoid + BCE) or 2 w (a^H − y) ⊙ h'(z^H) (MSE)."""

    kind: str  # "softmax-ce", "sigmoid-bce" or "mse"
    title: str
    y: np.ndarray
    weight: float
    divisor: float  # 1 / weight when it is a count (the N of a mean), else 0


@dataclass
class LayerExplanation:
    """The five equations for every layer; `str()` text, `_repr_markdown_()` Markdown."""

    model: str
    head: Head
    layers: list[Layer]
    loss: float
    batch: int  # N, the rows of the minibatch (1 for one example)

    @property
    def agrees(self) -> bool | None:
        """True when every δ equals the engine's and every gradient the `.grad` backward
        stored; False when one differs; None when a `.grad` was None (backward has not run),
        so the gradients were not checked."""
        checks = [c for L in self.layers for c in (L.delta_agrees, L.weight_agrees, L.bias_agrees)]
        if any(c is False for c in checks):
            return False
        return None if self.unchecked else True

    @property
    def unchecked(self) -> list[str]:
        """The parameters' `.grad` names that were None (backward has not run)."""
        missing = []
        for L in self.layers:
            if L.recorded_weight is None:
                missing.append(f"{L.name}.weight.grad")
            if L.grad_bias is not None and L.recorded_bias is None:
                missing.append(f"{L.name}.bias.grad")
        return missing

    def disagreements(self) -> list[str]:
        """Each quantity that differs, by layer, then the likely cause (empty if none)."""
        return disagreements(self.layers)

    def __str__(self) -> str:
        from .layers_text import text

        return text(self)

    def __repr__(self) -> str:
        return str(self)

    def _repr_markdown_(self) -> str:
        from .layers_text import markdown

        return markdown(self)


def explain_layers(loss: Any, model: Any, target: Any = None) -> LayerExplanation:
    """The five backprop equations (notes 000-002) on `model`, a Sequential of Linear layers
    and activations, for the scalar Tensor `loss` computed from it: per layer z, a, δ,
    ∂J/∂weight and ∂J/∂bias with their numbers, each checked against the engine. `target` is
    the y of the loss; by default it is read from the loss's graph."""
    layout = _layout(model)
    data = getattr(loss, "data", None)
    if not hasattr(loss, "parents") or not isinstance(data, np.ndarray) or data.size != 1:
        raise TypeError(
            "explain_layers: loss must be a single-element Tensor computed from model, got "
            f"{type(loss).__name__}"
        )
    order = topological_order(loss)
    nodes = _layer_nodes(order, layout)
    out_node = nodes[-1][2]
    head = _head(loss, out_node, layout[-1], target)
    grads = adjoints(loss)
    layers = _equations(layout, nodes, head, grads)
    batch = int(np.prod(layers[0].z.shape[:-1])) if layers[0].z.ndim > 1 else 1
    return LayerExplanation(_describe(model), head, layers, float(loss.data), batch)


# ------------------------------------------------------------------ the model's layers
def _layout(model: Any) -> list[tuple[str, Any, str, Any]]:
    """[(name, Linear, activation class name or "", activation module)] for a covered model;
    anything else is a ValueError naming the module and why."""
    seq = next((c for c in type(model).__mro__ if c.__name__ == "Sequential"), None)
    if seq is None:
        raise ValueError(
            f"explain_layers: model must be a gradtrace.nn.Sequential of Linear layers and "
            f"activations, got {type(model).__name__} (a module with its own forward: the five "
            f"equations need the layers in order)"
        )
    if type(model).forward is not seq.forward:
        raise ValueError(
            f"explain_layers: {type(model).__name__} overrides Sequential's forward, so its "
            f"layers may not run in order; use a plain Sequential"
        )
    members = [(n, m) for n, m in model.named_modules() if n and "." not in n]
    layout: list[list[Any]] = []
    for i, (name, m) in enumerate(members):
        kind = type(m).__name__
        last = i == len(members) - 1
        if kind == "Linear":
            layout.append([name, m, "", None])
        elif kind in ACTIVATIONS and layout and not layout[-1][2]:
            if kind == "Softmax" and not last:
                raise ValueError(
                    f"explain_layers: module {name} (Softmax) is inside the network; the five "
                    f"equations take softmax only at the output (its Jacobian is not diagonal)"
                )
            layout[-1][2:] = [kind, m]
        else:
            why = (
                "only Linear layers and elementwise activations (Sigmoid, Tanh, ReLU, LeakyReLU, "
                "Softmax at the end), one activation after each Linear, are covered"
            )
            if kind in ("Conv2d", "MaxPool2d", "AvgPool2d", "Flatten"):
                why = "the five equations are the fully connected layer's; a convolution is not"
            raise ValueError(f"explain_layers: module {name} ({kind}) is not covered: {why}")
    if not layout:
        raise ValueError("explain_layers: the model has no Linear layer")
    return [tuple(x) for x in layout]


def _layer_nodes(order: list[Any], layout: list) -> list[tuple[Any, Any, Any]]:
    """(a_prev node, z node, a node) for each layer, found in the loss's graph."""
    consumers: dict[int, list[Any]] = {}
    for node in order:
        for p in node.parents:
            consumers.setdefault(id(p), []).append(node)
    found = []
    for name, linear, act, _ in layout:
        zs = [
            n
            for n in order
            if n.gate is not None and n.gate.name == "linear" and n.parents[1] is linear.weight
        ]
        if len(zs) != 1:
            how = "does not depend on" if not zs else f"uses {len(zs)} times"
            raise ValueError(
                f"explain_layers: the loss {how} module {name} (Linear): was it computed by "
                f"one call of this model?"
            )
        z = zs[0]
        a = z
        if act:
            outs = [c for c in consumers.get(id(z), []) if c.gate.name == ACTIVATIONS[act]]
            if len(outs) != 1:
                raise ValueError(
                    f"explain_layers: the {act} after module {name} is not in the graph"
                )
            a = outs[0]
        if found and found[-1][2] is not z.parents[0]:
            raise ValueError(
                f"explain_layers: module {name} (Linear) does not read the previous layer's "
                f"output: the model does not run its layers in order"
            )
        found.append((z.parents[0], z, a))
    return found


# ------------------------------------------------------------------ the loss at the head
def _head(loss: Any, out: Any, last: tuple, target: Any) -> Head:
    """What loss the output feeds, its target y and its reduction weight w (from the gates
    between the loss and the per-example losses: mean divides, sum keeps, constants scale)."""
    node, w = loss, 1.0
    while True:
        gate = node.gate.name if node.gate is not None else ""
        if gate == "cross_entropy":
            return _cross_entropy_head(node, out, w, target)
        if node.shape == out.shape or gate not in ("sum", "mean", "*", "/", "neg"):
            break
        node, w = _reduce_step(node, gate, w)
    kind, y, sign = _elementwise_head(node, out, last[2])
    y = y if target is None else _target(target, out.shape)
    titles = {
        "softmax-ce": "softmax with categorical cross-entropy",
        "sigmoid-bce": "sigmoid with binary cross-entropy, one per output (multi-label)",
        "mse": "squared error",
    }
    return Head(kind, titles[kind], y, sign * w, _count(sign * w))


def _reduce_step(node: Any, gate: str, w: float) -> tuple[Any, float]:
    """One gate down from the loss towards the per-example losses, and the weight so far."""
    ps = node.parents
    if gate == "mean":
        return ps[0], w * node.data.size / ps[0].data.size
    if gate in ("sum", "neg"):
        return ps[0], -w if gate == "neg" else w
    varying = [p for p in ps if p.requires_grad]
    consts = [p for p in ps if not p.requires_grad]
    if len(varying) != 1 or len(consts) != 1 or consts[0].data.size != 1:
        raise _unknown_loss(node)
    c = float(consts[0].data.reshape(-1)[0])
    if gate == "/" and ps[1] is consts[0]:
        return varying[0], w / c
    if gate == "*":
        return varying[0], w * c
    raise _unknown_loss(node)


def _elementwise_head(node: Any, out: Any, act: str) -> tuple[str, np.ndarray, float]:
    """(kind, y, sign) of the per-example loss `node`, shaped like the model's output."""
    gate = node.gate.name if node.gate is not None else ""
    ps = node.parents
    if gate == "pow" and node.settings.get("n") == 2 and ps[0].gate.name == "-":
        d0, d1 = ps[0].parents  # (a - y)**2 or (y - a)**2
        if (d0 is out and not d1.requires_grad) or (d1 is out and not d0.requires_grad):
            return "mse", (d1 if d0 is out else d0).data, 1.0
    if gate == "bce" and ps[0] is out and act == "Sigmoid":
        return "sigmoid-bce", ps[1].data, 1.0
    if gate == "-" and ps[1].gate is not None and ps[1].gate.name == "*":
        xt = ps[1].parents  # softplus(x) - x * t: BCE from the logits x
        if xt[0] is out and not xt[1].requires_grad and not act:
            return "sigmoid-bce", xt[1].data, 1.0
    if gate == "*" and not ps[1].requires_grad:
        lsm = ps[0]  # log_softmax(z) * y, or log(softmax(z)) * y, summed and negated above
        inner = lsm.parents[0] if lsm.parents else None
        if (lsm.gate.name == "log_softmax" and inner is out and not act) or (
            lsm.gate.name == "log" and inner is out and act == "Softmax"
        ):
            return "softmax-ce", ps[1].data, -1.0
    raise _unknown_loss(node)


def _cross_entropy_head(node: Any, out: Any, w: float, target: Any) -> Head:
    """The fused softmax cross-entropy gate: y one-hot from its class indices."""
    if node.parents[0] is not out:
        raise _unknown_loss(node)
    y = np.zeros_like(out.data)
    y[node.settings["index"]] = 1.0
    reduction = node.settings["reduction"]
    if reduction == "mean":
        w /= max(1, out.data.size // out.data.shape[-1])
    y = y if target is None else _target(target, out.shape)
    return Head("softmax-ce", "softmax with categorical cross-entropy", y, w, _count(w))


def _unknown_loss(node: Any) -> ValueError:
    gate = node.gate.name if node.gate is not None else "a leaf"
    return ValueError(
        f"explain_layers: the loss is not one the five equations cover (softmax cross-entropy, "
        f"sigmoid BCE, the multi-label loss or MSE from gradtrace.nn.functional, on the model's "
        f"output, optionally scaled); found the {gate!r} gate of shape {node.shape}"
    )


def _target(target: Any, shape: tuple) -> np.ndarray:
    y = np.asarray(getattr(target, "data", target), dtype=np.float64)
    if y.shape != shape:
        if y.shape == shape[:-1] and y.dtype.kind in "iuf":  # class indices
            return np.eye(shape[-1])[y.astype(int)]
        raise ValueError(f"explain_layers: target has shape {y.shape}, the output {shape}")
    return y


def _count(w: float) -> float:
    """N when w = 1/N for a whole N (the mean over N), else 0."""
    n = 1 / w if w else 0.0
    return float(round(n)) if n >= 1 and abs(n - round(n)) < 1e-9 else 0.0


# ------------------------------------------------------------------ the equations
def _equations(layout: list, nodes: list, head: Head, adjoint: dict) -> list[Layer]:
    """δ^H from the head rule, then δ^L = h'(z^L) ⊙ (δ^{L+1} · weight^{L+1}) down to layer 0;
    ∂J/∂weight = δᵀ · a_prev and ∂J/∂bias = Σₙ δ for each (rows: the minibatch)."""
    layers: list[Layer] = []
    delta = None
    for L in range(len(layout) - 1, -1, -1):
        name, linear, act, module = layout[L]
        a_prev, z, a = nodes[L]
        slope = float(getattr(module, "slope", 0.0)) if act == "LeakyReLU" else 0.0
        if delta is None:
            delta = head_delta(head, z.data, a.data, act, slope)
        else:
            delta = derivative(act, z.data, a.data, slope) * (delta @ layout[L + 1][1].weight.data)
        rows = delta.reshape(-1, delta.shape[-1])
        ins = a_prev.data.reshape(-1, a_prev.data.shape[-1])
        bias = linear.bias
        engine = adjoint.get(id(z), np.zeros_like(z.data))
        grad_bias = None if bias is None else rows.sum(axis=0)
        recorded_bias = None if bias is None else bias.grad
        numbers = dict(a_prev=a_prev.data, z=z.data, a=a.data, delta=delta, engine_delta=engine)
        grads = dict(grad_weight=rows.T @ ins, grad_bias=grad_bias, recorded_bias=recorded_bias)
        layers.append(
            Layer(
                L,
                name,
                act,
                slope,
                **numbers,
                weight=linear.weight.data,
                **grads,
                recorded_weight=linear.weight.grad,
            )
        )
    return layers[::-1]


def head_delta(head: Head, z: np.ndarray, a: np.ndarray, act: str, slope: float) -> np.ndarray:
    """δ^H: w (a − y) for softmax + CE and sigmoid + BCE, where a is the head's softmax or
    sigmoid of z; 2 w (a − y) ⊙ h'(z) for squared error."""
    if head.kind == "softmax-ce":
        s = z - z.max(axis=-1, keepdims=True)
        probs = np.exp(s) / np.exp(s).sum(axis=-1, keepdims=True)
        return head.weight * (probs - head.y)
    if head.kind == "sigmoid-bce":
        return head.weight * (1 / (1 + np.exp(-z)) - head.y)
    return 2 * head.weight * (a - head.y) * derivative(act, z, a, slope)


def derivative(act: str, z: np.ndarray, a: np.ndarray, slope: float = 0.0) -> np.ndarray:
    """h'(z) for an elementwise activation, from z and a = h(z)."""
    if act == "Sigmoid":
        return a * (1 - a)
    if act == "Tanh":
        return 1 - a * a
    if act == "ReLU":
        return (z > 0).astype(z.dtype)
    if act == "LeakyReLU":
        return np.where(z > 0, 1.0, slope)
    if act == "":
        return np.ones_like(z)
    raise ValueError(f"explain_layers: {act} has no elementwise derivative")


# ------------------------------------------------------------------ what differs, and why
def disagreements(layers: list[Layer]) -> list[str]:
    """One line per differing δ or `.grad` (layer, quantity, how far off), then the likely
    cause: every `.grad` k times the equations' is k backward passes accumulated."""
    lines, ratios = [], []
    for L in layers:
        k = L.index
        if not L.delta_agrees:
            off = _largest(L.delta, L.engine_delta)
            lines.append(
                f"layer {k}: δ^{k} differs from the engine's ∂J/∂z^{k} (by up to {off:.4g}): "
                "the loss or the model is not what the equations assume, or a gate's backward "
                "is wrong (gradtrace.check_gates(loss) says which)"
            )
        pairs = [("weight", L.grad_weight, L.recorded_weight, L.weight_agrees)]
        pairs.append(("bias", L.grad_bias, L.recorded_bias, L.bias_agrees))
        for what, ours, found, ok in pairs:
            if ok is not False:
                continue
            r = _ratio(ours, found)
            ratios.append(r)
            how = f"{r:.4g}×" if r is not None else f"off by up to {_largest(ours, found):.4g} from"
            lines.append(f"layer {k}: {L.name}.{what}.grad is {how} the equations' ∂J/∂{what}^{k}")
    if ratios:
        lines.append(_cause(ratios, layers))
    return lines


def _cause(ratios: list[float | None], layers: list[Layer]) -> str:
    """The likely cause of `.grad`s that differ, from how many times the right one they are."""
    counted = sum((L.grad_bias is not None) + 1 for L in layers)
    first = ratios[0]
    whole = first is not None and first >= 1.5 and abs(first - round(first)) < 1e-6
    if whole and len(ratios) == counted and all(r is not None and _same(r, first) for r in ratios):
        n = round(first)
        return (
            f"Likely cause: every .grad is exactly {n}× this loss's gradient, so gradients "
            f"accumulated over {n} backward passes (backward adds to .grad): call "
            "model.zero_grad() (or the optimiser's zero_grad()) before each backward()."
        )
    return (
        "Likely cause: a .grad holds more than this loss's gradient: backward ran for another "
        "loss, or the parameters changed after it, without model.zero_grad() in between (or a "
        ".grad was set by hand)."
    )


def _ratio(ours: np.ndarray, found: np.ndarray) -> float | None:
    """r when found = r · ours (to the dtype's precision), else None."""
    if np.shape(ours) != np.shape(found):
        return None
    a, b = np.asarray(ours, dtype=np.float64), np.asarray(found, dtype=np.float64)
    norm = float((a * a).sum())
    if norm == 0:
        return None
    r = float((a * b).sum()) / norm
    return r if _close(r * a, b) else None


def _same(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(abs(a), abs(b))


def _largest(a: np.ndarray, b: np.ndarray) -> float:
    if np.shape(a) != np.shape(b):
        return float("inf")
    return float(np.max(np.abs(np.asarray(a, dtype=np.float64) - b)))


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    """The equations' numbers equal the engine's, to the precision of their dtype."""
    single = np.result_type(a, b) == np.float32
    rtol, atol = (RTOL32, ATOL32) if single else (RTOL, ATOL)
    return a.shape == np.shape(b) and bool(np.allclose(a, b, rtol=rtol, atol=atol))


def _describe(model: Any) -> str:
    parts = [f"{type(m).__name__}" for m in model]
    return f"Sequential({', '.join(parts)})"
