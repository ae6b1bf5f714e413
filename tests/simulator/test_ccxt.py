"""ccxt binanceusdm (sync, async_support and pro) against the simulator, with only its URLs rewritten."""

from __future__ import annotations

import asyncio
import gzip
import time
from decimal import Decimal

import ccxt
import ccxt.async_support as ccxt_async
import ccxt.pro as ccxt_pro
import pytest

from simulator import SimulatorHandle
from tests.simulator.conftest import ccxt_sync
from tests.support import KLINES_DIR

BTC, ETH, SOL = "BTC/USDC:USDC", "ETH/USDC:USDC", "SOL/USDC:USDC"


def test_load_markets_finds_usdc_swaps_with_real_filters(sim: SimulatorHandle) -> None:
    exchange = ccxt_sync(sim)
    markets = exchange.load_markets()
    assert sorted(markets) == [BTC, ETH, SOL, "XRP/USDC:USDC"]
    btc = markets[BTC]
    assert (btc["type"], btc["swap"], btc["linear"], btc["settle"], btc["active"]) == ("swap", True, True, "USDC", True)
    assert btc["precision"]["price"] == 0.1 and btc["precision"]["amount"] == 0.001
    assert btc["limits"]["cost"]["min"] == 100 and markets[ETH]["limits"]["cost"]["min"] == 20
    assert markets[SOL]["precision"]["price"] == 0.01 and markets[SOL]["limits"]["amount"]["max"] == 800000


def test_trading_flow_parses_and_matches_the_state(sim: SimulatorHandle) -> None:
    exchange = ccxt_sync(sim)
    exchange.load_markets()
    assert exchange.fetch_balance()["USDC"] == {"free": 400.0, "used": 0.0, "total": 400.0}
    assert exchange.set_leverage(10, SOL)["leverage"] == 10
    exchange.set_margin_mode("isolated", ETH)
    with pytest.raises(ccxt.ExchangeError, match='"code":-4046'):
        exchange.set_margin_mode("isolated", ETH)
    entry = exchange.create_order(SOL, "market", "buy", 2)
    assert entry["status"] == "closed" and entry["filled"] == 2 and entry["average"] > 0
    price = entry["average"]
    stop = exchange.create_order(
        SOL,
        "STOP_MARKET",
        "sell",
        None,
        None,
        {"triggerPrice": exchange.price_to_precision(SOL, price * 0.99), "closePosition": True},
    )
    take = exchange.create_order(
        SOL,
        "TAKE_PROFIT_MARKET",
        "sell",
        2,
        None,
        {"triggerPrice": exchange.price_to_precision(SOL, price * 1.01), "reduceOnly": True},
    )
    resting = exchange.create_order(SOL, "limit", "buy", 1, float(exchange.price_to_precision(SOL, price * 0.97)))
    assert (stop["status"], take["status"], resting["status"]) == ("open", "open", "open")
    assert [o["id"] for o in exchange.fetch_open_orders(SOL)] == [resting["id"]]
    triggers = exchange.fetch_open_orders(SOL, params={"trigger": True})
    assert sorted(o["id"] for o in triggers) == sorted([stop["id"], take["id"]])
    assert {o["info"]["orderType"] for o in triggers} == {"STOP_MARKET", "TAKE_PROFIT_MARKET"}
    assert {o["type"] for o in triggers} == {"market"} and all(o["triggerPrice"] for o in triggers)
    exchange.cancel_order(resting["id"], SOL)
    exchange.cancel_order(take["id"], SOL, params={"trigger": True})
    assert exchange.fetch_order(take["id"], SOL, params={"trigger": True})["status"] == "canceled"
    assert exchange.fetch_open_orders(SOL) == []
    position = exchange.fetch_positions([SOL])[0]
    assert (position["side"], position["contracts"], position["entryPrice"], position["marginMode"]) == (
        "long",
        2.0,
        price,
        "cross",
    )
    state = sim.state()
    assert state["positions"]["SOLUSDC"]["amount"] == "2.00"
    trades = exchange.fetch_my_trades(SOL)
    assert [(t["side"], t["amount"], t["price"], t["takerOrMaker"]) for t in trades] == [("buy", 2, price, "taker")]
    assert trades[0]["fee"]["cost"] == pytest.approx(2 * price * 0.0005)


def test_stop_fires_when_the_replayed_price_crosses_it(sim: SimulatorHandle) -> None:
    exchange = ccxt_sync(sim)
    exchange.load_markets()
    exchange.create_order(BTC, "market", "buy", 0.002)
    series = sim._server.series["BTCUSDC"]  # the test knows the replayed path in advance
    now = sim.clock.now_ms()
    i = series.index_at(now)
    future_low = float(series.low[i + 1 : i + 2000].min())
    trigger = float(exchange.price_to_precision(BTC, (future_low + float(series.c[i])) / 2))
    stop = exchange.create_order(
        BTC, "STOP_MARKET", "sell", None, None, {"triggerPrice": trigger, "closePosition": True}
    )
    crossing = next(k for k in range(i + 1, i + 2000) if series.low[k] <= trigger)
    sim.advance_to(int(series.t[crossing]) - 1)
    assert exchange.fetch_order(stop["id"], BTC, params={"trigger": True})["status"] == "open"
    sim.advance_to(int(series.t[crossing]) + 60_000)
    assert exchange.fetch_order(stop["id"], BTC, params={"trigger": True})["status"] == "closed"
    assert exchange.fetch_positions([BTC]) == []
    exit_trade = exchange.fetch_my_trades(BTC)[-1]
    assert exit_trade["side"] == "sell" and exit_trade["price"] <= trigger
    assert series.t[crossing] <= exit_trade["timestamp"] < series.t[crossing] + 60_000


def test_wallet_equals_start_plus_pnl_minus_fees_plus_funding_to_the_cent(sim: SimulatorHandle) -> None:
    exchange = ccxt_sync(sim)
    exchange.load_markets()
    for symbol, amount in ((BTC, 0.003), (ETH, 0.1), (SOL, 3)):
        exchange.create_order(symbol, "market", "buy", amount)
    sim.advance(9 * 3_600_000)  # across at least one funding time
    exchange.create_order(ETH, "market", "sell", 0.2)
    sim.advance(9 * 3_600_000)
    for symbol in (BTC, ETH, SOL):
        for position in exchange.fetch_positions([symbol]):
            side = "sell" if position["side"] == "long" else "buy"
            exchange.create_order(symbol, "market", side, position["contracts"], None, {"reduceOnly": True})
    trades = [t for s in (BTC, ETH, SOL) for t in exchange.fetch_my_trades(s)]
    funding = [f for s in (BTC, ETH, SOL) for f in exchange.fetch_funding_history(s)]
    assert funding, "the positions were held over funding times"
    expected = (
        Decimal(400)
        + sum(Decimal(t["info"]["realizedPnl"]) - Decimal(t["info"]["commission"]) for t in trades)
        + sum(Decimal(f["info"]["income"]) for f in funding)
    )
    balance = exchange.fetch_balance()["info"]["assets"]
    wallet = Decimal(next(a for a in balance if a["asset"] == "USDC")["walletBalance"])
    assert wallet == expected  # exact, hence to the cent
    assert round(exchange.fetch_balance()["USDC"]["total"], 2) == round(float(expected), 2)


def test_fetch_ohlcv_returns_the_replayed_candles_value_for_value(make_sim, real_series: dict) -> None:
    handle = make_sim(series={k: real_series[k] for k in ("BTCUSDC", "ETHUSDC")})
    exchange = ccxt_sync(handle)
    exchange.load_markets()
    with gzip.open(KLINES_DIR / "BTCUSDT-1m.csv.gz", "rt") as fh:
        rows = [line.split(",") for line in fh.read().splitlines()[1:1001]]
    expected = [[int(r[0]), *(float(x) for x in r[1:6])] for r in rows]
    got = exchange.fetch_ohlcv(BTC, "1m", since=expected[0][0], limit=1000)
    assert got == expected  # the 1000 warm-up candles before the default start
    latest = exchange.fetch_ohlcv(BTC, "1m", limit=3)
    assert latest[-1][0] == handle.clock.now_ms() and latest[-1][5] == 0.0  # the forming candle, nothing later
    five = exchange.fetch_ohlcv(ETH, "5m", since=expected[0][0] + 120_000, limit=5)
    eth = real_series["ETHUSDC"]
    first = int(eth.index_at(five[0][0]))
    assert five[0][1] == float(eth.o[first]) and five[0][2] == float(eth.h[first : first + 5].max())
    assert five[0][5] == pytest.approx(float(eth.v[first : first + 5].sum()))


def test_async_support_client(sim: SimulatorHandle) -> None:
    async def flow() -> None:
        exchange = sim.patch_ccxt(
            ccxt_async.binanceusdm(
                {
                    "apiKey": sim.api_key,
                    "secret": sim.api_secret,
                    "enableRateLimit": False,
                    "options": {"fetchCurrencies": False},
                }
            )
        )
        try:
            await exchange.load_markets()
            order = await exchange.create_order(ETH, "market", "sell", 0.05)
            assert order["status"] == "closed"
            positions = await exchange.fetch_positions([ETH])
            assert positions[0]["side"] == "short" and positions[0]["contracts"] == 0.05
            stop = await exchange.create_order(
                ETH, "STOP_MARKET", "buy", 0.05, None, {"triggerPrice": order["average"] * 1.5, "reduceOnly": True}
            )
            await exchange.cancel_order(stop["id"], ETH, {"trigger": True})
            assert (await exchange.fetch_balance())["USDC"]["used"] > 0
        finally:
            await exchange.close()

    asyncio.run(flow())


def test_ccxt_pro_watch_ohlcv_receives_the_same_candles(sim: SimulatorHandle) -> None:
    async def flow() -> None:
        exchange = sim.patch_ccxt(ccxt_pro.binanceusdm({"options": {"fetchCurrencies": False}}))
        try:
            await exchange.load_markets()
            first = await asyncio.wait_for(exchange.watch_ohlcv(SOL, "1m"), 10)
            assert first[-1][0] == sim.clock.now_ms() // 60_000 * 60_000
            # advance() returns once every frame of the step is queued for the client
            await asyncio.get_running_loop().run_in_executor(None, sim.advance, 5 * 60_000)
            rest = (await exchange.fetch_ohlcv(SOL, "1m", limit=6))[:-1]  # five closed candles
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:  # ccxt's own cache, filled by its WebSocket handler
                cached = {candle[0]: candle for candle in exchange.ohlcvs[SOL]["1m"]}
                if all(cached.get(candle[0]) == candle for candle in rest):
                    break
                await asyncio.sleep(0.02)
            assert [cached.get(candle[0]) for candle in rest] == rest
        finally:
            await exchange.close()

    asyncio.run(flow())
