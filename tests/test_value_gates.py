"""Gate patterns, accumulation, errors and the iterative backward pass of `Value`."""

import math

import pytest
from gradtrace import Value, linear, no_grad, vsum


def test_add_gate_distributes_gradient_equally():
    a, b = Value(3.0), Value(-7.0)
    out = (a + b) * 2.0
    out.backward()
    assert (a.grad, b.grad) == (2.0, 2.0)


def test_max_gate_routes_gradient_to_larger_input():
    a, b = Value(4.0), Value(2.0)
    out = a.max(b) * 2.0
    out.backward()
    assert (a.grad, b.grad) == (2.0, 0.0)


def test_max_gate_tie_routes_to_first_operand():
    a, b = Value(1.0), Value(1.0)
    a.max(b).backward()
    assert (a.grad, b.grad) == (1.0, 0.0)


def test_max_with_plain_number():
    x = Value(-1.0)
    out = x.max(0)
    out.backward()
    assert out.data == 0.0 and x.grad == 0.0


def test_mul_gate_switches_inputs():
    a, b = Value(3.0), Value(-4.0)
    (a * b).backward()
    assert (a.grad, b.grad) == (-4.0, 3.0)


def test_gradients_add_at_branches():
    a = Value(3.0)
    out = a + a
    out.backward()
    assert out.parents == (a, a)  # two edges, in operand order
    assert a.grad == 2.0


def test_value_used_in_two_products_accumulates():
    x = Value(2.0)
    out = x * x * x  # d/dx x^3 = 3x^2
    out.backward()
    assert x.grad == 12.0


def test_parents_keep_operand_order():
    a, b = Value(1.0), Value(2.0)
    assert (b - a).parents[0] is b
    assert (a * b).parents == (a, b)


def test_constants_are_folded_into_one_gate():
    x = Value(2.0)
    assert (x + 1).op == "+1" and (x + 1).parents == (x,)
    assert (x * -1).op == "*-1"
    assert (x**2).op == "**2"


@pytest.mark.parametrize(
    ("build", "value", "grad"),
    [
        (lambda x: x - 5, -2.0, 1.0),
        (lambda x: 5 - x, 2.0, -1.0),
        (lambda x: x / 4, 0.75, 0.25),
        (lambda x: 6 / x, 2.0, -6 / 9),
        (lambda x: 2 + x, 5.0, 1.0),
        (lambda x: 2 * x, 6.0, 2.0),
        (lambda x: -x, -3.0, -1.0),
        (lambda x: x / x, 1.0, 0.0),
    ],
)
def test_compositions_and_reflected_operators(build, value, grad):
    x = Value(3.0)
    out = build(x)
    out.backward()
    assert out.data == pytest.approx(value)
    assert x.grad == pytest.approx(grad)


def test_relu_derivative_at_zero_is_zero():
    x = Value(0.0)
    x.relu().backward()
    assert x.grad == 0.0


def test_sigmoid_and_tanh_are_stable_at_plus_minus_1000():
    for x in (-1000.0, 1000.0):
        s, t = Value(x).sigmoid(), Value(x).tanh()
        assert math.isfinite(s.data) and math.isfinite(t.data)
        assert s.local_grads == (0.0,) and t.local_grads == (0.0,)
    assert Value(1000.0).sigmoid().data == 1.0 and Value(-1000.0).sigmoid().data == 0.0


def test_log_of_zero_names_the_gate_and_input():
    with pytest.raises(ValueError, match=r"log gate: input 0.0 is not positive"):
        Value(0).log()


def test_reciprocal_of_zero_names_the_gate():
    with pytest.raises(ZeroDivisionError, match=r"reciprocal gate: input 0.0"):
        Value(0).reciprocal()


def test_exp_overflow_names_the_gate():
    with pytest.raises(OverflowError, match=r"exp gate: input 1000.0"):
        Value(1000.0).exp()


def test_pow_domain_errors_name_the_gate():
    with pytest.raises(ValueError, match="pow gate"):
        Value(-2.0) ** 0.5
    with pytest.raises(ZeroDivisionError, match="pow gate"):
        Value(0.0) ** -1
    with pytest.raises(TypeError, match="pow gate"):
        Value(2.0) ** Value(2.0)


def test_non_numeric_value_is_a_type_error():
    with pytest.raises(TypeError, match="Value"):
        Value("abc")
    with pytest.raises(TypeError, match=r"\* gate"):
        Value(1.0) * "abc"


def test_no_grad_records_no_parents():
    x = Value(2.0)
    with no_grad():
        y = x * 3 + 1
    assert y.parents == () and y.op == "" and y.data == 7.0
    z = x * 3
    assert z.parents == (x,)


def test_backward_on_a_chain_a_million_deep():
    x = Value(1.0)
    out = x
    for _ in range(1_000_000):
        out = out + 1.0
    out.backward()
    assert out.data == 1_000_001.0 and x.grad == 1.0


def test_backward_on_a_graph_of_a_million_nodes():
    leaves = [Value(float(i % 7)) for i in range(1000)]
    total = Value(0.0)
    for i in range(500_000):  # 1,000,000 nodes: a mul and an add per step
        total = total + leaves[i % 1000] * 0.5
    total.backward()
    assert all(leaf.grad == 0.5 * 500 for leaf in leaves)  # each leaf is used 500 times


def test_vsum_is_one_add_gate_with_every_input_as_parent():
    xs = [Value(float(i)) for i in range(5)]
    total = vsum([x * x for x in xs] + [1.0])
    total.backward()
    assert total.op == "+" and len(total.parents) == 6
    assert total.data == 31.0
    assert [x.grad for x in xs] == [0.0, 2.0, 4.0, 6.0, 8.0]


def test_linear_gate_matches_mul_gates_and_a_sum():
    ws = [Value(0.5), Value(-1.5), Value(2.0)]
    xs = [Value(1.0), Value(3.0), 4.0]  # a plain number among the inputs is folded in
    b = Value(0.25)
    fused = linear(xs, ws, b)
    fused.backward()
    fused_grads = [v.grad for v in ws + xs[:2] + [b]]
    assert fused.op == "linear" and len(fused.parents) == 6  # 3 weights, 2 Value inputs, bias
    for v in ws + xs[:2] + [b]:
        v.grad = 0.0
    by_gates = vsum([w * x for w, x in zip(ws, xs, strict=True)] + [b])
    by_gates.backward()
    assert fused.data == by_gates.data == 0.5 - 4.5 + 8.0 + 0.25
    assert fused_grads == [v.grad for v in ws + xs[:2] + [b]] == [1.0, 3.0, 4.0, 0.5, -1.5, 1.0]


def test_linear_gate_checks_lengths():
    with pytest.raises(ValueError, match="linear gate: 2 weights but 3 inputs"):
        linear([1.0, 2.0, 3.0], [Value(1.0), Value(2.0)])


def test_one_over_x_is_just_the_reciprocal_gate():
    x = Value(4.0)
    assert (1 / x).op == "1/x" and (1 / x).parents == (x,)
