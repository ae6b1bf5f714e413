"""Market specs of the source's USDC perpetuals, read from its ``GET /fapi/v1/exchangeInfo``.

The paper exchange must enforce the filters the real exchange enforces *today* (a tick or a minimum
notional can change after the built-in table of 2025-12-24 was taken), so the filters come from the
source; :func:`spec_from_entry` is the exact inverse of
:func:`simulator.server.exchange_info.symbol_entry` (a test checks it on the real file). Leverage
brackets are a signed endpoint and cannot be read publicly: the built-in table is used, and the 50x
default table for a symbol it does not know.
"""

from __future__ import annotations

from typing import Any

from simulator.markets import BRACKETS, DEFAULT_BRACKETS, MarketSpec


class SpecError(ValueError):
    """An exchangeInfo entry that is not a readable USDC perpetual."""


def is_usdc_perpetual(entry: dict[str, Any]) -> bool:
    """A USDC-margined perpetual (whatever its status)."""
    return (
        entry.get("contractType") == "PERPETUAL"
        and entry.get("quoteAsset") == "USDC"
        and entry.get("marginAsset") == "USDC"
    )


def spec_from_entry(entry: dict[str, Any]) -> MarketSpec:
    """The :class:`MarketSpec` of one ``symbols[]`` entry of exchangeInfo."""
    try:
        filters = {f["filterType"]: f for f in entry["filters"]}
        price, lot, market_lot = filters["PRICE_FILTER"], filters["LOT_SIZE"], filters["MARKET_LOT_SIZE"]
        percent = filters["PERCENT_PRICE"]
        symbol = str(entry["symbol"])
        return MarketSpec(
            symbol=symbol,
            base=str(entry["baseAsset"]),
            status=str(entry["status"]),
            price_precision=int(entry["pricePrecision"]),
            quantity_precision=int(entry["quantityPrecision"]),
            tick_size=str(price["tickSize"]),
            min_price=str(price["minPrice"]),
            max_price=str(price["maxPrice"]),
            step_size=str(lot["stepSize"]),
            max_qty=str(lot["maxQty"]),
            market_max_qty=str(market_lot["maxQty"]),
            min_notional=str(filters["MIN_NOTIONAL"]["notional"]),
            multiplier_up=str(percent["multiplierUp"]),
            multiplier_down=str(percent["multiplierDown"]),
            trigger_protect=str(entry["triggerProtect"]),
            liquidation_fee=str(entry["liquidationFee"]),
            onboard_ms=int(entry["onboardDate"]),
            risk_control_filter="POSITION_RISK_CONTROL" in filters,
            brackets=BRACKETS.get(symbol, DEFAULT_BRACKETS),
            permission_sets=tuple(str(p) for p in entry.get("permissionSets", ())),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise SpecError(f"unreadable exchangeInfo entry {entry.get('symbol')!r}: {exc!r}") from None


def trading_usdc_perpetuals(info: dict[str, Any]) -> tuple[dict[str, MarketSpec], dict[str, str]]:
    """(specs of the USDC perpetuals with status TRADING, unreadable entries and why)."""
    specs: dict[str, MarketSpec] = {}
    bad: dict[str, str] = {}
    for entry in info.get("symbols", []):
        if not isinstance(entry, dict) or not is_usdc_perpetual(entry) or entry.get("status") != "TRADING":
            continue
        try:
            spec = spec_from_entry(entry)
        except SpecError as exc:
            bad[str(entry.get("symbol"))] = str(exc)
            continue
        specs[spec.symbol] = spec
    return specs, bad
