"""Small hand-made markets for engine tests (prices chosen so every path step is easy to follow)."""

from __future__ import annotations

from typing import Any

import numpy as np

from simulator.candles import CandleSeries
from simulator.engine import Engine, EngineConfig, Event
from simulator.markets import MARKETS

T0 = 1_700_000_040_000  # a minute boundary
MIN = 60_000


def series_of(
    candles: list[tuple[float, float, float, float]],
    symbol: str = "SOLUSDC",
    funding: list[tuple[int, float]] | None = None,
) -> CandleSeries:
    arr = np.array(candles, dtype=float)
    t = T0 + MIN * np.arange(len(candles), dtype=np.int64)
    series = CandleSeries(
        spec=MARKETS[symbol],
        t=t,
        o=arr[:, 0].copy(),
        h=arr[:, 1].copy(),
        low=arr[:, 2].copy(),
        c=arr[:, 3].copy(),
        v=np.full(len(candles), 1000.0),
    )
    if funding:
        series.funding_t = np.array([f[0] for f in funding], dtype=np.int64)
        series.funding_r = np.array([f[1] for f in funding], dtype=float)
    return series


def engine_of(
    candles: list[tuple[float, float, float, float]],
    symbol: str = "SOLUSDC",
    start: int = T0,
    funding: list[tuple[int, float]] | None = None,
    **config: Any,
) -> Engine:
    return Engine({symbol: series_of(candles, symbol, funding)}, EngineConfig(**config), start)


def flat(price: float, n: int = 10) -> list[tuple[float, float, float, float]]:
    return [(price, price, price, price)] * n


def kinds(events: list[Event]) -> list[str]:
    """Compact event trail: ORDER_TRADE_UPDATE -> "x/X", ALGO_UPDATE -> "algo:X", others by name."""
    out = []
    for event in events:
        o = event.payload.get("o", {})
        if event.kind == "ORDER_TRADE_UPDATE":
            out.append(f"{o['x']}/{o['X']}")
        elif event.kind == "ALGO_UPDATE":
            out.append(f"algo:{o['X']}")
        elif event.kind == "ACCOUNT_UPDATE":
            out.append(f"account:{event.payload['a']['m']}")
        else:
            out.append(event.kind)
    return out


def market(engine: Engine, side: str, qty: str, symbol: str = "SOLUSDC", **extra: str) -> dict[str, object]:
    return engine.new_order(
        {"symbol": symbol, "side": side, "type": "MARKET", "quantity": qty, "newOrderRespType": "RESULT", **extra}
    )


def algo(
    engine: Engine, side: str, kind: str, trigger: str, symbol: str = "SOLUSDC", **extra: str
) -> dict[str, object]:
    return engine.new_algo_order(
        {"algoType": "CONDITIONAL", "symbol": symbol, "side": side, "type": kind, "triggerPrice": trigger, **extra}
    )
