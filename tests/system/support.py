"""Whole-system test support: the simulator on a free loopback port, the real bot (real ccxt,
websockets and actor tree) pointed at it, and ways to look at both."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pykka

import simulator
from config import load_settings
from service.bot import Bot
from simulator.config import SimulatorConfig
from tests.support import KLINES_DIR, eventually

# The system tests exercise the machinery, not the tuned profile: a strategy that signals often.
FREQUENT_SIGNALS: dict[str, Any] = {
    "triggers": ["ema_cross", "macd_cross", "rsi_reversal"],
    "confirmations": ["trend", "rsi_zone", "macd_momentum", "volume"],
    "min_confirmations": 1, "volume_factor": 1.2, "atr_min_pct": 0.05, "atr_max_pct": 1.5,
}
FAST_SETTINGS: dict[str, Any] = {
    "strategy": FREQUENT_SIGNALS,
    "exchange": {"stale_after_s": 3.0, "rest_poll_interval_s": 0.5},
    "supervision": {"heartbeat_interval_s": 1.0, "heartbeat_timeout_s": 5.0, "backoff_initial_s": 0.05},
    "logging": {"status_interval_s": 3600},
}


def settings_for(tmp_path: Path, overrides: dict[str, Any] | None = None, env: dict[str, str] | None = None) -> Any:
    """Settings for a test bot: storage under ``tmp_path``, no environment leaking in; ``env`` is the
    whole environment the loader sees (e.g. ``TELEGRAM_TOKEN``, ``BOT__SECTION__KEY``)."""
    return load_settings(env=dict(env or {}), env_file=None, overrides=_layer(tmp_path, overrides)).settings


def _layer(tmp_path: Path, overrides: dict[str, Any] | None) -> dict[str, Any]:
    layer: dict[str, Any] = {"storage": {"data_dir": str(tmp_path / "var")}}
    for section, values in FAST_SETTINGS.items():
        layer[section] = dict(values)
    for section, values in (overrides or {}).items():
        if isinstance(values, dict):
            layer.setdefault(section, {}).update(values)
        else:
            layer[section] = values
    return layer


@contextmanager
def running_simulator(**config: Any) -> Iterator[Any]:
    options: dict[str, Any] = {"data_dir": KLINES_DIR, "port": 0}
    options.update(config)
    handle = simulator.start(SimulatorConfig(**options))
    try:
        yield handle
    finally:
        handle.stop()


@contextmanager
def running_bot(sim: Any, tmp_path: Path, overrides: dict[str, Any] | None = None,
                share_clock: bool = True, env: dict[str, str] | None = None) -> Iterator[Bot]:
    settings = settings_for(tmp_path, overrides, env)
    bot = Bot(settings, exchange_url=sim.rest_url, ws_url=sim.ws_url,
              clock=sim.clock if share_clock else None,
              simulator_overrides={"speed": sim.clock.speed},
              reload_settings=lambda: settings_for(tmp_path, overrides, env))
    bot.start()
    try:
        yield bot
    finally:
        bot.stop()


def ask(bot: Bot, name: str, method: str, *args: Any, timeout: float = 5.0) -> Any:
    """Ask an actor at the edge (tests are an edge): ``ask(bot, "order", "positions")``."""
    assert bot.ctx is not None
    ref = bot.ctx.directory.get(name)
    if ref is None:
        raise AssertionError(f"actor {name} is not running")
    return getattr(ref.proxy(), method)(*args).get(timeout=timeout)


def actor_alive(bot: Bot, name: str) -> bool:
    assert bot.ctx is not None
    ref = bot.ctx.directory.get(name)
    if ref is None:
        return False
    try:
        ref.proxy().ping().get(timeout=2.0)
        return True
    except (pykka.ActorDeadError, pykka.Timeout):
        return False


def wait_ready(bot: Bot, symbols: int, timeout: float = 30.0) -> None:
    """Until ``symbols`` SymbolActors are warmed up and reconciliation is done."""
    assert bot.ctx is not None
    health = bot.ctx.health
    eventually(lambda: len(health.get("symbols.active", [])) >= symbols, timeout, message="symbols never started")
    eventually(lambda: ask(bot, "risk", "status").reconciled, timeout, message="never reconciled")


def settle(bot: Bot, sim: Any, timeout: float = 15.0) -> None:
    """Until the bot has digested everything the simulator sent it and has no request in flight."""
    assert bot.ctx is not None
    health = bot.ctx.health

    def quiet() -> bool:
        sent = sum(sim.user_events_sent().values())
        if health.counter("user_stream.events") < sent:
            return False
        for name in ("risk", "order"):
            ask(bot, name, "ping")
        return ask(bot, "order", "pending_requests") == 0 and health.counter("user_stream.events") >= sent

    eventually(lambda: quiet() and quiet(), timeout, message="the bot did not settle")


def step_minutes(bot: Bot, sim: Any, minutes: int) -> None:
    """Stepped simulator: move time a minute at a time, letting the bot react after each step."""
    for _ in range(minutes):
        sim.advance(60_000)
        bot.tick_now()
        settle(bot, sim)
