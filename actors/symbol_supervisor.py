"""SymbolSupervisor: one SymbolActor per traded symbol, one_for_one, with quarantine.

A failed SymbolActor is restarted after a jittered, growing backoff (it rebuilds its candle buffer by
REST); past the restart intensity its symbol is quarantined: no new entries, its open position keeps
its exchange-side stop, the owner is told, and every other symbol goes on.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from typing import Any

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import FEED, NOTIFIER, RISK, symbol_actor_name
from actors.symbol_actor import SymbolActor
from core.supervision import GiveUp, RestartTracker
from messages.control import ApplySettings
from messages.runtime import ActiveSymbolsChanged, AddSymbols, RemoveSymbols, ResendReady, RestartChild, SymbolRemoved
from messages.supervision import ChildFailed, SymbolQuarantined

log = logging.getLogger(__name__)


def _mono_ms() -> int:
    return int(time.monotonic() * 1000)


class SymbolSupervisor(BotActor):
    """Owns the SymbolActors."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__(ctx, name, supervisor)
        self.symbols: set[str] = set()
        self.quarantined: dict[str, str] = {}
        self.trackers: dict[str, RestartTracker] = {}
        self.restarts = 0
        self._rng = random.Random(ctx.settings.demo.seed)
        self._timers: list[threading.Timer] = []

    def on_stop(self) -> None:
        for timer in self._timers:
            timer.cancel()
        for symbol in list(self.symbols):
            self._stop_child(symbol)

    def receive(self, message: Any) -> Any:
        if isinstance(message, AddSymbols):
            for symbol in message.symbols:
                if symbol not in self.symbols and symbol not in self.quarantined:
                    self.symbols.add(symbol)
                    self._start_child(symbol)
            self._announce()
        elif isinstance(message, RemoveSymbols):
            for symbol in message.symbols:
                if symbol in self.symbols:
                    self.symbols.discard(symbol)
                    self._stop_child(symbol)
                    self._tell_removed(symbol)
            self._announce()
        elif isinstance(message, ChildFailed):
            self._on_failure(message)
        elif isinstance(message, RestartChild):
            symbol = message.name.removeprefix("symbol:")
            if symbol in self.symbols and symbol not in self.quarantined:
                self._start_child(symbol)
        elif isinstance(message, (ApplySettings, ResendReady)):
            for symbol in self.symbols:
                self.send(symbol_actor_name(symbol), message)
        else:
            return super().receive(message)
        return None

    def status(self) -> dict[str, Any]:
        """For ``/health`` (asked at the edge)."""
        return {"symbols": sorted(self.symbols), "quarantined": dict(self.quarantined), "restarts": self.restarts}

    # --------------------------------------------------------------- children
    def _start_child(self, symbol: str) -> None:
        name = symbol_actor_name(symbol)
        ref = SymbolActor.start(self.ctx, name, self.name, symbol)
        self.ctx.directory.register(name, ref)

    def _stop_child(self, symbol: str) -> None:
        name = symbol_actor_name(symbol)
        ref = self.ctx.directory.get(name)
        self.ctx.directory.unregister(name)
        if ref is not None:
            ref.stop(block=False)

    def _on_failure(self, failure: ChildFailed) -> None:
        symbol = failure.name.removeprefix("symbol:")
        if symbol not in self.symbols or symbol in self.quarantined:
            return
        if failure.hung:
            self._stop_child(symbol)
        s = self.ctx.settings.supervision
        tracker = self.trackers.setdefault(symbol, RestartTracker(
            s.max_restarts, int(s.within_s * 1000), int(s.backoff_initial_s * 1000), int(s.backoff_max_s * 1000),
            self._rng))
        decision = tracker.on_failure(_mono_ms())
        now = self.ctx.clock.now_ms()
        if isinstance(decision, GiveUp):
            self.quarantined[symbol] = failure.error
            self._stop_child(symbol)
            log.error("%s quarantined after %d failures: %s", symbol, decision.failures, failure.error)
            event = SymbolQuarantined(ts_event=now, ts_init=now, symbol=symbol, failures=decision.failures,
                                      last_error=failure.error)
            self.send(RISK, event)
            self.send(NOTIFIER, event)
            self._tell_removed(symbol, to_risk=False)
            self.ctx.health.set("symbols.quarantined", sorted(self.quarantined))
            self._announce()
            return
        self.restarts += 1
        self.ctx.health.increment("symbols.restarts")
        self.ctx.health.increment(f"restarts.{failure.name}")  # per actor, for the metrics exporter
        log.warning("%s failed (%s): restart %d in %d ms", symbol, failure.error, decision.attempt, decision.delay_ms)
        self.send(NOTIFIER, failure)
        self.ctx.storage.record_event("actor_restart", f"{failure.name}: {failure.error}", level="warning",
                                      symbol=symbol, details={"attempt": decision.attempt,
                                                              "backoff_ms": decision.delay_ms})
        timer = threading.Timer(decision.delay_ms / 1000, self._restart_later, args=(failure.name,))
        timer.daemon = True
        self._timers = [t for t in self._timers if t.is_alive()] + [timer]
        timer.start()

    def _restart_later(self, name: str) -> None:
        now = self.ctx.clock.now_ms()
        self.ctx.directory.tell(self.name, RestartChild(ts_init=now, name=name))

    def _tell_removed(self, symbol: str, to_risk: bool = True) -> None:
        now = self.ctx.clock.now_ms()
        removed = SymbolRemoved(ts_event=now, ts_init=now, symbol=symbol)
        self.send(FEED, removed)
        if to_risk:
            self.send(RISK, removed)

    def _announce(self) -> None:
        now = self.ctx.clock.now_ms()
        active = tuple(sorted(self.symbols - set(self.quarantined)))
        self.ctx.health.set("symbols.active", list(active))
        self.send(RISK, ActiveSymbolsChanged(ts_event=now, ts_init=now, symbols=active))
