"""Start-up of the live feed: the options checked, the source's markets read, the history loaded.

Blocking on purpose: it runs before the simulator's loop exists (``SimulatorServer.__init__`` needs the
series to build the engine), on a private loop in a helper thread (:func:`~simulator.live.source.run_blocking`).
History: ``live_history`` candles closed at the paper clock's first instant, i.e. that many plus the
delay's minutes plus one, fetched per symbol in pages of 499 with at most ``STARTUP_CONCURRENCY``
requests in flight.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
import numpy as np

from simulator.candles import MINUTE_MS, CandleSeries
from simulator.live.clock import LiveClock
from simulator.live.feed import CLOSE_GRACE_MS, Candle, LiveFeed, SymbolFeed, fetch_final, final_boundary
from simulator.live.source import INVALID_SYMBOL, SourceClient, SourceError, run_blocking
from simulator.live.specs import trading_usdc_perpetuals
from simulator.markets import MarketSpec

log = logging.getLogger(__name__)

STARTUP_CONCURRENCY = 4


@dataclass
class LiveSettings:
    """The ``live_*`` options of :class:`~simulator.config.SimulatorConfig`, checked."""

    source_url: str
    delay_ms: int
    poll_s: float
    history: int
    weight_budget: int
    speed: float
    symbols: tuple[str, ...] | None

    @classmethod
    def from_config(cls, config: Any) -> LiveSettings:
        from simulator.loader import normalise_symbol

        if config.stepped:
            raise ValueError("a live source needs a running clock (stepped=False)")
        if config.data_dir is not None or config.series is not None or config.start not in (None, ""):
            raise ValueError("a live source excludes data_dir, series and start (the source decides the data)")
        if config.live_delay_s < 0 or config.live_poll_s <= 0 or config.live_history < 1:
            raise ValueError("live_delay_s must be >= 0, live_poll_s > 0 and live_history >= 1")
        settings = cls(
            source_url=str(config.live_source_url).rstrip("/"),
            delay_ms=int(config.live_delay_s * 1000),
            poll_s=float(config.live_poll_s),
            history=int(config.live_history),
            weight_budget=int(config.live_weight_budget),
            speed=float(config.speed),
            symbols=tuple(dict.fromkeys(normalise_symbol(s) for s in config.symbols)) if config.symbols else None,
        )
        slack = MINUTE_MS + CLOSE_GRACE_MS + settings.poll_s * 1000 * settings.speed
        if settings.delay_ms < slack:
            log.warning("live_delay_s %.1f is less than one candle + grace + polling (%.1f s of source time): the "
                        "paper clock will halt at each minute until the candle is final", config.live_delay_s,
                        slack / 1000)
        return settings


def build_series(spec: MarketSpec, candles: Sequence[Candle], source: str) -> CandleSeries:
    """A series from final candles; later candles arrive through :meth:`CandleSeries.append`."""
    rows = np.asarray(candles, dtype=np.float64).reshape(-1, 6)
    return CandleSeries(
        spec=spec,
        t=rows[:, 0].astype(np.int64),
        o=rows[:, 1].copy(),
        h=rows[:, 2].copy(),
        low=rows[:, 3].copy(),
        c=rows[:, 4].copy(),
        v=rows[:, 5].copy(),
        source=source,
    )


async def _open(settings: LiveSettings) -> LiveFeed:
    async with aiohttp.ClientSession() as session:
        client = SourceClient(settings.source_url, session, settings.weight_budget)
        specs, unreadable = trading_usdc_perpetuals(await client.exchange_info())
        wanted = settings.symbols or tuple(sorted(specs))
        skipped = {s: unreadable.get(s, "not a trading USDC perpetual on the source") for s in wanted if s not in specs}
        chosen = [s for s in wanted if s in specs]
        source_ms = await client.server_time()
        count = settings.history + math.ceil(settings.delay_ms / MINUTE_MS) + 1
        since = final_boundary(source_ms) - count * MINUTE_MS
        limit = asyncio.Semaphore(STARTUP_CONCURRENCY)

        async def history(symbol: str) -> tuple[list[Candle], int]:
            async with limit:
                return await fetch_final(client, symbol, since, source_ms)

        results = await asyncio.gather(*(history(s) for s in chosen), return_exceptions=True)
        feeds: dict[str, SymbolFeed] = {}
        for symbol, result in zip(chosen, results, strict=True):
            if isinstance(result, SourceError) and result.code == INVALID_SYMBOL:
                skipped[symbol] = f"unknown to the source: {result}"
            elif isinstance(result, BaseException):  # a transient failure fails the start (the caller retries):
                raise result  # never a session silently without one of the wanted symbols
            elif not result[0]:
                skipped[symbol] = "no closed 1m candles at the source"
            else:
                candles, known = result
                source = f"{settings.source_url} {symbol}"
                feeds[symbol] = SymbolFeed(build_series(specs[symbol], candles, source), known)
        if not feeds:
            raise ValueError(f"live source {settings.source_url}: nothing to feed (skipped: {skipped})")
        for symbol, feed in feeds.items():
            if len(feed.series) < settings.history:
                log.warning("live source: %s has only %d closed candles (listed recently?)", symbol, len(feed.series))
        frontier = min(f.known_until for f in feeds.values())
        clock = LiveClock(await client.server_time(), settings.delay_ms, frontier, settings.speed)
        log.info("live source %s: %d symbols, %d candles each, paper clock %.0fs behind the source%s",
                 settings.source_url, len(feeds), count, settings.delay_ms / 1000,
                 f"; skipped {skipped}" if skipped else "")
        return LiveFeed(settings, feeds, clock, skipped, requests=client.requests)


def open_live_feed(config: Any) -> LiveFeed:
    """Blocking start-up from a :class:`~simulator.config.SimulatorConfig` with ``live_source_url`` set:
    load the history and build the clock. Raises ``ValueError`` when there is nothing to feed and
    :class:`SourceError` when the source cannot be reached."""
    settings = LiveSettings.from_config(config)
    return run_blocking(lambda: _open(settings))


@dataclass(frozen=True)
class SourceMarket:
    """A trading USDC perpetual of the source with its 24 h quote volume (for choosing symbols)."""

    symbol: str
    quote_volume_24h: float


def source_markets(source_url: str, weight_budget: int = 1200) -> list[SourceMarket]:
    """The source's trading USDC perpetuals, by 24 h quote volume (highest first). Blocking."""

    async def fetch() -> list[SourceMarket]:
        async with aiohttp.ClientSession() as session:
            client = SourceClient(source_url, session, weight_budget)
            specs, _ = trading_usdc_perpetuals(await client.exchange_info())
            volumes: dict[str, float] = {}
            for ticker in await client.tickers_24h():
                with contextlib.suppress(KeyError, TypeError, ValueError):
                    volumes[str(ticker["symbol"])] = float(ticker["quoteVolume"])
        markets = [SourceMarket(s, volumes.get(s, 0.0)) for s in specs]
        return sorted(markets, key=lambda m: (-m.quote_volume_24h, m.symbol))

    return run_blocking(fetch)
