"""The running bot: builds the world (storage, clock, exchange, market catalog), starts the actor tree,
drives the timers, and stops it all in order.

Modes: ``demo`` starts the simulator in-process on a free loopback port (its clock becomes the bot's
clock); ``--exchange-url`` points any mode at a simulator that already runs; ``testnet`` uses Binance's
demo-trading endpoints; ``live`` the real ones (refused without an explicit ``--live``).
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pykka

from actors.context import BotContext
from actors.directory import (
    EXCHANGE,
    FEED,
    NOTIFIER,
    ORDER,
    RISK,
    ROOT,
    SCANNER,
    SYMBOLS,
    USER_STREAM,
    ActorDirectory,
)
from actors.exchange_actor import ExchangeActor
from actors.market_feed import MarketFeed
from actors.notifier_actor import NotifierActor
from actors.order_actor import OrderActor
from actors.risk_actor import RiskActor
from actors.root_supervisor import ChildSpec, RootSupervisor
from actors.scanner_actor import ScannerActor
from actors.symbol_supervisor import SymbolSupervisor
from actors.user_stream import UserStream
from config import Settings
from core.clock import Clock, ServerClock
from exchange.catalog import MarketCatalog
from exchange.ccxt_gateway import CallStats, CcxtGateway, TimeSync
from exchange.endpoints import Endpoints, endpoints_for
from exchange.rate_limit import WeightBudget
from messages.control import EmergencyClose, Shutdown, Tick
from messages.supervision import ChildFailed
from service.deferred_journal import DeferredJournal
from service.monitor import HeartbeatMonitor, StatusReporter, Ticker
from service.sd_notify import SdNotifier
from service.watchdog import ServiceWatchdog

log = logging.getLogger(__name__)

TICK_TARGETS = (RISK, ORDER, FEED, USER_STREAM, SCANNER)


class StartupError(Exception):
    """The bot cannot start; the message says why (shown to the user, exit code 1)."""


@dataclass
class Connection:
    """Where the bot trades and with which keys and clock."""

    endpoints: Endpoints
    api_key: str = field(repr=False)  # a traceback or log of the Bot must never show the keys
    api_secret: str = field(repr=False)
    clock: Clock
    speed: float = 1.0
    demo_trading: bool = False
    simulator: Any = None


@dataclass
class Bot:
    """One bot instance. ``start()`` then ``wait()``; ``stop()`` from a signal handler or a test."""

    settings: Settings
    exchange_url: str | None = None
    ws_url: str | None = None
    simulator_overrides: dict[str, Any] = field(default_factory=dict)
    clock: Clock | None = None  # in-process tests hand the simulator's clock over directly
    reload_settings: Any = None  # () -> Settings rebuilt from the start's layers (for /aggression)
    exit_code: int = 0
    ctx: BotContext | None = None
    connection: Connection | None = None
    _stopped: threading.Event = field(default_factory=threading.Event)
    _threads: list[Any] = field(default_factory=list)
    _stop_lock: threading.Lock = field(default_factory=threading.Lock)
    _stopping: bool = False
    telegram: Any = None
    watchdog: ServiceWatchdog | None = None  # systemd READY/WATCHDOG/STOPPING (no-op outside systemd)
    metrics: Any = None  # service.metrics.MetricsServer when logging.metrics_port is set

    # --------------------------------------------------------------- start
    def start(self) -> None:
        settings = self.settings
        settings.storage.data_dir.mkdir(parents=True, exist_ok=True)
        self.connection = self._connect()
        from storage import Storage

        storage = Storage(settings.storage.database_path, clock=self.connection.clock.now_ms)
        # Binance counts weight per minute of *its* clock; the simulator's minute is a simulated one.
        budget = WeightBudget(settings.exchange.weight_limit_per_minute, now_ms=self.connection.clock.now_ms)
        time_sync, stats = TimeSync(), CallStats()
        conn = self.connection

        def make_gateway() -> CcxtGateway:
            return CcxtGateway(endpoints=conn.endpoints, api_key=conn.api_key, api_secret=conn.api_secret,
                               budget=budget, time_sync=time_sync, stats=stats, demo_trading=conn.demo_trading,
                               timeout_s=settings.exchange.request_timeout_s,
                               recv_window_ms=settings.exchange.recv_window_ms, now_ms=conn.clock.now_ms)

        primary = make_gateway()

        def load_exchange_facts() -> tuple[dict, dict]:
            primary.sync_time()
            rules = primary.load_markets()
            return rules, primary.load_brackets(primary.active_usdc_perpetuals())

        try:
            rules, brackets = _with_retries(f"reaching the exchange at {conn.endpoints.rest}", load_exchange_facts)
        except StartupError:
            storage.close()
            raise
        catalog = MarketCatalog(rules=rules, brackets=brackets, active=tuple(primary.active_usdc_perpetuals()))
        log.info("exchange %s: %d USDC perpetuals (%d trading)", conn.endpoints.rest, len(rules), len(catalog.active))

        def worker_gateway() -> CcxtGateway:
            gateway = make_gateway()
            gateway.share_markets_from(primary)
            gateway._brackets = dict(primary._brackets)
            return gateway

        directory = ActorDirectory()
        # Journal writes survive a locked database or a full disk (kept and retried, not crashing actors).
        journal = DeferredJournal(storage, conn.clock.now_ms)
        self.ctx = BotContext(settings=settings, clock=conn.clock, directory=directory, storage=journal,
                              catalog=catalog, gateway_factory=worker_gateway, ws_root=conn.endpoints.ws,
                              legacy_ws_paths=conn.endpoints.legacy_ws_paths, speed=conn.speed,
                              reload_settings=self.reload_settings)
        journal.health = self.ctx.health
        self.ctx.health.set("exchange.stats", stats)
        self.ctx.health.set("exchange.budget", budget)
        self.ctx.health.set("mode", settings.exchange.mode)
        root = RootSupervisor.start(self.ctx, ROOT, self._specs(), self._give_up)
        directory.register(ROOT, root)
        root.proxy().start_children().get(timeout=30)
        from telegram_bot.runtime import start_telegram

        self.telegram = start_telegram(self.ctx)
        self.watchdog = ServiceWatchdog(SdNotifier.from_environment(), self._reconciled,
                                        lambda: f"trading: mode {settings.exchange.mode}, profile {settings.profile}")
        self.watchdog.check_timing(settings.supervision.heartbeat_interval_s, settings.supervision.heartbeat_timeout_s)
        from service.metrics import start_metrics

        self.metrics = start_metrics(self.ctx, getattr(settings.logging, "metrics_port", None))
        tick_s = 0.25 if conn.speed <= 60 else 0.1
        self._threads = [
            Ticker(directory, conn.clock, TICK_TARGETS, tick_s),
            HeartbeatMonitor(self.ctx, self._on_hung, self.watchdog.on_healthy),
            StatusReporter(self.ctx, settings.logging.status_interval_s),
        ]
        for thread in self._threads:
            thread.start()
        log.info("bot started: mode %s, profile %s, %s", settings.exchange.mode, settings.profile,
                 conn.endpoints.rest)

    def _specs(self) -> list[ChildSpec]:
        order = ((NOTIFIER, NotifierActor), (EXCHANGE, ExchangeActor), (RISK, RiskActor), (ORDER, OrderActor),
                 (USER_STREAM, UserStream), (FEED, MarketFeed), (SYMBOLS, SymbolSupervisor), (SCANNER, ScannerActor))
        return [ChildSpec(name, cls.start) for name, cls in order]

    def _connect(self) -> Connection:
        settings = self.settings
        ex = settings.exchange
        secrets = settings.secrets
        if ex.mode == "paper" and not self.exchange_url:
            # exchange.rest_url names the *data source* here; the bot trades on the embedded paper exchange.
            return self._start_paper_simulator()
        if self.exchange_url or ex.rest_url:
            rest = self.exchange_url or ex.rest_url
            endpoints = endpoints_for(ex.mode, rest, self.ws_url or ex.ws_url, ex.ws_legacy_paths)
            key, secret = _keys_or_simulator_defaults(settings)
            speed = float(self.simulator_overrides.get("speed", 1.0))
            if self.clock is not None:
                return Connection(endpoints, key, secret, self.clock, speed=speed)
            clock = ServerClock(speed=speed)
            _sync_server_clock(endpoints.rest, clock)
            return Connection(endpoints, key, secret, clock, speed=speed)
        if ex.mode == "demo":
            return self._start_embedded_simulator()
        if not secrets.has_binance_keys:
            raise StartupError(f"{ex.mode} mode needs BINANCE_API_KEY and BINANCE_API_SECRET")
        endpoints = endpoints_for(ex.mode, None, ex.ws_url, ex.ws_legacy_paths)
        clock = ServerClock()
        _sync_server_clock(endpoints.rest, clock)
        assert secrets.binance_api_key is not None and secrets.binance_api_secret is not None
        return Connection(endpoints, secrets.binance_api_key.get_secret_value(),
                          secrets.binance_api_secret.get_secret_value(), clock, demo_trading=ex.mode == "testnet")

    def _start_paper_simulator(self) -> Connection:
        """Paper mode: the simulator fed live from the source exchange's public data (see docs/paper.md)."""
        from service.paper import start_paper_simulator

        handle = start_paper_simulator(self.settings, self.settings.exchange.rest_url,
                                       overrides=self.simulator_overrides)
        return Connection(Endpoints(handle.rest_url, handle.ws_url), handle.api_key, handle.api_secret, handle.clock,
                          speed=handle.clock.speed, simulator=handle)

    def _start_embedded_simulator(self) -> Connection:
        import simulator
        from simulator.config import SimulatorConfig

        demo = self.settings.demo
        options: dict[str, Any] = {
            "data_dir": demo.data_dir, "speed": demo.speed, "seed": demo.seed, "start": demo.start,
            "balance": f"{demo.start_balance:.2f}", "symbols": list(demo.symbols) or None,
        }
        options.update(self.simulator_overrides)
        handle = simulator.start(SimulatorConfig(**options))
        log.info("demo: simulator on %s (%s, speed %sx)", handle.rest_url,
                 demo.data_dir or "synthetic data", options["speed"])
        return Connection(Endpoints(handle.rest_url, handle.ws_url), handle.api_key, handle.api_secret, handle.clock,
                          speed=float(options["speed"]) if not options.get("stepped") else 1.0, simulator=handle)

    # --------------------------------------------------------------- running
    def wait(self, timeout: float | None = None) -> int:
        """Block until the bot stops; returns the exit code."""
        self._stopped.wait(timeout)
        return self.exit_code

    def is_stopped(self) -> bool:
        return self._stopped.is_set()

    def _give_up(self, code: int, reason: str) -> None:
        log.critical("stopping: %s", reason)
        self.exit_code = code
        threading.Thread(target=self.stop, name="shutdown", daemon=True).start()

    def _reconciled(self) -> bool:
        ref = self.ctx.directory.get(RISK) if self.ctx is not None else None
        return ref is not None and bool(ref.proxy().status().get(timeout=2.0).reconciled)

    def _on_hung(self, name: str, supervisor: str) -> None:
        if self.ctx is None:
            return
        now = self.ctx.clock.now_ms()
        self.ctx.directory.tell(supervisor, ChildFailed(ts_event=now, ts_init=now, name=name,
                                                        error="no heartbeat answer", hung=True))

    # --------------------------------------------------------------- stop
    def stop(self, flatten: bool | None = None, deadline_s: float = 8.0) -> None:
        """No new entries, let in-flight order work finish, persist, close connections. Exchange-side
        stops stay in place unless ``flatten`` (default: ``exchange.flatten_on_shutdown``)."""
        with self._stop_lock:
            if self._stopping:
                return
            self._stopping = True
        started = time.monotonic()
        ctx = self.ctx
        if self.watchdog is not None:
            self.watchdog.stopping()
        try:
            if ctx is not None:
                directory = ctx.directory
                now = ctx.clock.now_ms()
                flatten = self.settings.exchange.flatten_on_shutdown if flatten is None else flatten
                directory.tell(RISK, Shutdown(ts_init=now, reason="shutdown", flatten=flatten))
                for thread in self._threads:
                    thread.stop()
                if self.metrics is not None:
                    self.metrics.stop()
                if self.telegram is not None:
                    self.telegram.stop()
                for name in (SCANNER, SYMBOLS, FEED):
                    _stop_actor(directory, name)
                if flatten:
                    self._flatten(directory, ctx, started + deadline_s * 0.6)
                self._drain_orders(directory, started + deadline_s * 0.75)
                for name in (USER_STREAM, ORDER, RISK, NOTIFIER, EXCHANGE, ROOT):
                    _stop_actor(directory, name)
                ctx.storage.close()
        except Exception:  # shutting down must finish whatever went wrong
            log.exception("error while stopping")
        finally:
            if self.connection is not None and self.connection.simulator is not None:
                self.connection.simulator.stop()
            log.info("bot stopped in %.1fs (exit code %d)", time.monotonic() - started, self.exit_code)
            self._stopped.set()

    def _flatten(self, directory: ActorDirectory, ctx: BotContext, until: float) -> None:
        """``flatten_on_shutdown``: the emergency close, waited for until the book is empty."""
        log.warning("shutdown: closing every position and order (flatten_on_shutdown)")
        directory.tell(ORDER, EmergencyClose(ts_init=ctx.clock.now_ms(), requested_by="shutdown"))
        ref = directory.get(ORDER)
        while ref is not None and time.monotonic() < until:
            try:
                order = ref.proxy()
                if not order.positions().get(timeout=1.0) and order.pending_requests().get(timeout=1.0) == 0:
                    return
            except (pykka.Timeout, pykka.ActorDeadError):
                return
            time.sleep(0.05)
        log.error("shutdown: positions still open after the flatten deadline")

    def _drain_orders(self, directory: ActorDirectory, until: float) -> None:
        ref = directory.get(ORDER)
        while ref is not None and time.monotonic() < until:
            try:
                if ref.proxy().pending_requests().get(timeout=1.0) == 0:
                    return
            except (pykka.Timeout, pykka.ActorDeadError):
                return
            time.sleep(0.05)

    def tick_now(self) -> None:
        """Send one timer beat at once (lockstep harnesses)."""
        if self.ctx is not None:
            now = self.ctx.clock.now_ms()
            for name in TICK_TARGETS:
                self.ctx.directory.tell(name, Tick(ts_init=now))


def _stop_actor(directory: ActorDirectory, name: str) -> None:
    ref = directory.get(name)
    directory.unregister(name)
    if ref is None:
        return
    try:
        ref.stop(block=True, timeout=2.0)
    except (pykka.Timeout, pykka.ActorDeadError):
        log.warning("actor %s did not stop in time", name)


def _keys_or_simulator_defaults(settings: Settings) -> tuple[str, str]:
    secrets = settings.secrets
    if secrets.has_binance_keys:
        assert secrets.binance_api_key is not None and secrets.binance_api_secret is not None
        return secrets.binance_api_key.get_secret_value(), secrets.binance_api_secret.get_secret_value()
    from simulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

    return DEFAULT_API_KEY, DEFAULT_API_SECRET


def _with_retries(what: str, step: Any, attempts: int = 8, first_delay_s: float = 0.5) -> Any:
    """Start-up talks to the exchange before anything else runs: a 429 burst or a restart of the
    exchange must not end the bot, so retry with backoff (about half a minute in all) before giving up."""
    delay = first_delay_s
    for attempt in range(1, attempts + 1):
        try:
            return step()
        except Exception as exc:  # any failure here is retried; the last one is reported
            if attempt == attempts:
                raise StartupError(f"{what} failed {attempts} times; last error: {exc}") from exc
            log.warning("%s failed (%s); retrying in %.1fs", what, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 8.0)
    raise AssertionError("unreachable")


def _sync_server_clock(rest_root: str, clock: ServerClock) -> None:
    import json
    import urllib.request

    def read_time() -> tuple[int, int]:
        started = time.monotonic()
        with urllib.request.urlopen(f"{rest_root}/fapi/v1/time", timeout=10) as response:
            server = int(json.loads(response.read())["serverTime"])
        return server, int((time.monotonic() - started) * 1000)

    server, round_trip = _with_retries(f"reading the exchange time from {rest_root}", read_time)
    clock.sync(server, round_trip)

