"""MarketFeed: kline WebSockets first, REST fallback, nothing missed or duplicated.

Combined ``<symbol>@kline_<tf>`` streams, up to ``max_streams_per_connection`` per connection, each
read in its own thread. ``FeedCore`` decides what reaches the SymbolActors (exactly once, in order),
when a symbol is stale (no frame for ``stale_after_s`` of real time: REST polling takes over and the
connection is recycled) and when it has recovered. ``exchange.feed = rest`` never opens a socket.
"""

from __future__ import annotations

import logging
import time
from typing import Any

import msgspec

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import EXCHANGE, NOTIFIER, RISK, symbol_actor_name
from actors.ws_reader import WebSocketReader
from core.feed import BecameStale, Deliver, FeedAction, FeedCore, Recovered, RequestCandles
from core.ids import make_correlation_id
from core.symbols import to_stream
from exchange.endpoints import Endpoints
from exchange.parsers import INTERVAL_MS, PayloadError, parse_kline
from messages.control import Tick
from messages.exchange import ExchangeReply, FetchCandles
from messages.market import CandleClosed, FeedRecovered, FeedStale
from messages.runtime import ConnectionChanged, RawFrame, SymbolReady, SymbolRemoved

log = logging.getLogger(__name__)


def _mono_ms() -> int:
    return int(time.monotonic() * 1000)


class MarketFeed(BotActor):
    """Hosts FeedCore and the market WebSocket readers."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__(ctx, name, supervisor)
        ex = ctx.settings.exchange
        self.timeframe = ctx.settings.strategy.timeframe
        self.rest_only = ex.feed == "rest"
        self.core = FeedCore(interval_ms=INTERVAL_MS[self.timeframe], stale_after_ms=int(ex.stale_after_s * 1000),
                             poll_interval_ms=int(ex.rest_poll_interval_s * 1000), rest_only=self.rest_only)
        self.endpoints = Endpoints(rest="", ws=ctx.ws_root, legacy_ws_paths=ctx.legacy_ws_paths)
        self.per_connection = ex.max_streams_per_connection
        self.readers: list[WebSocketReader] = []
        self.streams: list[list[str]] = []  # streams per connection
        self._requests = 0
        self.malformed = 0

    # --------------------------------------------------------------- lifecycle
    def on_stop(self) -> None:
        self._stop_readers()

    def stopped_after_failure(self) -> None:
        self._stop_readers()

    def _stop_readers(self) -> None:
        for reader in self.readers:
            reader.stop(timeout=1.0)
        self.readers.clear()

    # --------------------------------------------------------------- messages
    def receive(self, message: Any) -> Any:
        if isinstance(message, RawFrame):
            self._on_frame(message)
        elif isinstance(message, Tick):
            self._run(self.core.check(_mono_ms()))
            self._publish_health()
        elif isinstance(message, ExchangeReply):
            self._on_candles(message)
        elif isinstance(message, SymbolReady):
            self._add(message.symbol, message.last_open_time)
        elif isinstance(message, SymbolRemoved):
            self._remove(message.symbol)
        elif isinstance(message, ConnectionChanged):
            level = logging.INFO if message.connected else logging.WARNING
            log.log(level, "market stream %d %s (%s)", message.connection,
                    "connected" if message.connected else "lost", message.reason)
            if message.connected and message.connection < len(self.streams):
                # Streams added while the connection was being (re)opened are not in its URL: ask again
                # for all of them (subscribing twice to a stream is harmless).
                self.readers[message.connection].subscribe(list(self.streams[message.connection]))
        else:
            return super().receive(message)
        return None

    def _on_frame(self, frame: RawFrame) -> None:
        try:
            data = msgspec.json.decode(frame.text)
        except msgspec.DecodeError:
            self._malformed(f"not JSON: {frame.text[:80]!r}")
            return
        payload = data.get("data", data) if isinstance(data, dict) else None
        if not isinstance(payload, dict) or payload.get("e") != "kline":
            return  # subscription answers, other streams
        try:
            symbol, interval, candle, closed, _event_time = parse_kline(payload)
        except PayloadError as exc:
            self._malformed(str(exc))
            return
        actions = self.core.on_frame(symbol, frame.received_mono_ms)
        if closed and interval == self.timeframe:
            # Loop reaction is measured from here (the frame's arrival) to the entry order leaving.
            self.ctx.health.mark(make_correlation_id(symbol, candle.close_time), frame.received_mono_ms / 1000)
            actions += self.core.on_closed(symbol, candle, "ws")
        self._run(actions)

    def _malformed(self, why: str) -> None:
        self.malformed += 1
        self.ctx.health.increment("feed.malformed_frames")
        if self.malformed <= 10 or self.malformed % 1000 == 0:
            log.warning("skipping malformed market frame (%d so far): %s", self.malformed, why)

    def _on_candles(self, reply: ExchangeReply) -> None:
        request = reply.request
        symbol = getattr(request, "symbol", "")
        if reply.outcome != "ok":
            log.warning("%s: REST candles failed (%s %s)", symbol, reply.code, reply.message)
            self.core.on_rest_failed(symbol)
            return
        self._run(self.core.on_rest_candles(symbol, reply.candles, self.ctx.clock.now_ms()))

    # --------------------------------------------------------------- actions
    def _run(self, actions: list[FeedAction]) -> None:
        now = self.ctx.clock.now_ms()
        for action in actions:
            if isinstance(action, Deliver):
                candle = action.candle
                self.send(symbol_actor_name(action.symbol), CandleClosed(
                    ts_event=candle.close_time, ts_init=now, symbol=action.symbol, timeframe=self.timeframe,
                    candle=candle, source=action.source))  # type: ignore[arg-type]
                self.ctx.health.increment(f"feed.delivered.{action.source}")
            elif isinstance(action, RequestCandles):
                self._requests += 1
                # Ask for what can exist, not 1000 rows: the weight of a klines call grows with its limit.
                since = action.since_open_time
                missing = (now - since) // self.core.interval_ms + 2 if since else 1000
                self.send(EXCHANGE, FetchCandles(request_id=f"feed:{self._requests}", ts_init=now, reply_to=self.name,
                                                 symbol=action.symbol, timeframe=self.timeframe,
                                                 since_open_time=action.since_open_time or None,
                                                 limit=int(min(1000, max(2, missing)))))
            elif isinstance(action, BecameStale):
                log.warning("%s: no market data for %.1fs: REST polling takes over", action.symbol,
                            action.silent_ms / 1000)
                event = FeedStale(ts_event=now, ts_init=now, symbol=action.symbol, reason="no frames",
                                  last_frame_ts=now - action.silent_ms)
                self.send(RISK, event)
                self.send(NOTIFIER, event)
                self.ctx.health.increment("feed.stale")
                self._recycle_connection_of(action.symbol)
            elif isinstance(action, Recovered):
                log.info("%s: WebSocket data flows again after %.1fs", action.symbol, action.outage_ms / 1000)
                event = FeedRecovered(ts_event=now, ts_init=now, symbol=action.symbol, outage_ms=action.outage_ms)
                self.send(RISK, event)
                self.send(NOTIFIER, event)

    # --------------------------------------------------------------- subscriptions
    def _add(self, symbol: str, last_open_time: int | None) -> None:
        self.core.add_symbol(symbol, last_open_time, _mono_ms())
        if self.rest_only:
            return
        stream = f"{to_stream(symbol)}@kline_{self.timeframe}"
        if any(stream in streams for streams in self.streams):
            return
        for index, streams in enumerate(self.streams):
            if len(streams) < self.per_connection:
                streams.append(stream)
                self.readers[index].subscribe([stream])
                return
        index = len(self.streams)
        self.streams.append([stream])
        reader = WebSocketReader(index, lambda i=index: self.endpoints.market_stream_url(self.streams[i]),
                                 self.actor_ref.tell, self.ctx.clock.now_ms, name="market-ws")
        self.readers.append(reader)
        reader.start()

    def _remove(self, symbol: str) -> None:
        self.core.remove_symbol(symbol)
        stream = f"{to_stream(symbol)}@kline_{self.timeframe}"
        for index, streams in enumerate(self.streams):
            if stream in streams:
                streams.remove(stream)
                self.readers[index].subscribe([stream], method="UNSUBSCRIBE")

    def _recycle_connection_of(self, symbol: str) -> None:
        stream = f"{to_stream(symbol)}@kline_{self.timeframe}"
        for index, streams in enumerate(self.streams):
            if stream in streams:
                self.readers[index].close()

    def _publish_health(self) -> None:
        states = {s: ("rest" if self.core.is_stale(s) else "ws") for s in self.core.symbols}
        self.ctx.health.set("feed.state", states)
        self.ctx.health.set("feed.connections", sum(1 for r in self.readers if r.alive))
