"""The immutable values the storage facade returns, and the vocabularies it accepts.

Callers never get peewee model instances: a live ORM row carries its database binding and lazy
relations and must not travel between actor threads. These frozen dataclasses are plain data, safe to
put into messages. JSON columns come back deeply read-only (``Mapping`` proxies and tuples).

Every enum is a ``StrEnum``, so callers may pass either the member or its string value.
Money, prices and quantities are Python floats (SQLite REAL): binary floats are exact enough for
reporting and reconciliation (the exchange is the source of truth for balances); timestamps are
integer milliseconds since the epoch, UTC.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path
from typing import Any

__all__ = [
    "EquitySnapshot",
    "EventLevel",
    "EventRecord",
    "ExitReason",
    "FillRecord",
    "OrderKind",
    "OrderRecord",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "RiskDecisionRecord",
    "SignalRecord",
    "StorageInfo",
    "TakeProfitLevel",
    "TradeOrigin",
    "TradeRecord",
    "TradeSide",
    "TradeStatus",
    "take_profit_reason",
    "validate_exit_reason",
]

JsonValue = Any
"""A decoded JSON value: ``None``, bool, int, float, str, tuple of values or read-only mapping."""


class TradeSide(StrEnum):
    LONG = "long"
    SHORT = "short"


class TradeStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class TradeOrigin(StrEnum):
    """``bot``: opened by the bot's own entry; ``adopted``: found on the exchange at start-up."""

    BOT = "bot"
    ADOPTED = "adopted"


class ExitReason(StrEnum):
    """Why a trade ended. Take-profit exits are ``take_profit_<n>`` (see :func:`take_profit_reason`)."""

    STOP_LOSS = "stop_loss"
    BREAK_EVEN_STOP = "break_even_stop"
    TIMEOUT = "timeout"
    PANIC = "panic"
    MANUAL = "manual"
    LIQUIDATION = "liquidation"
    EXTERNAL = "external"
    PROTECTION_FAILED = "protection_failed"


_TAKE_PROFIT_REASON = re.compile(r"take_profit_[1-9][0-9]*")
_FIXED_EXIT_REASONS = frozenset(member.value for member in ExitReason)


def take_profit_reason(level: int) -> str:
    """The exit reason of the ``level``-th take-profit (1-based): ``take_profit_1``, ``take_profit_2``..."""
    if level < 1:
        raise ValueError(f"take-profit levels are numbered from 1, got {level}")
    return f"take_profit_{level}"


def validate_exit_reason(reason: str) -> str:
    """Return ``reason`` as a plain string, or raise ``ValueError`` naming the accepted values."""
    value = str(reason)
    if value in _FIXED_EXIT_REASONS or _TAKE_PROFIT_REASON.fullmatch(value):
        return value
    accepted = ", ".join([*(member.value for member in ExitReason), "take_profit_<n>"])
    raise ValueError(f"unknown exit reason {reason!r}; expected one of {accepted}")


class OrderKind(StrEnum):
    ENTRY = "entry"
    STOP = "stop"
    TAKE_PROFIT = "take_profit"
    EXIT = "exit"


class OrderSide(StrEnum):
    BUY = "BUY"
    SELL = "SELL"


class OrderType(StrEnum):
    """Binance order types; the conditional ones live in the Algo Order service since 2025-12-09."""

    MARKET = "MARKET"
    LIMIT = "LIMIT"
    STOP = "STOP"
    STOP_MARKET = "STOP_MARKET"
    TAKE_PROFIT = "TAKE_PROFIT"
    TAKE_PROFIT_MARKET = "TAKE_PROFIT_MARKET"
    TRAILING_STOP_MARKET = "TRAILING_STOP_MARKET"


class OrderStatus(StrEnum):
    """An order's life as the bot knows it: Binance's order and algo statuses in lower case, plus
    the bot's own ``intent``, ``sent`` and ``unknown``.

    ``intent`` is written *before* the request leaves the process, ``sent`` once it has left; an
    order still ``intent``/``sent``/``unknown`` after a crash or a timeout must be looked up on the
    exchange by its client order id, never blindly resent. Algo orders go ``new`` → ``triggering``
    → ``triggered`` → ``finished``; the order a trigger creates has its own id and fills.
    """

    INTENT = "intent"
    SENT = "sent"
    NEW = "new"
    PARTIALLY_FILLED = "partially_filled"
    FILLED = "filled"
    CANCELED = "canceled"
    REJECTED = "rejected"
    EXPIRED = "expired"
    EXPIRED_IN_MATCH = "expired_in_match"
    TRIGGERING = "triggering"
    TRIGGERED = "triggered"
    FINISHED = "finished"
    UNKNOWN = "unknown"

    @property
    def is_terminal(self) -> bool:
        """True when the exchange will never change this order again."""
        return self in _TERMINAL_ORDER_STATUSES


_TERMINAL_ORDER_STATUSES = frozenset(
    {
        OrderStatus.FILLED,
        OrderStatus.CANCELED,
        OrderStatus.REJECTED,
        OrderStatus.EXPIRED,
        OrderStatus.EXPIRED_IN_MATCH,
        OrderStatus.FINISHED,
    }
)


class EventLevel(StrEnum):
    DEBUG = "debug"
    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def severity(self) -> int:
        """Numeric rank for ``min_level`` filters (debug=10 ... critical=50, as in ``logging``)."""
        return _SEVERITY[self]


_SEVERITY = {
    EventLevel.DEBUG: 10,
    EventLevel.INFO: 20,
    EventLevel.WARNING: 30,
    EventLevel.ERROR: 40,
    EventLevel.CRITICAL: 50,
}


@dataclass(frozen=True, slots=True)
class TakeProfitLevel:
    """One planned take-profit: close ``quantity`` at ``price`` (``None``: not sized yet)."""

    price: float
    quantity: float | None = None


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One position the bot held.

    ``realized_pnl`` is the trade's net result as the OrderCore reports it in ``PositionClosed``:
    price PnL minus ``fees`` plus ``funding``. ``fees`` (commission paid, positive = cost) and
    ``funding`` (positive = received) are shown separately and are already included.
    """

    id: int
    correlation_id: str
    symbol: str
    side: TradeSide
    status: TradeStatus
    entry_time_ms: int
    entry_price: float
    quantity: float
    leverage: int
    exit_time_ms: int | None
    exit_price: float | None
    fees: float
    funding: float
    realized_pnl: float | None
    exit_reason: str | None
    profile: str | None
    stop_price: float | None
    take_profits: tuple[TakeProfitLevel, ...]
    origin: TradeOrigin
    created_ms: int
    updated_ms: int

    @property
    def is_open(self) -> bool:
        return self.status is TradeStatus.OPEN

    @property
    def hold_ms(self) -> int | None:
        """How long the position was held; ``None`` while it is open."""
        return None if self.exit_time_ms is None else self.exit_time_ms - self.entry_time_ms


@dataclass(frozen=True, slots=True)
class OrderRecord:
    """An order as last recorded. ``exchange_order_id`` is an algo id when ``is_algo`` is true."""

    id: int
    client_order_id: str
    exchange_order_id: str | None
    is_algo: bool
    symbol: str
    trade_id: int | None
    correlation_id: str | None
    kind: OrderKind
    order_type: OrderType
    side: OrderSide
    price: float | None
    trigger_price: float | None
    quantity: float | None
    reduce_only: bool
    close_position: bool
    status: OrderStatus
    filled_qty: float
    avg_price: float | None
    reject_code: int | None
    reject_reason: str | None
    created_ms: int
    updated_ms: int


@dataclass(frozen=True, slots=True)
class FillRecord:
    """One execution as reported by the exchange (``realized_pnl`` as reported, before fees)."""

    id: int
    exchange_trade_id: str
    symbol: str
    correlation_id: str | None
    client_order_id: str | None
    exchange_order_id: str | None
    side: OrderSide
    price: float
    qty: float
    fee: float
    fee_asset: str
    realized_pnl: float
    is_maker: bool
    ts_ms: int


@dataclass(frozen=True, slots=True)
class SignalRecord:
    id: int
    ts_ms: int
    correlation_id: str
    symbol: str
    side: TradeSide
    strategy: str
    profile: str | None
    price: float | None
    breakdown: Mapping[str, JsonValue]


@dataclass(frozen=True, slots=True)
class RiskDecisionRecord:
    id: int
    ts_ms: int
    correlation_id: str
    symbol: str
    approved: bool
    reason: str
    details: Mapping[str, JsonValue]


@dataclass(frozen=True, slots=True)
class EquitySnapshot:
    id: int
    ts_ms: int
    asset: str
    wallet_balance: float
    equity: float
    available_balance: float
    unrealized_pnl: float
    margin_used: float


@dataclass(frozen=True, slots=True)
class EventRecord:
    """An important event, as shown by the Telegram ``/logs`` command."""

    id: int
    ts_ms: int
    level: EventLevel
    kind: str
    symbol: str | None
    message: str
    correlation_id: str | None
    details: Mapping[str, JsonValue]


@dataclass(frozen=True, slots=True)
class StorageInfo:
    """Diagnostics of the database as seen by the calling thread's connection."""

    path: Path
    schema_version: int
    journal_mode: str
    synchronous: int
    foreign_keys: bool
    busy_timeout_ms: int
    size_bytes: int
