"""Hostile exchange payloads through ``exchange/parsers.py``: a parser returns a message or raises
``PayloadError`` naming the field — never another exception type, whatever arrives on the wire."""

from __future__ import annotations

import copy
import math
import re
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from exchange.parsers import (
    PayloadError,
    parse_account_update,
    parse_algo_order,
    parse_algo_update,
    parse_balance,
    parse_kline,
    parse_order,
    parse_order_trade_update,
    parse_position,
    parse_rest_kline,
    parse_user_event,
    parse_user_trade,
)

KLINE = {"e": "kline", "E": 1746057660000, "s": "BTCUSDC",
         "k": {"t": 1746057600000, "T": 1746057659999, "s": "BTCUSDC", "i": "1m", "f": 1, "L": 2, "o": "94000.1",
               "c": "94010.5", "h": "94020.0", "l": "93990.0", "v": "12.5", "n": 10, "x": True, "q": "1175000",
               "V": "6", "Q": "564000", "B": "0"}}
ORDER_UPDATE = {"e": "ORDER_TRADE_UPDATE", "E": 1746057660001, "T": 1746057660000,
                "o": {"s": "BTCUSDC", "c": "ufb-BTC-en-1", "S": "BUY", "o": "MARKET", "f": "GTC", "q": "0.002",
                      "p": "0", "ap": "94000.1", "sp": "0", "x": "TRADE", "X": "FILLED", "i": 8886774, "l": "0.002",
                      "z": "0.002", "L": "94000.1", "N": "USDC", "n": "0.09", "T": 1746057660000, "t": 42,
                      "m": False, "R": False, "wt": "CONTRACT_PRICE", "ot": "MARKET", "ps": "BOTH", "cp": False,
                      "rp": "0"}}
ALGO_UPDATE = {"e": "ALGO_UPDATE", "E": 1746057660002, "T": 1746057660000,
               "o": {"caid": "ufb-BTC-sl-2", "aid": 2148719, "at": "CONDITIONAL", "o": "STOP_MARKET", "s": "BTCUSDC",
                     "S": "SELL", "ps": "BOTH", "f": "GTC", "q": "0", "X": "NEW", "tp": "92000.0", "p": "0",
                     "wt": "MARK_PRICE", "cp": True, "R": False}}
ACCOUNT_UPDATE = {"e": "ACCOUNT_UPDATE", "E": 1746057660003, "T": 1746057660000,
                  "a": {"m": "ORDER", "B": [{"a": "USDC", "wb": "399.9", "cw": "399.9", "bc": "0"}],
                        "P": [{"s": "BTCUSDC", "pa": "0.002", "ep": "94000.1", "cr": "0", "up": "0.01",
                               "mt": "isolated", "iw": "37.6", "ps": "BOTH"}]}}
ORDER = {"orderId": 8886774, "symbol": "BTCUSDC", "status": "FILLED", "clientOrderId": "ufb-BTC-en-1",
         "price": "0", "avgPrice": "94000.1", "origQty": "0.002", "executedQty": "0.002", "cumQuote": "188",
         "timeInForce": "GTC", "type": "MARKET", "reduceOnly": False, "closePosition": False, "side": "BUY",
         "positionSide": "BOTH", "stopPrice": "0", "workingType": "CONTRACT_PRICE", "origType": "MARKET",
         "time": 1746057660000, "updateTime": 1746057660000}
ALGO_ORDER = {"algoId": 2148719, "clientAlgoId": "ufb-BTC-sl-2", "algoType": "CONDITIONAL", "orderType": "STOP_MARKET",
              "symbol": "BTCUSDC", "side": "SELL", "positionSide": "BOTH", "quantity": "0", "algoStatus": "NEW",
              "triggerPrice": "92000.0", "price": "0", "workingType": "MARK_PRICE", "closePosition": True,
              "reduceOnly": False, "createTime": 1746057660000, "updateTime": 1746057660000}
POSITION = {"symbol": "BTCUSDC", "positionSide": "BOTH", "positionAmt": "0.002", "entryPrice": "94000.1",
            "markPrice": "94010", "unRealizedProfit": "0.02", "notional": "188.02", "marginType": "isolated",
            "updateTime": 1746057660000}
ACCOUNT = {"assets": [{"asset": "USDC", "walletBalance": "400", "unrealizedProfit": "0", "marginBalance": "400",
                       "initialMargin": "0", "availableBalance": "400", "updateTime": 1746057660000}]}
USER_TRADE = {"symbol": "BTCUSDC", "id": 42, "orderId": 8886774, "side": "BUY", "price": "94000.1", "qty": "0.002",
              "realizedPnl": "0", "commission": "0.09", "commissionAsset": "USDC", "time": 1746057660000,
              "maker": False}
REST_KLINE = [1746057600000, "94000.1", "94020.0", "93990.0", "94010.5", "12.5", 1746057659999, "1175000", 10,
              "6", "564000", "0"]

PARSERS: dict[str, tuple[Callable[[Any], Any], Any]] = {
    "kline": (parse_kline, KLINE),
    "order update": (parse_order_trade_update, ORDER_UPDATE),
    "algo update": (parse_algo_update, ALGO_UPDATE),
    "account update": (parse_account_update, ACCOUNT_UPDATE),
    "user event": (parse_user_event, ORDER_UPDATE),
    "order": (parse_order, ORDER),
    "algo order": (parse_algo_order, ALGO_ORDER),
    "position": (parse_position, POSITION),
    "balance": (parse_balance, ACCOUNT),
    "user trade": (parse_user_trade, USER_TRADE),
    "rest kline": (lambda row: parse_rest_kline(row, "1m"), REST_KLINE),
}

HOSTILE_SCALARS = st.one_of(
    st.none(), st.booleans(), st.integers(), st.integers(min_value=10**300, max_value=10**400),
    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([math.nan, math.inf, -math.inf, -1, 0, 1e308]),
    st.text(max_size=20), st.sampled_from(["", "NaN", "nan", "inf", "-inf", "1e999", "-5", "0x10", "１２", "BTCUSDT",
                                           "btc/usdc:usdc", "true", "FALSE", " 1 "]),
)
JSON_VALUES = st.recursive(HOSTILE_SCALARS, lambda inner: st.one_of(
    st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=4), inner, max_size=4)), max_leaves=12)


def _paths(value: Any, prefix: tuple = ()) -> list[tuple]:
    """Every path to a leaf or container inside a payload (dict keys and list indexes)."""
    found = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            found += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            found += _paths(child, (*prefix, index))
    return found


def _set(payload: Any, path: tuple, value: Any, delete: bool) -> Any:
    result = copy.deepcopy(payload)
    node = result
    for part in path[:-1]:
        node = node[part]
    if delete and isinstance(node, dict):
        del node[path[-1]]
    else:
        node[path[-1]] = value
    return result


def _only_payload_errors(parse: Callable[[Any], Any], payload: Any) -> PayloadError | None:
    try:
        parse(payload)
    except PayloadError as exc:
        assert str(exc), "a PayloadError must say what is wrong"
        return exc
    return None  # any other exception type fails the test by propagating


@pytest.mark.parametrize("name", sorted(PARSERS))
def test_the_valid_base_payload_parses(name: str) -> None:
    parse, payload = PARSERS[name]
    assert parse(copy.deepcopy(payload)) is not None


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_one_hostile_field_gives_a_payload_error_naming_it(name: str, data: st.DataObject) -> None:
    parse, base = PARSERS[name]
    path = data.draw(st.sampled_from(_paths(base)), label="path")
    delete = data.draw(st.booleans(), label="delete")
    value = data.draw(JSON_VALUES, label="value")
    error = _only_payload_errors(parse, _set(base, path, value, delete))
    if error is not None:
        key = path[-1]
        names = {f"{key!r}", f"'{key}'", "field", "expected", "column", "row", "prices", "low", "volume",
                 "symbol", "interval", "USDC", "must be"}
        assert any(name in str(error) for name in names), f"{error} does not name {path}"


@pytest.mark.parametrize("name", sorted(PARSERS))
@settings(max_examples=100, deadline=None)
@given(payload=JSON_VALUES)
@example(payload=None)
@example(payload=[])
@example(payload={"e": "ACCOUNT_UPDATE", "E": 1, "a": []})
@example(payload={"e": "ACCOUNT_UPDATE", "E": 1, "a": {"m": "ORDER", "B": 5, "P": "x"}})
@example(payload={"assets": [1, "USDC", None]})
@example(payload={"E": math.inf, "k": {}})
def test_whole_payloads_of_any_shape_never_raise_anything_else(name: str, payload: Any) -> None:
    parse, _ = PARSERS[name]
    _only_payload_errors(parse, payload)


@pytest.mark.parametrize(("field", "value", "expected"), [
    ("o", "NaN", "field 'o' must be finite"),
    ("h", math.inf, "field 'h' must be finite"),
    ("v", 10**400, "field 'v' must be a number"),
    ("t", math.inf, "field 't' must be an integer"),
    ("t", "1.5e12", "field 't' must be an integer"),
    ("l", "-1", "prices must be positive"),
    ("v", "-3", "volume must be >= 0"),
    ("i", "7m", "unsupported interval '7m'"),
    ("s", "BTCUSDT", "not USDC-margined"),
])
def test_kline_field_messages(field: str, value: Any, expected: str) -> None:
    payload = _set(KLINE, ("k", field), value, delete=False)
    with pytest.raises(PayloadError, match=re.escape(expected)):
        parse_kline(payload)


def test_out_of_order_event_times_are_parsed_as_they_are() -> None:
    """Ordering is the feed's job (it drops stale frames); the parser must not invent a time."""
    late = _set(KLINE, ("E",), KLINE["E"] - 120_000, delete=False)
    assert parse_kline(late)[4] == KLINE["E"] - 120_000
