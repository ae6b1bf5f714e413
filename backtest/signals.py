"""ScalpingV1 over whole series at once: where it signals, and the full decision only where it does.

Why: a month of 16 symbols is ~700k candles; the strategy decides NONE on nine in ten of them. The live
SymbolActor runs ``evaluate`` on its buffer for every candle; here ``compute_features`` +
``direction_series`` find the signal candles in one vectorised pass and ``decision_at`` (the same code
``evaluate`` ends in) explains only those, so the backtest sends the RiskCore the very decisions the
live bot would, at a fraction of the cost. Features use each candle and the ones before it only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from config.sections import OrderSettings, StrategySettings
from core.ids import make_correlation_id
from core.symbols import to_ccxt
from indicators import LONG, NONE, SHORT, ScalpingFeatures, compute_features, decision_at, direction_series
from indicators.scalping_v1 import _protective_prices as protective_prices
from messages.signals import Direction, SignalBreakdown, SignalGenerated, StrategyDecision
from simulator.candles import MINUTE_MS, CandleSeries


@dataclass(frozen=True, slots=True)
class SymbolSignals:
    """One symbol's candles, features and direction per candle."""

    symbol: str  # ccxt form, as the bot's messages carry it
    close_times: np.ndarray
    high: np.ndarray
    low: np.ndarray
    close: np.ndarray
    features: ScalpingFeatures
    directions: np.ndarray


class SignalBook:
    """Every symbol's signals, indexed by candle close time."""

    def __init__(self, series: Mapping[str, CandleSeries], strategy: StrategySettings, orders: OrderSettings,
                 timeframe: str = "1m") -> None:
        self.strategy = strategy
        self.orders = orders
        self.timeframe = timeframe
        self.symbols: dict[str, SymbolSignals] = {}
        for name in sorted(series):
            t, o, h, low, c, v = series[name].view()
            features = compute_features(o, h, low, c, v, strategy, open_time=t)
            symbol = to_ccxt(name)
            self.symbols[symbol] = SymbolSignals(symbol=symbol, close_times=t + MINUTE_MS, high=h, low=low, close=c,
                                                 features=features,
                                                 directions=direction_series(features, strategy))
        self._by_time = self._index()

    def _index(self) -> dict[int, list[tuple[str, int]]]:
        """close time → [(symbol, candle index)] of the non-NONE candles, symbols in sorted order."""
        index: dict[int, list[tuple[str, int]]] = {}
        for symbol, sig in self.symbols.items():
            rows = np.flatnonzero(sig.directions)
            for time, i in zip(sig.close_times[rows].tolist(), rows.tolist(), strict=True):
                index.setdefault(time, []).append((symbol, i))
        return index

    def signal_times(self, after: int, upto: int) -> list[int]:
        """Sorted close times in (after, upto] at which any symbol signals."""
        return sorted(t for t in self._by_time if after < t <= upto)

    def candidates(self, close_time: int) -> list[tuple[str, int]]:
        return self._by_time.get(close_time, [])

    def index_closing_at(self, symbol: str, close_time: int) -> int:
        """Index of ``symbol``'s candle closing at ``close_time``, or -1 (a gap, or outside the data)."""
        times = self.symbols[symbol].close_times
        i = int(times.searchsorted(close_time))
        return i if i < len(times) and int(times[i]) == close_time else -1

    def close_at(self, symbol: str, close_time: int) -> float | None:
        i = self.index_closing_at(symbol, close_time)
        return float(self.symbols[symbol].close[i]) if i >= 0 else None

    def signal(self, symbol: str, i: int, now: int) -> SignalGenerated:
        """The SignalGenerated a SymbolActor sends for candle ``i``, with the full breakdown."""
        sig = self.symbols[symbol]
        decision = decision_at(sig.features, i, self.strategy, self.orders)
        return self._message(symbol, int(sig.close_times[i]), decision, now)

    def quick_signal(self, symbol: str, i: int, now: int) -> SignalGenerated:
        """The same signal without the per-component breakdown (its reason says so).

        Everything the RiskCore and the OrderCore read is identical to ``signal``: the direction is
        ``direction_series``' (tested equal to ``decision_at``'s on every candle), close and ATR are the
        same feature values, and stop and take-profits come from the strategy's own function. The
        breakdown costs ~20 µs a signal and most signals of a month are denied anyway (a position is
        open, the daily limit is hit): the backtest explains only the entries it takes (``signal``).
        """
        sig = self.symbols[symbol]
        direction = int(sig.directions[i])
        close = float(sig.close[i])
        atr = float(sig.features.atr[i])
        stop, take_profits = protective_prices(direction, close, atr, self.strategy, self.orders)
        decision = StrategyDecision(direction=_DIRECTIONS[direction],
                                    candle_open_time=int(sig.close_times[i]) - MINUTE_MS, close=close, atr=atr,
                                    stop_price=stop, take_profit_prices=take_profits, breakdown=_NOT_EXPLAINED)
        return self._message(symbol, int(sig.close_times[i]), decision, now)

    def none_signal(self, symbol: str, i: int, now: int) -> SignalGenerated:
        """A NONE signal carrying the close: what the RiskCore gets from a symbol that did not signal
        (it keeps the last price of an open position current); its reason is not worked out here."""
        sig = self.symbols[symbol]
        close = float(sig.close[i])
        decision = StrategyDecision(
            direction="NONE", candle_open_time=int(sig.close_times[i]) - MINUTE_MS, close=close,
            atr=float(sig.features.atr[i]) if np.isfinite(sig.features.atr[i]) else 0.0, stop_price=None,
            take_profit_prices=(), breakdown=_NO_SIGNAL)
        return self._message(symbol, int(sig.close_times[i]), decision, now)

    def _message(self, symbol: str, close_time: int, decision: StrategyDecision, now: int) -> SignalGenerated:
        return SignalGenerated(ts_event=close_time, ts_init=now, correlation_id=make_correlation_id(symbol, close_time),
                               symbol=symbol, timeframe=self.timeframe, candle_close_time=close_time,
                               decision=decision)


_DIRECTIONS: dict[int, Direction] = {LONG: "LONG", SHORT: "SHORT", NONE: "NONE"}
_NOT_EXPLAINED = SignalBreakdown(components=(), trigger=None, confirmations=(), atr_pct=0.0, atr_gate_passed=True,
                                 reason="not explained by the backtest (only the entries it takes are)")
_NO_SIGNAL = SignalBreakdown(components=(), trigger=None, confirmations=(), atr_pct=0.0, atr_gate_passed=False,
                             reason="no signal (not evaluated in detail by the backtest)")
