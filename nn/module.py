"""`Module`: the base class of every model, with PyTorch's names.

A module owns parameters (Values, or Tensors with requires_grad=True) and submodules, both
registered simply by assigning them to attributes (`self.weight = ...`, `self.hidden = ...`).
A list of modules or of parameters assigned to an attribute becomes a `ModuleList` or a
`ParameterList`, so `self.layers = [Layer(...), Layer(...)]` gives the dotted names
"layers.0.neurons.1.w.0" that `named_parameters()` and `state_dict()` use.

Saving writes a NumPy `.npz` archive (one array per parameter) and loading reads it without
pickle: a model file can never run code (npz.py: atomic writes, bounded all-or-nothing reads).
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator, Mapping
from numbers import Integral
from typing import Any

import numpy as np
from gradtrace import Tensor, Value

from .npz import NpzReader, npz_path, write_npz


def is_parameter(obj: Any) -> bool:
    """True for what a module treats as a parameter: a Value, or a Tensor with requires_grad."""
    if isinstance(obj, Value):
        return True
    return getattr(obj, "requires_grad", False) is True and isinstance(
        getattr(obj, "data", None), np.ndarray
    )


def parameter_array(p: Any) -> np.ndarray:
    """A parameter's data as a NumPy array (a Value's float becomes a 0-d array)."""
    if isinstance(p, Value):
        return np.array(p.data, dtype=np.float64)
    return p.data


def check_count(name: str, value: Any, minimum: int = 1, who: str = "") -> int:
    """The one check of a size or count argument (in_features, n_samples, epochs, ...): an
    int, NumPy's included, >= minimum, and never a bool (True is not a size). Returns it as
    an int; otherwise a ValueError naming `who` (the layer or function) and the argument."""
    if isinstance(value, bool) or not isinstance(value, Integral) or value < minimum:
        want = "a positive int" if minimum == 1 else f"an int >= {minimum}"
        prefix = f"{who}: " if who else ""
        raise ValueError(f"{prefix}{name} must be {want}, got {value!r}")
    return int(value)


def parameter_dtype(dtype: Any, who: str) -> np.dtype:
    """A layer's `dtype` argument (torch's factory argument): float64 (the default) or
    float32, the two the Tensor engine computes in."""
    try:
        dt = np.dtype(dtype)
    except TypeError:
        dt = None
    if dt not in (np.dtype(np.float64), np.dtype(np.float32)):
        raise ValueError(f"{who}: dtype must be float64 or float32, got {dtype!r}")
    return dt


def zero_grad(params: Iterable[Any]) -> None:
    """Forget the gradients: 0.0 for a Value, None for a Tensor (PyTorch's default,
    set_to_none=True). The one implementation: Module.zero_grad and Optimizer.zero_grad
    call it."""
    for p in params:
        p.grad = 0.0 if isinstance(p, Value) else None


def adopt(name: str, member: Any) -> None:
    """A member registered under `name` takes its place in the names: a Tensor parameter
    still called by its own name ("weight") becomes "0.weight", as in state_dict, and every
    module below gets its dotted path ("0"), which names its outputs ("Linear 0 output"), so
    pictures name the nodes without the learner labelling anything. A label or path the
    learner set (anything but the default) is kept; Values keep theirs."""
    if isinstance(member, Tensor):
        if member.label in ("", name):
            member.label = name
        return
    if not isinstance(member, Module):
        return
    for pname, p in member.named_parameters():
        if isinstance(p, Tensor) and p.label == pname:
            p.label = f"{name}.{pname}"
    for mname, m in member.named_modules():
        if m.__dict__.get("_path", "") == mname:
            path = f"{name}.{mname}" if mname else name
            object.__setattr__(m, "_path", path)
            object.__setattr__(m, "_output_label", f"{type(m).__name__} {path} output")


class Module:
    """Base class: subclasses set parameters and submodules as attributes and define forward()."""

    def __init__(self) -> None:
        # parameters and submodules, in the order they were assigned (one registry, so names
        # come out in that order too)
        object.__setattr__(self, "_members", {})
        object.__setattr__(self, "training", True)

    @property
    def _parameters(self) -> dict[str, Any]:
        return {k: v for k, v in self._members.items() if not isinstance(v, Module)}

    @property
    def _modules(self) -> dict[str, Module]:
        return {k: v for k, v in self._members.items() if isinstance(v, Module)}

    # ------------------------------------------------------------------ registration
    def __setattr__(self, name: str, value: Any) -> None:
        if "_members" not in self.__dict__:  # a subclass forgot super().__init__()
            Module.__init__(self)
        members = self._members
        members.pop(name, None)
        if isinstance(value, (list, tuple)) and value:
            if all(isinstance(v, Module) for v in value):
                value = ModuleList(value)
            elif all(is_parameter(v) for v in value):
                value = ParameterList(value)
        if isinstance(value, Module) or is_parameter(value):
            members[name] = value  # registered, in assignment order
            adopt(name, value)
        object.__setattr__(self, name, value)  # and an ordinary attribute: fast to read

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails: a typo is an error, never a silent None.
        raise AttributeError(f"{type(self).__name__} has no attribute {name!r}")

    def __delattr__(self, name: str) -> None:
        self._members.pop(name, None)
        object.__delattr__(self, name)

    # ------------------------------------------------------------------ calling
    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} must define forward()")

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        out = self.forward(*args, **kwargs)
        if type(out) is Tensor and out.parents and not out.label:
            out.label = self.__dict__.get("_output_label", "")  # "Linear 0 output" (`adopt`)
        return out

    # ------------------------------------------------------------------ walking the tree
    def children(self) -> Iterator[Module]:
        """The direct submodules, in the order they were assigned."""
        yield from self._modules.values()

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, Module]]:
        """This module ("" or `prefix`) and every submodule, with dotted names."""
        yield prefix, self
        for name, child in self._modules.items():
            yield from child.named_modules(f"{prefix}.{name}" if prefix else name)

    def modules(self) -> Iterator[Module]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self, prefix: str = "") -> Iterator[tuple[str, Any]]:
        """(dotted name, parameter) for every parameter, in the order they were assigned
        (depth first), each shared parameter once."""
        seen: set[int] = set()
        for name, p in self._walk_parameters(prefix):
            if id(p) not in seen:
                seen.add(id(p))
                yield name, p

    def _walk_parameters(self, prefix: str) -> Iterator[tuple[str, Any]]:
        for name, member in self._members.items():
            full = f"{prefix}.{name}" if prefix else name
            if isinstance(member, Module):
                yield from member._walk_parameters(full)
            else:
                yield full, member

    def parameters(self) -> list[Any]:
        """Every parameter (Values or Tensors), in a fixed order; shared ones only once."""
        return [p for _, p in self.named_parameters()]

    def zero_grad(self) -> None:
        """Forget the gradients of every parameter (see `zero_grad` below)."""
        zero_grad(self.parameters())

    def train(self, mode: bool = True) -> Module:
        """Set the `training` flag here and in every submodule (Dropout reads it); returns self."""
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> Module:
        """Evaluation mode, the same as train(False); returns self."""
        return self.train(False)

    # ------------------------------------------------------------------ state
    def state_dict(self) -> dict[str, np.ndarray]:
        """{dotted name: a NumPy copy of the parameter's data} (a Value gives a 0-d array). A
        parameter shared by two modules is listed under each of its names, as in PyTorch, so
        state dicts load across both ways."""
        return {name: np.array(parameter_array(p)) for name, p in self._walk_parameters("")}

    def load_state_dict(self, state: Mapping[str, Any], strict: bool = True) -> Module:
        """Copy arrays into the parameters, in place. Names, shapes and dtypes are checked
        first, and one error lists every missing, unexpected, mis-shaped and non-numeric key;
        nothing is changed then. With strict=False, missing and unexpected keys are ignored
        (shapes and dtypes are still checked)."""
        arrays = {k: np.asarray(v) for k, v in state.items()}
        found = {k: (a.shape, a.dtype) for k, a in arrays.items()}
        names = self._check_state(found, strict, f"load_state_dict into {type(self).__name__}")
        self._copy_state({k: arrays[k] for k in names})
        return self

    def _check_state(
        self, found: Mapping[str, tuple[tuple, np.dtype]], strict: bool, where: str
    ) -> list[str]:
        """The one check of a state against this module: `found` maps each key to its
        (shape, dtype). Returns the keys to copy, or raises one ValueError naming `where`
        and every problem."""
        own = {name: parameter_array(p).shape for name, p in self._walk_parameters("")}
        missing = [k for k in own if k not in found]
        unexpected = [k for k in found if k not in own]
        misshaped = [
            f"{k}: expected {own[k]}, got {found[k][0]}"
            for k in own
            if k in found and tuple(found[k][0]) != own[k]
        ]
        judged = [k for k in found if k in own or strict]  # strict=False ignores the others
        pickled = [k for k in judged if found[k][1].hasobject]
        not_real = [
            f"{k}: {found[k][1]}"
            for k in judged
            if not found[k][1].hasobject and found[k][1].kind not in "biuf"
        ]
        problems = []
        if strict and missing:
            problems.append("missing keys: " + ", ".join(missing))
        if strict and unexpected:
            problems.append("unexpected keys: " + ", ".join(unexpected))
        if misshaped:
            problems.append("mis-shaped keys: " + "; ".join(misshaped))
        if pickled:
            problems.append(
                "keys holding Python objects (they would need pickle, which is never used): "
                + ", ".join(pickled)
            )
        if not_real:
            problems.append("keys whose dtype is not a real number: " + "; ".join(not_real))
        if problems:
            raise ValueError(f"{where}: " + " | ".join(problems))
        return [k for k in own if k in found]

    def _copy_state(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Copy checked arrays into the parameters (cannot fail half-way: all were checked)."""
        own = dict(self._walk_parameters(""))
        first: dict[int, str] = {}
        for name in arrays:  # one shared parameter under two names: they must agree
            other = first.setdefault(id(own[name]), name)
            if other != name and not np.array_equal(arrays[other], arrays[name], equal_nan=True):
                raise ValueError(
                    f"{other} and {name} name one shared parameter, but the state gives them "
                    "different values; nothing was loaded"
                )
        for name, array in arrays.items():
            p = own[name]
            if isinstance(p, Value):
                p.data = float(array)
            else:
                p.data[...] = array

    def save(self, path: str | os.PathLike) -> str:
        """Write the state_dict to a NumPy `.npz` file (no pickle) and return the path written
        (".npz" is added unless the name ends in it, in any case). Atomic: on any failure the
        file that was there is unchanged, and the OSError names the path."""
        return write_npz(npz_path(path), self.state_dict())

    def load(self, path: str | os.PathLike, strict: bool = True) -> Module:
        """Load a file written by save() into this module, in place; returns self.

        All or nothing, and bounded: every member's name, shape and dtype is read from its
        header and checked (the same check as load_state_dict) before any data is inflated,
        and only this module's keys are inflated, so a file cannot make load allocate more
        than the parameters themselves. Any problem is one ValueError naming the file."""
        path = npz_path(path, must_exist=True)
        with NpzReader(path) as reader:
            found = {k: (h.shape, h.dtype) for k, h in reader.headers.items()}
            names = self._check_state(
                found, strict, f"{path}: cannot load into {type(self).__name__}"
            )
            arrays = reader.read(names)
        self._copy_state(arrays)
        return self

    def to_torch(self) -> Any:
        """The equivalent torch.nn module with a copy of the weights (needs PyTorch; the
        supported modules and the way back, `nn.from_torch`, are in nn/torch_bridge.py)."""
        return Module._to_torch(self)

    # Set by nn/torch_bridge.py, which knows every module that converts (it imports the
    # layers, which import this file: so this file cannot import it). Importing any part of
    # gradtrace.nn runs nn/__init__.py, which loads the bridge: it is always set.
    _to_torch: Any = None

    # ------------------------------------------------------------------ display
    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__}({self.extra_repr()}"]
        for name, child in self._modules.items():
            inner = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {inner}")
        if len(lines) == 1:
            return lines[0] + ")"
        return "\n".join(lines) + "\n)"


def child_name(name: Any, who: str, owner: Any = None) -> str:
    """A submodule's name as PyTorch accepts it: a non-empty str without a dot (the dot
    separates the parts of a parameter's name) that is not already an attribute of `owner`
    (a child named "forward" would replace the method and skip the other layers)."""
    if not isinstance(name, str) or not name or "." in name:
        raise ValueError(f"{who}: a module name must be a non-empty str without '.', got {name!r}")
    if owner is not None and (hasattr(type(owner), name) or name in vars(owner)):
        raise ValueError(
            f"{who}: a module cannot be named {name!r}: that is already an attribute of "
            f"{type(owner).__name__} (PyTorch refuses it too)"
        )
    return name


class _Registered(Module):
    """A list whose items are registered as members named "0", "1", ... (indexable)."""

    def __init__(self, items: Iterable[Any] = ()) -> None:
        super().__init__()
        for item in items:
            self.append(item)

    def append(self, item: Any) -> _Registered:
        """Add `item` as the next member ("0", "1", ...); returns self, as in PyTorch."""
        name = str(len(self._members))
        self._members[name] = self._checked(item)
        adopt(name, item)
        return self

    def _checked(self, item: Any) -> Any:
        raise NotImplementedError

    def __getitem__(self, i: int) -> Any:
        items = list(self._members.values())
        if isinstance(i, slice):
            return items[i]
        return items[range(len(self))[i]]  # by position, whatever the members are named

    def __len__(self) -> int:
        return len(self._members)

    def __iter__(self) -> Iterator[Any]:
        return iter(list(self._members.values()))


class ModuleList(_Registered):
    """A list of modules that registers each one as a submodule named "0", "1", ..."""

    def _checked(self, module: Any) -> Module:
        if not isinstance(module, Module):
            who, got = type(self).__name__, type(module).__name__
            raise TypeError(f"{who}: expected a Module, got {got}")
        return module


class ParameterList(_Registered):
    """A list of parameters (e.g. a Neuron's weights) registered as "0", "1", ..."""

    def _checked(self, p: Any) -> Any:
        if not is_parameter(p):
            raise TypeError(
                "ParameterList.append: expected a Value or a Tensor with requires_grad=True, "
                f"got {type(p).__name__}"
            )
        return p

    def __repr__(self) -> str:
        return f"ParameterList({list(self._members.values())!r})"
