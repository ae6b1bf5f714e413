"""Market-stream names and the payloads of kline, markPrice, bookTicker and aggTrade frames."""

from __future__ import annotations

import re
from dataclasses import dataclass

from simulator.candles import INTERVAL_MINUTES, MINUTE_MS, CandleSeries, aggregate
from simulator.engine import market
from simulator.engine.numbers import fixed

_STREAM = re.compile(
    r"^(?P<symbol>[a-z0-9]+)@(?P<kind>kline_(?P<interval>[0-9]+[mhd])|markPrice(?:@1s)?|bookTicker|aggTrade)$"
)
_ALL = re.compile(r"^!(?P<kind>markPrice@arr(?:@1s)?|bookTicker)$")


@dataclass(frozen=True, slots=True)
class Stream:
    """A parsed stream name. ``symbol`` is upper case, empty for the ``!...`` all-market streams."""

    name: str
    symbol: str
    kind: str  # kline | markPrice | bookTicker | aggTrade
    interval: str = ""
    period_ms: int = 0  # markPrice: 3000 or 1000


def parse_stream(name: str) -> Stream | None:
    """A known stream (unknown symbols are accepted: like Binance, they simply never send anything)."""
    m = _STREAM.match(name)
    if m:
        kind = m["kind"]
        if kind.startswith("kline_"):
            if m["interval"] not in INTERVAL_MINUTES:
                return None
            return Stream(name, m["symbol"].upper(), "kline", m["interval"])
        if kind.startswith("markPrice"):
            return Stream(name, m["symbol"].upper(), "markPrice", period_ms=1000 if kind.endswith("@1s") else 3000)
        return Stream(name, m["symbol"].upper(), kind)
    m = _ALL.match(name)
    if m:
        kind = m["kind"]
        if kind.startswith("markPrice"):
            return Stream(name, "", "markPriceAll", period_ms=1000 if kind.endswith("@1s") else 3000)
        return Stream(name, "", "bookTickerAll")
    return None


def kline_payload(series: CandleSeries, interval: str, row: tuple, closed: bool, event_ms: int) -> dict[str, object]:
    t, o, h, low, c, v, _n = row
    spec = series.spec
    pp, qp = spec.price_precision, spec.quantity_precision
    width = INTERVAL_MINUTES[interval] * MINUTE_MS
    quote = v * (o + h + low + c) / 4.0
    count = market.trade_count(quote) if v else 0
    first = t // 1000
    taker_share = 0.5 + (0.25 * (c - o) / (h - low) if h > low else 0.0)
    return {
        "e": "kline",
        "E": event_ms,
        "s": spec.symbol,
        "k": {
            "t": t,
            "T": t + width - 1,
            "s": spec.symbol,
            "i": interval,
            "f": first,
            "L": first + max(count, 1) - 1,
            "o": fixed(o, pp),
            "c": fixed(c, pp),
            "h": fixed(h, pp),
            "l": fixed(low, pp),
            "v": fixed(v, qp),
            "n": count,
            "x": closed,
            "q": fixed(quote, 4),
            "V": fixed(v * taker_share, qp),
            "Q": fixed(quote * taker_share, 4),
            "B": "0",
        },
    }


def kline_frames(series: CandleSeries, interval: str, t0: int, t1: int, with_forming: bool = True) -> list[dict]:
    """Closed frames (``x: true``) for every candle of ``interval`` whose close boundary is in (t0, t1],
    then one frame of the candle forming at t1. Never skips a closed candle."""
    minutes = INTERVAL_MINUTES[interval]
    width = minutes * MINUTE_MS
    frames: list[dict] = []
    if minutes == 1:
        lo, hi = series.count_closed(t0), series.count_closed(t1)
        t, o, h, low, c, v = series.view()
        for i in range(lo, hi):
            row = (int(t[i]), float(o[i]), float(h[i]), float(low[i]), float(c[i]), float(v[i]), 1)
            frames.append(kline_payload(series, interval, row, True, t1))
        if with_forming:
            cur = market.forming(series, t1)
            if cur is not None:
                frames.append(kline_payload(series, interval, (*cur, 1), False, t1))
        return frames
    end = (t0 // width + 1) * width
    while end <= t1:
        rows = aggregate(series, minutes, end - width, end - width, t1, None)
        if rows:
            frames.append(kline_payload(series, interval, rows[0], True, t1))
        end += width
    if with_forming:
        bucket = (t1 // width) * width
        rows = aggregate(series, minutes, bucket, bucket, t1, market.forming(series, t1))
        if rows and rows[0][0] == bucket:
            frames.append(kline_payload(series, interval, rows[0], False, t1))
    return frames


def mark_price_payload(series: CandleSeries, now: int) -> dict[str, object]:
    index = market.premium_index(series, now)
    return {
        "e": "markPriceUpdate",
        "E": now,
        "s": series.symbol,
        "p": index["markPrice"],
        "i": index["indexPrice"],
        "P": index["estimatedSettlePrice"],
        "r": index["lastFundingRate"],
        "T": index["nextFundingTime"],
        "st": 1,
    }


def book_ticker_payload(series: CandleSeries, now: int) -> dict[str, object]:
    b = market.book_ticker(series, now)
    return {
        "e": "bookTicker",
        "u": now,
        "E": now,
        "T": now,
        "s": series.symbol,
        "b": b["bidPrice"],
        "B": b["bidQty"],
        "a": b["askPrice"],
        "A": b["askQty"],
        "st": 1,
        "ps": series.symbol,
    }


def agg_trade_payload(series: CandleSeries, now: int) -> dict[str, object]:
    price = market.current_price(series, now) or 0.0
    spec = series.spec
    trade_id = now // 250
    return {
        "e": "aggTrade",
        "E": now,
        "a": trade_id,
        "s": spec.symbol,
        "p": fixed(price, spec.price_precision),
        "q": spec.step_size,
        "f": trade_id,
        "l": trade_id,
        "T": now,
        "m": (now // 250) % 2 == 0,
        "st": 1,
    }
