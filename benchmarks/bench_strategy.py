"""What ScalpingV1 costs, live and in a backtest, and how often it signals; prints one JSON document.

    .venv/bin/python benchmarks/bench_strategy.py [--klines DIR] [--repeat N]

Live: ``evaluate`` on a 1000-candle buffer is what every SymbolActor runs on each closed candle, on a
GIL-bound process shared by up to 35 (300 in stress tests) symbols. Backtest: ``compute_features`` +
``direction_series`` over a month of 1m candles per symbol, then ``decision_at`` only on the signal
candles. Uses the real candles of ``../shared`` when present, a seeded random walk otherwise.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import numpy as np

from config.sections import OrderSettings, StrategySettings
from indicators import compute_features, decision_at, direction_series, evaluate, stable_history

DEFAULT_KLINES = Path(__file__).resolve().parent.parent.parent / "shared/data/klines/binance-usdm-2025-05"
BUFFER = 1000
MINUTES_PER_DAY = 1440


def load(path: Path) -> tuple[np.ndarray, ...]:
    table = np.loadtxt(path, delimiter=",", skiprows=1)
    return (table[:, 0].astype(np.int64), *(np.ascontiguousarray(table[:, k]) for k in range(1, 6)))


def synthetic(size: int = 43_200, seed: int = 7) -> tuple[np.ndarray, ...]:
    rng = np.random.default_rng(seed)
    close = 100 * np.exp(np.cumsum(rng.normal(0, 0.001, size)))
    open_ = np.concatenate(([close[0]], close[:-1]))
    high = np.maximum(open_, close) * (1 + rng.uniform(0, 0.0008, size))
    low = np.minimum(open_, close) * (1 - rng.uniform(0, 0.0008, size))
    open_time = 1_746_000_000_000 + 60_000 * np.arange(size, dtype=np.int64)
    return open_time, open_, high, low, close, rng.lognormal(3, 1, size)


def timed(call: Callable[[], object], repeat: int) -> dict[str, float]:
    """Median and p99 in microseconds over ``repeat`` calls (after a warm-up call)."""
    call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000)
    samples.sort()
    return {"median_us": round(statistics.median(samples), 2), "p99_us": round(samples[int(0.99 * len(samples))], 2)}


def live_figures(data: tuple[np.ndarray, ...], params: StrategySettings, orders: OrderSettings, repeat: int) -> dict:
    open_time, *columns = data
    ends = np.linspace(BUFFER, columns[0].shape[0], 50).astype(int)
    buffers = [([c[end - BUFFER : end] for c in columns], int(open_time[end - 1])) for end in ends]
    counter = iter(range(10**9))

    def one_evaluate() -> None:
        buffer, stamp = buffers[next(counter) % len(buffers)]
        evaluate(*buffer, params, orders, stamp)

    features = compute_features(*buffers[0][0], params)
    return {
        "evaluate_1000": timed(one_evaluate, repeat),
        "compute_features_1000": timed(lambda: compute_features(*buffers[0][0], params), repeat),
        "decision_at_last": timed(lambda: decision_at(features, -1, params, orders, open_time=0), repeat),
    }


def backtest_figures(data: tuple[np.ndarray, ...], params: StrategySettings, orders: OrderSettings) -> dict:
    open_time, *columns = data
    features_us = timed(lambda: compute_features(*columns, params, open_time=open_time), 30)
    features = compute_features(*columns, params, open_time=open_time)
    series_us = timed(lambda: direction_series(features, params), 30)
    signals = np.flatnonzero(direction_series(features, params))
    start = time.perf_counter()
    for i in signals:
        decision_at(features, int(i), params, orders)
    per_signal = (time.perf_counter() - start) / max(signals.size, 1) * 1e6
    return {
        "candles": int(columns[0].shape[0]),
        "compute_features": features_us,
        "direction_series": series_us,
        "features_plus_series_ms": round((features_us["median_us"] + series_us["median_us"]) / 1000, 2),
        "decision_at_per_signal_us": round(per_signal, 2),
    }


def signal_figures(
    datasets: dict[str, tuple[np.ndarray, ...]], params: StrategySettings, orders: OrderSettings
) -> dict:
    per_symbol: dict[str, dict[str, float]] = {}
    triggers: Counter[str] = Counter()
    blocked: Counter[str] = Counter()
    for name, (open_time, *columns) in datasets.items():
        features = compute_features(*columns, params, open_time=open_time)
        series = direction_series(features, params)
        days = features.size / MINUTES_PER_DAY
        per_symbol[name] = {
            "long_per_day": round(float((series == 1).sum()) / days, 1),
            "short_per_day": round(float((series == -1).sum()) / days, 1),
        }
        for i in range(features.size):  # why the other candles with a trigger were refused
            decision = decision_at(features, i, params, orders)
            if decision.direction != "NONE":
                triggers[decision.breakdown.trigger or ""] += 1
            elif decision.breakdown.reason != "no trigger" and not decision.breakdown.reason.startswith("warming"):
                blocked[decision.breakdown.reason.split(":")[0].split(" blocked by ")[-1]] += 1
    longs = [figures["long_per_day"] for figures in per_symbol.values()]
    shorts = [figures["short_per_day"] for figures in per_symbol.values()]
    return {
        "per_symbol": per_symbol,
        "mean_long_per_day": round(statistics.mean(longs), 1),
        "mean_short_per_day": round(statistics.mean(shorts), 1),
        "primary_trigger_of_signals": dict(triggers.most_common()),
        "refused_trigger_candles": {key.replace("short from ", "short "): n for key, n in blocked.most_common()},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--klines", type=Path, default=DEFAULT_KLINES)
    parser.add_argument("--repeat", type=int, default=3000)
    parser.add_argument("--no-signals", action="store_true", help="skip the signal-frequency survey (~15 s)")
    args = parser.parse_args()
    params, orders = StrategySettings(), OrderSettings()
    files = sorted(args.klines.glob("*-1m.csv.gz")) if args.klines.exists() else []
    datasets = {path.name.split("-")[0]: load(path) for path in files} or {"SYNTHETIC": synthetic()}
    reference = datasets.get("BTCUSDT") or next(iter(datasets.values()))
    result: dict[str, object] = {
        "data": str(args.klines) if files else "synthetic random walk (shared data absent)",
        "python": platform.python_version(),
        "machine": platform.machine(),
        "settings": "StrategySettings() and OrderSettings() defaults",
        "stable_history": stable_history(params),
        "live": live_figures(reference, params, orders, args.repeat),
        "backtest_one_symbol": backtest_figures(reference, params, orders),
    }
    start = time.perf_counter()
    for _open_time, *columns in datasets.values():
        direction_series(compute_features(*columns, params), params)
    result["backtest_all_symbols_ms"] = {"symbols": len(datasets), "ms": round((time.perf_counter() - start) * 1000, 1)}
    if not args.no_signals:
        result["signals_defaults"] = signal_figures(datasets, params, orders)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
