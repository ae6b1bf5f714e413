"""Plain orders (``/fapi/v1/order``): placement, execution, fills and what a fill does to the account."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from simulator import errors
from simulator.engine import validate
from simulator.engine.events import EngineConfig
from simulator.engine.models import ZERO, AlgoOrder, Order, Trade
from simulator.engine.numbers import ceil_to, floor_to, parse_bool, to_units, trimmed, units_str
from simulator.engine.state import SymbolState, opening_quantity
from simulator.errors import BinanceError
from simulator.markets import MarketSpec


def tick_price(spec: MarketSpec, value: float, up: bool) -> Decimal:
    """``value`` on the tick grid, rounded up (buyer pays) or down (seller receives)."""
    ticks = (ceil_to if up else floor_to)(value, spec.tick) / spec.tick
    return (Decimal(round(ticks)) * Decimal(spec.tick_size)).quantize(Decimal(1).scaleb(-spec.price_precision))


def increases(side: str, amount: Decimal) -> bool:
    """Would an order on ``side`` grow (or open) a position of ``amount``?"""
    return amount == 0 or (amount > 0) == (side == "BUY")


class OrdersMixin:
    """Placement and matching of LIMIT/MARKET orders. State lives in :class:`simulator.engine.Engine`."""

    config: EngineConfig
    symbols: dict[str, SymbolState]
    orders: dict[int, Order]
    client_orders: dict[tuple[str, str], Order]
    algos: dict[int, AlgoOrder]
    trades: list[Trade]
    wallet_units: int
    balance_update_ms: int
    _now: int
    _taker: Decimal
    _maker: Decimal

    if TYPE_CHECKING:  # provided by the other parts of the Engine

        def _emit(self, kind: str, payload: dict[str, object]) -> None: ...
        def _next_id(self, kind: str) -> int: ...
        def symbol_state(self, symbol: object) -> SymbolState: ...
        def _available(self) -> float: ...
        def _account_update(self, reason: str, syms: list[SymbolState], change_units: int = 0) -> None: ...
        def _bump_cross(self) -> None: ...
        def _finish_algo_child(self, order: Order) -> None: ...

        # --- public API -----------------------------------------------------------------------------------

    def new_order(self, params: Mapping[str, object]) -> dict[str, object]:
        """``POST /fapi/v1/order`` with Binance's parameter names; returns the response body."""
        sym = self.symbol_state(params.get("symbol"))
        side = validate.side(params.get("side"))
        order_type = str(params.get("type") or "").upper()
        if not order_type:
            raise errors.mandatory("type")
        if order_type in validate.CONDITIONAL_TYPES:
            raise errors.algo_endpoint_required()
        if order_type not in validate.PLAIN_TYPES:
            raise BinanceError(-1116, "Invalid orderType.")
        validate.position_side(params.get("positionSide"))
        if parse_bool("closePosition", params.get("closePosition")):
            raise errors.not_required("closePosition")
        reduce_only = parse_bool("reduceOnly", params.get("reduceOnly"))
        client_id = validate.client_id(params.get("newClientOrderId"))
        spec = sym.spec
        market = order_type == "MARKET"
        qty = validate.quantity(spec, params.get("quantity"), market)
        if market:
            if params.get("price") not in (None, ""):
                raise errors.not_required("price")
            price, tif = ZERO, "GTC"
        else:
            price = validate.price(spec, params.get("price"))
            tif = validate.time_in_force(params.get("timeInForce"))
        if (
            client_id
            and (sym.symbol, client_id) in self.client_orders
            and self.client_orders[(sym.symbol, client_id)].is_open
        ):
            raise BinanceError(-4116, "clientOrderId is duplicated")
        current = self._trading_price(sym)
        self._check_common(sym, side, qty, price if not market else None, reduce_only, current)
        order = Order(
            order_id=self._next_id("order"),
            client_order_id=client_id or "",
            spec=spec,
            side=side,
            type=order_type,
            orig_type=order_type,
            time_in_force=tif,
            qty=qty,
            price=price,
            reduce_only=reduce_only,
            close_position=False,
            stop_price=ZERO,
            working_type=validate.working_type(params.get("workingType")),
            price_protect=parse_bool("priceProtect", params.get("priceProtect")),
            time_ms=self._now,
            seq=self._next_id("seq"),
        )
        if not order.client_order_id:
            order.client_order_id = f"sim-{order.order_id}"
        fill_price = self._plan_execution(sym, order, current)
        if reduce_only:
            order.qty = min(order.qty, abs(sym.position.amount))
        self._register(sym, order)
        ack = order.to_rest()
        self._execute(sym, order, fill_price)
        if str(params.get("newOrderRespType") or "ACK").upper() == "ACK":
            return ack
        return order.to_rest()

    def cancel_order(self, params: Mapping[str, object]) -> dict[str, object]:
        """``DELETE /fapi/v1/order``: -2011 unless the order is open."""
        sym = self.symbol_state(params.get("symbol"))
        order = self._find_order(sym, params)
        if order is None or not order.is_open:
            raise errors.unknown_order_cancel()
        self._close_order(sym, order, "CANCELED")
        return order.to_rest()

    def query_order(self, params: Mapping[str, object]) -> dict[str, object]:
        """``GET /fapi/v1/order``: any order ever placed (open or final), -2013 otherwise."""
        sym = self.symbol_state(params.get("symbol"))
        order = self._find_order(sym, params)
        if order is None:
            raise errors.no_such_order()
        return order.to_rest()

    def open_orders(self, symbol: object = None) -> list[dict[str, object]]:
        syms = [self.symbol_state(symbol)] if symbol else list(self.symbols.values())
        found = [o for s in syms for o in s.orders.values()]
        return [o.to_rest() for o in sorted(found, key=lambda o: o.order_id)]

    def cancel_all_orders(self, symbol: object) -> dict[str, object]:
        """``DELETE /fapi/v1/allOpenOrders``."""
        if symbol in (None, ""):
            raise errors.mandatory("symbol")
        sym = self.symbol_state(symbol)
        for order in sorted(sym.orders.values(), key=lambda o: o.order_id):
            self._close_order(sym, order, "CANCELED")
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    # --- checks ---------------------------------------------------------------------------------------

    def _trading_price(self, sym: SymbolState) -> float:
        price = sym.price(self._now)
        if price is None or sym.spec.status != "TRADING":
            raise BinanceError(-4141, "Symbol is closed")
        return price

    def _check_common(
        self,
        sym: SymbolState,
        side: str,
        qty: Decimal,
        limit: Decimal | None,
        reduce_only: bool,
        current: float,
        check_margin: bool = True,
    ) -> None:
        """Min notional, PERCENT_PRICE, open-order cap, reduce-only, margin and max-position checks."""
        spec = sym.spec
        ref = float(limit) if limit is not None else current
        if not reduce_only and float(qty) * ref < float(spec.min_notional) - 1e-12:
            raise errors.min_notional(spec.min_notional)
        if limit is not None:
            if side == "BUY" and float(limit) > current * float(spec.multiplier_up):
                raise BinanceError(-4016, "Price is higher than mark price multiplier cap.")
            if side == "SELL" and float(limit) < current * float(spec.multiplier_down):
                raise BinanceError(-4024, "Price is lower than mark price multiplier floor.")
        if len(sym.orders) >= self.config.max_open_orders:
            raise BinanceError(-2025, "Reach max open order limit.")
        if reduce_only and increases(side, sym.position.amount):
            raise errors.reduce_only_rejected()
        if check_margin and not reduce_only:
            self._check_margin(sym, side, qty, ref)

    def _check_margin(self, sym: SymbolState, side: str, qty: Decimal, price: float) -> None:
        opening = opening_quantity(sym.position.amount, side, qty)
        if opening <= 0:
            return
        after = abs(sym.position.amount + (qty if side == "BUY" else -qty))
        if float(after) * price > float(sym.spec.max_notional_for_leverage(sym.leverage)):
            raise BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")
        required = float(opening) * price / sym.leverage
        if required > self._available() + 1e-9:
            raise errors.margin_insufficient()

    def _plan_execution(self, sym: SymbolState, order: Order, current: float) -> Decimal | None:
        """The taker fill price if the order executes on arrival, None if it rests; or a rejection."""
        spec = sym.spec
        slip = self.config.slippage_bps / 10_000.0
        buy = order.side == "BUY"
        taker = tick_price(spec, current * (1 + slip) if buy else current * (1 - slip), up=buy)
        if order.type == "MARKET":
            if (buy and float(taker) > current * float(spec.multiplier_up)) or (
                not buy and float(taker) < current * float(spec.multiplier_down)
            ):
                raise errors.percent_price()
            return taker
        crosses = (order.price_f >= current - 1e-12) if buy else (order.price_f <= current + 1e-12)
        if order.time_in_force == "GTX" and crosses:
            raise errors.post_only_rejected()
        if order.time_in_force == "FOK" and not crosses:
            raise errors.fok_rejected()
        if not crosses:
            return None
        return min(taker, order.price) if buy else max(taker, order.price)

    # --- life cycle -----------------------------------------------------------------------------------

    def _register(self, sym: SymbolState, order: Order) -> None:
        self.orders[order.order_id] = order
        self.client_orders[(sym.symbol, order.client_order_id)] = order
        sym.orders[order.order_id] = order
        sym.bump()
        self._emit("ORDER_TRADE_UPDATE", self._order_event(order, "NEW"))

    def _execute(self, sym: SymbolState, order: Order, fill_price: Decimal | None) -> None:
        """Fill at once, or expire (IOC), or leave resting (it then fills when the path touches it)."""
        if fill_price is not None:
            self._fill(sym, order, order.qty - order.executed, fill_price, maker=False)
        elif order.time_in_force == "IOC" or order.qty <= 0:
            self._close_order(sym, order, "EXPIRED")

    def _find_order(self, sym: SymbolState, params: Mapping[str, object]) -> Order | None:
        order_id = params.get("orderId")
        client_id = params.get("origClientOrderId")
        if order_id in (None, "") and client_id in (None, ""):
            raise BinanceError(-1102, "Param 'origClientOrderId' or 'orderId' must be sent, but both were empty/null!")
        if order_id not in (None, ""):
            try:
                order = self.orders.get(int(str(order_id)))
            except ValueError:
                raise errors.mandatory("orderId") from None
            return order if order is not None and order.symbol == sym.symbol else None
        return self.client_orders.get((sym.symbol, str(client_id)))

    def _close_order(self, sym: SymbolState, order: Order, status: str) -> None:
        """Move an open order to a final status (CANCELED by request, EXPIRED by the system)."""
        order.status = status
        order.update_ms = self._now
        sym.orders.pop(order.order_id, None)
        sym.bump()
        self._emit("ORDER_TRADE_UPDATE", self._order_event(order, status))
        if order.algo_id is not None:
            self._finish_algo_child(order)

    def _order_event(self, order: Order, execution: str, **fill: Any) -> dict[str, object]:
        return {
            "e": "ORDER_TRADE_UPDATE",
            "E": self._now,
            "T": self._now,
            "o": order.to_ws(execution, self._now, **fill),
        }

    def _fill(
        self,
        sym: SymbolState,
        order: Order,
        qty: Decimal,
        price: Decimal,
        maker: bool,
        execution: str = "TRADE",
    ) -> Trade:
        """Book one fill: position, entry, realized PnL, fee, isolated margin, events, housekeeping."""
        pos = sym.position
        notional = price * qty
        commission = to_units(notional * (self._maker if maker else self._taker))
        before = pos.amount
        signed = qty if order.side == "BUY" else -qty
        realized = ZERO
        closed = ZERO
        after = before + signed
        if before == 0 or (before > 0) == (signed > 0):
            pos.entry = (abs(before) * pos.entry + qty * price) / abs(after)
            opened = qty
        else:
            closed = min(qty, abs(before))
            realized = (price - pos.entry) * closed * (1 if before > 0 else -1)
            opened = qty - closed
            if after == 0:
                pos.entry = ZERO
            elif opened > 0:
                pos.entry = price
        realized_units = to_units(realized)
        if sym.isolated:
            if closed:
                release = (
                    pos.isolated_units if (after == 0 or opened > 0) else int(pos.isolated_units * closed / abs(before))
                )
                pos.isolated_units -= release
            if opened:
                pos.isolated_units += to_units(opened * price / sym.leverage)
        self.wallet_units += realized_units - commission
        self.balance_update_ms = self._now
        pos.amount = after
        pos.realized_units += realized_units
        pos.update_ms = self._now
        if before == 0:
            sym.funding_cursor = self._now
        order.executed += qty
        order.cum_quote += notional
        order.status = "FILLED" if order.executed >= order.qty else "PARTIALLY_FILLED"
        order.update_ms = self._now
        trade = Trade(
            trade_id=self._next_id("trade"),
            order_id=order.order_id,
            spec=sym.spec,
            side=order.side,
            price=price,
            qty=qty,
            realized_units=realized_units,
            commission_units=commission,
            time_ms=self._now,
            maker=maker,
            client_order_id=order.client_order_id,
        )
        self.trades.append(trade)
        if order.status == "FILLED":
            sym.orders.pop(order.order_id, None)
        self._emit(
            "ORDER_TRADE_UPDATE",
            self._order_event(
                order,
                execution,
                last_qty=qty,
                last_price=price,
                commission_units=commission,
                trade_id=trade.trade_id,
                maker=maker,
                realized_units=realized_units,
            ),
        )
        self._account_update("ORDER", [sym])
        if order.status == "FILLED" and order.algo_id is not None:
            self._finish_algo_child(order)
        self._after_position_change(sym, order)
        return trade

    def _after_position_change(self, sym: SymbolState, filled: Order | None = None) -> None:
        """Reduce-only orders that can no longer reduce expire; closePosition algo orders expire when the
        position is flat (README "Reduce-only and closePosition")."""
        amount = sym.position.amount
        sym.position.margin_called = False
        for order in sorted(sym.orders.values(), key=lambda o: o.order_id):
            if order is not filled and (order.reduce_only or order.close_position) and increases(order.side, amount):
                self._close_order(sym, order, "EXPIRED")
        if amount == 0:
            for algo in sorted(sym.algos.values(), key=lambda a: a.algo_id):
                if algo.close_position:
                    self._end_algo(sym, algo, "EXPIRED", "Position closed")
        sym.bump()
        if not sym.isolated:
            self._bump_cross()

    def position_event(self, sym: SymbolState) -> dict[str, object]:
        """The ``P`` entry of ACCOUNT_UPDATE for ``sym``."""
        pos = sym.position
        mark = sym.price(self._now) or 0.0
        spec = sym.spec
        return {
            "s": sym.symbol,
            "pa": f"{pos.amount:.{spec.quantity_precision}f}",
            "ep": _entry_text(sym),
            "bep": _breakeven_text(sym, self._taker),
            "cr": units_str(pos.realized_units),
            "up": units_str(to_units(sym.unrealized(mark))),
            "mt": "isolated" if sym.isolated else "cross",
            "iw": units_str(pos.isolated_units),
            "ps": "BOTH",
        }


def _entry_text(sym: SymbolState) -> str:
    return trimmed(float(sym.position.entry), 1, 8)


def _breakeven_text(sym: SymbolState, taker: Decimal) -> str:
    """Entry moved by the taker fee of a round trip (an approximation of Binance's breakEvenPrice)."""
    pos = sym.position
    if pos.amount == 0:
        return "0"
    factor = 1 + 2 * taker if pos.amount > 0 else 1 - 2 * taker
    return trimmed(float(pos.entry * factor), 1, 8)
