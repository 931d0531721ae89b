"""What every picture says about a graph, worked out once: each node's name.

Names are given over the whole graph, so a gate has the same name in every derivation, frame
and panel of that graph (never add3 in one `explain` and add2 in the next).
"""

from __future__ import annotations

import re
from collections import Counter
from typing import Any

_WORDS = {
    "+": "add",
    "*": "mul",
    "-": "sub",
    "/": "div",
    "@": "matmul",
    "**": "pow",
    "*-1": "neg",
    "1/x": "recip",
    "": "leaf",
}
_PREFIXES = (("**", "pow"), ("max", "max"), ("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "div"))


def gate_word(op: str) -> str:
    """A readable name for a gate: "+" -> add, "*-1" -> neg, "**2" -> pow, "exp" -> exp."""
    if op in _WORDS:
        return _WORDS[op]
    for prefix, word in _PREFIXES:
        if op.startswith(prefix):
            return word
    return re.sub(r"\W+", "", op) or "gate"


def reading_order(root: Any) -> list[Any]:
    """Every node after its inputs, the first operand's inputs first: the order in which the
    expression reads (w0 * x0 before w1 * x1), which the engine's sort does not keep."""
    seen: set[int] = set()
    out: list[Any] = []
    stack: list[tuple[Any, bool]] = [(root, False)]
    while stack:
        node, inputs_done = stack.pop()
        if inputs_done:
            out.append(node)
        elif id(node) not in seen:
            seen.add(id(node))
            stack.append((node, True))
            stack += [(p, False) for p in reversed(node.parents) if id(p) not in seen]
    return out


def node_names(root: Any) -> dict[int, str]:
    """Every node's name (by id): its label (with #2, #3 when labels repeat), "f" for an
    unlabeled root, else its gate's word with an index when the word repeats (add1, add2),
    counted in reading order, so w0 * x0 is mul1 and w1 * x1 mul2."""
    forward = reading_order(root)
    labels = Counter(n.label for n in forward if n.label)
    taken = set(labels)
    names: dict[int, str] = {}
    repeat: Counter[str] = Counter()
    for n in forward:
        if n.label:
            repeat[n.label] += 1
            names[id(n)] = n.label if labels[n.label] == 1 else f"{n.label}#{repeat[n.label]}"
    if not root.label and "f" not in taken:
        names[id(root)] = "f"
    words = {id(n): gate_word(n.op) for n in forward if id(n) not in names}
    many = Counter(words.values())
    index: Counter[str] = Counter()
    taken |= set(names.values())
    for n in forward:
        if id(n) in words:
            word = words[id(n)]
            index[word] += 1
            name = f"{word}{index[word]}" if many[word] > 1 else word
            while name in taken:
                name += "'"
            taken.add(name)
            names[id(n)] = name
    return names
