"""Money math: the one place where prices and quantities are rounded to a symbol's tick and step.

Everything sent to the exchange passes through ``SymbolRules``; arithmetic is done in ``Decimal`` from
the exchange's own decimal strings, so a float error (``0.30000000000000004``) can never reach an
order. Quantities round *down* (never more than intended); prices round toward the safe side chosen
by the caller (a stop for a long rounds down, i.e. further from entry only by less than a tick).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal
from typing import Any, Literal

RoundingMode = Literal["down", "up", "nearest"]
_MODES = {"down": ROUND_FLOOR, "up": ROUND_CEILING, "nearest": ROUND_HALF_EVEN}


class PrecisionError(ValueError):
    """Market metadata that cannot be used to round (missing or non-positive tick/step)."""


def to_decimal(value: float | int | str | Decimal) -> Decimal:
    """Exact decimal of a value; floats go through ``repr`` (their shortest round-trip form)."""
    if isinstance(value, Decimal):
        return value
    if isinstance(value, float):
        if not math.isfinite(value):
            raise PrecisionError(f"not a finite number: {value!r}")
        return Decimal(repr(value))
    return Decimal(str(value))


@dataclass(frozen=True, slots=True)
class SymbolRules:
    """A symbol's trading filters (from exchangeInfo through ccxt's market dict)."""

    symbol: str
    tick_size: Decimal
    step_size: Decimal
    min_qty: Decimal
    max_qty: Decimal
    market_max_qty: Decimal
    min_notional: Decimal

    def __post_init__(self) -> None:
        for name in ("tick_size", "step_size"):
            if getattr(self, name) <= 0:
                raise PrecisionError(f"{self.symbol}: {name} must be > 0, got {getattr(self, name)}")

    @classmethod
    def from_ccxt_market(cls, market: dict[str, Any]) -> SymbolRules:
        """Build from a ccxt market: read the raw Binance filters (exact strings), not ccxt's floats."""
        info = market.get("info") or {}
        filters = {f.get("filterType"): f for f in info.get("filters", [])}
        try:
            price_filter = filters["PRICE_FILTER"]
            lot = filters["LOT_SIZE"]
        except KeyError as exc:
            raise PrecisionError(f"{market.get('symbol')}: exchangeInfo lacks the {exc.args[0]} filter") from None
        market_lot = filters.get("MARKET_LOT_SIZE", lot)
        notional = filters.get("MIN_NOTIONAL", {}).get("notional", "0")
        return cls(
            symbol=str(market["symbol"]),
            tick_size=Decimal(price_filter["tickSize"]),
            step_size=Decimal(lot["stepSize"]),
            min_qty=Decimal(lot["minQty"]),
            max_qty=Decimal(lot["maxQty"]),
            market_max_qty=Decimal(market_lot["maxQty"]),
            min_notional=Decimal(notional),
        )

    def round_price(self, price: float | str | Decimal, mode: RoundingMode = "nearest") -> Decimal:
        """``price`` on the tick grid (``down``/``up``/``nearest``)."""
        return _to_grid(to_decimal(price), self.tick_size, _MODES[mode])

    def round_qty(self, qty: float | str | Decimal) -> Decimal:
        """``qty`` rounded down to the step (never more than asked)."""
        return _to_grid(to_decimal(qty), self.step_size, ROUND_DOWN)

    def notional(self, qty: Decimal, price: Decimal) -> Decimal:
        return qty * price

    def meets_min_notional(self, qty: Decimal, price: Decimal) -> bool:
        return qty * price >= self.min_notional

    def format_price(self, price: Decimal) -> str:
        """The string to send: exactly on the grid, no exponent, no trailing noise."""
        return _plain(self.round_price(price))

    def format_qty(self, qty: Decimal) -> str:
        return _plain(self.round_qty(qty))


def split_quantity(total: Decimal, shares: tuple[float, ...], step: Decimal) -> tuple[Decimal, ...]:
    """Split ``total`` into parts proportional to ``shares``, each on the step grid, summing to ``total``.

    Cumulative targets are rounded to the grid and differenced, so rounding error is spread over the
    parts instead of piling onto the last, and the take-profit steps always add up to the position
    exactly. Parts may be zero when the position is too small to split.
    """
    if total < 0:
        raise PrecisionError(f"cannot split a negative quantity {total}")
    parts: list[Decimal] = []
    cumulative_share = Decimal(0)
    previous = Decimal(0)
    for index, share in enumerate(shares):
        cumulative_share += to_decimal(share)
        if index == len(shares) - 1:
            target = total
        else:
            target = min(total, _to_grid(total * cumulative_share, step, ROUND_HALF_EVEN))
        parts.append(target - previous)
        previous = target
    return tuple(parts)


def _to_grid(value: Decimal, grid: Decimal, rounding: str) -> Decimal:
    units = (value / grid).to_integral_value(rounding=rounding)
    return (units * grid).quantize(grid)


def _plain(value: Decimal) -> str:
    text = format(value, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return text or "0"
