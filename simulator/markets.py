"""Built-in table of the USDC-margined perpetuals: filters, precisions and leverage brackets.

The values are the real ones of Binance's ``GET /fapi/v1/exchangeInfo`` of 2025-12-24 and of the
leverage tiers of 26 symbols (``../shared/data/exchange/``), carried as source so the simulator needs no
data file. Symbols without published tiers get :data:`DEFAULT_BRACKETS` (the 50x table that most small
USDC perpetuals share). :func:`synthesize_market` invents a plausible market for a base that has no USDC
perpetual (ETC, LAYER, XLM, XMR in the shared data), deriving tick and step from the price level.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import Decimal

# symbol status(T=TRADING,P=PENDING_TRADING) pricePrecision quantityPrecision tickSize minPrice("=" tick)
# maxPrice stepSize(=minQty) maxQty marketMaxQty minNotional multiplierUp multiplierDown triggerProtect
# liquidationFee onboardDate(s) hasPositionRiskControlFilter
_SYMBOLS = """
BTCUSDC T 1 3 0.1 = 500000 0.001 800 100 100 1.0500 0.9500 0.1500 0.012500 1704285000 1
ETHUSDC T 2 3 0.01 = 100000 0.001 8000 1600 20 1.0500 0.9500 0.1500 0.012500 1704285300 1
BNBUSDC T 3 2 0.010 = 100000 0.01 80000 1600 5 1.0500 0.9500 0.1500 0.015000 1704285600 1
XRPUSDC T 4 1 0.0001 = 100000 0.1 8000000 1600000 5 1.0500 0.9500 0.1500 0.012500 1704286200 1
SOLUSDC T 4 2 0.0100 0.1000 100000 0.01 800000 4000 5 1.0500 0.9500 0.1500 0.015000 1704285900 1
DOGEUSDC T 6 0 0.000010 = 200 1 50000000 3000000 5 1.0500 0.9500 0.1500 0.010000 1705572000 1
SUIUSDC T 6 1 0.000100 = 20000 0.1 10000000 2000000 5 1.0500 0.9500 0.1500 0.015000 1707375600 1
LINKUSDC T 3 2 0.001 = 2000 0.01 100000 10000 5 1.0500 0.9500 0.1000 0.015000 1708072200 1
ORDIUSDC T 6 1 0.001000 = 2000 0.1 100000 500 5 1.0500 0.9500 0.1500 0.015000 1708585200 1
1000PEPEUSDC T 7 0 0.0000001 = 200 1 800000000 100000000 5 1.0500 0.9500 0.1500 0.015000 1709800200 1
WLDUSDC T 7 1 0.0001000 = 200 0.1 1000000 10000 5 1.0500 0.9500 0.1500 0.015000 1710399600 1
AVAXUSDC T 6 2 0.001000 = 2000 0.01 100000 1000 5 1.0500 0.9500 0.1000 0.015000 1710918000 1
1000SHIBUSDC T 7 0 0.0000010 = 2000 1 800000000 30000000 5 1.0500 0.9500 0.1000 0.015000 1711609200 1
BCHUSDC T 2 3 0.01 = 100000 0.001 10000 850 5 1.0500 0.9500 0.0500 0.015000 1712214000 1
WIFUSDC T 7 1 0.0001000 = 1000 0.1 1000000 50000 5 1.0500 0.9500 0.1500 0.015000 1712214900 1
NEARUSDC T 4 0 0.0010 = 2000 1 10000000 24000 5 1.0500 0.9500 0.1000 0.010000 1712819700 1
LTCUSDC T 2 3 0.01 = 100000 0.001 10000 5000 5 1.0500 0.9500 0.0500 0.015000 1712818800 1
ARBUSDC T 6 1 0.000100 = 20000 0.1 1000000 200000 5 1.0500 0.9500 0.1500 0.015000 1713423600 1
NEOUSDC T 3 2 0.001 = 100000 0.01 100000 10000 5 1.0500 0.9500 0.0500 0.015000 1713424500 1
FILUSDC T 7 1 0.0010000 = 100000 0.1 10000000 7500 5 1.0500 0.9500 0.1000 0.015000 1713425400 1
BOMEUSDC T 7 0 0.0000001 = 200 1 200000000 1000000 5 1.0500 0.9500 0.1500 0.015000 1714028400 1
TIAUSDC T 7 0 0.0001000 = 200 1 1000000 25000 5 1.0500 0.9500 0.1500 0.015000 1714029300 1
ETHFIUSDC T 7 1 0.0001000 = 2000 0.1 1000000 30000 5 1.0500 0.9500 0.1500 0.015000 1714634100 1
ENAUSDC T 7 0 0.0001000 = 200 1 1000000 100000 5 1.0500 0.9500 0.1500 0.015000 1714633200 1
1000BONKUSDC T 7 0 0.0000010 = 200 1 10000000 100000 5 1.0500 0.9500 0.1500 0.015000 1714633200 1
CRVUSDC T 7 1 0.0001000 = 200 0.1 3000000 200000 5 1.0500 0.9500 0.1000 0.020000 1720076400 1
KAITOUSDC T 6 1 0.000100 = 200 0.1 500000 50000 5 1.0500 0.9500 0.1500 0.015000 1741168800 1
HBARUSDC T 7 0 0.0000100 = 200 1 4000000 400000 5 1.0500 0.9500 0.1500 0.015000 1741342500 1
PNUTUSDC T 7 0 0.0000100 = 200 1 5000000 500000 5 1.0500 0.9500 0.1500 0.015000 1741341600 1
ADAUSDC T 6 1 0.000100 = 200 0.1 1000000 100000 5 1.0500 0.9500 0.1500 0.015000 1741256100 1
TRUMPUSDC T 6 2 0.001000 = 20000 0.01 70000 7000 5 1.0500 0.9500 0.1500 0.015000 1741255200 1
IPUSDC T 6 1 0.001000 = 2000 0.1 200000 20000 5 1.0500 0.9500 0.1500 0.015000 1741169700 1
AAVEUSDC T 3 1 0.010 = 40000 0.1 10000 1000 5 1.0500 0.9500 0.1000 0.015000 1750062600 0
UNIUSDC T 4 0 0.0010 = 3000 1 300000 30000 5 1.0500 0.9500 0.1000 0.015000 1750063500 0
PENGUUSDC T 7 0 0.0000010 = 200 1 50000000 5000000 5 1.0500 0.9500 0.1500 0.015000 1753255800 0
BIOUSDC P 7 0 0.0000100 = 200 1 5000000 500000 5 1.1500 0.8500 0.1500 0.015000 1756106100 1
WLFIUSDC T 7 0 0.0001000 = 200 1 5000000 500000 5 1.0500 0.9500 0.1500 0.015000 1757320200 1
ZECUSDC T 2 3 0.01 = 100000 0.001 2000 200 5 1.1500 0.8500 0.1500 0.015000 1763548200 1
"""

_PERMISSION_EXCEPTIONS = {"BIOUSDC": ("GRID", "COPY"), "ZECUSDC": ("GRID", "COPY", "DCA", "PSB")}

# Leverage brackets: notionalCap:initialLeverage:maintMarginRatio per tier (floor = previous cap; the
# maintenance amount "cum" is derived exactly, as Binance defines it). Indented lines continue a symbol.
_BRACKETS = """
1000BONKUSDC 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1
    4000000:4:0.125 6000000:2:0.25 10000000:1:0.5
1000PEPEUSDC 5000:50:0.015 10000:25:0.02 50000:20:0.025 1200000:10:0.05 3000000:5:0.1
    3600000:4:0.125 9000000:2:0.25 15000000:1:0.5
1000SHIBUSDC 5000:50:0.0065 25000:40:0.0075 150000:25:0.01 600000:20:0.025 1500000:10:0.05
    3000000:5:0.1 5000000:4:0.125 9000000:2:0.25 30000000:1:0.5
ARBUSDC 5000:50:0.006 50000:25:0.01 600000:20:0.025 1200000:10:0.05 3000000:5:0.1 5000000:4:0.125
    12000000:2:0.25 20000000:1:0.5
AVAXUSDC 5000:75:0.005 10000:50:0.0065 25000:40:0.0075 50000:25:0.01 250000:20:0.025 1000000:10:0.05
    2000000:5:0.1 5000000:4:0.125 20000000:2:0.25 50000000:1:0.5
BCHUSDC 5000:75:0.005 10000:50:0.0065 50000:40:0.01 500000:25:0.02 2000000:10:0.05 4000000:5:0.1
    8000000:4:0.125 15000000:3:0.15 20000000:2:0.25 50000000:1:0.5
BNBUSDC 5000:75:0.005 10000:50:0.006 50000:40:0.01 250000:25:0.02 1000000:10:0.05 5000000:5:0.1
    10000000:4:0.125 20000000:3:0.15 30000000:2:0.25 50000000:1:0.5
BOMEUSDC 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1 4000000:4:0.125
    6000000:2:0.25 10000000:1:0.5
BTCUSDC 50000:125:0.004 500000:100:0.005 10000000:50:0.01 80000000:20:0.025 150000000:10:0.05
    300000000:5:0.1 450000000:4:0.125 600000000:3:0.15 800000000:2:0.25 1000000000:1:0.5
CRVUSDC 50000:25:0.01 150000:20:0.025 250000:10:0.05 500000:5:0.1 1000000:4:0.125 3000000:2:0.25
    5000000:1:0.5
DOGEUSDC 5000:75:0.005 10000:50:0.006 50000:40:0.007 750000:25:0.01 1100000:20:0.025 2200000:10:0.05
    5600000:5:0.1 7000000:4:0.125 18000000:2:0.25 30000000:1:0.5
ENAUSDC 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1 4000000:4:0.125
    6000000:2:0.25 10000000:1:0.5
ETHUSDC 50000:125:0.004 500000:100:0.005 1000000:75:0.0065 5000000:50:0.01 50000000:20:0.02
    100000000:10:0.05 150000000:5:0.1 300000000:4:0.125 400000000:3:0.15 500000000:2:0.25
    800000000:1:0.5
ETHFIUSDC 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1 4000000:4:0.125
    6000000:2:0.25 10000000:1:0.5
FILUSDC 50000:75:0.006 250000:40:0.01 600000:20:0.02 1200000:10:0.05 3000000:5:0.1 6000000:4:0.125
    10000000:3:0.165 20000000:2:0.25 30000000:1:0.5
LINKUSDC 5000:75:0.005 10000:50:0.006 50000:40:0.01 250000:25:0.02 1000000:10:0.05 5000000:5:0.1
    10000000:4:0.125 20000000:3:0.15 30000000:2:0.25 50000000:1:0.5
LTCUSDC 5000:75:0.005 10000:50:0.006 50000:40:0.01 750000:25:0.02 3000000:10:0.05 10000000:5:0.1
    12000000:4:0.125 20000000:3:0.15 30000000:2:0.25 50000000:1:0.5
NEARUSDC 10000:50:0.015 250000:20:0.025 750000:15:0.03 1500000:10:0.05 4000000:5:0.1 5000000:4:0.125
    12000000:2:0.25 20000000:1:0.5
NEOUSDC 5000:50:0.006 50000:25:0.01 400000:20:0.025 800000:10:0.05 2000000:5:0.1 5000000:4:0.125
    12000000:2:0.25 20000000:1:0.5
ORDIUSDC 5000:75:0.0065 75000:50:0.01 150000:40:0.015 300000:25:0.02 1000000:20:0.025
    3000000:10:0.05 6000000:5:0.1 10000000:4:0.125 20000000:2:0.25 30000000:1:0.5
SOLUSDC 10000:100:0.005 50000:75:0.0065 200000:50:0.01 500000:40:0.012 1000000:25:0.02
    2000000:20:0.025 5000000:10:0.05 15000000:5:0.1 20000000:4:0.125 50000000:2:0.25 100000000:1:0.5
SUIUSDC 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1 4000000:4:0.125
    6000000:2:0.25 10000000:1:0.5
TIAUSDC 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1 4000000:4:0.125
    6000000:2:0.25 10000000:1:0.5
WIFUSDC 5000:50:0.015 25000:25:0.02 80000:20:0.025 800000:10:0.05 1600000:5:0.1 2000000:4:0.125
    4000000:2:0.25 8000000:1:0.5
WLDUSDC 5000:75:0.006 25000:50:0.01 150000:25:0.02 300000:20:0.025 3000000:10:0.05 6000000:5:0.1
    7500000:4:0.125 15000000:2:0.25 30000000:1:0.5
XRPUSDC 5000:75:0.005 10000:50:0.006 50000:40:0.01 750000:25:0.02 3000000:10:0.05 10000000:5:0.1
    12000000:4:0.125 20000000:3:0.15 30000000:2:0.25 50000000:1:0.5
"""

# The table most small USDC perpetuals share (ENA, SUI, BOME, ETHFI, TIA, 1000BONK): used for symbols
# without published tiers and for synthesized markets.
_DEFAULT_BRACKETS = (
    "DEFAULT 5000:50:0.01 50000:25:0.02 600000:20:0.025 1200000:10:0.05 3000000:5:0.1"
    " 4000000:4:0.125 6000000:2:0.25 10000000:1:0.5"
)


@dataclass(frozen=True, slots=True)
class Bracket:
    """One leverage tier. ``cum`` is Binance's maintenance amount: mm = notional * mmr - cum."""

    bracket: int
    initial_leverage: int
    notional_floor: Decimal
    notional_cap: Decimal
    maint_margin_ratio: Decimal
    cum: Decimal

    def to_binance(self) -> dict[str, object]:
        """The bracket as ``GET /fapi/v1/leverageBracket`` renders it (numbers, not strings)."""
        return {
            "bracket": self.bracket,
            "initialLeverage": self.initial_leverage,
            "notionalCap": _num(self.notional_cap),
            "notionalFloor": _num(self.notional_floor),
            "maintMarginRatio": _num(self.maint_margin_ratio),
            "cum": float(self.cum),
        }


def _num(value: Decimal) -> int | float:
    return int(value) if value == value.to_integral_value() else float(value)


@dataclass(frozen=True, slots=True)
class MarketSpec:
    """Everything the engine and exchangeInfo need to know about one USDC perpetual."""

    symbol: str
    base: str
    status: str
    price_precision: int
    quantity_precision: int
    tick_size: str
    min_price: str
    max_price: str
    step_size: str
    max_qty: str
    market_max_qty: str
    min_notional: str
    multiplier_up: str
    multiplier_down: str
    trigger_protect: str
    liquidation_fee: str
    onboard_ms: int
    risk_control_filter: bool
    brackets: tuple[Bracket, ...]
    permission_sets: tuple[str, ...] = ("GRID", "COPY", "DCA")
    synthesized: bool = False
    # derived floats for the hot path (validation always uses the exact strings)
    tick: float = field(init=False)
    step: float = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "tick", float(self.tick_size))
        object.__setattr__(self, "step", float(self.step_size))

    @property
    def quote(self) -> str:
        return "USDC"

    @property
    def max_leverage(self) -> int:
        return self.brackets[0].initial_leverage

    def bracket_for(self, notional: float) -> Bracket:
        """The tier whose notional range holds ``notional`` (the last tier beyond the caps)."""
        for bracket in self.brackets:
            if notional <= float(bracket.notional_cap):
                return bracket
        return self.brackets[-1]

    def max_notional_for_leverage(self, leverage: int) -> Decimal:
        """Largest position notional allowed at ``leverage`` (Binance's ``maxNotionalValue``)."""
        cap = Decimal(0)
        for bracket in self.brackets:
            if bracket.initial_leverage >= leverage:
                cap = bracket.notional_cap
        return cap


def _parse_brackets(line: str) -> tuple[str, tuple[Bracket, ...]]:
    name, *tiers = line.split()
    brackets: list[Bracket] = []
    floor = Decimal(0)
    previous_mmr = Decimal(0)
    cum = Decimal(0)
    for index, tier in enumerate(tiers, start=1):
        cap_text, leverage_text, mmr_text = tier.split(":")
        cap, mmr = Decimal(cap_text), Decimal(mmr_text)
        cum += floor * (mmr - previous_mmr)
        brackets.append(Bracket(index, int(leverage_text), floor, cap, mmr, cum))
        floor, previous_mmr = cap, mmr
    return name, tuple(brackets)


def _load_brackets() -> dict[str, tuple[Bracket, ...]]:
    joined: list[str] = []
    for raw in _BRACKETS.splitlines():
        if not raw.strip():
            continue
        if raw.startswith(" "):
            joined[-1] += " " + raw.strip()
        else:
            joined.append(raw.strip())
    return dict(_parse_brackets(line) for line in joined)


_, DEFAULT_BRACKETS = _parse_brackets(_DEFAULT_BRACKETS)
BRACKETS: dict[str, tuple[Bracket, ...]] = _load_brackets()


def _load_markets() -> dict[str, MarketSpec]:
    markets: dict[str, MarketSpec] = {}
    for line in _SYMBOLS.strip().splitlines():
        (
            symbol,
            status,
            pp,
            qp,
            tick,
            min_price,
            max_price,
            step,
            max_qty,
            mkt_max,
            notional,
            up,
            down,
            protect,
            liq_fee,
            onboard_s,
            risk,
        ) = line.split()
        markets[symbol] = MarketSpec(
            symbol=symbol,
            base=symbol[: -len("USDC")],
            status={"T": "TRADING", "P": "PENDING_TRADING"}[status],
            price_precision=int(pp),
            quantity_precision=int(qp),
            tick_size=tick,
            min_price=tick if min_price == "=" else min_price,
            max_price=max_price,
            step_size=step,
            max_qty=max_qty,
            market_max_qty=mkt_max,
            min_notional=notional,
            multiplier_up=up,
            multiplier_down=down,
            trigger_protect=protect,
            liquidation_fee=liq_fee,
            onboard_ms=int(onboard_s) * 1000,
            risk_control_filter=risk == "1",
            brackets=BRACKETS.get(symbol, DEFAULT_BRACKETS),
            permission_sets=_PERMISSION_EXCEPTIONS.get(symbol, ("GRID", "COPY", "DCA")),
        )
    return markets


MARKETS: dict[str, MarketSpec] = _load_markets()


def _decimals_text(exponent: int) -> str:
    """``10**exponent`` as Binance writes it ("0.001", "1", "10")."""
    return format(Decimal(1).scaleb(exponent), "f")


def synthesize_market(base: str, price: float, onboard_ms: int = 1_700_000_000_000) -> MarketSpec:
    """A plausible USDC perpetual for ``base`` trading around ``price``.

    Rules (documented in the README): tick = 10^(floor(log10(price)) - 4), about 4-5 significant digits
    like Binance's own listings; step = 10^(floor(log10(5 / price)) - 1) clamped to [0.001, 1], so the
    5 USDC min notional is tens of steps (as on the USDT twins); maxQty = 10^round(log10(5e6 / price)) and
    the market-order cap a tenth of it; PERCENT_PRICE 1.05/0.95; the default 50x bracket table.
    """
    if price <= 0 or not math.isfinite(price):
        raise ValueError(f"cannot synthesize a market for {base} at price {price}")
    tick_exp = math.floor(math.log10(price)) - 4
    step_exp = min(0, max(-3, math.floor(math.log10(5.0 / price)) - 1))
    max_exp = max(step_exp + 3, round(math.log10(5e6 / price)))
    price_decimals = max(0, -tick_exp)
    tick = _decimals_text(tick_exp)
    return MarketSpec(
        symbol=f"{base}USDC",
        base=base,
        status="TRADING",
        price_precision=price_decimals,
        quantity_precision=max(0, -step_exp),
        tick_size=tick,
        min_price=tick,
        max_price=_decimals_text(max(3, math.ceil(math.log10(price)) + 3)),
        step_size=_decimals_text(step_exp),
        max_qty=_decimals_text(max_exp),
        market_max_qty=_decimals_text(max_exp - 1),
        min_notional="5",
        multiplier_up="1.0500",
        multiplier_down="0.9500",
        trigger_protect="0.1500",
        liquidation_fee="0.015000",
        onboard_ms=onboard_ms,
        risk_control_filter=True,
        brackets=DEFAULT_BRACKETS,
        synthesized=True,
    )
