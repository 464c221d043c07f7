"""Chart data of bounded size from a stream of unknown length."""

from __future__ import annotations

import numpy as np


class Decimator:
    """Keeps every stride-th point and doubles the stride whenever twice the limit is held, so
    memory stays below 2 x limit however long the stream; `points` thins to the limit and always
    ends with the last point (the end of a discharge is what a reader of the chart looks for)."""

    def __init__(self, limit: int = 500) -> None:
        if limit < 2:
            raise ValueError("limit must be at least 2")
        self.limit = limit
        self._stride = 1
        self._seen = 0
        self._index = np.empty(0, np.int64)
        self._x = np.empty(0)
        self._y = np.empty(0)
        self._last: tuple[float, float] | None = None

    def add(self, x: np.ndarray, y: np.ndarray) -> None:
        if len(x) == 0:
            return
        self._last = (float(x[-1]), float(y[-1]))
        while len(self._index) + self._count_kept(len(x)) > 2 * self.limit:
            self._stride *= 2
            keep = self._index % self._stride == 0
            self._index, self._x, self._y = self._index[keep], self._x[keep], self._y[keep]
        first = -self._seen % self._stride  # the first new point whose index is a multiple
        self._index = np.concatenate(
            (self._index, np.arange(first, len(x), self._stride) + self._seen)
        )
        self._x = np.concatenate((self._x, x[first :: self._stride]))
        self._y = np.concatenate((self._y, y[first :: self._stride]))
        self._seen += len(x)

    def _count_kept(self, count: int) -> int:
        first = -self._seen % self._stride
        return 0 if first >= count else (count - 1 - first) // self._stride + 1

    def points(self) -> tuple[np.ndarray, np.ndarray]:
        """(x, y), at most `limit` points, ending with the last point added."""
        if self._last is None:
            return np.empty(0), np.empty(0)
        x, y = self._x, self._y
        if self._index[-1] != self._seen - 1:
            x, y = np.append(x, self._last[0]), np.append(y, self._last[1])
        if len(x) > self.limit:
            pick = np.linspace(0, len(x) - 1, self.limit).round().astype(np.int64)
            # Sorted already: dropping repeats is np.unique without its sort.
            pick = pick[np.concatenate(([True], pick[1:] != pick[:-1]))]
            x, y = x[pick], y[pick]
        return x, y


def as_pairs(x: np.ndarray, y: np.ndarray) -> list[list[float]]:
    return [[float(a), float(b)] for a, b in zip(x.tolist(), y.tolist(), strict=True)]
