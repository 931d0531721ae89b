"""Optimizers, regularization and learning-rate schedules, with torch.optim's formulas.

    opt = SGD(model.parameters(), lr=0.1, momentum=0.9)
    for X, y in batches(...):
        loss = loss_fn(model(X), y)
        opt.zero_grad()
        loss.backward()
        opt.step()

Parameters may be Values (scalar models) or Tensors with requires_grad=True (tensor layers),
even mixed. A step reads each parameter's `grad` and changes its `data` in place; a Tensor
whose grad is None (not reached by backward) is skipped, as in PyTorch.

Weight decay is added to the gradient (g + weight_decay * w), as torch.optim does; that is
the gradient of the penalty weight_decay * l2_penalty(params) with our 1/2 convention below.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from numbers import Real
from typing import Any

import numpy as np
from gradtrace import Tensor, Value, no_grad, vsum

from .module import Module, check_count, is_parameter, zero_grad


def is_frozen(p: Any) -> bool:
    """A frozen Tensor parameter (a leaf set to requires_grad=False, as in a model from
    torch): accepted and never stepped, since no gradient reaches it, as in PyTorch."""
    frozen = getattr(p, "requires_grad", None) is False and getattr(p, "op", None) == ""
    return frozen and isinstance(getattr(p, "data", None), np.ndarray)


# ---------------------------------------------------------------------- optimizers
class Optimizer:
    """Holds the parameters and their per-parameter state; subclasses define `_delta`, the
    amount each update subtracts from a weight (w <- w - delta), so tensors update in place."""

    def __init__(self, params: Iterable[Any], lr: float) -> None:
        if isinstance(params, Module):
            params = params.parameters()
        self.params = list(params)
        if not self.params:
            raise ValueError(f"{type(self).__name__}: params is empty (nothing to optimize)")
        first: dict[int, int] = {}
        for i, p in enumerate(self.params):
            if not (is_parameter(p) or is_frozen(p)):
                raise TypeError(
                    f"{type(self).__name__}: params[{i}] is a {type(p).__name__}, not a Value "
                    "or a Tensor with requires_grad=True"
                )
            j = first.setdefault(id(p), i)
            if j != i:  # it would be stepped twice per step (torch warns; we refuse)
                label = f" ({p.label!r})" if getattr(p, "label", "") else ""
                raise ValueError(
                    f"{type(self).__name__}: params[{i}] is the same parameter as "
                    f"params[{j}]{label}; give each parameter once"
                )
        _check(type(self).__name__, "lr", lr, 0.0, math.inf)
        self.lr = float(lr)
        self.state: list[dict[str, Any]] = [{} for _ in self.params]

    def zero_grad(self) -> None:
        """Forget the gradients of the parameters (nn.module.zero_grad, as Module does)."""
        zero_grad(self.params)

    def step(self) -> None:
        """Update every parameter once from its current gradient."""
        for p, state in zip(self.params, self.state, strict=True):
            if isinstance(p, Value):
                w = np.float64(p.data)
                p.data = float(w - self._delta(w, np.float64(p.grad), state))
            elif p.grad is not None:
                p.data -= self._delta(p.data, p.grad, state)  # in place: no new weight array

    def _delta(self, w: np.ndarray, g: np.ndarray, state: dict[str, Any]) -> np.ndarray:
        raise NotImplementedError


class SGD(Optimizer):
    """Stochastic gradient descent, torch.optim.SGD's update:

    g = grad + weight_decay * w
    buf = momentum * buf + (1 - dampening) * g      (buf = g on the first step)
    g = g + momentum * buf if nesterov else buf     (when momentum > 0)
    w = w - lr * g
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float,
        momentum: float = 0.0,
        weight_decay: float = 0.0,
        nesterov: bool = False,
        dampening: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        _check("SGD", "momentum", momentum, 0.0, 1.0, high_open=True)
        _check("SGD", "weight_decay", weight_decay, 0.0, math.inf)
        _check("SGD", "dampening", dampening, 0.0, 1.0)
        if nesterov and (momentum == 0 or dampening != 0):
            raise ValueError("SGD: nesterov=True needs momentum > 0 and dampening = 0")
        self.momentum, self.weight_decay = float(momentum), float(weight_decay)
        self.nesterov, self.dampening = bool(nesterov), float(dampening)
        self._tensors_only = all(type(p) is Tensor for p in self.params)

    def step(self) -> None:
        """Update every parameter once. Plain SGD on Tensors (no momentum, no weight decay,
        what most training loops run) is one loop of w -= lr * g, the same numbers as the
        general update: 0.3 us a parameter instead of 0.8 (measured on the digits MLP, 6
        parameters, whose whole step is 0.13 ms; benchmarks/bench_tensor.py)."""
        if self.momentum or self.weight_decay or not self._tensors_only:
            return super().step()
        lr = self.lr
        for p in self.params:
            if p.grad is not None:
                p.data -= lr * p.grad  # in place: no new weight array

    def _delta(self, w, g, state):
        if self.weight_decay:
            g = g + self.weight_decay * w
        if self.momentum:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = np.array(g, copy=True)
            else:
                buf = self.momentum * buf + (1.0 - self.dampening) * g
            state["momentum_buffer"] = buf
            g = g + self.momentum * buf if self.nesterov else buf
        return self.lr * g


class Adam(Optimizer):
    """Adam (Kingma & Ba, 2015), torch.optim.Adam's update:

    g = grad + weight_decay * w
    m = beta1 * m + (1 - beta1) * g          v = beta2 * v + (1 - beta2) * g**2
    w = w - lr / (1 - beta1**t) * m / (sqrt(v) / sqrt(1 - beta2**t) + eps)
    """

    def __init__(
        self,
        params: Iterable[Any],
        lr: float = 1e-3,
        betas: tuple[float, float] = (0.9, 0.999),
        eps: float = 1e-8,
        weight_decay: float = 0.0,
    ) -> None:
        super().__init__(params, lr)
        if len(betas) != 2:
            raise ValueError(f"Adam: betas must be a pair (beta1, beta2), got {betas!r}")
        _check("Adam", "betas[0]", betas[0], 0.0, 1.0, high_open=True)
        _check("Adam", "betas[1]", betas[1], 0.0, 1.0, high_open=True)
        _check("Adam", "eps", eps, 0.0, math.inf)
        _check("Adam", "weight_decay", weight_decay, 0.0, math.inf)
        self.betas = (float(betas[0]), float(betas[1]))
        self.eps, self.weight_decay = float(eps), float(weight_decay)

    def _delta(self, w, g, state):
        beta1, beta2 = self.betas
        if self.weight_decay:
            g = g + self.weight_decay * w
        t = state["step"] = state.get("step", 0) + 1
        m = state["exp_avg"] = beta1 * state.get("exp_avg", 0.0) + (1.0 - beta1) * g
        v = state["exp_avg_sq"] = beta2 * state.get("exp_avg_sq", 0.0) + (1.0 - beta2) * g * g
        step_size = self.lr / (1.0 - beta1**t)
        denom = np.sqrt(v) / math.sqrt(1.0 - beta2**t) + self.eps
        return step_size * m / denom


def _check(who: str, name: str, value: float, low: float, high: float, high_open=False) -> None:
    """The one check of an optimizer setting: a real number (NumPy's too, never a bool),
    finite, in [low, high] (or [low, high)). An infinite lr or weight decay is refused: one
    step would turn every weight into inf or nan."""
    ok = isinstance(value, Real) and not isinstance(value, (bool, np.bool_))
    ok = ok and math.isfinite(value) and low <= value
    ok = ok and (value < high if high_open else value <= high)
    if not ok:
        right = ")" if high_open else "]"
        if math.isfinite(high):
            span = f"in [{low:g}, {high:g}{right}"
        else:
            span = f"a finite number >= {low:g}"
        raise ValueError(f"{who}: {name} must be {span}, got {value!r}")


# ---------------------------------------------------------------------- regularization
def l2_penalty(params: Iterable[Any]) -> Any:
    """1/2 * sum of squared weights, as a graph node to add to the loss.

    With the 1/2, `loss + lam * l2_penalty(w)` adds lam * w to each gradient: exactly
    SGD(weight_decay=lam). The lecture writes the penalty for a whole training set of n
    examples as (lambda / 2n) * sum w**2: that is `(lam / n) * l2_penalty(w)` here. Pass the
    weights only (biases are usually not regularized)."""
    return _penalty(params, lambda p: p * p, 0.5)


def l1_penalty(params: Iterable[Any]) -> Any:
    """sum of |w| as a graph node to add to the loss (|w| = relu(w) + relu(-w), so its
    gradient is sign(w), and 0 at w = 0). The lecture's lambda * |w| is `lam * l1_penalty(w)`."""
    return _penalty(params, lambda p: p.relu() + (-p).relu(), 1.0)


def _penalty(params: Iterable[Any], term: Callable[[Any], Any], scale: float) -> Any:
    if isinstance(params, Module):
        params = params.parameters()
    params = list(params)
    if not params:
        raise ValueError("params is empty: nothing to penalize")
    if all(isinstance(p, Value) for p in params):
        total = vsum([term(p) for p in params])
    elif not any(isinstance(p, Value) for p in params):
        total = term(params[0]).sum()
        for p in params[1:]:
            total = total + term(p).sum()
    else:
        raise TypeError("params mixes Values and Tensors: penalize each kind separately")
    return total * scale if scale != 1.0 else total


def max_norm_(params_or_weight: Any, c: float = 3.0) -> Any:
    """Project each unit's incoming weight vector back onto the ball of radius c (lecture 002
    suggests c = 3 or 4): a vector w with |w| > c becomes w * c / |w|; shorter ones stay.

    Takes a Module (every Linear, Maxout or Neuron in it; biases are left alone), a weight
    Tensor of shape (out, in) (each row is one unit), a 1-D Tensor or a list of Values (one
    vector). Call it after `optimizer.step()`. Returns its argument."""
    if not c > 0:
        raise ValueError(f"max_norm_: c must be positive, got {c!r}")
    with no_grad():
        for vector_owner in _weight_vectors(params_or_weight):
            _project(vector_owner, float(c))
    return params_or_weight


def _weight_vectors(obj: Any) -> list[Any]:
    if isinstance(obj, Module):
        out = []
        for m in obj.modules():
            weight = m._members.get("weight")
            if weight is not None and not isinstance(weight, Value):
                out.append(weight)  # Linear (and the Linear inside Maxout)
            elif type(m).__name__ == "Neuron":
                out.append(list(m._w))
        return out
    if isinstance(obj, (list, tuple)) and obj and all(isinstance(v, Value) for v in obj):
        return [list(obj)]
    if isinstance(obj, (list, tuple)):
        return [v for item in obj for v in _weight_vectors(item)]
    if is_parameter(obj) and not isinstance(obj, Value):
        return [obj]
    raise TypeError(
        "max_norm_: expected a Module, a weight Tensor or a list of Values, "
        f"got {type(obj).__name__}"
    )


def _project(owner: Any, c: float) -> None:
    if isinstance(owner, list):  # one vector of Values
        norm = math.sqrt(math.fsum(v.data * v.data for v in owner))
        if norm > c:
            for v in owner:
                v.data *= c / norm
        return
    w = owner.data
    rows = w.reshape(w.shape[0], -1) if w.ndim > 1 else w.reshape(1, -1)
    norms = np.sqrt((rows * rows).sum(axis=1, keepdims=True))
    scale = np.where(norms > c, c / np.where(norms > 0, norms, 1.0), 1.0)
    w[...] = (rows * scale).reshape(w.shape)


# ---------------------------------------------------------------------- LR schedules
class LRScheduler:
    """Sets `optimizer.lr` from the epoch count; call `step()` once per epoch, after training
    it. `lr_at(epoch)` is the formula; `get_last_lr()` what the optimizer has now."""

    def __init__(self, optimizer: Optimizer) -> None:
        self.optimizer = optimizer
        self.base_lr = optimizer.lr
        self.last_epoch = 0

    def lr_at(self, epoch: int) -> float:
        raise NotImplementedError

    def step(self) -> None:
        self.last_epoch += 1
        self.optimizer.lr = self.lr_at(self.last_epoch)

    def get_last_lr(self) -> float:
        return self.optimizer.lr


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (epoch // step_size), as torch.optim.lr_scheduler.StepLR."""

    def __init__(self, optimizer: Optimizer, step_size: int, gamma: float = 0.1) -> None:
        super().__init__(optimizer)
        step_size = check_count("step_size", step_size, who="StepLR")
        self.step_size, self.gamma = step_size, float(gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma ** (epoch // self.step_size)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** epoch, as torch.optim.lr_scheduler.ExponentialLR."""

    def __init__(self, optimizer: Optimizer, gamma: float) -> None:
        super().__init__(optimizer)
        self.gamma = float(gamma)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * self.gamma**epoch


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * epoch / T_max)) / 2, the closed form
    of torch.optim.lr_scheduler.CosineAnnealingLR."""

    def __init__(self, optimizer: Optimizer, T_max: int, eta_min: float = 0.0) -> None:
        super().__init__(optimizer)
        T_max = check_count("T_max", T_max, who="CosineAnnealingLR")
        self.T_max, self.eta_min = T_max, float(eta_min)

    def lr_at(self, epoch: int) -> float:
        cos = math.cos(math.pi * epoch / self.T_max)
        return self.eta_min + (self.base_lr - self.eta_min) * (1.0 + cos) / 2.0


class LambdaLR(LRScheduler):
    """lr = base_lr * factor(epoch), as torch.optim.lr_scheduler.LambdaLR; e.g. the micrograd
    demo's decay `LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)`."""

    def __init__(self, optimizer: Optimizer, factor: Callable[[int], float]) -> None:
        super().__init__(optimizer)
        self.factor = factor
        self.optimizer.lr = self.lr_at(0)

    def lr_at(self, epoch: int) -> float:
        return self.base_lr * float(self.factor(epoch))
