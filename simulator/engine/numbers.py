"""Exact parsing of client numbers and exact money arithmetic.

Clients send prices and quantities as decimal strings; they are checked against tick and step with
``decimal.Decimal`` and never rounded. Money (wallet, fees, realized PnL, funding) is kept as integers of
1e-8 USDC ("units", Binance's 8-decimal resolution): every booked amount is rounded once, half-up, to a
unit, so the wallet equals the start balance plus the sum of the amounts shown in the trade list and
the funding events, exactly.
"""

from __future__ import annotations

import math
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from simulator import errors

UNIT = 10**8
_UNIT_DEC = Decimal(1) / UNIT


def parse_decimal(name: str, text: object) -> Decimal:
    """A finite decimal from a client string, or -1102 naming the parameter."""
    if text is None or text == "":
        raise errors.mandatory(name)
    try:
        value = Decimal(str(text).strip())
    except InvalidOperation:
        raise errors.mandatory(name) from None
    if not value.is_finite():
        raise errors.mandatory(name)
    return value


def fraction_digits(value: Decimal) -> int:
    """Significant fractional digits ("0.0010" has 3)."""
    exponent = value.normalize().as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def multiples(value: Decimal, unit: Decimal) -> int | None:
    """``value / unit`` when it is a whole number, else None."""
    quotient = value / unit
    if quotient != quotient.to_integral_value():
        return None
    return int(quotient)


def parse_bool(name: str, text: object, default: bool = False) -> bool:
    """Binance booleans ('true'/'false', any case); anything else is -1130."""
    if text is None or text == "":
        return default
    if isinstance(text, bool):
        return text
    lowered = str(text).strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    raise errors.invalid_param(name)


def to_units(amount: float | Decimal) -> int:
    """Round an amount of USDC half-up to integer 1e-8 units."""
    if isinstance(amount, Decimal):
        return int((amount * UNIT).quantize(Decimal(1), rounding=ROUND_HALF_UP))
    scaled = amount * UNIT
    return math.floor(scaled + 0.5) if scaled >= 0 else -math.floor(-scaled + 0.5)


def units_str(units: int) -> str:
    """Integer units as Binance's 8-decimal string, exactly."""
    sign = "-" if units < 0 else ""
    whole, frac = divmod(abs(units), UNIT)
    return f"{sign}{whole}.{frac:08d}"


def units_dec(units: int) -> Decimal:
    return Decimal(units) * _UNIT_DEC


def fixed(value: float, decimals: int) -> str:
    """A float with a fixed number of decimals ("-0.0" becomes "0.0")."""
    text = f"{value:.{decimals}f}"
    if text.startswith("-") and float(text) == 0.0:
        text = text[1:]
    return text


def trimmed(value: float, min_decimals: int, max_decimals: int = 8) -> str:
    """A float with up to ``max_decimals`` decimals, trailing zeros removed down to ``min_decimals``."""
    text = fixed(value, max_decimals)
    if "." in text:
        whole, frac = text.split(".")
        frac = frac.rstrip("0")
        frac = frac + "0" * max(0, min_decimals - len(frac))
        text = f"{whole}.{frac}" if frac else whole
    return text


def floor_to(value: float, step: float) -> float:
    """Largest multiple of ``step`` <= value (tolerant of float noise)."""
    q = value / step
    r = round(q)
    if abs(q - r) < 1e-7:
        return r * step
    return math.floor(q) * step


def ceil_to(value: float, step: float) -> float:
    """Smallest multiple of ``step`` >= value (tolerant of float noise)."""
    q = value / step
    r = round(q)
    if abs(q - r) < 1e-7:
        return r * step
    return math.ceil(q) * step
