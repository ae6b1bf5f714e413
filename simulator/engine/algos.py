"""Conditional orders of the Algo Order service: placement, trigger, child order, final status.

Life cycle (README "Algo orders"): NEW -> (trigger) TRIGGERING -> TRIGGERED (a child order ``ai`` is
created and executes like any order) -> FINISHED when the child is final; or CANCELED by request; or
EXPIRED (closePosition order whose position went flat; reduce-only order with nothing to reduce when it
triggers, ``rm`` "Reduce Only reject"); or REJECTED (``rm`` "Margin is insufficient.").
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from simulator import errors
from simulator.engine import validate
from simulator.engine.events import EngineConfig
from simulator.engine.models import ZERO, AlgoOrder, Order
from simulator.engine.numbers import parse_bool
from simulator.engine.orders import increases, tick_price
from simulator.engine.state import SymbolState
from simulator.errors import BinanceError


class AlgosMixin:
    """Algo (conditional) orders. State lives in :class:`simulator.engine.Engine`."""

    config: EngineConfig
    symbols: dict[str, SymbolState]
    algos: dict[int, AlgoOrder]
    client_algos: dict[str, AlgoOrder]
    orders: dict[int, Order]
    _now: int

    if TYPE_CHECKING:

        def _emit(self, kind: str, payload: dict[str, object]) -> None: ...
        def _next_id(self, kind: str) -> int: ...
        def symbol_state(self, symbol: object) -> SymbolState: ...
        def _trading_price(self, sym: SymbolState) -> float: ...
        def _check_common(
            self,
            sym: SymbolState,
            side: str,
            qty: Decimal,
            limit: Decimal | None,
            reduce_only: bool,
            current: float,
            check_margin: bool = True,
        ) -> None: ...
        def _check_margin(self, sym: SymbolState, side: str, qty: Decimal, price: float) -> None: ...
        def _plan_execution(self, sym: SymbolState, order: Order, current: float) -> Decimal | None: ...
        def _register(self, sym: SymbolState, order: Order) -> None: ...
        def _execute(self, sym: SymbolState, order: Order, fill_price: Decimal | None) -> None: ...
        def _sync_trails(self, sym: SymbolState) -> None: ...
        def _close_order(self, sym: SymbolState, order: Order, status: str) -> None: ...

    def open_algo_count(self) -> int:
        return sum(len(s.algos) for s in self.symbols.values())

    # --- public API -----------------------------------------------------------------------------------

    def new_algo_order(self, params: Mapping[str, object]) -> dict[str, object]:
        """``POST /fapi/v1/algoOrder`` (``algoType=CONDITIONAL``); returns the response body."""
        algo_type = str(params.get("algoType") or "").upper()
        if not algo_type:
            raise errors.mandatory("algoType")
        if algo_type != "CONDITIONAL":
            raise errors.invalid_param("algoType")
        sym = self.symbol_state(params.get("symbol"))
        side = validate.side(params.get("side"))
        order_type = str(params.get("type") or "").upper()
        if not order_type:
            raise errors.mandatory("type")
        if order_type not in validate.CONDITIONAL_TYPES:
            raise BinanceError(-1116, "Invalid orderType.")
        validate.position_side(params.get("positionSide"))
        spec = sym.spec
        close_position = parse_bool("closePosition", params.get("closePosition"))
        reduce_only = parse_bool("reduceOnly", params.get("reduceOnly"))
        if close_position:
            if order_type not in ("STOP_MARKET", "TAKE_PROFIT_MARKET"):
                raise errors.not_required("closePosition")
            if params.get("reduceOnly") not in (None, ""):
                raise errors.not_required("reduceOnly")
            if params.get("quantity") not in (None, ""):
                raise BinanceError(-4137, "Quantity must be zero with closePosition equals true")
            qty = ZERO
        else:
            qty = validate.quantity(spec, params.get("quantity"), order_type.endswith("MARKET"))
        limit_child = order_type in ("STOP", "TAKE_PROFIT")
        price = validate.price(spec, params.get("price")) if limit_child else ZERO
        tif = validate.time_in_force(params.get("timeInForce"), "GTC")
        client_id = validate.client_id(params.get("clientAlgoId"))
        if client_id and client_id in self.client_algos and self.client_algos[client_id].is_open:
            raise BinanceError(-4116, "clientOrderId is duplicated")
        current = self._trading_price(sym)
        trigger = ZERO
        activate: Decimal | None = None
        rate: Decimal | None = None
        if order_type == "TRAILING_STOP_MARKET":
            rate = validate.callback_rate(params.get("callbackRate"))
            if params.get("activatePrice") not in (None, ""):
                activate = validate.trigger_price(spec, params.get("activatePrice"), "activatePrice")
                if (side == "SELL" and float(activate) <= current) or (side == "BUY" and float(activate) >= current):
                    raise errors.would_trigger()
        else:
            trigger = validate.trigger_price(spec, params.get("triggerPrice"))
            if validate.would_trigger_now(order_type, side, float(trigger), current):
                raise errors.would_trigger()
        if not close_position:
            ref_price = price if limit_child else (trigger if trigger else Decimal(repr(current)))
            if not reduce_only and float(qty * ref_price) < float(spec.min_notional) - 1e-12:
                raise errors.min_notional(spec.min_notional)
        if self.open_algo_count() >= self.config.max_algo_orders:
            raise BinanceError(-4045, "Reach max stop order limit.")
        if close_position and any(
            a.close_position and a.side == side and a.order_type == order_type for a in sym.algos.values()
        ):
            raise BinanceError(
                -4130, "An open stop or take profit order with GTE and closePosition in the direction is existing."
            )
        self._sync_trails(sym)
        algo = AlgoOrder(
            algo_id=self._next_id("algo"),
            client_algo_id=client_id or "",
            spec=spec,
            side=side,
            order_type=order_type,
            time_in_force=tif,
            qty=qty,
            price=price,
            trigger_price=trigger,
            working_type=validate.working_type(params.get("workingType")),
            price_protect=parse_bool("priceProtect", params.get("priceProtect")),
            reduce_only=reduce_only,
            close_position=close_position,
            create_ms=self._now,
            seq=self._next_id("seq"),
            activate_price=activate,
            callback_rate=rate,
        )
        if not algo.client_algo_id:
            algo.client_algo_id = f"simalgo-{algo.algo_id}"
        if rate is not None:
            algo.activated = activate is None
            algo.extreme = current
        self.algos[algo.algo_id] = algo
        self.client_algos[algo.client_algo_id] = algo
        sym.algos[algo.algo_id] = algo
        sym.bump()
        self._algo_event(algo)
        return algo.to_rest()

    def cancel_algo_order(self, params: Mapping[str, object]) -> dict[str, object]:
        """``DELETE /fapi/v1/algoOrder`` by ``algoId`` or ``clientAlgoId``."""
        algo = self._find_algo(params)
        if algo is None or not algo.is_open:
            raise errors.unknown_order_cancel()
        self._end_algo(self.symbols[algo.symbol], algo, "CANCELED")
        return {"algoId": algo.algo_id, "clientAlgoId": algo.client_algo_id, "code": "200", "msg": "success"}

    def query_algo_order(self, params: Mapping[str, object]) -> dict[str, object]:
        algo = self._find_algo(params)
        if algo is None:
            raise errors.no_such_order()
        return algo.to_rest()

    def open_algo_orders(self, symbol: object = None) -> list[dict[str, object]]:
        syms = [self.symbol_state(symbol)] if symbol else list(self.symbols.values())
        found = [a for s in syms for a in s.algos.values()]
        return [a.to_rest() for a in sorted(found, key=lambda a: a.algo_id)]

    def cancel_all_algo_orders(self, symbol: object) -> dict[str, object]:
        """``DELETE /fapi/v1/algoOpenOrders``."""
        if symbol in (None, ""):
            raise errors.mandatory("symbol")
        sym = self.symbol_state(symbol)
        for algo in sorted(sym.algos.values(), key=lambda a: a.algo_id):
            self._end_algo(sym, algo, "CANCELED")
        return {"code": 200, "msg": "The operation of cancel all open order is done."}

    # --- internals ------------------------------------------------------------------------------------

    def _find_algo(self, params: Mapping[str, object]) -> AlgoOrder | None:
        algo_id = params.get("algoId")
        client_id = params.get("clientAlgoId")
        if algo_id in (None, "") and client_id in (None, ""):
            raise BinanceError(-1102, "Param 'clientAlgoId' or 'algoId' must be sent, but both were empty/null!")
        if algo_id not in (None, ""):
            try:
                return self.algos.get(int(str(algo_id)))
            except ValueError:
                raise errors.mandatory("algoId") from None
        return self.client_algos.get(str(client_id))

    def _algo_event(self, algo: AlgoOrder) -> None:
        self._emit("ALGO_UPDATE", {"e": "ALGO_UPDATE", "T": self._now, "E": self._now, "o": algo.to_ws()})

    def _end_algo(self, sym: SymbolState, algo: AlgoOrder, status: str, reason: str = "") -> None:
        algo.status = status
        algo.reject_reason = reason
        algo.update_ms = self._now
        sym.algos.pop(algo.algo_id, None)
        sym.bump()
        self._algo_event(algo)

    def _finish_algo_child(self, order: Order) -> None:
        """The child order of a triggered algo order is final: the algo order is FINISHED."""
        algo = self.algos.get(order.algo_id or -1)
        if algo is None or algo.status != "TRIGGERED":
            return
        algo.executed = order.executed
        algo.avg_price = order.avg_price
        algo.status = "FINISHED"
        algo.update_ms = self._now
        self._algo_event(algo)

    def _activate(self, sym: SymbolState, algo: AlgoOrder, price: float) -> None:
        """A trailing stop's activation price was reached: it starts tracking the extreme from here."""
        algo.activated = True
        algo.extreme = price
        sym.bump()

    def _trigger(self, sym: SymbolState, algo: AlgoOrder, ref: float) -> None:
        """The trigger condition was met at ``ref``: create and execute the child order."""
        algo.status = "TRIGGERING"
        algo.trigger_ms = self._now
        algo.update_ms = self._now
        self._algo_event(algo)
        amount = sym.position.amount
        if algo.close_position:
            qty = abs(amount) if not increases(algo.side, amount) else ZERO
        else:
            qty = algo.qty
            if algo.reduce_only:
                qty = min(qty, abs(amount)) if not increases(algo.side, amount) else ZERO
        if qty <= 0:
            self._end_algo(sym, algo, "EXPIRED", "Reduce Only reject")
            return
        reducing = algo.reduce_only or algo.close_position
        if not reducing:
            try:
                self._check_margin(sym, algo.side, qty, float(algo.price) if algo.price else ref)
            except BinanceError as exc:
                self._end_algo(sym, algo, "REJECTED", exc.msg)
                return
        child_type = algo.child_type
        child = Order(
            order_id=self._next_id("order"),
            client_order_id=algo.client_algo_id,
            spec=sym.spec,
            side=algo.side,
            type=child_type,
            orig_type=algo.order_type,
            time_in_force=algo.time_in_force,
            qty=qty,
            price=algo.price if child_type == "LIMIT" else ZERO,
            reduce_only=reducing,
            close_position=algo.close_position,
            stop_price=algo.trigger_price,
            working_type=algo.working_type,
            price_protect=algo.price_protect,
            time_ms=self._now,
            seq=self._next_id("seq"),
            algo_id=algo.algo_id,
        )
        algo.actual_order_id = child.order_id
        algo.status = "TRIGGERED"
        sym.algos.pop(algo.algo_id, None)
        self._algo_event(algo)
        self._register(sym, child)
        if child_type == "MARKET":
            slip = self.config.slippage_bps / 10_000.0
            buy = child.side == "BUY"
            fill: Decimal | None = tick_price(sym.spec, ref * (1 + slip) if buy else ref * (1 - slip), up=buy)
        else:
            crosses = child.price_f >= ref if child.side == "BUY" else child.price_f <= ref
            if child.time_in_force == "GTX" and crosses:
                self._close_order(sym, child, "EXPIRED")
                return
            if not crosses:
                fill = None
            elif child.side == "BUY":
                fill = min(tick_price(sym.spec, ref, True), child.price)
            else:
                fill = max(tick_price(sym.spec, ref, False), child.price)
        self._execute(sym, child, fill)
