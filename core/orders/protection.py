"""Protection: the stop that every position gets, the stepped take-profits, and the move of the stop to
break-even after the first take-profit. Mixed into ``OrderCore``."""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.orders.codes import UNKNOWN_ORDER_CODES
from core.orders.planning import ProtectionPlan, break_even_price, plan_protection
from core.orders.position import ZERO, ChildOrder, ManagedPosition
from messages.exchange import CancelOrder, ExchangeReply, PlaceAlgoOrder, PlaceOrder
from messages.orders import PositionOpened

if TYPE_CHECKING:
    from config.sections import OrderSettings
    from core.clock import Clock
    from core.orders.effects import OrderRecord
    from core.precision import SymbolRules

Output = Any


class ProtectionMixin:
    """Stops and take-profits; ``OrderCore`` provides the attributes and helpers declared here."""

    clock: Clock
    orders: OrderSettings

    if TYPE_CHECKING:
        def rules(self, symbol: str) -> SymbolRules: ...
        def _record(self, position: ManagedPosition, child: ChildOrder, status: str) -> OrderRecord: ...
        def _request_id(self, symbol: str, client_id: str, purpose: str) -> str: ...
        def _client_id(self, symbol: str, intent: str, step: int | None = None) -> str: ...
        def _cancel(self, position: ManagedPosition, child: ChildOrder) -> CancelOrder: ...
        def _deadline(self, seconds: float) -> int: ...

    # ----------------------------------------------------------------- protection
    def _protection(self, position: ManagedPosition) -> ProtectionPlan:
        return plan_protection(
            rules=self.rules(position.symbol), side=position.side, fill_price=float(position.entry_price),
            filled_quantity=position.remaining, reference_price=position.reference_price,
            suggested_stop=position.suggested_stop, suggested_take_profits=position.suggested_take_profits,
            split=self.orders.take_profit_split[: len(position.suggested_take_profits)],
        )

    def _place_stop(self, position: ManagedPosition, stop_price: Decimal, break_even: bool) -> list[Output]:
        rules = self.rules(position.symbol)
        stop = ChildOrder(kind="stop", client_id=self._client_id(position.symbol, "stop"), is_algo=True,
                          side=position.exit_side, order_type="STOP_MARKET", quantity=None,
                          trigger_price=stop_price, break_even=break_even)
        position.stop = stop
        request = PlaceAlgoOrder(
            request_id=self._request_id(position.symbol, stop.client_id, "stop"), ts_init=self.clock.now_ms(),
            correlation_id=position.correlation_id, symbol=position.symbol, client_order_id=stop.client_id,
            side=stop.side, order_type="STOP_MARKET", trigger_price=rules.format_price(stop_price),
            close_position=True, working_type=self.orders.working_type)
        return [self._record(position, stop, "intent"), request]

    def _on_stop_live(self, position: ManagedPosition) -> list[Output]:
        position.protect_deadline = None
        if position.state != "protecting":
            return []
        position.state = "open"
        now = self.clock.now_ms()
        stop_price = float(position.stop.trigger_price or ZERO) if position.stop else 0.0
        tp_prices = tuple(float(p) for _, p, _ in self._protection(position).take_profits)
        outputs: list[Output] = [PositionOpened(
            ts_event=position.entry_time, ts_init=now, correlation_id=position.correlation_id, symbol=position.symbol,
            side=position.side, quantity=float(position.entry_quantity), entry_price=float(position.entry_price),
            stop_price=stop_price, take_profit_prices=tp_prices, leverage=position.leverage, origin=position.origin)]
        entry = position.entry
        if entry is None or entry.status in ("filled", "canceled"):
            outputs += self._place_take_profits(position)
        return outputs

    def _place_take_profits(self, position: ManagedPosition) -> list[Output]:
        if position.take_profits or position.remaining <= 0:
            return []
        rules = self.rules(position.symbol)
        outputs: list[Output] = []
        for step, price, quantity in self._protection(position).take_profits:
            client_id = self._client_id(position.symbol, "take_profit", step)
            as_limit = self.orders.take_profit_order == "limit"
            child = ChildOrder(kind="take_profit", client_id=client_id, is_algo=not as_limit, side=position.exit_side,
                               order_type="LIMIT" if as_limit else "TAKE_PROFIT_MARKET", quantity=quantity,
                               price=price if as_limit else None, trigger_price=None if as_limit else price, step=step)
            position.take_profits[step] = child
            request_id = self._request_id(position.symbol, client_id, "tp")
            common = {"request_id": request_id, "ts_init": self.clock.now_ms(),
                      "correlation_id": position.correlation_id, "symbol": position.symbol,
                      "client_order_id": client_id, "side": child.side, "quantity": rules.format_qty(quantity),
                      "reduce_only": True}
            request = (PlaceOrder(order_type="LIMIT", price=rules.format_price(price), time_in_force="GTC", **common)
                       if as_limit else
                       PlaceAlgoOrder(order_type="TAKE_PROFIT_MARKET", trigger_price=rules.format_price(price),
                                      working_type=self.orders.working_type, **common))
            outputs += [self._record(position, child, "intent"), request]
        return outputs

    def _move_stop_to_break_even(self, position: ManagedPosition) -> list[Output]:
        """Cancel the stop, then place one at break-even (Binance allows one closePosition stop per side)."""
        stop = position.stop
        if stop is None or position.moving_stop:
            return []
        position.moving_stop = True
        position.moved_to_break_even = True
        position.protect_deadline = self._deadline(self.orders.stop_place_timeout_s)
        return [self._cancel(position, stop)]

    def _on_cancel_reply(self, position: ManagedPosition, child: ChildOrder, reply: ExchangeReply) -> list[Output]:
        gone = reply.outcome == "ok" or (reply.outcome == "rejected" and reply.code in UNKNOWN_ORDER_CODES)
        if gone and child.status != "triggered":
            child.status = "canceled"
        outputs: list[Output] = [self._record(position, child, child.status)]
        if child is position.stop and position.moving_stop and position.state in ("protecting", "open"):
            position.moving_stop = False
            if child.status == "triggered":
                return outputs  # the stop fired while we moved it: the position is closing anyway
            price = break_even_price(self.rules(position.symbol), position.side, float(position.entry_price),
                                     self.orders.break_even_offset_pct)
            outputs += self._place_stop(position, price, break_even=True)
        return outputs

