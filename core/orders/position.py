"""The OrderCore's book of one position: its orders, its fills and how it ended.

Mutable, but owned by exactly one OrderCore (one actor thread or the backtest loop); nothing here is
ever sent to another actor: what leaves is an immutable message built from it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Literal

from core.precision import to_decimal
from messages.base import OrderSide, Side
from messages.orders import ExitReason, OrderKind

PositionState = Literal["entering", "protecting", "open", "closing", "finalizing", "closed"]
ChildStatus = Literal["sending", "open", "filled", "canceled", "rejected", "triggered", "unknown"]

ZERO = Decimal(0)
TERMINAL_ORDER_STATUSES = frozenset({"FILLED", "CANCELED", "EXPIRED", "REJECTED", "FINISHED", "EXPIRED_IN_MATCH"})
LIQUIDATION_PREFIXES = ("autoclose-", "adl_autoclose")


@dataclass
class ChildOrder:
    """One order the bot placed for a position (entry, stop, take-profit step or exit)."""

    kind: OrderKind
    client_id: str
    is_algo: bool
    side: OrderSide
    order_type: str
    quantity: Decimal | None
    price: Decimal | None = None
    trigger_price: Decimal | None = None
    step: int | None = None
    reason: ExitReason | None = None
    break_even: bool = False
    status: ChildStatus = "sending"
    exchange_id: str = ""
    child_order_id: str = ""
    filled: Decimal = ZERO
    average_price: Decimal = ZERO

    @property
    def live(self) -> bool:
        return self.status in ("sending", "open", "unknown")


@dataclass(frozen=True, slots=True)
class Fill:
    """One execution attributed to a position (deduplicated by trade id)."""

    trade_id: str
    order_id: str
    side: OrderSide
    price: Decimal
    quantity: Decimal
    commission: Decimal
    realized_pnl: Decimal
    ts: int


@dataclass
class ManagedPosition:
    """Everything the OrderCore knows about one symbol's position, from approval to the final trade."""

    correlation_id: str
    symbol: str
    side: Side
    leverage: int
    reference_price: float
    suggested_stop: float
    suggested_take_profits: tuple[float, ...]
    origin: Literal["bot", "adopted"] = "bot"
    state: PositionState = "entering"
    entry: ChildOrder | None = None
    entry_time: int = 0
    entry_quantity: Decimal = ZERO
    entry_notional: Decimal = ZERO
    stop: ChildOrder | None = None
    take_profits: dict[int, ChildOrder] = field(default_factory=dict)
    exits: list[ChildOrder] = field(default_factory=list)
    fills: dict[str, Fill] = field(default_factory=dict)
    order_fill_progress: dict[str, tuple[Decimal, Decimal]] = field(default_factory=dict)
    exit_quantity: Decimal = ZERO
    exit_notional: Decimal = ZERO
    funding: Decimal = ZERO
    protect_deadline: int | None = None
    moving_stop: bool = False
    stop_attempts: int = 0
    moved_to_break_even: bool = False
    close_reason: ExitReason | None = None
    last_reducer_order_id: str = ""
    liquidation_order_ids: set[str] = field(default_factory=set)
    pending_requests: set[str] = field(default_factory=set)
    exit_price: Decimal = ZERO
    exit_time: int = 0

    @property
    def entry_price(self) -> Decimal:
        return self.entry_notional / self.entry_quantity if self.entry_quantity > 0 else ZERO

    @property
    def remaining(self) -> Decimal:
        return max(self.entry_quantity - self.exit_quantity, ZERO)

    @property
    def entry_side(self) -> OrderSide:
        return "BUY" if self.side == "long" else "SELL"

    @property
    def exit_side(self) -> OrderSide:
        return "SELL" if self.side == "long" else "BUY"

    def children(self) -> list[ChildOrder]:
        """Every order of this position, entry first."""
        orders: list[ChildOrder] = [self.entry] if self.entry is not None else []
        if self.stop is not None:
            orders.append(self.stop)
        orders.extend(self.take_profits.values())
        orders.extend(self.exits)
        return orders

    def find_child(self, client_id: str = "", order_id: str = "") -> ChildOrder | None:
        for child in self.children():
            if client_id and child.client_id == client_id:
                return child
            if order_id and order_id in (child.exchange_id, child.child_order_id):
                return child
        return None

    def apply_order_progress(self, key: str, filled: Decimal, average_price: Decimal, side: OrderSide) -> Decimal:
        """Account the growth of one order's cumulative fill; returns the newly filled quantity.

        Works from cumulative figures (filled quantity and average price), which both the WebSocket
        and REST report, so the same fill seen twice is counted once.
        """
        known_qty, known_avg = self.order_fill_progress.get(key, (ZERO, ZERO))
        if filled <= known_qty:
            return ZERO
        delta_qty = filled - known_qty
        delta_notional = filled * average_price - known_qty * known_avg
        self.order_fill_progress[key] = (filled, average_price)
        if side == self.entry_side:
            self.entry_quantity += delta_qty
            self.entry_notional += delta_notional
        else:
            self.exit_quantity += delta_qty
            self.exit_notional += delta_notional
        return delta_qty

    def record_fill(self, fill: Fill) -> bool:
        """Keep an execution for the final PnL; False when it was already known."""
        if fill.trade_id in self.fills:
            return False
        self.fills[fill.trade_id] = fill
        return True

    def fill_totals(self) -> tuple[Decimal, Decimal, Decimal, Decimal]:
        """(exit quantity, exit notional, gross realized PnL, commissions) from the recorded fills."""
        exit_qty = exit_notional = realized = fees = ZERO
        for fill in self.fills.values():
            fees += fill.commission
            realized += fill.realized_pnl
            if fill.side == self.exit_side:
                exit_qty += fill.quantity
                exit_notional += fill.quantity * fill.price
        return exit_qty, exit_notional, realized, fees


def dec(value: float | str | Decimal | None) -> Decimal:
    """Exact decimal from an exchange number (0 for None)."""
    return ZERO if value is None else to_decimal(value)
