"""Mutable state records of the engine (orders, algo orders, positions, fills) and their Binance JSON.

Quantities and prices are exact ``Decimal`` (as the client sent them); ``*_f`` mirrors are floats for
the path scan. Rendering follows the field lists of ``docs/binance-usdm-notes.md`` §3 and the published
examples in ``../shared/data/rest/docs-examples``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from simulator.engine.numbers import fixed, trimmed, units_str
from simulator.markets import MarketSpec

ZERO = Decimal(0)
FINAL_STATUSES = frozenset({"FILLED", "CANCELED", "EXPIRED", "REJECTED", "EXPIRED_IN_MATCH"})
ALGO_OPEN = frozenset({"NEW", "TRIGGERING"})


def qty_text(spec: MarketSpec, qty: Decimal) -> str:
    return f"{qty:.{spec.quantity_precision}f}"


def price_text(spec: MarketSpec, price: Decimal) -> str:
    return f"{price:.{spec.price_precision}f}"


def avg_text(spec: MarketSpec, value: Decimal | float) -> str:
    return trimmed(float(value), spec.price_precision)


@dataclass(slots=True)
class Order:
    """A plain order (``/fapi/v1/order``), also the child order a triggered algo order creates."""

    order_id: int
    client_order_id: str
    spec: MarketSpec
    side: str
    type: str
    orig_type: str
    time_in_force: str
    qty: Decimal
    price: Decimal
    reduce_only: bool
    close_position: bool
    stop_price: Decimal
    working_type: str
    price_protect: bool
    time_ms: int
    seq: int
    status: str = "NEW"
    executed: Decimal = ZERO
    cum_quote: Decimal = ZERO
    update_ms: int = 0
    algo_id: int | None = None
    self_trade_prevention: str = "EXPIRE_MAKER"
    price_match: str = "NONE"
    good_till_date: int = 0

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def price_f(self) -> float:
        return float(self.price)

    @property
    def is_open(self) -> bool:
        return self.status not in FINAL_STATUSES

    @property
    def avg_price(self) -> Decimal:
        return self.cum_quote / self.executed if self.executed else ZERO

    def to_rest(self, include_time: bool = True) -> dict[str, object]:
        spec = self.spec
        body: dict[str, object] = {
            "orderId": self.order_id,
            "symbol": self.symbol,
            "status": self.status,
            "clientOrderId": self.client_order_id,
            "price": price_text(spec, self.price),
            "avgPrice": avg_text(spec, self.avg_price),
            "origQty": qty_text(spec, self.qty),
            "executedQty": qty_text(spec, self.executed),
            "cumQty": qty_text(spec, self.executed),
            "cumQuote": trimmed(float(self.cum_quote), 1, 8),
            "timeInForce": self.time_in_force,
            "type": self.type,
            "reduceOnly": self.reduce_only,
            "closePosition": self.close_position,
            "side": self.side,
            "positionSide": "BOTH",
            "stopPrice": price_text(spec, self.stop_price),
            "workingType": self.working_type,
            "priceProtect": self.price_protect,
            "origType": self.orig_type,
            "priceMatch": self.price_match,
            "selfTradePreventionMode": self.self_trade_prevention,
            "goodTillDate": self.good_till_date,
        }
        if include_time:
            body["time"] = self.time_ms
        body["updateTime"] = self.update_ms or self.time_ms
        return body

    def to_ws(
        self,
        execution: str,
        event_ms: int,
        last_qty: Decimal = ZERO,
        last_price: Decimal = ZERO,
        commission_units: int = 0,
        trade_id: int = 0,
        maker: bool = False,
        realized_units: int = 0,
    ) -> dict[str, object]:
        """The ``o`` object of ORDER_TRADE_UPDATE."""
        spec = self.spec
        return {
            "s": self.symbol,
            "c": self.client_order_id,
            "S": self.side,
            "o": self.type,
            "f": self.time_in_force,
            "q": qty_text(spec, self.qty),
            "p": price_text(spec, self.price),
            "ap": avg_text(spec, self.avg_price),
            "sp": price_text(spec, self.stop_price),
            "x": execution,
            "X": self.status,
            "i": self.order_id,
            "l": qty_text(spec, last_qty),
            "z": qty_text(spec, self.executed),
            "L": price_text(spec, last_price),
            "N": "USDC",
            "n": units_str(commission_units),
            "T": event_ms,
            "t": trade_id,
            "b": "0",
            "a": "0",
            "m": maker,
            "R": self.reduce_only,
            "wt": self.working_type,
            "ot": self.orig_type,
            "ps": "BOTH",
            "cp": self.close_position,
            "AP": "0",
            "cr": "0",
            "pP": self.price_protect,
            "si": 0,
            "ss": 0,
            "rp": units_str(realized_units),
            "V": self.self_trade_prevention,
            "pm": self.price_match,
            "gtd": self.good_till_date,
        }


@dataclass(slots=True)
class AlgoOrder:
    """A conditional order of the Algo Order service (``/fapi/v1/algoOrder``)."""

    algo_id: int
    client_algo_id: str
    spec: MarketSpec
    side: str
    order_type: str
    time_in_force: str
    qty: Decimal
    price: Decimal
    trigger_price: Decimal
    working_type: str
    price_protect: bool
    reduce_only: bool
    close_position: bool
    create_ms: int
    seq: int
    activate_price: Decimal | None = None
    callback_rate: Decimal | None = None
    status: str = "NEW"
    update_ms: int = 0
    trigger_ms: int = 0
    actual_order_id: int | None = None
    executed: Decimal = ZERO
    avg_price: Decimal = ZERO
    reject_reason: str = ""
    activated: bool = True
    extreme: float = 0.0

    @property
    def symbol(self) -> str:
        return self.spec.symbol

    @property
    def is_open(self) -> bool:
        return self.status in ALGO_OPEN

    @property
    def child_type(self) -> str:
        return "LIMIT" if self.order_type in ("STOP", "TAKE_PROFIT") else "MARKET"

    def to_rest(self) -> dict[str, object]:
        spec = self.spec
        body: dict[str, object] = {
            "algoId": self.algo_id,
            "clientAlgoId": self.client_algo_id,
            "algoType": "CONDITIONAL",
            "orderType": self.order_type,
            "type": self.order_type,
            "symbol": self.symbol,
            "side": self.side,
            "positionSide": "BOTH",
            "timeInForce": self.time_in_force,
            "quantity": qty_text(spec, self.qty),
            "algoStatus": self.status,
            "actualOrderId": "" if self.actual_order_id is None else str(self.actual_order_id),
            "actualPrice": avg_text(spec, self.avg_price),
            "executedQty": qty_text(spec, self.executed),
            "avgPrice": avg_text(spec, self.avg_price),
            "triggerPrice": price_text(spec, self.trigger_price),
            "price": price_text(spec, self.price),
            "icebergQuantity": None,
            "selfTradePreventionMode": "EXPIRE_MAKER",
            "workingType": self.working_type,
            "priceMatch": "NONE",
            "closePosition": self.close_position,
            "priceProtect": self.price_protect,
            "reduceOnly": self.reduce_only,
            "createTime": self.create_ms,
            "updateTime": self.update_ms or self.create_ms,
            "triggerTime": self.trigger_ms,
            "goodTillDate": 0,
        }
        if self.order_type == "TRAILING_STOP_MARKET":
            body["activatePrice"] = "" if self.activate_price is None else price_text(spec, self.activate_price)
            body["callbackRate"] = "" if self.callback_rate is None else str(self.callback_rate)
        return body

    def to_ws(self) -> dict[str, object]:
        """The ``o`` object of ALGO_UPDATE."""
        spec = self.spec
        body: dict[str, object] = {
            "caid": self.client_algo_id,
            "aid": self.algo_id,
            "at": "CONDITIONAL",
            "o": self.order_type,
            "s": self.symbol,
            "S": self.side,
            "ps": "BOTH",
            "f": self.time_in_force,
            "q": qty_text(spec, self.qty),
            "X": self.status,
            "ai": "" if self.actual_order_id is None else str(self.actual_order_id),
            "ap": fixed(float(self.avg_price), 5),
            "aq": fixed(float(self.executed), 5),
            "act": "MARKET" if self.child_type == "MARKET" else "LIMIT",
            "tp": price_text(spec, self.trigger_price),
            "p": price_text(spec, self.price),
            "V": "EXPIRE_MAKER",
            "wt": self.working_type,
            "pm": "NONE",
            "cp": self.close_position,
            "pP": self.price_protect,
            "R": self.reduce_only,
            "tt": self.trigger_ms,
            "gtd": 0,
        }
        if self.reject_reason:
            body["rm"] = self.reject_reason
        return body


@dataclass(slots=True)
class Position:
    """The one-way (``BOTH``) position of a symbol. ``isolated_units`` is the isolated wallet."""

    amount: Decimal = ZERO
    entry: Decimal = ZERO
    isolated_units: int = 0
    realized_units: int = 0  # accumulated realized PnL (ACCOUNT_UPDATE "cr")
    update_ms: int = 0
    margin_called: bool = False

    @property
    def amount_f(self) -> float:
        return float(self.amount)


@dataclass(slots=True)
class Trade:
    """One fill, as ``GET /fapi/v1/userTrades`` lists it."""

    trade_id: int
    order_id: int
    spec: MarketSpec
    side: str
    price: Decimal
    qty: Decimal
    realized_units: int
    commission_units: int
    time_ms: int
    maker: bool
    client_order_id: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    def to_rest(self) -> dict[str, object]:
        spec = self.spec
        return {
            "symbol": spec.symbol,
            "id": self.trade_id,
            "orderId": self.order_id,
            "side": self.side,
            "price": price_text(spec, self.price),
            "qty": qty_text(spec, self.qty),
            "realizedPnl": units_str(self.realized_units),
            "marginAsset": "USDC",
            "quoteQty": trimmed(float(self.price * self.qty), 1, 8),
            "commission": units_str(self.commission_units),
            "commissionAsset": "USDC",
            "time": self.time_ms,
            "positionSide": "BOTH",
            "buyer": self.side == "BUY",
            "maker": self.maker,
        }
