"""Closing positions and settling trades: the second half of the OrderCore.

A position closes by its stop, its last take-profit, a market exit (timeout, /close, panic, failed
protection), a liquidation or someone else's order. Whatever the way, once it is flat its remaining
orders are cancelled and the trade is settled from the exchange's own fills, so fees and PnL in the
database are exactly the exchange's.
"""

from __future__ import annotations

from decimal import Decimal
from typing import TYPE_CHECKING, Any

from core.orders.effects import FillRecord
from core.orders.position import ZERO, ChildOrder, Fill, ManagedPosition, dec
from messages.exchange import AccountState, CancelOrder, ExchangeReply, FetchAccountState, PlaceOrder, TradeFill
from messages.orders import ClosePosition, ExitReason, PositionClosed

if TYPE_CHECKING:
    from config.sections import OrderSettings
    from core.clock import Clock
    from core.orders.effects import OrderRecord
    from core.precision import SymbolRules

Output = Any  # ExchangeRequest | OrderRecord | FillRecord | an event message
FILL_WINDOW_MS = 10 * 60_000


def _own_fills(position: ManagedPosition, fills: list[TradeFill]) -> list[TradeFill]:
    """The exchange fills that made up this position, and no other.

    In one-way mode a position starts and ends flat, so walking the symbol's fills back from the last
    one, the running amount returns to zero exactly at this position's first entry fill: everything
    before belongs to an earlier position. Works whatever the clocks say.
    """
    ordered = sorted(fills, key=lambda f: (f.ts, int(f.trade_id) if f.trade_id.isdigit() else 0, f.trade_id))
    net = ZERO
    own: list[TradeFill] = []
    for fill in reversed(ordered):
        own.append(fill)
        net += dec(fill.quantity) if fill.side == position.exit_side else -dec(fill.quantity)
        if net == 0 and fill.side == position.entry_side:
            break
    else:
        # Never flat again inside the window: keep the fills from the entry time on (the best guess).
        return [f for f in ordered if f.ts >= position.entry_time - FILL_WINDOW_MS // 10]
    return list(reversed(own))


class ClosingMixin:
    """Closing and settlement; mixed into ``OrderCore`` (which provides the attributes below)."""

    clock: Clock
    orders: OrderSettings
    positions: dict[str, ManagedPosition]
    closed: list[PositionClosed]

    if TYPE_CHECKING:
        def rules(self, symbol: str) -> SymbolRules: ...
        def _record(self, position: ManagedPosition, child: ChildOrder, status: str) -> OrderRecord: ...
        def _request_id(self, symbol: str, client_id: str, purpose: str) -> str: ...
        def _client_id(self, symbol: str, intent: str, step: int | None = None) -> str: ...
        def _cancel(self, position: ManagedPosition, child: ChildOrder) -> CancelOrder: ...
        def _place_stop(self, position: ManagedPosition, stop_price: Decimal, break_even: bool) -> list[Output]: ...
        def _protection(self, position: ManagedPosition) -> Any: ...

    # ----------------------------------------------------------------- closing
    def _on_close(self, command: ClosePosition) -> list[Output]:
        position = self.positions.get(command.symbol)
        if position is None or position.state in ("finalizing", "closed", "entering"):
            return []
        return self._close_at_market(position, command.reason)

    def _close_at_market(self, position: ManagedPosition, reason: ExitReason) -> list[Output]:
        if position.state == "closing":
            return []
        position.state = "closing"
        position.close_reason = reason
        return self._send_exit(position, reason)

    def _send_exit(self, position: ManagedPosition, reason: ExitReason) -> list[Output]:
        quantity = position.remaining
        if quantity <= 0:
            return [self._fetch_account(position)]
        rules = self.rules(position.symbol)
        child = ChildOrder(kind="exit", client_id=self._client_id(position.symbol, "exit"), is_algo=False,
                           side=position.exit_side, order_type="MARKET", quantity=quantity, reason=reason)
        position.exits.append(child)
        request = PlaceOrder(request_id=self._request_id(position.symbol, child.client_id, "exit"),
                             ts_init=self.clock.now_ms(), correlation_id=position.correlation_id,
                             symbol=position.symbol, client_order_id=child.client_id, side=child.side,
                             order_type="MARKET", quantity=rules.format_qty(quantity), reduce_only=True)
        return [self._record(position, child, "intent"), request]

    def _begin_finalize(self, position: ManagedPosition, fetch: bool = True) -> list[Output]:
        """The position is flat: cancel what is left of its orders and read its fills to settle the trade."""
        position.state = "finalizing"
        position.protect_deadline = None
        outputs: list[Output] = [self._cancel(position, child) for child in position.children()
                                 if child.kind in ("stop", "take_profit") and child.status in ("open", "sending")]
        if fetch:
            outputs.append(self._fetch_account(position))
        return outputs

    def _fetch_account(self, position: ManagedPosition) -> FetchAccountState:
        request_id = self._request_id(position.symbol, "", "account")
        position.pending_requests.add(request_id)
        # A generous window: the bot's clock and the exchange's may differ by seconds (and the entry time
        # of a rebuilt position is the database's); the position's own fills are picked out exactly below.
        since = max(position.entry_time - FILL_WINDOW_MS, 0)
        return FetchAccountState(request_id=request_id, ts_init=self.clock.now_ms(),
                                 correlation_id=position.correlation_id, symbols=(position.symbol,),
                                 fills_since_ms=since)

    def _on_account_state(self, position: ManagedPosition, reply: ExchangeReply) -> list[Output]:
        state = reply.state
        if reply.outcome != "ok" or state is None:
            return [self._fetch_account(position)]
        amount = next((p.amount for p in state.positions if p.symbol == position.symbol), 0.0)
        if amount != 0 and position.state in ("finalizing", "closing"):
            if position.state == "finalizing":
                position.state = "open"  # fills were not final yet: keep protecting
            return self._repair_after_resync(position, dec(abs(amount)))
        if position.state == "closing":
            return self._begin_finalize(position, fetch=False) + self._finalize(position, state)
        if position.state != "finalizing":
            return []
        return self._finalize(position, state)

    def _repair_after_resync(self, position: ManagedPosition, amount: Decimal) -> list[Output]:
        """The exchange still holds ``amount``: trust it, and close or re-protect what is there."""
        position.exit_quantity = max(position.entry_quantity - amount, ZERO)
        if position.state == "closing":
            return self._send_exit(position, position.close_reason or "protection_failed")
        if position.stop is None or not position.stop.live:
            return self._place_stop(position, self._protection(position).stop_price, position.moved_to_break_even)
        return []

    def _finalize(self, position: ManagedPosition, state: AccountState) -> list[Output]:
        outputs: list[Output] = []
        for fill in _own_fills(position, [f for f in state.fills if f.symbol == position.symbol]):
            record = Fill(trade_id=fill.trade_id, order_id=fill.order_id, side=fill.side, price=dec(fill.price),
                          quantity=dec(fill.quantity), commission=dec(fill.commission),
                          realized_pnl=dec(fill.realized_pnl), ts=fill.ts)
            if position.record_fill(record):
                outputs.append(FillRecord(
                    correlation_id=position.correlation_id, symbol=position.symbol, trade_id=fill.trade_id,
                    order_id=fill.order_id, side=fill.side, price=fill.price, quantity=fill.quantity,
                    commission=fill.commission, commission_asset=fill.commission_asset,
                    realized_pnl=fill.realized_pnl, maker=fill.maker, ts=fill.ts))
        exit_fills = sorted((f for f in position.fills.values() if f.side == position.exit_side),
                            key=lambda f: (f.ts, f.trade_id))
        if exit_fills:
            position.last_reducer_order_id = exit_fills[-1].order_id
            position.exit_time = exit_fills[-1].ts
        exit_qty, exit_notional, realized, fees = position.fill_totals()
        if exit_qty > 0:
            position.exit_price = exit_notional / exit_qty
        elif position.exit_quantity > 0:
            position.exit_price = position.exit_notional / position.exit_quantity
        now = self.clock.now_ms()
        closed = PositionClosed(
            ts_event=position.exit_time or now, ts_init=now, correlation_id=position.correlation_id,
            symbol=position.symbol, side=position.side, quantity=float(position.entry_quantity),
            entry_price=float(position.entry_price), exit_price=float(position.exit_price),
            entry_time=position.entry_time, exit_reason=self._exit_reason(position),
            realized_pnl=float(realized - fees + position.funding), fees=float(fees), funding=float(position.funding))
        position.state = "closed"
        del self.positions[position.symbol]
        self.closed.append(closed)
        return [*outputs, closed]

    def _exit_reason(self, position: ManagedPosition) -> ExitReason:
        """Which order flattened the position decides the reason."""
        last = position.last_reducer_order_id
        if last in position.liquidation_order_ids:
            return "liquidation"
        child = position.find_child(order_id=last) or position.find_child(client_id=last)
        if child is not None:
            if child.kind == "take_profit" and child.step is not None:
                return f"take_profit_{child.step}"  # type: ignore[return-value]
            if child.kind == "exit":
                return child.reason or "manual"
            if child.kind == "stop":
                return "break_even_stop" if child.break_even else "stop_loss"
        stop = position.stop
        if stop is not None and (stop.status == "triggered" or (stop.child_order_id and stop.child_order_id == last)):
            return "break_even_stop" if stop.break_even else "stop_loss"
        if position.close_reason is not None:
            return position.close_reason
        return "manual" if last else "external"

