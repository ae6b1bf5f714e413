"""What the OrderCore asks its host to persist. The host (OrderActor or backtest) writes these to
storage *before* it sends the exchange requests that follow them in the same output list, so an
order intent is on disk before the order exists."""

from __future__ import annotations

from dataclasses import dataclass

from messages.base import OrderSide
from messages.orders import OrderKind


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """Insert or update one order row (keyed by ``client_id``)."""

    correlation_id: str
    symbol: str
    client_id: str
    kind: OrderKind
    is_algo: bool
    order_type: str
    side: OrderSide
    status: str
    ts: int
    quantity: str | None = None
    price: str | None = None
    trigger_price: str | None = None
    reduce_only: bool = False
    close_position: bool = False
    exchange_id: str = ""
    filled: float = 0.0
    average_price: float = 0.0
    reject_code: int = 0
    reject_reason: str = ""


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One execution of one of the bot's positions (idempotent by ``trade_id``)."""

    correlation_id: str
    symbol: str
    trade_id: str
    order_id: str
    side: OrderSide
    price: float
    quantity: float
    commission: float
    commission_asset: str
    realized_pnl: float
    maker: bool
    ts: int


@dataclass(frozen=True, slots=True)
class TradeStarted:
    """The entry's first fill: the trade exists from now on (written before its stop is even sent, so a
    crash at any later moment leaves a trade in the database for reconciliation to settle)."""

    correlation_id: str
    symbol: str
    side: str
    entry_time: int
    entry_price: float
    quantity: float
    leverage: int
    origin: str
