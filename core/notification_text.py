"""The words for important events: one short text per event, the same for the log, ``/logs`` and Telegram."""

from __future__ import annotations

from messages.market import FeedRecovered, FeedStale
from messages.notifications import Notify
from messages.orders import (
    EmergencyCloseCompleted,
    OrderRejected,
    PositionClosed,
    PositionOpened,
    PositionReduced,
)
from messages.risk import DailyLossLimitHit, TradingPaused, TradingResumed
from messages.runtime import ReconciliationDone
from messages.supervision import ChildFailed, SharedActorGaveUp, SymbolQuarantined


def describe(event: object, now: int) -> Notify | None:
    """A ``Notify`` for an event worth telling the owner about; None for the rest."""
    match event:
        case Notify():
            return event
        case PositionOpened():
            origin = " (adopted)" if event.origin == "adopted" else ""
            tps = ", ".join(f"{p:g}" for p in event.take_profit_prices) or "none"
            return _n(now, "entry", "info", f"OPEN {event.side.upper()} {event.symbol}{origin}: {event.quantity:g} @ "
                      f"{event.entry_price:g}, stop {event.stop_price:g}, TP {tps}, {event.leverage}x",
                      event.symbol, event.correlation_id)
        case PositionReduced():
            return _n(now, "exit", "info", f"TP{event.step} {event.symbol}: {event.quantity:g} @ {event.price:g}, "
                      f"{event.remaining:g} left", event.symbol, event.correlation_id)
        case PositionClosed():
            return _n(now, "exit", "info", f"CLOSED {event.side.upper()} {event.symbol} by {event.exit_reason}: "
                      f"exit {event.exit_price:g}, PnL {event.realized_pnl:+.2f} USDC (fees {event.fees:.2f})",
                      event.symbol, event.correlation_id)
        case TradingPaused():
            until = f" until {_utc(event.until_ms)}" if event.until_ms else ""
            return _n(now, "pause", "warning", f"Entries PAUSED ({event.source}): {event.reason}{until}")
        case TradingResumed():
            return _n(now, "pause", "info", f"Entries RESUMED ({event.source}): {event.reason}")
        case DailyLossLimitHit():
            return _n(now, "risk_limit", "warning",
                      f"Daily loss limit {event.limit_pct}% hit: equity {event.equity:.2f} vs "
                      f"{event.day_start_equity:.2f} at the start of the UTC day")
        case SymbolQuarantined():
            return _n(now, "quarantine", "error", f"{event.symbol} QUARANTINED after {event.failures} failures: "
                      f"{event.last_error}. No new entries on it; its stop stays.", event.symbol)
        case SharedActorGaveUp():
            return _n(now, "error", "error", f"{event.name} failed {event.failures} times ({event.last_error}): "
                      "shutting down for the service manager to restart the bot")
        case ChildFailed():
            return _n(now, "error", "error", f"{event.name} {'hung' if event.hung else 'crashed'}: {event.error}")
        case FeedStale():
            return _n(now, "feed", "warning", f"{event.symbol}: market stream silent, REST polling took over",
                      event.symbol)
        case FeedRecovered():
            return _n(now, "feed", "info", f"{event.symbol}: market stream back after {event.outage_ms / 1000:.0f}s",
                      event.symbol)
        case ReconciliationDone():
            level = "info" if event.ok else "error"
            return _n(now, "reconciliation", level, f"Reconciliation {'done' if event.ok else 'FAILED'}: "
                      f"{event.detail}; wallet {event.wallet_balance:.2f} USDC")
        case EmergencyCloseCompleted():
            closed = ", ".join(event.closed_positions) or "no position was open"
            head = "EMERGENCY CLOSE done: the account is FLAT" if event.flat else \
                "EMERGENCY CLOSE INCOMPLETE: positions or orders REMAIN, check the exchange"
            errors = f"; errors: {'; '.join(event.errors)}" if event.errors else ""
            return _n(now, "info", "warning" if event.flat else "error",
                      f"{head}. Closed: {closed}. Cancelled {event.cancelled_orders} orders and "
                      f"{event.cancelled_algo_orders} algo orders in {event.rounds} round(s){errors}. "
                      "New entries stay paused until /resume.")
        case OrderRejected():
            return _n(now, "error", "warning", f"{event.kind} order on {event.symbol} rejected: {event.code} "
                      f"{event.reason}", event.symbol, event.correlation_id)
    return None


def _n(now: int, kind: str, level: str, text: str, symbol: str = "", correlation_id: str = "") -> Notify:
    return Notify(ts_event=now, ts_init=now, kind=kind, level=level, text=text, symbol=symbol,  # type: ignore[arg-type]
                  correlation_id=correlation_id)


def _utc(ms: int) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(ms / 1000, tz=dt.UTC).strftime("%Y-%m-%d %H:%M UTC")
