"""Orders: the part of the database that start-up reconciliation relies on most.

The order life cycle is recorded so that a crash at any point leaves enough to ask the exchange the
right question: an ``intent`` row is committed *before* the request is sent, with the deterministic
client order id, so after a restart the bot queries that id instead of sending a duplicate.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from storage import _codec as codec
from storage._base import _StoreBase
from storage.errors import DuplicateRecordError, RecordNotFoundError, StateConflictError
from storage.models import Models
from storage.records import OrderKind, OrderRecord, OrderSide, OrderStatus, OrderType

_TERMINAL = tuple(status.value for status in OrderStatus if status.is_terminal)
_IDENTITY = ("symbol", "kind", "side", "is_algo")  # what a client order id may never change


def _optional_int(name: str, value: int | None) -> int | None:
    if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
        raise TypeError(f"{name} must be an int or None, got {value!r}")
    return value


_ORDER_CHANGES: dict[str, Callable[[str, Any], Any]] = {
    "status": lambda _name, value: OrderStatus(value).value,
    "exchange_order_id": codec.exchange_id,
    "is_algo": lambda _name, value: bool(value),
    "order_type": lambda _name, value: OrderType(value).value,
    "filled_qty": codec.finite,
    "avg_price": codec.optional_finite,
    "price": codec.optional_finite,
    "trigger_price": codec.optional_finite,
    "quantity": codec.optional_finite,
    "reduce_only": lambda _name, value: bool(value),
    "close_position": lambda _name, value: bool(value),
    "reject_code": _optional_int,
    "reject_reason": codec.optional_text,
}


def order_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Validate the fields an order update may change; unknown names are a programming error."""
    unknown = sorted(set(changes) - set(_ORDER_CHANGES))
    if unknown:
        raise TypeError(f"cannot update order field(s) {unknown}; allowed: {sorted(_ORDER_CHANGES)}")
    return {name: _ORDER_CHANGES[name](name, value) for name, value in changes.items()}


def order_record(row: Mapping[str, Any]) -> OrderRecord:
    return OrderRecord(
        id=row["id"],
        client_order_id=row["client_order_id"],
        exchange_order_id=row["exchange_order_id"],
        is_algo=bool(row["is_algo"]),
        symbol=row["symbol"],
        trade_id=row["trade"],
        correlation_id=row["correlation_id"],
        kind=OrderKind(row["kind"]),
        order_type=OrderType(row["order_type"]),
        side=OrderSide(row["side"]),
        price=row["price"],
        trigger_price=row["trigger_price"],
        quantity=row["quantity"],
        reduce_only=bool(row["reduce_only"]),
        close_position=bool(row["close_position"]),
        status=OrderStatus(row["status"]),
        filled_qty=row["filled_qty"],
        avg_price=row["avg_price"],
        reject_code=row["reject_code"],
        reject_reason=row["reject_reason"],
        created_ms=row["created_ms"],
        updated_ms=row["updated_ms"],
    )


def apply_order_update(
    models: Models, client_order_id: str, values: Mapping[str, Any], *, path: Path, now_ms: int, operation: str
) -> OrderRecord:
    """Update one order inside the caller's transaction and return the new state."""
    order = models.order
    updated = order.update(**values, updated_ms=now_ms).where(order.client_order_id == client_order_id).execute()
    if updated == 0:
        raise RecordNotFoundError(
            f"{operation} failed on {path}: no order with client order id {client_order_id!r}",
            path=path,
            operation=operation,
        )
    return order_record(order.select().where(order.client_order_id == client_order_id).dicts().get())


class OrderStore(_StoreBase):
    """Orders (mixed into :class:`storage.Storage`)."""

    def _new_order_values(self, fields: Mapping[str, Any]) -> dict[str, Any]:
        now = self._now()
        return {
            "client_order_id": codec.text("client_order_id", fields["client_order_id"]),
            "symbol": codec.text("symbol", fields["symbol"]),
            "kind": OrderKind(fields["kind"]).value,
            "order_type": OrderType(fields["order_type"]).value,
            "side": OrderSide(fields["side"]).value,
            "quantity": codec.optional_finite("quantity", fields["quantity"]),
            "price": codec.optional_finite("price", fields["price"]),
            "trigger_price": codec.optional_finite("trigger_price", fields["trigger_price"]),
            "reduce_only": bool(fields["reduce_only"]),
            "close_position": bool(fields["close_position"]),
            "correlation_id": codec.optional_text("correlation_id", fields["correlation_id"]),
            "is_algo": bool(fields["is_algo"]),
            "status": OrderStatus(fields["status"]).value,
            "exchange_order_id": codec.exchange_id("exchange_order_id", fields["exchange_order_id"]),
            "created_ms": now,
            "updated_ms": now,
        }

    def _insert_order(self, values: dict[str, Any]) -> OrderRecord:
        """Insert inside the caller's transaction, linked to the trade with the same correlation id."""
        order, trade = self._models.order, self._models.trade
        if values["correlation_id"] is not None:
            found = trade.select(trade.id).where(trade.correlation_id == values["correlation_id"]).tuples().first()
            values["trade"] = found[0] if found else None
        order_id = order.insert(**values).execute()
        return order_record(order.select().where(order.id == order_id).dicts().get())

    def record_order_intent(
        self,
        *,
        client_order_id: str,
        symbol: str,
        kind: OrderKind | str,
        order_type: OrderType | str,
        side: OrderSide | str,
        quantity: codec.Number | None = None,
        price: codec.Number | None = None,
        trigger_price: codec.Number | None = None,
        reduce_only: bool = False,
        close_position: bool = False,
        correlation_id: str | None = None,
        is_algo: bool = False,
        status: OrderStatus | str = OrderStatus.INTENT,
        exchange_order_id: str | int | None = None,
    ) -> OrderRecord:
        """Commit a new order *before* sending it; returns the stored record.

        The order is linked to the trade with the same ``correlation_id`` if that trade exists (an
        entry order usually precedes its trade: :meth:`open_trade` links it later). ``status`` and
        ``exchange_order_id`` are for recording an order found on the exchange during
        reconciliation. A client order id already present raises
        :class:`~storage.errors.DuplicateRecordError`: look it up with :meth:`order_by_client_id`.
        """
        values = self._new_order_values(locals())
        operation = "record order intent"
        order = self._models.order
        with self._writing(operation):
            if order.select().where(order.client_order_id == client_order_id).exists():
                raise DuplicateRecordError(
                    f"{operation} failed on {self._path}: an order with client order id {client_order_id!r} "
                    "already exists",
                    path=self._path,
                    operation=operation,
                )
            return self._insert_order(values)

    def upsert_order(
        self,
        *,
        client_order_id: str,
        symbol: str,
        kind: OrderKind | str,
        order_type: OrderType | str,
        side: OrderSide | str,
        status: OrderStatus | str,
        correlation_id: str | None = None,
        is_algo: bool = False,
        quantity: codec.Number | None = None,
        price: codec.Number | None = None,
        trigger_price: codec.Number | None = None,
        reduce_only: bool = False,
        close_position: bool = False,
        exchange_order_id: str | int | None = None,
        filled_qty: codec.Number | None = None,
        avg_price: codec.Number | None = None,
        reject_code: int | None = None,
        reject_reason: str | None = None,
    ) -> OrderRecord:
        """Insert the order, or bring the stored one with this client order id up to date, atomically.

        This is the shape of the OrderCore's ``OrderRecord`` effect (one row per client id, written
        again at every state change). On update, ``None`` keeps the stored value, so a known
        exchange id or average price is never erased. A client order id already used for another
        symbol, kind, side or id space raises :class:`~storage.errors.StateConflictError`.
        """
        values = self._new_order_values(locals())
        extra = {
            "filled_qty": codec.optional_finite("filled_qty", filled_qty),
            "avg_price": codec.optional_finite("avg_price", avg_price),
            "reject_code": _optional_int("reject_code", reject_code),
            "reject_reason": codec.optional_text("reject_reason", reject_reason),
        }
        operation = "upsert order"
        order = self._models.order
        with self._writing(operation):
            row = order.select().where(order.client_order_id == client_order_id).dicts().first()
            if row is None:
                values.update({name: value for name, value in extra.items() if value is not None})
                return self._insert_order(values)
            clash = [name for name in _IDENTITY if row[name] != values[name]]
            if clash:
                raise StateConflictError(
                    f"{operation} failed on {self._path}: client order id {client_order_id!r} is already used by "
                    f"an order with different {', '.join(clash)}",
                    path=self._path,
                    operation=operation,
                )
            changes = {
                name: value
                for name, value in {**values, **extra}.items()
                if value is not None and name not in (*_IDENTITY, "client_order_id", "created_ms", "updated_ms")
            }
            if row["correlation_id"] is not None:
                changes.pop("correlation_id", None)
            return apply_order_update(
                self._models, client_order_id, changes, path=self._path, now_ms=self._now(), operation=operation
            )

    def update_order(self, client_order_id: str, **changes: Any) -> OrderRecord:
        """Change an order's status/ids/fill state; returns the new state.

        Accepted fields: ``status``, ``exchange_order_id``, ``is_algo``, ``order_type``,
        ``filled_qty``, ``avg_price``, ``price``, ``trigger_price``, ``quantity``, ``reduce_only``,
        ``close_position``, ``reject_code``, ``reject_reason``. Values are stored as given: ordering
        exchange events (a late REST answer after a user-stream update) is the caller's job, and
        :attr:`OrderStatus.is_terminal` helps. Raises :class:`~storage.errors.RecordNotFoundError`
        for an unknown client order id.
        """
        values = order_changes(changes)
        with self._writing("update order"):
            return apply_order_update(
                self._models, client_order_id, values, path=self._path, now_ms=self._now(), operation="update order"
            )

    def order_by_client_id(self, client_order_id: str) -> OrderRecord | None:
        order = self._models.order
        with self._reading("read order"):
            row = order.select().where(order.client_order_id == client_order_id).dicts().first()
        return None if row is None else order_record(row)

    def order_by_exchange_id(
        self, symbol: str, exchange_order_id: str | int, *, is_algo: bool = False
    ) -> OrderRecord | None:
        """Find an order by exchange id (REST fills carry the order id, not the client id)."""
        order = self._models.order
        key = codec.exchange_id("exchange_order_id", exchange_order_id)
        condition = (order.symbol == symbol) & (order.is_algo == bool(is_algo)) & (order.exchange_order_id == key)
        with self._reading("read order"):
            row = order.select().where(condition).dicts().first()
        return None if row is None else order_record(row)

    def orders_for_trade(self, correlation_id: str) -> tuple[OrderRecord, ...]:
        """Orders with this correlation id or linked to its trade, oldest first."""
        order, trade = self._models.order, self._models.trade
        trade_ids = trade.select(trade.id).where(trade.correlation_id == correlation_id)
        condition = (order.correlation_id == correlation_id) | order.trade.in_(trade_ids)
        with self._reading("read orders of trade"):
            rows = list(order.select().where(condition).order_by(order.id).dicts())
        return tuple(order_record(row) for row in rows)

    def open_orders_known(self, symbol: str | None = None) -> tuple[OrderRecord, ...]:
        """Orders not yet in a terminal state (including unsent intents), oldest first.

        These are what start-up reconciliation must check against the exchange.
        """
        order = self._models.order
        condition = order.status.not_in(_TERMINAL)
        if symbol is not None:
            condition &= order.symbol == symbol
        with self._reading("read open orders"):
            rows = list(order.select().where(condition).order_by(order.id).dicts())
        return tuple(order_record(row) for row in rows)
