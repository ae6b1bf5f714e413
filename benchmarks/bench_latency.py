"""Loop reaction of the real bot: closed-candle frame in → entry order out, at 10/35/100/300 symbols;
memory per SymbolActor; start-up to ready time.

The simulator runs in its own process (so its CPU does not share the bot's GIL), on a synthetic
market with as many symbols as asked, at ``--speed`` simulated seconds per real second. The bot runs
in this process, unchanged, except that the symbols are added directly (the configuration caps the
Scanner at 35). Latency is measured inside the bot: MarketFeed marks the arrival of a closed-candle
frame, the ExchangeActor closes the mark when that candle's entry order leaves (``HealthBoard``).

Usage: ``python benchmarks/bench_latency.py [--symbols 10,35,100,300] [--seconds 60] [--speed 10]``.
Prints one JSON object.
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from config import load_settings  # noqa: E402
from messages.runtime import AddSymbols  # noqa: E402
from service.bot import Bot  # noqa: E402
from simulator.synthetic import DEFAULT_SYMBOLS  # noqa: E402


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def symbols_for(count: int) -> list[str]:
    names = list(DEFAULT_SYMBOLS[:count])
    names += [f"SYN{i:03d}USDC" for i in range(count - len(names))]
    return names


def start_simulator(symbols: list[str], speed: float) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen(
        [sys.executable, str(REPO / "run.py"), "sim", "--synthetic", "--symbols", ",".join(symbols),
         "--speed", str(speed), "--port", "0", "--days", "2"],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        match = re.search(r"REST:\s+(http://\S+)", line)
        if match:
            return process, match.group(1)
    process.kill()
    raise RuntimeError("the simulator did not start")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] if ordered else float("nan")


def run(count: int, seconds: float, speed: float) -> dict[str, Any]:
    symbols = symbols_for(count)
    sim, url = start_simulator(symbols, speed)
    data_dir = Path(tempfile.mkdtemp())
    settings = load_settings(env={}, env_file=None, overrides={
        "storage": {"data_dir": str(data_dir)},
        "symbols": {"max_symbols": min(count, 35), "min_quote_volume_24h": 0, "atr_pct_min": 0.0,
                    "atr_pct_max": 100.0, "rotation_interval_min": 10_000},
        "risk": {"max_concurrent_positions": 35, "risk_per_trade_pct": 0.05, "symbol_cooldown_min": 0.0},
        "exchange": {"stale_after_s": 30.0},
        "logging": {"status_interval_s": 3600},
    }).settings
    rss_before = rss_mb()
    bot = Bot(settings, exchange_url=url, simulator_overrides={"speed": speed})
    started = time.monotonic()
    try:
        bot.start()
        assert bot.ctx is not None
        bot.ctx.directory.tell("symbols", AddSymbols(ts_init=bot.ctx.clock.now_ms(),
                                                      symbols=tuple(f"{s[:-4]}/USDC:USDC" for s in symbols)))
        health = bot.ctx.health
        while len(health.get("symbols.active", [])) < count or not _all_warm(bot, count):
            time.sleep(0.05)
            if time.monotonic() - started > 300:
                raise RuntimeError("symbols did not warm up")
        ready_s = time.monotonic() - started
        rss_ready = rss_mb()
        time.sleep(seconds)
        samples = health.latencies("candle_to_entry_order")
    finally:
        bot.stop()
        sim.kill()
    return {
        "symbols": count,
        "entries_measured": len(samples),
        "candle_to_entry_order_ms": {"p50": round(percentile(samples, 0.5) * 1000, 2),
                                     "p99": round(percentile(samples, 0.99) * 1000, 2),
                                     "max": round(max(samples) * 1000, 2) if samples else None},
        "startup_to_ready_s": round(ready_s, 2),
        "rss_mb_at_ready": round(rss_ready, 1),
        "rss_mb_growth_at_ready": round(rss_ready - rss_before, 1),
    }


def _all_warm(bot: Bot, count: int) -> bool:
    assert bot.ctx is not None
    return len(bot.ctx.health.get("feed.state", {})) >= count


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--symbols", default="10,35,100,300")
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--speed", type=float, default=10.0)
    args = parser.parse_args()
    results = [run(int(n), args.seconds, args.speed) for n in args.symbols.split(",")]
    per_actor = None
    if len(results) >= 2:
        low, high = results[0], results[-1]
        per_actor = round((high["rss_mb_growth_at_ready"] - low["rss_mb_growth_at_ready"]) * 1024
                          / (high["symbols"] - low["symbols"]), 1)
    print(json.dumps({"speed": args.speed, "seconds_per_run": args.seconds, "runs": results,
                      "memory_per_symbol_actor_kb": per_actor}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
