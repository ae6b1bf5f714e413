"""Per-symbol state of the engine and its margin arithmetic (floats: these numbers are only compared
or displayed; money that is booked goes through :mod:`.numbers` units)."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from simulator.candles import CandleSeries
from simulator.engine.models import AlgoOrder, Order, Position
from simulator.engine.scan import Hit, price_at_time
from simulator.markets import MarketSpec

MARGIN_CALL_RATIO = 0.8  # MARGIN_CALL when maintenance margin reaches 80 % of the margin backing a position


@dataclass
class SymbolState:
    """Everything the engine keeps for one symbol."""

    series: CandleSeries
    index: int
    leverage: int
    isolated: bool = False
    position: Position = field(default_factory=Position)
    orders: dict[int, Order] = field(default_factory=dict)  # open plain orders by id
    algos: dict[int, AlgoOrder] = field(default_factory=dict)  # open algo orders by id
    version: int = 0
    cache: tuple[int, int, int, Hit | None] | None = None  # (version, from, to, hit)
    trail_time: int = 0
    funding_cursor: int = 0
    config_touched: bool = False

    @property
    def spec(self) -> MarketSpec:
        return self.series.spec

    @property
    def symbol(self) -> str:
        return self.series.spec.symbol

    def bump(self) -> None:
        """The set of trigger levels changed: forget the cached scan."""
        self.version += 1
        self.cache = None

    def price(self, ts: int) -> float | None:
        return price_at_time(self.series, ts)

    def is_active(self) -> bool:
        return bool(self.orders or self.algos or self.position.amount)

    # --- margin numbers of the position at mark price ``mark`` ---------------------------------------

    def notional(self, mark: float) -> float:
        return abs(self.position.amount_f) * mark

    def unrealized(self, mark: float) -> float:
        pos = self.position
        return pos.amount_f * (mark - float(pos.entry)) if pos.amount else 0.0

    def maint_margin(self, mark: float) -> float:
        notional = self.notional(mark)
        if notional == 0.0:
            return 0.0
        bracket = self.spec.bracket_for(notional)
        return max(0.0, notional * float(bracket.maint_margin_ratio) - float(bracket.cum))

    def position_initial_margin(self, mark: float) -> float:
        return self.notional(mark) / self.leverage

    def open_order_margin(self, mark: float) -> float:
        """Initial margin held by open non-reduce-only LIMIT orders (the larger side after netting the
        part that would close the position; README "Margin")."""
        buy_qty = sell_qty = buy_cost = sell_cost = 0.0
        for order in self.orders.values():
            if order.reduce_only or order.close_position:
                continue
            remaining = float(order.qty - order.executed)
            price = order.price_f or mark
            if order.side == "BUY":
                buy_qty += remaining
                buy_cost += remaining * price
            else:
                sell_qty += remaining
                sell_cost += remaining * price
        amount = self.position.amount_f
        buy_open = max(0.0, buy_qty - max(0.0, -amount))
        sell_open = max(0.0, sell_qty - max(0.0, amount))
        buy_margin = buy_cost * (buy_open / buy_qty) if buy_qty else 0.0
        sell_margin = sell_cost * (sell_open / sell_qty) if sell_qty else 0.0
        return max(buy_margin, sell_margin) / self.leverage

    def liquidation_price(self, backing: float, mark: float, ratio: float = 1.0) -> float | None:
        """Price where ``backing`` + unrealized PnL = maintenance margin / ``ratio``.

        ``backing`` is the isolated wallet, or for a cross position the cross wallet plus the other cross
        positions' unrealized PnL minus their maintenance margin. The bracket is the one of the current
        notional. ratio < 1 gives the margin-call level instead.
        """
        pos = self.position
        qty = abs(pos.amount_f)
        if qty == 0.0:
            return None
        bracket = self.spec.bracket_for(self.notional(mark))
        mmr = float(bracket.maint_margin_ratio) / ratio
        cum = float(bracket.cum) / ratio
        entry = float(pos.entry)
        if pos.amount > 0:
            denominator = qty * (1.0 - mmr)
            price = (qty * entry - backing - cum) / denominator if denominator > 0 else None
            return price if price is not None and price > 0 else None
        price = (backing + qty * entry + cum) / (qty * (1.0 + mmr))
        return price if price > 0 else None


def opening_quantity(position_amount: Decimal, side: str, qty: Decimal) -> Decimal:
    """The part of an order of ``qty`` on ``side`` that would open or increase a position."""
    if side == "BUY":
        closable = -position_amount if position_amount < 0 else Decimal(0)
    else:
        closable = position_amount if position_amount > 0 else Decimal(0)
    return max(Decimal(0), qty - closable)
