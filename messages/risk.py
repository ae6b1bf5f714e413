"""RiskGuard's decisions and state changes."""

from __future__ import annotations

from messages.base import Event, Message, Side


class EntryApproved(Event, frozen=True, kw_only=True):
    """RiskGuard lets an entry through. The OrderActor sizes and places it from these figures."""

    correlation_id: str
    symbol: str
    side: Side
    reference_price: float
    stop_price: float
    take_profit_prices: tuple[float, ...]
    leverage: int
    risk_amount: float
    sizing_balance: float
    available_balance: float


class EntryDenied(Event, frozen=True, kw_only=True):
    """RiskGuard refuses an entry; ``reason`` is a short code, ``detail`` the human text."""

    correlation_id: str
    symbol: str
    side: Side
    reason: str
    detail: str


class TradingPaused(Event, frozen=True, kw_only=True):
    """New entries stop (positions stay protected). ``until_ms`` None: until resumed."""

    reason: str
    source: str
    until_ms: int | None


class TradingResumed(Event, frozen=True, kw_only=True):
    """New entries are allowed again."""

    reason: str
    source: str


class DailyLossLimitHit(Event, frozen=True, kw_only=True):
    """The day's PnL fell below the limit: no entries until the next UTC day."""

    day_start_equity: float
    equity: float
    limit_pct: float


class RiskStatus(Message, frozen=True, kw_only=True):
    """A snapshot for ``/risk``: limits, today's PnL against the limit, streak, pause state and why."""

    ts: int
    paused: bool
    pause_reasons: tuple[str, ...]
    pause_until_ms: int | None
    day_start_equity: float
    equity: float
    daily_pnl: float
    daily_loss_limit_pct: float
    stop_loss_streak: int
    stop_loss_streak_limit: int
    open_positions: int
    max_concurrent_positions: int
    reconciled: bool
