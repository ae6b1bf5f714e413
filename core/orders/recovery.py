"""Reconciliation: make the OrderCore's book agree with the exchange. Start-up *is* recovery.

Run at start (with what the database remembers) and periodically while running (the protection
invariant): every position on the exchange is managed and has one live stop; positions the bot
knew that are gone are settled from the exchange's fills; the bot's own orders that belong to no
position are cancelled; a position nobody told us about is adopted and protected. Orders that are
not the bot's (other client ids) are never touched.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from core.ids import parse_client_order_id
from core.orders.core import OrderCore, Output
from core.orders.position import ZERO, ChildOrder, ManagedPosition, dec
from messages.exchange import AccountState, CancelOrder, OrderSnapshot, PositionSnapshot


@dataclass(frozen=True, slots=True)
class KnownTrade:
    """An open trade as the database remembers it."""

    correlation_id: str
    symbol: str
    side: str
    entry_time: int
    entry_price: float
    quantity: float
    leverage: int
    stop_price: float | None
    take_profit_prices: tuple[float, ...]
    origin: str


@dataclass(frozen=True, slots=True)
class KnownOrder:
    """An order as the database remembers it (intents included)."""

    client_id: str
    symbol: str
    correlation_id: str
    kind: str
    status: str
    is_algo: bool
    exchange_id: str = ""
    ts: int = 0
    order_type: str = ""


_DEFAULT_TYPES = {"entry": "MARKET", "exit": "MARKET", "stop": "STOP_MARKET", "take_profit": "LIMIT"}


@dataclass
class ReconcileReport:
    """What reconciliation found and did, in words for the log and the owner."""

    rebuilt: list[str] = field(default_factory=list)
    adopted: list[str] = field(default_factory=list)
    settled: list[str] = field(default_factory=list)
    rearmed: list[str] = field(default_factory=list)
    cancelled: list[str] = field(default_factory=list)

    def findings(self) -> list[str]:
        parts = [f"{name}: {', '.join(items)}" for name, items in (
            ("rebuilt", self.rebuilt), ("adopted", self.adopted), ("settled after downtime", self.settled),
            ("stop re-armed", self.rearmed), ("orphan orders cancelled", self.cancelled)) if items]
        return parts

    def __str__(self) -> str:
        return "; ".join(self.findings()) or "nothing to repair"


def reconcile(core: OrderCore, state: AccountState, trades: tuple[KnownTrade, ...] = (),
              orders: tuple[KnownOrder, ...] = (), activity_at_request: dict[str, int] | None = None
              ) -> tuple[list[Output], ReconcileReport]:
    """Compare ``state`` with the core's book (and the database's memory) and return the repairs.

    ``activity_at_request``: the core's per-symbol activity counters when ``state`` was requested; a
    symbol that changed since then (a fill, a reply) is left alone — the snapshot is older than what
    the core knows about it, and the next check will look again.
    """
    report = ReconcileReport()
    outputs: list[Output] = []
    now = core.clock.now_ms()
    if activity_at_request is not None:
        unstable = {s for s, n in core.activity.items() if n != activity_at_request.get(s, 0)}
        state = _without(state, unstable)
    exchange_positions = {p.symbol: p for p in state.positions if p.amount != 0}
    algo_by_symbol = _group(state.open_algo_orders)
    regular_by_symbol = _group(state.open_orders)
    known_trades = {t.symbol: t for t in trades}

    for symbol, snapshot in sorted(exchange_positions.items()):
        position = core.positions.get(symbol)
        if position is None:
            position = _restore(core, snapshot, known_trades.get(symbol), orders, now, report)
            core.positions[symbol] = position
            _attach_live_children(core, position, algo_by_symbol.get(symbol, ()), regular_by_symbol.get(symbol, ()))
            outputs += _ensure_protected(core, position, report)
        elif position.state == "open" and not position.moving_stop and not position.pending_requests:
            position.exit_quantity = max(position.entry_quantity - dec(abs(snapshot.amount)), ZERO)
            live_ids = {o.client_order_id for o in algo_by_symbol.get(symbol, ())}
            stop = position.stop
            if stop is None or (stop.status == "open" and stop.client_id not in live_ids):
                # Not on the exchange any more: ask (a query settles it), the reply re-arms if needed.
                outputs += core.query_child(position, stop) if stop is not None else core.rearm_stop(position)

    for trade in trades:
        if trade.symbol not in exchange_positions and trade.symbol not in core.positions:
            # Closed while the bot was down: settle it from the exchange's fills.
            position = _from_trade(core, trade, orders)
            core.positions[trade.symbol] = position
            report.settled.append(trade.symbol)
            _mark_stop_fired_if_gone(position, algo_by_symbol.get(trade.symbol, ()))
            outputs += core.finalize_from(position, state)

    for symbol, position in sorted(core.positions.items()):
        if symbol in exchange_positions or position.state in ("entering", "finalizing", "closed"):
            continue
        if activity_at_request is not None and core.activity.get(symbol, 0) != activity_at_request.get(symbol, 0):
            continue
        if position.pending_requests or position.state == "protecting":
            continue  # a fill or a stop is in flight: the next check decides
        report.settled.append(symbol)
        _mark_stop_fired_if_gone(position, algo_by_symbol.get(symbol, ()))
        outputs += core.finalize_from(position, state)

    for symbol in sorted(set(algo_by_symbol) | set(regular_by_symbol)):
        managed = core.positions.get(symbol)
        known_ids = {c.client_id for c in managed.children()} if managed is not None else set()
        for order in (*algo_by_symbol.get(symbol, ()), *regular_by_symbol.get(symbol, ())):
            if parse_client_order_id(order.client_order_id, core.bot_id) is None:
                continue  # not ours: never touch
            if managed is None or order.client_order_id not in known_ids:
                report.cancelled.append(order.client_order_id)
                outputs.append(CancelOrder(request_id=core.untracked_request_id(), ts_init=now,
                                           symbol=symbol, client_order_id=order.client_order_id,
                                           is_algo=order.is_algo))
    return outputs, report


def _restore(core: OrderCore, snapshot: PositionSnapshot, trade: KnownTrade | None,
             orders: tuple[KnownOrder, ...], now: int, report: ReconcileReport) -> ManagedPosition:
    """A position the core does not manage: rebuild it from the database, or adopt it."""
    side = "long" if snapshot.amount > 0 else "short"
    quantity = dec(abs(snapshot.amount))
    entry = next((o for o in sorted(orders, key=lambda o: -o.ts)
                  if o.symbol == snapshot.symbol and o.kind == "entry"
                  and o.status not in ("rejected", "canceled", "expired", "closed")), None)
    stop_pct = core.orders.stop_loss_pct / 100
    if trade is not None and trade.side == side:
        correlation_id, origin, entry_time = trade.correlation_id, trade.origin, trade.entry_time
        stop = trade.stop_price or snapshot.entry_price * (1 - stop_pct if side == "long" else 1 + stop_pct)
        take_profits = trade.take_profit_prices
        report.rebuilt.append(snapshot.symbol)
    elif entry is not None:
        correlation_id, origin, entry_time = entry.correlation_id, "bot", entry.ts or now
        stop = snapshot.entry_price * (1 - stop_pct if side == "long" else 1 + stop_pct)
        take_profits = _planned_take_profits(core, side, snapshot.entry_price)
        report.rebuilt.append(snapshot.symbol)
    else:
        correlation_id = f"adopt-{snapshot.symbol.split('/')[0]}-{now // 60_000}"
        origin, entry_time = "adopted", now
        stop = snapshot.entry_price * (1 - stop_pct if side == "long" else 1 + stop_pct)
        take_profits = _planned_take_profits(core, side, snapshot.entry_price)
        report.adopted.append(snapshot.symbol)
    position = ManagedPosition(
        correlation_id=correlation_id, symbol=snapshot.symbol, side=side,  # type: ignore[arg-type]
        leverage=snapshot.leverage or (trade.leverage if trade else core.orders_leverage_default),
        reference_price=snapshot.entry_price, suggested_stop=stop, suggested_take_profits=take_profits,
        origin="adopted" if origin == "adopted" else "bot", state="protecting", entry_time=entry_time,
        entry_quantity=quantity, entry_notional=quantity * dec(snapshot.entry_price))
    if trade is not None and trade.quantity > float(quantity):
        position.entry_quantity = dec(trade.quantity)
        position.entry_notional = dec(trade.quantity) * dec(trade.entry_price)
        position.exit_quantity = position.entry_quantity - quantity
    position.entry = ChildOrder(kind="entry", client_id=entry.client_id if entry else f"external-{correlation_id}",
                                is_algo=False, side=position.entry_side, order_type="MARKET",
                                quantity=position.entry_quantity, status="filled")
    return position


def _from_trade(core: OrderCore, trade: KnownTrade, orders: tuple[KnownOrder, ...]) -> ManagedPosition:
    """The database's memory of a trade, with the orders it knew, as a book entry to settle."""
    quantity = dec(trade.quantity)
    position = ManagedPosition(
        correlation_id=trade.correlation_id, symbol=trade.symbol, side=trade.side,  # type: ignore[arg-type]
        leverage=trade.leverage, reference_price=trade.entry_price,
        suggested_stop=trade.stop_price or trade.entry_price, suggested_take_profits=trade.take_profit_prices,
        origin="adopted" if trade.origin == "adopted" else "bot", state="open", entry_time=trade.entry_time,
        entry_quantity=quantity, entry_notional=quantity * dec(trade.entry_price))
    for order in orders:
        if order.symbol != trade.symbol or order.correlation_id != trade.correlation_id:
            continue
        parsed = parse_client_order_id(order.client_id, core.bot_id)
        order_type = order.order_type or _DEFAULT_TYPES[order.kind]
        child = ChildOrder(kind=order.kind, client_id=order.client_id, is_algo=order.is_algo,  # type: ignore[arg-type]
                           side=position.exit_side if order.kind != "entry" else position.entry_side,
                           order_type=order_type, quantity=None, step=parsed.step if parsed else None,
                           status="open", exchange_id=order.exchange_id)
        if order.kind == "stop":
            position.stop = child
        elif order.kind == "take_profit" and child.step is not None:
            position.take_profits[child.step] = child
        elif order.kind == "entry":
            child.status = "filled"
            position.entry = child
        elif order.kind == "exit":
            position.exits.append(child)
    return position


def _planned_take_profits(core: OrderCore, side: str, price: float) -> tuple[float, ...]:
    sign = 1 if side == "long" else -1
    return tuple(price * (1 + sign * pct / 100) for pct in core.orders.take_profit_pct)


def _attach_live_children(core: OrderCore, position: ManagedPosition, algo: tuple[OrderSnapshot, ...],
                          regular: tuple[OrderSnapshot, ...]) -> None:
    """Adopt the bot's own live stop and take-profits of this symbol into the rebuilt book."""
    for order in (*algo, *regular):
        parsed = parse_client_order_id(order.client_order_id, core.bot_id)
        if parsed is None:
            continue
        child = ChildOrder(kind=parsed.intent, client_id=order.client_order_id,  # type: ignore[arg-type]
                           is_algo=order.is_algo, side=order.side, order_type=order.order_type,
                           quantity=dec(order.quantity) if order.quantity else None,
                           price=dec(order.price) if order.price else None,
                           trigger_price=dec(order.trigger_price) if order.trigger_price else None,
                           step=parsed.step, status="open", exchange_id=order.order_id,
                           filled=dec(order.filled_quantity))
        if parsed.intent == "stop" and (position.stop is None or not position.stop.live):
            child.break_even = _beyond_entry(position, child.trigger_price or ZERO)
            position.stop = child
            position.moved_to_break_even = child.break_even
        elif parsed.intent == "take_profit" and parsed.step is not None:
            position.take_profits[parsed.step] = child


def _beyond_entry(position: ManagedPosition, trigger: Decimal) -> bool:
    entry = position.entry_price
    return trigger >= entry if position.side == "long" else trigger <= entry


def _ensure_protected(core: OrderCore, position: ManagedPosition, report: ReconcileReport) -> list[Output]:
    if position.stop is not None and position.stop.status == "open":
        return core.mark_protected(position)
    report.rearmed.append(position.symbol)
    return core.rearm_stop(position)


def _mark_stop_fired_if_gone(position: ManagedPosition, live_algo: tuple[OrderSnapshot, ...]) -> None:
    stop = position.stop
    live = {o.client_order_id for o in live_algo}
    if stop is not None and stop.status == "open" and stop.client_id not in live:
        stop.status = "triggered"  # it was live, the position is gone, and it is no longer open: it fired


def _without(state: AccountState, symbols: set[str]) -> AccountState:
    if not symbols:
        return state
    return AccountState(ts=state.ts, positions=tuple(p for p in state.positions if p.symbol not in symbols),
                        open_orders=tuple(o for o in state.open_orders if o.symbol not in symbols),
                        open_algo_orders=tuple(o for o in state.open_algo_orders if o.symbol not in symbols),
                        balance=state.balance, fills=state.fills)


def _group(orders: tuple[OrderSnapshot, ...]) -> dict[str, tuple[OrderSnapshot, ...]]:
    grouped: dict[str, list[OrderSnapshot]] = {}
    for order in orders:
        grouped.setdefault(order.symbol, []).append(order)
    return {k: tuple(v) for k, v in grouped.items()}
