"""Requests to the ExchangeActor and its replies, with the exchange's state as immutable snapshots.

Quantities and prices in requests are decimal *strings* already on the symbol's tick/step grid
(``core.precision`` made them): a float never reaches an order.
"""

from __future__ import annotations

from typing import Literal

from messages.base import Command, Event, Message, OrderSide
from messages.market import Candle


class OrderSnapshot(Message, frozen=True, kw_only=True):
    """An order (or algo order) as the exchange reports it. Status is Binance's own word:
    NEW, PARTIALLY_FILLED, FILLED, CANCELED, EXPIRED, REJECTED, and for algo orders also
    TRIGGERING, TRIGGERED, FINISHED."""

    symbol: str
    order_id: str
    client_order_id: str
    is_algo: bool
    side: OrderSide
    order_type: str
    status: str
    quantity: float
    filled_quantity: float = 0.0
    average_price: float = 0.0
    price: float = 0.0
    trigger_price: float = 0.0
    reduce_only: bool = False
    close_position: bool = False
    update_time: int = 0
    child_order_id: str = ""


class PositionSnapshot(Message, frozen=True, kw_only=True):
    """One symbol's position; ``amount`` is signed (> 0 long, < 0 short)."""

    symbol: str
    amount: float
    entry_price: float
    mark_price: float
    unrealized_pnl: float
    leverage: int = 0
    margin_type: str = ""
    update_time: int = 0


class BalanceSnapshot(Message, frozen=True, kw_only=True):
    """The USDC wallet: ``equity`` = wallet + unrealized PnL (Binance's margin balance)."""

    asset: str
    wallet_balance: float
    available_balance: float
    margin_used: float
    unrealized_pnl: float
    equity: float


class TradeFill(Message, frozen=True, kw_only=True):
    """One execution from the account's trade history (``userTrades``)."""

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


class AccountState(Message, frozen=True, kw_only=True):
    """Everything reconciliation and the protection invariant need, read in one go."""

    ts: int
    positions: tuple[PositionSnapshot, ...]
    open_orders: tuple[OrderSnapshot, ...]
    open_algo_orders: tuple[OrderSnapshot, ...]
    balance: BalanceSnapshot | None
    fills: tuple[TradeFill, ...] = ()


class ExchangeRequest(Command, frozen=True, kw_only=True):
    """Base of every request; ``request_id`` pairs it with its ``ExchangeReply``."""

    request_id: str
    correlation_id: str = ""
    reply_to: str = ""  # the registry name of the actor that gets the ExchangeReply


class PlaceOrder(ExchangeRequest, frozen=True, kw_only=True):
    """A MARKET or LIMIT order on ``/fapi/v1/order``."""

    symbol: str
    client_order_id: str
    side: OrderSide
    order_type: Literal["MARKET", "LIMIT"]
    quantity: str
    price: str | None = None
    reduce_only: bool = False
    time_in_force: Literal["GTC", "IOC", "FOK", "GTX"] | None = None
    leverage: int | None = None  # an entry: the gateway sets it first if the symbol's leverage differs


class PlaceAlgoOrder(ExchangeRequest, frozen=True, kw_only=True):
    """A conditional order on the Algo Order API (``/fapi/v1/algoOrder``)."""

    symbol: str
    client_order_id: str
    side: OrderSide
    order_type: Literal["STOP_MARKET", "TAKE_PROFIT_MARKET"]
    trigger_price: str
    quantity: str | None = None
    close_position: bool = False
    reduce_only: bool = False
    working_type: Literal["MARK_PRICE", "CONTRACT_PRICE"] = "MARK_PRICE"


class CancelOrder(ExchangeRequest, frozen=True, kw_only=True):
    """Cancel one order by its client id (``is_algo``: the algo id space)."""

    symbol: str
    client_order_id: str
    is_algo: bool


class QueryOrder(ExchangeRequest, frozen=True, kw_only=True):
    """Read one order's state by its client id."""

    symbol: str
    client_order_id: str
    is_algo: bool


class CancelAllOrders(ExchangeRequest, frozen=True, kw_only=True):
    """Cancel every regular and algo order of one symbol."""

    symbol: str


class FetchAccountState(ExchangeRequest, frozen=True, kw_only=True):
    """Positions, open orders, open algo orders and the balance (and fills since ``fills_since_ms``)."""

    symbols: tuple[str, ...] = ()
    fills_since_ms: int | None = None


class FetchCandles(ExchangeRequest, frozen=True, kw_only=True):
    """Closed candles of one symbol from ``since_open_time`` on (REST fallback and backfill)."""

    symbol: str
    timeframe: str
    since_open_time: int | None
    limit: int = 1000


class FetchTickers(ExchangeRequest, frozen=True, kw_only=True):
    """24 h volume and last price of every USDC perpetual (the Scanner's input)."""


class TickerSnapshot(Message, frozen=True, kw_only=True):
    symbol: str
    quote_volume_24h: float
    last_price: float


class ListenKeyRequest(ExchangeRequest, frozen=True, kw_only=True):
    """Create, keep alive or delete the user-data stream's listenKey (the reply's ``message`` holds it)."""

    action: Literal["create", "keepalive", "delete"]
    listen_key: str = ""


ReplyOutcome = Literal["ok", "rejected", "failed"]


class ExchangeReply(Event, frozen=True, kw_only=True):
    """The result of a request. ``rejected``: the exchange refused for good (``code`` is Binance's);
    ``failed``: it could not be done now (network, rate limit) after the retries that are safe; an
    order with an unknown outcome is settled by query before it is ever reported as failed."""

    request_id: str
    request: ExchangeRequest
    outcome: ReplyOutcome
    order: OrderSnapshot | None = None
    state: AccountState | None = None
    candles: tuple[Candle, ...] = ()
    tickers: tuple[TickerSnapshot, ...] = ()
    code: int = 0
    message: str = ""
