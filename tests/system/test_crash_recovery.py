"""Issue 5: ``kill -9`` of the bot process at the worst moments; after a restart every position has
its stop within seconds, nothing is entered twice, and the database matches the exchange.

The market is a hand-made SOL path on which ScalpingV1 (set to an EMA cross confirmed by volume) gives
exactly one LONG, on candle ``SIGNAL``; what follows depends on the scenario.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from tests.support import REPO_ROOT, eventually
from tests.system.support import running_simulator

pytestmark = pytest.mark.system
M = 60_000
T0 = 1_746_316_800_000
SIGNAL = 1060  # the candle that triggers the one entry
START = SIGNAL - 3  # the replay starts three minutes before it (1057 candles of history for warm-up)
STRATEGY_ENV = {
    "BOT__STRATEGY__TRIGGERS": "ema_cross", "BOT__STRATEGY__CONFIRMATIONS": "volume",
    "BOT__STRATEGY__VOLUME_FACTOR": "3", "BOT__STRATEGY__MIN_CONFIRMATIONS": "1",
    "BOT__STRATEGY__ATR_MIN_PCT": "0.0", "BOT__STRATEGY__ATR_MAX_PCT": "50",
    "BOT__SYMBOLS__WHITELIST": "SOL/USDC:USDC", "BOT__SYMBOLS__MIN_QUOTE_VOLUME_24H": "0",
    "BOT__SYMBOLS__ATR_PCT_MIN": "0", "BOT__SYMBOLS__ATR_PCT_MAX": "100",
    "BOT__ORDERS__MAX_HOLD_MIN": "600", "BOT__ORDERS__CLEANUP_INTERVAL_S": "1",
    "BOT__EXCHANGE__STALE_AFTER_S": "3", "BOT__EXCHANGE__REQUEST_TIMEOUT_S": "2",
    "BOT__LOGGING__STATUS_INTERVAL_S": "3600",
}


def write_market(folder: Path, after_signal: list[float]) -> None:
    """Quiet noise, a slow decline (EMA fast below slow), the signal candle (+1 %, big volume), then
    ``after_signal``. Only the signal candle has the volume that confirms a trigger."""
    rng = np.random.default_rng(11)
    closes = list(150.0 * (1 + rng.normal(0, 0.0003, SIGNAL - 100)))
    closes += list(np.linspace(closes[-1], 148.0, 100))
    closes += [149.5]
    closes += after_signal
    volumes = [100.0] * len(closes)
    volumes[SIGNAL] = 5000.0
    opens = [closes[0], *closes[:-1]]
    lines = ["open_time,open,high,low,close,volume"]
    for i, (o, c, v) in enumerate(zip(opens, closes, volumes, strict=True)):
        lines.append(f"{T0 + i * M},{o:.2f},{max(o, c) + 0.01:.2f},{min(o, c) - 0.01:.2f},{c:.2f},{v}")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "SOLUSDT-1m.csv").write_text("\n".join(lines) + "\n")


def start_bot(sim, tmp_path: Path, speed: float) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env.update({"BOT__STORAGE__DATA_DIR": str(tmp_path / "var"), **STRATEGY_ENV})
    log = (tmp_path / "bot-output.txt").open("a")
    return subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "run.py"), "trade", "--exchange-url", sim.rest_url, "--speed", str(speed)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def kill9(process: subprocess.Popen) -> None:
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=10)


def stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


def sol(state: dict) -> tuple[float, list[dict], list[dict]]:
    amount = float(state["positions"].get("SOLUSDC", {}).get("amount", 0))
    stops = [a for a in state["open_algo_orders"] if a["symbol"] == "SOLUSDC" and a["orderType"] == "STOP_MARKET"]
    entries = [o for o in state["orders"] if o["symbol"] == "SOLUSDC" and "-en-" in o["clientOrderId"]]
    return amount, stops, entries


def db_rows(tmp_path: Path, query: str) -> list[tuple]:
    db = sqlite3.connect(tmp_path / "var" / "bot.db")
    try:
        return db.execute(query).fetchall()
    finally:
        db.close()


def output(tmp_path: Path) -> str:
    return (tmp_path / "bot-output.txt").read_text()


def test_killed_after_the_entry_filled_but_before_its_stop(tmp_path: Path) -> None:
    write_market(tmp_path / "data", [149.6] * 60)
    with running_simulator(data_dir=tmp_path / "data", start=T0 + START * M, speed=40.0) as sim:
        sim.fail_next(50, "timeout", execute=False, path="/fapi/v1/algoOrder")  # the stop never gets through
        process = start_bot(sim, tmp_path, 40.0)
        try:
            eventually(lambda: sol(sim.state())[0] > 0, timeout=30, message=lambda: output(tmp_path)[-2000:])
            kill9(process)
            amount, stops, entries = sol(sim.state())
            assert amount > 0 and stops == [] and len(entries) == 1
            sim.set_faults(fails=[])
            process = start_bot(sim, tmp_path, 40.0)
            eventually(lambda: len(sol(sim.state())[1]) == 1, timeout=15, message="no stop after the restart")
        finally:
            stop(process)
        amount, stops, entries = sol(sim.state())
        assert amount > 0 and len(stops) == 1 and len(entries) == 1
        assert db_rows(tmp_path, "select status, origin from trades") == [("open", "bot")]


def test_killed_with_a_protected_position_changes_nothing_on_restart(tmp_path: Path) -> None:
    write_market(tmp_path / "data", [149.6] * 60)
    with running_simulator(data_dir=tmp_path / "data", start=T0 + START * M, speed=40.0) as sim:
        process = start_bot(sim, tmp_path, 40.0)
        try:
            eventually(lambda: len(sol(sim.state())[1]) == 1 and len(sim.state()["open_orders"]) == 3, timeout=30,
                       message=lambda: output(tmp_path)[-2000:])
            before = sim.state()
            kill9(process)
            process = start_bot(sim, tmp_path, 40.0)
            eventually(lambda: output(tmp_path).count("Reconciliation done") >= 2, timeout=15)
            after = sim.state()
        finally:
            stop(process)
        def ids(state: dict) -> list[str]:
            return sorted(o.get("clientAlgoId") or o["clientOrderId"]
                          for o in state["open_orders"] + state["open_algo_orders"])

        assert ids(after) == ids(before)
        assert len(sol(after)[2]) == 1
        assert db_rows(tmp_path, "select status from trades") == [("open",)]


def test_a_stop_that_fired_while_the_bot_was_dead_is_settled_after_restart(tmp_path: Path) -> None:
    write_market(tmp_path / "data", [149.6] * 4 + list(np.linspace(149.6, 144.0, 6)) + [144.0] * 60)
    with running_simulator(data_dir=tmp_path / "data", start=T0 + START * M, speed=40.0) as sim:
        process = start_bot(sim, tmp_path, 40.0)
        try:
            eventually(lambda: len(sol(sim.state())[1]) == 1, timeout=30, message=lambda: output(tmp_path)[-2000:])
            kill9(process)
            eventually(lambda: sol(sim.state())[0] == 0, timeout=30, message="the stop did not fire")
            process = start_bot(sim, tmp_path, 40.0)
            eventually(lambda: db_rows(tmp_path, "select status from trades") == [("closed",)], timeout=20,
                       message=lambda: output(tmp_path)[-2000:])
        finally:
            stop(process)
        (reason, pnl, fees), = db_rows(tmp_path, "select exit_reason, realized_pnl, fees from trades")
        fills = [f for f in sim.state()["fills"] if f["symbol"] == "SOLUSDC"]
        assert reason == "stop_loss"
        assert fees == pytest.approx(sum(float(f["commission"]) for f in fills), abs=1e-6)
        assert pnl == pytest.approx(sum(float(f["realizedPnl"]) - float(f["commission"]) for f in fills), abs=1e-6)
        assert sol(sim.state())[2] and len(sol(sim.state())[2]) == 1
        assert sim.state()["open_orders"] == [] and sim.state()["open_algo_orders"] == []
