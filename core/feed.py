"""FeedCore: every closed candle reaches its symbol exactly once, in order, whatever the transport does.

WebSocket frames can be duplicated, arrive out of order, go missing while a connection is down, or
stop while the socket stays open (a silent stall). REST can return candles the WebSocket delivered
already. The core keeps, per symbol, the open time of the last delivered candle and:
- drops anything at or before it (duplicates, out-of-order frames);
- delivers the next expected candle at once;
- holds a candle that arrives after a gap and asks for a REST backfill of the gap, then delivers the
  gap and the held candle in order;
- declares a symbol stale when no frame arrived for ``stale_after_ms`` of *real* time (transport
  health is a wall-clock property, whatever the simulated speed), polls REST while stale, and
  declares it recovered when frames flow again.
Pure and synchronous: the MarketFeed actor hosts it, tests drive it directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from messages.market import Candle


@dataclass(frozen=True, slots=True)
class Deliver:
    """Hand this closed candle to the symbol's actor."""

    symbol: str
    candle: Candle
    source: str


@dataclass(frozen=True, slots=True)
class RequestCandles:
    """Ask REST for closed candles of ``symbol`` from ``since_open_time`` on."""

    symbol: str
    since_open_time: int


@dataclass(frozen=True, slots=True)
class BecameStale:
    symbol: str
    silent_ms: int


@dataclass(frozen=True, slots=True)
class Recovered:
    symbol: str
    outage_ms: int


FeedAction = Deliver | RequestCandles | BecameStale | Recovered


@dataclass
class SymbolFeedState:
    """What the core knows about one symbol's stream."""

    last_open_time: int | None
    last_frame_mono_ms: int
    stale_since_mono_ms: int | None = None
    held: dict[int, Candle] = field(default_factory=dict)
    backfill_pending: bool = False
    last_poll_mono_ms: int = 0


class FeedCore:
    """Sequencing and staleness for many symbols of one timeframe."""

    def __init__(self, interval_ms: int, stale_after_ms: int, poll_interval_ms: int, rest_only: bool = False) -> None:
        self.interval_ms = interval_ms
        self.stale_after_ms = stale_after_ms
        self.poll_interval_ms = poll_interval_ms
        self.rest_only = rest_only
        self.symbols: dict[str, SymbolFeedState] = {}
        self.duplicates_dropped = 0

    def add_symbol(self, symbol: str, last_open_time: int | None, now_mono_ms: int) -> None:
        """Start tracking ``symbol`` after its warm-up (``last_open_time``: the newest candle it has)."""
        self.symbols[symbol] = SymbolFeedState(last_open_time=last_open_time, last_frame_mono_ms=now_mono_ms,
                                               stale_since_mono_ms=now_mono_ms if self.rest_only else None)

    def remove_symbol(self, symbol: str) -> None:
        self.symbols.pop(symbol, None)

    def is_stale(self, symbol: str) -> bool:
        state = self.symbols.get(symbol)
        return state is not None and state.stale_since_mono_ms is not None

    # ----------------------------------------------------------------- inputs
    def on_frame(self, symbol: str, now_mono_ms: int) -> list[FeedAction]:
        """Any market frame for ``symbol`` arrived (forming or closed): the stream is alive."""
        state = self.symbols.get(symbol)
        if state is None:
            return []
        state.last_frame_mono_ms = now_mono_ms
        if state.stale_since_mono_ms is not None and not self.rest_only:
            outage = now_mono_ms - state.stale_since_mono_ms
            state.stale_since_mono_ms = None
            actions: list[FeedAction] = [Recovered(symbol, outage)]
            if state.last_open_time is not None and not state.backfill_pending:
                # Close any gap left between the last REST poll and the stream.
                state.backfill_pending = True
                actions.append(RequestCandles(symbol, state.last_open_time + self.interval_ms))
            return actions
        return []

    def on_closed(self, symbol: str, candle: Candle, source: str) -> list[FeedAction]:
        """A closed candle from the WebSocket (``ws``) or REST (``rest``/``backfill``)."""
        state = self.symbols.get(symbol)
        if state is None:
            return []
        last = state.last_open_time
        if last is not None and candle.open_time <= last:
            self.duplicates_dropped += 1
            return []
        if last is None or candle.open_time == last + self.interval_ms:
            actions = self._deliver(symbol, state, candle, source)
            return actions + self._release_held(symbol, state)
        state.held[candle.open_time] = candle  # a gap: hold it and fetch what is missing
        if state.backfill_pending:
            return []
        state.backfill_pending = True
        return [RequestCandles(symbol, last + self.interval_ms)]

    def on_rest_candles(self, symbol: str, candles: list[Candle] | tuple[Candle, ...],
                        now_ms: int) -> list[FeedAction]:
        """Candles read by REST; only those already closed at ``now_ms`` (exchange time) count."""
        state = self.symbols.get(symbol)
        if state is None:
            return []
        state.backfill_pending = False
        actions: list[FeedAction] = []
        for candle in sorted(candles, key=lambda c: c.open_time):
            if candle.close_time <= now_ms:
                actions += self.on_closed(symbol, candle, "rest")
        if state.held and not state.backfill_pending and state.last_open_time is not None:
            # REST did not reach the held candle yet (it may not have it): ask again later.
            earliest = min(state.held)
            if earliest > state.last_open_time + self.interval_ms:
                state.backfill_pending = True
                actions.append(RequestCandles(symbol, state.last_open_time + self.interval_ms))
        return actions

    def on_rest_failed(self, symbol: str) -> None:
        state = self.symbols.get(symbol)
        if state is not None:
            state.backfill_pending = False

    def check(self, now_mono_ms: int) -> list[FeedAction]:
        """Periodic: declare silent symbols stale, and poll REST for the stale ones."""
        actions: list[FeedAction] = []
        for symbol, state in self.symbols.items():
            silent = now_mono_ms - state.last_frame_mono_ms
            if state.stale_since_mono_ms is None and silent >= self.stale_after_ms:
                state.stale_since_mono_ms = now_mono_ms
                actions.append(BecameStale(symbol, silent))
            if (state.stale_since_mono_ms is not None and not state.backfill_pending
                    and now_mono_ms - state.last_poll_mono_ms >= self.poll_interval_ms):
                state.last_poll_mono_ms = now_mono_ms
                state.backfill_pending = True
                since = state.last_open_time + self.interval_ms if state.last_open_time is not None else None
                actions.append(RequestCandles(symbol, since if since is not None else 0))
        return actions

    # ----------------------------------------------------------------- helpers
    def _deliver(self, symbol: str, state: SymbolFeedState, candle: Candle, source: str) -> list[FeedAction]:
        state.last_open_time = candle.open_time
        state.held.pop(candle.open_time, None)
        return [Deliver(symbol, candle, source)]

    def _release_held(self, symbol: str, state: SymbolFeedState) -> list[FeedAction]:
        actions: list[FeedAction] = []
        while state.last_open_time is not None and (state.last_open_time + self.interval_ms) in state.held:
            candle = state.held.pop(state.last_open_time + self.interval_ms)
            actions += self._deliver(symbol, state, candle, "ws")
        for open_time in [t for t in state.held if state.last_open_time is not None and t <= state.last_open_time]:
            del state.held[open_time]
        return actions
