"""Issue 5 whole-system tests: the real bot (ccxt, websockets, actors) managing positions on the
simulator, on hand-made price paths, stepped minute by minute. Ground truth is the simulator's state."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from messages.control import EmergencyClose
from messages.risk import EntryApproved
from tests.support import eventually
from tests.system.crafted import ramp, series
from tests.system.support import ask, running_bot, running_simulator, settle, step_minutes, wait_ready

pytestmark = pytest.mark.system
SOL = "SOL/USDC:USDC"


@contextmanager
def world(tmp_path: Path, paths: dict[str, list[float]], **overrides: Any) -> Iterator[tuple[Any, Any]]:
    symbols = [f"{s.split('/')[0]}USDC" for s in paths]
    settings: dict[str, Any] = {
        "symbols": {"whitelist": list(paths), "min_quote_volume_24h": 0, "atr_pct_min": 0.0, "atr_pct_max": 100},
        "control": {"paused": True, "pause_reason": "entries injected by the test"},
        "orders": {"max_hold_min": 120.0, "cleanup_interval_s": 0.5},
        "risk": {"max_concurrent_positions": 5},
    }
    for section, values in overrides.items():
        settings.setdefault(section, {}).update(values)
    data = {f"{s.split('/')[0]}USDC": series(f"{s.split('/')[0]}USDC", p) for s, p in paths.items()}
    with running_simulator(data_dir=None, series=data, stepped=True) as sim, \
            running_bot(sim, tmp_path, settings) as bot:
        wait_ready(bot, len(symbols))
        settle(bot, sim)
        yield sim, bot


def enter(bot: Any, sim: Any, symbol: str, side: str, price: float, number: int = 1) -> str:
    sign = 1 if side == "long" else -1
    cid = f"{symbol.split('/', maxsplit=1)[0]}-T{number}"
    now = sim.clock.now_ms()
    bot.ctx.directory.tell("order", EntryApproved(
        ts_event=now, ts_init=now, correlation_id=cid, symbol=symbol, side=side, reference_price=price,
        stop_price=price * (1 - sign * 0.02),
        take_profit_prices=tuple(price * (1 + sign * p / 100) for p in (0.4, 0.8, 1.2)),
        leverage=5, risk_amount=4.0, sizing_balance=400.0, available_balance=400.0))
    settle(bot, sim)
    return cid


def trade_row(tmp_path: Path, cid: str) -> dict[str, Any]:
    db = sqlite3.connect(tmp_path / "var" / "bot.db")
    db.row_factory = sqlite3.Row
    row = db.execute("select * from trades where correlation_id = ?", (cid,)).fetchone()
    assert row is not None, f"no trade {cid}"
    return dict(row)


def position(sim: Any, exchange_symbol: str) -> float:
    return float(sim.state()["positions"].get(exchange_symbol, {}).get("amount", 0))


def open_orders(sim: Any, exchange_symbol: str | None = None) -> list[dict]:
    state = sim.state()
    orders = state["open_orders"] + state["open_algo_orders"]
    return [o for o in orders if exchange_symbol is None or o["symbol"] == exchange_symbol]


def test_long_runs_through_every_take_profit_with_the_stop_moved_to_break_even(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 3 + ramp(150.0, 152.5, 30) + [152.5] * 10}) as (sim, bot):
        cid = enter(bot, sim, SOL, "long", 150.0)
        orders = open_orders(sim, "SOLUSDC")
        assert sorted(o.get("orderType") or o["type"] for o in orders) == ["LIMIT", "LIMIT", "LIMIT", "STOP_MARKET"]
        step_minutes(bot, sim, 40)
        assert position(sim, "SOLUSDC") == 0 and open_orders(sim) == []
        trade = trade_row(tmp_path, cid)
        assert trade["status"] == "closed" and trade["exit_reason"] == "take_profit_3" and trade["realized_pnl"] > 0
        stops = [a for a in sim.state()["algo_orders"] if a["symbol"] == "SOLUSDC" and a["orderType"] == "STOP_MARKET"]
        assert len(stops) == 2 and all(s["closePosition"] in (True, "true") for s in stops)
        assert float(stops[1]["triggerPrice"]) == pytest.approx(trade["entry_price"] * 1.001, abs=0.011)
        fills = [f for f in sim.state()["fills"] if f["symbol"] == "SOLUSDC"]
        db = sqlite3.connect(tmp_path / "var" / "bot.db")
        fees = db.execute("select sum(fee) from fills where correlation_id = ?", (cid,)).fetchone()[0]
        assert fees == pytest.approx(sum(float(f["commission"]) for f in fills), abs=1e-6)
        assert trade["fees"] == pytest.approx(fees, abs=1e-6)


def test_short_stopped_out_cancels_its_take_profits(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 3 + ramp(150.0, 154.0, 20) + [154.0] * 5}) as (sim, bot):
        cid = enter(bot, sim, SOL, "short", 150.0)
        step_minutes(bot, sim, 25)
        trade = trade_row(tmp_path, cid)
        assert trade["exit_reason"] == "stop_loss" and trade["realized_pnl"] < 0
        assert position(sim, "SOLUSDC") == 0 and open_orders(sim) == []
        tps = [o for o in sim.state()["orders"] if "-tp" in o["clientOrderId"]]
        assert tps and all(o["status"] in ("CANCELED", "EXPIRED") for o in tps)


def test_max_hold_closes_at_market(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 20}, orders={"max_hold_min": 3.0}) as (sim, bot):
        cid = enter(bot, sim, SOL, "long", 150.0)
        step_minutes(bot, sim, 5)
        assert trade_row(tmp_path, cid)["exit_reason"] == "timeout"
        assert position(sim, "SOLUSDC") == 0 and open_orders(sim) == []


def test_panic_with_three_positions_leaves_the_exchange_flat_and_repeating_it_is_harmless(tmp_path: Path) -> None:
    paths = {SOL: [150.0] * 20, "XRP/USDC:USDC": [2.2] * 20, "ETH/USDC:USDC": [1800.0] * 20}
    with world(tmp_path, paths) as (sim, bot):
        for n, (symbol, path) in enumerate(paths.items()):
            enter(bot, sim, symbol, "long" if n % 2 == 0 else "short", path[0], n)
        assert len([p for p in sim.state()["positions"].values() if float(p["amount"])]) == 3
        assert len(open_orders(sim)) == 12
        for _ in range(2):
            bot.ctx.directory.tell("order", EmergencyClose(ts_init=sim.clock.now_ms(), requested_by="test"))
            settle(bot, sim)
            eventually(lambda: not open_orders(sim)
                       and not any(float(p["amount"]) for p in sim.state()["positions"].values()),
                       timeout=10, message="not flat after panic")
        db = sqlite3.connect(tmp_path / "var" / "bot.db")
        reasons = [r[0] for r in db.execute("select exit_reason from trades")]
        assert sorted(reasons) == ["panic", "panic", "panic"]
        eventually(lambda: any("emergency close done" in e.message.lower() for e in bot.ctx.storage.recent_events(30)),
                   timeout=5, message="the emergency close was not reported")


def test_a_position_opened_by_someone_else_is_adopted_and_protected(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 20}) as (sim, _bot):
        sim.external_order("SOLUSDC", "BUY", "2")
        stop = eventually(lambda: [o for o in open_orders(sim, "SOLUSDC") if o.get("orderType") == "STOP_MARKET"],
                          timeout=10, message="the foreign position was not protected")
        assert stop[0]["side"] == "SELL"
        db = sqlite3.connect(tmp_path / "var" / "bot.db")
        eventually(lambda: db.execute("select origin from trades where symbol = ?", (SOL,)).fetchone() == ("adopted",),
                   timeout=5)


@pytest.mark.parametrize("fault", ["5xx_executed", "timeout_executed", "429_burst"])
def test_faults_on_the_entry_never_duplicate_it_nor_leave_it_unprotected(tmp_path: Path, fault: str) -> None:
    with world(tmp_path, {SOL: [150.0] * 20}, exchange={"request_timeout_s": 1.0}) as (sim, bot):
        sim.set_faults(timeout_s=3.0)
        if fault == "5xx_executed":
            sim.fail_next(1, "5xx", execute=True, path="/fapi/v1/order")
        elif fault == "timeout_executed":
            sim.fail_next(1, "timeout", execute=True, path="/fapi/v1/order")
        else:
            sim.burst_429(3)
        enter(bot, sim, SOL, "long", 150.0)
        eventually(lambda: position(sim, "SOLUSDC") > 0 and
                   [o for o in open_orders(sim, "SOLUSDC") if o.get("orderType") == "STOP_MARKET"], timeout=15,
                   message="the position is not protected")
        entries = [o for o in sim.state()["orders"] if "-en-" in o["clientOrderId"]]
        assert len(entries) == 1, entries
        stops = [o for o in open_orders(sim, "SOLUSDC") if o.get("orderType") == "STOP_MARKET"]
        assert len(stops) == 1


def test_a_stop_timing_out_with_unknown_outcome_is_settled_not_duplicated(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 20}, exchange={"request_timeout_s": 1.0}) as (sim, bot):
        sim.set_faults(timeout_s=3.0)
        sim.fail_next(1, "timeout", execute=True, path="/fapi/v1/algoOrder")
        enter(bot, sim, SOL, "long", 150.0)
        eventually(lambda: len(open_orders(sim, "SOLUSDC")) == 4, timeout=15, message="stop and TPs not in place")
        stops = [o for o in open_orders(sim, "SOLUSDC") if o.get("orderType") == "STOP_MARKET"]
        assert len(stops) == 1 and position(sim, "SOLUSDC") > 0


def test_margin_insufficient_refuses_the_entry_cleanly(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 20}) as (sim, bot):
        sim.reject_next(1, -2019, endpoint="order")
        cid = enter(bot, sim, SOL, "long", 150.0)
        assert position(sim, "SOLUSDC") == 0 and open_orders(sim) == []
        db = sqlite3.connect(tmp_path / "var" / "bot.db")
        assert db.execute("select count(*) from trades").fetchone()[0] == 0
        row = db.execute("select status, reject_code from orders where correlation_id = ?", (cid,)).fetchone()
        assert row == ("rejected", -2019)


def test_a_stop_refused_as_already_crossed_closes_the_position_at_once(tmp_path: Path) -> None:
    with world(tmp_path, {SOL: [150.0] * 20}) as (sim, bot):
        sim.reject_next(1, -2021, endpoint="algoOrder")
        cid = enter(bot, sim, SOL, "long", 150.0)
        eventually(lambda: position(sim, "SOLUSDC") == 0, timeout=10)
        settle(bot, sim)
        assert open_orders(sim) == []
        assert trade_row(tmp_path, cid)["exit_reason"] == "stop_loss"
        assert ask(bot, "order", "positions") == []
