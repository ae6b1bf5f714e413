"""The OrderCore on the simulator's real matching engine: every lifecycle ends with the right reason,
the right PnL and nothing left on the exchange."""

from __future__ import annotations

import pytest

from config.sections import OrderSettings
from core.orders.effects import OrderRecord
from messages.exchange import ExchangeReply, PlaceAlgoOrder, PlaceOrder
from messages.orders import ClosePosition, EntryFailed, PositionOpened, PositionReduced
from tests.core.engine_world import World, candles_from_path


def rising(start: float = 150.0, to: float = 153.0, steps: int = 30) -> list[float]:
    return [start] * 3 + [start + (to - start) * i / steps for i in range(1, steps + 1)] + [to] * 5


def test_long_entry_gets_a_stop_and_three_take_profits_then_runs_through_all_of_them() -> None:
    world = World(candles_from_path(rising()))
    outputs = world.enter("long", 150.0)
    opened = [o for o in outputs if isinstance(o, PositionOpened)]
    assert len(opened) == 1 and opened[0].side == "long"
    orders = world.open_orders()
    stops = [o for o in orders if o.get("orderType") == "STOP_MARKET"]
    tps = [o for o in orders if o.get("type") == "LIMIT"]
    assert len(stops) == 1 and stops[0]["closePosition"] in (True, "true")
    assert float(stops[0]["triggerPrice"]) == pytest.approx(opened[0].entry_price * 0.98, abs=0.02)
    assert [float(o["price"]) for o in tps] == pytest.approx([p for p in opened[0].take_profit_prices], abs=0.01)
    assert sum(float(o["origQty"]) for o in tps) == pytest.approx(opened[0].quantity)
    world.minutes(40)
    reduced = [o for o in world.driver.outputs if isinstance(o, PositionReduced)]
    assert [r.step for r in reduced] == [1, 2, 3]
    (closed,) = world.closed()
    assert closed.exit_reason == "take_profit_3" and closed.realized_pnl > 0
    assert world.position_amount() == 0 and world.open_orders() == []
    moved = [o for o in world.driver.outputs if isinstance(o, PlaceAlgoOrder)]
    assert len(moved) == 2  # the first stop, then the one at break-even
    assert float(moved[1].trigger_price) == pytest.approx(closed.entry_price * 1.001, abs=0.011)


def test_stop_hit_cancels_every_take_profit() -> None:
    path = [150.0] * 3 + [150.0 - i * 0.2 for i in range(1, 25)] + [145.0] * 3
    world = World(candles_from_path(path))
    world.enter("long", 150.0)
    world.minutes(30)
    (closed,) = world.closed()
    assert closed.exit_reason == "stop_loss" and closed.realized_pnl < 0
    assert closed.exit_price == pytest.approx(147.0, abs=0.05)
    assert world.position_amount() == 0 and world.open_orders() == []


def test_short_lifecycle_mirrors_the_long_one() -> None:
    world = World(candles_from_path(rising(150.0, 147.0)))
    world.enter("short", 150.0)
    world.minutes(40)
    (closed,) = world.closed()
    assert closed.side == "short" and closed.exit_reason == "take_profit_3" and closed.realized_pnl > 0
    assert world.open_orders() == []


def test_break_even_stop_after_tp1_is_reported_as_such() -> None:
    path = [150.0] * 3 + [150.0 + i * 0.1 for i in range(1, 8)] + [150.7 - i * 0.1 for i in range(1, 15)] + [149.0] * 3
    world = World(candles_from_path(path))
    world.enter("long", 150.0)
    world.minutes(len(path))
    (closed,) = world.closed()
    assert closed.exit_reason == "break_even_stop"
    assert closed.realized_pnl > 0  # TP1 profit plus a stop just beyond the entry, net of fees
    assert world.open_orders() == []


def test_timeout_closes_at_market_and_cleans_up() -> None:
    world = World(candles_from_path([150.0] * 20))
    world.enter("long", 150.0)
    world.minutes(3)
    world.driver.send(ClosePosition(ts_init=world.now, symbol=world.symbol, reason="timeout"))
    (closed,) = world.closed()
    assert closed.exit_reason == "timeout" and world.position_amount() == 0 and world.open_orders() == []


def test_a_stop_refused_as_already_crossed_closes_at_market_deliberately() -> None:
    world = World(candles_from_path([150.0] * 20))
    real_execute = world.gateway.execute

    def refuse_first_stop(request):  # an edge case the engine cannot produce in zero time
        reply = real_execute(request) if not isinstance(request, PlaceAlgoOrder) else None
        if reply is None:
            return ExchangeReply(ts_event=world.now, ts_init=world.now, request_id=request.request_id,
                                 request=request, outcome="rejected", code=-2021,
                                 message="Order would immediately trigger.")
        return reply

    world.gateway.execute = refuse_first_stop  # type: ignore[method-assign]
    world.enter("long", 150.0)
    (closed,) = world.closed()
    assert closed.exit_reason == "stop_loss"
    assert world.position_amount() == 0 and world.open_orders() == []
    exits = [o for o in world.driver.outputs
             if isinstance(o, PlaceOrder) and o.reduce_only and o.order_type == "MARKET"]
    assert len(exits) == 1


def test_entry_below_min_notional_is_refused_with_the_reason() -> None:
    world = World(candles_from_path([150.0] * 5))
    outputs = world.enter("long", 150.0, risk_amount=0.01)
    (failed,) = [o for o in outputs if isinstance(o, EntryFailed)]
    assert failed.reason == "below_min_notional" and "minimum" in failed.detail
    assert world.open_orders() == [] and world.position_amount() == 0


def test_every_order_intent_is_recorded_before_it_is_sent() -> None:
    world = World(candles_from_path(rising()))
    world.enter("long", 150.0)
    seen_intents: set[str] = set()
    for output in world.driver.outputs:
        if isinstance(output, OrderRecord) and output.status == "intent":
            seen_intents.add(output.client_id)
        if isinstance(output, (PlaceOrder, PlaceAlgoOrder)):
            assert output.client_order_id in seen_intents


def test_take_profit_market_orders_work_as_well() -> None:
    world = World(candles_from_path(rising()), orders=OrderSettings(take_profit_order="market"))
    world.enter("long", 150.0)
    assert len(world.engine.open_algo_orders()) == 4
    world.minutes(40)
    (closed,) = world.closed()
    assert closed.exit_reason == "take_profit_3" and world.open_orders() == []


def test_panic_flattens_everything_and_a_second_panic_is_harmless() -> None:
    from messages.control import EmergencyClose
    from messages.orders import EmergencyCloseCompleted

    world = World(candles_from_path([150.0] * 20))
    world.enter("long", 150.0)
    world.engine.external_order("SOLUSDC", "BUY", "1")  # someone else added to it
    world.gateway.execute(PlaceOrder(request_id="m", ts_init=world.now, symbol=world.symbol,
                                     client_order_id="manual-1", side="BUY", order_type="LIMIT", quantity="0.10",
                                     price="120.00", time_in_force="GTC"))
    outputs = world.driver.send(EmergencyClose(ts_init=world.now, requested_by="test"))
    (done,) = [o for o in outputs if isinstance(o, EmergencyCloseCompleted)]
    assert done.flat and done.closed_positions == (world.symbol,) and done.cancelled_orders >= 1
    assert world.position_amount() == 0 and world.open_orders() == []
    assert [c.exit_reason for c in world.closed()] == ["panic"]
    again = world.driver.send(EmergencyClose(ts_init=world.now, requested_by="test"))
    (second,) = [o for o in again if isinstance(o, EmergencyCloseCompleted)]
    assert second.flat and second.rounds == 0 and second.closed_positions == ()
