"""Background threads of the running bot: the timer beat, the heartbeat monitor, the status line."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

import pykka

from actors.context import BotContext
from actors.directory import RISK, ROOT, SYMBOLS, ActorDirectory
from core.clock import Clock
from messages.control import Tick

log = logging.getLogger(__name__)


class _Loop(threading.Thread):
    """A daemon thread that runs ``step`` every ``interval_s`` until stopped."""

    def __init__(self, name: str, interval_s: float) -> None:
        super().__init__(name=name, daemon=True)
        self.interval_s = interval_s
        self._halt = threading.Event()

    def run(self) -> None:
        while not self._halt.wait(self.interval_s):
            try:
                self.step()
            except Exception:  # a monitoring hiccup must never end monitoring
                log.exception("%s step failed", self.name)

    def step(self) -> None:
        raise NotImplementedError

    def stop(self) -> None:
        self._halt.set()


class Ticker(_Loop):
    """Sends ``Tick(now)`` on the bot's clock to the actors with deadlines (max hold, pauses, polls)."""

    def __init__(self, directory: ActorDirectory, clock: Clock, targets: Iterable[str], interval_s: float) -> None:
        super().__init__("ticker", interval_s)
        self.directory = directory
        self.clock = clock
        self.targets = tuple(targets)

    def step(self) -> None:
        now = self.clock.now_ms()
        for name in self.targets:
            self.directory.tell(name, Tick(ts_init=now))


class HeartbeatMonitor(_Loop):
    """Asks every actor to answer ``ping`` within the timeout; a silent one is reported as hung."""

    def __init__(self, ctx: BotContext, on_hung: Callable[[str, str], None],
                 on_healthy: Callable[[], None] | None = None) -> None:
        super().__init__("heartbeat", ctx.settings.supervision.heartbeat_interval_s)
        self.ctx = ctx
        self.on_hung = on_hung
        # Called after a round in which every actor, the RootSupervisor included, answered: feeds the
        # systemd watchdog, so a hung tree stops the pings and the service manager restarts the process.
        self.on_healthy = on_healthy
        self.timeout_s = ctx.settings.supervision.heartbeat_timeout_s
        self._proxies: dict[str, tuple[Any, Any]] = {}

    def step(self) -> None:
        pending = []
        for name in self.ctx.directory.names():
            ref = self.ctx.directory.get(name)
            if ref is None:
                continue
            try:
                pending.append((name, ref.proxy().ping()))
            except pykka.ActorDeadError:
                continue
        deadline = time.monotonic() + self.timeout_s
        healthy = bool(pending)
        for name, future in pending:
            try:
                future.get(timeout=max(0.01, deadline - time.monotonic()))
            except pykka.Timeout:
                healthy = False
                if name == ROOT:  # nobody above it to restart it: only the service manager can
                    log.error("the root supervisor did not answer its heartbeat within %.1fs", self.timeout_s)
                    self.ctx.health.increment("heartbeat.missed")
                    continue
                supervisor = SYMBOLS if name.startswith("symbol:") else ROOT
                log.error("actor %s did not answer its heartbeat within %.1fs", name, self.timeout_s)
                self.ctx.health.increment("heartbeat.missed")
                self.on_hung(name, supervisor)
            except pykka.ActorDeadError:
                continue
        if healthy and self.on_healthy is not None and not self._halt.is_set():
            self.on_healthy()


class StatusReporter(_Loop):
    """One line every few seconds: balance, positions, PnL today, uptime, feed, exchange weight."""

    def __init__(self, ctx: BotContext, interval_s: float) -> None:
        super().__init__("status", interval_s)
        self.ctx = ctx

    def step(self) -> None:
        log.info("status: %s", status_line(self.ctx))


def status_line(ctx: BotContext) -> str:
    health = ctx.health.snapshot()
    values = health["values"]
    parts = [f"uptime {health['uptime_s'] / 60:.0f}m"]
    ref = ctx.directory.get(RISK)
    if ref is not None:
        try:
            asked = time.monotonic()
            risk = ref.proxy().status().get(timeout=1.0)
            # Loop lag: how long the RiskActor's inbox made us wait (the entry path runs through it).
            lag_ms = (time.monotonic() - asked) * 1000
            parts += [f"equity {risk.equity:.2f}", f"today {risk.daily_pnl:+.2f}",
                      f"positions {risk.open_positions}/{risk.max_concurrent_positions}",
                      "PAUSED" if risk.paused else "active", f"loop lag {lag_ms:.0f}ms"]
        except (pykka.Timeout, pykka.ActorDeadError):
            parts.append("risk: no answer (loop lag > 1 s)")
    reaction = ctx.health.latencies("candle_to_entry_order")
    if reaction:
        parts.append(f"candle→order p50 {sorted(reaction)[len(reaction) // 2] * 1000:.0f}ms")
    feed = values.get("feed.state", {})
    if feed:
        rest = sum(1 for v in feed.values() if v == "rest")
        parts.append(f"feed {len(feed) - rest} ws/{rest} rest")
    budget = values.get("exchange.budget")
    if budget is not None:
        parts.append(f"weight {budget.used}/{budget.limit}")
    stats = values.get("exchange.stats")
    if stats is not None:
        snap = stats.snapshot()
        parts.append(f"rest p50 {snap['latency_p50_ms']:.0f}ms err {snap['error_rate'] * 100:.1f}%")
    return ", ".join(parts)
