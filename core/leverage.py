"""LeverageManager: the leverage of each entry, from the symbol's volatility and the recent win rate.

Why: the stop distance fixes the money at risk, but leverage fixes the margin a position ties up and
how close liquidation sits to the stop. Calm markets allow more; wild ones, or a losing streak, less.
Always within the profile's bounds and the exchange's leverage brackets. Used by live and backtest.
"""

from __future__ import annotations

from collections import deque


class LeverageManager:
    """Chooses an integer leverage in ``[min_leverage, max_leverage]``."""

    def __init__(
        self,
        base: int,
        min_leverage: int,
        max_leverage: int,
        reference_atr_pct: float = 0.15,
        window: int = 20,
        min_trades: int = 10,
    ) -> None:
        if not 1 <= min_leverage <= base <= max_leverage:
            raise ValueError(f"need 1 <= min {min_leverage} <= base {base} <= max {max_leverage}")
        self.base = base
        self.min_leverage = min_leverage
        self.max_leverage = max_leverage
        self.reference_atr_pct = reference_atr_pct
        self.min_trades = min_trades
        self._results: deque[bool] = deque(maxlen=window)

    def record_trade(self, won: bool) -> None:
        self._results.append(won)

    @property
    def recent_win_rate(self) -> float | None:
        if len(self._results) < self.min_trades:
            return None
        return sum(self._results) / len(self._results)

    def choose(self, atr_pct: float, bracket_max_leverage: int | None = None) -> int:
        """Base leverage × volatility factor (0.5–2, inverse to ATR %) × performance factor."""
        volatility = 1.0 if atr_pct <= 0 else min(2.0, max(0.5, self.reference_atr_pct / atr_pct))
        win_rate = self.recent_win_rate
        performance = 1.0
        if win_rate is not None:
            performance = 0.5 if win_rate < 0.45 else 1.25 if win_rate > 0.6 else 1.0
        leverage = max(self.min_leverage, min(self.max_leverage, round(self.base * volatility * performance)))
        if bracket_max_leverage is not None:  # the exchange's limit is hard, even below the profile's minimum
            leverage = min(leverage, max(1, bracket_max_leverage))
        return leverage
