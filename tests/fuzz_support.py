"""What the two differential fuzz files share: cheap seeded draws, and chunks of seeds.

A numpy Generator call costs microseconds, a fuzz graph needs a hundred draws, so `Draws`
takes its numbers from one seeded block of uniforms, drawn once per graph."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np


class Draws:
    """Seeded random choices for one graph, from numpy's default Generator (`seed`)."""

    def __init__(self, seed: int, block: int = 256) -> None:
        self._rng = np.random.default_rng(seed)
        self._block = block
        self._us = self._rng.random(block).tolist()

    def random(self) -> float:
        """A uniform number in [0, 1)."""
        if not self._us:
            self._us = self._rng.random(self._block).tolist()
        return self._us.pop()

    def uniform(self, lo: float, hi: float) -> float:
        return lo + (hi - lo) * self.random()

    def integer(self, lo: int, hi: int) -> int:
        """An integer in [lo, hi), as `Generator.integers`."""
        return lo + min(int(self.random() * (hi - lo)), hi - lo - 1)

    def choice(self, options: Sequence):
        return options[self.integer(0, len(options))]

    def normal(self, shape: tuple[int, ...]) -> np.ndarray:
        return self._rng.normal(size=shape)


def check_chunk(chunk: int, seeds: int, chunks: int, build, check) -> None:
    """Build and check the programs of chunk k of `chunks` equal parts of range(seeds). Any
    failure, a mismatch or an engine error, carries the program that caused it."""
    per_chunk = seeds // chunks
    for seed in range(chunk * per_chunk, (chunk + 1) * per_chunk):
        program = build(seed)
        try:
            check(program)
        except Exception as error:
            error.add_note(str(program))
            raise
