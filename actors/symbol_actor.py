"""SymbolActor: one per traded symbol. Candle buffer → ScalpingV1 → SignalGenerated to the RiskActor.

It warms up with the last 1000 closed candles by REST (also after a restart: its state is rebuilt,
never trusted), keeps a 1000-candle buffer, evaluates the strategy on every closed candle and records
actionable signals with their breakdown. A fault here stays here: the SymbolSupervisor restarts or
quarantines this symbol, the others go on.
"""

from __future__ import annotations

import logging
import random
import time
from typing import Any

import numpy as np

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import EXCHANGE, FEED, RISK
from core.ids import make_correlation_id
from exchange.parsers import INTERVAL_MS
from indicators.scalping_v1 import evaluate
from messages.control import ApplySettings
from messages.exchange import ExchangeReply, FetchCandles
from messages.market import Candle, CandleClosed
from messages.runtime import ResendReady, SymbolReady
from messages.signals import SignalGenerated

log = logging.getLogger(__name__)

BUFFER_SIZE = 1000


class CandleBuffer:
    """The newest ``capacity`` closed candles as contiguous float64 columns (what TA-Lib wants)."""

    def __init__(self, capacity: int = BUFFER_SIZE) -> None:
        self.capacity = capacity
        self.columns = np.zeros((5, capacity), dtype=np.float64)  # open, high, low, close, volume
        self.open_times = np.zeros(capacity, dtype=np.int64)
        self.size = 0
        self.last_open_time: int | None = None

    def append(self, candle: Candle) -> None:
        row = (candle.open, candle.high, candle.low, candle.close, candle.volume)
        if self.size < self.capacity:
            self.columns[:, self.size] = row
            self.open_times[self.size] = candle.open_time
            self.size += 1
        else:
            self.columns[:, :-1] = self.columns[:, 1:]
            self.columns[:, -1] = row
            self.open_times[:-1] = self.open_times[1:]
            self.open_times[-1] = candle.open_time
        self.last_open_time = candle.open_time

    def view(self) -> np.ndarray:
        return self.columns[:, : self.size]


class SymbolActor(BotActor):
    """Hosts the strategy for one symbol."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str, symbol: str) -> None:
        super().__init__(ctx, name, supervisor)
        self.symbol = symbol
        self.settings = ctx.settings  # replaced by ApplySettings (a profile switch)
        self.timeframe = ctx.settings.strategy.timeframe
        self.interval_ms = INTERVAL_MS[self.timeframe]
        self.buffer = CandleBuffer()
        self.ready = False
        self.live_candles = 0
        self.duplicates_received = 0
        self._request_seq = 0
        chaos = ctx.settings.chaos
        self._fail_on_candle = symbol in chaos.fail_symbols
        self._failure_rate = chaos.symbol_failure_rate
        self._chaos = random.Random(f"{chaos.seed}:{symbol}:{time.monotonic_ns()}") if self._failure_rate else None

    def started(self) -> None:
        self._request_warmup()

    def _request_warmup(self) -> None:
        self._request_seq += 1
        now = self.ctx.clock.now_ms()
        since = now - now % self.interval_ms - BUFFER_SIZE * self.interval_ms
        self.send(EXCHANGE, FetchCandles(request_id=f"{self.name}:warmup:{self._request_seq}", ts_init=now,
                                         reply_to=self.name, symbol=self.symbol, timeframe=self.timeframe,
                                         since_open_time=since, limit=BUFFER_SIZE))

    def receive(self, message: Any) -> Any:
        if isinstance(message, CandleClosed):
            self._on_candle(message)
        elif isinstance(message, ExchangeReply):
            self._on_warmup(message)
        elif isinstance(message, ApplySettings):
            self.settings = message.settings
        elif isinstance(message, ResendReady) and self.ready:
            now = self.ctx.clock.now_ms()
            self.send(FEED, SymbolReady(ts_event=now, ts_init=now, symbol=self.symbol,
                                        last_open_time=self.buffer.last_open_time))
        else:
            return super().receive(message)
        return None

    def candles(self, count: int = BUFFER_SIZE) -> list[tuple[int, float, float, float, float, float]]:
        """The newest ``count`` candles held (open time, o, h, l, c, v), for ``/chart`` and tests."""
        start = max(0, self.buffer.size - count)
        cols = self.buffer.columns
        return [(int(self.buffer.open_times[i]), *(float(cols[k, i]) for k in range(5)))
                for i in range(start, self.buffer.size)]

    def received_since_start(self) -> int:
        return self.live_candles

    def duplicates(self) -> int:
        return self.duplicates_received

    def _on_warmup(self, reply: ExchangeReply) -> None:
        if self.ready:
            return
        if reply.outcome != "ok":
            log.warning("%s: warm-up failed (%s %s); retrying", self.symbol, reply.code, reply.message)
            self._request_warmup()
            return
        now = self.ctx.clock.now_ms()
        for candle in sorted(reply.candles, key=lambda c: c.open_time):
            if candle.close_time <= now and (self.buffer.last_open_time is None
                                             or candle.open_time > self.buffer.last_open_time):
                self.buffer.append(candle)
        self.ready = True
        log.info("%s: warmed up with %d candles (last open %s)", self.symbol, self.buffer.size,
                 self.buffer.last_open_time)
        self.send(FEED, SymbolReady(ts_event=now, ts_init=now, symbol=self.symbol,
                                    last_open_time=self.buffer.last_open_time))

    def _on_candle(self, message: CandleClosed) -> None:
        candle = message.candle
        if self._fail_on_candle:
            raise RuntimeError(f"chaos: {self.symbol} fails on every candle (chaos.fail_symbols)")
        if self._chaos is not None and self._chaos.random() < self._failure_rate:
            raise RuntimeError(f"chaos: {self.symbol} failed at random (chaos.symbol_failure_rate)")
        last = self.buffer.last_open_time
        if last is not None and candle.open_time <= last:
            self.duplicates_received += 1  # the feed guarantees exactly-once; count any breach
            return
        self.buffer.append(candle)
        self.live_candles += 1
        self.ctx.health.set(f"candle.{self.symbol}", {"open_time": candle.open_time, "source": message.source,
                                                       "at": self.ctx.clock.now_ms()})
        o, h, low, c, v = self.buffer.view()
        settings = self.settings
        decision = evaluate(o, h, low, c, v, settings.strategy, settings.orders, candle.open_time)
        now = self.ctx.clock.now_ms()
        correlation_id = make_correlation_id(self.symbol, candle.close_time)
        signal = SignalGenerated(ts_event=candle.close_time, ts_init=now, correlation_id=correlation_id,
                                 symbol=self.symbol, timeframe=self.timeframe, candle_close_time=candle.close_time,
                                 decision=decision)
        self.send(RISK, signal)
        if decision.direction != "NONE":
            b = decision.breakdown
            log.info("[%s] signal %s %s at %s: trigger=%s confirmations=%s atr=%.3f%% (%s)", correlation_id,
                     decision.direction, self.symbol, decision.close, b.trigger, ",".join(b.confirmations),
                     b.atr_pct, b.reason)
            self.ctx.storage.record_signal(
                ts_ms=candle.close_time, correlation_id=correlation_id, symbol=self.symbol,
                side=decision.direction, strategy=settings.strategy.name, breakdown=b,
                profile=settings.profile, price=decision.close)
        else:
            log.debug("[%s] %s no signal: %s", correlation_id, self.symbol, decision.breakdown.reason)
