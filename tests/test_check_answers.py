"""check_answers names the misconception behind each wrong hand-computed gradient."""

import pytest
from gradtrace import Value, check_answers


def chain_rule_example():
    """The notes' f = (x + y) z at x = -2, y = 5, z = -4: f = -12, df/dx = df/dy = -4, df/dz = 3."""
    x, y, z = Value(-2.0, "x"), Value(5.0, "y"), Value(-4.0, "z")
    q = x + y
    q.label = "q"
    f = q * z
    f.label = "f"
    return f


def sigmoid_neuron():
    """The notes' neuron 1/(1 + e^-(w0 x0 + w1 x1 + w2)) at w = (2, -3, -3), x = (-1, -2)."""
    w0, x0, w1, x1, w2 = (
        Value(v, n)
        for v, n in zip((2.0, -1.0, -3.0, -2.0, -3.0), ("w0", "x0", "w1", "x1", "w2"), strict=True)
    )
    dot = w0 * x0 + w1 * x1 + w2
    dot.label = "dot"
    return 1 / (1 + (-dot).exp())


def causes(root, answers):
    return check_answers(root, answers).causes()


def test_the_right_answers_of_the_chain_rule_example_are_correct():
    report = check_answers(chain_rule_example(), {"x": -4, "y": -4, "z": 3, "q": -4, "f": 1})
    assert set(report.causes().values()) == {"correct"} and report.score == 1.0


def test_the_notes_rounded_answers_for_the_neuron_are_correct():
    # the slides: dw0 = -0.2, dx0 = 0.39, dw1 = -0.39, dx1 = -0.59, dw2 = 0.2
    answers = {"w0": -0.2, "x0": 0.39, "w1": -0.39, "x1": -0.59, "w2": 0.2}
    assert set(causes(sigmoid_neuron(), answers).values()) == {"correct"}
    report = check_answers(sigmoid_neuron(), {"w0": -0.2})
    assert report[0].expected == pytest.approx(-0.1966119, abs=1e-7)  # DESIGN.md's number


@pytest.mark.parametrize(
    "label, answer, cause",
    [
        ("z", -4, "mul-gate-uses-own-input"),  # z's own value, not q = 3
        ("q", 3, "mul-gate-uses-own-input"),  # q's own value, not z = -4
        ("x", 1, "forgot-upstream"),  # the add gate's local gradient alone
        ("x", -2, "add-gate-not-distributor"),  # the upstream -4 split in two
        ("y", 8, "add-gate-not-distributor"),  # switched like a mul gate: x * -4
        ("x", 4, "sign-error"),
        ("z", 5, "arithmetic"),
    ],
)
def test_planted_wrong_answers_in_the_chain_rule_example(label, answer, cause):
    assert causes(chain_rule_example(), {label: answer}) == {label: cause}


@pytest.mark.parametrize(
    "label, answer, cause",
    [
        ("w0", 0.3932, "mul-gate-uses-own-input"),  # w0 * upstream instead of x0 * upstream
        ("x1", -0.3932, "mul-gate-uses-own-input"),  # x1 * upstream instead of w1 * upstream
        ("w0", -1.0, "forgot-upstream"),  # x0, the mul gate's local gradient alone
        ("w2", 0.0983, "add-gate-not-distributor"),  # 0.1966 halved
        ("x1", 0.5898, "sign-error"),
        ("x0", 0.45, "arithmetic"),
    ],
)
def test_planted_wrong_answers_in_the_sigmoid_neuron(label, answer, cause):
    assert causes(sigmoid_neuron(), {label: answer}) == {label: cause}


def test_one_branch_of_a_value_used_twice_is_branches_not_summed():
    a, b = Value(3.0, "a"), Value(2.0, "b")
    f = a * b + a  # df/da = b + 1 = 3
    assert causes(f, {"a": 3.0})["a"] == "correct"
    assert causes(f, {"a": 2.0})["a"] == "branches-not-summed"  # the mul branch only
    assert causes(f, {"a": 1.0})["a"] == "branches-not-summed"  # the add branch only


def test_a_max_gate_routed_to_the_smaller_input_is_max_gate_routing():
    # the notes' gate patterns: f = 2 (x y + max(z, w)) at x = 3, y = -4, z = 2, w = -1
    x, y, z, w = (Value(v, n) for v, n in zip((3.0, -4.0, 2.0, -1.0), "xyzw", strict=True))
    f = (x * y + z.max(w)) * 2
    right = {"x": -8, "y": 6, "z": 2, "w": 0}
    assert set(causes(f, right).values()) == {"correct"}
    assert causes(f, {"w": 2})["w"] == "max-gate-routing"  # the smaller input got it
    assert causes(f, {"z": 0})["z"] == "max-gate-routing"


def test_every_cause_is_one_of_the_documented_ones_and_bad_input_is_named():
    from gradtrace.check_answers import CAUSES

    found = check_answers(chain_rule_example(), {"x": 1, "y": 9, "z": -4, "q": -4})
    assert {f.cause for f in found} <= set(CAUSES) and all(f.message for f in found)
    with pytest.raises(ValueError, match="'nope'.*labels: f, q, z, x, y"):
        check_answers(chain_rule_example(), {"nope": 1})
    with pytest.raises(TypeError, match="'x' must be a number"):
        check_answers(chain_rule_example(), {"x": "-4"})
