"""The facade's contracts one by one: uniqueness, atomicity, validation, state, events, sequences."""

from __future__ import annotations

import dataclasses
from decimal import Decimal
from pathlib import Path

import msgspec
import pytest

from storage import (
    DuplicateRecordError,
    EventLevel,
    OrderStatus,
    RecordNotFoundError,
    StateConflictError,
    Storage,
    StorageClosedError,
    StorageError,
    TradeOrigin,
    validate_exit_reason,
)
from tests.storage.conftest import SYMBOL, T0, FakeClock, add_intent


def _open(storage: Storage, correlation_id: str = "corr-1", symbol: str = SYMBOL, **overrides: object) -> None:
    values: dict[str, object] = {
        "correlation_id": correlation_id,
        "symbol": symbol,
        "side": "long",
        "entry_time_ms": T0,
        "entry_price": 100.0,
        "quantity": 1.0,
        "leverage": 2,
    }
    values.update(overrides)
    storage.open_trade(**values)  # type: ignore[arg-type]


def test_duplicate_fill_is_stored_once_but_same_id_on_another_symbol_is_not_a_duplicate(storage: Storage) -> None:
    fill = {"exchange_trade_id": "42", "side": "BUY", "price": 1.0, "qty": 2.0, "fee": 0.01, "fee_asset": "USDC"}
    assert storage.record_fill(symbol=SYMBOL, ts_ms=T0, **fill) is True
    assert storage.record_fill(symbol=SYMBOL, ts_ms=T0 + 5, **fill) is False
    assert storage.record_fill(symbol="ETH/USDC:USDC", ts_ms=T0, **fill) is True  # trade ids are per symbol
    assert storage.latest_fill_ts() == T0


def test_unique_keys_raise_duplicate_record_error(storage: Storage) -> None:
    add_intent(storage, "cid-1")
    with pytest.raises(DuplicateRecordError, match="client order id 'cid-1' already exists"):
        add_intent(storage, "cid-1")
    _open(storage)
    with pytest.raises(DuplicateRecordError, match="corr-1"):
        _open(storage, symbol="ETH/USDC:USDC")


class Vote(msgspec.Struct, frozen=True):
    name: str
    value: float


class Breakdown(msgspec.Struct, frozen=True):
    components: tuple[Vote, ...]
    trigger: str | None


def test_replayed_signal_is_stored_once_and_structs_are_accepted(storage: Storage) -> None:
    first = storage.record_signal(
        ts_ms=T0, correlation_id="BTC-29123456", symbol=SYMBOL, side="LONG", strategy="scalping_v1",
        breakdown=Breakdown(components=(Vote(name="rsi", value=28.0), Vote(name="atr", value=float("nan"))),
                            trigger="rsi"),
    )  # fmt: skip
    again = storage.record_signal(
        ts_ms=T0 + 60_000, correlation_id="BTC-29123456", symbol=SYMBOL, side="long", strategy="scalping_v1",
        breakdown={"other": 1},
    )  # fmt: skip
    assert again == first and len(storage.signals()) == 1
    assert first.side == "long"
    assert first.breakdown == {"components": ({"name": "rsi", "value": 28.0}, {"name": "atr", "value": None}),
                               "trigger": "rsi"}  # fmt: skip


def test_upsert_order_inserts_then_updates_without_erasing_known_values(storage: Storage, clock: FakeClock) -> None:
    base = {
        "client_order_id": "ufb-BTC-sl-7", "symbol": SYMBOL, "kind": "stop", "order_type": "STOP_MARKET",
        "side": "SELL", "is_algo": True, "close_position": True, "correlation_id": "corr-1",
    }  # fmt: skip
    inserted = storage.upsert_order(**base, status="intent", trigger_price="99500.0")
    assert (inserted.status, inserted.trigger_price, inserted.filled_qty) == (OrderStatus.INTENT, 99_500.0, 0.0)
    clock.advance(10)
    storage.upsert_order(**base, status="new", exchange_order_id="4000123", trigger_price="99500.0")
    updated = storage.upsert_order(**base, status="triggering", exchange_order_id="", avg_price=None)
    assert updated.id == inserted.id and updated.status is OrderStatus.TRIGGERING
    assert updated.exchange_order_id == "4000123", "an absent id never erases the known one"
    assert updated.trigger_price == 99_500.0 and updated.updated_ms == T0 + 10
    assert [o.client_order_id for o in storage.open_orders_known()] == ["ufb-BTC-sl-7"]
    finished = storage.upsert_order(**base, status="finished", filled_qty=0.01)
    assert finished.status.is_terminal and storage.open_orders_known() == ()
    with pytest.raises(StateConflictError, match="different side"):
        storage.upsert_order(**{**base, "side": "BUY"}, status="new")


def test_fill_is_tied_to_its_order_and_trade_by_exchange_order_id(storage: Storage) -> None:
    add_intent(storage, "ufb-BTC-en-1", exchange_order_id=555, status="filled", quantity=Decimal("0.010"))
    _open(storage)
    fill = {"symbol": SYMBOL, "side": "BUY", "price": "100.5", "qty": "0.010", "fee": 0.01, "fee_asset": "USDC"}
    assert storage.record_fill(exchange_trade_id=1, exchange_order_id=555, ts_ms=T0, **fill)
    # The child order of a triggered algo stop is not in the orders table: the correlation id ties it.
    assert storage.record_fill(
        exchange_trade_id=2, exchange_order_id=999, correlation_id="corr-1", ts_ms=T0 + 1, **fill
    )  # fmt: skip
    assert storage.record_fill(exchange_trade_id=3, correlation_id="other", ts_ms=T0 + 2, **fill)
    (first,) = storage.fills_for_order("ufb-BTC-en-1")
    assert (first.client_order_id, first.correlation_id, first.price, first.qty) == (
        "ufb-BTC-en-1", "corr-1", 100.5, 0.01,
    )  # fmt: skip
    assert [f.exchange_trade_id for f in storage.fills_for_trade("corr-1")] == ["1", "2"]
    with pytest.raises(ValueError, match="price must be a number"):
        storage.record_fill(exchange_trade_id=4, ts_ms=T0, **{**fill, "price": "abc"})


def test_exchange_order_id_is_unique_per_symbol_and_id_space(storage: Storage) -> None:
    add_intent(storage, "a", exchange_order_id=7, status="new")
    add_intent(storage, "b", exchange_order_id=7, status="new", is_algo=True)  # algo id space
    add_intent(storage, "c", exchange_order_id=7, status="new", symbol="ETH/USDC:USDC")
    add_intent(storage, "d")
    with pytest.raises(DuplicateRecordError):
        storage.update_order("d", exchange_order_id="7", status="new")
    order = storage.order_by_client_id("d")
    assert order is not None and order.exchange_order_id is None


def test_one_open_trade_per_symbol(storage: Storage) -> None:
    _open(storage, "first")
    with pytest.raises(StateConflictError, match="already has an open trade \\(first\\)"):
        _open(storage, "second")
    storage.close_trade("first", exit_time_ms=T0 + 1, exit_price=99.0, reason="external", realized_pnl=-1.0, fees=0.0)
    _open(storage, "second", origin="adopted")
    (trade,) = storage.open_trades()
    assert trade.correlation_id == "second" and trade.origin is TradeOrigin.ADOPTED


def test_close_trade_is_all_or_nothing(storage: Storage) -> None:
    add_intent(storage, "stop-1", kind="stop", order_type="STOP_MARKET", side="SELL", status="new")
    _open(storage)
    with pytest.raises(RecordNotFoundError, match="no order with client order id 'missing'"):
        storage.close_trade(
            "corr-1",
            exit_time_ms=T0 + 10,
            exit_price=101.0,
            reason="stop_loss",
            realized_pnl=1.0,
            fees=0.1,
            order_updates={"stop-1": {"status": "filled"}, "missing": {"status": "canceled"}},
        )
    trade = storage.trade_by_correlation_id("corr-1")
    assert trade is not None and trade.is_open and trade.realized_pnl is None
    order = storage.order_by_client_id("stop-1")
    assert order is not None and order.status is OrderStatus.NEW, "the stop update was rolled back too"

    storage.close_trade(
        "corr-1",
        exit_time_ms=T0 + 10,
        exit_price=101.0,
        reason="stop_loss",
        realized_pnl=1.0,
        fees=0.1,
        order_updates={"stop-1": {"status": "filled"}},
    )
    with pytest.raises(StateConflictError, match="already closed"):
        storage.close_trade("corr-1", exit_time_ms=T0 + 11, exit_price=1.0, reason="manual", realized_pnl=0, fees=0)
    with pytest.raises(RecordNotFoundError):
        storage.close_trade("nope", exit_time_ms=T0, exit_price=1.0, reason="manual", realized_pnl=0, fees=0)


def test_atomic_groups_calls_and_rolls_back_on_error(storage: Storage) -> None:
    add_intent(storage, "cid-1")
    with pytest.raises(RecordNotFoundError), storage.atomic():
        storage.record_fill(
            exchange_trade_id=1, symbol=SYMBOL, side="BUY", price=1.0, qty=1.0, fee=0.0, fee_asset="USDC", ts_ms=T0
        )
        storage.update_order("cid-1", status="filled")
        storage.update_order("unknown", status="filled")
    assert storage.latest_fill_ts() is None
    order = storage.order_by_client_id("cid-1")
    assert order is not None and order.status is OrderStatus.INTENT


def test_update_trade_changes_only_known_fields(storage: Storage, clock: FakeClock) -> None:
    _open(storage, stop_price=95.0)
    clock.advance(500)
    trade = storage.update_trade("corr-1", stop_price=100.0, funding=-0.02, take_profits=[(110.0, 0.5)])
    assert (trade.stop_price, trade.funding, trade.updated_ms) == (100.0, -0.02, T0 + 500)
    assert trade.take_profits[0].price == 110.0
    with pytest.raises(TypeError, match="realized_pnl"):
        storage.update_trade("corr-1", realized_pnl=5.0)
    with pytest.raises(RecordNotFoundError):
        storage.update_trade("nope", stop_price=1.0)


@pytest.mark.parametrize(
    ("call", "error"),
    [
        (lambda s: add_intent(s, "x", status="done"), ValueError),
        (lambda s: add_intent(s, "x", order_type="ICEBERG"), ValueError),
        (lambda s: add_intent(s, "x", quantity=float("nan")), ValueError),
        (lambda s: add_intent(s, "", quantity=1.0), ValueError),
        (lambda s: s.update_order("x", colour="red"), TypeError),
        (lambda s: _open(s, entry_time_ms=1.5), TypeError),
        (lambda s: _open(s, leverage=0), ValueError),
        (lambda s: _open(s, side="up"), ValueError),
        (lambda s: s.record_event("k", "m", level="loud"), ValueError),
        (lambda s: s.record_event("k", "m", details={1: "x"}), TypeError),
        (lambda s: s.set_state("binance_api_key", "abc"), ValueError),
        (lambda s: s.set_state("x", object()), TypeError),
    ],
)
def test_invalid_values_are_refused_before_touching_the_database(storage: Storage, call, error) -> None:
    with pytest.raises(error):
        call(storage)
    assert storage.order_by_client_id("x") is None
    assert storage.open_trades() == () and storage.recent_events() == ()


def test_exit_reasons() -> None:
    assert validate_exit_reason("take_profit_3") == "take_profit_3"
    for bad in ("take_profit_0", "take_profit_", "tp1", "stop"):
        with pytest.raises(ValueError, match="take_profit_<n>"):
            validate_exit_reason(bad)


def test_records_are_immutable(storage: Storage) -> None:
    event = storage.record_event("boot", "started", details={"symbols": ["BTC", "ETH"]})
    with pytest.raises(dataclasses.FrozenInstanceError):
        event.message = "changed"  # type: ignore[misc]
    with pytest.raises(TypeError):
        event.details["symbols"] = ()  # type: ignore[index]
    assert event.details["symbols"] == ("BTC", "ETH")


def test_runtime_state_round_trip_and_reopen(db_path: Path, clock: FakeClock) -> None:
    with Storage.open(db_path, clock=clock) as storage:
        assert storage.get_state("paused", default=False) is False
        storage.set_state("paused", {"paused": True, "by": "telegram", "symbols": ["BTC/USDC:USDC"]})
        storage.set_state("daily_loss", 12.5)
        storage.set_state("daily_loss", 13.0)
        storage.set_state("gone", 1)
        assert storage.delete_state("gone") and not storage.delete_state("gone")
    with Storage.open(db_path, clock=clock) as storage:
        assert storage.get_state("paused") == {"paused": True, "by": "telegram", "symbols": ("BTC/USDC:USDC",)}
        assert storage.get_state("daily_loss") == 13.0
        assert storage.get_state("gone", "default") == "default"


def test_sequences_are_monotonic_per_name_and_survive_reopen(db_path: Path) -> None:
    with Storage.open(db_path) as storage:
        assert [storage.next_sequence("order") for _ in range(3)] == [1, 2, 3]
        assert storage.next_sequence("signal") == 1
    with Storage.open(db_path) as storage:
        assert storage.next_sequence("order") == 4
        assert storage.advance_sequence("order", 100) == 100
        assert storage.advance_sequence("order", 50) == 100, "advancing never goes backwards"
        assert storage.next_sequence("order") == 101
        assert storage.advance_sequence("fresh", 7) == 7 and storage.next_sequence("fresh") == 8
        assert storage.next_sequence("signal") == 2


def test_recent_events_newest_n_in_log_order(storage: Storage, clock: FakeClock) -> None:
    for index in range(5):
        clock.advance(1_000)
        storage.record_event(
            "tick", f"event {index}", level="warning" if index % 2 else "info", symbol=SYMBOL, correlation_id="c"
        )
    storage.record_event("old", "stamped in the past", ts_ms=T0)
    assert [e.message for e in storage.recent_events(3)] == ["event 2", "event 3", "event 4"]
    assert [e.message for e in storage.recent_events(10, min_level=EventLevel.WARNING)] == ["event 1", "event 3"]
    assert storage.recent_events(10)[0].message == "stamped in the past"
    assert storage.recent_events(0) == ()
    latest = storage.recent_events(1)[0]
    assert (latest.ts_ms, latest.level, latest.symbol) == (T0 + 5_000, EventLevel.INFO, SYMBOL)


def test_equity_curve(storage: Storage) -> None:
    for minute, equity in enumerate([1000.0, 1002.5, 998.0]):
        storage.snapshot_equity(
            ts_ms=T0 + minute * 60_000,
            wallet_balance=1000.0,
            equity=equity,
            available_balance=900.0,
            unrealized_pnl=equity - 1000.0,
            margin_used=100.0,
        )
    assert [p.equity for p in storage.equity_curve(since_ms=T0 + 60_000)] == [1002.5, 998.0]
    assert [p.unrealized_pnl for p in storage.equity_curve(until_ms=T0 + 60_000)] == [0.0]
    assert storage.equity_curve(asset="USDT") == ()


def test_closed_storage_refuses_use(db_path: Path) -> None:
    storage = Storage.open(db_path)
    storage.close()
    storage.close()  # idempotent
    with pytest.raises(StorageClosedError, match=str(db_path)) as excinfo:
        storage.next_sequence("order")
    assert isinstance(excinfo.value, StorageError) and excinfo.value.operation == "next sequence"
