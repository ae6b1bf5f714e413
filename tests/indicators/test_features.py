"""The feature set: warm-up bookkeeping, immutability, and the guards of the public functions."""

from __future__ import annotations

import math

import numpy as np
import pytest

from config.sections import StrategySettings
from indicators import (
    component_starts,
    compute_features,
    decision_at,
    direction_series,
    evaluate,
    stable_history,
    warmup_candles,
)
from tests.indicators.builders import DIP_THEN_JUMP, ORDERS, candles, small_params

ARRAYS = {
    "ema_cross": "ema_slow",
    "trend": "ema_trend",
    "rsi_zone": "rsi",
    "rsi_reversal": "rsi",
    "macd_cross": "macd_hist",
    "macd_momentum": "macd_hist",
    "volume": "volume_sma",
    "atr": "atr",
}
NEEDS_PREVIOUS = {"ema_cross", "rsi_reversal", "macd_cross", "macd_momentum"}


def random_walk(size: int, seed: int = 3) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, size)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.001, size))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.001, size))
    return open_, high, low, close, rng.uniform(1, 100, size)


@pytest.mark.parametrize(
    "params",
    [
        StrategySettings(),
        small_params(),
        StrategySettings(ema_slow=60, ema_trend=30, macd_slow=40, macd_signal=20, rsi_period=38, volume_period=90),
    ],
    ids=["defaults", "small", "mixed"],
)
def test_component_starts_are_where_the_indicators_stop_being_nan(params: StrategySettings) -> None:
    features = compute_features(*random_walk(400), params)
    for name, start in component_starts(params).items():
        array = getattr(features, ARRAYS[name])
        first_value = int(np.flatnonzero(~np.isnan(array))[0])
        assert start == first_value + (1 if name in NEEDS_PREVIOUS else 0), name
        assert not np.isnan(array[first_value:]).any()


def test_default_warm_up_is_the_ema_50_trend() -> None:
    assert warmup_candles(StrategySettings()) == 50
    # without the trend confirmation the MACD histogram (first at 26 - 1 + 9 - 1 = 33) needed at the
    # previous candle decides: 35 candles
    assert warmup_candles(StrategySettings(confirmations=("rsi_zone", "macd_momentum", "volume"))) == 35


def test_direction_series_and_decision_at_agree_on_the_warm_up_boundary() -> None:
    params = StrategySettings()
    features = compute_features(*random_walk(200), params, open_time=np.arange(200))
    first_ready = warmup_candles(params) - 1
    assert decision_at(features, first_ready - 1, params, ORDERS).breakdown.reason.startswith("warming up")
    assert not decision_at(features, first_ready, params, ORDERS).breakdown.reason.startswith("warming up")
    assert not direction_series(features, params)[:first_ready].any()


def test_stable_history_fits_the_live_buffer_even_with_the_longest_allowed_periods() -> None:
    # EMA 50 is the slowest default: its seed error shrinks by 49/51 per candle.
    expected = 50 + math.ceil(math.log(1e-10) / math.log(49 / 51))
    assert stable_history(StrategySettings()) == expected
    assert expected < 1000
    longest = StrategySettings(ema_slow=75, ema_trend=75, macd_slow=75, atr_period=40, rsi_period=40)
    assert stable_history(longest) <= 1000  # the config caps keep the live buffer exact to 1e-9
    assert stable_history(StrategySettings(), rel_tol=1e-6) < stable_history(StrategySettings())


def test_features_own_read_only_copies_of_the_candles() -> None:
    columns = [column.copy() for column in random_walk(120)]
    params = small_params()
    features = compute_features(*columns, params)
    before = features.close.copy(), features.volume.copy(), direction_series(features, params).copy()
    columns[3][:] = 1.0
    columns[4][:] = 0.0
    np.testing.assert_array_equal(features.close, before[0])
    np.testing.assert_array_equal(features.volume, before[1])
    np.testing.assert_array_equal(direction_series(features, params), before[2])
    with pytest.raises(ValueError, match="read-only"):
        features.rsi[0] = 1.0


def test_thresholds_may_change_between_calls_but_periods_may_not() -> None:
    series = candles(DIP_THEN_JUMP, volumes={-1: 300.0})
    features = series.features(small_params())
    looser = small_params(volume_factor=5.0, allow_short=False)
    assert decision_at(features, -1, looser, ORDERS).breakdown.confirmations == ("rsi_zone", "macd_momentum")
    with pytest.raises(ValueError, match=r"periods .* differ .* recompute the features"):
        direction_series(features, small_params(ema_trend=7))
    with pytest.raises(ValueError, match=r"periods .* differ"):
        decision_at(features, -1, small_params(volume_period=4), ORDERS)


def test_indexing_and_labels() -> None:
    series = candles(DIP_THEN_JUMP)
    params = small_params()
    features = series.features(params)
    assert decision_at(features, -1, params, ORDERS) == decision_at(features, len(series) - 1, params, ORDERS)
    assert decision_at(features, 3, params, ORDERS, open_time=42).candle_open_time == 42
    for outside in (len(series), -len(series) - 1):
        with pytest.raises(IndexError, match=r"outside 0\.\.12"):
            decision_at(features, outside, params, ORDERS)
    bare = compute_features(*series.columns(), params)
    with pytest.raises(ValueError, match="open_time: required"):
        decision_at(bare, -1, params, ORDERS)
    with pytest.raises(ValueError, match=r"open_time: must have one value per candle \(13\)"):
        compute_features(*series.columns(), params, open_time=[1, 2])


def test_evaluate_is_decision_at_on_the_last_candle() -> None:
    series = candles(DIP_THEN_JUMP, volumes={-1: 300.0})
    params = small_params()
    decision = evaluate(*series.columns(), params, ORDERS, open_time=int(series.open_time[-1]))
    assert decision == decision_at(series.features(params), -1, params, ORDERS)
    assert decision.direction == "LONG"
    with pytest.raises(ValueError, match="empty"):
        evaluate([], [], [], [], [], params, ORDERS, open_time=0)
    with pytest.raises(ValueError, match="close: must be finite, got nan at index 4"):
        closes = series.close.copy()
        closes[4] = np.nan
        evaluate(series.open, series.high, series.low, closes, series.volume, params, ORDERS, 0)
