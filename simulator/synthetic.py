"""Seeded synthetic 1m candles, so the simulator (and the bot's demo) runs on a machine with no data.

The model, per symbol, on log prices: a random walk whose per-minute volatility follows an AR(1) in log
space (volatility clustering) with an intraday cycle, a slowly varying drift (trends that last hours to
days) and an Ornstein-Uhlenbeck component (short-term mean reversion). Wicks come from the volatility,
volumes rise with the size of the move. Levels and volumes are set per base to look like mid-2025 USDC
perpetuals. Every symbol draws from its own stream seeded by (seed, symbol), so a symbol's path does not
depend on which other symbols are generated.
"""

from __future__ import annotations

import math
import zlib

import numpy as np

from simulator.candles import MINUTE_MS, CandleSeries
from simulator.markets import MARKETS, synthesize_market

DEFAULT_SYMBOLS = (
    "BTCUSDC",
    "ETHUSDC",
    "SOLUSDC",
    "BNBUSDC",
    "XRPUSDC",
    "DOGEUSDC",
    "ADAUSDC",
    "AVAXUSDC",
    "LINKUSDC",
    "LTCUSDC",
    "SUIUSDC",
    "ENAUSDC",
)

# base -> (price level, per-minute volatility, quote volume per minute in USDC)
_PROFILE: dict[str, tuple[float, float, float]] = {
    "BTC": (95000.0, 0.0006, 1_500_000.0),
    "ETH": (1800.0, 0.0009, 600_000.0),
    "SOL": (150.0, 0.0011, 150_000.0),
    "BNB": (600.0, 0.0007, 40_000.0),
    "XRP": (2.2, 0.0011, 80_000.0),
    "DOGE": (0.18, 0.0013, 60_000.0),
    "ADA": (0.72, 0.0012, 30_000.0),
    "AVAX": (20.0, 0.0013, 25_000.0),
    "LINK": (14.0, 0.0012, 25_000.0),
    "LTC": (86.0, 0.0011, 20_000.0),
    "SUI": (3.3, 0.0016, 50_000.0),
    "ENA": (0.29, 0.0018, 30_000.0),
    "BCH": (355.0, 0.0011, 15_000.0),
    "1000PEPE": (0.009, 0.0018, 40_000.0),
    "WLD": (1.0, 0.0017, 15_000.0),
    "NEAR": (2.5, 0.0014, 10_000.0),
    "ARB": (0.35, 0.0015, 10_000.0),
}

FUNDING_INTERVAL_MS = 8 * 3600 * 1000


def _ar1(noise: np.ndarray, phi: float, x0: float = 0.0) -> np.ndarray:
    """x_t = phi * x_{t-1} + noise_t, vectorised block by block (phi^-block stays below e^25)."""
    n = len(noise)
    out = np.empty(n)
    block = max(1, min(4096, int(25.0 / -math.log(phi))))
    x = x0
    for start in range(0, n, block):
        seg = noise[start : start + block]
        powers = phi ** np.arange(1, len(seg) + 1)
        out[start : start + len(seg)] = powers * (x + np.cumsum(seg / powers))
        x = float(out[start + len(seg) - 1])
    return out


def _round_to(values: np.ndarray, step: float) -> np.ndarray:
    return np.round(values / step) * step


def generate_series(symbol: str, start_ms: int, minutes: int, seed: int) -> CandleSeries:
    """``minutes`` synthetic 1m candles of ``symbol`` starting at ``start_ms`` (floored to a minute)."""
    base = symbol[:-4]
    digest = zlib.crc32(symbol.encode())
    rng = np.random.default_rng([seed & 0xFFFFFFFF, digest])
    level, sigma0, quote_volume = _PROFILE.get(base, (float(10 ** rng.uniform(-1, 2.5)), 0.0014, 15_000.0))
    spec = MARKETS.get(symbol) or synthesize_market(base, level)
    start_ms = (start_ms // MINUTE_MS) * MINUTE_MS
    t = start_ms + MINUTE_MS * np.arange(minutes, dtype=np.int64)
    minute_of_day = (t // MINUTE_MS) % 1440
    log_vol = _ar1(rng.normal(0.0, 0.06, minutes), 0.996)
    intraday = 1.0 + 0.35 * np.sin(2 * np.pi * (minute_of_day - 780) / 1440.0)
    sigma = sigma0 * np.exp(log_vol - 0.5 * np.var(log_vol)) * intraday
    drift = _ar1(rng.normal(0.0, sigma0 * 0.0006, minutes), 0.9995)
    shocks = rng.normal(0.0, 1.0, minutes)
    walk = np.cumsum(0.75 * sigma * shocks + drift)
    revert = _ar1(0.6 * sigma * rng.normal(0.0, 1.0, minutes), 0.97)
    log_price = np.log(level) + walk + revert
    tick = spec.tick
    close = np.maximum(_round_to(np.exp(log_price), tick), tick)
    open_ = np.empty(minutes)
    open_[0] = close[0]
    open_[1:] = close[:-1]
    wick_up = np.abs(rng.normal(0.0, 0.6, minutes)) * sigma
    wick_down = np.abs(rng.normal(0.0, 0.6, minutes)) * sigma
    high = np.maximum(_round_to(np.maximum(open_, close) * np.exp(wick_up), tick), np.maximum(open_, close))
    low = np.minimum(_round_to(np.minimum(open_, close) * np.exp(-wick_down), tick), np.minimum(open_, close))
    low = np.maximum(low, tick)
    moves = np.abs(np.diff(np.log(close), prepend=np.log(close[0]))) / sigma0
    volume = quote_volume / close * np.exp(rng.normal(0.0, 0.4, minutes)) * (0.5 + 0.8 * moves)
    volume = np.maximum(_round_to(volume, spec.step), spec.step)
    series = CandleSeries(spec=spec, t=t, o=open_, h=high, low=low, c=close, v=volume, source="synthetic")
    first_funding = -(-start_ms // FUNDING_INTERVAL_MS) * FUNDING_INTERVAL_MS
    funding_t = np.arange(first_funding, int(t[-1]) + MINUTE_MS + 1, FUNDING_INTERVAL_MS, dtype=np.int64)
    rates = []
    for ft in funding_t:
        k = int((ft - start_ms) // MINUTE_MS)
        window = drift[max(0, k - 480) : max(1, k)]
        rates.append(round(float(np.clip(0.0001 + 0.02 * window.mean() / sigma0, -0.003, 0.003)), 8))
    series.funding_t = funding_t
    series.funding_r = np.array(rates, dtype=np.float64)
    return series


def generate(symbols: list[str] | tuple[str, ...], start_ms: int, minutes: int, seed: int) -> dict[str, CandleSeries]:
    """Synthetic series for every symbol (USDC symbols such as ``BTCUSDC``)."""
    return {symbol: generate_series(symbol, start_ms, minutes, seed) for symbol in symbols}
