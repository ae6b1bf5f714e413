"""Properties over generated candles and settings (no shared data needed).

Hypothesis draws short, busy series and any valid combination of thresholds, triggers, confirmations
and gating, which reaches corners the real month rarely does: overlapping RSI zones, zero volumes,
a single confirmation, shorts switched off.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from config.sections import StrategySettings
from indicators import compute_features, decision_at, direction_series
from tests.indicators.builders import ORDERS

TRIGGERS = ("ema_cross", "macd_cross", "rsi_reversal")
CONFIRMATIONS = ("trend", "rsi_zone", "macd_momentum", "volume")
CODE = {"LONG": 1, "SHORT": -1, "NONE": 0}


@st.composite
def strategy_settings(draw: st.DrawFn) -> StrategySettings:
    ema_fast = draw(st.integers(2, 5))
    macd_fast = draw(st.integers(2, 4))
    confirmations = draw(st.lists(st.sampled_from(CONFIRMATIONS), min_size=1, max_size=4, unique=True))
    zone = st.floats(0, 100)
    long_zone, short_zone = sorted(draw(st.tuples(zone, zone))), sorted(draw(st.tuples(zone, zone)))
    atr_band = draw(st.floats(0, 1)), draw(st.floats(1.01, 20))
    return StrategySettings(
        ema_fast=ema_fast,
        ema_slow=draw(st.integers(ema_fast + 1, 10)),
        ema_trend=draw(st.integers(5, 12)),
        rsi_period=draw(st.integers(2, 6)),
        rsi_oversold=draw(st.floats(5, 49)),
        rsi_overbought=draw(st.floats(51, 95)),
        rsi_long_min=long_zone[0],
        rsi_long_max=long_zone[1],
        rsi_short_min=short_zone[0],
        rsi_short_max=short_zone[1],
        macd_fast=macd_fast,
        macd_slow=draw(st.integers(macd_fast + 1, 8)),
        macd_signal=draw(st.integers(2, 4)),
        atr_period=draw(st.integers(2, 5)),
        atr_min_pct=atr_band[0],
        atr_max_pct=atr_band[1],
        volume_period=draw(st.integers(2, 5)),
        volume_factor=draw(st.floats(0.5, 3)),
        triggers=tuple(draw(st.lists(st.sampled_from(TRIGGERS), min_size=1, max_size=3, unique=True))),
        confirmations=tuple(confirmations),
        min_confirmations=draw(st.integers(1, len(confirmations))),
        allow_short=draw(st.booleans()),
        stop_atr_multiplier=draw(st.sampled_from([0.0, 0.5, 2.0])),
    )


@st.composite
def candle_columns(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    size = draw(st.integers(20, 120))
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    close = 50 * np.exp(np.cumsum(rng.normal(0, draw(st.sampled_from([0.002, 0.01, 0.03])), size)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.004, size))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.004, size))
    volume = rng.choice([0.0, 1.0, 10.0, 50.0, 400.0], size)
    return open_, high, low, close, volume


@settings(max_examples=150, deadline=None)
@given(columns=candle_columns(), params=strategy_settings())
def test_series_and_decisions_agree_for_any_settings(columns, params: StrategySettings) -> None:
    features = compute_features(*columns, params, open_time=np.arange(columns[0].shape[0]))
    series = direction_series(features, params)
    for i in range(features.size):
        decision = decision_at(features, i, params, ORDERS)
        assert CODE[decision.direction] == series[i], (i, decision.breakdown.reason)
        if decision.direction != "NONE":
            assert len(decision.breakdown.confirmations) >= params.min_confirmations
            assert params.allow_short or decision.direction == "LONG"
            assert decision.breakdown.atr_gate_passed


@settings(max_examples=100, deadline=None)
@given(columns=candle_columns(), params=strategy_settings(), data=st.data())
def test_changing_later_candles_changes_nothing_before(columns, params: StrategySettings, data) -> None:
    size = columns[0].shape[0]
    t = data.draw(st.integers(0, size - 2), label="t")
    factor = data.draw(st.floats(0.5, 2.0).filter(lambda f: f != 1.0), label="factor")
    altered = [column.copy() for column in columns]
    for column in altered:
        column[t + 1 :] *= factor
    times = np.arange(size)
    before = compute_features(*columns, params, open_time=times)
    after = compute_features(*altered, params, open_time=times)
    np.testing.assert_array_equal(direction_series(before, params)[: t + 1], direction_series(after, params)[: t + 1])
    for i in range(t + 1):
        assert decision_at(before, i, params, ORDERS) == decision_at(after, i, params, ORDERS)


@settings(max_examples=50, deadline=None)
@given(columns=candle_columns(), params=strategy_settings())
def test_same_input_same_output(columns, params: StrategySettings) -> None:
    times = np.arange(columns[0].shape[0])
    first = compute_features(*columns, params, open_time=times)
    second = compute_features(*(c.copy() for c in columns), params, open_time=times)
    np.testing.assert_array_equal(direction_series(first, params), direction_series(second, params))
    assert decision_at(first, -1, params, ORDERS) == decision_at(second, -1, params, ORDERS)
