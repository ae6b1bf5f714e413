"""1-minute candles of one symbol in numpy arrays, and the pluggable market-data sources.

A :class:`CandleSeries` is the only thing the engine knows about the market: open times (int64 ms) and
float64 o/h/l/c/v, plus an optional funding schedule. Sources fill it from files (:mod:`.loader`), the
seeded generator (:mod:`.synthetic`) or the live feed of paper mode (:mod:`.live`), which pushes final
candles through :meth:`CandleSeries.append` while its clock keeps the engine behind the last of them.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from simulator.markets import MarketSpec

MINUTE_MS = 60_000

INTERVAL_MINUTES: dict[str, int] = {
    "1m": 1,
    "3m": 3,
    "5m": 5,
    "15m": 15,
    "30m": 30,
    "1h": 60,
    "2h": 120,
    "4h": 240,
    "6h": 360,
    "8h": 480,
    "12h": 720,
    "1d": 1440,
}


@dataclass
class CandleSeries:
    """Candles of one symbol, sorted by open time, at most one per minute (gaps are allowed)."""

    spec: MarketSpec
    t: np.ndarray  # int64 open times, multiples of 60 000
    o: np.ndarray
    h: np.ndarray
    low: np.ndarray
    c: np.ndarray
    v: np.ndarray
    funding_t: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.int64))
    funding_r: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=np.float64))
    source: str = ""
    _n: int = -1  # number of valid rows (arrays may hold spare capacity for appends)
    _times: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if self._n < 0:
            self._n = len(self.t)
        self._times = self.t[: self._n]
        if self._n and np.any(np.diff(self.t[: self._n]) <= 0):
            raise ValueError(f"{self.symbol}: candle open times must be strictly increasing")

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    def __len__(self) -> int:
        return self._n

    @property
    def first_ms(self) -> int:
        return int(self.t[0]) if self._n else 0

    @property
    def end_ms(self) -> int:
        """Close boundary of the last candle (its open time + 1 minute)."""
        return int(self.t[self._n - 1]) + MINUTE_MS if self._n else 0

    def index_at(self, ts: int) -> int:
        """Index of the last candle whose open time is <= ``ts`` (-1 before the first candle)."""
        return int(self._times.searchsorted(ts, side="right")) - 1

    def count_closed(self, ts: int) -> int:
        """How many candles are closed at ``ts`` (close boundary <= ts): the kline "cursor"."""
        return int(self._times.searchsorted(ts - MINUTE_MS, side="right"))

    def append(self, open_time: int, o: float, h: float, low: float, c: float, v: float) -> None:
        """Add one closed candle at the end (push feeds). Amortised O(1) by doubling capacity."""
        if self._n and open_time <= int(self.t[self._n - 1]):
            raise ValueError("candles must be appended in increasing open-time order")
        if self._n == len(self.t):
            capacity = max(16, 2 * len(self.t))
            for name in ("t", "o", "h", "low", "c", "v"):
                old = getattr(self, name)
                grown = np.zeros(capacity, dtype=old.dtype)
                grown[: self._n] = old[: self._n]
                setattr(self, name, grown)
        i = self._n
        self.t[i], self.o[i], self.h[i], self.low[i], self.c[i], self.v[i] = open_time, o, h, low, c, v
        self._n += 1
        self._times = self.t[: self._n]

    def view(self) -> tuple[np.ndarray, ...]:
        """The valid part of the arrays: (t, o, h, l, c, v)."""
        n = self._n
        return self.t[:n], self.o[:n], self.h[:n], self.low[:n], self.c[:n], self.v[:n]

    def funding_between(self, after: int, upto: int) -> list[tuple[int, float]]:
        """Funding events with ``after < time <= upto``."""
        lo = int(np.searchsorted(self.funding_t, after, side="right"))
        hi = int(np.searchsorted(self.funding_t, upto, side="right"))
        return [(int(self.funding_t[k]), float(self.funding_r[k])) for k in range(lo, hi)]

    def next_funding(self, after: int) -> tuple[int, float] | None:
        k = int(np.searchsorted(self.funding_t, after, side="right"))
        if k >= len(self.funding_t):
            return None
        return int(self.funding_t[k]), float(self.funding_r[k])

    def last_funding_rate(self, ts: int) -> float:
        k = int(np.searchsorted(self.funding_t, ts, side="right")) - 1
        if k < 0:
            return float(self.funding_r[0]) if len(self.funding_r) else 0.0001
        # Binance shows the *predicted* rate of the next settlement; the next published one is the
        # closest thing the data holds, and it is already fixed before it is settled.
        nxt = min(k + 1, len(self.funding_r) - 1)
        return float(self.funding_r[nxt])


def aggregate(
    series: CandleSeries, minutes: int, start_ms: int, end_ms: int, now_ms: int, partial: tuple | None
) -> list[tuple[int, float, float, float, float, float, int]]:
    """Candles of ``minutes`` width with open time in [start_ms, end_ms], built from 1m candles.

    Bucket boundaries are multiples of the width since the epoch (Binance's alignment for these
    intervals). Only 1m candles already closed at ``now_ms`` are used, plus ``partial`` (the forming
    1m candle as (t, o, h, l, c, v)): the market never shows the future. Returns tuples
    (open_time, o, h, l, c, v, n_minutes).
    """
    width = minutes * MINUTE_MS
    t, o, h, low, c, v = series.view()
    lo = int(np.searchsorted(t, start_ms, side="left"))
    hi = int(np.searchsorted(t, min(end_ms + width - 1, now_ms - MINUTE_MS), side="right"))
    tt, oo, hh, ll, cc, vv = t[lo:hi], o[lo:hi], h[lo:hi], low[lo:hi], c[lo:hi], v[lo:hi]
    if partial is not None and partial[0] >= start_ms and partial[0] < end_ms + width:
        tt = np.append(tt, partial[0])
        oo, hh, ll, cc, vv = (np.append(a, x) for a, x in zip((oo, hh, ll, cc, vv), partial[1:], strict=True))
    if len(tt) == 0:
        return []
    bucket = (tt // width) * width
    starts = np.flatnonzero(np.r_[True, bucket[1:] != bucket[:-1]])
    ends = np.r_[starts[1:], len(tt)]
    b_open = bucket[starts]
    keep = (b_open >= start_ms) & (b_open <= end_ms)
    opens = oo[starts]
    closes = cc[ends - 1]
    highs = np.maximum.reduceat(hh, starts)
    lows = np.minimum.reduceat(ll, starts)
    vols = np.add.reduceat(vv, starts)
    counts = ends - starts
    rows = zip(
        b_open[keep].tolist(),
        opens[keep].tolist(),
        highs[keep].tolist(),
        lows[keep].tolist(),
        closes[keep].tolist(),
        vols[keep].tolist(),
        counts[keep].tolist(),
        strict=True,
    )
    return list(rows)
