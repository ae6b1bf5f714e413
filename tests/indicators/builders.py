"""Hand-made candles, small strategy settings and the real candles of ``../shared`` for the tests."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pytest

from config.sections import OrderSettings, StrategySettings
from indicators import ScalpingFeatures, compute_features
from tests.support import KLINES_DIR, require_shared_data

FloatArray = npt.NDArray[np.float64]

SMALL_PERIODS: dict[str, Any] = {
    "ema_fast": 2,
    "ema_slow": 4,
    "ema_trend": 6,
    "rsi_period": 3,
    "macd_fast": 2,
    "macd_slow": 4,
    "macd_signal": 2,
    "atr_period": 3,
    "volume_period": 3,
    "atr_min_pct": 0.01,
    "atr_max_pct": 50.0,
}
"""Short periods so that a dozen hand-written candles exercise every rule; a wide ATR band."""

ORDERS = OrderSettings(stop_loss_pct=2.0, take_profit_pct=(0.4, 0.8, 1.2), take_profit_split=(0.4, 0.3, 0.3))


def small_params(**overrides: Any) -> StrategySettings:
    """ScalpingV1 settings with ``SMALL_PERIODS`` and the given overrides."""
    return StrategySettings(**{**SMALL_PERIODS, **overrides})


@dataclass(frozen=True)
class Candles:
    """Columns of a candle series; ``open_time`` one minute apart."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray
    open_time: npt.NDArray[np.int64]

    def columns(self) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
        return self.open, self.high, self.low, self.close, self.volume

    def features(self, params: StrategySettings) -> ScalpingFeatures:
        return compute_features(*self.columns(), params, open_time=self.open_time)

    def __len__(self) -> int:
        return int(self.close.shape[0])

    def head(self, count: int) -> Candles:
        """The first ``count`` candles."""
        return Candles(*(column[:count] for column in (*self.columns(), self.open_time)))


def candles(
    closes: Sequence[float],
    *,
    wick: float = 0.2,
    volume: float = 100.0,
    volumes: dict[int, float] | None = None,
) -> Candles:
    """Candles that close at ``closes``: each opens at the previous close, with ``wick`` above and below
    the body; every volume is ``volume`` except the indices given in ``volumes`` (negative allowed)."""
    close = np.asarray(closes, dtype=np.float64)
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) + wick
    low = np.minimum(open_, close) - wick
    vol = np.full(close.shape, volume)
    for index, value in (volumes or {}).items():
        vol[index] = value
    open_time = 1_746_000_000_000 + 60_000 * np.arange(close.shape[0], dtype=np.int64)
    return Candles(open_, high, low, close, vol, open_time)


@functools.cache
def load_klines(base: str) -> tuple[npt.NDArray[np.int64], FloatArray, FloatArray, FloatArray, FloatArray, FloatArray]:
    """The real month of 1m candles of ``<base>USDT`` (skips the test when ``../shared`` is absent)."""
    path = require_shared_data(KLINES_DIR) / f"{base}USDT-1m.csv.gz"
    if not path.exists():
        pytest.skip(f"needs {path} from the shared real-data folder")
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    columns = [np.ascontiguousarray(table[:, k]) for k in range(1, 6)]
    open_time = table[:, 0].astype(np.int64)
    for array in (open_time, *columns):
        array.flags.writeable = False  # shared by every test through the cache
    return (open_time, *columns)


def reference_atr(candles: Candles, period: int) -> float:
    """Wilder's ATR of the last candle in plain Python: an independent check of the TA-Lib path."""
    high, low, close = candles.high.tolist(), candles.low.tolist(), candles.close.tolist()
    ranges = [
        max(high[i] - low[i], abs(high[i] - close[i - 1]), abs(low[i] - close[i - 1])) for i in range(1, len(close))
    ]
    average = sum(ranges[:period]) / period
    for value in ranges[period:]:
        average = (average * (period - 1) + value) / period
    return average


DIP_THEN_JUMP = (100.0, 99.7, 99.3, 98.8, 98.2, 97.5, 96.7, 95.8, 94.8, 93.7, 92.5, 91.2, 95.2)
"""An accelerating fall, then a 4-point jump on the last candle. With ``SMALL_PERIODS`` the jump makes
EMA2 cross above EMA4, the MACD histogram turn positive and RSI3 come back from 0 to about 64, and the
close end above EMA6: every trigger and every directional confirmation says long."""

RALLY_THEN_DROP = tuple(200.0 - close for close in DIP_THEN_JUMP)
"""The mirror image of ``DIP_THEN_JUMP``: every trigger and directional confirmation says short."""

FALL_JUMP_DIP = (*(100.0 - k for k in range(16)), 91.0, 90.4)
"""A steady fall, a 6-point jump, then a 0.6 dip. With EMA 3/8 and RSI3 the dip candle has EMA3 cross
above EMA8 (89.45 vs 89.354) while RSI3 falls back through 70 (75 -> 67.4): opposite triggers."""
