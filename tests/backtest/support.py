"""Shared helpers of the backtest tests: settings, real data loaded once, perturbed copies of it."""

from __future__ import annotations

from functools import cache
from typing import Any

import numpy as np

from backtest.data import MarketData, load_market_data
from config import Settings, load_settings
from simulator.candles import CandleSeries
from tests.support import KLINES_DIR, require_shared_data

DAY_MS = 86_400_000
MINUTE_MS = 60_000

# Many trades per day (pinned, whatever the tuned profiles say): more to compare, more paths covered.
BUSY: dict[str, Any] = {
    "strategy": {"min_confirmations": 1, "atr_min_pct": 0.05, "atr_max_pct": 1.5, "volume_factor": 1.2,
                 "triggers": ["ema_cross", "macd_cross", "rsi_reversal"],
                 "confirmations": ["trend", "rsi_zone", "macd_momentum", "volume"]},
    "orders": {"stop_loss_pct": 2.0, "take_profit_pct": [0.4, 0.8, 1.2], "take_profit_split": [0.4, 0.3, 0.3],
               "max_hold_min": 10.0},
    "risk": {"daily_loss_limit_pct": 50.0, "max_concurrent_positions": 3, "symbol_cooldown_min": 5.0},
}


def settings(profile: str = "balanced", overrides: dict[str, Any] | None = None) -> Settings:
    layer: dict[str, Any] = {"storage": {"runtime_file": "/nonexistent/runtime.json"}}
    for section, values in (overrides or {}).items():
        layer[section] = dict(values)
    return load_settings(env={}, env_file=None, profile=profile, overrides=layer).settings


@cache
def real_data(symbols: tuple[str, ...] | None = None, synthesize: bool = False) -> MarketData:
    """The shared month (skips the test when absent); cached: tests must not mutate it."""
    require_shared_data()
    return load_market_data(KLINES_DIR, symbols, synthesize_markets=synthesize)


def copy_series(series: CandleSeries) -> CandleSeries:
    copy = CandleSeries(spec=series.spec, t=series.t.copy(), o=series.o.copy(), h=series.h.copy(),
                        low=series.low.copy(), c=series.c.copy(), v=series.v.copy(), source=series.source)
    copy.funding_t, copy.funding_r = series.funding_t.copy(), series.funding_r.copy()
    return copy


def perturbed_after(series: dict[str, CandleSeries], t: int, seed: int) -> dict[str, CandleSeries]:
    """Copies whose candles opening after ``t`` follow another random path (consistent OHLC), with
    other volumes and funding rates."""
    rng = np.random.default_rng(seed)
    out = {}
    for name, original in series.items():
        s = copy_series(original)
        after = s.t > t
        n = int(after.sum())
        if n:
            factor = np.exp(np.cumsum(rng.normal(0.0, 0.003, n)))
            for column in (s.o, s.h, s.low, s.c):
                column[after] *= factor
            s.v[after] *= rng.uniform(0.2, 5.0, n)
        s.funding_r[s.funding_t > t] = rng.normal(0.0, 0.001, int((s.funding_t > t).sum()))
        out[name] = s
    return out
