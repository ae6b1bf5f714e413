"""Simulator throughput: prints one JSON object.

    .venv/bin/python benchmarks/bench_simulator.py [--quick]

- order_round_trips_per_s: LIMIT create + cancel over loopback, raw signed HTTP (one keep-alive session)
  and through ccxt ``binanceusdm`` (sync, rate limiter off).
- kline_frames_per_s: kline frames received by one ``websockets`` client subscribed to every symbol's
  ``@kline_1m`` (combined stream) while the stepped clock is advanced as fast as possible.
- replay: 16 symbols x 30 days of 1m candles in stepped mode with no client attached: advanced minute by
  minute through the module API, in one call, and with the bare engine.

Uses the real candles of ``../shared`` when present (16 symbols), else 16 synthetic symbols.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import hmac
import json
import os
import time
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import requests
import websockets

from simulator import SimulatorConfig, start
from simulator.engine import Engine, EngineConfig
from simulator.loader import load_directory
from simulator.synthetic import DEFAULT_SYMBOLS, generate

KLINES = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "klines" / "binance-usdm-2025-05"
DAY = 86_400_000


def load() -> tuple[dict, str]:
    if KLINES.exists():
        return load_directory(KLINES, synthesize_markets=True).series, "shared 2025-05 (16 symbols)"
    symbols = [*DEFAULT_SYMBOLS, "BCHUSDC", "WLDUSDC", "NEARUSDC", "ARBUSDC"]
    return generate(symbols, 1_746_000_000_000, 31 * 1440 + 1000, 1), "synthetic (16 symbols)"


def signed(session: requests.Session, handle: Any, method: str, path: str, params: dict[str, Any]) -> dict:
    params = {**params, "timestamp": int(time.time() * 1000), "recvWindow": 10000}
    query = urlencode(params)
    query += "&signature=" + hmac.new(handle.api_secret.encode(), query.encode(), hashlib.sha256).hexdigest()
    headers = {"X-MBX-APIKEY": handle.api_key}
    if method == "POST":
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        response = session.post(handle.rest_url + path, data=query, headers=headers, timeout=10)
    else:
        response = session.request(method, f"{handle.rest_url}{path}?{query}", headers=headers, timeout=10)
    response.raise_for_status()
    return response.json()


def bench_orders(series: dict, rounds: int) -> dict[str, float]:
    import ccxt

    with start(SimulatorConfig(series=series, stepped=True, rate_limits=False, balance="1000000")) as handle:
        session = requests.Session()
        ticker = session.get(handle.rest_url + "/fapi/v1/ticker/price", params={"symbol": "BTCUSDC"}).json()
        price = float(ticker["price"])
        limit = {
            "symbol": "BTCUSDC",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "0.002",
            "timeInForce": "GTC",
            "price": f"{price * 0.9:.1f}",
        }
        began = time.perf_counter()
        for _ in range(rounds):
            order = signed(session, handle, "POST", "/fapi/v1/order", limit)
            signed(session, handle, "DELETE", "/fapi/v1/order", {"symbol": "BTCUSDC", "orderId": order["orderId"]})
        raw = rounds / (time.perf_counter() - began)
        exchange = handle.patch_ccxt(
            ccxt.binanceusdm(
                {
                    "apiKey": handle.api_key,
                    "secret": handle.api_secret,
                    "enableRateLimit": False,
                    "options": {"fetchCurrencies": False},
                }
            )
        )
        exchange.load_markets()
        began = time.perf_counter()
        for _ in range(rounds):
            order = exchange.create_order("BTC/USDC:USDC", "limit", "buy", 0.002, round(price * 0.9, 1))
            exchange.cancel_order(order["id"], "BTC/USDC:USDC")
        via_ccxt = rounds / (time.perf_counter() - began)
    return {"raw_http": round(raw, 1), "ccxt_sync": round(via_ccxt, 1)}


def bench_frames(series: dict, minutes: int) -> dict[str, float]:
    with start(SimulatorConfig(series=series, stepped=True)) as handle:
        streams = "/".join(f"{s.lower()}@kline_1m" for s in sorted(series))

        async def run() -> tuple[int, float]:
            async with websockets.connect(handle.ws_url + "/market/stream?streams=" + streams, max_queue=None) as ws:
                await asyncio.sleep(0.2)
                before = handle.frames_sent
                loop = asyncio.get_running_loop()
                received = 0
                began = time.perf_counter()
                stepping = loop.run_in_executor(None, lambda: [handle.advance(60_000) for _ in range(minutes)])
                while True:
                    try:
                        await asyncio.wait_for(ws.recv(), 1.0)
                        received += 1
                    except TimeoutError:
                        break
                await stepping
                elapsed = time.perf_counter() - began - 1.0
                assert received >= handle.frames_sent - before
                return received, elapsed

        received, elapsed = asyncio.run(run())
    return {"frames": received, "seconds": round(elapsed, 3), "frames_per_s": round(received / elapsed, 1)}


def bench_replay(series: dict, days: int, minute_steps: bool) -> dict[str, float]:
    first = min(s.first_ms for s in series.values()) + 1000 * 60_000
    result: dict[str, float] = {"symbols": len(series), "days": days}
    engine = Engine(series, EngineConfig(), first)
    began = time.perf_counter()
    for minute in range(days * 1440):
        engine.advance_to(first + (minute + 1) * 60_000)
    result["engine_minute_steps_s"] = round(time.perf_counter() - began, 3)
    result["engine_busy_15min_steps_s"] = round(busy_replay(series, first, days), 3)
    with start(SimulatorConfig(series=series, stepped=True)) as handle:
        began = time.perf_counter()
        handle.advance(days * DAY)
        result["module_api_one_call_s"] = round(time.perf_counter() - began, 4)
    if minute_steps:
        with start(SimulatorConfig(series=series, stepped=True)) as handle:
            began = time.perf_counter()
            for _ in range(days * 1440):
                handle.advance(60_000)
            result["module_api_minute_steps_s"] = round(time.perf_counter() - began, 3)
    return result


def busy_replay(series: dict, first: int, days: int) -> float:
    """Every symbol holds a position with a far stop-loss and a 10 % trailing stop; 15-minute steps."""
    engine = Engine(series, EngineConfig(balance="1000000"), first)
    for symbol, state in engine.symbols.items():
        price = state.price(first)
        if price is None:
            continue
        step, tick = Decimal(state.spec.step_size), Decimal(state.spec.tick_size)
        qty = (Decimal(repr(300 / price)) / step).to_integral_value() * step
        engine.new_order({"symbol": symbol, "side": "BUY", "type": "MARKET", "quantity": str(qty)})
        stop = (Decimal(repr(price * 0.6)) / tick).to_integral_value() * tick
        engine.new_algo_order(
            {
                "algoType": "CONDITIONAL",
                "symbol": symbol,
                "side": "SELL",
                "type": "STOP_MARKET",
                "triggerPrice": str(stop),
                "closePosition": "true",
            }
        )
        engine.new_algo_order(
            {
                "algoType": "CONDITIONAL",
                "symbol": symbol,
                "side": "SELL",
                "type": "TRAILING_STOP_MARKET",
                "callbackRate": "10",
                "quantity": str(qty),
                "reduceOnly": "true",
            }
        )
    began = time.perf_counter()
    for k in range(days * 96):
        engine.advance_to(first + (k + 1) * 15 * 60_000)
    return time.perf_counter() - began


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    args = parser.parse_args()
    began = time.perf_counter()
    series, source = load()
    loaded = time.perf_counter() - began
    report = {
        "data": source,
        "load_s": round(loaded, 3),
        "cpu_count": os.cpu_count(),
        "order_round_trips_per_s": bench_orders(series, 50 if args.quick else 500),
        "kline_frames_per_s": bench_frames(series, 60 if args.quick else 720),
        "replay": bench_replay(series, 3 if args.quick else 30, minute_steps=True),
    }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
