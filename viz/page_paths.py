"""The chain-rule paths of the explorer's node panel, kept as one shared table of factors.

Written out in full, the path from the root back to each input repeats every factor on the
way: a chain of 333 gates with an input leaf at each gate wrote 334 paths of up to 666 factors
(3.2 MB of a 5.4 MB page). Paths from one root share their beginnings, so the page keeps each
factor once, as a tree: `factors[k] = [parent k or -1, "dadd/dx", "1"]`, and a path is
`[its last factor k, the product's text]`. The page's script (`pathText` in explorer.js)
writes it back as `explain` does: "df/dadd · dadd/dx = -4 × 1 = -4".
"""

from __future__ import annotations

from typing import Any

from .chain_rule import Path
from .style import Format, fmt_number


class Factors:
    """The page's table of factors: each (parent, name, number) kept once."""

    def __init__(self, fmt: Format) -> None:
        self.fmt = fmt
        self.rows: list[list[Any]] = []
        self._index: dict[tuple[int, str, str], int] = {}

    def path(self, path: Path) -> list[Any]:
        """`path` as [its last factor's row (-1: no factor), the product's text]."""
        k = -1
        for f in path.factors:
            key = (k, f.name, fmt_number(f.value, self.fmt))
            if key not in self._index:
                self._index[key] = len(self.rows)
                self.rows.append(list(key))
            k = self._index[key]
        return [k, fmt_number(path.value, self.fmt)]


def path_text(rows: list[list[Any]], path: list[Any]) -> str:
    """A path of the page's data as `explain` writes it (what explorer.js's pathText does)."""
    names, nums = [], []
    k = path[0]
    while k != -1:
        k, name, num = rows[k]
        names.append(name)
        nums.append(num)
    names.reverse()
    nums.reverse()
    return f"{' · '.join(names) or '1'} = {' × '.join(nums) or '1'} = {path[1]}"
