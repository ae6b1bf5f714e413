"""Emergency close (``/panic``): cancel every order, close every position, repeat until the exchange is flat.

Rounds: read the account; for every position send a reduce-only market order (a managed one closes
through the OrderCore, so its trade is settled with reason ``panic``); cancel every order, regular and
algo, on every symbol that has any; read the account again. Done when no position and no order is
left, or after ``MAX_ROUNDS`` with the leftovers reported. Idempotent: a second panic on a flat
account just confirms it is flat.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from core.ids import make_client_order_id
from core.orders.core import OrderCore, Output
from core.precision import to_decimal
from messages.exchange import AccountState, CancelAllOrders, ExchangeReply, FetchAccountState, PlaceOrder
from messages.orders import EmergencyCloseCompleted

MAX_ROUNDS = 5


@dataclass
class PanicProcedure:
    """One emergency close in progress."""

    core: OrderCore
    rounds: int = 0
    cancelled_orders: int = 0
    cancelled_algo_orders: int = 0
    closed: set[str] = field(default_factory=set)
    errors: list[str] = field(default_factory=list)
    waiting: set[str] = field(default_factory=set)
    done: bool = False

    def start(self) -> list[Output]:
        return [self._read_account()]

    def owns(self, request_id: str) -> bool:
        return request_id in self.waiting

    def on_reply(self, reply: ExchangeReply) -> list[Output]:
        self.waiting.discard(reply.request_id)
        if reply.outcome != "ok":
            self.errors.append(f"{type(reply.request).__name__}: {reply.code} {reply.message}")
        if isinstance(reply.request, FetchAccountState):
            return self._on_account(reply.state)
        if not self.waiting:
            return [self._read_account()]
        return []

    def _on_account(self, state: AccountState | None) -> list[Output]:
        if state is None:
            return self._finish(flat=False) if self.rounds >= MAX_ROUNDS else [self._read_account()]
        positions = [p for p in state.positions if p.amount != 0]
        orders = [*state.open_orders, *state.open_algo_orders]
        if not positions and not orders:
            return self._finish(flat=True)
        if self.rounds >= MAX_ROUNDS:
            self.errors.append(f"still open after {MAX_ROUNDS} rounds: "
                               f"{[p.symbol for p in positions]} positions, {len(orders)} orders")
            return self._finish(flat=False)
        self.rounds += 1
        outputs: list[Output] = []
        core = self.core
        for snapshot in positions:
            self.closed.add(snapshot.symbol)
            managed = core.positions.get(snapshot.symbol)
            if managed is not None and managed.state in ("protecting", "open"):
                outputs += core.close_for_panic(managed, to_decimal(abs(snapshot.amount)))
                continue
            rules = core.rules(snapshot.symbol)
            quantity = rules.round_qty(to_decimal(abs(snapshot.amount)))
            client_id = make_client_order_id(core.bot_id, snapshot.symbol, "exit", core.next_sequence())
            outputs.append(self._track(PlaceOrder(
                request_id=core.untracked_request_id(), ts_init=core.clock.now_ms(), symbol=snapshot.symbol,
                client_order_id=client_id, side="SELL" if snapshot.amount > 0 else "BUY", order_type="MARKET",
                quantity=rules.format_qty(quantity), reduce_only=True, correlation_id="panic")))
        for symbol in sorted({o.symbol for o in orders}):
            self.cancelled_orders += sum(1 for o in state.open_orders if o.symbol == symbol)
            self.cancelled_algo_orders += sum(1 for o in state.open_algo_orders if o.symbol == symbol)
            outputs.append(self._track(CancelAllOrders(request_id=core.untracked_request_id(),
                                                       ts_init=core.clock.now_ms(), symbol=symbol,
                                                       correlation_id="panic")))
        if not self.waiting:
            outputs.append(self._read_account())
        return outputs

    def _read_account(self) -> FetchAccountState:
        return self._track(FetchAccountState(request_id=self.core.untracked_request_id(),
                                             ts_init=self.core.clock.now_ms(), correlation_id="panic"))

    def _track(self, request):  # type: ignore[no-untyped-def]
        self.waiting.add(request.request_id)
        return request

    def _finish(self, flat: bool) -> list[Output]:
        self.done = True
        now = self.core.clock.now_ms()
        return [EmergencyCloseCompleted(
            ts_event=now, ts_init=now, cancelled_orders=self.cancelled_orders,
            cancelled_algo_orders=self.cancelled_algo_orders, closed_positions=tuple(sorted(self.closed)),
            flat=flat, rounds=self.rounds, errors=tuple(self.errors))]
