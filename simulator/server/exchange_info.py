"""``GET /fapi/v1/exchangeInfo`` for the simulated symbols, in the shape of the real answer."""

from __future__ import annotations

from simulator.candles import CandleSeries
from simulator.markets import MarketSpec

ORDER_TYPES = ["LIMIT", "MARKET", "STOP", "STOP_MARKET", "TAKE_PROFIT", "TAKE_PROFIT_MARKET", "TRAILING_STOP_MARKET"]
RATE_LIMITS = [
    {"rateLimitType": "REQUEST_WEIGHT", "interval": "MINUTE", "intervalNum": 1, "limit": 6000},
    {"rateLimitType": "ORDERS", "interval": "MINUTE", "intervalNum": 1, "limit": 1200},
    {"rateLimitType": "ORDERS", "interval": "SECOND", "intervalNum": 10, "limit": 300},
]
ASSETS = [
    {"asset": "USDT", "marginAvailable": True, "autoAssetExchange": "-100"},
    {"asset": "BTC", "marginAvailable": True, "autoAssetExchange": "-0.00100000"},
    {"asset": "BNB", "marginAvailable": True, "autoAssetExchange": "-0.00100000"},
    {"asset": "ETH", "marginAvailable": True, "autoAssetExchange": "-0.00100000"},
    {"asset": "USDC", "marginAvailable": True, "autoAssetExchange": "-0.10000000"},
    {"asset": "FDUSD", "marginAvailable": True, "autoAssetExchange": "0"},
    {"asset": "BNFCR", "marginAvailable": True, "autoAssetExchange": "-5000"},
    {"asset": "BFUSD", "marginAvailable": True, "autoAssetExchange": "0"},
]


def symbol_entry(spec: MarketSpec, status: str) -> dict[str, object]:
    """One ``symbols[]`` entry (filters in Binance's order)."""
    filters: list[dict[str, object]] = [
        {
            "maxPrice": spec.max_price,
            "filterType": "PRICE_FILTER",
            "minPrice": spec.min_price,
            "tickSize": spec.tick_size,
        },
        {"stepSize": spec.step_size, "maxQty": spec.max_qty, "filterType": "LOT_SIZE", "minQty": spec.step_size},
        {
            "filterType": "MARKET_LOT_SIZE",
            "minQty": spec.step_size,
            "stepSize": spec.step_size,
            "maxQty": spec.market_max_qty,
        },
        {"filterType": "MAX_NUM_ORDERS", "limit": 200},
        {"notional": spec.min_notional, "filterType": "MIN_NOTIONAL"},
        {
            "multiplierDown": spec.multiplier_down,
            "multiplierUp": spec.multiplier_up,
            "multiplierDecimal": "4",
            "filterType": "PERCENT_PRICE",
        },
    ]
    if spec.risk_control_filter:
        filters.append({"positionControlSide": "NONE", "filterType": "POSITION_RISK_CONTROL"})
    return {
        "symbol": spec.symbol,
        "pair": spec.symbol,
        "contractType": "PERPETUAL",
        "deliveryDate": 4133404800000,
        "onboardDate": spec.onboard_ms,
        "status": status,
        "maintMarginPercent": "2.5000",
        "requiredMarginPercent": "5.0000",
        "baseAsset": spec.base,
        "quoteAsset": "USDC",
        "marginAsset": "USDC",
        "pricePrecision": spec.price_precision,
        "quantityPrecision": spec.quantity_precision,
        "baseAssetPrecision": 8,
        "quotePrecision": 8,
        "underlyingType": "COIN",
        "underlyingSubType": [],
        "triggerProtect": spec.trigger_protect,
        "liquidationFee": spec.liquidation_fee,
        "marketTakeBound": f"{float(spec.trigger_protect):.2f}",
        "maxMoveOrderLimit": 10000,
        "filters": filters,
        "orderTypes": list(ORDER_TYPES),
        "timeInForce": ["GTC", "IOC", "FOK", "GTX", "GTD"],
        "permissionSets": list(spec.permission_sets),
    }


def exchange_info(series: dict[str, CandleSeries], now_ms: int) -> dict[str, object]:
    """The whole answer. A symbol whose replay data starts later than now is ``PENDING_TRADING``."""
    symbols = []
    for symbol in sorted(series):
        data = series[symbol]
        status = data.spec.status if len(data) and data.first_ms <= now_ms else "PENDING_TRADING"
        symbols.append(symbol_entry(data.spec, status))
    return {
        "timezone": "UTC",
        "serverTime": now_ms,
        "futuresType": "U_MARGINED",
        "rateLimits": RATE_LIMITS,
        "exchangeFilters": [],
        "assets": ASSETS,
        "symbols": symbols,
    }
