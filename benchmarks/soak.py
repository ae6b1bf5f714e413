"""Soak and chaos run: the real bot, as a separate process, trades the 16 real symbols on the simulator
for N simulated days at high speed while faults are injected on a schedule; then checks what must hold.

Faults (each on a schedule in real time): every WebSocket dropped, a silent market stall, HTTP 5xx and
timeouts on order endpoints with the order executed (unknown outcomes), 429 bursts, clock skew (-1021),
listenKey expiry, malformed/duplicate/out-of-order kline frames, SymbolActor exceptions (the bot's
``chaos.symbol_failure_rate``), Telegram down (the fake Bot API refuses connections), and one
``kill -9`` of the bot followed by a restart.

Checks: no unhandled exception other than the injected ones; every position had a stop within the
bound at every check; no duplicate entries; no orphan orders at the end; the database equals the
exchange (trades, fees, PnL); RSS growth bounded; no thread leak.

``python benchmarks/soak.py --days 7 --speed 720 --report soak-report.json`` prints a JSON report and
exits 1 if a check failed. The CI runs ``run_soak(days=1)`` (tests/soak/).
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

import simulator  # noqa: E402
from simulator.config import SimulatorConfig  # noqa: E402
from simulator.telegram import start_fake_telegram  # noqa: E402

KLINES = REPO.parent / "shared" / "data" / "klines" / "binance-usdm-2025-05"
TOKEN = "424242:SOAKtokenNOTaREALoneXXXXXXXXXXXXXXX"
OWNER = 4242
STOP_BOUND_S = 5.0
MINUTE = 60_000


@dataclass
class Observations:
    """What the watcher saw while the bot ran."""

    checks: int = 0
    unprotected_violations: list[str] = field(default_factory=list)
    rss_mb: list[tuple[float, float]] = field(default_factory=list)  # (elapsed s, MB)
    threads: list[tuple[float, int]] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    restarts: int = 0


def _proc_status(pid: int) -> dict[str, str]:
    try:
        lines = Path(f"/proc/{pid}/status").read_text().splitlines()
    except OSError:
        return {}
    return dict(line.split(":", 1) for line in lines if ":" in line)


def _start_bot(sim: Any, fake: Any, workdir: Path, speed: float, extra_env: dict[str, str]) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env.update({
        "BOT__STORAGE__DATA_DIR": str(workdir / "var"), "BOT__LOGGING__STATUS_INTERVAL_S": "30",
        # the soak exercises the machinery under faults: a strategy that trades often, whatever the profile
        "BOT__STRATEGY__TRIGGERS": "ema_cross,macd_cross,rsi_reversal",
        "BOT__STRATEGY__CONFIRMATIONS": "trend,rsi_zone,macd_momentum,volume",
        "BOT__STRATEGY__MIN_CONFIRMATIONS": "1", "BOT__STRATEGY__VOLUME_FACTOR": "1.2",
        "BOT__ORDERS__MAX_HOLD_MIN": "10", "BOT__RISK__MAX_CONCURRENT_POSITIONS": "3",
        "BOT__SYMBOLS__MAX_SYMBOLS": "16", "BOT__SYMBOLS__MIN_QUOTE_VOLUME_24H": "0",
        "BOT__SYMBOLS__ATR_PCT_MIN": "0", "BOT__SYMBOLS__ATR_PCT_MAX": "100",
        "BOT__EXCHANGE__REQUEST_TIMEOUT_S": "2", "BOT__EXCHANGE__STALE_AFTER_S": "4",
        "BOT__EXCHANGE__FLATTEN_ON_SHUTDOWN": "true", "BOT__ORDERS__CLEANUP_INTERVAL_S": "5",
        "BOT__CHAOS__SYMBOL_FAILURE_RATE": "0.0005",
        "BOT__SUPERVISION__MAX_RESTARTS": "5", "BOT__SUPERVISION__WITHIN_S": "30",
        "TELEGRAM_TOKEN": TOKEN, "TELEGRAM_CHAT_ID": str(OWNER), "TELEGRAM_ALLOWED_USER_IDS": str(OWNER),
        "TELEGRAM_API_URL": fake.base_url, **extra_env,
    })
    log = (workdir / "bot-output.txt").open("a")
    return subprocess.Popen([sys.executable, str(REPO / "run.py"), "trade", "--exchange-url", sim.rest_url,
                             "--speed", str(speed)], cwd=workdir, env=env, stdout=log, stderr=subprocess.STDOUT)


def _watch(sim: Any, process: subprocess.Popen, obs: Observations, started: float,
           unprotected: dict[str, float]) -> None:
    """One check: positions without a stop for longer than the bound; the bot's memory and threads."""
    state = sim.state()
    now = time.monotonic()
    stops = {a["symbol"] for a in state["open_algo_orders"] if a["orderType"] == "STOP_MARKET"}
    open_symbols = {s for s, p in state["positions"].items() if float(p["amount"]) != 0}
    for symbol in open_symbols - stops:
        first = unprotected.setdefault(symbol, now)
        if now - first > STOP_BOUND_S:
            obs.unprotected_violations.append(f"{symbol} without a stop for {now - first:.1f}s")
            unprotected[symbol] = now  # report once per bound
    for symbol in list(unprotected):
        if symbol not in open_symbols - stops:
            del unprotected[symbol]
    obs.checks += 1
    status = _proc_status(process.pid)
    if "VmRSS" in status and "Threads" in status:
        obs.rss_mb.append((now - started, int(status["VmRSS"].split()[0]) / 1024))
        obs.threads.append((now - started, int(status["Threads"].strip())))


def _inject(sim: Any, fake: Any, step: int, obs: Observations) -> None:
    """The fault schedule: one fault family per step, in rotation."""
    kind = ("ws_drop", "stall", "unknown_outcome", "burst_429", "clock_skew", "listen_key", "bad_frames",
            "telegram_down")[step % 8]
    obs.faults[kind] = obs.faults.get(kind, 0) + 1
    if kind == "ws_drop":
        sim.drop_websockets()
    elif kind == "stall":
        sim.stall_market(True)
    elif kind == "unknown_outcome":
        sim.fail_next(2, "5xx", execute=True, path="/fapi/v1/order")
        sim.fail_next(1, "timeout", execute=True, path="/fapi/v1/algoOrder")
    elif kind == "burst_429":
        sim.burst_429(5)
    elif kind == "clock_skew":
        sim.set_clock_skew(-20_000)
    elif kind == "listen_key":
        sim.expire_listen_keys()
    elif kind == "bad_frames":
        sim.set_faults(kline_malformed_rate=0.05, kline_duplicate_rate=0.05, kline_out_of_order_rate=0.05)
    elif kind == "telegram_down":
        fake.set_down(True, seconds=20)


def _heal(sim: Any) -> None:
    sim.stall_market(False)
    sim.set_clock_skew(0)
    sim.set_faults(kline_malformed_rate=0.0, kline_duplicate_rate=0.0, kline_out_of_order_rate=0.0)


def run_soak(days: float, speed: float, workdir: Path | None = None, fault_every_s: float = 12.0,
             kill_at: float = 0.5) -> dict[str, Any]:
    """Run the soak and return the report (``report["ok"]`` says whether every check held)."""
    workdir = workdir or Path(tempfile.mkdtemp(prefix="soak-"))
    logging.getLogger("aiohttp").setLevel(logging.CRITICAL)  # the fake Telegram's "down" mode is noisy
    duration_s = days * 86_400 / speed
    obs = Observations()
    config = SimulatorConfig(data_dir=KLINES, synthesize_markets=True, speed=speed,
                             max_frames_per_second=4.0)
    with simulator.start(config) as sim, start_fake_telegram(token=TOKEN) as fake:
        process = _start_bot(sim, fake, workdir, speed, {})
        started = time.monotonic()
        end = started + duration_s
        next_fault, next_heal, step, killed = started + fault_every_s, 0.0, 0, False
        started_process = started
        unprotected: dict[str, float] = {}
        try:
            while time.monotonic() < end:
                time.sleep(0.5)
                _watch(sim, process, obs, started_process, unprotected)
                now = time.monotonic()
                if process.poll() is not None:
                    raise RuntimeError(f"the bot exited by itself with code {process.returncode}")
                if not killed and now - started > duration_s * kill_at:
                    process.send_signal(signal.SIGKILL)
                    process.wait(timeout=10)
                    killed = True
                    time.sleep(3)  # the market goes on while the bot is dead
                    process = _start_bot(sim, fake, workdir, speed, {})
                    obs.restarts += 1
                    unprotected.clear()  # the bound starts again with the new process
                    obs.rss_mb.clear()  # memory and threads are judged on the process that runs to the end
                    obs.threads.clear()
                    started_process = time.monotonic()
                if now >= next_fault:
                    _inject(sim, fake, step, obs)
                    step += 1
                    next_fault = now + fault_every_s
                    next_heal = now + fault_every_s / 2
                if next_heal and now >= next_heal:
                    _heal(sim)
                    next_heal = 0.0
            _heal(sim)
            process.send_signal(signal.SIGTERM)
            exit_code = process.wait(timeout=30)
        finally:
            if process.poll() is None:
                process.kill()
        final = sim.state()
    return _report(workdir, final, obs, exit_code, days, speed, time.monotonic() - started)


def _report(workdir: Path, state: dict[str, Any], obs: Observations, exit_code: int, days: float, speed: float,
            wall_s: float) -> dict[str, Any]:
    output = (workdir / "bot-output.txt").read_text(errors="replace")
    unexpected = [line for line in output.splitlines()
                  if ("Traceback" in line or "Unhandled exception" in line or "CRITICAL" in line)]
    chaos_failures = output.count("chaos: ")
    tracebacks = output.count("Traceback (most recent call last)")
    # every traceback must belong to an injected SymbolActor failure
    unexplained = max(0, tracebacks - output.count("RuntimeError: chaos:"))
    db = sqlite3.connect(workdir / "var" / "bot.db")
    trades = db.execute("select count(*), coalesce(sum(realized_pnl), 0), coalesce(sum(fees), 0), "
                        "coalesce(sum(funding), 0) from trades where status = 'closed'").fetchone()
    open_trades = db.execute("select count(*) from trades where status = 'open'").fetchone()[0]
    db.close()
    entries = [o for o in state["orders"] if "-en-" in o["clientOrderId"]]
    entry_keys = [(o["symbol"], int(o["time"]) // MINUTE) for o in entries]
    duplicates = len(entry_keys) - len(set(entry_keys))
    positions = {s for s, p in state["positions"].items() if float(p["amount"]) != 0}
    orphans = [o.get("clientAlgoId") or o["clientOrderId"] for o in state["open_orders"] + state["open_algo_orders"]
               if o["symbol"] not in positions]
    exchange_pnl = float(state["realized_pnl"]) - float(state["fees"]) + float(state["funding"])
    warm = min(20.0, (obs.rss_mb[-1][0] / 3) if obs.rss_mb else 0.0)  # judged after the warm-up
    rss_start = next((mb for t, mb in obs.rss_mb if t >= warm), 0.0)
    rss_end = obs.rss_mb[-1][1] if obs.rss_mb else 0.0
    threads_start = next((n for t, n in obs.threads if t >= warm), 0)
    threads_end = obs.threads[-1][1] if obs.threads else 0
    checks = {
        "clean_exit": exit_code == 0,
        "no_unexplained_exception": unexplained == 0 and not [u for u in unexpected if "CRITICAL" in u],
        "stops_within_bound": not obs.unprotected_violations,
        "no_duplicate_entries": duplicates == 0,
        "no_orphan_orders": not orphans,
        "flat_at_the_end": not positions and open_trades == 0,
        "database_equals_exchange_fees": abs(trades[2] - float(state["fees"])) < 1e-4,
        "database_equals_exchange_pnl": abs(trades[1] - exchange_pnl) < 1e-4,
        "trades_equal_entries": trades[0] == sum(1 for o in entries if o["status"] == "FILLED"),
        "rss_growth_bounded": rss_end - rss_start < max(64.0, 0.5 * rss_start),
        "no_thread_leak": threads_end <= threads_start + 4,
    }
    return {
        "ok": all(checks.values()), "checks": checks, "simulated_days": days, "speed": speed,
        "wall_seconds": round(wall_s, 1), "trades": trades[0], "entries": len(entries),
        "db_realized_pnl_net": round(trades[1], 6), "exchange_realized_pnl_net": round(exchange_pnl, 6),
        "db_fees": round(trades[2], 6), "exchange_fees": float(state["fees"]),
        "wallet_balance": float(state["wallet_balance"]), "start_balance": float(state["start_balance"]),
        "faults_injected": obs.faults, "symbol_actor_failures_injected": chaos_failures,
        "kill9_restarts": obs.restarts, "stop_checks": obs.checks, "unprotected": obs.unprotected_violations[:10],
        "orphans": orphans[:10], "duplicates": duplicates, "unexplained_tracebacks": unexplained,
        "rss_mb": {"after_warmup": round(rss_start, 1), "end": round(rss_end, 1)},
        "threads": {"after_warmup": threads_start, "end": threads_end}, "workdir": str(workdir),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=float, default=7.0)
    parser.add_argument("--speed", type=float, default=720.0)
    parser.add_argument("--report", type=Path)
    args = parser.parse_args()
    report = run_soak(args.days, args.speed)
    text = json.dumps(report, indent=2)
    print(text)
    if args.report:
        args.report.write_text(text)
    return 0 if report["ok"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
