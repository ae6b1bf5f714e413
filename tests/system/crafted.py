"""Hand-made price paths served by the simulator, for order-lifecycle tests whose outcome must not
depend on what the market happened to do."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from simulator.candles import CandleSeries
from simulator.markets import MARKETS

M = 60_000
T0 = 1_746_316_800_000  # 2025-05-04 00:00 UTC
WARMUP = 1000


def series(symbol: str, path: Sequence[float], warmup_price: float | None = None, noise: float = 0.0002,
           seed: int = 3) -> CandleSeries:
    """``WARMUP`` quiet candles around the path's first price, then one candle per step of ``path``."""
    rng = np.random.default_rng(seed)
    first = warmup_price if warmup_price is not None else path[0]
    quiet = first * (1 + rng.normal(0, noise, WARMUP))
    points = np.concatenate([quiet, [first], np.asarray(path, dtype=float)])
    opens, closes = points[:-1], points[1:]
    spread = np.abs(closes) * noise / 2
    highs = np.maximum(opens, closes) + spread
    lows = np.minimum(opens, closes) - spread
    n = len(closes)
    return CandleSeries(spec=MARKETS[symbol], t=T0 + np.arange(n, dtype=np.int64) * M, o=opens, h=highs, low=lows,
                        c=closes, v=np.full(n, 1000.0))


def ramp(start: float, end: float, minutes: int) -> list[float]:
    return [start + (end - start) * (i + 1) / minutes for i in range(minutes)]
