"""Fills, triggers and the order life cycles of the pure engine (no server)."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from simulator.engine import Engine, EngineConfig
from simulator.errors import BinanceError
from tests.simulator.engine_support import MIN, T0, algo, engine_of, flat, kinds, market, series_of


def test_market_order_fills_at_the_path_price_now() -> None:
    engine = engine_of([(100, 110, 90, 105), (107, 108, 100, 101)])
    fill = market(engine, "BUY", "1")
    assert fill["status"] == "FILLED" and Decimal(fill["avgPrice"]) == 100 and fill["executedQty"] == "1.00"
    engine.advance_to(T0 + 10_000)  # halfway down the first segment of a green candle: 95
    assert Decimal(market(engine, "SELL", "1")["avgPrice"]) == 95
    engine.advance_to(T0 + MIN)  # the boundary: the new candle's open
    assert Decimal(market(engine, "BUY", "1")["avgPrice"]) == 107


def test_market_price_is_rounded_to_the_tick_against_the_trader_plus_slippage() -> None:
    engine = engine_of([(100, 100.5, 99.5, 100)], slippage_bps=10.0)
    engine.advance_to(T0 + 1)  # 99.999975: off the tick grid
    assert Decimal(market(engine, "BUY", "1")["avgPrice"]) == Decimal("100.1")  # 100 * 1.001 rounded up
    assert Decimal(market(engine, "SELL", "1")["avgPrice"]) == Decimal("99.89")  # 99.899... rounded down


def test_resting_limit_fills_at_its_price_as_maker_when_touched() -> None:
    engine = engine_of([(100, 110, 90, 105), *flat(105)], taker_fee="0.0005", maker_fee="0.0002")
    order = engine.new_order(
        {
            "symbol": "SOLUSDC",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "2",
            "price": "95",
            "timeInForce": "GTC",
            "newOrderRespType": "RESULT",
        }
    )
    assert order["status"] == "NEW"
    events = engine.advance_to(T0 + MIN)
    assert kinds(events) == ["NEW/NEW", "TRADE/FILLED", "account:ORDER"]
    trade = engine.trades[-1]
    assert trade.price == Decimal("95") and trade.maker and trade.time_ms == T0 + 10_000
    assert trade.commission_units == 3_800_000  # 190 USDC * 0.0002 = 0.038 USDC
    assert events[1].payload["o"]["m"] is True


def test_crossing_limit_is_a_taker_at_the_better_price_and_tif_rules() -> None:
    engine = engine_of(flat(100))
    taker = engine.new_order(
        {
            "symbol": "SOLUSDC",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "1",
            "price": "101",
            "timeInForce": "GTC",
            "newOrderRespType": "RESULT",
        }
    )
    assert (taker["status"], Decimal(taker["avgPrice"])) == ("FILLED", 100)
    ioc = engine.new_order(
        {
            "symbol": "SOLUSDC",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "1",
            "price": "99",
            "timeInForce": "IOC",
            "newOrderRespType": "RESULT",
        }
    )
    assert ioc["status"] == "EXPIRED"
    with pytest.raises(BinanceError) as fok:
        engine.new_order(
            {"symbol": "SOLUSDC", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "99", "timeInForce": "FOK"}
        )
    with pytest.raises(BinanceError) as gtx:
        engine.new_order(
            {"symbol": "SOLUSDC", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "100", "timeInForce": "GTX"}
        )
    assert (fok.value.code, gtx.value.code) == (-5021, -5022)


@pytest.mark.parametrize(
    ("candle", "winner"), [((100, 106, 94, 103), "STOP_MARKET"), ((100, 106, 94, 97), "TAKE_PROFIT_MARKET")]
)
def test_stop_and_take_profit_in_one_candle_the_path_order_decides(candle: tuple, winner: str) -> None:
    engine = engine_of([*flat(100, 1), candle, *flat(candle[3], 3)])
    market(engine, "BUY", "1")
    algo(engine, "SELL", "STOP_MARKET", "95", closePosition="true")
    algo(engine, "SELL", "TAKE_PROFIT_MARKET", "105", closePosition="true")
    engine.drain_events()
    engine.advance_to(T0 + 5 * MIN)
    closing = engine.trades[-1]
    assert engine.orders[closing.order_id].orig_type == winner
    assert closing.price == Decimal("95" if winner == "STOP_MARKET" else "105")
    assert engine.open_algo_orders() == []  # the other closePosition order expired with the position


def test_algo_life_cycle_events_and_child_order() -> None:
    engine = engine_of([*flat(100, 1), (100, 100, 90, 92), *flat(92)])
    market(engine, "BUY", "1")
    created = algo(engine, "SELL", "STOP_MARKET", "95", quantity="1", reduceOnly="true", workingType="MARK_PRICE")
    assert created["algoStatus"] == "NEW" and created["orderType"] == "STOP_MARKET"
    engine.drain_events()
    events = engine.advance_to(T0 + 3 * MIN)
    assert kinds(events) == [
        "algo:TRIGGERING",
        "algo:TRIGGERED",
        "NEW/NEW",
        "TRADE/FILLED",
        "account:ORDER",
        "algo:FINISHED",
    ]
    triggered, child_fill, finished = events[1].payload["o"], events[3].payload["o"], events[5].payload["o"]
    assert triggered["ai"] == str(child_fill["i"]) and child_fill["ot"] == "STOP_MARKET" and child_fill["o"] == "MARKET"
    assert child_fill["L"] == "95.0000" and finished["aq"] == "1.00000" and finished["ap"] == "95.00000"
    # red candle 100 -> 100 -> 90: the trigger is reached 1/3 of the way down the second segment
    assert events[0].time_ms == T0 + MIN + 20_000 + 10_000
    assert engine.query_algo_order({"algoId": created["algoId"]})["algoStatus"] == "FINISHED"


def test_gap_through_a_stop_fills_at_the_open() -> None:
    engine = engine_of([(100, 100, 100, 100), (90, 91, 89, 90), *flat(90)])
    market(engine, "BUY", "1")
    algo(engine, "SELL", "STOP_MARKET", "95", closePosition="true")
    engine.advance_to(T0 + 3 * MIN)
    assert engine.trades[-1].price == Decimal("90") and engine.trades[-1].time_ms == T0 + MIN


def test_stop_limit_child_rests_until_touched() -> None:
    engine = engine_of([*flat(100, 1), (100, 100, 96, 96), (96, 99, 96, 99), *flat(99)])
    market(engine, "BUY", "1")
    algo(engine, "SELL", "STOP", "97", price="98", quantity="1", reduceOnly="true")
    engine.drain_events()
    events = engine.advance_to(T0 + 2 * MIN)
    assert kinds(events)[:3] == ["algo:TRIGGERING", "algo:TRIGGERED", "NEW/NEW"]
    assert len(engine.open_orders()) == 1  # the child LIMIT SELL 98 rests (price is 96-97)
    events = engine.advance_to(T0 + 4 * MIN)
    assert kinds(events) == ["TRADE/FILLED", "account:ORDER", "algo:FINISHED"]
    assert engine.trades[-1].price == Decimal("98") and engine.trades[-1].maker


def test_trailing_stop_triggers_after_the_retrace() -> None:
    engine = engine_of([*flat(100, 1), (100, 110, 100, 110), (110, 110, 104, 104), *flat(104)])
    market(engine, "BUY", "1")
    algo(engine, "SELL", "TRAILING_STOP_MARKET", "", callbackRate="5", quantity="1", reduceOnly="true")
    engine.advance_to(T0 + 5 * MIN)
    # highest price 110, 5 % retrace -> 104.5
    assert engine.trades[-1].price == Decimal("104.5")


def test_trailing_stop_with_activation_price() -> None:
    engine = engine_of([*flat(100, 1), (100, 100, 96, 96), (96, 108, 96, 108), (108, 108, 100, 100), *flat(100)])
    market(engine, "BUY", "1")
    with pytest.raises(BinanceError) as exc:
        algo(engine, "SELL", "TRAILING_STOP_MARKET", "", callbackRate="2", quantity="1", activatePrice="99")
    assert exc.value.code == -2021
    algo(
        engine,
        "SELL",
        "TRAILING_STOP_MARKET",
        "",
        callbackRate="2",
        quantity="1",
        reduceOnly="true",
        activatePrice="105",
    )
    engine.advance_to(T0 + 2 * MIN)
    assert len(engine.trades) == 1  # the 4 % dip before activation does not count
    engine.advance_to(T0 + 6 * MIN)
    assert engine.trades[-1].price == Decimal("105.84")  # 108 * 0.98


def test_reduce_only_never_increases_and_is_resized() -> None:
    engine = engine_of(flat(100))
    with pytest.raises(BinanceError) as exc:
        market(engine, "SELL", "1", reduceOnly="true")
    assert exc.value.code == -2022
    market(engine, "BUY", "1")
    with pytest.raises(BinanceError) as exc:
        market(engine, "BUY", "1", reduceOnly="true")
    assert exc.value.code == -2022
    closed = market(engine, "SELL", "3", reduceOnly="true")
    assert closed["origQty"] == closed["executedQty"] == "1.00" and closed["status"] == "FILLED"
    assert engine.symbols["SOLUSDC"].position.amount == 0


def test_position_going_flat_expires_reduce_only_and_close_position_orders() -> None:
    engine = engine_of([*flat(100, 1), (100, 100, 95, 95), *flat(95)])
    market(engine, "BUY", "2")
    engine.new_order(
        {
            "symbol": "SOLUSDC",
            "side": "SELL",
            "type": "LIMIT",
            "quantity": "1",
            "price": "110",
            "timeInForce": "GTC",
            "reduceOnly": "true",
        }
    )
    algo(engine, "SELL", "TAKE_PROFIT_MARKET", "120", closePosition="true")
    kept = algo(engine, "SELL", "TAKE_PROFIT_MARKET", "125", quantity="2", reduceOnly="true")
    engine.drain_events()
    market(engine, "SELL", "2")
    trail = kinds(engine.drain_events())
    assert trail == ["NEW/NEW", "TRADE/FILLED", "account:ORDER", "EXPIRED/EXPIRED", "algo:EXPIRED"]
    assert [a["algoId"] for a in engine.open_algo_orders()] == [kept["algoId"]]
    engine.new_order({"symbol": "SOLUSDC", "side": "BUY", "type": "MARKET", "quantity": "1"})
    engine.advance_to(T0 + 3 * MIN)


def test_reduce_only_algo_with_nothing_to_reduce_expires_at_trigger() -> None:
    engine = engine_of([*flat(100, 1), (100, 100, 90, 90), *flat(90)])
    market(engine, "BUY", "1")
    algo(engine, "SELL", "STOP_MARKET", "95", quantity="1", reduceOnly="true")
    market(engine, "SELL", "1")
    engine.drain_events()
    events = engine.advance_to(T0 + 3 * MIN)
    assert kinds(events) == ["algo:TRIGGERING", "algo:EXPIRED"]
    assert events[-1].payload["o"]["rm"] == "Reduce Only reject"
    assert engine.symbols["SOLUSDC"].position.amount == 0


def test_triggered_order_without_margin_is_rejected() -> None:
    engine = engine_of([*flat(100, 1), (100, 106, 100, 106), *flat(106)], balance="10", default_leverage=1)
    algo(engine, "BUY", "STOP_MARKET", "105", quantity="1")
    engine.drain_events()
    events = engine.advance_to(T0 + 3 * MIN)
    assert kinds(events) == ["algo:TRIGGERING", "algo:REJECTED"]
    assert events[-1].payload["o"]["rm"] == "Margin is insufficient."


def test_quantity_off_the_step_grid_is_4023_and_too_many_decimals_1111() -> None:
    series = series_of(flat(100))
    series.spec = dataclasses.replace(series.spec, step_size="0.05")  # a market whose step is not 10^-precision
    engine = Engine({"SOLUSDC": series}, EngineConfig(), T0)
    with pytest.raises(BinanceError) as off_grid:
        market(engine, "BUY", "0.07")
    with pytest.raises(BinanceError) as too_precise:
        market(engine, "BUY", "0.075")
    assert (off_grid.value.code, too_precise.value.code) == (-4023, -1111)
    assert market(engine, "BUY", "0.10")["status"] == "FILLED"


def test_every_event_at_the_step_boundary_belongs_to_that_step() -> None:
    engine = engine_of([(100, 100, 100, 100), (90, 91, 89, 90), *flat(90)])
    market(engine, "BUY", "2")
    algo(engine, "SELL", "STOP_MARKET", "95", quantity="1", reduceOnly="true")
    algo(engine, "SELL", "STOP_MARKET", "96", quantity="1", reduceOnly="true")
    engine.advance_to(T0 + MIN)  # the gap at the candle open fires both stops at exactly this instant
    assert [t.time_ms for t in engine.trades[1:]] == [T0 + MIN, T0 + MIN]
    assert engine.symbols["SOLUSDC"].position.amount == 0
