"""Scanner (SymbolManager): picks the USDC perpetuals to trade and rotates them.

At start and every ``symbols.rotation_interval_min`` (bot clock) it reads the 24 h tickers and a short
candle history per candidate (for the ATR band), applies ``core.scanner.select_symbols`` and tells the
SymbolSupervisor which symbols to add and remove. A symbol with a position is never removed.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import EXCHANGE, SYMBOLS
from core.scanner import MarketFacts, select_symbols
from messages.control import Tick
from messages.exchange import ExchangeReply, FetchCandles, FetchTickers
from messages.orders import PositionClosed, PositionOpened
from messages.runtime import AddSymbols, RemoveSymbols

log = logging.getLogger(__name__)

ATR_CANDLES = 60


class ScannerActor(BotActor):
    """Symbol selection on a timer; the pure rules live in ``core.scanner``."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__(ctx, name, supervisor)
        self.selected: tuple[str, ...] = ()
        self.holding: set[str] = set()
        self.last_scan_ms = -1
        self._volumes: dict[str, float] = {}
        self._atr: dict[str, float] = {}
        self._waiting: set[str] = set()
        self._seq = 0
        self._scanning = False

    def started(self) -> None:
        self._scan()

    def receive(self, message: Any) -> Any:
        if isinstance(message, Tick):
            interval = int(self.ctx.settings.symbols.rotation_interval_min * 60_000)
            if not self._scanning and message.ts_init - self.last_scan_ms >= interval:
                self._scan()
        elif isinstance(message, ExchangeReply):
            self._on_reply(message)
        elif isinstance(message, PositionOpened):
            self.holding.add(message.symbol)
        elif isinstance(message, PositionClosed):
            self.holding.discard(message.symbol)
        else:
            return super().receive(message)
        return None

    def _scan(self) -> None:
        self._scanning = True
        self.last_scan_ms = self.ctx.clock.now_ms()
        self._seq += 1
        self.send(EXCHANGE, FetchTickers(request_id=f"scan:{self._seq}:tickers", ts_init=self.last_scan_ms,
                                         reply_to=self.name))

    def _on_reply(self, reply: ExchangeReply) -> None:
        if isinstance(reply.request, FetchTickers):
            if reply.outcome != "ok":
                log.warning("scanner: tickers unavailable (%s %s); keeping %s", reply.code, reply.message,
                            self.selected)
                self._scanning = False
                return
            catalog = self.ctx.catalog
            self._volumes = {t.symbol: t.quote_volume_24h for t in reply.tickers if t.symbol in catalog.rules}
            minimum = self.ctx.settings.symbols.min_quote_volume_24h
            candidates = [s for s, v in self._volumes.items() if v >= minimum and s in catalog.active]
            self._atr = {}
            self._waiting = set(candidates)
            for symbol in candidates:
                self.send(EXCHANGE, FetchCandles(request_id=f"scan:{self._seq}:atr", ts_init=self.ctx.clock.now_ms(),
                                                 reply_to=self.name, symbol=symbol,
                                                 timeframe=self.ctx.settings.strategy.timeframe,
                                                 since_open_time=None, limit=ATR_CANDLES))
            if not candidates:
                self._finish()
        elif isinstance(reply.request, FetchCandles):
            symbol = reply.request.symbol
            if reply.outcome == "ok" and len(reply.candles) > 2:
                self._atr[symbol] = _atr_pct(reply.candles)
            self._waiting.discard(symbol)
            if not self._waiting:
                self._finish()

    def _finish(self) -> None:
        catalog = self.ctx.catalog
        facts = [MarketFacts(symbol=s, active=s in catalog.active, quote_volume_24h=self._volumes.get(s, 0.0),
                             atr_pct=self._atr.get(s)) for s in catalog.rules]
        selection = select_symbols(facts, self.ctx.settings.symbols, frozenset(self.holding))
        added = [s for s in selection.symbols if s not in self.selected]
        removed = [s for s in self.selected if s not in selection.symbols]
        self.selected = selection.symbols
        self._scanning = False
        now = self.ctx.clock.now_ms()
        log.info("scanner: trading %d symbols %s (added %s, removed %s)", len(self.selected), list(self.selected),
                 added, removed)
        self.ctx.health.set("scanner.selected", list(self.selected))
        if added:
            self.send(SYMBOLS, AddSymbols(ts_init=now, symbols=tuple(added)))
        if removed:
            self.send(SYMBOLS, RemoveSymbols(ts_init=now, symbols=tuple(removed)))


def _atr_pct(candles: tuple[Any, ...]) -> float:
    """Mean true range over the candles as % of the last close (the scanner's rough volatility band)."""
    high = np.array([c.high for c in candles])
    low = np.array([c.low for c in candles])
    close = np.array([c.close for c in candles])
    previous = np.concatenate(([close[0]], close[:-1]))
    true_range = np.maximum(high - low, np.maximum(abs(high - previous), abs(low - previous)))
    return float(true_range.mean() / close[-1] * 100)
