"""The deterministic intrabar price path of a 1m candle.

Rule (README "Price path"): a candle is three straight segments of 20 s each. A green or flat candle
(close >= open) goes open -> low -> high -> close, a red one open -> high -> low -> close: the
conventional "worst plausible order" that visits the far extreme last. Price is linear in time inside a
segment. At the candle's open time exactly the price *is* the open (the jump from the previous close,
if any, is a zero-duration "gap" at that instant).
"""

from __future__ import annotations

SEGMENT_MS = 20_000
CANDLE_MS = 60_000


def waypoints(o: float, h: float, low: float, c: float) -> tuple[float, float, float, float]:
    """The four corner prices at offsets 0, 20 s, 40 s and 60 s."""
    if c >= o:
        return o, low, h, c
    return o, h, low, c


def price_at(o: float, h: float, low: float, c: float, offset_ms: int) -> float:
    """Path price ``offset_ms`` after the candle's open (0 <= offset < 60 000)."""
    p = waypoints(o, h, low, c)
    k, rem = divmod(offset_ms, SEGMENT_MS)
    if k >= 3:
        return c
    a, b = p[k], p[k + 1]
    return a + (b - a) * (rem / SEGMENT_MS)


def partial(o: float, h: float, low: float, c: float, offset_ms: int) -> tuple[float, float, float, float]:
    """(open, high, low, last) of the part of the path travelled after ``offset_ms``.

    The forming candle a client sees: only the extremes reached so far, never the candle's final ones.
    """
    if offset_ms >= CANDLE_MS:
        return o, h, low, c
    p = waypoints(o, h, low, c)
    last = price_at(o, h, low, c, offset_ms)
    seen = [p[0], last]
    if offset_ms >= SEGMENT_MS:
        seen.append(p[1])
    if offset_ms >= 2 * SEGMENT_MS:
        seen.append(p[2])
    return o, max(seen), min(seen), last


def segments(o: float, h: float, low: float, c: float, t0: int) -> tuple[tuple[int, float, int, float], ...]:
    """The three segments as (start_ms, start_price, end_ms, end_price)."""
    p = waypoints(o, h, low, c)
    return (
        (t0, p[0], t0 + SEGMENT_MS, p[1]),
        (t0 + SEGMENT_MS, p[1], t0 + 2 * SEGMENT_MS, p[2]),
        (t0 + 2 * SEGMENT_MS, p[2], t0 + CANDLE_MS, p[3]),
    )
