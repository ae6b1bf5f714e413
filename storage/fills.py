"""Fills: every execution, stored once.

Fills are keyed by ``(symbol, exchange trade id)``: the same execution reported by the user stream
and by a REST catch-up is stored once. A fill is tied to its trade by correlation id; when the caller
only knows the exchange order id (REST ``userTrades``), the client order id and correlation id are
looked up from the stored order in the same transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from storage import _codec as codec
from storage._base import _StoreBase
from storage.records import FillRecord, OrderSide


def _fill_record(row: Mapping[str, Any]) -> FillRecord:
    return FillRecord(
        id=row["id"],
        exchange_trade_id=row["exchange_trade_id"],
        symbol=row["symbol"],
        correlation_id=row["correlation_id"],
        client_order_id=row["client_order_id"],
        exchange_order_id=row["exchange_order_id"],
        side=OrderSide(row["side"]),
        price=row["price"],
        qty=row["qty"],
        fee=row["fee"],
        fee_asset=row["fee_asset"],
        realized_pnl=row["realized_pnl"],
        is_maker=bool(row["is_maker"]),
        ts_ms=row["ts_ms"],
    )


class FillStore(_StoreBase):
    """Fills (mixed into :class:`storage.Storage`)."""

    def record_fill(
        self,
        *,
        exchange_trade_id: str | int,
        symbol: str,
        side: OrderSide | str,
        price: codec.Number,
        qty: codec.Number,
        fee: codec.Number,
        fee_asset: str,
        ts_ms: int,
        correlation_id: str | None = None,
        client_order_id: str | None = None,
        exchange_order_id: str | int | None = None,
        realized_pnl: codec.Number = 0.0,
        is_maker: bool = False,
    ) -> bool:
        """Store one execution; ``False`` when it was already stored (same symbol and trade id).

        ``fee`` is the commission charged (positive = paid), ``realized_pnl`` what the exchange
        reports for the fill (before fees).
        """
        trade_id = codec.exchange_id("exchange_trade_id", exchange_trade_id)
        if trade_id is None:
            raise ValueError("exchange_trade_id is required")
        values = {
            "exchange_trade_id": trade_id,
            "symbol": codec.text("symbol", symbol),
            "side": OrderSide(side).value,
            "price": codec.finite("price", price),
            "qty": codec.finite("qty", qty),
            "fee": codec.finite("fee", fee),
            "fee_asset": codec.text("fee_asset", fee_asset),
            "ts_ms": codec.timestamp("ts_ms", ts_ms),
            "correlation_id": codec.optional_text("correlation_id", correlation_id),
            "client_order_id": codec.optional_text("client_order_id", client_order_id),
            "exchange_order_id": codec.exchange_id("exchange_order_id", exchange_order_id),
            "realized_pnl": codec.finite("realized_pnl", realized_pnl),
            "is_maker": bool(is_maker),
            "created_ms": self._now(),
        }
        fill, order = self._models.fill, self._models.order
        with self._writing("record fill"):
            if values["client_order_id"] is None and values["exchange_order_id"] is not None:
                condition = (
                    (order.symbol == values["symbol"])
                    & (order.is_algo == False)  # noqa: E712 (a peewee expression, not a comparison)
                    & (order.exchange_order_id == values["exchange_order_id"])
                )
                found = order.select(order.client_order_id).where(condition).tuples().first()
                values["client_order_id"] = found[0] if found else None
            if values["correlation_id"] is None and values["client_order_id"] is not None:
                found = (
                    order.select(order.correlation_id)
                    .where(order.client_order_id == values["client_order_id"])
                    .tuples()
                    .first()
                )
                values["correlation_id"] = found[0] if found else None
            inserted = (
                fill.insert(**values)
                .on_conflict(action="nothing", conflict_target=[fill.symbol, fill.exchange_trade_id])
                .as_rowcount()
                .execute()
            )
        return inserted == 1

    def fills_for_order(self, client_order_id: str) -> tuple[FillRecord, ...]:
        fill = self._models.fill
        with self._reading("read fills"):
            rows = list(
                fill.select().where(fill.client_order_id == client_order_id).order_by(fill.ts_ms, fill.id).dicts()
            )
        return tuple(_fill_record(row) for row in rows)

    def fills_for_trade(self, correlation_id: str) -> tuple[FillRecord, ...]:
        """Fills with this correlation id or belonging to one of the trade's orders, in time order."""
        fill, order, trade = self._models.fill, self._models.order, self._models.trade
        trade_ids = trade.select(trade.id).where(trade.correlation_id == correlation_id)
        client_ids = order.select(order.client_order_id).where(
            (order.correlation_id == correlation_id) | order.trade.in_(trade_ids)
        )
        condition = (fill.correlation_id == correlation_id) | fill.client_order_id.in_(client_ids)
        with self._reading("read fills"):
            rows = list(fill.select().where(condition).order_by(fill.ts_ms, fill.id).dicts())
        return tuple(_fill_record(row) for row in rows)

    def latest_fill_ts(self, symbol: str | None = None) -> int | None:
        """Time of the newest stored fill: where a REST catch-up of missed fills should start."""
        fill = self._models.fill
        query = fill.select(fill.ts_ms).order_by(fill.ts_ms.desc()).limit(1)
        if symbol is not None:
            query = query.where(fill.symbol == symbol)
        with self._reading("read fills"):
            row = query.tuples().first()
        return None if row is None else int(row[0])
