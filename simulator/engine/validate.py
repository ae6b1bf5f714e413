"""Checks of order parameters against a symbol's filters, in Binance's codes (README "Errors")."""

from __future__ import annotations

import re
from decimal import Decimal

from simulator import errors
from simulator.engine.numbers import fraction_digits, multiples, parse_decimal
from simulator.errors import BinanceError
from simulator.markets import MarketSpec

PLAIN_TYPES = frozenset({"LIMIT", "MARKET"})
CONDITIONAL_TYPES = frozenset({"STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"})
TIME_IN_FORCE = frozenset({"GTC", "IOC", "FOK", "GTX", "GTD"})
WORKING_TYPES = frozenset({"MARK_PRICE", "CONTRACT_PRICE"})
_CLIENT_ID = re.compile(r"^[.A-Z:/a-z0-9_-]{1,36}$")


def side(text: object) -> str:
    if text is None or text == "":
        raise errors.mandatory("side")
    value = str(text).upper()
    if value not in ("BUY", "SELL"):
        raise BinanceError(-1117, "Invalid side.")
    return value


def position_side(text: object) -> None:
    """One-way mode: only BOTH (or nothing) is accepted."""
    if text not in (None, "") and str(text).upper() != "BOTH":
        raise BinanceError(-4061, "Order's position side does not match user's setting.")


def client_id(text: object) -> str | None:
    if text is None or text == "":
        return None
    value = str(text)
    if not _CLIENT_ID.match(value):
        raise BinanceError(-4015, "Client order id is not valid.")
    return value


def time_in_force(text: object, default: str | None = None) -> str:
    if text is None or text == "":
        if default is None:
            raise errors.mandatory("timeInForce")
        return default
    value = str(text).upper()
    if value not in TIME_IN_FORCE:
        raise BinanceError(-1115, "Invalid timeInForce.")
    return value


def working_type(text: object) -> str:
    if text is None or text == "":
        return "CONTRACT_PRICE"
    value = str(text).upper()
    if value not in WORKING_TYPES:
        raise BinanceError(-4031, f"Invalid parameter working type: {text}")
    return value


def quantity(spec: MarketSpec, text: object, market: bool, name: str = "quantity") -> Decimal:
    """A quantity that fits LOT_SIZE (MARKET_LOT_SIZE for market orders) exactly."""
    value = parse_decimal(name, text)
    if fraction_digits(value) > spec.quantity_precision:
        raise errors.precision()
    if value <= 0:
        raise BinanceError(-4003, "Quantity less than zero.")
    step = Decimal(spec.step_size)
    if value < step:
        raise BinanceError(-4004, "Quantity less than min quantity.")
    if value > Decimal(spec.market_max_qty if market else spec.max_qty):
        raise BinanceError(-4005, "Quantity greater than max quantity.")
    if multiples(value, step) is None:
        raise BinanceError(-4023, "Qty not increased by step size.")
    return value


def price(spec: MarketSpec, text: object, name: str = "price") -> Decimal:
    """A limit price that fits PRICE_FILTER exactly."""
    value = parse_decimal(name, text)
    if fraction_digits(value) > spec.price_precision:
        raise errors.precision()
    if value <= 0:
        raise BinanceError(-4001, "Price less than 0.")
    if value < Decimal(spec.min_price):
        raise BinanceError(-4013, "Price less than min price.")
    if value > Decimal(spec.max_price):
        raise BinanceError(-4002, "Price greater than max price.")
    if multiples(value, Decimal(spec.tick_size)) is None:
        raise BinanceError(-4014, "Price not increased by tick size.")
    return value


def trigger_price(spec: MarketSpec, text: object, name: str = "triggerPrice") -> Decimal:
    """A trigger (stop) price: same grid as prices, with the stop-price codes."""
    value = parse_decimal(name, text)
    if fraction_digits(value) > spec.price_precision:
        raise errors.precision()
    if value <= 0:
        raise BinanceError(-4006, "Stop price less than zero.")
    if value > Decimal(spec.max_price):
        raise BinanceError(-4007, "Stop price greater than max price.")
    if multiples(value, Decimal(spec.tick_size)) is None:
        raise BinanceError(-4014, "Price not increased by tick size.")
    return value


def callback_rate(text: object) -> Decimal:
    """TRAILING_STOP_MARKET callbackRate in percent, 0.1 to 10 with one decimal."""
    value = parse_decimal("callbackRate", text)
    if value < Decimal("0.1") or value > Decimal(10) or fraction_digits(value) > 1:
        raise BinanceError(-2007, "Invalid callBack rate.")
    return value


def would_trigger_now(order_type: str, side_: str, trigger: float, current: float) -> bool:
    """Binance's -2021 rule: a stop or take-profit already on the wrong side of the price."""
    stop_like = order_type in ("STOP", "STOP_MARKET")
    if side_ == "BUY":
        return trigger <= current if stop_like else trigger >= current
    return trigger >= current if stop_like else trigger <= current


def fires_upward(order_type: str, side_: str) -> bool:
    """True when the order triggers as the price rises to the trigger (BUY stop, SELL take-profit)."""
    stop_like = order_type in ("STOP", "STOP_MARKET")
    return (side_ == "BUY") == stop_like
