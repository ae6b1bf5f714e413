"""Each ScalpingV1 component's say on one candle: its vote, its value and a short explanation.

These are the per-candle twins of the vectorised rules in ``scalping_v1``; keep the comparisons
identical (same operands, same strictness), the tests compare both on every candle of real data.
Values are read with ``ndarray.item`` (a Python float, ~60 ns) because numpy scalars make every
later comparison several times slower.
"""

from __future__ import annotations

from config.sections import StrategySettings
from indicators.features import FAMILY, ScalpingFeatures

Say = tuple[int, float, str]
"""(vote: +1 long / -1 short / 0 none, value, detail)."""


def trigger_vote(f: ScalpingFeatures, i: int, params: StrategySettings, name: str) -> Say:
    """Whether trigger ``name`` fires on candle ``i`` (i >= 1), upward (+1) or downward (-1)."""
    if name == "ema_cross":
        fast_before, fast = f.ema_fast.item(i - 1), f.ema_fast.item(i)
        slow_before, slow = f.ema_slow.item(i - 1), f.ema_slow.item(i)
        vote = _vote(
            fast_before <= slow_before and fast > slow,
            fast_before >= slow_before and fast < slow,
        )
        labels = f"EMA{params.ema_fast} {fast:.8g}", f"EMA{params.ema_slow} {slow:.8g}"
        return vote, fast - slow, _cross_detail(vote, *labels, fast > slow)
    if name == "macd_cross":
        before, hist = f.macd_hist.item(i - 1), f.macd_hist.item(i)
        vote = _vote(before <= 0.0 and hist > 0.0, before >= 0.0 and hist < 0.0)
        labels = f"MACD {f.macd.item(i):.6g}", f"its signal {f.macd_signal.item(i):.6g}"
        return vote, hist, _cross_detail(vote, *labels, hist > 0.0)
    if name == "rsi_reversal":
        before, rsi = f.rsi.item(i - 1), f.rsi.item(i)
        low, high = params.rsi_oversold, params.rsi_overbought
        vote = _vote(before < low and rsi >= low, before > high and rsi <= high)
        move = f"RSI{params.rsi_period} {before:.2f} -> {rsi:.2f}"
        if vote == 1:
            return vote, rsi, f"{move}: back up through oversold {low:g}"
        if vote == -1:
            return vote, rsi, f"{move}: back down through overbought {high:g}"
        return vote, rsi, f"{move}: no reversal through {low:g} or {high:g}"
    raise ValueError(f"triggers: unknown trigger {name!r}")


def confirmation_vote(f: ScalpingFeatures, i: int, params: StrategySettings, name: str, direction: int) -> Say:
    """What confirmation ``name`` says on candle ``i``, given the triggered ``direction`` (0: none).

    A confirmation that supports both sides (volume, or an RSI in the overlap of the two zones) votes
    for the triggered direction, and 0 when nothing triggered.
    """
    if name == "trend":
        close, trend = f.close.item(i), f.ema_trend.item(i)
        side = "above" if close > trend else "below" if close < trend else "at"
        detail = f"close {close:.8g} {side} EMA{params.ema_trend} {trend:.8g}"
        return _side_vote(close > trend, close < trend, direction), trend, detail
    if name == "rsi_zone":
        rsi = f.rsi.item(i)
        long_ok = params.rsi_long_min <= rsi <= params.rsi_long_max
        short_ok = params.rsi_short_min <= rsi <= params.rsi_short_max
        zones = (
            f"long zone [{params.rsi_long_min:g}, {params.rsi_long_max:g}], "
            f"short zone [{params.rsi_short_min:g}, {params.rsi_short_max:g}]"
        )
        return _side_vote(long_ok, short_ok, direction), rsi, f"RSI{params.rsi_period} {rsi:.2f}; {zones}"
    if name == "macd_momentum":
        before, hist = f.macd_hist.item(i - 1), f.macd_hist.item(i)
        long_ok = hist > 0.0 and hist > before
        short_ok = hist < 0.0 and hist < before
        trend = "rising" if hist > before else "falling" if hist < before else "flat"
        detail = f"histogram {hist:.6g} ({trend} from {before:.6g})"
        return _side_vote(long_ok, short_ok, direction), hist, detail
    if name == "volume":
        volume, average = f.volume.item(i), f.volume_sma.item(i)
        threshold = average * params.volume_factor
        high = volume > threshold
        relation = ">" if high else "<="
        detail = f"volume {volume:.6g} {relation} {params.volume_factor:g} x SMA{params.volume_period} {average:.6g}"
        return _side_vote(high, high, direction), volume, detail
    raise ValueError(f"confirmations: unknown confirmation {name!r}")


def describe_confirmation(
    detail: str, name: str, *, vote: int, direction: int, primary: str | None, counted: tuple[str, ...]
) -> str:
    """``detail`` plus whether the confirmation counted for the triggered direction, and why not."""
    if direction == 0 or primary is None:
        return detail
    if name in counted:
        return f"{detail}; counted"
    if vote == direction:
        return f"{detail}; not counted: same {FAMILY[name]} family as the trigger {primary}"
    return f"{detail}; does not confirm"


def gate_vote(atr_pct: float, params: StrategySettings) -> tuple[bool, str]:
    """The volatility gate: ATR % of close within [atr_min_pct, atr_max_pct] and above zero.

    Zero is refused even when ``atr_min_pct`` is 0: flat candles give no ATR-based stop distance and
    no move to scalp.
    """
    passed = atr_pct > 0.0 and atr_pct >= params.atr_min_pct and atr_pct <= params.atr_max_pct
    band = f"[{params.atr_min_pct:g}%, {params.atr_max_pct:g}%]"
    if passed:
        return True, f"ATR {atr_pct:.4f}% of close within {band}"
    if atr_pct == 0.0:
        return False, "ATR is zero (no price movement)"
    side = "below" if atr_pct < params.atr_min_pct else "above"
    return False, f"ATR {atr_pct:.4f}% of close {side} {band}"


def _vote(up: bool, down: bool) -> int:
    return 1 if up else -1 if down else 0


def _side_vote(long_ok: bool, short_ok: bool, direction: int) -> int:
    if long_ok and short_ok:
        return direction
    return 1 if long_ok else -1 if short_ok else 0


def _cross_detail(vote: int, first: str, second: str, above: bool) -> str:
    if vote == 1:
        return f"{first} crossed above {second}"
    if vote == -1:
        return f"{first} crossed below {second}"
    return f"{first} {'above' if above else 'not above'} {second}, no cross"
