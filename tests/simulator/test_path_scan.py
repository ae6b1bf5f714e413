"""The intrabar path rule and the trigger scan, checked against brute force (every millisecond)."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulator.candles import CandleSeries
from simulator.engine.scan import Level, Trail, _Walker, path_range, price_at_time, scan
from simulator.markets import MARKETS
from simulator.path import partial, price_at, waypoints

T0 = 1_700_000_040_000


def make_series(candles: list[tuple[float, float, float, float]]) -> CandleSeries:
    arr = np.array(candles, dtype=float)
    t = T0 + 60_000 * np.arange(len(candles), dtype=np.int64)
    return CandleSeries(
        spec=MARKETS["BTCUSDC"],
        t=t,
        o=arr[:, 0].copy(),
        h=arr[:, 1].copy(),
        low=arr[:, 2].copy(),
        c=arr[:, 3].copy(),
        v=np.ones(len(candles)),
    )


def test_green_candle_goes_open_low_high_close_and_red_open_high_low_close() -> None:
    assert waypoints(100, 110, 90, 105) == (100, 90, 110, 105)
    assert waypoints(100, 110, 90, 100) == (100, 90, 110, 100)  # flat counts as green
    assert waypoints(100, 110, 90, 95) == (100, 110, 90, 95)
    assert price_at(100, 110, 90, 105, 0) == 100
    assert price_at(100, 110, 90, 105, 10_000) == 95
    assert price_at(100, 110, 90, 105, 20_000) == 90
    assert price_at(100, 110, 90, 105, 30_000) == 100
    assert price_at(100, 110, 90, 105, 59_999) == pytest.approx(105, abs=0.001)


@given(st.floats(1, 1000), st.floats(0, 0.2), st.floats(0, 0.2), st.floats(-1, 1), st.integers(0, 60_000))
def test_forming_candle_never_shows_the_future(o: float, up: float, down: float, mix: float, off: int) -> None:
    h, low = o * (1 + up), o * (1 - down)
    c = low + (h - low) * (mix + 1) / 2
    po, ph, pl, pc = partial(o, h, low, c, off)
    assert po == o and low - 1e-9 <= pl <= pc <= ph <= h + 1e-9
    if off < 20_000:  # the first segment has not reached its extreme yet
        assert (ph < h or h == max(o, pc)) and (pl > low or low == min(o, pc))


def test_price_between_candles_and_at_boundaries() -> None:
    series = make_series([(100, 110, 90, 105), (107, 108, 100, 101)])
    assert price_at_time(series, T0 - 1) is None
    assert price_at_time(series, T0) == 100
    assert price_at_time(series, T0 + 60_000) == 107  # the new candle's open at the boundary
    assert price_at_time(series, T0 + 10 * 60_000) == 101  # after the data: last close
    assert path_range(series, T0, T0 + 120_000) == (90, 110)


def brute_force(series: CandleSeries, a: int, b: int, levels: list[Level], trails: list[Trail]) -> tuple[int, set]:
    """First ms in [a, b] at which a level or trail condition holds, sampling every millisecond."""
    times = np.arange(a, b + 1, dtype=np.int64)
    idx = np.searchsorted(series.t, times, side="right") - 1
    off = times - series.t[idx]
    k = np.minimum(off // 20_000, 2)
    frac = (off - k * 20_000) / 20_000.0
    way = np.array(
        [waypoints(*map(float, (series.o[i], series.h[i], series.low[i], series.c[i]))) for i in range(len(series))]
    )
    p = way[idx, k] + (way[idx, k + 1] - way[idx, k]) * frac
    hits = np.zeros((len(levels) + len(trails), len(times)), dtype=bool)
    for n, lv in enumerate(levels):
        hits[n] = p >= lv.price if lv.up else p <= lv.price
    for m, tr in enumerate(trails):
        ext = (
            np.minimum.accumulate(np.minimum(p, tr.extreme))
            if tr.up
            else np.maximum.accumulate(np.maximum(p, tr.extreme))
        )
        hits[len(levels) + m] = p >= tr.level(ext) - 1e-9 if tr.up else p <= tr.level(ext) + 1e-9
    first = [int(times[np.argmax(row)]) if row.any() else None for row in hits]
    found = [f for f in first if f is not None]
    if not found:
        return -1, set()
    best = min(found)
    keys = [lv.key for lv in levels] + [tr.key for tr in trails]
    return best, {keys[n] for n, f in enumerate(first) if f is not None and f <= best + 1}


candle = st.tuples(st.floats(95, 105), st.floats(0, 4), st.floats(0, 4), st.floats(0, 1)).map(
    lambda x: (x[0], x[0] + x[1], x[0] - x[2], x[0] - x[2] + (x[1] + x[2]) * x[3])
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(candle, min_size=1, max_size=3),
    st.lists(st.tuples(st.floats(92, 108), st.booleans()), max_size=3),
    st.integers(0, 59_999),
    st.one_of(st.none(), st.tuples(st.booleans(), st.floats(0.002, 0.03))),
)
def test_scan_matches_brute_force(candles: list, raw_levels: list, start_off: int, trail: tuple | None) -> None:
    series = make_series(candles)
    a = T0 + start_off
    b = T0 + 60_000 * len(candles)
    p_a = price_at_time(series, a)
    levels = [Level(price, up, ("lv", n)) for n, (price, up) in enumerate(raw_levels)]
    trails = [Trail(trail[0], trail[1], p_a, ("tr", 0))] if trail else []
    expected_time, expected_keys = brute_force(series, a, b, levels, trails)
    hit = scan(series, a, b, levels, trails)
    if expected_time < 0:
        assert hit is None
        return
    assert hit is not None
    assert abs(hit.time - expected_time) <= 1
    assert {key for key, _ in hit.fired} <= expected_keys
    assert hit.fired


def walk_reference(series: CandleSeries, a: int, b: int, levels: list[Level], trails: list[Trail]) -> int | None:
    """Every candle walked segment by segment (no numpy fast path)."""
    walker = _Walker(levels, trails, [t.extreme for t in trails])
    i = series.index_at(a)
    hit = walker.candle(series, i, a - int(series.t[i]), b)
    j = i + 1
    while hit is None and j < len(series) and int(series.t[j]) <= b:
        tj = int(series.t[j])
        hit = walker.segment(float(series.c[j - 1]), float(series.o[j]), tj, tj) or walker.candle(series, j, 0, b)
        j += 1
    return hit.time if hit else None


@pytest.mark.parametrize("seed", range(6))
def test_fast_path_over_long_runs_finds_the_same_first_hit(seed: int) -> None:
    rng = np.random.default_rng(seed)
    closes = 100 * np.exp(np.cumsum(rng.normal(0, 0.002, 3000)))
    opens = np.r_[closes[0], closes[:-1]]
    highs = np.maximum(opens, closes) * (1 + np.abs(rng.normal(0, 0.001, 3000)))
    lows = np.minimum(opens, closes) * (1 - np.abs(rng.normal(0, 0.001, 3000)))
    series = make_series(list(zip(opens, highs, lows, closes, strict=True)))
    a, b = T0 + 1234, T0 + 3000 * 60_000
    levels = [Level(float(closes.max() * 0.999), True, "up"), Level(float(closes.min() * 1.001), False, "down")]
    trails = [Trail(False, 0.05, float(opens[0]), "trail")]
    hit = scan(series, a, b, levels, trails)
    assert hit is not None and hit.time == walk_reference(series, a, b, levels, trails)
    assert scan(series, a, b, [Level(1e9, True, "never")], []) is None
