"""Control API, clock modes, start times, the module API helpers, determinism and the CLI."""

from __future__ import annotations

import subprocess
import sys
import time
from decimal import Decimal

import numpy as np
import pytest
import requests

from simulator import SimulatorConfig, start
from simulator.candles import CandleSeries
from simulator.cli import add_arguments, config_from_args
from simulator.clock import ClockMode, VirtualClock
from simulator.engine import Engine, EngineConfig
from simulator.errors import BinanceError
from simulator.markets import MARKETS
from tests.simulator.conftest import SYNTH_START, Signed, ccxt_sync, error_of
from tests.support import REPO_ROOT, eventually, free_port


def test_virtual_clock_modes() -> None:
    wall = [100.0]
    accelerated = VirtualClock(1_000_000, speed=60, wall=lambda: wall[0])
    realtime = VirtualClock(1_000_000, wall=lambda: wall[0])
    stepped = VirtualClock(1_000_000, stepped=True)
    wall[0] += 2.0
    assert (accelerated.mode, realtime.mode, stepped.mode) == (
        ClockMode.ACCELERATED,
        ClockMode.REALTIME,
        ClockMode.STEPPED,
    )
    assert accelerated.now_ms() == 1_120_000 and realtime.now_ms() == 1_002_000 and stepped.now_ms() == 1_000_000
    stepped.set(1_500_000)
    stepped.set(1_200_000)  # never backwards
    assert stepped.now_ms() == 1_500_000
    with pytest.raises(RuntimeError):
        realtime.set(0)


def test_control_api_over_http(sim) -> None:
    base = sim.rest_url + "/__sim__"
    assert requests.post(base + "/advance", json={"ms": 120_000}, timeout=5).json()["now_ms"] == SYNTH_START + 120_000
    assert (
        requests.post(base + "/advance", json={"to": SYNTH_START + 180_000}, timeout=5).json()["now_ms"]
        == SYNTH_START + 180_000
    )
    assert requests.post(base + "/faults", json={"latency_ms": 5}, timeout=5).json()["latency_ms"] == 5
    assert requests.post(base + "/faults", json={"nonsense": 1}, timeout=5).status_code == 400
    requests.post(base + "/faults", json={"latency_ms": 0}, timeout=5)
    requests.post(base + "/reject_next", json={"count": 1, "code": -2019}, timeout=5)
    call = Signed(sim)
    assert error_of(
        call("POST", "/fapi/v1/order", {"symbol": "SOLUSDC", "side": "BUY", "type": "MARKET", "quantity": "1"})
    ) == (400, -2019)
    external = requests.post(
        base + "/external_order", json={"symbol": "SOLUSDC", "side": "SELL", "quantity": "2"}, timeout=5
    ).json()
    assert external["status"] == "FILLED" and external["clientOrderId"].startswith("web_")
    state = requests.get(base + "/state", timeout=5).json()
    assert state["positions"]["SOLUSDC"]["amount"] == "-2.00" and len(state["fills"]) == 1
    assert state["server"]["clock"]["mode"] == "stepped" and state["server"]["symbols"][0] == "BTCUSDC"
    assert {"wallet_balance", "open_orders", "open_algo_orders", "orders", "algo_orders"} <= set(state)
    assert requests.post(base + "/clock_skew", json={"ms": 1234}, timeout=5).json()["clock_skew_ms"] == 1234
    server_time = requests.get(sim.rest_url + "/fapi/v1/time", timeout=5).json()["serverTime"]
    assert server_time == SYNTH_START + 180_000 + 1234
    assert requests.post(base + "/ws/drop", json={}, timeout=5).json() == {"dropped": 0}
    assert requests.post(base + "/fail_next", json={"count": 1, "path": "/fapi/v1/time"}, timeout=5).ok
    assert requests.get(sim.rest_url + "/fapi/v1/time", timeout=5).status_code == 503
    assert requests.get(base + "/events", timeout=5).json()["user_events_sent"] == {}


def test_realtime_clock_runs_and_cannot_be_stepped(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series, stepped=False, speed=60)
    first = handle.clock.now_ms()
    eventually(lambda: handle.clock.now_ms() >= first + 6_000, timeout=2)
    assert requests.post(handle.rest_url + "/__sim__/advance", json={"ms": 1}, timeout=5).status_code == 409
    with pytest.raises(RuntimeError):
        handle.advance(1)
    exchange = ccxt_sync(handle)
    exchange.load_markets()
    fill = exchange.create_order("BTC/USDC:USDC", "market", "buy", 0.002)
    assert abs(fill["timestamp"] - handle.clock.now_ms()) < 5_000


def test_default_start_and_explicit_start(real_series: dict) -> None:
    ada = real_series["ADAUSDC"]
    first = min(s.first_ms for s in real_series.values())
    with start(SimulatorConfig(series=real_series, stepped=True)) as handle:
        assert handle.clock.now_ms() == first + 1000 * 60_000
        call = Signed(handle)
        info = requests.get(handle.rest_url + "/fapi/v1/exchangeInfo", timeout=5).json()
        assert {s["symbol"]: s["status"] for s in info["symbols"]}["ADAUSDC"] == "PENDING_TRADING"
        assert error_of(
            call("POST", "/fapi/v1/order", {"symbol": "ADAUSDC", "side": "BUY", "type": "MARKET", "quantity": "100"})
        ) == (400, -4141)
        handle.advance_to(ada.first_ms + 60_000)
        assert (
            call(
                "POST", "/fapi/v1/order", {"symbol": "ADAUSDC", "side": "BUY", "type": "MARKET", "quantity": "100"}
            ).status_code
            == 200
        )
    with start(SimulatorConfig(series=real_series, stepped=True, start="2025-05-20T12:00:00Z")) as handle:
        assert handle.clock.now_ms() == 1_747_742_400_000


def test_synthetic_default_when_no_data_is_given() -> None:
    with start(SimulatorConfig(stepped=True, symbols=["BTC", "DOGE"], synthetic_days=1, start=SYNTH_START)) as handle:
        assert handle.symbols == ["BTCUSDC", "DOGEUSDC"] and handle.clock.now_ms() == SYNTH_START
        klines = requests.get(
            handle.rest_url + "/fapi/v1/klines",
            params={"symbol": "DOGEUSDC", "interval": "1m", "limit": 1000},
            timeout=5,
        ).json()
        assert len(klines) == 1000 and klines[-1][0] == SYNTH_START


def test_same_data_seed_and_requests_give_identical_fills(synth_series: dict) -> None:
    def session() -> dict:
        with start(SimulatorConfig(series=synth_series, stepped=True, seed=5)) as handle:
            exchange = ccxt_sync(handle)
            exchange.load_markets()
            for k in range(12):
                symbol = ("BTC/USDC:USDC", "ETH/USDC:USDC", "SOL/USDC:USDC")[k % 3]
                amount = {"BTC/USDC:USDC": 0.002, "ETH/USDC:USDC": 0.05, "SOL/USDC:USDC": 1}[symbol]
                side = "buy" if k % 2 else "sell"
                fill = exchange.create_order(symbol, "market", side, amount, None, {"newClientOrderId": f"d-{k}"})
                trigger = fill["average"] * (0.995 if side == "buy" else 1.005)
                exchange.create_order(
                    symbol,
                    "STOP_MARKET",
                    "sell" if side == "buy" else "buy",
                    amount,
                    None,
                    {
                        "triggerPrice": exchange.price_to_precision(symbol, trigger),
                        "reduceOnly": True,
                        "clientAlgoId": f"s-{k}",
                    },
                )
                handle.advance(17 * 60_000 + 333)
            state = handle.state()
            return {key: state[key] for key in ("fills", "orders", "algo_orders", "wallet_balance", "funding_events")}

    first, second = session(), session()
    assert first["fills"] and first == second


def test_push_feed_interface_for_paper_mode() -> None:
    spec = MARKETS["SOLUSDC"]
    empty = np.zeros(0)
    series = CandleSeries(
        spec=spec,
        t=np.zeros(0, dtype=np.int64),
        o=empty,
        h=empty.copy(),
        low=empty.copy(),
        c=empty.copy(),
        v=empty.copy(),
    )
    for k in range(3):
        series.append(SYNTH_START + k * 60_000, 100 + k, 101 + k, 99 + k, 100.5 + k, 10)
    engine = Engine({"SOLUSDC": series}, EngineConfig(), SYNTH_START + 60_000)
    engine.new_order({"symbol": "SOLUSDC", "side": "BUY", "type": "MARKET", "quantity": "1"})
    engine.new_algo_order(
        {
            "algoType": "CONDITIONAL",
            "symbol": "SOLUSDC",
            "side": "SELL",
            "type": "TAKE_PROFIT_MARKET",
            "triggerPrice": "104",
            "closePosition": "true",
        }
    )
    engine.advance_to(SYNTH_START + 3 * 60_000)
    assert len(engine.trades) == 1
    series.append(SYNTH_START + 3 * 60_000, 103, 105, 103, 104, 10)  # a new closed candle arrives from the feed
    engine.advance_to(SYNTH_START + 4 * 60_000)
    assert engine.trades[-1].price == Decimal("104")
    with pytest.raises(ValueError):
        series.append(SYNTH_START, 1, 1, 1, 1, 1)


def test_hedge_mode_and_multi_assets_requests(sim) -> None:
    call = Signed(sim)
    assert call("GET", "/fapi/v1/positionSide/dual").json() == {"dualSidePosition": False}
    assert error_of(call("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "true"})) == (400, -1000)
    assert call("GET", "/fapi/v1/multiAssetsMargin").json() == {"multiAssetsMargin": False}
    assert call("POST", "/fapi/v1/multiAssetsMargin", {"multiAssetsMargin": "true"}).json()["code"] == 200
    account = call("GET", "/fapi/v3/account").json()
    assert account["totalWalletBalance"] == "400.00000000"  # totals cover USDC only in Multi-Assets mode
    restrictions = call("GET", "/sapi/v1/account/apiRestrictions").json()
    assert restrictions["enableFutures"] is True and restrictions["enableWithdrawals"] is False
    assert call("GET", "/sapi/v1/capital/config/getall").json() == []
    with pytest.raises(BinanceError):
        sim._server.engine.set_margin_type("SOLUSDC", "ISOLATED")


def test_cli_prints_urls_and_keys_and_serves(tmp_path) -> None:
    import argparse

    parser = argparse.ArgumentParser()
    add_arguments(parser)
    config = config_from_args(
        parser.parse_args(
            [
                "--synthetic",
                "--speed",
                "60",
                "--symbols",
                "BTC,ETH",
                "--map",
                "XUSDT=BTCUSDC",
                "--error-rate",
                "0.1",
                "--stepped",
            ]
        )
    )
    assert config.speed == 60 and config.symbols == ["BTC", "ETH"] and config.faults.error_rate == 0.1
    assert config.symbol_map == {"XUSDT": "BTCUSDC"} and config.stepped
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "simulator.cli",
            "--synthetic",
            "--days",
            "1",
            "--port",
            str(port),
            "--speed",
            "10",
            "--symbols",
            "BTC",
        ],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        lines = []
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline and not any("API secret" in line for line in lines):
            lines.append(process.stdout.readline())
        text = "".join(lines)
        assert f"http://127.0.0.1:{port}" in text and f"ws://127.0.0.1:{port}" in text and "API key:" in text
        assert requests.get(f"http://127.0.0.1:{port}/fapi/v1/time", timeout=5).json()["serverTime"] > 0
    finally:
        process.terminate()
        process.wait(10)
