"""Quality bar: the micrograd demo (a scalar MLP on 100 moons points) reaches 100% in 100 steps."""

import gradtrace.nn.functional as F
from gradtrace.nn import MLP
from gradtrace.nn.data import make_moons
from gradtrace.nn.optim import SGD, LambdaLR, l2_penalty


def test_scalar_mlp_separates_the_moons_in_100_steps():
    # micrograd's demo.ipynb: MLP(2, [16, 16, 1]) with ReLU, 100 points with noise 0.1,
    # max-margin (hinge) loss + 1e-4 * sum(w**2), full-batch SGD, lr = 1.0 - 0.9 * k / 100
    X, y = make_moons(100, noise=0.1, seed=0)
    targets = y * 2 - 1  # {0, 1} -> {-1, +1}
    rows = [[float(a), float(b)] for a, b in X]
    model = MLP(2, [16, 16, 1], activation="relu", seed=0)
    params = model.parameters()
    opt = SGD(params, lr=1.0)
    schedule = LambdaLR(opt, lambda k: 1.0 - 0.9 * k / 100)
    for _ in range(100):
        scores = [model(r) for r in rows]
        # our l2_penalty is (1/2) sum w**2, so 2e-4 of it is micrograd's 1e-4 * sum w**2
        loss = F.hinge_loss(scores, targets) + 2e-4 * l2_penalty(params)
        opt.zero_grad()
        loss.backward()
        opt.step()
        schedule.step()
    correct = sum((model(r).data > 0) == (t > 0) for r, t in zip(rows, targets, strict=True))
    assert correct == 100
