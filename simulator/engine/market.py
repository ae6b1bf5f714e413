"""Public market data as Binance renders it, computed from the candles up to "now" only.

The forming candle shows the part of its path already travelled (open, high and low so far, last price)
and the volume pro rata of the elapsed time; nothing later than "now" is ever visible.
"""

from __future__ import annotations

from simulator import errors
from simulator.candles import INTERVAL_MINUTES, MINUTE_MS, CandleSeries, aggregate
from simulator.engine.numbers import fixed
from simulator.engine.scan import price_at_time
from simulator.errors import BinanceError
from simulator.path import CANDLE_MS, partial

DAY_MS = 86_400_000


def forming(series: CandleSeries, now: int) -> tuple[int, float, float, float, float, float] | None:
    """The 1m candle forming at ``now`` as (t, o, h, l, c, v), or None in a gap / after the data."""
    i = series.index_at(now)
    if i < 0:
        return None
    t0 = int(series.t[i])
    off = now - t0
    if off >= CANDLE_MS:
        return None
    o, h, low, c = partial(float(series.o[i]), float(series.h[i]), float(series.low[i]), float(series.c[i]), off)
    return t0, o, h, low, c, float(series.v[i]) * off / CANDLE_MS


def interval_minutes(interval: object) -> int:
    if interval in (None, ""):
        raise errors.mandatory("interval")
    minutes = INTERVAL_MINUTES.get(str(interval))
    if minutes is None:
        raise errors.bad_interval()
    return minutes


def _int_param(name: str, value: object) -> int | None:
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise errors.mandatory(name) from None


def kline_rows(
    series: CandleSeries, now: int, interval: object, start: object = None, end: object = None, limit: object = None
) -> list[tuple[int, float, float, float, float, float, int]]:
    """Aggregated candles (t, o, h, l, c, v, minutes) selected like ``GET /fapi/v1/klines``."""
    minutes = interval_minutes(interval)
    width = minutes * MINUTE_MS
    count = _int_param("limit", limit) or 500
    if not 1 <= count <= 1500:
        raise errors.invalid_param("limit")
    start_ms, end_ms = _int_param("startTime", start), _int_param("endTime", end)
    newest = (now // width) * width
    if start_ms is not None and end_ms is not None and start_ms > end_ms:
        raise BinanceError(-1023, "Start time is greater than end time.")
    if start_ms is not None:
        first = -(-start_ms // width) * width
        last = first + (count - 1) * width
        if end_ms is not None:
            last = min(last, (end_ms // width) * width)
    else:
        last = newest if end_ms is None else (end_ms // width) * width
        first = last - (count - 1) * width
    last = min(last, newest)
    if last < first:
        return []
    return aggregate(series, minutes, first, last, now, forming(series, now))


def render_kline(series: CandleSeries, row: tuple, width_ms: int) -> list[object]:
    """One REST kline row (12 fields)."""
    t, o, h, low, c, v, _minutes = row
    spec = series.spec
    pp, qp = spec.price_precision, spec.quantity_precision
    quote = v * (o + h + low + c) / 4.0
    taker_share = 0.5 + (0.25 * (c - o) / (h - low) if h > low else 0.0)
    return [
        t,
        fixed(o, pp),
        fixed(h, pp),
        fixed(low, pp),
        fixed(c, pp),
        fixed(v, qp),
        t + width_ms - 1,
        fixed(quote, 4),
        trade_count(quote),
        fixed(v * taker_share, qp),
        fixed(quote * taker_share, 4),
        "0",
    ]


def render_mark_kline(series: CandleSeries, row: tuple, width_ms: int) -> list[object]:
    t, o, h, low, c, _v, _minutes = row
    pp = series.spec.price_precision
    return [t, fixed(o, pp), fixed(h, pp), fixed(low, pp), fixed(c, pp), "0", t + width_ms - 1, "0", 0, "0", "0", "0"]


def trade_count(quote_volume: float) -> int:
    """A plausible number of trades for a quote volume (one per ~2,000 USDC, at least one)."""
    return max(1, int(quote_volume / 2000.0))


def current_price(series: CandleSeries, now: int) -> float | None:
    return price_at_time(series, now)


def book(series: CandleSeries, now: int) -> tuple[float, float] | None:
    """(bid, ask): the path price floored to the tick, and one tick above (README "Book")."""
    price = price_at_time(series, now)
    if price is None:
        return None
    tick = series.spec.tick
    q = price / tick
    bid_ticks = round(q) if abs(q - round(q)) < 1e-7 else int(q // 1)
    return bid_ticks * tick, (bid_ticks + 1) * tick


def book_ticker(series: CandleSeries, now: int) -> dict[str, object]:
    spec = series.spec
    quotes = book(series, now) or (0.0, 0.0)
    i = max(0, series.index_at(now))
    depth = max(float(spec.step_size), float(series.v[i]) / 20.0) if len(series) else 0.0
    return {
        "symbol": spec.symbol,
        "bidPrice": fixed(quotes[0], spec.price_precision),
        "bidQty": fixed(depth, spec.quantity_precision),
        "askPrice": fixed(quotes[1], spec.price_precision),
        "askQty": fixed(depth * 0.9, spec.quantity_precision),
        "time": now,
        "lastUpdateId": now,
    }


def ticker_24h(series: CandleSeries, now: int) -> dict[str, object]:
    """``GET /fapi/v1/ticker/24hr`` over the 24 h ending now (closed candles plus the forming one)."""
    spec = series.spec
    pp, qp = spec.price_precision, spec.quantity_precision
    rows = aggregate(series, 1, now - DAY_MS, now, now, forming(series, now))
    last = price_at_time(series, now) or 0.0
    if rows:
        opens = rows[0][1]
        high = max(r[2] for r in rows)
        low = min(r[3] for r in rows)
        volume = sum(r[5] for r in rows)
        quote = sum(r[5] * (r[1] + r[2] + r[3] + r[4]) / 4.0 for r in rows)
    else:
        opens = high = low = last
        volume = quote = 0.0
    change = last - opens
    count = sum(trade_count(r[5] * r[4]) for r in rows) if rows else 0
    first_id = max(0, now // 1000 - count)
    return {
        "symbol": spec.symbol,
        "priceChange": fixed(change, pp),
        "priceChangePercent": fixed(100.0 * change / opens if opens else 0.0, 3),
        "weightedAvgPrice": fixed(quote / volume if volume else last, pp),
        "lastPrice": fixed(last, pp),
        "lastQty": spec.step_size,
        "openPrice": fixed(opens, pp),
        "highPrice": fixed(high, pp),
        "lowPrice": fixed(low, pp),
        "volume": fixed(volume, qp),
        "quoteVolume": fixed(quote, 2),
        "openTime": now - DAY_MS,
        "closeTime": now,
        "firstId": first_id,
        "lastId": first_id + count,
        "count": count,
    }


def premium_index(series: CandleSeries, now: int) -> dict[str, object]:
    """``GET /fapi/v1/premiumIndex``: mark = index = the path price (README "Mark price")."""
    spec = series.spec
    price = price_at_time(series, now) or 0.0
    nxt = series.next_funding(now)
    next_time = nxt[0] if nxt else ((now // 28_800_000) + 1) * 28_800_000
    return {
        "symbol": spec.symbol,
        "markPrice": f"{price:.8f}",
        "indexPrice": f"{price:.8f}",
        "estimatedSettlePrice": f"{price:.8f}",
        "lastFundingRate": f"{series.last_funding_rate(now):.8f}",
        "interestRate": "0.00010000",
        "nextFundingTime": next_time,
        "time": now,
    }


def funding_history(
    series: CandleSeries, now: int, start: object, end: object, limit: object
) -> list[dict[str, object]]:
    """``GET /fapi/v1/fundingRate``: settled funding rates up to now."""
    count = _int_param("limit", limit) or 100
    start_ms = _int_param("startTime", start)
    end_ms = min(_int_param("endTime", end) or now, now)
    events = series.funding_between(-1 if start_ms is None else start_ms - 1, end_ms)
    events = events[:count] if start_ms is not None else events[-count:]
    return [
        {
            "symbol": series.symbol,
            "fundingTime": t,
            "fundingRate": f"{r:.8f}",
            "markPrice": f"{price_at_time(series, t) or 0.0:.8f}",
        }
        for t, r in events
    ]
