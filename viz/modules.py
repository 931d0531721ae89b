"""Which module owns which parameter: the network view groups boxes by it and the gradient
histograms group layers by it. Reads only the public Module API (`named_modules()`,
`named_parameters()`)."""

from __future__ import annotations

from typing import Any

CONTAINERS = {"ModuleList", "ParameterList", "Sequential"}


def modules_by_parameter(model: Any) -> tuple[dict[int, str], dict[str, Any]]:
    """{id(parameter): owning module's name} and {module name: module}; containers
    (Sequential, ModuleList, ...) own nothing, the module inside them does."""
    modules = dict(model.named_modules())
    owner: dict[int, str] = {}
    for name, p in model.named_parameters():
        parts = name.split(".")[:-1]
        while parts and type(modules.get(".".join(parts))).__name__ in CONTAINERS:
            parts.pop()
        owner.setdefault(id(p), ".".join(parts))
    return owner, modules


def parent_module(name: str, modules: dict[str, Any]) -> str | None:
    """The module that holds module `name` (skipping containers), or None at the top."""
    parts = name.split(".")[:-1] if name else []
    while parts and type(modules.get(".".join(parts))).__name__ in CONTAINERS:
        parts.pop()
    return ".".join(parts) if parts else None
