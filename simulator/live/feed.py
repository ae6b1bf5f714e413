"""Live market data for the paper exchange: history at start, then each 1m candle as it becomes final.

At start (:func:`simulator.live.startup.open_live_feed`, blocking): the source's exchangeInfo says which
of the wanted symbols are trading USDC perpetuals, and enough closed candles are loaded that ``history``
of them are closed at the paper clock's first instant (the bot warms up on 1000). Then a task on the simulator's loop
(:meth:`LiveFeed.start`) polls every ``poll_s``: it reads the source's time (weight 1; 30 a minute at
the default 2 s, whatever the source's clock does), then fetches just the candles that became final
since, only for the symbols behind, in pages of at most 499 (weight 1 up to 99 candles, 2 up to 499:
the cheapest per candle), and appends them to the same :class:`CandleSeries` the engine reads. In
steady state that is one klines request (weight 1) per symbol per minute. Everything that touches a
series runs on that loop.

What "final" means (README "Paper mode"):

- a candle is final ``CLOSE_GRACE_MS`` after its close on the source's clock (read before the request,
  so the answer cannot be older than that reading);
- a minute without a candle is a gap of the source once a later candle exists, or once the source's
  time is ``GAP_CONFIRM_MS`` past that minute's close (a late REST answer is waited for, a maintenance
  gap is not invented away); gaps stay gaps: nothing is ever interpolated;
- ``known_until`` of a symbol is the time up to which its data is final; candles arriving for time
  already declared known are dropped with a warning (the paper clock may have walked through it), so
  history is never rewritten;
- the paper clock never passes the smallest ``known_until`` (:class:`~simulator.live.clock.LiveClock`).

Outages (source unreachable, 5xx, 429/418, timeouts) are logged when they start, every
``REMINDER_S`` while they last and when they end; the simulator keeps serving what it knows and its
clock halts at the frontier. A symbol the source no longer knows (-1121) is retired: it keeps its
candles, and stops holding the clock back.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import aiohttp

from simulator.candles import MINUTE_MS, CandleSeries
from simulator.live.clock import LiveClock
from simulator.live.source import INVALID_SYMBOL, SourceClient, SourceError

if TYPE_CHECKING:
    from simulator.live.startup import LiveSettings

log = logging.getLogger(__name__)

CLOSE_GRACE_MS = 2_000
GAP_CONFIRM_MS = 60_000
PAGE = 499
POLL_CONCURRENCY = 4
REMINDER_S = 300.0

Candle = tuple[int, float, float, float, float, float]


def final_boundary(source_ms: int, grace_ms: int = CLOSE_GRACE_MS) -> int:
    """Candles closing at or before this minute boundary are final at source time ``source_ms``."""
    return ((source_ms - grace_ms) // MINUTE_MS) * MINUTE_MS


def gap_boundary(source_ms: int) -> int:
    """Minutes closing at or before this boundary without a candle are gaps of the source."""
    return ((source_ms - GAP_CONFIRM_MS) // MINUTE_MS) * MINUTE_MS


def parse_rows(symbol: str, rows: Sequence[Any]) -> tuple[list[Candle], int]:
    """(well-formed candles in increasing open time, number of rows dropped as malformed)."""
    candles: list[Candle] = []
    bad = 0
    for row in rows:
        try:
            t = int(row[0])
            values = tuple(float(row[k]) for k in range(1, 6))
        except (TypeError, ValueError, IndexError):
            bad += 1
            continue
        o, h, low, c, v = values
        if t % MINUTE_MS or not all(math.isfinite(x) for x in values) or not low <= min(o, c) <= max(o, c) <= h:
            bad += 1
            continue
        if candles and t <= candles[-1][0]:
            bad += 1
            continue
        candles.append((t, o, h, low, c, v))
    if bad:
        log.warning("live source: %d malformed %s kline rows dropped", bad, symbol)
    return candles, bad


async def fetch_final(client: SourceClient, symbol: str, since_ms: int, source_ms: int) -> tuple[list[Candle], int]:
    """Every final candle of ``symbol`` opening at or after ``since_ms`` at source time ``source_ms``, and
    the time up to which the symbol is then known (see the module docstring)."""
    upto = final_boundary(source_ms)
    candles: list[Candle] = []
    cursor = since_ms
    while cursor < upto:
        limit = min((upto - cursor) // MINUTE_MS, PAGE)
        rows = await client.klines(symbol, cursor, upto - MINUTE_MS, limit)
        page, _bad = parse_rows(symbol, rows)
        candles.extend(c for c in page if c[0] >= cursor and c[0] + MINUTE_MS <= upto)
        # Binance answers the first ``limit`` candles from ``startTime`` (a page can span a gap); a
        # window-based server answers those inside [startTime, startTime + limit minutes). Either way a
        # short page does not prove the end (the data may start later), so move past both bounds.
        cursor = max(cursor + limit * MINUTE_MS, page[-1][0] + MINUTE_MS if page else cursor)
    last_close = candles[-1][0] + MINUTE_MS if candles else since_ms
    return candles, max(since_ms, last_close, min(upto, gap_boundary(source_ms)))


@dataclass
class SymbolFeed:
    """One symbol's series and how far it is known."""

    series: CandleSeries
    known_until: int
    added: int = 0
    late_dropped: int = 0
    retired: str = ""
    failing_since: float | None = None
    reminded_at: float = 0.0


@dataclass
class LiveFeed:
    """Feeds the simulator's series from the source and moves the clock's frontier."""

    settings: LiveSettings
    feeds: dict[str, SymbolFeed]
    clock: LiveClock
    skipped: dict[str, str] = field(default_factory=dict)
    requests: int = 0
    source_down_since: float | None = None
    _reminded_at: float = 0.0
    _halt_logged: bool = False
    _task: asyncio.Task | None = None

    @property
    def series(self) -> dict[str, CandleSeries]:
        return {symbol: feed.series for symbol, feed in self.feeds.items()}

    def active(self) -> list[SymbolFeed]:
        return [f for f in self.feeds.values() if not f.retired]

    def frontier(self) -> int:
        """Time up to which every active symbol is known (the clock's cap)."""
        active = self.active()
        if not active:  # every symbol retired: nothing left to wait for
            return max(f.known_until for f in self.feeds.values())
        return min(f.known_until for f in active)

    # --- running ------------------------------------------------------------------------------------

    def start(self) -> None:
        """Start polling on the running loop (the simulator's)."""
        self._task = asyncio.get_running_loop().create_task(self._run(), name="live-feed")

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    async def _run(self) -> None:
        async with aiohttp.ClientSession() as session:
            client = SourceClient(self.settings.source_url, session, self.settings.weight_budget)
            before = self.requests  # the start-up's
            while True:
                await asyncio.sleep(self.settings.poll_s)
                try:
                    await self.poll(client)
                except Exception:  # a bug must not silently stop the market: the clock would halt forever
                    log.exception("live feed poll failed")
                self.requests = before + client.requests

    async def poll(self, client: SourceClient) -> None:
        """One round: read the source's time (weight 1), fetch the candles that became final since."""
        self._watch_halt()
        active = self.active()
        try:
            source_ms = await client.server_time()
        except SourceError as exc:
            self._source_failed(exc)
            return
        self._source_ok()
        self.clock.observe_source(source_ms)
        behind = [f for f in active if f.known_until < final_boundary(source_ms)]
        limit = asyncio.Semaphore(POLL_CONCURRENCY)

        async def update(feed: SymbolFeed) -> None:
            async with limit:
                try:
                    candles, known = await fetch_final(client, feed.series.symbol, feed.known_until, source_ms)
                except SourceError as exc:
                    self._symbol_failed(feed, exc)
                    return
            self._symbol_ok(feed)
            self.ingest(feed, candles, known)

        await asyncio.gather(*(update(f) for f in behind))
        self.clock.advance_frontier(self.frontier())

    def ingest(self, feed: SymbolFeed, candles: Iterable[Candle], known_until: int) -> None:
        """Append final candles (never before ``known_until``), then move ``known_until``."""
        series = feed.series
        for t, o, h, low, c, v in candles:
            last_open = int(series.t[len(series) - 1]) if len(series) else -1
            if t < feed.known_until or t <= last_open:
                feed.late_dropped += 1
                log.warning("live source: %s candle %d arrived after that time was declared known; dropped",
                            series.symbol, t)
                continue
            series.append(t, o, h, low, c, v)
            feed.added += 1
        feed.known_until = max(feed.known_until, known_until)

    # --- outages --------------------------------------------------------------------------------------

    def _source_failed(self, exc: SourceError) -> None:
        wall = time.monotonic()
        if self.source_down_since is None:
            self.source_down_since = self._reminded_at = wall
            log.warning("live source %s unreachable (%s): serving what is known; the paper clock halts at %d",
                        self.settings.source_url, exc, self.frontier())
        elif wall - self._reminded_at >= REMINDER_S:
            self._reminded_at = wall
            log.warning("live source %s still unreachable after %.0fs (%s)", self.settings.source_url,
                        wall - self.source_down_since, exc)

    def _source_ok(self) -> None:
        if self.source_down_since is not None:
            log.info("live source %s reachable again after %.0fs; catching up", self.settings.source_url,
                     time.monotonic() - self.source_down_since)
            self.source_down_since = None

    def _symbol_failed(self, feed: SymbolFeed, exc: SourceError) -> None:
        symbol = feed.series.symbol
        if exc.code == INVALID_SYMBOL:
            feed.retired = str(exc)
            log.error("live source: %s is no longer known to the source (%s); it keeps its %d candles and stops "
                      "holding the paper clock back", symbol, exc, len(feed.series))
            return
        wall = time.monotonic()
        if feed.failing_since is None:
            feed.failing_since = feed.reminded_at = wall
            log.warning("live source: klines of %s failed (%s); the paper clock halts at %d until they come",
                        symbol, exc, feed.known_until)
        elif wall - feed.reminded_at >= REMINDER_S:
            feed.reminded_at = wall
            log.warning("live source: klines of %s still failing after %.0fs (%s)", symbol,
                        wall - feed.failing_since, exc)

    def _symbol_ok(self, feed: SymbolFeed) -> None:
        if feed.failing_since is not None:
            log.info("live source: klines of %s back after %.0fs", feed.series.symbol,
                     time.monotonic() - feed.failing_since)
            feed.failing_since = None

    def _watch_halt(self) -> None:
        halted = self.clock.halted
        if halted and not self._halt_logged:
            waiting = sorted(f.series.symbol for f in self.active() if f.known_until <= self.clock.frontier_ms)
            log.warning("paper clock halted at %d: waiting for final candles of %s", self.clock.frontier_ms,
                        ", ".join(waiting) or "the source")
        elif not halted and self._halt_logged:
            log.info("paper clock running again (%d)", self.clock.now_ms())
        self._halt_logged = halted

    def status(self) -> dict[str, Any]:
        """For ``state()["server"]["live"]``."""
        now = self.clock.now_ms()
        down = self.source_down_since
        return {
            "source": self.settings.source_url,
            "delay_ms": self.settings.delay_ms,
            "frontier_ms": self.clock.frontier_ms,
            "source_estimate_ms": self.clock.source_estimate_ms(),
            "lag_ms": self.clock.source_estimate_ms() - now,
            "halted": self.clock.halted,
            "source_down_for_s": None if down is None else time.monotonic() - down,
            "requests": self.requests,
            "symbols": {
                symbol: {
                    "known_until_ms": f.known_until,
                    "candles": len(f.series),
                    "added": f.added,
                    "late_dropped": f.late_dropped,
                    "failing": f.failing_since is not None,
                    "retired": f.retired,
                }
                for symbol, f in sorted(self.feeds.items())
            },
        }
