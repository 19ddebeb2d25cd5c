"""Small vectorised helpers shared by the simulator modules."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import polars as pl


def pick(rng: np.random.Generator, weights: Sequence[float] | np.ndarray, n: int) -> np.ndarray:
    """n indices drawn with the given (unnormalised) weights."""
    cum = np.cumsum(np.asarray(weights, dtype=np.float64))
    if n == 0 or cum[-1] <= 0:
        return np.zeros(n, dtype=np.int64)
    return np.minimum(np.searchsorted(cum, rng.random(n) * cum[-1], side="right"), len(cum) - 1).astype(np.int64)


def pick_named(rng: np.random.Generator, table: Sequence[tuple[str, float]], n: int) -> np.ndarray:
    """Indices into a ((name, weight), ...) table."""
    return pick(rng, [w for _, w in table], n)


def names_of(table: Sequence[tuple[str, float]]) -> list[str]:
    return [name for name, _ in table]


def idstr(prefix: str, ints: np.ndarray | pl.Series, width: int) -> pl.Series:
    """prefix + zero-padded decimal, e.g. idstr('O', [12], 6) -> 'O000012'."""
    s = pl.Series(np.asarray(ints, dtype=np.int64)).cast(pl.String).str.zfill(width)
    return (prefix + s) if prefix else s


def scramble(ints: np.ndarray, multiplier: int, digits: int) -> np.ndarray:
    """A bijection of 0..10**digits-1 (multiplier coprime to 10): ids that do not look sequential."""
    assert digits <= 9, "int64 products overflow beyond 9 digits"
    mod = 10**digits
    return (np.asarray(ints, dtype=np.int64) % mod * (multiplier % mod)) % mod


def take(values: Sequence, idx: np.ndarray, dtype=pl.String) -> pl.Series:
    """values[idx] as a polars Series (None entries become nulls)."""
    return pl.Series(list(values), dtype=dtype).gather(np.asarray(idx, dtype=np.int64))


def within_group_index(group_sizes: np.ndarray) -> np.ndarray:
    """For rows laid out group after group: 0, 1, ... inside each group."""
    total = int(group_sizes.sum())
    starts = np.cumsum(group_sizes) - group_sizes
    return np.arange(total, dtype=np.int64) - np.repeat(starts, group_sizes)


class Columns:
    """A growable table of equal-length numpy columns (the simulator's long-lived state)."""

    def __init__(self, spec: dict[str, np.dtype | type]):
        self._cap = 1024
        self.n = 0
        self._a = {k: np.zeros(self._cap, dtype=dt) for k, dt in spec.items()}

    def __len__(self) -> int:
        return self.n

    def __getitem__(self, name: str) -> np.ndarray:
        return self._a[name][: self.n]

    def append(self, **cols: np.ndarray) -> np.ndarray:
        k = len(next(iter(cols.values())))
        if self.n + k > self._cap:
            while self.n + k > self._cap:
                self._cap *= 2
            for name, arr in self._a.items():
                grown = np.zeros(self._cap, dtype=arr.dtype)
                grown[: self.n] = arr[: self.n]
                self._a[name] = grown
        missing = set(self._a) - set(cols)
        if missing:
            raise ValueError(f"missing columns {sorted(missing)}")
        for name, values in cols.items():
            self._a[name][self.n : self.n + k] = values
        idx = np.arange(self.n, self.n + k, dtype=np.int64)
        self.n += k
        return idx
