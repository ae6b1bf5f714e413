"""Indicators and the ScalpingV1 strategy, as pure functions over numpy arrays.

``ta``: checked TA-Lib wrappers. ``compute_features`` → ``direction_series`` (every candle, vectorised,
for backtests) and ``decision_at`` (one candle, fully explained); ``evaluate`` is the live entry point
on a candle buffer. The rules are described in ``docs/strategy.md``.
"""

from indicators.features import (
    FAMILY,
    ScalpingFeatures,
    component_starts,
    compute_features,
    stable_history,
    warmup_candles,
)
from indicators.scalping_v1 import LONG, NONE, SHORT, decision_at, direction_series, evaluate
from indicators.ta import MacdLines, Ohlcv, as_series, atr, ema, macd, rsi, sma, validate_ohlcv

__all__ = [
    "FAMILY",
    "LONG",
    "NONE",
    "SHORT",
    "MacdLines",
    "Ohlcv",
    "ScalpingFeatures",
    "as_series",
    "atr",
    "component_starts",
    "compute_features",
    "decision_at",
    "direction_series",
    "ema",
    "evaluate",
    "macd",
    "rsi",
    "sma",
    "stable_history",
    "validate_ohlcv",
    "warmup_candles",
]
