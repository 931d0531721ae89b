"""`check_answers(root, answers)`: a learner's hand-computed gradients, each named by the
misconception it shows.

    f = (x + y) * z                      # labelled leaves and gates
    check_answers(f, {"x": 1, "z": -4})  # x: forgot-upstream; z: mul-gate-uses-own-input

For every labelled node, `answer_sheet` works out the right gradient and the number each
usual mistake gives instead: a mul gate's local gradient taken as the node's own value
(`mul-gate-uses-own-input`), the local gradient alone (`forgot-upstream`), one branch of a
value used twice (`branches-not-summed`), an add gate that halves or switches
(`add-gate-not-distributor`), a max gate that routes to the wrong input (`max-gate-routing`),
the sign flipped (`sign-error`). An answer is matched against these in that order, with
the slides' rounding allowed (2 %, or 0.005); a wrong number no rule explains is `arithmetic`
(the rules give one number; the sum or product went wrong). Unlabelled nodes are answered
by name when `names` (node id -> name) is given: the worksheet passes the names its
picture shows (add1, mul2), so autograd needs nothing from viz. The worksheet page
(gradtrace.viz.worksheet) embeds the same sheet, so page and Python say the same thing.
"""

from __future__ import annotations

from dataclasses import dataclass
from numbers import Real
from typing import Any

from .engine import topological_order

REL, ABS = 0.02, 0.005  # the slides round to two digits: -0.2 for -0.1966 is right


@dataclass
class AnswerFinding:
    """One answer: the node's `label`, the `cause` (one of CAUSES), the learner's `answer`,
    the `expected` gradient and a `message` saying why."""

    label: str
    cause: str
    answer: float
    expected: float
    message: str


CAUSES = (
    "correct",
    "mul-gate-uses-own-input",
    "forgot-upstream",
    "branches-not-summed",
    "add-gate-not-distributor",
    "max-gate-routing",
    "sign-error",
    "arithmetic",
)


class AnswerReport(list):
    """The findings, one per answer, in the order given; `score` is the fraction correct."""

    @property
    def score(self) -> float:
        return sum(f.cause == "correct" for f in self) / len(self) if self else 0.0

    def causes(self) -> dict[str, str]:
        return {f.label: f.cause for f in self}

    def __str__(self) -> str:
        head = f"check_answers: {sum(f.cause == 'correct' for f in self)} of {len(self)} right"
        rows = [f"  {f.label}: {f.answer:g} -> {f.cause}: {f.message}" for f in self]
        return "\n".join([head, *rows])


def close(answer: float, value: float) -> bool:
    """Equal up to the slides' rounding."""
    return abs(answer - value) <= max(REL * abs(value), ABS)


def check_answers(
    root: Any, answers: dict[str, float], names: dict[int, str] | None = None
) -> AnswerReport:
    """Each answer (d root / d node, keyed by the node's label) named by what it shows.
    `names` (node id -> name, e.g. the names a picture shows) keys unlabelled nodes too."""
    sheet = answer_sheet(root, names)
    report = AnswerReport()
    for label, answer in answers.items():
        if label not in sheet:
            known = ", ".join(sheet) or "none"
            word = ("named", "names") if names is not None else ("labelled", "labels")
            raise ValueError(f"check_answers: no node is {word[0]} {label!r} ({word[1]}: {known})")
        if isinstance(answer, bool) or not isinstance(answer, Real):
            raise TypeError(
                f"check_answers: the answer for {label!r} must be a number, got {answer!r}"
            )
        report.append(classify(label, float(answer), sheet[label]))
    return report


def classify(label: str, answer: float, entry: dict[str, Any]) -> AnswerFinding:
    """The first candidate the answer matches, else `arithmetic`."""
    expected = entry["expected"]
    for cause, value, why in entry["candidates"]:
        if close(answer, value):
            return AnswerFinding(label, cause, answer, expected, why)
    return AnswerFinding(label, "arithmetic", answer, expected, entry["arithmetic"])


# ---------------------------------------------------------------------------- the sheet
def answer_sheet(root: Any, names: dict[int, str] | None = None) -> dict[str, dict[str, Any]]:
    """For each labelled node (or each node `names` names, by id): `expected` (d root / d
    node), `candidates` [(cause, number, why)] in matching order, the right one first, and
    the `arithmetic` message. Keyed by label, or by the name `names` gives."""
    order = topological_order(root)  # root first: each node's users before it
    grads = {id(root): 1.0}
    users: dict[int, list[tuple[Any, int]]] = {id(n): [] for n in order}
    for node in order:
        for k, parent in enumerate(node.parents):
            users[id(parent)].append((node, k))
    for node in order[1:]:  # every user of a node is earlier in the order
        grads[id(node)] = sum(g.local_grads[k] * grads[id(g)] for g, k in users[id(node)])
    sheet = {}
    for node in order:
        name = names.get(id(node)) if names is not None else None
        name = name or node.label
        if name and name not in sheet:
            sheet[name] = _entry(name, users[id(node)], grads, node)
    return sheet


def _entry(
    name: str, uses: list[tuple[Any, int]], grads: dict[int, float], node: Any
) -> dict[str, Any]:
    terms = [g.local_grads[k] * grads[id(g)] for g, k in uses]
    right = grads[id(node)]
    if not uses:
        return {
            "expected": right,
            "candidates": [("correct", right, f"{name} is the root: 1.")],
            "arithmetic": f"{name} is the root: d{name}/d{name} = 1.",
        }
    sums = " + ".join(f"{g.local_grads[k]:.4g} × {grads[id(g)]:.4g}" for g, k in uses)
    cands = [("correct", right, f"right: local × upstream, {sums} = {right:.4g}.")]
    for i, (g, k) in enumerate(uses):
        rest = right - terms[i]
        cands += [(c, rest + v, why) for c, v, why in _gate_mistakes(node, g, k, grads[id(g)])]
    locals_ = sum(g.local_grads[k] for g, k in uses)
    cands.append(
        (
            "forgot-upstream",
            locals_,
            f"that is the local gradient alone; multiply by "
            f"the upstream gradient: {sums} = {right:.4g}.",
        )
    )
    if len(uses) > 1:
        cands += [
            (
                "branches-not-summed",
                t,
                f"{name} feeds {len(uses)} gates: its gradient is "
                f"the sum over all of them, {sums} = {right:.4g}.",
            )
            for t in terms
        ]
    cands.append(("sign-error", -right, f"the sign is flipped: {right:.4g}."))
    right_first = [cands[0]] + [c for c in cands[1:] if not close(c[1], right)]
    why = f"the rules give {sums} = {right:.4g}: check the arithmetic."
    return {"expected": right, "candidates": right_first, "arithmetic": why}


def _gate_mistakes(node: Any, gate: Any, k: int, up: float) -> list[tuple[str, float, str]]:
    """What a learner gets along one wire (node -> gate input k, upstream `up`) by each
    gate-pattern mistake: the number for this wire alone."""
    kind, others = pattern(gate), [p for j, p in enumerate(gate.parents) if j != k]
    if kind == "mul" and len(gate.parents) == 2:
        other = others[0].data
        why = (
            f"a mul gate's local gradient for one input is the other input ({other:.4g}), "
            f"not the input itself: {other:.4g} × {up:.4g} = {other * up:.4g} on this wire."
        )
        return [("mul-gate-uses-own-input", node.data * up, why)]
    if kind == "add" and len(gate.parents) >= 2:
        why = (
            f"an add gate hands the upstream gradient {up:.4g} to every input unchanged "
            "(local gradient 1): it neither splits nor switches it."
        )
        wrong = [up / len(gate.parents)] + ([others[0].data * up] if len(others) == 1 else [])
        return [("add-gate-not-distributor", v, why) for v in wrong]
    if kind == "max":
        local = gate.local_grads[k]
        why = (
            f"a max gate routes the whole upstream gradient {up:.4g} to the larger input "
            f"and 0 to the other: this wire gets {local * up:.4g}."
        )
        return [("max-gate-routing", (1.0 - local) * up, why), ("max-gate-routing", up, why)]
    return []


def pattern(gate: Any) -> str:
    """ "add", "mul" or "max" for the gates with a lecture pattern, else "" (read from the
    gate record when a node has one, else from its op's name)."""
    record = getattr(gate, "gate", None)
    name = getattr(record, "name", None) or gate.op
    for kind, prefixes in (("max", ("max",)), ("add", ("+", "add")), ("mul", ("*", "mul"))):
        if name.startswith(prefixes):
            return kind
    return ""
