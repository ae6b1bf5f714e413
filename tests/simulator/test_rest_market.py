"""Public market endpoints: shapes and "never the future"."""

from __future__ import annotations

import pytest
import requests

from simulator import SimulatorHandle


def get(handle: SimulatorHandle, path: str, **params: object) -> requests.Response:
    return requests.get(handle.rest_url + path, params=params, timeout=5)


def test_market_endpoints_answer_only_what_exists_now(sim: SimulatorHandle) -> None:
    now = sim.clock.now_ms()
    sim.advance(90_000)
    now += 90_000
    klines = get(sim, "/fapi/v1/klines", symbol="ETHUSDC", interval="1m", endTime=now + 3_600_000).json()
    assert klines[-1][0] == now - 30_000 and klines[-1][6] == now - 30_000 + 59_999 and len(klines[-1]) == 12
    assert get(sim, "/fapi/v1/klines", symbol="ETHUSDC", interval="1m", startTime=now + 60_000).json() == []
    assert get(sim, "/fapi/v1/klines", symbol="ETHUSDC", interval="7m").json()["code"] == -1120
    assert get(sim, "/fapi/v1/klines", symbol="ETHUSDC", interval="1m", limit=1501).json()["code"] == -1130
    marks = get(sim, "/fapi/v1/markPriceKlines", symbol="ETHUSDC", interval="15m", limit=2).json()
    assert marks[-1][5] == "0" and marks[-1][0] % 900_000 == 0
    ticker = get(sim, "/fapi/v1/ticker/24hr", symbol="ETHUSDC").json()
    assert ticker["closeTime"] == now and float(ticker["highPrice"]) >= float(ticker["lastPrice"])
    assert len(get(sim, "/fapi/v1/ticker/24hr").json()) == 4
    book = get(sim, "/fapi/v1/ticker/bookTicker", symbol="ETHUSDC").json()
    assert float(book["askPrice"]) - float(book["bidPrice"]) == pytest.approx(0.01, abs=1e-9)
    premium = get(sim, "/fapi/v1/premiumIndex", symbol="ETHUSDC").json()
    assert premium["time"] == now and premium["nextFundingTime"] > now
    depth = get(sim, "/fapi/v1/depth", symbol="ETHUSDC", limit=5).json()
    assert len(depth["bids"]) == 5 and float(depth["asks"][0][0]) > float(depth["bids"][0][0])
    sim.advance(12 * 3_600_000)
    funding = get(sim, "/fapi/v1/fundingRate", symbol="ETHUSDC").json()
    assert funding and all(f["fundingTime"] <= sim.clock.now_ms() for f in funding)
    assert get(sim, "/fapi/v1/time").json()["serverTime"] == sim.clock.now_ms()
