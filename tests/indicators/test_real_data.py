"""ScalpingV1 on a month of real 1m candles (``../shared``; skipped when absent).

What must hold there: the live bot's 1000-candle buffer sees the same indicators and decisions as a
backtest over the full history; the vectorised series and the explained decision agree on every
candle; nothing depends on later candles; the same input always gives the same output.
"""

from __future__ import annotations

import numpy as np
import pytest

from config.sections import StrategySettings
from indicators import (
    ScalpingFeatures,
    compute_features,
    decision_at,
    direction_series,
    evaluate,
    stable_history,
)
from messages.signals import StrategyDecision
from tests.indicators.builders import ORDERS, load_klines

WINDOW = 1000
WINDOW_SYMBOLS = ("BTC", "ETH", "SOL", "XRP", "LAYER", "ADA")
PRICE_DIFFERENCES = {"macd", "macd_signal", "macd_hist"}
"""Differences of EMAs that cross zero: their tolerance is relative to the price, not to themselves."""
FEATURES = (
    "ema_fast", "ema_slow", "ema_trend", "rsi", "macd", "macd_signal", "macd_hist", "atr", "atr_pct", "volume_sma",
)  # fmt: skip
SLOW = StrategySettings(
    ema_fast=20, ema_slow=60, ema_trend=75, rsi_period=30, macd_fast=20, macd_slow=60, macd_signal=20,
    atr_period=30, volume_period=120,
)  # fmt: skip
"""Long periods that still fit the 1000-candle buffer (``stable_history`` <= 1000)."""
LONGEST = StrategySettings(
    ema_fast=50, ema_slow=75, ema_trend=75, rsi_period=40, macd_fast=50, macd_slow=75, macd_signal=50,
    atr_period=40, volume_period=200,
)  # fmt: skip
"""Every period at its allowed maximum: still fits the live 1000-candle buffer."""
VARIANT = StrategySettings(
    triggers=("rsi_reversal", "macd_cross", "ema_cross"), confirmations=("trend", "volume", "macd_momentum"),
    min_confirmations=2, allow_short=False, stop_atr_multiplier=1.5, atr_min_pct=0.08, atr_max_pct=0.6,
    rsi_long_min=45.0, rsi_short_max=55.0, volume_factor=1.0,
)  # fmt: skip
CODE = {"LONG": 1, "SHORT": -1, "NONE": 0}


def full_features(base: str, params: StrategySettings) -> tuple[ScalpingFeatures, tuple[np.ndarray, ...]]:
    open_time, *columns = load_klines(base)
    return compute_features(*columns, params, open_time=open_time), (open_time, *columns)


def window_ends(size: int, window: int, count: int = 8) -> list[int]:
    """``count`` window end positions (exclusive) spread over the month, the last candle included."""
    return sorted({int(end) for end in np.linspace(window, size, count)})


def comparable(decision: StrategyDecision) -> tuple:
    """Everything but the floats (compared with a tolerance) and the details (formatted floats)."""
    b = decision.breakdown
    parts = tuple((c.name, c.role, c.vote) for c in b.components)
    return decision.direction, decision.candle_open_time, b.trigger, b.confirmations, b.atr_gate_passed, b.reason, parts


def floats(decision: StrategyDecision) -> list[float]:
    values = [decision.close, decision.atr, decision.breakdown.atr_pct, *decision.take_profit_prices]
    values += [c.value for c in decision.breakdown.components]
    return values + ([decision.stop_price] if decision.stop_price is not None else [])


@pytest.mark.parametrize("base", WINDOW_SYMBOLS)
@pytest.mark.parametrize(("params", "window"), [
    (StrategySettings(), WINDOW), (SLOW, WINDOW), (LONGEST, WINDOW),
], ids=["defaults", "slow", "longest"])  # fmt: skip
def test_a_window_sees_the_same_indicators_and_decisions_as_the_full_history(
    base: str, params: StrategySettings, window: int
) -> None:
    assert window >= stable_history(params)
    full, (open_time, *columns) = full_features(base, params)
    for end in window_ends(full.size, window):
        start = end - window
        part = compute_features(*(c[start:end] for c in columns), params, open_time=open_time[start:end])
        last = slice(window - 5, window)
        for name in FEATURES:
            mine, reference = getattr(part, name)[last], getattr(full, name)[end - 5 : end]
            scale = full.close[end - 5 : end] if name in PRICE_DIFFERENCES else np.abs(reference)
            error = np.abs(mine - reference) / scale
            assert (error <= 1e-9).all(), f"{base} {name} window ending at {end}: relative error {error.max():.2e}"
        for k in range(1, 6):
            windowed = decision_at(part, window - k, params, ORDERS)
            reference_decision = decision_at(full, end - k, params, ORDERS)
            assert comparable(windowed) == comparable(reference_decision), (base, end - k)
            # MACD components are differences of EMAs: compare them on the price's scale, like above.
            price_scale = 1e-9 * reference_decision.close
            assert floats(windowed) == pytest.approx(floats(reference_decision), rel=1e-9, abs=price_scale)


def test_periods_beyond_the_config_caps_would_not_fit_a_1000_candle_window() -> None:
    """The counter-check of the test above, and the reason for the caps in ``StrategySettings``."""
    beyond = StrategySettings.model_construct(**{**StrategySettings().model_dump(), "atr_period": 100})
    full, (_, *columns) = full_features("BTC", beyond)
    worst = 0.0
    for end in window_ends(full.size, WINDOW, count=20):
        part = compute_features(*(c[end - WINDOW : end] for c in columns), beyond)
        worst = max(worst, abs(part.atr[-1] - full.atr[end - 1]) / full.atr[end - 1])
    assert worst > 1e-9


@pytest.mark.parametrize(
    ("base", "params"), [("BTC", StrategySettings()), ("SOL", StrategySettings()), ("LAYER", VARIANT)]
)
def test_direction_series_equals_decision_at_on_every_candle_of_the_month(base: str, params: StrategySettings) -> None:
    full, _ = full_features(base, params)
    series = direction_series(full, params)
    one_by_one = np.array(
        [CODE[decision_at(full, i, params, ORDERS).direction] for i in range(full.size)], dtype=np.int8
    )
    mismatches = np.flatnonzero(series != one_by_one)
    assert mismatches.size == 0, f"{base}: first mismatch at candle {mismatches[:5]}"
    assert (series == 1).sum() > 100  # the comparison covered many signals, of both kinds
    if params.allow_short:
        assert (series == -1).sum() > 100
    else:
        assert not (series == -1).any()


def test_signals_carry_consistent_protective_prices() -> None:
    """Over a month of signals: stop on the losing side, no further than the configured %, and no
    further than the ATR multiple; take-profits on the winning side, in the configured order."""
    params = VARIANT.model_copy(update={"allow_short": True})
    full, _ = full_features("ETH", params)
    signals = np.flatnonzero(direction_series(full, params))
    assert signals.size > 50
    for i in signals:
        decision = decision_at(full, int(i), params, ORDERS)
        side = CODE[decision.direction]
        close, stop = decision.close, decision.stop_price
        assert stop is not None and side * (close - stop) > 0
        distance = abs(close - stop)
        assert distance <= close * ORDERS.stop_loss_pct / 100 * (1 + 1e-12)
        assert distance <= params.stop_atr_multiplier * decision.atr * (1 + 1e-12)
        gains = [side * (tp - close) for tp in decision.take_profit_prices]
        assert gains == sorted(gains) and gains[0] > 0
        assert params.atr_min_pct <= decision.breakdown.atr_pct <= params.atr_max_pct
        assert len(decision.breakdown.confirmations) >= params.min_confirmations


def test_no_look_ahead_later_candles_change_nothing_up_to_t() -> None:
    """Shuffle and rescale every candle after t: no direction or decision at or before t may move."""
    open_time, *columns = load_klines("ETH")
    size = 6000
    base = [c[:size] for c in columns]
    params = StrategySettings()
    reference = direction_series(compute_features(*base, params), params)
    rng = np.random.default_rng(20250504)
    changed_later = 0
    for t in rng.integers(200, size - 100, 12):
        order = np.concatenate((np.arange(t + 1), t + 1 + rng.permutation(size - t - 1)))
        altered = [c[order] for c in base]
        altered[4][t + 1 :] *= rng.uniform(0.2, 5.0, size - t - 1)  # later volumes too
        features = compute_features(*altered, params, open_time=open_time[:size])
        directions = direction_series(features, params)
        np.testing.assert_array_equal(directions[: t + 1], reference[: t + 1])
        original = compute_features(*base, params, open_time=open_time[:size])
        assert decision_at(features, int(t), params, ORDERS) == decision_at(original, int(t), params, ORDERS)
        changed_later += int((directions[t + 1 :] != reference[t + 1 :]).any())
    assert changed_later == 12  # the alteration did reach the later decisions


def test_same_input_same_output() -> None:
    open_time, *columns = load_klines("XRP")
    params = StrategySettings()
    first = compute_features(*columns, params, open_time=open_time)
    second = compute_features(*(c.copy() for c in columns), params, open_time=open_time.copy())
    for name in ("close", *FEATURES):
        np.testing.assert_array_equal(getattr(first, name), getattr(second, name))
    np.testing.assert_array_equal(direction_series(first, params), direction_series(second, params))
    for i in np.flatnonzero(direction_series(first, params))[:200]:
        assert decision_at(first, int(i), params, ORDERS) == decision_at(second, int(i), params, ORDERS)
    end = 20_000
    buffer = [c[end - WINDOW : end] for c in columns]
    live = evaluate(*buffer, params, ORDERS, int(open_time[end - 1]))
    assert live == evaluate(*buffer, params, ORDERS, int(open_time[end - 1]))
