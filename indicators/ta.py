"""Thin, typed, checked wrappers over TA-Lib.

Why wrappers at all: TA-Lib quietly turns bad input into bad output. A NaN inside a series makes every
later EMA value NaN, ``MACD(fast=26, slow=12)`` silently swaps the periods, and a zero or negative price
(a parsing bug, a column mix-up) yields indicators that look plausible. A trading decision built on any
of these is worse than no decision, so every wrapper checks its input and raises a ``ValueError`` that
names the problem; the actor that fed it dies and its supervisor restarts it from clean data.

Conventions shared by every function here:

* Inputs are anything numpy can turn into a 1-D float64 array; it is made contiguous float64 once
  (no copy when it already is).
* Outputs are float64 arrays of the input's length, aligned with it, NaN during the warm-up
  (the first ``lookback`` values, see each function).
* Prices must be finite and > 0; volumes finite and >= 0 (a candle without trades is real).
"""

from __future__ import annotations

import math
import operator
from typing import NamedTuple

import numpy as np
import numpy.typing as npt
import talib

FloatArray = npt.NDArray[np.float64]

MAX_PERIOD = 100_000
"""TA-Lib's own upper bound for every period used here."""


class MacdLines(NamedTuple):
    """MACD's three outputs; ``histogram`` = ``line`` - ``signal``, so its sign change is a line/signal cross."""

    line: FloatArray
    signal: FloatArray
    histogram: FloatArray


class Ohlcv(NamedTuple):
    """Checked candle columns, each a contiguous float64 array of the same length."""

    open: FloatArray
    high: FloatArray
    low: FloatArray
    close: FloatArray
    volume: FloatArray


def as_series(values: npt.ArrayLike, name: str = "values", *, allow_zero: bool = False) -> FloatArray:
    """``values`` as a contiguous 1-D float64 array, checked finite and > 0 (>= 0 with ``allow_zero``).

    Two reductions (min and max, ~1.5 µs for 1000 values) are all the happy path costs: NaN propagates
    through ``min`` and an infinity shows in ``max``; the search for the offending index runs only on
    failure, so the message can name it.
    """
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise ValueError(f"{name}: must be numbers convertible to float64 ({exc})") from exc
    if array.ndim != 1:
        raise ValueError(f"{name}: must be one-dimensional, got shape {array.shape}")
    if not array.flags.c_contiguous:
        array = np.ascontiguousarray(array)
    if array.size == 0:
        return array
    low, high = float(np.minimum.reduce(array)), float(np.maximum.reduce(array))
    if (low > 0.0 or (allow_zero and low == 0.0)) and high < math.inf:  # False for NaN too
        return array
    finite = np.isfinite(array)
    if not finite.all():
        bad = int(np.flatnonzero(~finite)[0])
        raise ValueError(f"{name}: must be finite, got {array[bad]} at index {bad} of {array.size}")
    bound = ">= 0" if allow_zero else "> 0"
    bad = int(np.flatnonzero(array < 0 if allow_zero else array <= 0)[0])
    raise ValueError(f"{name}: must be {bound}, got {array[bad]} at index {bad} of {array.size}")


def validate_ohlcv(
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
) -> Ohlcv:
    """Check candle columns once: positive finite prices, finite volumes >= 0, equal lengths, high >= low.

    ``high >= low`` is the one cross-column check worth its cost: swapped or shifted columns break it
    on almost every candle, and ATR (hence the volatility gate and the stop) depends on it.
    """
    columns = Ohlcv(
        as_series(open, "open"),
        as_series(high, "high"),
        as_series(low, "low"),
        as_series(close, "close"),
        as_series(volume, "volume", allow_zero=True),
    )
    _same_length(columns._fields, columns)
    if not np.all(columns.high >= columns.low):
        bad = int(np.flatnonzero(columns.high < columns.low)[0])
        raise ValueError(f"high: must be >= low, got high {columns.high[bad]} < low {columns.low[bad]} at index {bad}")
    return columns


def check_period(value: int, name: str = "period", *, minimum: int = 2) -> int:
    """``value`` as an int within [minimum, MAX_PERIOD]; TA-Lib's own error would not name the argument."""
    if isinstance(value, bool):
        raise ValueError(f"{name}: must be an integer, got {value!r}")
    try:
        period = operator.index(value)
    except TypeError:
        raise ValueError(f"{name}: must be an integer, got {value!r}") from None
    if not minimum <= period <= MAX_PERIOD:
        raise ValueError(f"{name}: must lie within {minimum}..{MAX_PERIOD}, got {period}")
    return period


def sma(values: npt.ArrayLike, period: int, *, allow_zero: bool = False) -> FloatArray:
    """Simple moving average of the last ``period`` values, the current one included (lookback
    ``period - 1``). ``allow_zero=True`` for volumes, where zero is valid."""
    return _sma(as_series(values, allow_zero=allow_zero), check_period(period))


def ema(values: npt.ArrayLike, period: int) -> FloatArray:
    """Exponential moving average, alpha = 2 / (period + 1), seeded with the SMA of the first ``period``
    values (TA-Lib's default), so the first value is at index ``period - 1``."""
    return _ema(as_series(values), check_period(period))


def rsi(close: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's RSI in [0, 100] (lookback ``period``): 100 when the series never fell during the average."""
    return _rsi(as_series(close, "close"), check_period(period))


def macd(close: npt.ArrayLike, fast: int, slow: int, signal: int) -> MacdLines:
    """MACD line (EMA fast - EMA slow), its signal line (EMA of the line) and the histogram.

    All three start at index ``slow - 1 + signal - 1``. TA-Lib seeds the fast EMA so that it starts
    together with the slow one; on a long enough series this equals ``ema(fast) - ema(slow)``.
    ``fast >= slow`` is refused: TA-Lib would silently swap them.
    """
    fast = check_period(fast, "fast")
    slow = check_period(slow, "slow")
    signal = check_period(signal, "signal", minimum=1)
    if fast >= slow:
        raise ValueError(f"fast: must be < slow ({slow}), got {fast}")
    return _macd(as_series(close, "close"), fast, slow, signal)


def atr(high: npt.ArrayLike, low: npt.ArrayLike, close: npt.ArrayLike, period: int) -> FloatArray:
    """Wilder's Average True Range (lookback ``period``: the first true range needs a previous close)."""
    columns = (as_series(high, "high"), as_series(low, "low"), as_series(close, "close"))
    _same_length(("high", "low", "close"), columns)
    return _atr(*columns, check_period(period, minimum=1))


# Kernels: the TA-Lib calls themselves, for callers in this package that have already checked their
# input once (``validate_ohlcv`` + a validated ``StrategySettings``). Checking again per indicator would
# cost more than the indicator (~3 µs per 1000-value check against ~2 µs per TA-Lib call).


def _sma(values: FloatArray, period: int) -> FloatArray:
    return talib.SMA(values, timeperiod=period)


def _ema(values: FloatArray, period: int) -> FloatArray:
    return talib.EMA(values, timeperiod=period)


def _rsi(close: FloatArray, period: int) -> FloatArray:
    return talib.RSI(close, timeperiod=period)


def _macd(close: FloatArray, fast: int, slow: int, signal: int) -> MacdLines:
    return MacdLines(*talib.MACD(close, fastperiod=fast, slowperiod=slow, signalperiod=signal))


def _atr(high: FloatArray, low: FloatArray, close: FloatArray, period: int) -> FloatArray:
    return talib.ATR(high, low, close, timeperiod=period)


def _same_length(names: tuple[str, ...], arrays: tuple[FloatArray, ...]) -> None:
    lengths = {array.shape[0] for array in arrays}
    if len(lengths) > 1:
        shown = ", ".join(f"{name}={array.shape[0]}" for name, array in zip(names, arrays, strict=True))
        raise ValueError(f"columns: must have the same length, got {shown}")
