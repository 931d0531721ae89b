"""A small CNN against the Tensor MLP on the 8x8 digits: held-out accuracy and training time.

    .venv/bin/python benchmarks/train_digits_cnn.py            # seeds 0..4
    .venv/bin/python benchmarks/train_digits_cnn.py --seeds 1 --epochs 10

Both models see the same split (nn.data.train_test_split, test_size=0.25, seed=0, stratified),
the same preprocessing (pixels standardized with the mean and standard deviation of all
training pixels), the same optimizer (SGD, lr 0.05, momentum 0.9, weight decay 1e-4, cosine
schedule), the same mini-batches of 32 and the same number of epochs, and the same seed for
initialisation and shuffling. Only the architecture differs:

    MLP  64-128-64-10, ReLU, on rows of 64 pixels                   (17,226 parameters)
    CNN  Conv2d(1, 16, 3, padding=1) ReLU MaxPool2d(2)      (1x8x8 images -> 16 maps of 4x4)
         Conv2d(16, 32, 3, padding=1) ReLU MaxPool2d(2)              (-> 32 maps of 2x2)
         Flatten Linear(128, 10)                                     (6,090 parameters)

Both are trained by `nn.fit` (the library's training loop). Training time is wall-clock
seconds of the training epochs alone (the sum of fit's per-epoch times, no held-out
evaluation), on whatever machine this runs on; accuracy is on the 450 held-out images.
"""

from __future__ import annotations

import argparse

import gradtrace.nn.functional as F
import numpy as np
from gradtrace.nn import fit, predict
from gradtrace.nn.conv import Conv2d, Flatten, MaxPool2d
from gradtrace.nn.data import load_digits, train_test_split
from gradtrace.nn.layers import Linear, ReLU, Sequential
from gradtrace.nn.module import Module
from gradtrace.nn.optim import SGD, CosineAnnealingLR


def digits_split() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The 8x8 digits (rows of 64 pixels), split 75/25 (seed 0, stratified), standardized
    with the training pixels' mean and standard deviation."""
    X, y = load_digits()
    Xtr, Xte, ytr, yte = train_test_split(X, y, test_size=0.25, seed=0, stratify=y)
    mean, std = Xtr.mean(), Xtr.std()
    Xtr, Xte = (Xtr - mean) / std, (Xte - mean) / std
    return Xtr, Xte, ytr, yte


def make_cnn(seed: int) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Conv2d(1, 16, 3, padding=1, rng=rng),
        ReLU(),
        MaxPool2d(2),
        Conv2d(16, 32, 3, padding=1, rng=rng),
        ReLU(),
        MaxPool2d(2),
        Flatten(),
        Linear(32 * 2 * 2, 10, rng=rng),
    )


def make_mlp(seed: int) -> Sequential:
    rng = np.random.default_rng(seed)
    return Sequential(
        Linear(64, 128, rng=rng), ReLU(), Linear(128, 64, rng=rng), ReLU(), Linear(64, 10, rng=rng)
    )


def train(model: Module, data: tuple, epochs: int, seed: int) -> tuple[float, float]:
    """Train with the shared recipe (nn.fit); return (held-out accuracy, training seconds).
    The CNN reads each row of 64 pixels as a 1x8x8 image, the MLP as it is."""
    Xtr, Xte, ytr, yte = data
    if isinstance(model[0], Conv2d):
        Xtr, Xte = Xtr.reshape(-1, 1, 8, 8), Xte.reshape(-1, 1, 8, 8)
    opt = SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=1e-4)
    history = fit(
        model,
        F.cross_entropy,
        Xtr,
        ytr,
        epochs=epochs,
        batch_size=32,
        optimizer=opt,
        scheduler=CosineAnnealingLR(opt, T_max=epochs),
        seed=seed,
        progress=False,
    )
    accuracy = float((predict(model, Xte) == yte).mean())
    return accuracy, sum(history["time"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=5, help="seeds 0..n-1 (default 5)")
    parser.add_argument("--epochs", type=int, default=20)
    args = parser.parse_args(argv)
    data = digits_split()
    n_params = {
        name: sum(p.data.size for p in make(0).parameters())
        for name, make in (("MLP", make_mlp), ("CNN", make_cnn))
    }
    print(
        f"8x8 digits: {len(data[0])} training, {len(data[1])} held-out images; "
        f"{args.epochs} epochs; MLP {n_params['MLP']:,} parameters, "
        f"CNN {n_params['CNN']:,}"
    )
    results: dict[str, list[tuple[float, float]]] = {"MLP": [], "CNN": []}
    for seed in range(args.seeds):
        for name, make in (("MLP", make_mlp), ("CNN", make_cnn)):
            results[name].append(train(make(seed), data, args.epochs, seed))
        (ma, ms), (ca, cs) = results["MLP"][-1], results["CNN"][-1]
        print(f"seed {seed}: MLP {ma:.2%} in {ms:.1f} s   CNN {ca:.2%} in {cs:.1f} s", flush=True)
    for name, rows in results.items():
        acc = np.array([a for a, _ in rows])
        secs = np.array([s for _, s in rows])
        print(
            f"{name}: accuracy mean {acc.mean():.2%} (min {acc.min():.2%}, max {acc.max():.2%}), "
            f"training time median {np.median(secs):.1f} s (max {secs.max():.1f} s)"
        )
    wins = sum(c[0] > m[0] for c, m in zip(results["CNN"], results["MLP"], strict=True))
    print(f"CNN more accurate than the MLP for {wins} of {args.seeds} seeds")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
