"""Trades (positions the bot held) and the reports computed from them.

Sign conventions, used by every caller and every report: ``fees`` is the total commission paid
(positive = cost); ``funding`` is positive when received and negative when paid; ``realized_pnl`` is
the trade's net result, price PnL minus fees plus funding, exactly as the OrderCore computes it for
``PositionClosed``. Fees and funding are stored separately for the reports; they are already in
``realized_pnl``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from storage import _codec as codec
from storage._base import _StoreBase
from storage.errors import DuplicateRecordError, RecordNotFoundError, StateConflictError
from storage.orders import apply_order_update, order_changes
from storage.records import (
    TradeOrigin,
    TradeRecord,
    TradeSide,
    TradeStatus,
    validate_exit_reason,
)
from storage.reports import Performance, Summary, analyze_performance, summarize


def _leverage(_name: str, value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"leverage must be an int >= 1, got {value!r}")
    return value


def _profile(_name: str, value: str | None) -> str | None:
    if value is not None and not isinstance(value, str):
        raise TypeError(f"profile must be a str or None, got {value!r}")
    return value


_TRADE_CHANGES = {
    "entry_time_ms": codec.timestamp,
    "entry_price": codec.finite,
    "quantity": codec.finite,
    "leverage": _leverage,
    "stop_price": codec.optional_finite,
    "take_profits": lambda _name, value: codec.dump_take_profits(value),
    "fees": codec.finite,
    "funding": codec.finite,
    "profile": _profile,
}


def _trade_record(row: Mapping[str, Any]) -> TradeRecord:
    return TradeRecord(
        id=row["id"],
        correlation_id=row["correlation_id"],
        symbol=row["symbol"],
        side=TradeSide(row["side"]),
        status=TradeStatus(row["status"]),
        entry_time_ms=row["entry_time_ms"],
        entry_price=row["entry_price"],
        quantity=row["quantity"],
        leverage=row["leverage"],
        exit_time_ms=row["exit_time_ms"],
        exit_price=row["exit_price"],
        fees=row["fees"],
        funding=row["funding"],
        realized_pnl=row["realized_pnl"],
        exit_reason=row["exit_reason"],
        profile=row["profile"],
        stop_price=row["stop_price"],
        take_profits=codec.load_take_profits(row["take_profits"]),
        origin=TradeOrigin(row["origin"]),
        created_ms=row["created_ms"],
        updated_ms=row["updated_ms"],
    )


class TradeStore(_StoreBase):
    """Trades and reports (mixed into :class:`storage.Storage`)."""

    def _trade_row(self, correlation_id: str, operation: str) -> dict[str, Any]:
        trade = self._models.trade
        row = trade.select().where(trade.correlation_id == correlation_id).dicts().first()
        if row is None:
            raise RecordNotFoundError(
                f"{operation} failed on {self._path}: no trade with correlation id {correlation_id!r}",
                path=self._path,
                operation=operation,
            )
        return row

    def open_trade(
        self,
        *,
        correlation_id: str,
        symbol: str,
        side: TradeSide | str,
        entry_time_ms: int,
        entry_price: float,
        quantity: float,
        leverage: int,
        profile: str | None = None,
        stop_price: float | None = None,
        take_profits: Iterable[codec.TakeProfitInput] = (),
        origin: TradeOrigin | str = TradeOrigin.BOT,
        fees: float = 0.0,
    ) -> TradeRecord:
        """Record a new open position and link the orders already recorded with its correlation id.

        One open trade per symbol (one-way position mode): a second one raises
        :class:`~storage.errors.StateConflictError`; a reused correlation id raises
        :class:`~storage.errors.DuplicateRecordError`. Positions found on the exchange at start-up
        are recorded with ``origin="adopted"``.
        """
        operation = "open trade"
        now = self._now()
        values = {
            "correlation_id": codec.text("correlation_id", correlation_id),
            "symbol": codec.text("symbol", symbol),
            "side": TradeSide(side).value,
            "status": TradeStatus.OPEN.value,
            "entry_time_ms": codec.timestamp("entry_time_ms", entry_time_ms),
            "entry_price": codec.finite("entry_price", entry_price),
            "quantity": codec.finite("quantity", quantity),
            "leverage": _leverage("leverage", leverage),
            "profile": _profile("profile", profile),
            "stop_price": codec.optional_finite("stop_price", stop_price),
            "take_profits": codec.dump_take_profits(take_profits),
            "origin": TradeOrigin(origin).value,
            "fees": codec.finite("fees", fees),
            "created_ms": now,
            "updated_ms": now,
        }
        trade, order = self._models.trade, self._models.order
        with self._writing(operation):
            if trade.select().where(trade.correlation_id == correlation_id).exists():
                raise DuplicateRecordError(
                    f"{operation} failed on {self._path}: a trade with correlation id {correlation_id!r} "
                    "already exists",
                    path=self._path,
                    operation=operation,
                )
            other = (
                trade.select(trade.correlation_id)
                .where((trade.symbol == symbol) & (trade.status == TradeStatus.OPEN.value))
                .tuples()
                .first()
            )
            if other is not None:
                raise StateConflictError(
                    f"{operation} failed on {self._path}: {symbol} already has an open trade "
                    f"({other[0]}); close it before opening another",
                    path=self._path,
                    operation=operation,
                )
            trade_id = trade.insert(**values).execute()
            order.update(trade=trade_id).where(
                (order.correlation_id == correlation_id) & order.trade.is_null()
            ).execute()
            row = trade.select().where(trade.id == trade_id).dicts().get()
        return _trade_record(row)

    def update_trade(self, correlation_id: str, **changes: Any) -> TradeRecord:
        """Change a trade's plan or running totals (stop moved to break-even, entry partially filled,
        fees and funding accrued...). Accepted fields: ``entry_time_ms``, ``entry_price``,
        ``quantity``, ``leverage``, ``stop_price``, ``take_profits``, ``fees``, ``funding``,
        ``profile``. Closed trades may be corrected too (a commission reported late).
        """
        unknown = sorted(set(changes) - set(_TRADE_CHANGES))
        if unknown:
            raise TypeError(f"cannot update trade field(s) {unknown}; allowed: {sorted(_TRADE_CHANGES)}")
        values = {name: _TRADE_CHANGES[name](name, value) for name, value in changes.items()}
        trade = self._models.trade
        operation = "update trade"
        with self._writing(operation):
            self._trade_row(correlation_id, operation)
            trade.update(**values, updated_ms=self._now()).where(trade.correlation_id == correlation_id).execute()
            row = self._trade_row(correlation_id, operation)
        return _trade_record(row)

    def close_trade(
        self,
        correlation_id: str,
        *,
        exit_time_ms: int,
        exit_price: float,
        reason: str,
        realized_pnl: float,
        fees: float,
        funding: float | None = None,
        order_updates: Mapping[str, Mapping[str, Any]] | None = None,
    ) -> TradeRecord:
        """Close an open trade, and apply ``order_updates`` (client order id → fields, as in
        :meth:`update_order`) in the same transaction: either all of it is stored or nothing.

        ``fees`` is the trade's total commission and ``realized_pnl`` its net result (fees and
        funding included); ``funding=None`` keeps the funding accrued so far. Closing a trade that is not open raises
        :class:`~storage.errors.StateConflictError`.
        """
        operation = "close trade"
        values = {
            "status": TradeStatus.CLOSED.value,
            "exit_time_ms": codec.timestamp("exit_time_ms", exit_time_ms),
            "exit_price": codec.finite("exit_price", exit_price),
            "exit_reason": validate_exit_reason(reason),
            "realized_pnl": codec.finite("realized_pnl", realized_pnl),
            "fees": codec.finite("fees", fees),
        }
        if funding is not None:
            values["funding"] = codec.finite("funding", funding)
        updates = {client_id: order_changes(changes) for client_id, changes in (order_updates or {}).items()}
        trade = self._models.trade
        now = self._now()
        with self._writing(operation):
            row = self._trade_row(correlation_id, operation)
            if row["status"] != TradeStatus.OPEN.value:
                raise StateConflictError(
                    f"{operation} failed on {self._path}: trade {correlation_id!r} is already closed",
                    path=self._path,
                    operation=operation,
                )
            trade.update(**values, updated_ms=now).where(trade.id == row["id"]).execute()
            for client_id, changes in updates.items():
                apply_order_update(self._models, client_id, changes, path=self._path, now_ms=now, operation=operation)
            row = self._trade_row(correlation_id, operation)
        return _trade_record(row)

    def trade_by_correlation_id(self, correlation_id: str) -> TradeRecord | None:
        trade = self._models.trade
        with self._reading("read trade"):
            row = trade.select().where(trade.correlation_id == correlation_id).dicts().first()
        return None if row is None else _trade_record(row)

    def open_trades(self, symbol: str | None = None) -> tuple[TradeRecord, ...]:
        """Open trades, oldest entry first."""
        return self.trades(symbol=symbol, status=TradeStatus.OPEN)

    def trades(
        self,
        since_ms: int | None = None,
        until_ms: int | None = None,
        *,
        symbol: str | None = None,
        status: TradeStatus | str | None = None,
    ) -> tuple[TradeRecord, ...]:
        """Trades whose *entry* time is in ``[since_ms, until_ms)``, oldest entry first."""
        trade = self._models.trade
        query = trade.select()
        if since_ms is not None:
            query = query.where(trade.entry_time_ms >= since_ms)
        if until_ms is not None:
            query = query.where(trade.entry_time_ms < until_ms)
        if symbol is not None:
            query = query.where(trade.symbol == symbol)
        if status is not None:
            query = query.where(trade.status == TradeStatus(status).value)
        with self._reading("read trades"):
            rows = list(query.order_by(trade.entry_time_ms, trade.id).dicts())
        return tuple(_trade_record(row) for row in rows)

    def closed_trades(self, since_ms: int | None = None, until_ms: int | None = None) -> tuple[TradeRecord, ...]:
        """Closed trades whose *exit* time is in ``[since_ms, until_ms)``, in exit order."""
        trade = self._models.trade
        query = trade.select().where(trade.status == TradeStatus.CLOSED.value)
        if since_ms is not None:
            query = query.where(trade.exit_time_ms >= since_ms)
        if until_ms is not None:
            query = query.where(trade.exit_time_ms < until_ms)
        with self._reading("read closed trades"):
            rows = list(query.order_by(trade.exit_time_ms, trade.id).dicts())
        return tuple(_trade_record(row) for row in rows)

    def summary(self, since_ms: int | None = None, until_ms: int | None = None) -> Summary:
        """Totals over trades closed in ``[since_ms, until_ms)`` (e.g. since UTC midnight)."""
        return summarize(self.closed_trades(since_ms, until_ms))

    def performance(self, since_ms: int | None = None, until_ms: int | None = None) -> Performance:
        """PnL per hour, day, symbol and exit reason, average hold and the current losing streaks,
        over trades closed in ``[since_ms, until_ms)``."""
        return analyze_performance(self.closed_trades(since_ms, until_ms))
