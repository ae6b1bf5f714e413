"""ScalpingV1's rules, one branch at a time, on candle series written by hand.

Each scenario's premise (which EMA crosses which, where RSI goes) is checked on its own with the TA-Lib
wrappers in ``TestScenarioPremises``; the rule tests then assert what the strategy must make of it.
Expected stop and take-profit prices come from the rule (close ± a percentage or ATR multiple), with
ATR recomputed independently in plain Python.
"""

from __future__ import annotations

import msgspec
import numpy as np
import pytest

from config.sections import StrategySettings
from indicators import decision_at, direction_series, ema, macd, rsi, sma, warmup_candles
from messages.signals import StrategyDecision
from tests.indicators.builders import (
    DIP_THEN_JUMP,
    FALL_JUMP_DIP,
    ORDERS,
    RALLY_THEN_DROP,
    Candles,
    candles,
    reference_atr,
    small_params,
)

SPIKE = {-1: 300.0}  # last volume 300 > 1.2 x SMA3 (100 + 100 + 300) / 3 = 200


def long_case(*, spike: bool = True) -> Candles:
    return candles(DIP_THEN_JUMP, volumes=SPIKE if spike else None)


def short_case(*, spike: bool = True) -> Candles:
    return candles(RALLY_THEN_DROP, volumes=SPIKE if spike else None)


CASES = {"LONG": long_case, "SHORT": short_case}


def decide(series: Candles, params: StrategySettings, i: int = -1) -> StrategyDecision:
    """``decision_at`` on candle ``i``, checked against the vectorised ``direction_series``."""
    features = series.features(params)
    decision = decision_at(features, i, params, ORDERS)
    vectorised = int(direction_series(features, params)[i])
    assert {"LONG": 1, "SHORT": -1, "NONE": 0}[decision.direction] == vectorised
    return decision


def votes(decision: StrategyDecision) -> dict[str, int]:
    return {component.name: component.vote for component in decision.breakdown.components}


def detail(decision: StrategyDecision, name: str) -> str:
    return next(c.detail for c in decision.breakdown.components if c.name == name)


class TestScenarioPremises:
    """The hand-made candles do what their docstrings claim (checked without the strategy code)."""

    @pytest.mark.parametrize("side", [1, -1])
    def test_dip_then_jump_and_its_mirror(self, side: int) -> None:
        series = long_case() if side == 1 else short_case()
        close = series.close
        spread = ema(close, 2) - ema(close, 4)
        assert side * spread[-2] < 0 < side * spread[-1]
        hist = macd(close, 2, 4, 2).histogram
        assert side * hist[-2] < 0 < side * hist[-1]
        assert side * (hist[-1] - hist[-2]) > 0
        strength = rsi(close, 3)
        if side == 1:
            assert strength[-2] < 30 <= strength[-1] and 50 <= strength[-1] <= 70
        else:
            assert strength[-2] > 70 >= strength[-1] and 30 <= strength[-1] <= 50
        assert side * (close[-1] - ema(close, 6)[-1]) > 0
        assert series.volume[-1] > 1.2 * sma(series.volume, 3, allow_zero=True)[-1]
        quiet = long_case(spike=False) if side == 1 else short_case(spike=False)
        assert not quiet.volume[-1] > 1.2 * sma(quiet.volume, 3, allow_zero=True)[-1]

    def test_fall_jump_dip_has_opposite_ema_and_rsi_events(self) -> None:
        close = candles(FALL_JUMP_DIP).close
        spread = ema(close, 3) - ema(close, 8)
        assert spread[-2] < 0 < spread[-1]
        strength = rsi(close, 3)
        assert strength[-2] > 70 >= strength[-1]


class TestSignals:
    @pytest.mark.parametrize(("direction", "side"), [("LONG", 1), ("SHORT", -1)])
    def test_every_component_enabled(self, direction: str, side: int) -> None:
        series = CASES[direction]()
        decision = decide(series, small_params())
        close = series.close[-1]
        assert decision.direction == direction
        assert decision.close == close
        assert decision.candle_open_time == series.open_time[-1]
        breakdown = decision.breakdown
        assert breakdown.trigger == "ema_cross"  # all three fire; the first in settings order leads
        assert breakdown.confirmations == ("rsi_zone", "macd_momentum", "volume")
        assert votes(decision) == {
            "ema_cross": side,
            "macd_cross": side,
            "rsi_reversal": side,
            "trend": side,
            "rsi_zone": side,
            "macd_momentum": side,
            "volume": side,
            "atr": 0,
        }
        assert [c.role for c in breakdown.components] == ["trigger"] * 3 + ["confirmation"] * 4 + ["gate"]
        assert "not counted: same ema family as the trigger ema_cross" in detail(decision, "trend")
        assert breakdown.atr_gate_passed
        assert breakdown.reason == f"ema_cross {direction.lower()} confirmed by rsi_zone, macd_momentum, volume"
        assert decision.atr == pytest.approx(reference_atr(series, 3), rel=1e-12)
        assert breakdown.atr_pct == pytest.approx(100 * reference_atr(series, 3) / close, rel=1e-12)
        assert decision.stop_price == pytest.approx(close * (1 - side * 0.02), rel=1e-12)
        expected_tps = [close * (1 + side * pct / 100) for pct in (0.4, 0.8, 1.2)]
        assert decision.take_profit_prices == pytest.approx(expected_tps, rel=1e-12)

    @pytest.mark.parametrize("trigger", ["ema_cross", "macd_cross", "rsi_reversal"])
    @pytest.mark.parametrize(("direction", "side"), [("LONG", 1), ("SHORT", -1)])
    def test_each_trigger_alone_with_a_volume_confirmation(self, trigger: str, direction: str, side: int) -> None:
        decision = decide(CASES[direction](), small_params(triggers=(trigger,), confirmations=("volume",)))
        assert decision.direction == direction
        assert decision.breakdown.trigger == trigger
        assert decision.breakdown.confirmations == ("volume",)
        assert votes(decision) == {trigger: side, "volume": side, "atr": 0}

    def test_the_primary_trigger_decides_which_family_is_excluded(self) -> None:
        confirmations = ("trend", "rsi_zone")
        ema_first = decide(long_case(), small_params(confirmations=confirmations))
        assert (ema_first.breakdown.trigger, ema_first.breakdown.confirmations) == ("ema_cross", ("rsi_zone",))
        triggers = ("rsi_reversal", "ema_cross", "macd_cross")
        rsi_first = decide(long_case(), small_params(triggers=triggers, confirmations=confirmations))
        assert (rsi_first.breakdown.trigger, rsi_first.breakdown.confirmations) == ("rsi_reversal", ("trend",))
        assert "same rsi family as the trigger rsi_reversal" in detail(rsi_first, "rsi_zone")

    def test_two_independent_confirmations_when_min_confirmations_is_2(self) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("rsi_zone", "volume"), min_confirmations=2)
        decision = decide(long_case(), params)
        assert decision.direction == "LONG"
        assert decision.breakdown.confirmations == ("rsi_zone", "volume")

    @pytest.mark.parametrize(("direction", "side", "zones"), [
        ("LONG", 1, {"rsi_long_min": 40.0, "rsi_long_max": 70.0, "rsi_short_min": 30.0, "rsi_short_max": 65.0}),
        ("SHORT", -1, {"rsi_long_min": 35.0, "rsi_long_max": 70.0, "rsi_short_min": 30.0, "rsi_short_max": 60.0}),
    ])  # fmt: skip
    def test_an_rsi_in_both_zones_confirms_the_triggered_side(self, direction: str, side: int, zones) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("rsi_zone",), **zones)
        decision = decide(CASES[direction](), params)
        assert decision.direction == direction
        assert votes(decision)["rsi_zone"] == side


class TestNoSignal:
    @pytest.mark.parametrize("direction", ["LONG", "SHORT"])
    def test_trigger_without_confirmation(self, direction: str) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("volume",))
        decision = decide(CASES[direction](spike=False), params)
        assert decision.direction == "NONE"
        assert decision.breakdown.reason.startswith("trigger without confirmation: ema_cross")
        assert decision.breakdown.trigger == "ema_cross"
        assert decision.breakdown.confirmations == ()
        assert votes(decision)["volume"] == 0
        assert decision.stop_price is None
        assert decision.take_profit_prices == ()

    @pytest.mark.parametrize(
        ("trigger", "confirmation"),
        [("ema_cross", "trend"), ("macd_cross", "macd_momentum"), ("rsi_reversal", "rsi_zone")],
    )
    @pytest.mark.parametrize(("direction", "side"), [("LONG", 1), ("SHORT", -1)])
    def test_a_confirmation_of_the_triggers_own_family_alone_is_not_enough(
        self, trigger: str, confirmation: str, direction: str, side: int
    ) -> None:
        decision = decide(CASES[direction](), small_params(triggers=(trigger,), confirmations=(confirmation,)))
        assert decision.direction == "NONE"
        assert decision.breakdown.reason.startswith(f"trigger without confirmation: {trigger}")
        assert votes(decision)[confirmation] == side  # it agrees, but it is the same evidence
        assert "not counted: same" in detail(decision, confirmation)
        assert decision.breakdown.confirmations == ()

    def test_one_independent_confirmation_is_not_two(self) -> None:
        params = small_params(triggers=("ema_cross",), confirmations=("trend", "volume"), min_confirmations=2)
        decision = decide(long_case(), params)
        assert decision.direction == "NONE"
        assert decision.breakdown.confirmations == ("volume",)
        assert "has 1 of 2 independent confirmations (volume)" in decision.breakdown.reason

    def test_conflicting_triggers(self) -> None:
        series = candles(FALL_JUMP_DIP, volumes=SPIKE)
        periods = {"ema_fast": 3, "ema_slow": 8, "ema_trend": 10}
        decision = decide(series, small_params(**periods, triggers=("ema_cross", "rsi_reversal")))
        assert decision.direction == "NONE"
        assert decision.breakdown.reason == "conflicting triggers: ema_cross long, rsi_reversal short"
        assert decision.breakdown.trigger is None
        assert decision.breakdown.confirmations == ()
        # the same candle without the RSI trigger: the EMA cross alone is confirmed
        assert decide(series, small_params(**periods, triggers=("ema_cross",))).direction == "LONG"

    @pytest.mark.parametrize(
        ("band", "word"), [({"atr_min_pct": 5.0, "atr_max_pct": 10.0}, "below"), ({"atr_max_pct": 1.0}, "above")]
    )
    def test_the_volatility_gate(self, band: dict[str, float], word: str) -> None:
        series = long_case()
        atr_pct = 100 * reference_atr(series, 3) / series.close[-1]
        assert 1.0 < atr_pct < 5.0  # about 2.6 %: outside both bands
        decision = decide(series, small_params(**band))
        assert decision.direction == "NONE"
        assert not decision.breakdown.atr_gate_passed
        assert decision.breakdown.reason.startswith("ema_cross long blocked by the volatility gate")
        assert word in decision.breakdown.reason
        assert decision.breakdown.trigger == "ema_cross"  # still reported for analysis
        assert decision.breakdown.confirmations == ("rsi_zone", "macd_momentum", "volume")
        assert decision.stop_price is None

    def test_flat_candles_have_zero_atr_and_fail_the_gate_even_with_no_lower_bound(self) -> None:
        decision = decide(candles([50.0] * 12, wick=0.0), small_params(atr_min_pct=0.0))
        assert decision.breakdown.atr_pct == 0.0
        assert not decision.breakdown.atr_gate_passed
        assert detail(decision, "atr") == "ATR is zero (no price movement)"
        assert decision.breakdown.reason == "no trigger"

    def test_no_trigger_on_the_candle_before_the_jump(self) -> None:
        decision = decide(long_case(), small_params(), i=-2)
        assert decision.direction == "NONE"
        assert decision.breakdown.reason == "no trigger"
        assert decision.breakdown.trigger is None
        assert set(votes(decision)[name] for name in ("ema_cross", "macd_cross", "rsi_reversal")) == {0}

    def test_shorts_only_when_allowed(self) -> None:
        params = small_params(allow_short=False)
        decision = decide(short_case(), params)
        assert decision.direction == "NONE"
        assert decision.breakdown.reason == "short from ema_cross ignored: allow_short is off"
        assert decide(long_case(), params).direction == "LONG"

    def test_warming_up_until_the_slowest_enabled_indicator_is_ready(self) -> None:
        # EMA6 (trend) has its first value at index 5 and the MACD(2,4,2) histogram at index 4, needed
        # at the previous candle by the cross and the momentum: 6 candles.
        params = small_params()
        assert warmup_candles(params) == 6
        early = decide(long_case().head(5), params)
        assert early.direction == "NONE"
        assert early.breakdown.reason == "warming up: needs 6 candles, has 5"
        assert early.breakdown.components == ()
        assert early.atr == pytest.approx(reference_atr(long_case().head(5), 3), rel=1e-12)
        ready = decide(long_case().head(6), params)
        assert not ready.breakdown.reason.startswith("warming up")
        # without the trend confirmation the MACD decides: 5 + 1 candles; without MACD as well, 4 + 1
        assert warmup_candles(small_params(confirmations=("rsi_zone", "macd_momentum", "volume"))) == 6
        lean = small_params(triggers=("ema_cross", "rsi_reversal"), confirmations=("rsi_zone", "volume"))
        assert warmup_candles(lean) == 5
        assert not decide(long_case().head(5), lean).breakdown.reason.startswith("warming up")

    def test_warming_up_waits_for_the_slowest_indicator_even_when_the_others_agree(self) -> None:
        # EMA14 has its first value at index 13, one past the last of these 13 candles.
        slow_trend = small_params(ema_trend=14)
        decision = decide(long_case(), slow_trend)
        assert decision.breakdown.reason == "warming up: needs 14 candles, has 13"
        assert not direction_series(long_case().features(slow_trend), slow_trend).any()
        without_trend = small_params(ema_trend=14, confirmations=("rsi_zone", "macd_momentum", "volume"))
        assert decide(long_case(), without_trend).direction == "LONG"

    def test_a_warming_up_decision_has_no_nan_and_survives_serialisation(self) -> None:
        decision = decide(long_case().head(2), small_params())
        assert decision.atr == 0.0  # ATR(3) is not ready either
        assert decision.breakdown.atr_pct == 0.0
        encoded = msgspec.json.encode(decision)
        assert msgspec.json.decode(encoded, type=StrategyDecision) == decision


class TestStops:
    @pytest.mark.parametrize(("direction", "side"), [("LONG", 1), ("SHORT", -1)])
    def test_atr_tightens_the_stop_when_its_multiple_is_closer(self, direction: str, side: int) -> None:
        series = CASES[direction]()
        close, average = series.close[-1], reference_atr(series, 3)
        assert 0.5 * average < 0.02 * close < 1.0 * average
        tight = decide(series, small_params(stop_atr_multiplier=0.5))
        assert tight.stop_price == pytest.approx(close - side * 0.5 * average, rel=1e-12)
        capped = decide(series, small_params(stop_atr_multiplier=1.0))
        assert capped.stop_price == pytest.approx(close * (1 - side * 0.02), rel=1e-12)

    def test_take_profits_follow_the_order_settings(self) -> None:
        orders = ORDERS.model_copy(update={"take_profit_pct": (0.25, 1.5), "take_profit_split": (0.5, 0.5)})
        series = short_case()
        features = series.features(small_params())
        decision = decision_at(features, -1, small_params(), orders)
        close = series.close[-1]
        assert decision.take_profit_prices == pytest.approx([close * 0.9975, close * 0.985], rel=1e-12)


def test_every_direction_in_the_scenarios_matches_between_series_and_decision() -> None:
    """All candles of every scenario, not just the last: the warm-up boundary and the quiet candles."""
    for closes in (DIP_THEN_JUMP, RALLY_THEN_DROP, FALL_JUMP_DIP):
        for params in (small_params(), small_params(ema_fast=3, ema_slow=8, ema_trend=10, allow_short=False)):
            features = candles(closes, volumes=SPIKE).features(params)
            series = direction_series(features, params)
            one_by_one = [decision_at(features, i, params, ORDERS).direction for i in range(features.size)]
            mapped = np.array([{"LONG": 1, "SHORT": -1, "NONE": 0}[d] for d in one_by_one], dtype=np.int8)
            np.testing.assert_array_equal(series, mapped)
