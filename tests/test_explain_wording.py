"""The words explain prints read as English whatever the numbers (a count of one is "one")."""

import numpy as np
from gradtrace import Tensor
from gradtrace.viz import explain


def _note(f, wrt) -> str:
    return str(explain(f, wrt=wrt)).split("Note:")[1]


def test_the_jacobian_note_says_one_path_in_words_and_counts_more():
    w = Tensor(np.array([[1.0, 2.0], [3.0, 4.0]]), requires_grad=True, label="w")
    one = (w * 2).sum()
    one.backward()
    assert "For Tensors the one path is not written out" in _note(one, w)
    v = Tensor(np.array([1.0, 2.0]), requires_grad=True, label="v")
    two = (v * 2.0 + v * 3.0).sum()  # v feeds two gates: two paths
    two.backward()
    assert "For Tensors the 2 paths are not written out" in _note(two, v)
