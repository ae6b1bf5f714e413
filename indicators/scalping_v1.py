"""ScalpingV1 as pure functions: a direction for every candle, and a full breakdown for one candle.

The rules are written twice on purpose, once vectorised (``direction_series``: a month of 1m candles
in about a millisecond, for the backtest's search for candidate candles) and once per candle
(``decision_at``: the explained decision the live bot sends and the backtest records). Both read the
same ``ScalpingFeatures`` arrays and make the same comparisons in the same order, and the test suite
checks that they agree on every candle of real data. The rules in words are in ``docs/strategy.md``.

Everything here is deterministic and free of I/O and clocks: same candles and settings, same decision.
"""

from __future__ import annotations

import math

import numpy as np
import numpy.typing as npt

from config.sections import OrderSettings, StrategySettings
from indicators.features import FAMILY, ScalpingFeatures, compute_features, periods_of, warmup_candles
from indicators.votes import confirmation_vote, describe_confirmation, gate_vote, trigger_vote
from messages.signals import ComponentVote, Direction, SignalBreakdown, StrategyDecision

Int8Array = npt.NDArray[np.int8]
BoolArray = npt.NDArray[np.bool_]

LONG, SHORT, NONE = 1, -1, 0
_DIRECTION: dict[int, Direction] = {LONG: "LONG", SHORT: "SHORT", NONE: "NONE"}
_WORD = {LONG: "long", SHORT: "short"}
_FAMILY_CODE = {"ema": 1, "macd": 2, "rsi": 3, "volume": 4}


def direction_series(features: ScalpingFeatures, params: StrategySettings) -> Int8Array:
    """+1 (LONG), -1 (SHORT) or 0 (NONE) for every candle, equal to ``decision_at(...).direction``.

    ``params`` may differ from the settings the features were computed with in thresholds, enabled
    components and gating (a parameter sweep reuses one feature set), not in indicator periods.
    """
    _check_periods(features, params)
    size = features.size
    any_long = np.zeros(size, dtype=bool)
    any_short = np.zeros(size, dtype=bool)
    primary_family = np.zeros(size, dtype=np.int8)
    for name in params.triggers:  # in priority order: the first that fires is the primary trigger
        up, down = _trigger_arrays(features, params, name)
        any_long |= up
        any_short |= down
        primary_family[(primary_family == 0) & (up | down)] = _FAMILY_CODE[FAMILY[name]]
    direction = np.where(any_long & ~any_short, LONG, np.where(any_short & ~any_long, SHORT, NONE))
    count = np.zeros(size, dtype=np.int8)
    for name in params.confirmations:
        long_ok, short_ok = _confirmation_arrays(features, params, name)
        supports = np.where(direction == LONG, long_ok, (direction == SHORT) & short_ok)
        count += supports & (primary_family != _FAMILY_CODE[FAMILY[name]])
    pct = features.atr_pct
    passed = (count >= params.min_confirmations) & (pct > 0.0) & (pct >= params.atr_min_pct)
    passed &= pct <= params.atr_max_pct
    passed[: min(warmup_candles(params) - 1, size)] = False
    if not params.allow_short:
        passed &= direction == LONG
    return np.where(passed, direction, NONE).astype(np.int8)


def decision_at(
    features: ScalpingFeatures,
    i: int,
    params: StrategySettings,
    orders: OrderSettings,
    *,
    open_time: int | None = None,
) -> StrategyDecision:
    """The decision on candle ``i`` (negative counts from the end) with every component's say.

    ``open_time`` labels the decision; it defaults to the features' own open times, and one of the two
    is required. ``IndexError`` for an index outside the candles.
    """
    _check_periods(features, params)
    size = features.size
    if not -size <= i < size:
        raise IndexError(f"i: candle index {i} outside 0..{size - 1}")
    i = i + size if i < 0 else i
    candle_time = _label(features, i, open_time)
    close = features.close.item(i)
    atr, atr_pct = features.atr.item(i), features.atr_pct.item(i)
    need = warmup_candles(params)
    if i + 1 < need:
        return _warming_up(candle_time, close, atr, atr_pct, f"warming up: needs {need} candles, has {i + 1}")

    triggers = [(name, *trigger_vote(features, i, params, name)) for name in params.triggers]
    fired = [(name, vote) for name, vote, _, _ in triggers if vote != NONE]
    primary = fired[0][0] if len({vote for _, vote in fired}) == 1 else None
    direction = fired[0][1] if primary is not None else NONE
    primary_family = FAMILY[primary] if primary is not None else None
    confirmations = [(name, *confirmation_vote(features, i, params, name, direction)) for name in params.confirmations]
    counted = tuple(
        name
        for name, vote, _, _ in confirmations
        if direction != NONE and vote == direction and FAMILY[name] != primary_family
    )
    gate_passed, gate_detail = gate_vote(atr_pct, params)

    components = [
        ComponentVote(name=name, role="trigger", value=value, vote=vote, detail=detail)
        for name, vote, value, detail in triggers
    ]
    components.extend(
        ComponentVote(
            name=name,
            role="confirmation",
            value=value,
            vote=vote,
            detail=describe_confirmation(
                detail, name, vote=vote, direction=direction, primary=primary, counted=counted
            ),
        )
        for name, vote, value, detail in confirmations
    )
    components.append(ComponentVote(name="atr", role="gate", value=atr_pct, vote=0, detail=gate_detail))

    outcome, reason = _verdict(fired, primary, direction, counted, gate_passed, gate_detail, params)
    stop, take_profits = _protective_prices(outcome, close, atr, params, orders)
    return StrategyDecision(
        direction=_DIRECTION[outcome],
        candle_open_time=candle_time,
        close=close,
        atr=atr,
        stop_price=stop,
        take_profit_prices=take_profits,
        breakdown=SignalBreakdown(
            components=tuple(components),
            trigger=primary,
            confirmations=counted,
            atr_pct=atr_pct,
            atr_gate_passed=gate_passed,
            reason=reason,
        ),
    )


def evaluate(
    open: npt.ArrayLike,
    high: npt.ArrayLike,
    low: npt.ArrayLike,
    close: npt.ArrayLike,
    volume: npt.ArrayLike,
    params: StrategySettings,
    orders: OrderSettings,
    open_time: int,
) -> StrategyDecision:
    """The decision on the last candle of a buffer: what the live SymbolActor calls on every close.

    ``open_time`` is the last candle's open time (ms). The buffer should hold at least
    ``stable_history(params)`` candles for the decision to equal the backtest's over the full history.
    """
    features = compute_features(open, high, low, close, volume, params)
    if features.size == 0:
        raise ValueError("close: needs at least one candle, got an empty buffer")
    return decision_at(features, features.size - 1, params, orders, open_time=open_time)


def _verdict(
    fired: list[tuple[str, int]],
    primary: str | None,
    direction: int,
    counted: tuple[str, ...],
    gate_passed: bool,
    gate_detail: str,
    params: StrategySettings,
) -> tuple[int, str]:
    """The 1+1 gating in its order of precedence; the first refusal gives the reason."""
    if not fired:
        return NONE, "no trigger"
    if primary is None:
        shown = ", ".join(f"{name} {_WORD[vote]}" for name, vote in fired)
        return NONE, f"conflicting triggers: {shown}"
    side = _WORD[direction]
    if direction == SHORT and not params.allow_short:
        return NONE, f"short from {primary} ignored: allow_short is off"
    if len(counted) < params.min_confirmations:
        return NONE, (
            f"trigger without confirmation: {primary} {side} has {len(counted)} of "
            f"{params.min_confirmations} independent confirmations ({', '.join(counted) or 'none'})"
        )
    if not gate_passed:
        return NONE, f"{primary} {side} blocked by the volatility gate: {gate_detail}"
    return direction, f"{primary} {side} confirmed by {', '.join(counted)}"


def _warming_up(candle_time: int, close: float, atr: float, atr_pct: float, reason: str) -> StrategyDecision:
    """NONE before the slowest enabled indicator is ready. ATR (often ready earlier) is reported when
    known and 0.0 otherwise: a NaN in a message would make it unequal to itself."""
    known = not math.isnan(atr)
    return StrategyDecision(
        direction="NONE",
        candle_open_time=candle_time,
        close=close,
        atr=atr if known else 0.0,
        stop_price=None,
        take_profit_prices=(),
        breakdown=SignalBreakdown(
            components=(),
            trigger=None,
            confirmations=(),
            atr_pct=atr_pct if known else 0.0,
            atr_gate_passed=False,
            reason=reason,
        ),
    )


def _trigger_arrays(f: ScalpingFeatures, params: StrategySettings, name: str) -> tuple[BoolArray, BoolArray]:
    """Where trigger ``name`` fires upward and downward (the vectorised twin of ``trigger_vote``)."""
    if name == "ema_cross":
        fast, slow = f.ema_fast, f.ema_slow
        return _previous(fast <= slow) & (fast > slow), _previous(fast >= slow) & (fast < slow)
    if name == "macd_cross":
        hist = f.macd_hist
        return _previous(hist <= 0.0) & (hist > 0.0), _previous(hist >= 0.0) & (hist < 0.0)
    if name == "rsi_reversal":
        rsi, low, high = f.rsi, params.rsi_oversold, params.rsi_overbought
        return _previous(rsi < low) & (rsi >= low), _previous(rsi > high) & (rsi <= high)
    raise ValueError(f"triggers: unknown trigger {name!r}")


def _confirmation_arrays(f: ScalpingFeatures, params: StrategySettings, name: str) -> tuple[BoolArray, BoolArray]:
    """Where confirmation ``name`` supports a long and a short (twin of ``confirmation_vote``)."""
    if name == "trend":
        return f.close > f.ema_trend, f.close < f.ema_trend
    if name == "rsi_zone":
        rsi = f.rsi
        long_ok = (rsi >= params.rsi_long_min) & (rsi <= params.rsi_long_max)
        return long_ok, (rsi >= params.rsi_short_min) & (rsi <= params.rsi_short_max)
    if name == "macd_momentum":
        hist = f.macd_hist
        before = np.empty_like(hist)
        before[0] = np.nan
        before[1:] = hist[:-1]
        return (hist > 0.0) & (hist > before), (hist < 0.0) & (hist < before)
    if name == "volume":
        high = f.volume > f.volume_sma * params.volume_factor
        return high, high
    raise ValueError(f"confirmations: unknown confirmation {name!r}")


def _previous(condition: BoolArray) -> BoolArray:
    """``condition`` one candle later: element i holds condition[i - 1] (False for the first)."""
    shifted = np.zeros_like(condition)
    shifted[1:] = condition[:-1]
    return shifted


def _protective_prices(
    direction: int, close: float, atr: float, params: StrategySettings, orders: OrderSettings
) -> tuple[float | None, tuple[float, ...]]:
    """Suggested stop and take-profits around the close (unrounded: the order planner rounds to ticks).

    The stop is ``stop_loss_pct`` % away, or closer when ``stop_atr_multiplier`` × ATR is smaller: the
    configured percentage is the most the trade may lose before the stop, ATR can only tighten it.
    """
    if direction == NONE:
        return None, ()
    distance = close * orders.stop_loss_pct / 100.0
    if params.stop_atr_multiplier > 0.0:
        distance = min(distance, params.stop_atr_multiplier * atr)
    side = float(direction)
    stop = close - side * distance
    return stop, tuple(close * (1.0 + side * pct / 100.0) for pct in orders.take_profit_pct)


def _check_periods(features: ScalpingFeatures, params: StrategySettings) -> None:
    if features.periods != periods_of(params):
        raise ValueError(
            f"params: indicator periods {periods_of(params)} differ from those the features were "
            f"computed with {features.periods}; recompute the features"
        )


def _label(features: ScalpingFeatures, i: int, open_time: int | None) -> int:
    if open_time is not None:
        return int(open_time)
    if features.open_time is None:
        raise ValueError("open_time: required when the features were computed without open times")
    return int(features.open_time.item(i))
