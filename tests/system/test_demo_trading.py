"""Issue 4 whole-system tests: the real bot (ccxt, websockets, pykka actors) against the simulator on
a free loopback port, replaying the real candles of ``../shared``."""

from __future__ import annotations

import logging
import re
import sqlite3
from pathlib import Path

import pytest

from tests.support import eventually, require_shared_data
from tests.system.support import ask, running_bot, running_simulator, wait_ready

pytestmark = pytest.mark.system
SYMBOLS = ["BTCUSDC", "ETHUSDC", "SOLUSDC", "XRPUSDC"]


def _entries(state: dict) -> list[dict]:
    return [o for o in state["orders"] if "-en-" in o["clientOrderId"] and o["status"] == "FILLED"]


def _protected_entries(state: dict) -> list[dict]:
    """Entries whose stop and take-profits exist on the simulator (in flight ones are not counted yet)."""
    done = []
    for entry in _entries(state):
        filled_at = int(entry["updateTime"])
        has_stop = any(a["symbol"] == entry["symbol"] and int(a["createTime"]) >= filled_at
                       for a in state["algo_orders"])
        tps = [o for o in state["orders"] if o["symbol"] == entry["symbol"] and "-tp" in o["clientOrderId"]
               and int(o["time"]) >= filled_at]
        if has_stop and sum(float(o["origQty"]) for o in tps) >= float(entry["executedQty"]) - 1e-12:
            done.append(entry)
    return done


def test_entries_are_protected_within_a_simulated_second_and_the_chain_is_logged(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    require_shared_data()
    caplog.set_level(logging.INFO)
    with running_simulator(symbols=SYMBOLS, speed=20.0) as sim, running_bot(sim, tmp_path) as bot:
        wait_ready(bot, len(SYMBOLS))
        def protected_state() -> dict | None:
            state = sim.state()
            return state if len(_protected_entries(state)) >= 2 else None

        state = eventually(protected_state, timeout=90, message="no two protected entries were made")
    for entry in _protected_entries(state):
        symbol, filled_at = entry["symbol"], int(entry["updateTime"])
        stops = [a for a in state["algo_orders"] if a["symbol"] == symbol and a["orderType"] == "STOP_MARKET"
                 and int(a["createTime"]) >= filled_at]
        assert stops, f"no stop for the entry {entry['clientOrderId']}"
        stop = min(stops, key=lambda a: int(a["createTime"]))
        assert int(stop["createTime"]) - filled_at <= 1000, (entry, stop)
        assert stop["closePosition"] in (True, "true")
        tps = [o for o in state["orders"] if o["symbol"] == symbol and "-tp" in o["clientOrderId"]
               and filled_at <= int(o["time"]) <= filled_at + 1000]
        assert 1 <= len(tps) <= 3 and all(o["reduceOnly"] in (True, "true") for o in tps), tps
        assert sum(float(o["origQty"]) for o in tps) == pytest.approx(float(entry["executedQty"]))
    # the same orders, with their exchange ids, are in SQLite
    db = sqlite3.connect(tmp_path / "var" / "bot.db")
    known = {row[0]: row[1] for row in db.execute("select client_order_id, exchange_order_id from orders")}
    for entry in _protected_entries(state):
        assert known.get(entry["clientOrderId"]) == str(entry["orderId"])
    for stop in (a for a in state["algo_orders"] if "-sl-" in a["clientAlgoId"]):
        assert known.get(stop["clientAlgoId"]) == str(stop["algoId"])
    # scan → evaluate → risk → execute, one correlation id through the logs
    text = "\n".join(r.getMessage() for r in caplog.records)
    assert "scanner: trading" in text
    opened = re.findall(r"\[([A-Z0-9]+-\d+)\] position OPEN", text)
    assert opened
    cid = opened[0]
    for step in (rf"\[{cid}\] signal (LONG|SHORT)", rf"\[{cid}\] risk APPROVED", rf"\[{cid}\] order request PlaceOrder",
                 rf"\[{cid}\] order request PlaceAlgoOrder"):
        assert re.search(step, text), step


def test_a_symbol_that_keeps_failing_is_restarted_then_quarantined_and_the_others_trade_on(tmp_path: Path) -> None:
    require_shared_data()
    overrides = {"chaos": {"fail_symbols": ["XRP/USDC:USDC"]},
                 "supervision": {"max_restarts": 2, "within_s": 60, "backoff_initial_s": 0.05}}
    with running_simulator(symbols=SYMBOLS, speed=60.0) as sim, running_bot(sim, tmp_path, overrides) as bot:
        wait_ready(bot, len(SYMBOLS))
        status = eventually(lambda: (s := ask(bot, "symbols", "status"))["quarantined"] and s, timeout=60,
                            message="XRP was never quarantined")
        assert list(status["quarantined"]) == ["XRP/USDC:USDC"] and status["restarts"] == 2
        assert ask(bot, "risk", "status").reconciled
        assert "XRP/USDC:USDC" in bot.ctx.health.get("symbols.quarantined")
        # the other symbols go on receiving candles and trading
        before = {s: ask(bot, f"symbol:{s}", "received_since_start") for s in ("BTC/USDC:USDC", "ETH/USDC:USDC")}
        eventually(lambda: all(ask(bot, f"symbol:{s}", "received_since_start") > n + 2 for s, n in before.items()),
                   timeout=30, message="the healthy symbols stopped receiving candles")
        eventually(lambda: any("-en-" in o["clientOrderId"] and o["symbol"] != "XRPUSDC"
                               for o in sim.state()["orders"]), timeout=60, message="no entry on a healthy symbol")
        assert not [o for o in sim.state()["orders"] if o["symbol"] == "XRPUSDC"]
        assert not bot.is_stopped()
        events = [e.kind for e in bot.ctx.storage.recent_events(50)]
        assert "quarantine" in events and "actor_restart" in events
