"""RootSupervisor: starts the shared actors in order, restarts them one_for_one, and brings the process
down in order (exit code 1, for the service manager to restart it) when one keeps failing."""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import FEED, NOTIFIER, ORDER, SYMBOLS
from core.supervision import GiveUp, RestartTracker
from messages.runtime import AnnouncePositions, ResendReady, RestartChild
from messages.supervision import ChildFailed, SharedActorGaveUp

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ChildSpec:
    """How to (re)start one shared actor: ``start(ctx, name, supervisor) -> ActorRef``."""

    name: str
    start: Callable[[BotContext, str, str], Any]


class RootSupervisor(BotActor):
    """Owns the shared actors and the SymbolSupervisor."""

    def __init__(self, ctx: BotContext, name: str, specs: list[ChildSpec],
                 on_give_up: Callable[[int, str], None]) -> None:
        super().__init__(ctx, name, supervisor=name)
        self.specs = {spec.name: spec for spec in specs}
        self.order = [spec.name for spec in specs]
        self.on_give_up = on_give_up
        self.trackers: dict[str, RestartTracker] = {}
        self.restarts: dict[str, int] = {}
        self._rng = random.Random(ctx.settings.demo.seed + 1)
        self.stopping = False

    def start_children(self) -> None:
        """Start every shared actor in dependency order (called through ``ask`` by the app)."""
        for name in self.order:
            self._start(name)

    def _start(self, name: str) -> None:
        ref = self.specs[name].start(self.ctx, name, self.name)
        self.ctx.directory.register(name, ref)

    def receive(self, message: Any) -> Any:
        if isinstance(message, ChildFailed):
            self._on_failure(message)
        elif isinstance(message, RestartChild):
            if not self.stopping and message.name in self.specs:
                self._start(message.name)
                self._after_restart(message.name)
        else:
            return super().receive(message)
        return None

    def _on_failure(self, failure: ChildFailed) -> None:
        if self.stopping or failure.name not in self.specs:
            return
        if failure.hung:
            ref = self.ctx.directory.get(failure.name)
            self.ctx.directory.unregister(failure.name)
            if ref is not None:
                ref.stop(block=False)
        s = self.ctx.settings.supervision
        tracker = self.trackers.setdefault(failure.name, RestartTracker(
            s.max_restarts, int(s.within_s * 1000), int(s.backoff_initial_s * 1000), int(s.backoff_max_s * 1000),
            self._rng))
        decision = tracker.on_failure(int(time.monotonic() * 1000))
        now = self.ctx.clock.now_ms()
        if isinstance(decision, GiveUp):
            log.critical("%s failed %d times within %.0fs: shutting down", failure.name, decision.failures,
                         s.within_s)
            self.send(NOTIFIER, SharedActorGaveUp(ts_event=now, ts_init=now, name=failure.name,
                                                  failures=decision.failures, last_error=failure.error))
            self.stopping = True
            self.on_give_up(1, f"{failure.name} kept failing: {failure.error}")
            return
        self.restarts[failure.name] = self.restarts.get(failure.name, 0) + 1
        self.ctx.health.increment("root.restarts")
        self.ctx.health.increment(f"restarts.{failure.name}")  # per actor, for the metrics exporter
        log.warning("%s failed (%s): restart %d in %d ms", failure.name, failure.error, decision.attempt,
                    decision.delay_ms)
        if failure.name != NOTIFIER:
            self.send(NOTIFIER, failure)
        timer = threading.Timer(decision.delay_ms / 1000, self.ctx.directory.tell,
                                args=(self.name, RestartChild(ts_init=now, name=failure.name)))
        timer.daemon = True
        timer.start()

    def _after_restart(self, name: str) -> None:
        """A fresh instance rebuilds its state from the others."""
        now = self.ctx.clock.now_ms()
        if name == FEED:
            self.send(SYMBOLS, ResendReady(ts_init=now))
        elif name == "risk":
            self.send(ORDER, AnnouncePositions(ts_init=now))

    def status(self) -> dict[str, Any]:
        return {"restarts": dict(self.restarts), "children": {n: self.ctx.directory.get(n) is not None
                                                               for n in self.order}}
