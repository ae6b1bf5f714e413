"""Orders, fills, positions and account changes: commands to the OrderActor and the events it
receives from the exchange (user-data stream or REST) and sends on."""

from __future__ import annotations

from typing import Literal

from messages.base import Command, Event, Message, OrderSide, Side

OrderKind = Literal["entry", "stop", "take_profit", "exit"]
ExitReason = Literal[
    "stop_loss",
    "take_profit_1",
    "take_profit_2",
    "take_profit_3",
    "take_profit_4",
    "take_profit_5",
    "break_even_stop",
    "timeout",
    "panic",
    "manual",
    "liquidation",
    "external",
    "protection_failed",
]


class OrderUpdate(Event, frozen=True, kw_only=True):
    """An exchange order changed (Binance ORDER_TRADE_UPDATE, or the same facts read by REST)."""

    symbol: str
    order_id: str
    client_order_id: str
    side: OrderSide
    order_type: str
    original_type: str
    execution_type: str
    status: str
    quantity: float
    price: float
    stop_price: float
    filled_quantity: float
    average_price: float
    last_filled_quantity: float
    last_filled_price: float
    commission: float
    commission_asset: str
    realized_pnl: float
    trade_id: str
    maker: bool
    reduce_only: bool
    close_position: bool


class AlgoUpdate(Event, frozen=True, kw_only=True):
    """A conditional (algo) order changed: NEW, TRIGGERING, TRIGGERED, FINISHED, CANCELED, REJECTED,
    EXPIRED. ``child_order_id`` links the order a trigger created; ``reject_reason`` is Binance's ``rm``."""

    symbol: str
    algo_id: str
    client_algo_id: str
    side: OrderSide
    order_type: str
    status: str
    quantity: float
    trigger_price: float
    close_position: bool
    reduce_only: bool
    child_order_id: str
    reject_reason: str


class BalanceChange(Message, frozen=True, kw_only=True):
    """One asset's wallet balance after an account change."""

    asset: str
    wallet_balance: float
    cross_wallet_balance: float
    balance_change: float


class PositionChange(Message, frozen=True, kw_only=True):
    """One symbol's position after an account change (amount signed: > 0 long, < 0 short)."""

    symbol: str
    amount: float
    entry_price: float
    unrealized_pnl: float
    margin_type: str


class AccountUpdate(Event, frozen=True, kw_only=True):
    """Binance ACCOUNT_UPDATE: balances and positions after ``reason`` (ORDER, FUNDING_FEE, ...)."""

    reason: str
    balances: tuple[BalanceChange, ...]
    positions: tuple[PositionChange, ...]


class OrderRejected(Event, frozen=True, kw_only=True):
    """The exchange refused an order for good (a 4xx with a Binance code)."""

    correlation_id: str
    symbol: str
    client_order_id: str
    kind: OrderKind
    code: int
    reason: str


class PositionOpened(Event, frozen=True, kw_only=True):
    """An entry filled and the position is protected by its stop."""

    correlation_id: str
    symbol: str
    side: Side
    quantity: float
    entry_price: float
    stop_price: float
    take_profit_prices: tuple[float, ...]
    leverage: int
    origin: Literal["bot", "adopted"] = "bot"


class PositionReduced(Event, frozen=True, kw_only=True):
    """Part of a position closed (a take-profit step); ``remaining`` is what is left."""

    correlation_id: str
    symbol: str
    side: Side
    quantity: float
    price: float
    remaining: float
    realized_pnl: float
    step: int


class PositionClosed(Event, frozen=True, kw_only=True):
    """A position ended; PnL is net of fees (and funding where known)."""

    correlation_id: str
    symbol: str
    side: Side
    quantity: float
    entry_price: float
    exit_price: float
    entry_time: int
    exit_reason: ExitReason
    realized_pnl: float
    fees: float
    funding: float


class EntryFailed(Event, frozen=True, kw_only=True):
    """An approved entry did not become a position (refused by sizing, rejected by the exchange)."""

    correlation_id: str
    symbol: str
    reason: str
    detail: str


class ClosePosition(Command, frozen=True, kw_only=True):
    """Close one symbol's position at market and cancel its orders (timeout, /close, quarantine...)."""

    symbol: str
    reason: ExitReason
    correlation_id: str = ""
    requested_by: str = "bot"


class EmergencyCloseCompleted(Event, frozen=True, kw_only=True):
    """What ``/panic`` did: orders cancelled, positions closed, whether the exchange is flat."""

    cancelled_orders: int
    cancelled_algo_orders: int
    closed_positions: tuple[str, ...]
    flat: bool
    rounds: int
    errors: tuple[str, ...]
