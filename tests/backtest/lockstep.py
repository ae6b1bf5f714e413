"""Lockstep replay: the real bot (actors, ccxt, WebSockets) against the stepped simulator, one
simulated minute at a time, waiting after every step until the bot has done everything that step
caused. The backtest's loop mirrors exactly this schedule, so the two must take the same trades.

For each minute boundary T: advance the simulator to T-1 ms (the minute's fills, triggers and funding
reach the bot, which reacts), wait until quiescent; advance to T (the candle closing at T is delivered;
signals, risk decisions and entries follow), wait until quiescent. Quiescent: every user-data event the
simulator sent has been handled, every SymbolActor has processed the newest closed candle, the risk and
order actors have drained their inboxes (a ping is answered after everything queued before it), no
exchange request is in flight, and all of that twice in a row with nothing changing in between.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from service.bot import Bot
from tests.support import eventually
from tests.system.support import ask

MINUTE_MS = 60_000


def parity_overrides(symbols: Iterable[str], extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """Bot settings for a lockstep replay: exactly ``symbols`` are traded, no REST fallback or periodic
    rescans while the harness waits, no reconciliation churn."""
    chosen = list(symbols)
    layer: dict[str, Any] = {
        "symbols": {"whitelist": chosen, "max_symbols": len(chosen), "min_quote_volume_24h": 0.0,
                    "atr_pct_min": 0.0, "atr_pct_max": 100.0, "rotation_interval_min": 10080.0},
        # A day replays in about a minute of real time: the local weight budget (per real minute) must
        # not throttle what the simulator (per simulated minute) accepts.
        "exchange": {"stale_after_s": 300.0, "rest_poll_interval_s": 60.0, "weight_limit_per_minute": 6000},
        "orders": {"cleanup_interval_s": 3600.0},
        "logging": {"level": "WARNING"},
    }
    for section, values in (extra or {}).items():
        layer.setdefault(section, {}).update(values)
    return layer


class Lockstep:
    """Steps ``sim`` and waits for ``bot`` after every step."""

    def __init__(self, sim: Any, bot: Bot, symbols: Iterable[str], step_timeout_s: float = 90.0) -> None:
        assert bot.ctx is not None
        self.sim = sim
        self.bot = bot
        self.health = bot.ctx.health
        self.symbols = tuple(symbols)
        self.first_live_close = sim.start_ms + MINUTE_MS
        self.step_timeout_s = step_timeout_s

    def _snapshot(self, boundary: int) -> tuple[int, int, int] | str:
        """The quiescence figures, or what is still going on."""
        sent = sum(self.sim.user_events_sent().values())
        handled = self.health.counter("user_stream.events")
        if handled != sent:
            return f"user events: {handled} handled of {sent} sent"
        newest_open = boundary - boundary % MINUTE_MS - MINUTE_MS
        if boundary >= self.first_live_close:
            for symbol in self.symbols:
                seen = self.health.get(f"candle.{symbol}")
                if seen is None or seen["open_time"] < newest_open:
                    return f"{symbol}: newest candle {seen and seen['open_time']}, expected {newest_open}"
        ask(self.bot, "risk", "ping")
        ask(self.bot, "order", "ping")
        pending = ask(self.bot, "order", "pending_requests")
        if pending:
            return f"{pending} order requests in flight"
        return sent, handled, self.health.counter("exchange.requests")

    def settle(self, boundary: int) -> None:
        """Until the bot is quiescent at ``boundary``, twice in a row with nothing changing."""
        last: list[tuple[int, int, int] | str | None] = [None]

        def stable() -> bool:
            now = self._snapshot(boundary)
            same = not isinstance(now, str) and now == last[0]
            last[0] = now
            return same

        eventually(stable, timeout=self.step_timeout_s, interval=0.002,
                   message=lambda: f"the bot never settled at {boundary}: {last[0]}")

    def step_minute(self, close_time: int) -> None:
        for boundary in (close_time - 1, close_time):
            self.sim.advance_to(boundary)
            self.settle(boundary)

    def run(self, end_ms: int, on_minute: Callable[[int], None] | None = None) -> None:
        """Every minute boundary after the start up to ``end_ms`` (inclusive)."""
        close_time = self.first_live_close
        while close_time <= end_ms:
            self.step_minute(close_time)
            if on_minute is not None:
                on_minute(close_time)
            close_time += MINUTE_MS
