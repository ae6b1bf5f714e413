"""Reconciliation on the real engine: after a restart every position has its stop, nothing is entered
twice, trades closed during the downtime are settled, unknown positions are adopted, orphans cancelled."""

from __future__ import annotations

from core.orders.effects import OrderRecord
from core.orders.recovery import KnownOrder, KnownTrade, reconcile
from messages.exchange import ExchangeRequest, PlaceAlgoOrder, PlaceOrder
from messages.orders import PositionClosed, PositionOpened
from tests.core.engine_world import M, World, candles_from_path


def flat(n: int = 40) -> list[float]:
    return [150.0] * n


def run_reconcile(world: World, trades=(), orders=()) -> tuple[list[object], object]:
    state = world.gateway.account_state((), None)
    outputs, report = reconcile(world.core, state, tuple(trades), tuple(orders))
    requests = [o for o in outputs if isinstance(o, ExchangeRequest)]
    replies = [world.gateway.execute(r) for r in requests]
    world.driver.outputs.extend(outputs)
    world.driver.send(*replies)
    return outputs, report


def stops_on_exchange(world: World) -> list[dict]:
    return [o for o in world.engine.open_algo_orders() if o.get("orderType") == "STOP_MARKET"]


def known_trade(opened: PositionOpened) -> KnownTrade:
    return KnownTrade(correlation_id=opened.correlation_id, symbol=opened.symbol, side=opened.side,
                      entry_time=opened.ts_event, entry_price=opened.entry_price, quantity=opened.quantity,
                      leverage=opened.leverage, stop_price=opened.stop_price,
                      take_profit_prices=opened.take_profit_prices, origin="bot")


def test_a_position_whose_stop_was_never_placed_gets_one_after_restart() -> None:
    world = World(candles_from_path(flat()))
    # the entry filled, then the process died before the stop: only the entry intent is on disk
    world.gateway.execute(PlaceOrder(request_id="x", ts_init=world.now, symbol=world.symbol,
                                     client_order_id="ufb-SOL-en-1", side="BUY", order_type="MARKET",
                                     quantity="2.00"))
    world.restart()
    entry = KnownOrder(client_id="ufb-SOL-en-1", symbol=world.symbol, correlation_id="SOL-1", kind="entry",
                       status="intent", is_algo=False, ts=world.now)
    _, report = run_reconcile(world, orders=[entry])
    assert world.symbol in report.rebuilt and world.symbol in report.rearmed
    assert len(stops_on_exchange(world)) == 1
    opened = [o for o in world.driver.outputs if isinstance(o, PositionOpened)]
    assert opened and opened[0].correlation_id == "SOL-1" and opened[0].origin == "bot"
    assert not any(isinstance(o, PlaceOrder) and not o.reduce_only for o in world.driver.outputs)  # no new entry


def test_a_protected_position_is_rebuilt_without_touching_its_orders() -> None:
    world = World(candles_from_path(flat()))
    (opened,) = [o for o in world.enter("long", 150.0) if isinstance(o, PositionOpened)]
    before = sorted(o.get("clientAlgoId") or o.get("clientOrderId") for o in world.open_orders())
    world.restart()
    outputs, report = run_reconcile(world, trades=[known_trade(opened)])
    assert report.rebuilt == [world.symbol] and not report.rearmed and not report.cancelled
    assert not [o for o in outputs if isinstance(o, (PlaceOrder, PlaceAlgoOrder))]
    assert sorted(o.get("clientAlgoId") or o.get("clientOrderId") for o in world.open_orders()) == before
    assert world.core.positions[world.symbol].stop is not None


def test_a_stop_that_fired_during_the_downtime_settles_the_trade() -> None:
    path = [150.0] * 4 + [150.0 - i * 0.25 for i in range(1, 20)] + [145.0] * 5
    world = World(candles_from_path(path))
    outputs = world.enter("long", 150.0)
    (opened,) = [o for o in outputs if isinstance(o, PositionOpened)]
    known = [KnownOrder(client_id=r.client_id, symbol=r.symbol, correlation_id=r.correlation_id, kind=r.kind,
                        status="new", is_algo=r.is_algo, exchange_id=r.exchange_id)
             for r in outputs if isinstance(r, OrderRecord) and r.exchange_id]
    world.restart()
    world.engine.advance_to(world.now + 25 * M)  # the bot is down: nobody sees the events
    world.engine.drain_events()
    outputs, report = run_reconcile(world, trades=[known_trade(opened)], orders=known)
    assert report.settled == [world.symbol] and report.rebuilt == []
    (closed,) = [o for o in world.driver.outputs if isinstance(o, PositionClosed)]
    assert closed.exit_reason == "stop_loss" and closed.realized_pnl < 0 and closed.fees > 0
    assert closed.exit_price < opened.stop_price + 0.05
    assert world.position_amount() == 0 and world.open_orders() == []


def test_an_unknown_position_is_adopted_and_protected_and_orphans_are_cancelled() -> None:
    world = World(candles_from_path(flat()))
    world.engine.external_order("SOLUSDC", "SELL", "3")
    # an orphan take-profit of ours on another symbol would be cancelled; here: one left on this symbol
    world.gateway.execute(PlaceOrder(request_id="y", ts_init=world.now, symbol=world.symbol,
                                     client_order_id="ufb-SOL-tp1-99", side="BUY", order_type="LIMIT",
                                     quantity="1.00", price="140.00", reduce_only=True, time_in_force="GTC"))
    world.gateway.execute(PlaceOrder(request_id="z", ts_init=world.now, symbol=world.symbol,
                                     client_order_id="manual-keep-me", side="BUY", order_type="LIMIT",
                                     quantity="0.10", price="120.00", time_in_force="GTC"))
    _, report = run_reconcile(world)
    assert report.adopted == [world.symbol]
    stops = stops_on_exchange(world)
    assert len(stops) == 1 and stops[0]["side"] == "BUY"
    ids = {o.get("clientOrderId") for o in world.engine.open_orders()}
    assert "manual-keep-me" in ids  # not ours: never touched
    opened = [o for o in world.driver.outputs if isinstance(o, PositionOpened)]
    assert opened and opened[0].origin == "adopted" and opened[0].side == "short"
    # the adopted position is managed like any other: a timeout closes it and cleans up
    from messages.orders import ClosePosition

    world.driver.send(ClosePosition(ts_init=world.now, symbol=world.symbol, reason="timeout"))
    assert world.position_amount() == 0
    assert [c.exit_reason for c in world.driver.outputs if isinstance(c, PositionClosed)] == ["timeout"]
    assert {o.get("clientOrderId") for o in world.engine.open_orders()} == {"manual-keep-me"}


def test_periodic_check_rearms_a_stop_someone_cancelled() -> None:
    world = World(candles_from_path(flat()))
    world.enter("long", 150.0)
    stop = next(o for o in world.engine.open_algo_orders() if o.get("orderType") == "STOP_MARKET")
    world.engine.cancel_algo_order({"symbol": "SOLUSDC", "clientAlgoId": stop["clientAlgoId"]})
    world.engine.drain_events()  # the bot missed the event (stream down)
    run_reconcile(world)
    stops = stops_on_exchange(world)
    assert len(stops) == 1 and stops[0]["clientAlgoId"] != stop["clientAlgoId"]
    records = [o for o in world.driver.outputs if isinstance(o, OrderRecord) and o.kind == "stop"]
    assert any(r.status == "canceled" for r in records)
