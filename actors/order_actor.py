"""OrderActor: hosts the OrderCore and carries out what it decides.

Outputs are executed in order: storage records first (an order's intent is on disk before the order is
sent), then exchange requests (to the ExchangeActor, replies come back here), then events for the
RiskActor and the Notifier. At start, and every ``orders.cleanup_interval_s`` while running, it
reconciles with the exchange (``core.orders.recovery``): start-up is recovery.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import EXCHANGE, NOTIFIER, RISK
from core.orders.core import OrderCore
from core.orders.effects import FillRecord, OrderRecord, TradeStarted
from core.orders.recovery import KnownOrder, KnownTrade, reconcile
from messages.control import ApplySettings, CloseSymbol, EmergencyClose, Tick
from messages.exchange import ExchangeReply, ExchangeRequest, FetchAccountState
from messages.notifications import Notify
from messages.orders import (
    AccountUpdate,
    AlgoUpdate,
    ClosePosition,
    EmergencyCloseCompleted,
    EntryFailed,
    OrderRejected,
    OrderUpdate,
    PositionClosed,
    PositionOpened,
    PositionReduced,
)
from messages.risk import EntryApproved
from messages.runtime import AnnouncePositions, ReconciliationDone, UserStreamState

log = logging.getLogger(__name__)


def _mono_ms() -> int:
    return int(time.monotonic() * 1000)


class MonotonicClock:
    """Real elapsed time, for network deadlines (never the simulated clock)."""

    def now_ms(self) -> int:
        return _mono_ms()

RECONCILE_PREFIX = "reconcile:"
DISCONNECTED_RECONCILE_MS = 5_000


class OrderActor(BotActor):
    """Entry, mandatory stop, stepped take-profits, max hold exits, cleanup and settlement."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__(ctx, name, supervisor)
        s = ctx.settings
        storage = ctx.storage
        self.core = OrderCore(bot_id=s.bot_id, orders=s.orders, risk=s.risk, clock=ctx.clock,
                              rules=ctx.catalog.rules_for, brackets=ctx.catalog.brackets_for,
                              next_sequence=lambda: storage.next_sequence("order"), deadline_clock=MonotonicClock())
        self.core.orders_leverage_default = s.exchange.leverage
        self.reconciled = False
        self.stream_connected = False
        self._last_reconcile = 0
        self._reconcile_seq = 0
        self._reconcile_in_flight = False
        self._activity_at_request: dict[str, int] = {}
        self._wallet = 0.0

    def started(self) -> None:
        self._request_reconcile(initial=True)

    # --------------------------------------------------------------- messages
    def receive(self, message: Any) -> Any:
        if isinstance(message, ExchangeReply) and message.request_id.startswith(RECONCILE_PREFIX):
            self._on_reconcile_state(message)
        elif isinstance(message, (EntryApproved, ExchangeReply, OrderUpdate, AlgoUpdate, AccountUpdate,
                                  ClosePosition)):
            if isinstance(message, EntryApproved) and not self.reconciled:
                self._execute([EntryFailed(ts_event=message.ts_event, ts_init=self.ctx.clock.now_ms(),
                                           correlation_id=message.correlation_id, symbol=message.symbol,
                                           reason="not_reconciled", detail="reconciliation has not finished")])
                return None
            self._execute(self.core.handle(message))
        elif isinstance(message, Tick):
            self._execute(self.core.handle(message))
            # Real time, not the bot's: the cost of this check is paid in request weight per real minute.
            interval = (DISCONNECTED_RECONCILE_MS if not self.stream_connected
                        else int(self.ctx.settings.orders.cleanup_interval_s * 1000))
            if _mono_ms() - self._last_reconcile >= interval:
                self._request_reconcile(initial=False)
        elif isinstance(message, EmergencyClose):
            log.warning("EMERGENCY CLOSE requested by %s", message.requested_by)
            self._execute(self.core.handle(message))
        elif isinstance(message, CloseSymbol):
            log.warning("close %s requested by %s", message.symbol, message.requested_by)
            self._execute(self.core.handle(ClosePosition(ts_init=message.ts_init, symbol=message.symbol,
                                                         reason="manual", requested_by=message.requested_by)))
        elif isinstance(message, ApplySettings):
            self.core.orders, self.core.risk = message.settings.orders, message.settings.risk
        elif isinstance(message, AnnouncePositions):
            self._announce_positions()
        elif isinstance(message, UserStreamState):
            self.stream_connected = message.connected
            if message.connected:  # events may have been missed while it was down
                self._request_reconcile(initial=False)
        else:
            return super().receive(message)
        return None

    def pending_requests(self) -> int:
        """Requests in flight (asked at the edge: a lockstep harness waits for 0)."""
        return len(self.core._requests) + int(self._reconcile_in_flight)

    def positions(self) -> list[dict[str, Any]]:
        """The book, for ``/positions`` (asked at the edge)."""
        result = []
        for p in self.core.open_positions():
            result.append({"symbol": p.symbol, "side": p.side, "quantity": float(p.remaining),
                           "entry_price": float(p.entry_price), "entry_time": p.entry_time, "state": p.state,
                           "stop": float(p.stop.trigger_price) if p.stop and p.stop.trigger_price else None,
                           "take_profits": [float(c.price or c.trigger_price or 0) for c in p.take_profits.values()
                                            if c.live],
                           "correlation_id": p.correlation_id, "origin": p.origin})
        return result

    # --------------------------------------------------------------- reconciliation
    def _request_reconcile(self, initial: bool) -> None:
        if self._reconcile_in_flight:
            return
        self._reconcile_in_flight = True
        self._reconcile_seq += 1
        now = self.ctx.clock.now_ms()
        self._last_reconcile = _mono_ms()
        kind = "initial" if initial else "check"
        self._activity_at_request = dict(self.core.activity)
        self.send(EXCHANGE, FetchAccountState(request_id=f"{RECONCILE_PREFIX}{kind}:{self._reconcile_seq}",
                                              ts_init=now, reply_to=self.name))

    def _on_reconcile_state(self, reply: ExchangeReply) -> None:
        self._reconcile_in_flight = False
        initial = ":initial:" in reply.request_id
        if reply.outcome != "ok" or reply.state is None:
            log.warning("reconciliation could not read the account (%s %s); retrying", reply.code, reply.message)
            if initial:
                self._request_reconcile(initial=True)
            return
        trades, orders = self._known() if initial else ((), ())
        outputs, report = reconcile(self.core, reply.state, trades, orders,
                                    None if initial else self._activity_at_request)
        if report.findings():
            log.warning("reconciliation: %s", report)
            now = self.ctx.clock.now_ms()  # the notifier records it for /logs and tells the owner
            self.send(NOTIFIER, Notify(ts_event=now, ts_init=now, kind="reconciliation", level="warning",
                                       text=f"Reconciliation findings: {report}"))
        self._execute(outputs)
        if reply.state.balance is not None:
            self._wallet = reply.state.balance.wallet_balance
        if initial:
            self.reconciled = True
            now = self.ctx.clock.now_ms()
            done = ReconciliationDone(ts_event=now, ts_init=now, ok=True, detail=str(report),
                                      wallet_balance=self._wallet)
            self.send(RISK, done)
            self.send(NOTIFIER, done)

    def _announce_positions(self) -> None:
        """A restarted RiskActor rebuilds its view of the positions from here."""
        now = self.ctx.clock.now_ms()
        for p in self.core.open_positions():
            if p.state in ("open", "closing") and p.stop is not None:
                self.send(RISK, PositionOpened(
                    ts_event=p.entry_time, ts_init=now, correlation_id=p.correlation_id, symbol=p.symbol,
                    side=p.side, quantity=float(p.remaining), entry_price=float(p.entry_price),
                    stop_price=float(p.stop.trigger_price or 0), take_profit_prices=(), leverage=p.leverage,
                    origin=p.origin))
        if self.reconciled:
            self.send(RISK, ReconciliationDone(ts_event=now, ts_init=now, ok=True, detail="re-announced",
                                               wallet_balance=self._wallet))

    def _known(self) -> tuple[tuple[KnownTrade, ...], tuple[KnownOrder, ...]]:
        storage = self.ctx.storage
        trades = tuple(
            KnownTrade(correlation_id=t.correlation_id, symbol=t.symbol, side=str(t.side.value),
                       entry_time=t.entry_time_ms, entry_price=t.entry_price, quantity=t.quantity,
                       leverage=t.leverage, stop_price=t.stop_price,
                       take_profit_prices=tuple(tp.price for tp in t.take_profits), origin=str(t.origin.value))
            for t in storage.open_trades())
        orders = tuple(
            KnownOrder(client_id=o.client_order_id, symbol=o.symbol, correlation_id=o.correlation_id or "",
                       kind=str(o.kind.value), status=str(o.status.value), is_algo=o.is_algo,
                       exchange_id=o.exchange_order_id or "", ts=o.created_ms, order_type=str(o.order_type.value))
            for o in storage.open_orders_known())
        return trades, orders

    # --------------------------------------------------------------- effects
    def _execute(self, outputs: list[object]) -> None:
        storage = self.ctx.storage
        for output in outputs:
            if isinstance(output, OrderRecord):
                storage.upsert_order(
                    client_order_id=output.client_id, symbol=output.symbol, kind=output.kind,
                    order_type=output.order_type, side=output.side, status=output.status,
                    correlation_id=output.correlation_id, is_algo=output.is_algo, quantity=output.quantity,
                    price=output.price, trigger_price=output.trigger_price, reduce_only=output.reduce_only,
                    close_position=output.close_position, exchange_order_id=output.exchange_id or None,
                    filled_qty=output.filled, avg_price=output.average_price or None,
                    reject_code=output.reject_code or None, reject_reason=output.reject_reason or None)
            elif isinstance(output, FillRecord):
                log.info("[%s] fill %s %s %s @ %s (fee %s %s, realized %s)", output.correlation_id, output.symbol,
                         output.side, output.quantity, output.price, output.commission,
                         output.commission_asset or "USDC", output.realized_pnl)
                storage.record_fill(
                    exchange_trade_id=output.trade_id, symbol=output.symbol, side=output.side, price=output.price,
                    qty=output.quantity, fee=output.commission, fee_asset=output.commission_asset or "USDC",
                    ts_ms=output.ts, correlation_id=output.correlation_id, exchange_order_id=output.order_id,
                    realized_pnl=output.realized_pnl, is_maker=output.maker)
            elif isinstance(output, TradeStarted):
                if storage.trade_by_correlation_id(output.correlation_id) is None:
                    storage.open_trade(correlation_id=output.correlation_id, symbol=output.symbol, side=output.side,
                                       entry_time_ms=output.entry_time, entry_price=output.entry_price,
                                       quantity=output.quantity, leverage=output.leverage,
                                       profile=self.ctx.settings.profile, origin=output.origin)
            elif isinstance(output, ExchangeRequest):
                log.info("[%s] order request %s %s", output.correlation_id, type(output).__name__,
                         _describe(output))
                self.send(EXCHANGE, msgspec.structs.replace(output, reply_to=self.name))
            elif isinstance(output, PositionOpened):
                self._on_opened(output)
            elif isinstance(output, PositionClosed):
                self._on_closed(output)
            elif isinstance(output, PositionReduced):
                log.info("[%s] %s take-profit %d filled: %s at %s, %s left", output.correlation_id, output.symbol,
                         output.step, output.quantity, output.price, output.remaining)
                self.send(NOTIFIER, output)
            elif isinstance(output, EntryFailed):
                log.warning("[%s] entry %s failed: %s (%s)", output.correlation_id, output.symbol, output.reason,
                            output.detail)
                self.send(RISK, output)
                storage.record_event("entry_failed", f"{output.symbol}: {output.detail}", level="warning",
                                     symbol=output.symbol, correlation_id=output.correlation_id)
            elif isinstance(output, EmergencyCloseCompleted):
                log.warning("emergency close finished: flat=%s, positions %s, %d orders and %d algo orders "
                            "cancelled in %d rounds%s", output.flat, list(output.closed_positions),
                            output.cancelled_orders, output.cancelled_algo_orders, output.rounds,
                            f", errors: {list(output.errors)}" if output.errors else "")
                self.send(NOTIFIER, output)
            elif isinstance(output, OrderRejected):
                log.warning("[%s] %s order %s rejected: %s %s", output.correlation_id, output.kind,
                            output.client_order_id, output.code, output.reason)
                self.send(NOTIFIER, output)

    def _on_opened(self, opened: PositionOpened) -> None:
        log.info("[%s] position OPEN %s %s %s @ %s, stop %s, take-profits %s", opened.correlation_id, opened.side,
                 opened.quantity, opened.symbol, opened.entry_price, opened.stop_price, opened.take_profit_prices)
        storage = self.ctx.storage
        trade = storage.trade_by_correlation_id(opened.correlation_id)
        if trade is None:
            storage.open_trade(correlation_id=opened.correlation_id, symbol=opened.symbol, side=opened.side,
                               entry_time_ms=opened.ts_event, entry_price=opened.entry_price,
                               quantity=opened.quantity, leverage=opened.leverage, profile=self.ctx.settings.profile,
                               stop_price=opened.stop_price, take_profits=opened.take_profit_prices,
                               origin=opened.origin)
        elif trade.is_open:
            storage.update_trade(opened.correlation_id, entry_price=opened.entry_price, quantity=opened.quantity,
                                 stop_price=opened.stop_price, take_profits=opened.take_profit_prices)
        self.send(RISK, opened)
        self.send(NOTIFIER, opened)

    def _on_closed(self, closed: PositionClosed) -> None:
        log.info("[%s] position CLOSED %s %s: %s, exit %s, PnL %.4f (fees %.4f)", closed.correlation_id,
                 closed.symbol, closed.side, closed.exit_reason, closed.exit_price, closed.realized_pnl, closed.fees)
        storage = self.ctx.storage
        trade = storage.trade_by_correlation_id(closed.correlation_id)
        if trade is None:
            storage.open_trade(correlation_id=closed.correlation_id, symbol=closed.symbol, side=closed.side,
                               entry_time_ms=closed.entry_time or closed.ts_event, entry_price=closed.entry_price,
                               quantity=closed.quantity, leverage=1, profile=self.ctx.settings.profile)
        if trade is None or trade.is_open:
            storage.close_trade(closed.correlation_id, exit_time_ms=closed.ts_event, exit_price=closed.exit_price,
                                reason=closed.exit_reason, realized_pnl=closed.realized_pnl, fees=closed.fees,
                                funding=closed.funding)
        self.send(RISK, closed)
        self.send(NOTIFIER, closed)


def _describe(request: ExchangeRequest) -> str:
    fields = [f"{k}={v}" for k, v in msgspec.structs.asdict(request).items()
              if k in ("symbol", "side", "order_type", "quantity", "price", "trigger_price", "client_order_id",
                       "close_position", "reduce_only") and v not in (None, False, "")]
    return " ".join(fields)
