"""Find the first moment the replayed path reaches any of a symbol's trigger levels.

This is what makes a month of 16 symbols replay fast: a symbol with no live levels costs nothing;
otherwise numpy compares whole runs of candle highs/lows with the nearest levels (chunks growing 4x),
and only a flagged candle is walked segment by segment (see :mod:`simulator.path`) to find the exact
millisecond and which levels fire together. Pure functions: no state is changed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from simulator.candles import CandleSeries
from simulator.path import CANDLE_MS, SEGMENT_MS, price_at, waypoints


@dataclass(slots=True)
class Level:
    """Fires when the price reaches ``price`` from below (``up``) or from above (not ``up``)."""

    price: float
    up: bool
    key: object


@dataclass(slots=True)
class Trail:
    """A trailing stop: fires when the price retraces ``rate`` from its extreme since activation.

    ``up`` (a BUY trailing stop) fires when price >= extreme * (1 + rate), the extreme being the lowest
    price seen; a SELL one when price <= extreme * (1 - rate) with the highest price seen.
    """

    up: bool
    rate: float
    extreme: float
    key: object

    def level(self, extreme: float) -> float:
        return extreme * (1.0 + self.rate) if self.up else extreme * (1.0 - self.rate)


@dataclass(slots=True)
class Hit:
    """The earliest time any level fires, with every (key, reference price) firing at that instant.

    The reference price is the level itself for a crossing inside a segment, or the price after the jump
    for a gap (a candle opening beyond the level) or a level that is already crossed at the start.
    """

    time: int
    fired: list[tuple[object, float]]


def price_at_time(series: CandleSeries, ts: int) -> float | None:
    """Path price at ``ts``; the last close in a data gap or after the end; None before the data."""
    i = series.index_at(ts)
    if i < 0:
        return None
    off = ts - int(series.t[i])
    if off >= CANDLE_MS:
        return float(series.c[i])
    return price_at(float(series.o[i]), float(series.h[i]), float(series.low[i]), float(series.c[i]), off)


def path_range(series: CandleSeries, a: int, b: int) -> tuple[float, float] | None:
    """(lowest, highest) price on the path during (a, b]."""
    t = series.t
    i = series.index_at(a)
    j = series.index_at(b)
    if j < 0:
        return None
    prices: list[float] = []
    if i >= 0:
        prices.append(_price(series, i, a))
        prices.extend(_inner_waypoints(series, i, a - int(t[i]), b - int(t[i])))
    start = max(i + 1, 0)
    if j >= start:
        if j > start:
            prices.append(float(series.h[start:j].max()))
            prices.append(float(series.low[start:j].min()))
        prices.append(float(series.o[j]))
        prices.extend(_inner_waypoints(series, j, 0, b - int(t[j])))
    prices.append(_price(series, j, b))
    return min(prices), max(prices)


def _price(series: CandleSeries, i: int, ts: int) -> float:
    off = ts - int(series.t[i])
    if off >= CANDLE_MS:
        return float(series.c[i])
    return price_at(float(series.o[i]), float(series.h[i]), float(series.low[i]), float(series.c[i]), off)


def _inner_waypoints(series: CandleSeries, i: int, off_a: int, off_b: int) -> list[float]:
    w = waypoints(float(series.o[i]), float(series.h[i]), float(series.low[i]), float(series.c[i]))
    return [w[k] for k in (1, 2, 3) if off_a < k * SEGMENT_MS <= off_b]


def advance_extremes(series: CandleSeries, trails: list[Trail], a: int, b: int) -> None:
    """Fold the path during (a, b] into every trail's extreme (in place)."""
    if not trails or b <= a:
        return
    rng = path_range(series, a, b)
    if rng is None:
        return
    low, high = rng
    for trail in trails:
        trail.extreme = min(trail.extreme, low) if trail.up else max(trail.extreme, high)


def _crossing_time(ps: float, pe: float, ts: int, te: int, level: float) -> int:
    frac = (level - ps) / (pe - ps)
    return min(te, max(ts + 1, ts + math.ceil(frac * (te - ts) - 1e-9)))


class _Walker:
    """Segment-by-segment evaluation of levels and trails over one candle or gap."""

    def __init__(self, levels: list[Level], trails: list[Trail], extremes: list[float]) -> None:
        self.levels = levels
        self.trails = trails
        self.extremes = extremes

    def segment(self, ps: float, pe: float, ts: int, te: int) -> Hit | None:
        """Movement from ps (at ts) to pe (at te); te == ts is a gap (an instantaneous jump)."""
        best: int | None = None
        fired: list[tuple[object, float]] = []
        gap = te == ts
        for level in self.levels:
            lp = level.price
            if (level.up and ps < lp <= pe) or (not level.up and pe <= lp < ps):
                when = te if gap else _crossing_time(ps, pe, ts, te, lp)
                best, fired = _merge(best, fired, when, (level.key, pe if gap else lp))
        for k, trail in enumerate(self.trails):
            ext = min(self.extremes[k], ps) if trail.up else max(self.extremes[k], ps)
            lp = trail.level(ext)
            if (trail.up and pe > ps and ps < lp <= pe) or (not trail.up and pe < ps and pe <= lp < ps):
                when = te if gap else _crossing_time(ps, pe, ts, te, lp)
                best, fired = _merge(best, fired, when, (trail.key, pe if gap else lp))
            self.extremes[k] = min(ext, pe) if trail.up else max(ext, pe)
        return Hit(best, fired) if best is not None else None

    def candle(self, series: CandleSeries, i: int, off_a: int, b: int) -> Hit | None:
        t0 = int(series.t[i])
        w = waypoints(float(series.o[i]), float(series.h[i]), float(series.low[i]), float(series.c[i]))
        end = min(b, t0 + CANDLE_MS)
        for k in range(3):
            s0, s1 = t0 + k * SEGMENT_MS, t0 + (k + 1) * SEGMENT_MS
            ts, te = max(s0, t0 + off_a), min(s1, end)
            if te <= ts:
                continue
            ps = w[k] + (w[k + 1] - w[k]) * ((ts - s0) / SEGMENT_MS)
            pe = w[k] + (w[k + 1] - w[k]) * ((te - s0) / SEGMENT_MS)
            hit = self.segment(ps, pe, ts, te)
            if hit:
                return hit
        return None


def _merge(best: int | None, fired: list[tuple[object, float]], when: int, item: tuple[object, float]):
    if best is None or when < best:
        return when, [item]
    if when == best:
        fired.append(item)
    return best, fired


def _initial(levels: list[Level], trails: list[Trail], p: float, a: int) -> Hit | None:
    fired: list[tuple[object, float]] = [
        (lv.key, p) for lv in levels if (lv.up and p >= lv.price) or (not lv.up and p <= lv.price)
    ]
    for trail in trails:
        lp = trail.level(trail.extreme)
        if (trail.up and p >= lp) or (not trail.up and p <= lp):
            fired.append((trail.key, p))
    return Hit(a, fired) if fired else None


def scan(series: CandleSeries, a: int, b: int, levels: list[Level], trails: list[Trail]) -> Hit | None:
    """First time in [a, b] (a only for a level already crossed at ``a``) a level or trail fires."""
    n = len(series)
    if n == 0 or b < a or (not levels and not trails):
        return None
    t, h, low, c = series.t, series.h, series.low, series.c
    i = series.index_at(a)
    if i < 0:
        if b < int(t[0]):
            return None
        i, a = 0, int(t[0])
    p = _price(series, i, a)
    hit = _initial(levels, trails, p, a)
    if hit:
        return hit
    extremes = [tr.extreme for tr in trails]
    walker = _Walker(levels, trails, extremes)
    off = a - int(t[i])
    if off < CANDLE_MS:
        hit = walker.candle(series, i, off, b)
        if hit:
            return hit
    last = series.index_at(b)
    up_min = min((lv.price for lv in levels if lv.up), default=math.inf)
    down_max = max((lv.price for lv in levels if not lv.up), default=-math.inf)
    j = i + 1
    size = 32
    while j <= last:
        end = min(last + 1, j + size)
        size *= 4
        hh, ll = h[j:end], low[j:end]
        mask = (hh >= up_min) | (ll <= down_max)
        for k, trail in enumerate(trails):
            if trail.up:
                run = np.minimum(np.minimum.accumulate(ll), extremes[k])
                mask |= hh >= run * (1.0 + trail.rate)
            else:
                run = np.maximum(np.maximum.accumulate(hh), extremes[k])
                mask |= ll <= run * (1.0 - trail.rate)
        if not mask.any():
            _fold(extremes, trails, hh, ll)
            j = end
            continue
        jf = j + int(np.argmax(mask))
        _fold(extremes, trails, h[j:jf], low[j:jf])
        tj = int(t[jf])
        hit = walker.segment(float(c[jf - 1]), float(series.o[jf]), tj, tj)
        if hit:
            return hit
        hit = walker.candle(series, jf, 0, b)
        if hit:
            return hit
        j = jf + 1
        size = 32
    return None


def _fold(extremes: list[float], trails: list[Trail], hh: np.ndarray, ll: np.ndarray) -> None:
    if len(hh) == 0:
        return
    for k, trail in enumerate(trails):
        extremes[k] = min(extremes[k], float(ll.min())) if trail.up else max(extremes[k], float(hh.max()))
