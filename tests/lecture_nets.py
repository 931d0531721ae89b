"""The lecture's 2-2-2 network (notes 003, Mazur's worked example) as a Tensor Sequential, with
the notes' weights, input and target: shared by the tests of the matrix views."""

from gradtrace import nn

X = [0.05, 0.10]  # i1, i2
T = [0.01, 0.99]  # the targets of o1, o2


def two_two_two_model() -> nn.Sequential:
    """Linear(2, 2), Sigmoid, Linear(2, 2), Sigmoid with w1..w8 and the biases 0.35, 0.60."""
    m = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 2), nn.Sigmoid())
    m[0].weight.data[:] = [[0.15, 0.20], [0.25, 0.30]]  # w1 w2 / w3 w4
    m[0].bias.data[:] = 0.35
    m[2].weight.data[:] = [[0.40, 0.45], [0.50, 0.55]]  # w5 w6 / w7 w8
    m[2].bias.data[:] = 0.60
    return m
