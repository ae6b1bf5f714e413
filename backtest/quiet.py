"""Can anything happen on the exchange during this minute? A cheap, conservative check.

Why: while positions are open the backtest advances the engine twice a minute (to T-1 ms, where the
bot reacts to the minute's fills, then to T); each advance rescans every active symbol's levels in
Python. Most minutes nothing is touched. When the candle's whole range stays clear of every live order
level and of the zone where liquidation or a margin call could start, the engine has nothing to report
before T, so the T-1 step is skipped: the same events are then reported by the step to T, at the same
engine times. Anything unusual (a position not fully protected, a request in flight, cross margin,
high leverage, a timer due) means: do the step.
"""

from __future__ import annotations

from backtest.signals import SignalBook
from core.orders.position import ManagedPosition

# Distance from entry inside which a liquidation or margin call could begin, as a fraction of price:
# isolated margin is 1/leverage of the notional; the margin call comes at maintenance/0.8 (at most
# 0.02/0.8 of notional in the first brackets). Keep a further 0.1 % for fees and funding.
_MAINTENANCE_ALLOWANCE = 0.02 / 0.8 + 0.001


def _levels(position: ManagedPosition) -> list[float] | None:
    """Live trigger/limit prices of a protected position, or None when it is not in a plain state."""
    stop = position.stop
    if position.state != "open" or stop is None or stop.status != "open" or stop.trigger_price is None:
        return None
    levels = [float(stop.trigger_price)]
    for child in position.children():
        if child.status in ("sending", "unknown"):
            return None
        if child.kind == "take_profit" and child.status == "open":
            price = child.price if child.price is not None else child.trigger_price
            if price is None:
                return None
            levels.append(float(price))
    return levels


def minute_is_quiet(book: SignalBook, positions: dict[str, ManagedPosition], close_time: int) -> bool:
    """True when no order, liquidation or margin-call level can be reached by the candles that close at
    ``close_time`` (strictly inside the minute; the minute's boundaries are always stepped)."""
    for symbol, position in positions.items():
        levels = _levels(position)
        if levels is None:
            return False
        margin_zone = 1.0 / max(position.leverage, 1) - _MAINTENANCE_ALLOWANCE
        if margin_zone < 0.002:
            return False
        i = book.index_closing_at(symbol, close_time)
        if i < 0:
            continue  # a gap: the price stands still, nothing can fire
        features = book.symbols[symbol]
        low, high = float(features.low[i]), float(features.high[i])
        if any(low <= level <= high for level in levels):
            return False
        entry = float(position.entry_price)
        if position.side == "long" and low <= entry * (1.0 - margin_zone):
            return False
        if position.side == "short" and high >= entry * (1.0 + margin_zone):
            return False
    return True
