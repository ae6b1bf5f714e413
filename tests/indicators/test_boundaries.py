"""Every rule's comparison at its exact boundary, through both the vectorised and the per-candle path.

Exact ties (an RSI of exactly 30, a volume exactly at its threshold) are rare in market data, so the
real-data agreement tests would not notice if one path used ``>`` and the other ``>=``. Here the
indicator values of a hand-made scenario are overwritten to sit exactly on each boundary.
"""

from __future__ import annotations

import dataclasses
import math

import pytest

from config.sections import StrategySettings
from indicators import ScalpingFeatures, decision_at, direction_series
from messages.signals import StrategyDecision
from tests.indicators.builders import DIP_THEN_JUMP, ORDERS, candles, small_params

BASE = candles(DIP_THEN_JUMP, volumes={-1: 300.0})


def above(value: float) -> float:
    return math.nextafter(value, math.inf)


def below(value: float) -> float:
    return math.nextafter(value, -math.inf)


def decide_with(params: StrategySettings, **changes: dict[int, float]) -> StrategyDecision:
    """The last candle's decision after overwriting feature values (``name={index: value}``), with the
    vectorised direction checked against it."""
    features = BASE.features(params)
    replaced = {}
    for name, values in changes.items():
        array = getattr(features, name).copy()
        for index, value in values.items():
            array[index] = value
        array.flags.writeable = False
        replaced[name] = array
    edited: ScalpingFeatures = dataclasses.replace(features, **replaced)
    decision = decision_at(edited, -1, params, ORDERS)
    assert {"LONG": 1, "SHORT": -1, "NONE": 0}[decision.direction] == direction_series(edited, params)[-1]
    return decision


def vote_of(decision: StrategyDecision, name: str) -> int:
    return next(c.vote for c in decision.breakdown.components if c.name == name)


class TestTriggers:
    params = small_params(triggers=("ema_cross",), confirmations=("volume",))

    def test_ema_cross_counts_from_equality_but_not_to_equality(self) -> None:
        slow = BASE.features(self.params).ema_slow
        assert decide_with(self.params, ema_fast={-2: slow[-2]}).direction == "LONG"
        assert decide_with(self.params, ema_fast={-1: slow[-1]}).breakdown.reason == "no trigger"

    def test_macd_cross_counts_from_zero_but_not_to_zero(self) -> None:
        params = small_params(triggers=("macd_cross",), confirmations=("volume",))
        assert decide_with(params, macd_hist={-2: 0.0}).direction == "LONG"
        assert decide_with(params, macd_hist={-1: 0.0}).breakdown.reason == "no trigger"

    def test_rsi_reversal_reaching_the_level_counts_starting_on_it_does_not(self) -> None:
        params = small_params(triggers=("rsi_reversal",), confirmations=("volume",), rsi_oversold=30.0)
        assert decide_with(params, rsi={-1: 30.0}).direction == "LONG"
        assert decide_with(params, rsi={-1: below(30.0)}).breakdown.reason == "no trigger"
        assert decide_with(params, rsi={-2: 30.0}).breakdown.reason == "no trigger"

    def test_rsi_reversal_down_through_overbought(self) -> None:
        params = small_params(triggers=("rsi_reversal",), confirmations=("volume",), rsi_overbought=70.0)
        assert decide_with(params, rsi={-2: above(70.0), -1: 70.0}).direction == "SHORT"
        assert decide_with(params, rsi={-2: 70.0, -1: 60.0}).breakdown.reason == "no trigger"


class TestConfirmations:
    def test_the_rsi_zone_includes_its_bounds(self) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("rsi_zone",))
        assert decide_with(params, rsi={-1: 70.0}).direction == "LONG"
        assert decide_with(params, rsi={-1: 50.0}).direction == "LONG"  # also the short zone's top
        assert decide_with(params, rsi={-1: above(70.0)}).direction == "NONE"
        assert vote_of(decide_with(params, rsi={-1: above(70.0)}), "rsi_zone") == 0

    def test_volume_must_exceed_its_threshold(self) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("volume",), volume_factor=1.5)
        average = BASE.features(params).volume_sma[-1]
        assert decide_with(params, volume={-1: average * 1.5}).direction == "NONE"
        assert decide_with(params, volume={-1: above(average * 1.5)}).direction == "LONG"

    def test_a_close_on_the_trend_ema_confirms_neither_side(self) -> None:
        params = small_params(triggers=("macd_cross",), confirmations=("trend",))
        trend = BASE.features(params).ema_trend[-1]
        decision = decide_with(params, close={-1: trend})
        assert (decision.direction, vote_of(decision, "trend")) == ("NONE", 0)
        assert decide_with(params, close={-1: above(trend)}).direction == "LONG"

    def test_a_flat_histogram_is_no_momentum(self) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("macd_momentum",))
        decision = decide_with(params, macd_hist={-2: 0.3, -1: 0.3})
        assert (decision.direction, vote_of(decision, "macd_momentum")) == ("NONE", 0)
        assert decide_with(params, macd_hist={-2: 0.3, -1: above(0.3)}).direction == "LONG"
        assert decide_with(params, macd_hist={-2: -1.0, -1: 0.0}).direction == "NONE"  # rising, not > 0


class TestGate:
    @pytest.mark.parametrize("edge", ["atr_min_pct", "atr_max_pct"])
    def test_the_atr_band_includes_its_bounds(self, edge: str) -> None:
        params = small_params(atr_min_pct=1.0, atr_max_pct=4.0)
        bound = getattr(params, edge)
        assert decide_with(params, atr_pct={-1: bound}).breakdown.atr_gate_passed
        outside = below(bound) if edge == "atr_min_pct" else above(bound)
        decision = decide_with(params, atr_pct={-1: outside})
        assert not decision.breakdown.atr_gate_passed
        assert decision.direction == "NONE"


def test_the_edits_above_start_from_a_long_signal() -> None:
    """Without edits every configuration used above gives LONG: each NONE above is the boundary's doing."""
    for params in (
        small_params(triggers=("ema_cross",), confirmations=("volume",)),
        small_params(triggers=("macd_cross",), confirmations=("volume",)),
        small_params(triggers=("rsi_reversal",), confirmations=("volume",)),
        small_params(triggers=("ema_cross",), confirmations=("rsi_zone",)),
        small_params(triggers=("macd_cross",), confirmations=("trend",)),
        small_params(triggers=("ema_cross",), confirmations=("macd_momentum",)),
        small_params(atr_min_pct=1.0, atr_max_pct=4.0),
    ):
        assert decide_with(params).direction == "LONG", params
