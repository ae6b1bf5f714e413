"""One trade from signal to report, written the way the actors will write it, read back after a reopen.

The numbers are chosen so that every aggregate can be checked by hand (see the comments).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from storage import (
    ExitReason,
    OrderKind,
    OrderStatus,
    OrderType,
    Storage,
    TakeProfitLevel,
    TradeOrigin,
    TradeSide,
    TradeStatus,
    take_profit_reason,
)
from tests.storage.conftest import T0, FakeClock, add_closed_trade

BTC = "BTC/USDC:USDC"
ETH = "ETH/USDC:USDC"
MINUTE = 60_000
HOUR = 60 * MINUTE
DAY = 24 * HOUR


def _run_btc_trade(storage: Storage, clock: FakeClock) -> None:
    """Entry 2 x 0.01 (100000, 100020), TP1 0.01 @ 100500, rest stopped at break-even-ish 100000."""
    storage.record_signal(
        ts_ms=T0,
        correlation_id="BTC-1",
        symbol=BTC,
        side="long",
        strategy="scalping_v1",
        profile="default",
        price=100_000.0,
        breakdown={"rsi": 28.5, "ema_fast": 99_950.0, "filters": {"volume": True}, "atr": float("nan")},
    )
    storage.record_risk_decision(
        ts_ms=T0, correlation_id="BTC-1", symbol=BTC, approved=True, reason="ok", details={"risk_usdc": 5.0}
    )

    entry_id = f"sb-BTCUSDC-entry-{storage.next_sequence('order')}"
    storage.record_order_intent(
        client_order_id=entry_id,
        symbol=BTC,
        kind="entry",
        order_type="MARKET",
        side="BUY",
        quantity=0.02,
        correlation_id="BTC-1",
    )
    storage.update_order(entry_id, status="sent")
    clock.advance(1_000)
    with storage.atomic():  # a fill and the order state it implies belong together
        assert storage.record_fill(
            exchange_trade_id=501,
            symbol=BTC,
            side="BUY",
            price=100_000.0,
            qty=0.01,
            fee=0.4,
            fee_asset="USDC",
            ts_ms=T0 + 1_000,
            client_order_id=entry_id,
            exchange_order_id=9001,
        )
        assert storage.record_fill(
            exchange_trade_id=502,
            symbol=BTC,
            side="BUY",
            price=100_020.0,
            qty=0.01,
            fee=0.40008,
            fee_asset="USDC",
            ts_ms=T0 + 1_000,
            client_order_id=entry_id,
            exchange_order_id=9001,
        )
        storage.update_order(entry_id, status="filled", exchange_order_id=9001, filled_qty=0.02, avg_price=100_010.0)

    trade = storage.open_trade(
        correlation_id="BTC-1",
        symbol=BTC,
        side="long",
        entry_time_ms=T0 + 1_000,
        entry_price=100_010.0,
        quantity=0.02,
        leverage=5,
        profile="default",
        stop_price=99_500.0,
        take_profits=[TakeProfitLevel(100_500.0, 0.01), (101_000.0, 0.01)],
        fees=0.80008,
    )
    assert trade.status is TradeStatus.OPEN and trade.origin is TradeOrigin.BOT

    # The stop is an algo order: its algo id 9001 equals the entry's order id on purpose.
    stop_id = f"sb-BTCUSDC-stop-{storage.next_sequence('order')}"
    storage.record_order_intent(
        client_order_id=stop_id,
        symbol=BTC,
        kind="stop",
        order_type="STOP_MARKET",
        side="SELL",
        trigger_price=99_500.0,
        close_position=True,
        is_algo=True,
        correlation_id="BTC-1",
    )
    storage.update_order(stop_id, status="new", exchange_order_id="9001")
    tp_ids = []
    for level, price in ((1, 100_500.0), (2, 101_000.0)):
        client_id = f"sb-BTCUSDC-tp{level}-{storage.next_sequence('order')}"
        storage.record_order_intent(
            client_order_id=client_id,
            symbol=BTC,
            kind="take_profit",
            order_type="LIMIT",
            side="SELL",
            price=price,
            quantity=0.01,
            reduce_only=True,
            correlation_id="BTC-1",
        )
        storage.update_order(client_id, status="new", exchange_order_id=9001 + level)
        tp_ids.append(client_id)

    open_now = {order.client_order_id for order in storage.open_orders_known(BTC)}
    assert open_now == {stop_id, *tp_ids}

    clock.advance(10 * MINUTE)
    assert storage.record_fill(
        exchange_trade_id=503,
        symbol=BTC,
        side="SELL",
        price=100_500.0,
        qty=0.01,
        fee=0.201,
        fee_asset="USDC",
        realized_pnl=4.9,
        is_maker=True,
        ts_ms=T0 + 10 * MINUTE,
        client_order_id=tp_ids[0],
        exchange_order_id=9002,
    )
    storage.update_order(tp_ids[0], status="filled", filled_qty=0.01, avg_price=100_500.0)
    # The same execution again from the REST catch-up: stored once.
    assert not storage.record_fill(
        exchange_trade_id=503,
        symbol=BTC,
        side="SELL",
        price=100_500.0,
        qty=0.01,
        fee=0.201,
        fee_asset="USDC",
        realized_pnl=4.9,
        is_maker=True,
        ts_ms=T0 + 10 * MINUTE,
        exchange_order_id=9002,
    )
    storage.update_trade("BTC-1", stop_price=100_010.0, fees=1.00108)

    clock.advance(15 * MINUTE - 1_000)
    exit_ms = T0 + 25 * MINUTE
    storage.update_order(stop_id, status="triggered")
    assert storage.record_fill(
        exchange_trade_id=504,
        symbol=BTC,
        side="SELL",
        price=100_000.0,
        qty=0.01,
        fee=0.4,
        fee_asset="USDC",
        realized_pnl=-0.1,
        ts_ms=exit_ms,
        client_order_id=stop_id,
        exchange_order_id=77,
    )
    # fees 0.4 + 0.40008 + 0.201 + 0.4 = 1.40108; pnl 4.9 - 0.1 - 1.40108 = 3.39892
    storage.close_trade(
        "BTC-1",
        exit_time_ms=exit_ms,
        exit_price=100_250.0,
        reason=ExitReason.BREAK_EVEN_STOP,
        realized_pnl=3.39892,
        fees=1.40108,
        order_updates={
            stop_id: {"status": "filled", "filled_qty": 0.01, "avg_price": 100_000.0},
            tp_ids[1]: {"status": OrderStatus.CANCELED},
        },
    )


def test_trade_round_trip_survives_reopen(db_path: Path, clock: FakeClock) -> None:
    with Storage.open(db_path, clock=clock) as storage:
        _run_btc_trade(storage, clock)
        before = storage.trade_by_correlation_id("BTC-1")
        orders_before = storage.orders_for_trade("BTC-1")

    with Storage.open(db_path, clock=clock) as storage:
        trade = storage.trade_by_correlation_id("BTC-1")
        assert trade == before
        assert trade is not None
        assert trade.status is TradeStatus.CLOSED and not trade.is_open
        assert trade.side is TradeSide.LONG
        assert (trade.entry_time_ms, trade.exit_time_ms, trade.hold_ms) == (T0 + 1_000, T0 + 25 * MINUTE, 1_499_000)
        assert (trade.entry_price, trade.exit_price, trade.quantity, trade.leverage) == (100_010.0, 100_250.0, 0.02, 5)
        assert trade.realized_pnl == pytest.approx(3.39892)
        assert trade.fees == pytest.approx(1.40108)
        assert trade.exit_reason == "break_even_stop"
        assert trade.stop_price == 100_010.0  # moved to break-even while open
        assert trade.take_profits == (TakeProfitLevel(100_500.0, 0.01), TakeProfitLevel(101_000.0, 0.01))
        assert trade.created_ms == T0 + 1_000 and trade.updated_ms == T0 + 25 * MINUTE

        orders = storage.orders_for_trade("BTC-1")
        assert orders == orders_before
        assert [o.kind for o in orders] == [
            OrderKind.ENTRY, OrderKind.STOP, OrderKind.TAKE_PROFIT, OrderKind.TAKE_PROFIT,
        ]  # fmt: skip
        assert [o.status for o in orders] == ["filled", "filled", "filled", "canceled"]
        assert all(o.trade_id == trade.id for o in orders), "the entry recorded before the trade is linked too"
        entry, stop = orders[0], orders[1]
        assert entry.client_order_id == "sb-BTCUSDC-entry-1" and stop.client_order_id == "sb-BTCUSDC-stop-2"
        assert (entry.filled_qty, entry.avg_price, entry.exchange_order_id) == (0.02, 100_010.0, "9001")
        assert stop.is_algo and stop.close_position and stop.order_type is OrderType.STOP_MARKET
        assert stop.quantity is None and stop.trigger_price == 99_500.0
        assert orders[2].reduce_only and orders[2].price == 100_500.0
        assert storage.open_orders_known() == ()

        # Order ids and algo ids are separate id spaces.
        assert storage.order_by_exchange_id(BTC, 9001) == entry
        assert storage.order_by_exchange_id(BTC, "9001", is_algo=True) == stop
        assert storage.order_by_exchange_id(ETH, 9001) is None
        assert storage.order_by_client_id("sb-BTCUSDC-tp2-4") == orders[3]

        fills = storage.fills_for_trade("BTC-1")
        assert [f.exchange_trade_id for f in fills] == ["501", "502", "503", "504"]
        assert fills[2].is_maker and fills[2].realized_pnl == 4.9 and fills[2].fee == 0.201
        assert [f.exchange_trade_id for f in storage.fills_for_order("sb-BTCUSDC-entry-1")] == ["501", "502"]
        assert storage.latest_fill_ts(BTC) == T0 + 25 * MINUTE
        assert storage.latest_fill_ts(ETH) is None

        (signal,) = storage.signals(symbol=BTC)
        assert signal.breakdown == {"atr": None, "ema_fast": 99_950.0, "filters": {"volume": True}, "rsi": 28.5}
        (decision,) = storage.risk_decisions(correlation_id="BTC-1")
        assert decision.approved and decision.details == {"risk_usdc": 5.0}
        assert storage.next_sequence("order") == 5, "the order sequence continues after a reopen"


def test_summary_and_performance_by_hand(storage: Storage, clock: FakeClock) -> None:
    _run_btc_trade(storage, clock)  # +3.39892, exit 2025-05-05 00:25, hold 1_499_000 ms
    add_closed_trade(
        storage, "ETH-1", symbol=ETH, pnl=-2.5, fees=0.3, reason="stop_loss",
        entry_ms=T0 + 2 * HOUR, exit_ms=T0 + 2 * HOUR + 30 * MINUTE, funding=-0.05,
    )  # fmt: skip
    add_closed_trade(
        storage, "BTC-2", pnl=-1.25, fees=0.2, reason="stop_loss",
        entry_ms=T0 + DAY + HOUR, exit_ms=T0 + DAY + HOUR + 10 * MINUTE,
    )  # fmt: skip
    storage.open_trade(  # open trades never count in reports
        correlation_id="ETH-2", symbol=ETH, side="short", entry_time_ms=T0 + DAY + 2 * HOUR,
        entry_price=2_500.0, quantity=1.0, leverage=2,
    )  # fmt: skip

    summary = storage.summary()
    assert (summary.total_trades, summary.wins, summary.losses, summary.breakeven) == (3, 1, 2, 0)
    assert summary.win_rate == pytest.approx(1 / 3)
    assert summary.realized_pnl == pytest.approx(3.39892 - 2.5 - 1.25)
    assert summary.fees == pytest.approx(1.40108 + 0.3 + 0.2)
    assert summary.funding == pytest.approx(-0.05)
    assert summary.average_pnl == pytest.approx((3.39892 - 2.5 - 1.25) / 3)
    assert summary.best_trade is not None and summary.best_trade.correlation_id == "BTC-1"
    assert summary.worst_trade is not None and summary.worst_trade.correlation_id == "ETH-1"

    day_two = storage.summary(since_ms=T0 + DAY)
    assert (day_two.total_trades, day_two.realized_pnl) == (1, -1.25)
    assert storage.summary(until_ms=T0).total_trades == 0
    assert storage.summary(until_ms=T0).win_rate is None

    perf = storage.performance()
    assert perf.trades == 3
    assert [(b.key, b.trades) for b in perf.by_day] == [("2025-05-05", 2), ("2025-05-06", 1)]
    assert perf.by_day[0].pnl == pytest.approx(3.39892 - 2.5)
    assert [(b.key, b.pnl) for b in perf.by_hour] == [
        ("2025-05-05 00:00", pytest.approx(3.39892)),
        ("2025-05-05 02:00", -2.5),
        ("2025-05-06 01:00", -1.25),
    ]
    assert [b.key for b in perf.by_hour_of_day] == ["00", "01", "02"]
    by_symbol = {b.key: b for b in perf.by_symbol}
    assert by_symbol[BTC].trades == 2 and by_symbol[BTC].pnl == pytest.approx(3.39892 - 1.25)
    assert by_symbol[BTC].win_rate == 0.5
    assert by_symbol[ETH].losses == 1 and by_symbol[ETH].fees == pytest.approx(0.3)
    by_reason = {b.key: (b.trades, b.pnl) for b in perf.by_exit_reason}
    assert by_reason == {"break_even_stop": (1, pytest.approx(3.39892)), "stop_loss": (2, -3.75)}
    assert perf.average_hold_ms == pytest.approx((1_499_000 + 30 * MINUTE + 10 * MINUTE) / 3)
    assert (perf.stop_loss_streak, perf.loss_streak) == (2, 2)

    add_closed_trade(
        storage, "BTC-3", pnl=0.8, reason=take_profit_reason(2),
        entry_ms=T0 + DAY + 3 * HOUR, exit_ms=T0 + DAY + 4 * HOUR,
    )  # fmt: skip
    assert storage.performance().stop_loss_streak == 0, "a winning exit ends the streak"
    assert storage.performance(until_ms=T0 + DAY + 4 * HOUR).stop_loss_streak == 2, "until is exclusive"
