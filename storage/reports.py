"""Report arithmetic over closed trades: pure functions, no database.

Kept apart from the queries so the same numbers can be computed for a backtest's in-memory trades
and tested without SQLite. Conventions, stated once:

- Only closed trades count; each is attributed to the UTC hour/day of its *exit* (when the PnL was
  realized).
- ``realized_pnl`` is each trade's net result (fees and funding already included); the fee and
  funding totals are reported beside it for information.
- A win is ``realized_pnl > 0``, a loss ``< 0``, anything else break-even. Because fees are
  included, a break-even stop usually counts as a small loss, which is what it is.
- Sums use ``math.fsum`` so that per-bucket totals add up to the overall total.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime

from storage.records import ExitReason, TradeRecord

__all__ = ["Performance", "PnlBucket", "Summary", "analyze_performance", "summarize"]

_STOP_LIKE_EXITS = frozenset({ExitReason.STOP_LOSS.value, ExitReason.LIQUIDATION.value})


@dataclass(frozen=True, slots=True)
class Summary:
    """Totals over closed trades. Rates and averages are ``None`` when there is no trade."""

    total_trades: int
    wins: int
    losses: int
    breakeven: int
    win_rate: float | None
    realized_pnl: float
    fees: float
    funding: float
    average_pnl: float | None
    best_trade: TradeRecord | None
    worst_trade: TradeRecord | None


@dataclass(frozen=True, slots=True)
class PnlBucket:
    """Closed trades grouped by one key (an hour, a day, a symbol, an exit reason)."""

    key: str
    trades: int
    wins: int
    losses: int
    pnl: float
    fees: float

    @property
    def win_rate(self) -> float | None:
        return self.wins / self.trades if self.trades else None


@dataclass(frozen=True, slots=True)
class Performance:
    """Where the PnL came from.

    ``by_hour`` keys are UTC clock hours (``"2025-05-04 13:00"``), ``by_hour_of_day`` the hour of
    the day over all days (``"13"``), ``by_day`` UTC dates (``"2025-05-04"``); time buckets are in
    chronological order, the others sorted by key. ``stop_loss_streak`` counts the most recent
    consecutive exits by ``stop_loss`` or ``liquidation``; ``loss_streak`` the most recent
    consecutive losing trades.
    """

    trades: int
    by_hour: tuple[PnlBucket, ...]
    by_hour_of_day: tuple[PnlBucket, ...]
    by_day: tuple[PnlBucket, ...]
    by_symbol: tuple[PnlBucket, ...]
    by_exit_reason: tuple[PnlBucket, ...]
    average_hold_ms: float | None
    stop_loss_streak: int
    loss_streak: int


def _closed(trades: Iterable[TradeRecord]) -> list[TradeRecord]:
    """Closed trades in exit order (ties broken by id, i.e. insertion order)."""
    closed = [trade for trade in trades if trade.realized_pnl is not None and trade.exit_time_ms is not None]
    closed.sort(key=lambda trade: (trade.exit_time_ms, trade.id))
    return closed


def _pnl(trade: TradeRecord) -> float:
    assert trade.realized_pnl is not None  # _closed() keeps only trades with a realized PnL
    return trade.realized_pnl


def summarize(trades: Iterable[TradeRecord]) -> Summary:
    """Totals over the closed trades among ``trades`` (open ones are ignored)."""
    closed = _closed(trades)
    pnls = [_pnl(trade) for trade in closed]
    wins = sum(1 for pnl in pnls if pnl > 0)
    losses = sum(1 for pnl in pnls if pnl < 0)
    realized = math.fsum(pnls)
    total = len(closed)
    return Summary(
        total_trades=total,
        wins=wins,
        losses=losses,
        breakeven=total - wins - losses,
        win_rate=wins / total if total else None,
        realized_pnl=realized,
        fees=math.fsum(trade.fees for trade in closed),
        funding=math.fsum(trade.funding for trade in closed),
        average_pnl=realized / total if total else None,
        best_trade=max(closed, key=_pnl, default=None),  # max/min keep the first of equal values
        worst_trade=min(closed, key=_pnl, default=None),
    )


def _buckets(closed: list[TradeRecord], key: Callable[[TradeRecord], str], *, sort: bool) -> tuple[PnlBucket, ...]:
    groups: dict[str, list[TradeRecord]] = {}
    for trade in closed:
        groups.setdefault(key(trade), []).append(trade)
    keys = sorted(groups) if sort else list(groups)  # closed is in exit order: insertion = chronological
    return tuple(
        PnlBucket(
            key=name,
            trades=len(groups[name]),
            wins=sum(1 for trade in groups[name] if _pnl(trade) > 0),
            losses=sum(1 for trade in groups[name] if _pnl(trade) < 0),
            pnl=math.fsum(_pnl(trade) for trade in groups[name]),
            fees=math.fsum(trade.fees for trade in groups[name]),
        )
        for name in keys
    )


def _exit_utc(trade: TradeRecord) -> datetime:
    assert trade.exit_time_ms is not None
    return datetime.fromtimestamp(trade.exit_time_ms // 1000, tz=UTC)


def _streak(newest_first: Iterable[TradeRecord], counts: Callable[[TradeRecord], bool]) -> int:
    streak = 0
    for trade in newest_first:
        if not counts(trade):
            break
        streak += 1
    return streak


def analyze_performance(trades: Iterable[TradeRecord]) -> Performance:
    """Break the closed trades among ``trades`` down by time, symbol and exit reason."""
    closed = _closed(trades)
    holds = [trade.hold_ms for trade in closed if trade.hold_ms is not None]
    newest_first = closed[::-1]
    return Performance(
        trades=len(closed),
        by_hour=_buckets(closed, lambda trade: _exit_utc(trade).strftime("%Y-%m-%d %H:00"), sort=False),
        by_hour_of_day=_buckets(closed, lambda trade: _exit_utc(trade).strftime("%H"), sort=True),
        by_day=_buckets(closed, lambda trade: _exit_utc(trade).strftime("%Y-%m-%d"), sort=False),
        by_symbol=_buckets(closed, lambda trade: trade.symbol, sort=True),
        by_exit_reason=_buckets(closed, lambda trade: trade.exit_reason or "", sort=True),
        average_hold_ms=math.fsum(holds) / len(holds) if holds else None,
        stop_loss_streak=_streak(newest_first, lambda trade: trade.exit_reason in _STOP_LIKE_EXITS),
        loss_streak=_streak(newest_first, lambda trade: _pnl(trade) < 0),
    )
