"""Every rejection the bot must handle, produced over HTTP by a request that deserves it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from decimal import Decimal

import pytest
import requests

from simulator import SimulatorConfig, SimulatorHandle, start
from tests.simulator.conftest import Signed, error_of

SOL = "SOLUSDC"


@pytest.fixture(scope="module")
def handle(synth_series: dict) -> Iterator[SimulatorHandle]:
    sim = start(SimulatorConfig(series=synth_series, stepped=True))
    yield sim
    sim.stop()


@pytest.fixture
def call(handle: SimulatorHandle) -> Signed:
    return Signed(handle)


def price(handle: SimulatorHandle, symbol: str = SOL) -> Decimal:
    body = requests.get(handle.rest_url + "/fapi/v1/ticker/price", params={"symbol": symbol}, timeout=5).json()
    return Decimal(body["price"])


def order(**params: object) -> dict[str, object]:
    return {"symbol": SOL, "side": "BUY", "type": "MARKET", "quantity": "1", **params}


def test_order_rejections(handle: SimulatorHandle, call: Signed) -> None:
    p = price(handle)
    cases = [
        (order(quantity="0.001"), -1111),
        (order(type="LIMIT", price="100.12345", timeInForce="GTC"), -1111),
        (order(type="LIMIT", price=f"{p - 1:.2f}1", timeInForce="GTC"), -4014),
        (order(quantity="0.01"), -4164),
        (order(quantity="1000"), -2019),
        (order(side="SELL", reduceOnly="true"), -2022),
        (order(type="STOP_MARKET", stopPrice=f"{p + 5:.2f}"), -4120),
        (order(type="TAKE_PROFIT_MARKET", stopPrice=f"{p - 5:.2f}"), -4120),
        (order(type="LIMIT", price=f"{p * Decimal('1.2'):.2f}", timeInForce="GTC"), -4016),
        (order(side="SELL", type="LIMIT", price=f"{p * Decimal('0.8'):.2f}", timeInForce="GTC"), -4024),
        (order(type="LIMIT", price=f"{p:.2f}", timeInForce="GTX"), -5022),
        (order(type="LIMIT", price=f"{p - 1:.2f}", timeInForce="FOK"), -5021),
        (order(positionSide="LONG"), -4061),
        (order(symbol="DOGEUSDC"), -1121),
        (order(quantity=""), -1102),
        (order(type="LIMIT", price=f"{p - 1:.2f}"), -1102),  # no timeInForce
        (order(type="WEIRD"), -1116),
        (order(newClientOrderId="x" * 37), -4015),
    ]
    for params, code in cases:
        response = call("POST", "/fapi/v1/order", params)
        assert error_of(response) == (400, code), (params, response.text)
        assert "msg" in response.json()


def test_algo_order_rejections(handle: SimulatorHandle, call: Signed) -> None:
    p = price(handle)
    base = {"algoType": "CONDITIONAL", "symbol": SOL, "side": "SELL", "type": "STOP_MARKET"}
    cases = [
        ({**base, "triggerPrice": f"{p + 1:.2f}", "quantity": "1"}, -2021),  # a sell stop above the price
        ({**base, "type": "TAKE_PROFIT_MARKET", "triggerPrice": f"{p - 1:.2f}", "quantity": "1"}, -2021),
        ({**base, "triggerPrice": f"{p - 1:.2f}", "closePosition": "true", "reduceOnly": "true"}, -1106),
        ({**base, "triggerPrice": f"{p - 1:.2f}", "quantity": "0.01"}, -4164),
        ({**base, "triggerPrice": f"{p - 1:.3f}1", "quantity": "1"}, -4014),
        ({**base, "type": "LIMIT", "triggerPrice": f"{p - 1:.2f}", "quantity": "1"}, -1116),
        ({**base, "algoType": "TWAP", "triggerPrice": f"{p - 1:.2f}", "quantity": "1"}, -1130),
        ({**base, "quantity": "1"}, -1102),
    ]
    for params, code in cases:
        assert error_of(call("POST", "/fapi/v1/algoOrder", params)) == (400, code), params
    assert error_of(call("DELETE", "/fapi/v1/algoOrder", {"algoId": 42})) == (400, -2011)
    assert error_of(call("GET", "/fapi/v1/algoOrder", {"algoId": 42})) == (400, -2013)


def test_unknown_orders_and_no_change_replies(call: Signed) -> None:
    assert error_of(call("DELETE", "/fapi/v1/order", {"symbol": SOL, "orderId": 1})) == (400, -2011)
    assert error_of(call("GET", "/fapi/v1/order", {"symbol": SOL, "origClientOrderId": "nope"})) == (400, -2013)
    assert error_of(call("POST", "/fapi/v1/marginType", {"symbol": SOL, "marginType": "CROSSED"})) == (400, -4046)
    assert error_of(call("POST", "/fapi/v1/positionSide/dual", {"dualSidePosition": "false"})) == (400, -4059)
    assert error_of(call("POST", "/fapi/v1/leverage", {"symbol": SOL, "leverage": 500})) == (400, -4028)
    assert error_of(call("PUT", "/fapi/v1/listenKey", sign=False)) == (400, -1125)


def test_authentication_and_timestamps(handle: SimulatorHandle, call: Signed) -> None:
    assert error_of(Signed(handle, secret="wrong")("GET", "/fapi/v3/account")) == (400, -1022)
    assert error_of(Signed(handle, key="wrong")("GET", "/fapi/v3/account")) == (401, -2015)
    assert error_of(call("GET", "/fapi/v3/account", key=False)) == (401, -2014)
    assert error_of(call("GET", "/fapi/v3/account", timestamp=int(time.time() * 1000) - 60_000)) == (400, -1021)
    assert error_of(call("GET", "/fapi/v3/account", timestamp=int(time.time() * 1000) + 5_000)) == (400, -1021)
    # a client that signs with the simulated clock is accepted too
    assert call("GET", "/fapi/v3/account", timestamp=handle.clock.now_ms()).status_code == 200
    handle.set_clock_skew(-5_000)
    try:
        assert error_of(call("GET", "/fapi/v3/account")) == (400, -1021)
        server_time = requests.get(handle.rest_url + "/fapi/v1/time", timeout=5).json()["serverTime"]
        assert server_time == handle.clock.now_ms() - 5_000
        assert call("GET", "/fapi/v3/account", timestamp=server_time).status_code == 200  # after a resync
    finally:
        handle.set_clock_skew(0)


def test_usage_headers_and_unknown_path(handle: SimulatorHandle, call: Signed) -> None:
    response = call("GET", "/fapi/v1/openOrders", {"symbol": SOL})
    assert int(response.headers["X-MBX-USED-WEIGHT-1M"]) >= 1
    placed = call("POST", "/fapi/v1/order", order(type="LIMIT", price=f"{price(handle) - 2:.2f}", timeInForce="GTC"))
    assert placed.status_code == 200 and int(placed.headers["X-MBX-ORDER-COUNT-10S"]) >= 1
    assert "X-MBX-ORDER-COUNT-1M" in placed.headers
    call("DELETE", "/fapi/v1/allOpenOrders", {"symbol": SOL})
    assert requests.get(handle.rest_url + "/fapi/v1/nothing", timeout=5).status_code == 404


def test_forced_rejections(handle: SimulatorHandle, call: Signed) -> None:
    handle.reject_next(1, -2019, symbol=SOL)
    assert error_of(call("POST", "/fapi/v1/order", order())) == (400, -2019)
    handle.reject_next(1, -2021, endpoint="algoOrder")
    p = price(handle)
    stop = {
        "algoType": "CONDITIONAL",
        "symbol": SOL,
        "side": "BUY",
        "type": "STOP_MARKET",
        "triggerPrice": f"{p + 3:.2f}",
        "quantity": "1",
    }
    assert error_of(call("POST", "/fapi/v1/algoOrder", stop)) == (400, -2021)
    assert call("POST", "/fapi/v1/algoOrder", stop).status_code == 200
    call("DELETE", "/fapi/v1/algoOpenOrders", {"symbol": SOL})


def test_open_order_and_conditional_caps(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series, balance="100000", rate_limits=False)
    call = Signed(handle)
    p = price(handle, "XRPUSDC")
    limit = {
        "symbol": "XRPUSDC",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "10",
        "timeInForce": "GTC",
        "price": f"{p * Decimal('0.97'):.4f}",
    }
    for _ in range(200):
        assert call("POST", "/fapi/v1/order", limit).status_code == 200
    assert error_of(call("POST", "/fapi/v1/order", limit)) == (400, -2025)
    stop = {"algoType": "CONDITIONAL", "symbol": "ETHUSDC", "side": "BUY", "type": "STOP_MARKET", "quantity": "0.05"}
    eth = price(handle, "ETHUSDC")
    for k in range(200):
        response = call("POST", "/fapi/v1/algoOrder", {**stop, "triggerPrice": f"{eth * Decimal('1.01') + k:.2f}"})
        assert response.status_code == 200, response.text
    assert error_of(call("POST", "/fapi/v1/algoOrder", {**stop, "triggerPrice": f"{eth + 500:.2f}"})) == (400, -4045)


def test_percent_price_on_market_orders(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series, slippage_bps=600)
    assert error_of(Signed(handle)("POST", "/fapi/v1/order", order())) == (400, -4131)


def test_rate_limit_429_then_418_ban(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series)
    session = requests.Session()
    url = handle.rest_url + "/fapi/v1/ticker/24hr"
    statuses = [session.get(url, timeout=5).status_code for _ in range(150)]
    assert set(statuses) == {200}
    limited = session.get(url, timeout=5)
    assert limited.status_code == 429 and limited.json()["code"] == -1003
    assert int(limited.headers["Retry-After"]) >= 1 and int(limited.headers["X-MBX-USED-WEIGHT-1M"]) > 6000
    banned = [session.get(url, timeout=5) for _ in range(25)][-1]
    assert banned.status_code == 418 and banned.json()["code"] == -1003 and "banned until" in banned.json()["msg"]
    handle.advance(5 * 60_000)  # the ban (2 minutes) and the window are over in simulated time
    assert session.get(url, timeout=5).status_code == 200
    handle.burst_429(2)
    assert [session.get(url, timeout=5).status_code for _ in range(3)] == [429, 429, 200]


def test_unknown_outcome_5xx_and_timeout(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series)
    handle.set_faults(timeout_s=1.0)
    call = Signed(handle)
    handle.fail_next(1, kind="5xx", execute=True, path="/fapi/v1/order")
    response = call("POST", "/fapi/v1/order", order(newClientOrderId="maybe-1"))
    assert response.status_code == 503 and "json" not in response.headers["Content-Type"]
    found = call("GET", "/fapi/v1/order", {"symbol": SOL, "origClientOrderId": "maybe-1"}).json()
    assert found["status"] == "FILLED"
    handle.fail_next(1, kind="5xx", execute=False, path="/fapi/v1/order")
    assert call("POST", "/fapi/v1/order", order(newClientOrderId="maybe-2")).status_code == 503
    assert error_of(call("GET", "/fapi/v1/order", {"symbol": SOL, "origClientOrderId": "maybe-2"})) == (400, -2013)
    handle.fail_next(1, kind="timeout", execute=True, path="/fapi/v1/order")
    with pytest.raises(requests.exceptions.Timeout):
        call("POST", "/fapi/v1/order", order(side="SELL", newClientOrderId="maybe-3"), timeout=0.3)
    assert call("GET", "/fapi/v1/order", {"symbol": SOL, "origClientOrderId": "maybe-3"}).json()["status"] == "FILLED"


def test_order_count_limit_answers_429_minus_1015(make_sim, synth_series: dict) -> None:
    handle = make_sim(series=synth_series, balance="100000")
    call = Signed(handle)
    p = price(handle, "XRPUSDC")
    limit = {
        "symbol": "XRPUSDC",
        "side": "BUY",
        "type": "LIMIT",
        "quantity": "10",
        "timeInForce": "GTC",
        "price": f"{p * Decimal('0.97'):.4f}",
    }
    for _ in range(150):
        order_id = call("POST", "/fapi/v1/order", limit).json()["orderId"]
        call("DELETE", "/fapi/v1/order", {"symbol": "XRPUSDC", "orderId": order_id})
        call("POST", "/fapi/v1/order", limit)
    over = call("POST", "/fapi/v1/order", limit)
    assert error_of(over) == (429, -1015) and over.headers["X-MBX-ORDER-COUNT-10S"] == "301"
    handle.advance(10_000)
    assert call("POST", "/fapi/v1/order", limit).status_code == 200


def test_income_and_listen_key_delete(sim: SimulatorHandle) -> None:
    call = Signed(sim)
    call("POST", "/fapi/v1/order", order())
    income = call("GET", "/fapi/v1/income", {"incomeType": "COMMISSION"}).json()
    assert len(income) == 1 and income[0]["asset"] == "USDC" and Decimal(income[0]["income"]) < 0
    key = call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"]
    assert call("DELETE", "/fapi/v1/listenKey", sign=False).json() == {}
    assert error_of(call("PUT", "/fapi/v1/listenKey", sign=False)) == (400, -1125)
    assert call("POST", "/fapi/v1/listenKey", sign=False).json()["listenKey"] != key
