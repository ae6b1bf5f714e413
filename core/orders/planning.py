"""Pure order planning: entry size, protective prices, take-profit quantities, the break-even stop.

Every number that reaches an order comes out of here already on the symbol's tick/step grid (via
``SymbolRules``), so live trading and the backtest send exactly the same orders.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from core.precision import SymbolRules, split_quantity, to_decimal
from messages.base import Side

# Keep a little of the available margin free for fees and mark-price moves between sizing and fill.
AVAILABLE_MARGIN_USE = Decimal("0.95")


@dataclass(frozen=True, slots=True)
class Bracket:
    """One leverage bracket: positions up to ``notional_cap`` may use at most ``max_leverage``."""

    notional_cap: Decimal
    max_leverage: int
    maint_margin_ratio: Decimal = Decimal(0)


def max_notional_for_leverage(brackets: tuple[Bracket, ...], leverage: int) -> Decimal | None:
    """The largest position notional the brackets allow at ``leverage`` (None: no brackets known)."""
    if not brackets:
        return None
    allowed = [b.notional_cap for b in brackets if b.max_leverage >= leverage]
    return max(allowed) if allowed else Decimal(0)


@dataclass(frozen=True, slots=True)
class EntrySize:
    """A planned entry quantity with the figures it came from (for the log and the database)."""

    quantity: Decimal
    notional: Decimal
    limited_by: str


@dataclass(frozen=True, slots=True)
class SizingRefusal:
    """Why no entry can be sized: ``reason`` is a short code, ``detail`` the numbers."""

    reason: str
    detail: str


def size_entry(
    *,
    rules: SymbolRules,
    reference_price: float,
    stop_price: float,
    risk_amount: float,
    sizing_balance: float,
    available_balance: float,
    leverage: int,
    max_position_pct: float,
    brackets: tuple[Bracket, ...] = (),
) -> EntrySize | SizingRefusal:
    """Quantity that loses ``risk_amount`` at the stop, capped by margin, available balance, the
    leverage brackets and the market-order quantity limit; rounded down to the step."""
    price = to_decimal(reference_price)
    distance = abs(price - to_decimal(stop_price))
    if price <= 0 or distance <= 0:
        return SizingRefusal("bad_prices", f"reference {reference_price} and stop {stop_price} give no distance")
    lev = Decimal(leverage)
    caps = {
        "risk": to_decimal(risk_amount) / distance * price,
        "max_position": to_decimal(sizing_balance) * to_decimal(max_position_pct) / 100 * lev,
        "available_margin": max(to_decimal(available_balance), Decimal(0)) * AVAILABLE_MARGIN_USE * lev,
    }
    bracket_cap = max_notional_for_leverage(brackets, leverage)
    if bracket_cap is not None:
        if bracket_cap <= 0:
            return SizingRefusal("leverage_bracket", f"leverage {leverage}x exceeds every bracket of {rules.symbol}")
        caps["leverage_bracket"] = bracket_cap
    limited_by, notional = min(caps.items(), key=lambda item: item[1])
    quantity = rules.round_qty(min(notional / price, rules.market_max_qty))
    if quantity >= rules.market_max_qty:
        limited_by = "market_max_qty"
    if quantity < rules.min_qty or quantity * price < rules.min_notional:
        return SizingRefusal(
            "below_min_notional",
            f"{rules.symbol}: {quantity} × {price} = {quantity * price:.4f} is below the minimum "
            f"(notional {rules.min_notional}, qty {rules.min_qty}); limited by {limited_by}",
        )
    return EntrySize(quantity=quantity, notional=quantity * price, limited_by=limited_by)


@dataclass(frozen=True, slots=True)
class ProtectionPlan:
    """Stop and take-profit prices and quantities for a filled entry."""

    stop_price: Decimal
    take_profits: tuple[tuple[int, Decimal, Decimal], ...]  # (step number from 1, price, quantity)


def plan_protection(
    *,
    rules: SymbolRules,
    side: Side,
    fill_price: float,
    filled_quantity: Decimal,
    reference_price: float,
    suggested_stop: float,
    suggested_take_profits: tuple[float, ...],
    split: tuple[float, ...],
) -> ProtectionPlan:
    """Move the strategy's suggested distances (relative to the signal's close) onto the real fill.

    The stop rounds toward the entry (the loss never exceeds the plan), and stays at least one tick
    away; take-profits round toward the entry too and stay at least one tick beyond it. Quantities are
    split by ``split`` on the step grid; a step too small to trade is merged into the next one.
    """
    fill = to_decimal(fill_price)
    ref = to_decimal(reference_price)
    tick = rules.tick_size
    sign = 1 if side == "long" else -1
    stop_distance = abs(ref - to_decimal(suggested_stop)) / ref
    raw_stop = fill * (1 - sign * stop_distance)
    if side == "long":
        stop = min(rules.round_price(raw_stop, "up"), rules.round_price(fill, "down") - tick)
    else:
        stop = max(rules.round_price(raw_stop, "down"), rules.round_price(fill, "up") + tick)

    prices = []
    for tp in suggested_take_profits:
        distance = abs(to_decimal(tp) - ref) / ref
        raw = fill * (1 + sign * distance)
        if side == "long":
            prices.append(max(rules.round_price(raw, "down"), rules.round_price(fill, "up") + tick))
        else:
            prices.append(min(rules.round_price(raw, "up"), rules.round_price(fill, "down") - tick))
    if len(split) != len(prices):
        raise ValueError(f"{len(prices)} take-profit prices but {len(split)} shares")
    quantities = split_quantity(filled_quantity, split, rules.step_size) if prices else ()
    return ProtectionPlan(stop_price=stop, take_profits=_merge_small_steps(prices, quantities, rules.min_qty))


def _merge_small_steps(
    prices: list[Decimal], quantities: tuple[Decimal, ...], min_qty: Decimal
) -> tuple[tuple[int, Decimal, Decimal], ...]:
    steps: list[tuple[int, Decimal, Decimal]] = []
    carry = Decimal(0)
    for index, (price, part) in enumerate(zip(prices, quantities, strict=True), start=1):
        quantity = part + carry
        carry = Decimal(0)
        if quantity < min_qty or quantity <= 0:
            carry = quantity
            continue
        steps.append((index, price, quantity))
    if carry > 0 and steps:
        number, price, qty = steps[-1]
        steps[-1] = (number, price, qty + carry)
    return tuple(steps)


def break_even_price(rules: SymbolRules, side: Side, entry_price: float, offset_pct: float) -> Decimal:
    """Entry plus ``offset_pct`` (covers the round trip's fees), rounded away from the entry."""
    entry = to_decimal(entry_price)
    offset = entry * to_decimal(offset_pct) / 100
    if side == "long":
        return rules.round_price(entry + offset, "up")
    return rules.round_price(entry - offset, "down")
