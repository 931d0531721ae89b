"""Moving models to PyTorch and back: `module.to_torch()` and `from_torch(torch_module)`.

    net = Sequential(Linear(64, 32), ReLU(), Linear(32, 10))   # trained in gradtrace
    tnet = net.to_torch()                 # a torch.nn.Sequential with the same weights
    back = from_torch(tnet)               # and back again, after training on in torch

Both directions copy the weights (same values and dtype: float64 stays float64) and keep the
training flag. State dicts need no converting of names either: gradtrace's are PyTorch's
("0.weight", "0.bias", "2.weight", ...), so `tnet.load_state_dict({k: torch.tensor(v) for k, v
in net.state_dict().items()})` and `net.load_state_dict(tnet.state_dict())` both work, and
named children keep their names (`Sequential(OrderedDict(fc1=...))` gives "fc1.weight").

Nothing changes silently: a module used twice and a weight tied between modules stay shared,
frozen parameters (requires_grad=False) stay frozen, each module keeps its own training flag,
and a torch module with hooks, buffers or meta-device weights is refused naming its path.
(A shared parameter is in the state_dict under each of its names on both sides, as PyTorch
lists it, so state dicts of shared models load across too.)

Each supported module is one row of `PAIRS` below: the gradtrace class, the torch class, and
one small function for each direction. Anything else (a custom Module with its own forward, a
BatchNorm1d, a Conv2d with dilation) is an `UnsupportedModuleError` naming the module and its
path in the model, e.g. "model.2 (BatchNorm1d) has no gradtrace equivalent". PyTorch is an
optional dependency: it is imported only when one of these functions runs.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from gradtrace import Tensor

from .conv import AvgPool2d, Conv2d, MaxPool2d
from .layers import Dropout, Flatten, LeakyReLU, Linear, ReLU, Sequential, Sigmoid, Softmax, Tanh
from .module import Module, ModuleList

INSTALL_HINT = 'install it with: pip install "gradtrace[torch]" (torch==2.13.0, the CPU build)'


class UnsupportedModuleError(ValueError):
    """A module (or one of its settings) that has no equivalent on the other side."""


def import_torch(what: str) -> Any:
    """`torch`, or an ImportError that says `what` needs it and how to install it."""
    try:
        import torch
    except ImportError as err:
        raise ImportError(f"{what} needs PyTorch, which is not installed: {INSTALL_HINT}") from err
    return torch


# ---------------------------------------------------------------------------- arrays
def _param(torch: Any, array: np.ndarray | None) -> Any:
    """A torch Parameter holding a copy of `array` (same dtype), or None."""
    return None if array is None else torch.nn.Parameter(torch.tensor(array))


def _array(param: Any, where: str) -> np.ndarray:
    """A NumPy copy of a torch parameter (floating dtypes NumPy knows: 16, 32, 64 bits)."""
    t = param.detach().cpu()
    try:
        if not t.is_floating_point():
            raise TypeError
        return t.numpy().copy()
    except TypeError:  # bfloat16 and other dtypes NumPy does not have
        raise UnsupportedModuleError(
            f"{where}: a parameter of dtype {t.dtype} has no NumPy equivalent; convert the model "
            "first, e.g. module.double()"
        ) from None


def _set(p: Tensor, array: np.ndarray) -> None:
    """Give a gradtrace parameter the torch weights (a copy, with its dtype)."""
    p.data = array
    p.grad = None


def _data(p: Tensor | None) -> np.ndarray | None:
    return None if p is None else p.data


def _refuse(where: str, m: Any, settings: dict[str, Any], defaults: dict[str, Any]) -> None:
    """Raise if a torch module uses settings gradtrace does not have (e.g. dilation=2)."""
    odd = [f"{k}={settings[k]!r}" for k in defaults if settings[k] != defaults[k]]
    if odd:
        allowed = ", ".join(f"{k}={v!r}" for k, v in defaults.items())
        raise UnsupportedModuleError(
            f"{where} ({type(m).__name__}) with {', '.join(odd)} has no gradtrace equivalent "
            f"(gradtrace supports only {allowed})"
        )


# ---------------------------------------------------------------------------- the pairs
# Each row: gradtrace class, torch.nn class name, to torch (module, torch, convert a child),
# from torch (module, its path, convert a child). Torch modules are built on the "meta" device
# (no memory, no random numbers drawn from torch's global generator), then given our weights.
def _linear_to(m: Linear, torch: Any, _: Any) -> Any:
    t = torch.nn.Linear(m.in_features, m.out_features, m.bias is not None, device="meta")
    t.weight, t.bias = _param(torch, m.weight.data), _param(torch, _data(m.bias))
    return t


def _linear_from(t: Any, where: str, _: Any) -> Linear:
    m = Linear(t.in_features, t.out_features, t.bias is not None)
    _set(m.weight, _array(t.weight, where))
    if t.bias is not None:
        _set(m.bias, _array(t.bias, where))
    return m


def _conv_to(m: Conv2d, torch: Any, _: Any) -> Any:
    t = torch.nn.Conv2d(
        m.in_channels,
        m.out_channels,
        m.kernel_size,
        m.stride,
        m.padding,
        bias=m.bias is not None,
        device="meta",
    )
    t.weight, t.bias = _param(torch, m.weight.data), _param(torch, _data(m.bias))
    return t


def _conv_from(t: Any, where: str, _: Any) -> Conv2d:
    padding = (0, 0) if t.padding == "valid" else t.padding
    if isinstance(padding, str):
        raise UnsupportedModuleError(
            f"{where} (Conv2d) with padding={padding!r} has no gradtrace equivalent (gradtrace "
            "takes the padding as numbers: kernel_size // 2 for an odd kernel at stride 1)"
        )
    settings = {"dilation": tuple(t.dilation), "groups": t.groups, "padding_mode": t.padding_mode}
    _refuse(where, t, settings, {"dilation": (1, 1), "groups": 1, "padding_mode": "zeros"})
    m = Conv2d(
        t.in_channels,
        t.out_channels,
        tuple(t.kernel_size),
        tuple(t.stride),
        tuple(padding),
        bias=t.bias is not None,
    )
    _set(m.weight, _array(t.weight, where))
    if t.bias is not None:
        _set(m.bias, _array(t.bias, where))
    return m


def _max_pool_from(t: Any, where: str, _: Any) -> MaxPool2d:
    dilation = t.dilation if isinstance(t.dilation, tuple) else (t.dilation, t.dilation)
    settings = {"dilation": dilation, "ceil_mode": t.ceil_mode, "return_indices": t.return_indices}
    _refuse(where, t, settings, {"dilation": (1, 1), "ceil_mode": False, "return_indices": False})
    return MaxPool2d(t.kernel_size, t.stride, t.padding)


def _avg_pool_from(t: Any, where: str, _: Any) -> AvgPool2d:
    settings = {
        "ceil_mode": t.ceil_mode,
        "count_include_pad": t.count_include_pad,
        "divisor_override": t.divisor_override,
    }
    defaults = {"ceil_mode": False, "count_include_pad": True, "divisor_override": None}
    _refuse(where, t, settings, defaults)
    return AvgPool2d(t.kernel_size, t.stride, t.padding)


def _softmax_from(t: Any, where: str, _: Any) -> Softmax:
    if t.dim is None:
        raise UnsupportedModuleError(
            f"{where} (Softmax) has dim=None (PyTorch guesses the axis from the input's rank); "
            "give it a dim, e.g. torch.nn.Softmax(dim=-1)"
        )
    return Softmax(axis=t.dim)


def _flatten_from(t: Any, where: str, _: Any) -> Flatten:
    _refuse(where, t, {"end_dim": t.end_dim}, {"end_dim": -1})
    return Flatten(t.start_dim)


def _children(t: Any) -> list[tuple[str, Any]]:
    """A container's (name, child) pairs, a module used twice listed twice (named_children
    would drop the repeat, and the model would compute something else)."""
    return [(name, child) for name, child in t._modules.items() if child is not None]


def _sequential_from(t: Any, where: str, convert: Callable[[Any, str], Module]) -> Sequential:
    return Sequential(OrderedDict((name, convert(child, name)) for name, child in _children(t)))


def _sequential_to(m: Sequential, torch: Any, convert: Callable[[Any, str], Any]) -> Any:
    return torch.nn.Sequential(OrderedDict((k, convert(c, k)) for k, c in m._modules.items()))


@dataclass(frozen=True)
class Pair:
    """One supported module: our class, torch's class name and the two conversions."""

    ours: type
    theirs: str
    to_torch: Callable[[Any, Any, Callable[[Any, str], Any]], Any]  # (ours, torch, convert)
    from_torch: Callable[[Any, str, Callable[[Any, str], Module]], Module]  # (theirs, path, ...)


PAIRS = (
    Pair(Linear, "Linear", _linear_to, _linear_from),
    Pair(ReLU, "ReLU", lambda m, torch, _: torch.nn.ReLU(), lambda t, w, _: ReLU()),
    Pair(
        LeakyReLU,
        "LeakyReLU",
        lambda m, torch, _: torch.nn.LeakyReLU(m.slope),
        lambda t, w, _: LeakyReLU(t.negative_slope),
    ),
    Pair(Tanh, "Tanh", lambda m, torch, _: torch.nn.Tanh(), lambda t, w, _: Tanh()),
    Pair(Sigmoid, "Sigmoid", lambda m, torch, _: torch.nn.Sigmoid(), lambda t, w, _: Sigmoid()),
    Pair(Softmax, "Softmax", lambda m, torch, _: torch.nn.Softmax(m.axis), _softmax_from),
    Pair(
        Dropout, "Dropout", lambda m, torch, _: torch.nn.Dropout(m.p), lambda t, w, _: Dropout(t.p)
    ),
    Pair(Flatten, "Flatten", lambda m, torch, _: torch.nn.Flatten(m.start_dim), _flatten_from),
    Pair(Sequential, "Sequential", _sequential_to, _sequential_from),
    Pair(
        ModuleList,
        "ModuleList",
        lambda m, torch, convert: torch.nn.ModuleList(
            [convert(c, k) for k, c in m._modules.items()]
        ),
        lambda t, w, convert: ModuleList([convert(c, k) for k, c in _children(t)]),
    ),
    Pair(Conv2d, "Conv2d", _conv_to, _conv_from),
    Pair(
        MaxPool2d,
        "MaxPool2d",
        lambda m, torch, _: torch.nn.MaxPool2d(m.kernel_size, m.stride, m.padding),
        _max_pool_from,
    ),
    Pair(
        AvgPool2d,
        "AvgPool2d",
        lambda m, torch, _: torch.nn.AvgPool2d(m.kernel_size, m.stride, m.padding),
        _avg_pool_from,
    ),
)
SUPPORTED = ", ".join(p.theirs for p in PAIRS)


# ---------------------------------------------------------------------------- the API
def to_torch(module: Module, name: str = "model") -> Any:
    """The equivalent `torch.nn` module of a gradtrace `module`, with a copy of its weights
    (same dtype), its training flag, its frozen parameters (requires_grad=False) and its
    sharing: a module used twice, or a parameter tied between modules, is shared in torch
    too. `name` is how errors name the root of the model."""
    torch = import_torch("Module.to_torch()")
    rows = {p.ours: p for p in PAIRS}
    out = _convert(module, name, rows, "torch", lambda p, m, where, c: p.to_torch(m, torch, c))
    theirs = dict(out.named_parameters(remove_duplicate=False))
    _share_and_freeze(name, list(module._walk_parameters("")), out, theirs, "torch")
    return out


Module._to_torch = to_torch  # Module.to_torch() runs it (module.py cannot import this file)


def from_torch(module: Any, name: str = "model") -> Module:
    """The equivalent gradtrace module of a `torch.nn` module, with a copy of its weights
    (same dtype), its training flag, its child names, its frozen parameters (requires_grad=
    False stays so) and its sharing (a module used twice, a parameter tied between modules).
    A module with hooks, buffers or weights on the meta device is refused, naming its path
    (`name` names the root): a converted model never computes something else silently."""
    torch = import_torch("gradtrace.nn.from_torch()")
    if not isinstance(module, torch.nn.Module):
        raise TypeError(f"from_torch: expected a torch.nn.Module, got {type(module).__name__}")
    rows = {getattr(torch.nn, p.theirs): p for p in PAIRS}

    def build(pair: Pair, t: Any, where: str, convert: Callable) -> Module:
        _refuse_hidden(t, where)
        return pair.from_torch(t, where, convert)

    out = _convert(module, name, rows, "gradtrace", build)
    theirs = list(module.named_parameters(remove_duplicate=False))
    _share_and_freeze(name, theirs, out, dict(out._walk_parameters("")), "gradtrace")
    return out


def _share_and_freeze(
    name: str, source: list[tuple[str, Any]], out: Any, made: dict[str, Any], side: str
) -> None:
    """Make the converted model `out` (the `side` one) share and freeze what the source does.

    source: (path, parameter) of the model converted from, repeats included; made: path ->
    parameter of `out`, which must have the same paths. A parameter the source holds at
    several paths (tied between two modules) becomes one in `out`; then each is frozen or
    not as in the source, after tying (a frozen one is not assigned)."""
    _same_names(name, [k for k, _ in source], list(made), side)
    first: dict[int, str] = {}
    for path, p in source:
        shared = first.setdefault(id(p), path)
        if made[path] is not made[shared]:  # tied between two modules
            owner, _, attr = path.rpartition(".")
            if side == "torch":
                setattr(out.get_submodule(owner), attr, made[shared])
            else:
                _replace(_submodule(out, owner), attr, made[shared])
    for _, p in source:  # frozen stays frozen
        made[first[id(p)]].requires_grad = bool(p.requires_grad)


def _refuse_hidden(t: Any, where: str) -> None:
    """Refuse a torch module whose forward is not what its class says (hooks), that holds
    state gradtrace would drop (buffers) or that has no data to copy (the meta device)."""
    kind = type(t).__name__
    hooks = [
        h
        for h in ("_forward_hooks", "_forward_pre_hooks", "_backward_hooks", "_backward_pre_hooks")
        if getattr(t, h, None)
    ]
    if hooks:
        raise UnsupportedModuleError(
            f"{where} ({kind}) has {', '.join(h.strip('_').replace('_', ' ') for h in hooks)}: "
            "they change what it computes and gradtrace cannot run them; remove them first"
        )
    buffers = [k for k, b in t._buffers.items() if b is not None]
    if buffers:
        raise UnsupportedModuleError(
            f"{where} ({kind}) has buffers ({', '.join(buffers)}) gradtrace has no place for"
        )
    meta = [k for k, p in t._parameters.items() if p is not None and p.is_meta]
    if meta:
        raise UnsupportedModuleError(
            f"{where} ({kind}) has parameters on the meta device ({', '.join(meta)}): they hold "
            "no values to copy; give them values first, e.g. module.to_empty(device='cpu') and "
            "an initialisation"
        )


def _same_names(root: str, source: list[str], made: list[str], side: str) -> None:
    """Refuse a conversion that would drop or invent a parameter (e.g. an extra Parameter
    set on a torch Linear), naming it by its path."""
    dropped = [k for k in source if k not in set(made)]
    if dropped:
        where = ", ".join(f"{root}.{k}" for k in dropped)
        raise UnsupportedModuleError(f"{where}: a parameter with no place in the {side} model")
    extra = [k for k in made if k not in set(source)]
    if extra:
        raise UnsupportedModuleError(f"{root}: the {side} model has extra parameters {extra}")


def _submodule(module: Module, path: str) -> Module:
    for key in path.split(".") if path else ():
        module = module._modules[key]
    return module


def _replace(owner: Module, attr: str, value: Any) -> None:
    """Put `value` in place of a registered parameter, keeping the registration order."""
    owner._members[attr] = value
    object.__setattr__(owner, attr, value)


def _convert(module: Any, where: str, rows: dict[type, Pair], side: str, build: Callable) -> Any:
    """Convert `module` (at path `where`) and, through `build`'s convert argument, its
    children; the exact class is looked up, since a subclass may have its own forward. A
    module met again (used twice) converts to the same module again, so the sharing stays."""
    done: dict[int, Any] = {}

    def walk(m: Any, at: str) -> Any:
        if id(m) in done:
            return done[id(m)]
        pair = rows.get(type(m))
        if pair is None:
            raise UnsupportedModuleError(
                f"{at} ({type(m).__name__}) has no {side} equivalent; the modules that "
                f"convert are {SUPPORTED}"
            )
        out = build(pair, m, at, lambda child, key: walk(child, f"{at}.{key}"))
        out.training = bool(m.training)  # this module's own flag: a child may differ
        done[id(m)] = out
        return out

    return walk(module, where)
