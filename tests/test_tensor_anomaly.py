"""Anomaly mode: raise at the first gate producing NaN or inf, naming it and its line."""

import numpy as np
import pytest
from gradtrace import AnomalyError, Tensor, detect_anomaly


def test_anomaly_mode_names_the_gate_and_the_line_that_created_the_tensor():
    x = Tensor([1.0, -1.0], requires_grad=True)
    with detect_anomaly(), np.errstate(invalid="ignore"):
        with pytest.raises(AnomalyError) as caught:
            y = x * 2
            y.log()  # log(-2) is NaN: this line is named
    message = str(caught.value)
    assert "'log' gate" in message and "1 NaN" in message and "from finite inputs" in message
    with open(__file__) as source:
        line = next(n for n, text in enumerate(source, 1) if "log(-2) is NaN" in text)
    assert f"{__file__}:{line} in test_anomaly_mode_names" in message


def test_anomaly_mode_catches_inf_gradients_in_backward():
    x = Tensor([0.0, 1.0], requires_grad=True)
    with detect_anomaly(), np.errstate(divide="ignore"):
        y = (x**0.5).sum()  # finite forward, but d sqrt(x)/dx is inf at 0
        with pytest.raises(AnomalyError, match=r"backward of the '\*\*0.5' gate.*inf"):
            y.backward()


def test_anomaly_mode_is_off_by_default_and_restored_after_the_block():
    x = Tensor([-1.0], requires_grad=True)
    with np.errstate(invalid="ignore"):
        assert np.isnan(x.log().data).all()  # no error outside the block
        with detect_anomaly():
            pass
        assert x.log()._site is None
