"""OrderCore: the life of every position, as a pure state machine.

``handle(message) -> outputs``: messages in (approved entries, exchange replies, order/algo/account
updates, close commands, ticks), outputs out (exchange requests, storage records, events for the
RiskActor and the Notifier). No threads, no I/O, no clock reads except the injected one: the
OrderActor hosts it live, the backtest drives it against the simulator's engine.

The rules it enforces:
- an entry is a MARKET order whose intent is recorded before it is sent;
- as soon as any of it fills, a STOP_MARKET (closePosition) algo order protects the whole position;
  if that cannot be done within ``stop_place_timeout_s`` the position is closed at market, and a stop
  refused with -2021 (price already beyond it) means: close at market now, deliberately;
- stepped reduce-only take-profits follow, adding up to the filled quantity exactly;
- after the first take-profit fills, the stop moves to break-even plus fees;
- when the position is flat for any reason, every remaining order is cancelled and the trade is
  finalised from the exchange's own fills (exact fees and PnL).
"""

from __future__ import annotations

from collections.abc import Callable
from decimal import Decimal
from typing import Any

from config.sections import OrderSettings, RiskSettings
from core.clock import Clock
from core.ids import make_client_order_id
from core.orders.closing import ClosingMixin, Output
from core.orders.codes import IMMEDIATE_TRIGGER, MAX_STOP_ATTEMPTS, REDUCE_ONLY_REJECTED, UNKNOWN_ORDER_CODES
from core.orders.effects import FillRecord, OrderRecord, TradeStarted
from core.orders.planning import Bracket, SizingRefusal, break_even_price, size_entry
from core.orders.position import (
    LIQUIDATION_PREFIXES,
    TERMINAL_ORDER_STATUSES,
    ZERO,
    ChildOrder,
    Fill,
    ManagedPosition,
    dec,
)
from core.orders.protection import ProtectionMixin
from core.precision import SymbolRules
from messages.control import EmergencyClose, Tick
from messages.exchange import (
    AccountState,
    CancelOrder,
    ExchangeReply,
    OrderSnapshot,
    PlaceOrder,
    QueryOrder,
)
from messages.orders import (
    AccountUpdate,
    AlgoUpdate,
    ClosePosition,
    EntryFailed,
    ExitReason,
    OrderRejected,
    OrderUpdate,
    PositionClosed,
    PositionReduced,
)
from messages.risk import EntryApproved


class OrderCore(ProtectionMixin, ClosingMixin):
    """Positions by symbol (one position per symbol) and the requests in flight for them."""

    def __init__(
        self,
        *,
        bot_id: str,
        orders: OrderSettings,
        risk: RiskSettings,
        clock: Clock,
        rules: Callable[[str], SymbolRules],
        brackets: Callable[[str], tuple[Bracket, ...]] = lambda _symbol: (),
        next_sequence: Callable[[], int],
        deadline_clock: Clock | None = None,
    ) -> None:
        self.bot_id = bot_id
        self.orders = orders
        self.risk = risk
        self.clock = clock
        self.rules = rules
        self.brackets = brackets
        self.next_sequence = next_sequence
        # Network deadlines (placing a stop) are real-time facts, whatever the simulated speed: live the
        # OrderActor passes a monotonic clock; the backtest, where requests take no time, the engine's.
        self.deadline_clock = deadline_clock or clock
        self.activity: dict[str, int] = {}  # symbol → changes seen: a reconciliation snapshot older than
        #                                      the last change of a symbol must not be trusted for it
        self.positions: dict[str, ManagedPosition] = {}
        self._requests: dict[str, tuple[str, str, str]] = {}  # request id → (symbol, client id, purpose)
        self._request_counter = 0
        self.closed: list[PositionClosed] = []
        self.panic: Any = None  # a PanicProcedure while an emergency close runs

    # ----------------------------------------------------------------- dispatch
    def handle(self, message: object) -> list[Output]:
        """Process one message and return what must happen next, in order."""
        symbol = getattr(message, "symbol", None) or getattr(getattr(message, "request", None), "symbol", None)
        if symbol:
            self.activity[symbol] = self.activity.get(symbol, 0) + 1
        if isinstance(message, EntryApproved):
            return self._on_entry_approved(message)
        if isinstance(message, ExchangeReply):
            outputs = self._on_reply(message)
            if self.panic is not None and self.panic.owns(message.request_id):
                outputs += self.panic.on_reply(message)
            return outputs
        if isinstance(message, EmergencyClose):
            if self.panic is not None and not self.panic.done:
                return []  # already running: a second /panic changes nothing
            from core.orders.panic import PanicProcedure

            self.panic = PanicProcedure(self)
            return self.panic.start()
        if isinstance(message, OrderUpdate):
            return self._on_order_update(message)
        if isinstance(message, AlgoUpdate):
            return self._on_algo_update(message)
        if isinstance(message, AccountUpdate):
            return self._on_account_update(message)
        if isinstance(message, ClosePosition):
            return self._on_close(message)
        if isinstance(message, Tick):
            return self._on_tick(message.ts_init)
        return []

    def open_positions(self) -> list[ManagedPosition]:
        return [p for p in self.positions.values() if p.state != "closed"]

    # ----------------------------------------------------------------- entry
    def _on_entry_approved(self, approved: EntryApproved) -> list[Output]:
        now = self.clock.now_ms()
        symbol = approved.symbol
        if symbol in self.positions:
            return [self._entry_failed(approved.correlation_id, symbol, "position_exists",
                                       f"{symbol} already has a position or an entry in flight")]
        try:
            rules = self.rules(symbol)
        except KeyError:
            detail = f"no market data for {symbol}"
            return [self._entry_failed(approved.correlation_id, symbol, "unknown_symbol", detail)]
        size = size_entry(
            rules=rules, reference_price=approved.reference_price, stop_price=approved.stop_price,
            risk_amount=approved.risk_amount, sizing_balance=approved.sizing_balance,
            available_balance=approved.available_balance, leverage=approved.leverage,
            max_position_pct=self.risk.max_position_pct, brackets=self.brackets(symbol),
        )
        if isinstance(size, SizingRefusal):
            return [self._entry_failed(approved.correlation_id, symbol, size.reason, size.detail)]
        position = ManagedPosition(
            correlation_id=approved.correlation_id, symbol=symbol, side=approved.side, leverage=approved.leverage,
            reference_price=approved.reference_price, suggested_stop=approved.stop_price,
            suggested_take_profits=approved.take_profit_prices,
        )
        entry = ChildOrder(kind="entry", client_id=self._client_id(symbol, "entry"), is_algo=False,
                           side=position.entry_side, order_type="MARKET", quantity=size.quantity)
        position.entry = entry
        self.positions[symbol] = position
        request = PlaceOrder(request_id=self._request_id(symbol, entry.client_id, "entry"), ts_init=now,
                             correlation_id=position.correlation_id, symbol=symbol, client_order_id=entry.client_id,
                             side=entry.side, order_type="MARKET", quantity=rules.format_qty(size.quantity),
                             leverage=approved.leverage)
        return [self._record(position, entry, "intent"), request]

    def _entry_failed(self, correlation_id: str, symbol: str, reason: str, detail: str) -> EntryFailed:
        now = self.clock.now_ms()
        return EntryFailed(ts_event=now, ts_init=now, correlation_id=correlation_id, symbol=symbol,
                           reason=reason, detail=detail)

    # ----------------------------------------------------------------- replies
    def _on_reply(self, reply: ExchangeReply) -> list[Output]:
        route = self._requests.pop(reply.request_id, None)
        if route is None:
            return []
        symbol, client_id, purpose = route
        position = self.positions.get(symbol)
        if position is None:
            return []
        position.pending_requests.discard(reply.request_id)
        if purpose == "account":
            return self._on_account_state(position, reply)
        child = position.find_child(client_id=client_id)
        if child is None:
            return []
        if purpose == "cancel":
            return self._on_cancel_reply(position, child, reply)
        if reply.outcome == "ok" and reply.order is not None:
            return self._apply_snapshot(position, child, reply.order)
        if reply.outcome == "rejected":
            if purpose == "query" and reply.code in UNKNOWN_ORDER_CODES:
                return self._on_rejected(position, child, reply.code, "order was never placed")
            if purpose != "query":
                return self._on_rejected(position, child, reply.code, reply.message)
        child.status = "unknown"  # settle on the next tick by querying the client id
        return [self._record(position, child, "unknown")]

    def _apply_snapshot(self, position: ManagedPosition, child: ChildOrder, order: OrderSnapshot) -> list[Output]:
        outputs: list[Output] = []
        if order.order_id and not child.exchange_id:
            child.exchange_id = order.order_id
        if order.child_order_id:
            child.child_order_id = order.child_order_id
        status = order.status
        if child.is_algo:
            if status in ("NEW", "TRIGGERING"):
                child.status = "open"
            elif status in ("TRIGGERED", "FINISHED"):
                child.status = "triggered"
            elif status in ("CANCELED", "EXPIRED", "REJECTED"):
                child.status = "canceled"
            outputs.append(self._record(position, child, status.lower()))
            if child is position.stop and child.status == "open":
                outputs += self._on_stop_live(position)
            elif (child is position.stop and child.status == "canceled" and not position.moving_stop
                  and position.state in ("open", "protecting") and position.remaining > 0):
                outputs += self.rearm_stop(position)  # someone cancelled our stop: protect again at once
            return outputs
        outputs += self._apply_fill_progress(position, child, dec(order.filled_quantity), dec(order.average_price))
        if status == "FILLED":
            child.status = "filled"
        elif status in ("CANCELED", "EXPIRED", "REJECTED"):
            child.status = "canceled"
        elif status in ("NEW", "PARTIALLY_FILLED"):
            child.status = "open"
        # The order's new state is recorded first — except that a trade's first fill is recorded *after*
        # the trade row (TradeStarted): a crash between the two must leave the trade, not just a filled
        # entry order, for reconciliation to recognise the position as the bot's own.
        started = [o for o in outputs if isinstance(o, TradeStarted)]
        rest = [o for o in outputs if not isinstance(o, TradeStarted)]
        outputs = [*started, self._record(position, child, status.lower()), *rest]
        if child.kind == "entry" and status in TERMINAL_ORDER_STATUSES and position.entry_quantity == 0:
            outputs += self._abandon(position, "entry_not_filled", f"entry ended {status} with nothing filled")
        elif child.kind == "entry" and status in TERMINAL_ORDER_STATUSES and position.state == "open":
            outputs += self._place_take_profits(position)
        return outputs

    def _on_rejected(self, position: ManagedPosition, child: ChildOrder, code: int, text: str) -> list[Output]:
        now = self.clock.now_ms()
        child.status = "rejected"
        outputs: list[Output] = [
            self._record(position, child, "rejected", reject_code=code, reject_reason=text),
            OrderRejected(ts_event=now, ts_init=now, correlation_id=position.correlation_id, symbol=position.symbol,
                          client_order_id=child.client_id, kind=child.kind, code=code, reason=text),
        ]
        if child.kind == "entry":
            outputs += self._abandon(position, f"rejected_{code}", text)
        elif child is position.stop:
            if code == IMMEDIATE_TRIGGER:
                reason: ExitReason = "break_even_stop" if child.break_even else "stop_loss"
                outputs += self._close_at_market(position, reason)
            elif position.state in ("protecting", "open"):
                position.stop_attempts += 1
                if position.stop_attempts >= MAX_STOP_ATTEMPTS:
                    outputs += self._close_at_market(position, "protection_failed")
                else:
                    outputs += self._place_stop(position, child.trigger_price or ZERO, child.break_even)
        elif child.kind == "exit" and code == REDUCE_ONLY_REJECTED:
            outputs.append(self._fetch_account(position))
        elif child.kind == "exit" and position.state == "closing":
            outputs += self._send_exit(position, child.reason or "protection_failed")
        return outputs

    def _abandon(self, position: ManagedPosition, reason: str, detail: str) -> list[Output]:
        position.state = "closed"
        del self.positions[position.symbol]
        return [self._entry_failed(position.correlation_id, position.symbol, reason, detail)]

    # ----------------------------------------------------------------- fills
    def _apply_fill_progress(self, position: ManagedPosition, child: ChildOrder, filled: Decimal,
                             average: Decimal) -> list[Output]:
        delta = position.apply_order_progress(child.client_id, filled, average, child.side)
        child.filled, child.average_price = max(child.filled, filled), average or child.average_price
        if delta <= 0:
            return []
        if child.kind == "entry":
            return self._on_entry_fill(position)
        position.last_reducer_order_id = child.exchange_id or child.client_id
        return self._on_reducing_fill(position, child, delta, average)

    def _on_entry_fill(self, position: ManagedPosition) -> list[Output]:
        if position.state != "entering":
            return []
        position.entry_time = position.entry_time or self.clock.now_ms()
        position.state = "protecting"
        position.protect_deadline = self._deadline(self.orders.stop_place_timeout_s)
        plan = self._protection(position)
        started = TradeStarted(correlation_id=position.correlation_id, symbol=position.symbol, side=position.side,
                               entry_time=position.entry_time, entry_price=float(position.entry_price),
                               quantity=float(position.entry_quantity), leverage=position.leverage,
                               origin=position.origin)
        return [started, *self._place_stop(position, plan.stop_price, break_even=False)]

    def _on_reducing_fill(self, position: ManagedPosition, child: ChildOrder, delta: Decimal,
                          price: Decimal) -> list[Output]:
        outputs: list[Output] = []
        now = self.clock.now_ms()
        if child.kind == "take_profit" and child.step is not None:
            outputs.append(PositionReduced(
                ts_event=now, ts_init=now, correlation_id=position.correlation_id, symbol=position.symbol,
                side=position.side, quantity=float(delta), price=float(price), remaining=float(position.remaining),
                realized_pnl=0.0, step=child.step))
            if (self.orders.move_stop_to_break_even and not position.moved_to_break_even
                    and child.filled >= (child.quantity or ZERO) and position.remaining > 0):
                outputs += self._move_stop_to_break_even(position)
        if position.remaining <= 0 and position.state not in ("finalizing", "closed"):
            outputs += self._begin_finalize(position)
        return outputs

    def _on_order_update(self, update: OrderUpdate) -> list[Output]:
        position = self.positions.get(update.symbol)
        if position is None:
            return []
        outputs: list[Output] = []
        if update.client_order_id.startswith(LIQUIDATION_PREFIXES) or update.order_type == "LIQUIDATION":
            position.liquidation_order_ids.add(update.order_id)
        if update.trade_id and update.last_filled_quantity > 0:
            fill = Fill(trade_id=update.trade_id, order_id=update.order_id, side=update.side,
                        price=dec(update.last_filled_price), quantity=dec(update.last_filled_quantity),
                        commission=dec(update.commission), realized_pnl=dec(update.realized_pnl), ts=update.ts_event)
            if position.record_fill(fill):
                outputs.append(FillRecord(
                    correlation_id=position.correlation_id, symbol=position.symbol, trade_id=update.trade_id,
                    order_id=update.order_id, side=update.side, price=update.last_filled_price,
                    quantity=update.last_filled_quantity, commission=update.commission,
                    commission_asset=update.commission_asset, realized_pnl=update.realized_pnl,
                    maker=update.maker, ts=update.ts_event))
        child = position.find_child(client_id=update.client_order_id, order_id=update.order_id)
        if child is None:
            # Not one of ours (a stop's triggered child before its ALGO_UPDATE, a manual order, a
            # liquidation): account it against the position by order id.
            side = update.side
            delta = position.apply_order_progress(f"order:{update.order_id}", dec(update.filled_quantity),
                                                  dec(update.average_price), side)
            if delta > 0 and side == position.exit_side:
                position.last_reducer_order_id = update.order_id
                if position.remaining <= 0 and position.state not in ("finalizing", "closed"):
                    outputs += self._begin_finalize(position)
            return outputs
        if child.exchange_id == "" and update.order_id:
            child.exchange_id = update.order_id
        snapshot = OrderSnapshot(symbol=update.symbol, order_id=update.order_id, client_order_id=child.client_id,
                                 is_algo=False, side=update.side, order_type=update.order_type, status=update.status,
                                 quantity=update.quantity, filled_quantity=update.filled_quantity,
                                 average_price=update.average_price, price=update.price)
        return outputs + self._apply_snapshot(position, child, snapshot)

    def _on_algo_update(self, update: AlgoUpdate) -> list[Output]:
        position = self.positions.get(update.symbol)
        if position is None:
            return []
        child = position.find_child(client_id=update.client_algo_id)
        if child is None:
            return []
        snapshot = OrderSnapshot(symbol=update.symbol, order_id=update.algo_id, client_order_id=child.client_id,
                                 is_algo=True, side=update.side, order_type=update.order_type, status=update.status,
                                 quantity=update.quantity, trigger_price=update.trigger_price,
                                 child_order_id=update.child_order_id)
        outputs = self._apply_snapshot(position, child, snapshot)
        if update.child_order_id:
            # The stop's child may have filled before we learnt its id: re-attribute.
            key = f"order:{update.child_order_id}"
            if key in position.order_fill_progress and position.last_reducer_order_id == update.child_order_id:
                position.last_reducer_order_id = update.child_order_id
        return outputs

    def _on_account_update(self, update: AccountUpdate) -> list[Output]:
        outputs: list[Output] = []
        for change in update.positions:
            position = self.positions.get(change.symbol)
            if position is None:
                continue
            if update.reason == "FUNDING_FEE" and len(update.positions) == 1:
                for balance in update.balances:
                    position.funding += dec(balance.balance_change)
            if (change.amount == 0 and position.state in ("protecting", "open", "closing")
                    and position.entry_quantity > 0):
                outputs += self._begin_finalize(position)
        return outputs

    # ----------------------------------------------------------------- timers
    def _deadline(self, seconds: float) -> int:
        return self.deadline_clock.now_ms() + int(seconds * 1000)

    def _on_tick(self, now: int) -> list[Output]:
        outputs: list[Output] = []
        real_now = self.deadline_clock.now_ms()
        for position in list(self.positions.values()):
            deadline = position.protect_deadline
            if deadline is not None and real_now >= deadline and position.state in ("protecting", "open"):
                stop = position.stop
                if stop is None or stop.status != "open":
                    position.protect_deadline = None
                    outputs += self._close_at_market(position, "protection_failed")
            for child in position.children():
                if child.status == "unknown" and not any(
                        r[1] == child.client_id for r in self._requests.values()):
                    outputs.append(QueryOrder(
                        request_id=self._request_id(position.symbol, child.client_id, "query"), ts_init=now,
                        correlation_id=position.correlation_id, symbol=position.symbol,
                        client_order_id=child.client_id, is_algo=child.is_algo))
        return outputs

    # ----------------------------------------------------------------- reconciliation hooks
    orders_leverage_default = 1

    def rearm_stop(self, position: ManagedPosition) -> list[Output]:
        """Place a fresh stop (break-even if the position was already reduced by a take-profit)."""
        if position.state not in ("protecting", "open") or position.remaining <= 0:
            return []
        position.protect_deadline = self._deadline(self.orders.stop_place_timeout_s)
        if position.moved_to_break_even or (position.exit_quantity > 0 and self.orders.move_stop_to_break_even):
            price = break_even_price(self.rules(position.symbol), position.side, float(position.entry_price),
                                     self.orders.break_even_offset_pct)
            return self._place_stop(position, price, break_even=True)
        return self._place_stop(position, self._protection(position).stop_price, break_even=False)

    def mark_protected(self, position: ManagedPosition) -> list[Output]:
        """A rebuilt position whose stop is live: announce it, and add take-profits if it never had any."""
        position.state = "protecting"
        outputs = self._on_stop_live(position)
        return outputs

    def close_for_panic(self, position: ManagedPosition, exchange_amount: Decimal) -> list[Output]:
        """Close a managed position for /panic, by what the exchange holds (someone may have added to
        it); the procedure waits for the exit's reply too."""
        if exchange_amount > position.remaining:
            position.entry_quantity += exchange_amount - position.remaining
        elif exchange_amount < position.remaining:
            position.exit_quantity += position.remaining - exchange_amount
        outputs = self._close_at_market(position, "panic")
        for output in outputs:
            if isinstance(output, PlaceOrder) and self.panic is not None:
                self.panic.waiting.add(output.request_id)
        return outputs

    def query_child(self, position: ManagedPosition, child: ChildOrder) -> list[Output]:
        return [QueryOrder(request_id=self._request_id(position.symbol, child.client_id, "query"),
                           ts_init=self.clock.now_ms(), correlation_id=position.correlation_id,
                           symbol=position.symbol, client_order_id=child.client_id, is_algo=child.is_algo)]

    def finalize_from(self, position: ManagedPosition, _state: AccountState) -> list[Output]:
        """The exchange shows no position any more: cancel leftovers, read the fills, settle the trade."""
        return self._begin_finalize(position)

    def untracked_request_id(self) -> str:
        """An id for a request whose reply needs no handling (cancelling an orphan order)."""
        self._request_counter += 1
        return f"o{self._request_counter}"

    # ----------------------------------------------------------------- helpers
    def _cancel(self, position: ManagedPosition, child: ChildOrder) -> CancelOrder:
        return CancelOrder(request_id=self._request_id(position.symbol, child.client_id, "cancel"),
                           ts_init=self.clock.now_ms(), correlation_id=position.correlation_id,
                           symbol=position.symbol, client_order_id=child.client_id, is_algo=child.is_algo)

    def _client_id(self, symbol: str, intent: str, step: int | None = None) -> str:
        return make_client_order_id(self.bot_id, symbol, intent, self.next_sequence(), step)

    def _request_id(self, symbol: str, client_id: str, purpose: str) -> str:
        self._request_counter += 1
        request_id = f"o{self._request_counter}"
        self._requests[request_id] = (symbol, client_id, purpose)
        return request_id

    def _record(self, position: ManagedPosition, child: ChildOrder, status: str, *, reject_code: int = 0,
                reject_reason: str = "") -> OrderRecord:
        rules = self.rules(position.symbol)
        return OrderRecord(
            correlation_id=position.correlation_id, symbol=position.symbol, client_id=child.client_id,
            kind=child.kind, is_algo=child.is_algo, order_type=child.order_type, side=child.side, status=status,
            ts=self.clock.now_ms(),
            quantity=rules.format_qty(child.quantity) if child.quantity is not None else None,
            price=rules.format_price(child.price) if child.price is not None else None,
            trigger_price=rules.format_price(child.trigger_price) if child.trigger_price is not None else None,
            reduce_only=child.kind in ("take_profit", "exit"), close_position=child.kind == "stop",
            exchange_id=child.exchange_id, filled=float(child.filled), average_price=float(child.average_price),
            reject_code=reject_code, reject_reason=reject_reason)
