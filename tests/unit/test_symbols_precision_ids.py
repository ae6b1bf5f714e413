from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core.ids import make_client_order_id, make_correlation_id, parse_client_order_id
from core.precision import PrecisionError, SymbolRules, split_quantity
from core.symbols import SymbolError, is_odd_symbol, parse_symbol, to_ccxt, to_exchange_id, to_stream


@pytest.mark.parametrize("text", ["BTC/USDC:USDC", "BTCUSDC", "BTC/USDC", "btcusdc", " btc/usdc:usdc "])
def test_every_form_names_the_same_perpetual(text: str) -> None:
    symbol = parse_symbol(text)
    assert (symbol.ccxt, symbol.exchange_id, symbol.spot_like, symbol.stream) == (
        "BTC/USDC:USDC", "BTCUSDC", "BTC/USDC", "btcusdc")


def test_multiplier_prefixed_bases() -> None:
    symbol = parse_symbol("1000PEPE/USDC:USDC")
    assert symbol.exchange_id == "1000PEPEUSDC" and symbol.multiplier == 1000 and symbol.underlying == "PEPE"
    assert to_ccxt("1000pepeusdc") == "1000PEPE/USDC:USDC"
    assert is_odd_symbol("1000PEPEUSDC") and not is_odd_symbol("BTCUSDC")


@pytest.mark.parametrize("text", ["BTC/USDT:USDT", "BTCUSDT", "BTC/USDC:USDT", "ETH/BTC", "", "BTC-USDC", "USDC"])
def test_non_usdc_or_malformed_symbols_are_refused_with_the_input_named(text: str) -> None:
    with pytest.raises(SymbolError) as info:
        parse_symbol(text)
    assert repr(text) in str(info.value) or "non-empty" in str(info.value)


@given(st.from_regex(r"[A-Z]{2,8}", fullmatch=True))
def test_conversions_round_trip(base: str) -> None:
    ccxt_name = f"{base}/USDC:USDC"
    assert to_ccxt(to_exchange_id(ccxt_name)) == ccxt_name
    assert to_ccxt(to_stream(ccxt_name)) == ccxt_name


BTC = SymbolRules("BTC/USDC:USDC", Decimal("0.1"), Decimal("0.001"), Decimal("0.001"), Decimal("800"),
                  Decimal("100"), Decimal("100"))


def test_rounding_never_lets_float_noise_reach_an_order() -> None:
    assert BTC.format_price(0.1 + 0.2) == "0.3"
    assert BTC.format_qty(0.1 + 0.2) == "0.3"
    assert BTC.round_price(95123.46, "down") == Decimal("95123.4")
    assert BTC.round_price(95123.41, "up") == Decimal("95123.5")
    assert BTC.round_qty(0.0129999) == Decimal("0.012")
    assert BTC.format_price(Decimal("95000.00")) == "95000"


def test_rules_from_a_ccxt_market_use_the_exact_filter_strings() -> None:
    market = {"symbol": "ETH/USDC:USDC", "info": {"filters": [
        {"filterType": "PRICE_FILTER", "tickSize": "0.01"},
        {"filterType": "LOT_SIZE", "stepSize": "0.001", "minQty": "0.001", "maxQty": "10000"},
        {"filterType": "MARKET_LOT_SIZE", "stepSize": "0.001", "minQty": "0.001", "maxQty": "2000"},
        {"filterType": "MIN_NOTIONAL", "notional": "20"}]}}
    rules = SymbolRules.from_ccxt_market(market)
    assert rules.tick_size == Decimal("0.01") and rules.market_max_qty == Decimal("2000")
    assert rules.min_notional == Decimal("20")
    with pytest.raises(PrecisionError, match="LOT_SIZE"):
        SymbolRules.from_ccxt_market({"symbol": "X", "info": {"filters": [market["info"]["filters"][0]]}})


@given(st.integers(min_value=0, max_value=10_000_000), st.sampled_from(["0.001", "1", "0.1"]))
def test_split_quantity_adds_up_exactly_and_stays_on_the_grid(units: int, step_text: str) -> None:
    step = Decimal(step_text)
    total = units * step
    parts = split_quantity(total, (0.4, 0.3, 0.3), step)
    assert sum(parts) == total
    assert all(p >= 0 and (p / step) == (p / step).to_integral_value() for p in parts)


def test_split_spreads_rounding() -> None:
    assert split_quantity(Decimal("0.013"), (0.4, 0.3, 0.3), Decimal("0.001")) == (
        Decimal("0.005"), Decimal("0.004"), Decimal("0.004"))


def test_client_order_ids_are_deterministic_short_and_parseable() -> None:
    value = make_client_order_id("ufb", "1000PEPE/USDC:USDC", "take_profit", 123456789, step=3)
    assert value == "ufb-1000PEPE-tp3-123456789" and len(value) <= 36
    parsed = parse_client_order_id(value, bot_id="ufb")
    assert parsed is not None and (parsed.intent, parsed.step, parsed.sequence) == ("take_profit", 3, 123456789)
    assert parse_client_order_id(value, bot_id="other") is None
    assert parse_client_order_id("web_abc123") is None
    with pytest.raises(ValueError, match="36"):
        make_client_order_id("ufb", "ABCDEFGHIJKLMNOPQRST/USDC:USDC", "entry", 10**12)
    assert make_correlation_id("BTC/USDC:USDC", 1_746_372_840_000) == "BTC-29106214"
