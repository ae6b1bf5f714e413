"""Market data: candles and the state of the feed that delivers them."""

from __future__ import annotations

from typing import Literal

from messages.base import Event, Message

FeedSource = Literal["ws", "rest", "backfill"]


class Candle(Message, frozen=True, kw_only=True):
    """One OHLCV candle. ``open_time`` identifies it; ``close_time`` is ``open_time + interval``."""

    open_time: int
    close_time: int
    open: float
    high: float
    low: float
    close: float
    volume: float


class CandleClosed(Event, frozen=True, kw_only=True):
    """A candle is final (Binance ``x: true`` or a REST row older than now). Sent once per candle."""

    symbol: str
    timeframe: str
    candle: Candle
    source: FeedSource


class FeedStale(Event, frozen=True, kw_only=True):
    """No market frame for ``symbol`` within the stale timeout: REST polling takes over."""

    symbol: str
    reason: str
    last_frame_ts: int


class FeedRecovered(Event, frozen=True, kw_only=True):
    """Frames flow again for ``symbol`` over the WebSocket after ``outage_ms``."""

    symbol: str
    outage_ms: int


class MarkPriceUpdated(Event, frozen=True, kw_only=True):
    """The latest mark (or last) price of a symbol, for unrealized PnL and risk."""

    symbol: str
    price: float
