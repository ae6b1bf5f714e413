"""Every field of Binance's published payload examples is present in what the simulator sends."""

from __future__ import annotations

import json
from typing import Any

import pytest

from simulator.engine import Engine, EngineConfig
from simulator.server import streams
from tests.simulator.conftest import Signed
from tests.support import REST_EXAMPLES_DIR, WS_EXAMPLES_DIR, require_shared_data


def example(folder: Any, name: str) -> Any:
    data = json.loads((require_shared_data(folder) / name).read_text())
    return data.get("data", data) if isinstance(data, dict) else data


def keys(value: Any) -> set[str]:
    return set(value[0] if isinstance(value, list) else value)


@pytest.fixture
def traded_engine(synth_series: dict) -> tuple[Engine, list]:
    engine = Engine(synth_series, EngineConfig(), min(s.first_ms for s in synth_series.values()) + 1000 * 60_000)
    engine.new_order({"symbol": "SOLUSDC", "side": "BUY", "type": "MARKET", "quantity": "1"})
    price = engine.symbols["SOLUSDC"].price(engine.now_ms)
    engine.new_algo_order(
        {
            "algoType": "CONDITIONAL",
            "symbol": "SOLUSDC",
            "side": "SELL",
            "type": "TAKE_PROFIT_MARKET",
            "triggerPrice": f"{price * 1.001:.2f}",
            "closePosition": "true",
        }
    )
    events = engine.drain_events() + engine.advance_to(engine.now_ms + 86_400_000)
    return engine, events


def test_user_data_events_have_every_documented_field(traded_engine: tuple[Engine, list]) -> None:
    _engine, events = traded_engine
    trade = next(e.payload for e in events if e.kind == "ORDER_TRADE_UPDATE" and e.payload["o"]["x"] == "TRADE")
    assert keys(example(WS_EXAMPLES_DIR, "order_update_trade.json")) <= keys(trade)
    assert keys(example(WS_EXAMPLES_DIR, "order_update_trade.json")["o"]) <= keys(trade["o"])
    account = next(e.payload for e in events if e.kind == "ACCOUNT_UPDATE")
    documented = example(WS_EXAMPLES_DIR, "account_update.json")["a"]
    assert keys(documented["B"]) <= keys(account["a"]["B"]) and keys(documented["P"]) <= keys(account["a"]["P"])
    algo_states = {e.payload["o"]["X"]: e.payload["o"] for e in events if e.kind == "ALGO_UPDATE"}
    assert set(algo_states) == {"NEW", "TRIGGERING", "TRIGGERED", "FINISHED"}
    assert keys(example(WS_EXAMPLES_DIR, "algo_update_new.json")["o"]) - {"rm"} <= keys(algo_states["NEW"])
    assert keys(example(WS_EXAMPLES_DIR, "ws_futures_algo_update_finished.json")["o"]) <= keys(algo_states["FINISHED"])


def test_market_stream_payloads_have_every_documented_field(synth_series: dict) -> None:
    series = synth_series["BTCUSDC"]
    now = series.first_ms + 1000 * 60_000 + 1234
    kline = streams.kline_frames(series, "1m", now - 60_000, now)[0]
    assert keys(example(WS_EXAMPLES_DIR, "kline_stream_closed.json")) == keys(kline)
    assert keys(example(WS_EXAMPLES_DIR, "kline_stream_closed.json")["k"]) == keys(kline["k"])
    assert keys(example(WS_EXAMPLES_DIR, "mark_price_stream.json")) == keys(streams.mark_price_payload(series, now))
    assert keys(example(WS_EXAMPLES_DIR, "book_ticker_stream.json")) == keys(streams.book_ticker_payload(series, now))
    assert keys(example(WS_EXAMPLES_DIR, "agg_trade_stream.json")) == keys(streams.agg_trade_payload(series, now))


def test_rest_answers_have_every_documented_field(sim: Any) -> None:
    call = Signed(sim)
    call("POST", "/fapi/v1/order", {"symbol": "SOLUSDC", "side": "BUY", "type": "MARKET", "quantity": "1"})
    price = float(call("GET", "/fapi/v1/ticker/price", {"symbol": "SOLUSDC"}, sign=False).json()["price"])
    order = call(
        "POST",
        "/fapi/v1/order",
        {
            "symbol": "SOLUSDC",
            "side": "BUY",
            "type": "LIMIT",
            "quantity": "1",
            "price": f"{price * 0.98:.2f}",
            "timeInForce": "GTC",
        },
    ).json()
    call(
        "POST",
        "/fapi/v1/algoOrder",
        {
            "algoType": "CONDITIONAL",
            "symbol": "SOLUSDC",
            "side": "SELL",
            "type": "STOP_MARKET",
            "triggerPrice": f"{price * 0.9:.2f}",
            "quantity": "1",
            "reduceOnly": "true",
        },
    )
    checks = {
        "order_response.json": order,
        "http_futures_account_orders.json": call("GET", "/fapi/v1/openOrders", {"symbol": "SOLUSDC"}).json(),
        "open_algo_orders.json": call("GET", "/fapi/v1/openAlgoOrders").json(),
        "position_risk.json": call("GET", "/fapi/v2/positionRisk", {"symbol": "SOLUSDC"}).json(),
        "http_futures_account_positions_one_way.json": call("GET", "/fapi/v2/positionRisk").json(),
        "http_futures_account_trades.json": call("GET", "/fapi/v1/userTrades", {"symbol": "SOLUSDC"}).json(),
        "http_futures_wallet_commission_rate_btcusdt.json": call(
            "GET", "/fapi/v1/commissionRate", {"symbol": "SOLUSDC"}
        ).json(),
        "http_futures_market_premium_index.json": call(
            "GET", "/fapi/v1/premiumIndex", {"symbol": "SOLUSDC"}, sign=False
        ).json(),
        "http_futures_account_symbol_config.json": call("GET", "/fapi/v1/symbolConfig").json(),
        "http_futures_account_position_side_dual.json": call("GET", "/fapi/v1/positionSide/dual").json(),
        "balance.json": call("GET", "/fapi/v2/balance").json(),
        "account_info_v2.json": call("GET", "/fapi/v2/account").json(),
    }
    ignored = {"activatePrice", "priceRate"}  # trailing-stop-only fields of the example order
    for name, answer in checks.items():
        documented = example(REST_EXAMPLES_DIR, name)
        assert keys(documented) - ignored <= keys(answer), name
    account, documented = checks["account_info_v2.json"], example(REST_EXAMPLES_DIR, "account_info_v2.json")
    assert keys(documented["assets"]) <= keys(account["assets"]) and keys(documented["positions"]) <= keys(
        account["positions"]
    )
