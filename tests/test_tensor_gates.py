"""Every Tensor gate against central finite differences, on hypothesis-drawn shapes (with
broadcasting) and values."""

import pytest
from gradtrace import Tensor, gradcheck
from gradtrace.tensor import GATES
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tensor_cases import CASES, weighted


def test_every_gate_has_a_case():
    assert set(CASES) == set(GATES)


@pytest.mark.parametrize("name", sorted(GATES))
@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_gate_matches_finite_differences(name, data):
    fn, arrays = CASES[name](data.draw)
    assert gradcheck(weighted(fn, arrays), *[Tensor(a) for a in arrays])


@pytest.mark.parametrize("name", sorted(GATES))
@settings(max_examples=5, deadline=None)
@given(data=st.data())
def test_gate_output_is_recorded_with_its_op(name, data):
    fn, arrays = CASES[name](data.draw)
    out = fn(*[Tensor(a, requires_grad=True) for a in arrays])
    assert out.op.startswith("**" if name == "pow" else name)
    assert len(out.parents) == len(arrays)
