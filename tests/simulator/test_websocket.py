"""Market and user-data streams seen by a plain ``websockets`` client."""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import Callable
from typing import Any

import pytest
import websockets
from websockets.asyncio.client import ClientConnection

from simulator import SimulatorHandle
from tests.simulator.conftest import Signed

KLINE_KEYS = {"t", "T", "s", "i", "f", "L", "o", "c", "h", "l", "v", "n", "x", "q", "V", "Q", "B"}


async def recv(ws: ClientConnection, timeout: float = 5.0) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def drain(ws: ClientConnection, quiet: float = 0.3) -> list[Any]:
    out = []
    while True:
        try:
            out.append(json.loads(await asyncio.wait_for(ws.recv(), quiet)))
        except TimeoutError:
            return out


def run(coro_fn: Callable[[], Any]) -> Any:
    return asyncio.run(coro_fn())


async def step(handle: SimulatorHandle, ms: int) -> None:
    await asyncio.get_running_loop().run_in_executor(None, handle.advance, ms)


def test_kline_frames_raw_and_combined_never_skip_closed_candles(sim: SimulatorHandle) -> None:
    async def flow() -> None:
        async with (
            websockets.connect(sim.ws_url + "/market/ws/btcusdc@kline_1m") as raw,
            websockets.connect(sim.ws_url + "/market/stream?streams=ethusdc@kline_1m/solusdc@kline_5m") as comb,
        ):
            await asyncio.sleep(0.1)
            await drain(raw, 0.1)
            await drain(comb, 0.1)
            start = sim.clock.now_ms()
            await step(sim, 30 * 60_000)
            frames = await drain(raw)
            closed = [f for f in frames if f["k"]["x"]]
            assert [f["k"]["t"] for f in closed] == [start + 60_000 * k for k in range(30)]
            frame = closed[0]
            assert set(frame) == {"e", "E", "s", "k"} and frame["e"] == "kline" and set(frame["k"]) == KLINE_KEYS
            assert frame["k"]["T"] == frame["k"]["t"] + 59_999 and frame["k"]["i"] == "1m"
            assert frames[-1]["k"]["x"] is False and frames[-1]["k"]["t"] == sim.clock.now_ms()
            wrapped = await drain(comb)
            assert {w["stream"] for w in wrapped} == {"ethusdc@kline_1m", "solusdc@kline_5m"}
            five = [w["data"]["k"] for w in wrapped if w["stream"] == "solusdc@kline_5m" and w["data"]["k"]["x"]]
            assert len(five) == 6 and all(k["t"] % 300_000 == 0 for k in five)

    run(flow)


def test_subscribe_unsubscribe_list_and_legacy_paths(sim: SimulatorHandle) -> None:
    async def flow() -> None:
        async with websockets.connect(sim.ws_url + "/market/ws") as ws:
            await ws.send(
                json.dumps({"method": "SUBSCRIBE", "params": ["btcusdc@kline_1m", "btcusdc@markPrice"], "id": 1})
            )
            replies = [await recv(ws) for _ in range(3)]
            assert {"result": None, "id": 1} in replies
            await ws.send(json.dumps({"method": "LIST_SUBSCRIPTIONS", "id": 2}))
            await ws.send(json.dumps({"method": "UNSUBSCRIBE", "params": ["btcusdc@markPrice"], "id": 3}))
            await ws.send(json.dumps({"method": "SUBSCRIBE", "params": ["btcusdc@nonsense"], "id": 4}))
            replies = await drain(ws)
            assert {"result": ["btcusdc@kline_1m", "btcusdc@markPrice"], "id": 2} in replies
            assert {"result": None, "id": 3} in replies
            assert any(r.get("id") == 4 and r.get("code") == 2 for r in replies)
        async with (
            websockets.connect(sim.ws_url + "/ws/btcusdc@markPrice") as legacy,
            websockets.connect(sim.ws_url + "/stream?streams=btcusdc@aggTrade") as legacy_comb,
            websockets.connect(sim.ws_url + "/public/ws/btcusdc@bookTicker") as book,
        ):
            mark = await recv(legacy)
            assert mark["e"] == "markPriceUpdate" and set(mark) == {"e", "E", "s", "p", "i", "P", "r", "T", "st"}
            trade = (await recv(legacy_comb))["data"]
            assert trade["e"] == "aggTrade" and {"a", "p", "q", "f", "l", "T", "m"} <= set(trade)
            ticker = await recv(book)
            assert ticker["e"] == "bookTicker" and float(ticker["a"]) > float(ticker["b"])
        async with websockets.connect(sim.ws_url + "/market/ws/!markPrice@arr") as everything:
            marks = await recv(everything)
            assert sorted(m["s"] for m in marks) == ["BTCUSDC", "ETHUSDC", "SOLUSDC", "XRPUSDC"]

    run(flow)


def test_user_data_events_with_binance_field_names(sim: SimulatorHandle) -> None:
    call = Signed(sim)
    key = call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"]
    assert call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"] == key  # the active key again

    async def flow() -> None:
        async with (
            websockets.connect(sim.ws_url + f"/private/ws?listenKey={key}") as a,
            websockets.connect(sim.ws_url + f"/private/ws/{key}") as b,
            websockets.connect(sim.ws_url + f"/ws/{key}") as c,
        ):
            await asyncio.sleep(0.1)
            loop = asyncio.get_running_loop()
            placed = await loop.run_in_executor(
                None,
                lambda: call(
                    "POST", "/fapi/v1/order", {"symbol": "SOLUSDC", "side": "BUY", "type": "MARKET", "quantity": "1"}
                ).json(),
            )
            price = float(placed["avgPrice"] or 0) or float(
                call("GET", "/fapi/v1/premiumIndex", {"symbol": "SOLUSDC"}, sign=False).json()["markPrice"]
            )
            await loop.run_in_executor(
                None,
                lambda: call(
                    "POST",
                    "/fapi/v1/algoOrder",
                    {
                        "algoType": "CONDITIONAL",
                        "symbol": "SOLUSDC",
                        "side": "SELL",
                        "type": "STOP_MARKET",
                        "triggerPrice": f"{price * 0.5:.2f}",
                        "closePosition": "true",
                    },
                ),
            )
            events = [await recv(ws) for ws in (a, b, c) for _ in range(4)]
        kinds = [e["e"] for e in events[:4]]
        assert kinds == ["ORDER_TRADE_UPDATE", "ORDER_TRADE_UPDATE", "ACCOUNT_UPDATE", "ALGO_UPDATE"]
        assert events[:4] == events[4:8] == events[8:12]
        assert {
            "s",
            "c",
            "S",
            "o",
            "f",
            "q",
            "p",
            "ap",
            "sp",
            "x",
            "X",
            "i",
            "l",
            "z",
            "L",
            "N",
            "n",
            "T",
            "t",
            "m",
            "R",
            "wt",
            "ot",
            "ps",
            "cp",
            "rp",
        } <= set(events[1]["o"])
        assert events[1]["o"]["x"] == "TRADE" and events[1]["o"]["X"] == "FILLED"
        account = events[2]["a"]
        assert account["m"] == "ORDER" and set(account["B"][0]) == {"a", "wb", "cw", "bc"}
        assert {"s", "pa", "ep", "cr", "up", "mt", "iw", "ps"} <= set(account["P"][0])
        algo = events[3]["o"]
        assert {"caid", "aid", "at", "o", "s", "S", "ps", "f", "q", "X", "ai", "tp", "p", "wt", "cp", "R"} <= set(algo)
        assert algo["X"] == "NEW" and algo["cp"] is True
        assert sim.user_events_sent(key) == 4

    run(flow)


def test_listen_key_expiry_and_keepalive(sim: SimulatorHandle) -> None:
    call = Signed(sim)
    key = call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"]

    async def flow() -> None:
        async with websockets.connect(sim.ws_url + f"/private/ws/{key}") as ws:
            await step(sim, 50 * 60_000)
            assert call("PUT", "/fapi/v1/listenKey", sign=False).status_code == 200
            await step(sim, 50 * 60_000)
            assert await drain(ws, 0.2) == []  # still alive: nothing expired
            await step(sim, 11 * 60_000)
            expired = await recv(ws)
            assert expired["e"] == "listenKeyExpired" and expired["listenKey"] == key and isinstance(expired["E"], str)
        assert call("PUT", "/fapi/v1/listenKey", sign=False).json()["code"] == -1125
        fresh = call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"]
        assert fresh != key
        with pytest.raises(websockets.exceptions.InvalidStatus):
            async with websockets.connect(sim.ws_url + f"/private/ws/{key}"):
                pass
        async with websockets.connect(sim.ws_url + f"/private/ws/{fresh}") as ws:
            assert sim.expire_listen_keys() == [fresh]
            assert (await recv(ws))["e"] == "listenKeyExpired"

    run(flow)


def test_drop_and_silent_stall(sim: SimulatorHandle) -> None:
    async def flow() -> None:
        async with websockets.connect(sim.ws_url + "/market/ws/btcusdc@kline_1m") as ws:
            await drain(ws, 0.1)
            sim.stall_market(True)
            await step(sim, 3 * 60_000)
            assert await drain(ws, 0.2) == []
            pong = await ws.ping()
            await asyncio.wait_for(pong, 2)  # the connection is open and answers pings
            sim.stall_market(False)
            await step(sim, 60_000)
            assert await drain(ws, 0.2)
            assert sim.drop_websockets() >= 1
            with pytest.raises(websockets.exceptions.ConnectionClosed):
                for _ in range(10):
                    await asyncio.wait_for(ws.recv(), 2)

    run(flow)


@pytest.mark.parametrize("fault", ["kline_malformed_rate", "kline_duplicate_rate", "kline_out_of_order_rate"])
def test_kline_frame_faults(sim: SimulatorHandle, fault: str) -> None:
    async def flow() -> list[str]:
        async with websockets.connect(sim.ws_url + "/market/ws/btcusdc@kline_1m") as ws:
            await asyncio.sleep(0.1)
            while True:
                try:
                    await asyncio.wait_for(ws.recv(), 0.1)
                except TimeoutError:
                    break
            sim.set_faults(**{fault: 1.0})
            await step(sim, 4 * 60_000)
            texts = []
            while True:
                try:
                    texts.append(await asyncio.wait_for(ws.recv(), 0.3))
                except TimeoutError:
                    return texts

    texts = run(flow)
    sim.set_faults(**{fault: 0.0})
    if fault == "kline_malformed_rate":
        with pytest.raises(json.JSONDecodeError):
            json.loads(texts[0])
    elif fault == "kline_duplicate_rate":
        assert texts[0] == texts[1]
    else:
        starts = [json.loads(t)["k"]["t"] for t in texts]
        assert starts != sorted(starts)


def test_accelerated_clock_coalesces_forming_frames_but_sends_every_close(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series, stepped=False, speed=1200)

    async def flow() -> list[dict]:
        async with websockets.connect(handle.ws_url + "/market/ws/solusdc@kline_1m") as ws:
            frames = []
            began = time.monotonic()
            while time.monotonic() - began < 1.5:
                frames.append(await recv(ws))
            return frames

    frames = run(flow)
    forming = [f for f in frames if not f["k"]["x"]]
    closed = [f["k"]["t"] for f in frames if f["k"]["x"]]
    assert len(forming) <= 1.5 * 20 + 3  # at most ~20 in-progress frames per second
    assert len(closed) >= 20  # 1200x: 20 candles close per real second
    assert closed == sorted(closed) and all(b - a == 60_000 for a, b in itertools.pairwise(closed))


@pytest.mark.parametrize("stepped", [True, False])
def test_fills_and_triggers_during_the_replay_reach_the_user_stream(
    make_sim, synth_series: dict, stepped: bool
) -> None:
    handle = make_sim(series=synth_series, stepped=stepped, speed=1.0 if stepped else 3000.0)
    call = Signed(handle)
    key = call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"]

    async def flow() -> list[dict]:
        async with websockets.connect(handle.ws_url + f"/private/ws/{key}") as ws:
            await asyncio.sleep(0.1)
            loop = asyncio.get_running_loop()
            placed = await loop.run_in_executor(
                None,
                lambda: call(
                    "POST",
                    "/fapi/v1/order",
                    {
                        "symbol": "SOLUSDC",
                        "side": "BUY",
                        "type": "MARKET",
                        "quantity": "1",
                        "newOrderRespType": "RESULT",
                    },
                ),
            )
            entry = float(placed.json()["avgPrice"])
            await loop.run_in_executor(
                None,
                lambda: call(
                    "POST",
                    "/fapi/v1/algoOrder",
                    {
                        "algoType": "CONDITIONAL",
                        "symbol": "SOLUSDC",
                        "side": "SELL",
                        "type": "TRAILING_STOP_MARKET",
                        "callbackRate": "0.3",
                        "quantity": "1",
                        "reduceOnly": "true",
                    },
                ),
            )
            await loop.run_in_executor(
                None,
                lambda: call(
                    "POST",
                    "/fapi/v1/order",
                    {
                        "symbol": "SOLUSDC",
                        "side": "SELL",
                        "type": "LIMIT",
                        "quantity": "1",
                        "reduceOnly": "true",
                        "price": f"{entry * 1.002:.2f}",
                        "timeInForce": "GTC",
                    },
                ),
            )
            if stepped:
                await step(handle, 6 * 3_600_000)
            events: list[dict] = []
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline and not any(
                e["e"] == "ACCOUNT_UPDATE" and e["a"]["P"] and float(e["a"]["P"][0]["pa"]) == 0 for e in events
            ):
                events.append(await recv(ws, 10))
            return events

    events = run(flow)
    closing = [
        e["o"] for e in events if e["e"] == "ORDER_TRADE_UPDATE" and e["o"]["X"] == "FILLED" and e["o"]["S"] == "SELL"
    ]
    assert len(closing) == 1  # the take-profit or the trailing stop, whichever the path reached first
    assert handle.user_events_sent(key) >= len(events)
