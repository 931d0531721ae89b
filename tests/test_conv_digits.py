"""The issue's quality bar: a small CNN beats the Tensor MLP on the held-out 8x8 digits, with
the same split, preprocessing, optimizer, batches, epochs and seed (the recipe lives in
benchmarks/train_digits_cnn.py; training time is reported there, never asserted)."""

import importlib.util
from pathlib import Path

SCRIPT = Path(__file__).resolve().parents[1] / "benchmarks" / "train_digits_cnn.py"


def load_recipe():
    spec = importlib.util.spec_from_file_location("train_digits_cnn", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_small_cnn_beats_the_mlp_on_held_out_digits():
    recipe = load_recipe()
    data = recipe.digits_split()
    # 8 epochs (the benchmark runs 20) keep this test to a few seconds; seed 0 gives
    # CNN 97.6% vs MLP 96.9% here (98.7% vs 97.1% after 20 epochs; a margin of 0.5% is
    # about two images, so the floor is set a little below what we measured)
    cnn_accuracy, _ = recipe.train(recipe.make_cnn(0), data, epochs=8, seed=0)
    mlp_accuracy, _ = recipe.train(recipe.make_mlp(0), data, epochs=8, seed=0)
    assert cnn_accuracy >= 0.97
    assert cnn_accuracy > mlp_accuracy
