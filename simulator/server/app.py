"""The simulator process: one engine, one clock, REST + WebSocket on one aiohttp port, in its own thread
with its own asyncio loop. Everything touching the engine runs on that loop (single-threaded engine);
in paper mode the live feed's task appends candles on that loop too."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any, TypeVar

import msgspec
from aiohttp import web

from simulator import loader, synthetic
from simulator.candles import MINUTE_MS, CandleSeries
from simulator.clock import VirtualClock
from simulator.config import WARMUP_MINUTES, SimulatorConfig, parse_time
from simulator.engine import Engine, EngineConfig, Event
from simulator.errors import BinanceError
from simulator.server import auth
from simulator.server.control import add_control_routes
from simulator.server.faults import FaultInjector
from simulator.server.limits import LimitError, RateLimiter
from simulator.server.listen_keys import ListenKeys
from simulator.server.rest import NONE, SIGNED, Ctx, build_routes
from simulator.server.ws import WsHub

if TYPE_CHECKING:
    from simulator.live import LiveFeed

log = logging.getLogger(__name__)
T = TypeVar("T")
_JSON = "application/json"


def load_series(config: SimulatorConfig) -> tuple[dict[str, CandleSeries], dict[str, str], int]:
    """(series by symbol, skipped files and why, default start) for the configured data source."""
    start = parse_time(config.start)
    if config.series is not None:
        series = dict(config.series)
        skipped: dict[str, str] = {}
    elif config.data_dir is not None:
        result = loader.load_directory(config.data_dir, config.symbols, config.symbol_map, config.synthesize_markets)
        series, skipped = result.series, result.skipped
    else:
        if start is None:
            first = (int(time.time() * 1000) // MINUTE_MS - WARMUP_MINUTES) * MINUTE_MS
        else:
            first = start - WARMUP_MINUTES * MINUTE_MS
        symbols = [loader.normalise_symbol(s) for s in config.symbols] if config.symbols else synthetic.DEFAULT_SYMBOLS
        minutes = int(config.synthetic_days * 1440) + WARMUP_MINUTES
        series, skipped = synthetic.generate(symbols, first, minutes, config.seed), {}
    if not series:
        raise ValueError(f"no market data to replay (skipped: {skipped})")
    default_start = min(s.first_ms for s in series.values()) + WARMUP_MINUTES * MINUTE_MS
    return series, skipped, start if start is not None else default_start


class SimulatorServer:
    """Hosts the engine behind HTTP and WebSocket. Create, then :meth:`start_in_thread`."""

    def __init__(self, config: SimulatorConfig) -> None:
        self.config = config
        self.live: LiveFeed | None = None
        self.clock: VirtualClock
        if config.live_source_url:
            from simulator.live import open_live_feed

            self.live = open_live_feed(config)
            self.series, self.skipped = self.live.series, dict(self.live.skipped)
            self.clock = self.live.clock
            self.start_ms = self.clock.now_ms()
        else:
            self.series, self.skipped, self.start_ms = load_series(config)
            self.clock = VirtualClock(self.start_ms, config.speed, config.stepped)
        self.engine = Engine(
            self.series,
            EngineConfig(
                balance=config.balance,
                taker_fee=config.taker_fee,
                maker_fee=config.maker_fee,
                slippage_bps=config.slippage_bps,
                default_leverage=config.default_leverage,
                liquidation=config.liquidation,
            ),
            self.start_ms,
        )
        self.faults = config.faults
        self.injector = FaultInjector(self.faults, config.seed)
        self.limiter = RateLimiter(enabled=config.rate_limits)
        self.listen_keys = ListenKeys(config.listen_key_ttl_ms, config.seed)
        self.hub = WsHub(self)
        self.routes = build_routes()
        self.port = 0
        self.loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self._frame_time = self.start_ms
        self._driver: asyncio.Task | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None

    # --- time -------------------------------------------------------------------------------------------

    def now(self) -> int:
        return self.engine.now_ms

    def server_time(self) -> int:
        return self.engine.now_ms + self.faults.clock_skew_ms

    def sync(self) -> None:
        """Bring the engine to the clock (not in stepped mode) and deliver what happened."""
        if not self.clock.stepped:
            self.publish(self.engine.advance_to(self.clock.now_ms()))
        else:
            self.publish()

    def publish(self, events: list[Event] | None = None) -> None:
        """Hand the engine's pending user-data events (plus ``events`` already drained) to the clients."""
        self.hub.publish_user([*(events or []), *self.engine.drain_events()])
        for key in self.listen_keys.lapsed(self.engine.now_ms):
            expired_at = min(self.listen_keys.expiry[key], self.engine.now_ms)
            self.hub.send_to_key(key, {"e": "listenKeyExpired", "E": str(expired_at), "listenKey": key})

    async def step_to(self, ts: int) -> None:
        """Stepped mode: advance to ``ts``; returns when every event and frame of the step is queued."""
        self.clock.set(ts)
        self.publish(self.engine.advance_to(self.clock.now_ms()))
        now = self.engine.now_ms
        self.hub.market_step(self._frame_time, now)
        self._frame_time = max(self._frame_time, now)

    async def _drive(self) -> None:
        """Real-time and accelerated modes: advance and push frames at a bounded real rate."""
        interval = max(
            1.0 / self.config.max_frames_per_second, self.config.kline_interval_ms / 1000.0 / self.clock.speed
        )
        while True:
            await asyncio.sleep(interval)
            try:
                self.sync()
                now = self.engine.now_ms
                self.hub.market_step(self._frame_time, now)
                self._frame_time = now
            except Exception:  # a bug must not silently stop the market
                log.exception("simulator driver step failed")

    def schedule_initial_frames(self, conn: Any, names: list[str]) -> None:
        """Right after SUBSCRIBE: the forming kline (and current mark/book) so a client sees data at once."""
        for name in names:
            stream = self.hub.parsed.get(name)
            if stream is not None and not self.faults.ws_stall:
                payloads = self.hub.frames(stream, self.engine.now_ms, self.engine.now_ms, initial=True)
                self.hub.send_stream(name, [conn], payloads)

    # --- REST -------------------------------------------------------------------------------------------

    async def handle_rest(self, request: web.Request) -> web.StreamResponse:
        route = self.routes.get((request.method, request.path))
        if route is None:
            return web.json_response(
                {"code": -5000, "msg": f"Path {request.path}, Method {request.method} is invalid"},
                status=404,
                headers=self.limiter.headers(),
            )
        body = (await request.read()).decode() if request.method in ("POST", "PUT", "DELETE") else ""
        query = request.query_string
        params = auth.parse_params(query, body)
        delay = self.injector.latency_s()
        if delay:
            await asyncio.sleep(delay)
        self.sync()
        headers: dict[str, str] = {}
        try:
            if self.injector.take_burst():
                raise LimitError(
                    429,
                    "Too many requests; current limit of IP(127.0.0.1) is 6000 requests per minute."
                    " Please use the websocket for live updates to avoid polling the API.",
                    1,
                    self.limiter.headers(),
                )
            headers = self.limiter.charge(self.engine.now_ms, route.weight_of(params), route.order)
            if route.security != NONE:
                auth.check_api_key(request.headers.get("X-MBX-APIKEY"), self.config.api_key)
            if route.security == SIGNED:
                auth.check_signature(query, body, self.config.api_secret)
                skew = self.faults.clock_skew_ms
                auth.check_timestamp(params, (self.engine.now_ms + skew, int(time.time() * 1000) + skew))
            failure = self.injector.take_failure(request.path)
            if failure is not None:
                return await self._fail(route, params, failure)
            if route.order:
                rejection = self.injector.take_reject(request.path.rsplit("/", 1)[-1], params)
                if rejection is not None:
                    raise rejection
            result = route.handler(Ctx(self, params))
            self.publish()
            return web.Response(body=msgspec.json.encode(result), content_type=_JSON, headers=headers)
        except LimitError as exc:
            self.publish()
            return web.Response(
                body=msgspec.json.encode(exc.to_body()),
                status=exc.http_status,
                content_type=_JSON,
                headers={**exc.headers, "Retry-After": str(exc.retry_after)},
            )
        except BinanceError as exc:
            self.publish()
            return web.Response(
                body=msgspec.json.encode(exc.to_body()),
                status=exc.http_status,
                content_type=_JSON,
                headers=headers or self.limiter.headers(),
            )

    async def _fail(self, route: Any, params: dict[str, str], failure: tuple[str, bool]) -> web.StreamResponse:
        """5xx or timeout; a mutating request may still be executed (the "unknown outcome" case)."""
        kind, execute = failure
        if execute and route.mutating:
            with contextlib.suppress(BinanceError):
                route.handler(Ctx(self, params))
            self.publish()
        if kind == "timeout":
            await asyncio.sleep(self.faults.timeout_s)
            return web.Response(
                text="<html><body><h1>504 Gateway Time-out</h1></body></html>",
                status=504,
                content_type="text/html",
                headers=self.limiter.headers(),
            )
        return web.Response(
            text="<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>",
            status=503,
            content_type="text/html",
            headers=self.limiter.headers(),
        )

    def close_listen_key(self, key: str | None) -> None:
        closed = self.listen_keys.close(key, self.engine.now_ms)
        if closed is not None:
            for conn in list(self.hub.connections):
                if conn.listen_key == closed:
                    conn.queue.put_nowait(None)

    # --- lifecycle --------------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        app = web.Application(client_max_size=1 << 20)
        add_control_routes(app, self)
        for prefix in (
            "/ws",
            "/stream",
            "/market/ws",
            "/market/stream",
            "/public/ws",
            "/public/stream",
            "/private/ws",
            "/private/stream",
        ):
            app.router.add_get(prefix, self.hub.handle)
            if prefix.endswith("/ws"):
                app.router.add_get(prefix + "/{tail:.*}", self.hub.handle)
        app.router.add_route("*", "/{tail:.*}", self.handle_rest)
        return app

    async def _start(self) -> None:
        self._runner = web.AppRunner(self.build_app(), access_log=None, handle_signals=False, shutdown_timeout=1.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, self.config.host, self.config.port, reuse_address=True)
        await site.start()
        sockets = site._server.sockets if site._server is not None else []  # aiohttp has no public getter
        self.port = sockets[0].getsockname()[1] if sockets else self.config.port
        if not self.clock.stepped:
            self._driver = asyncio.get_running_loop().create_task(self._drive())
        if self.live is not None:
            self.live.start()

    async def _stop(self) -> None:
        if self._driver is not None:
            self._driver.cancel()
        if self.live is not None:
            await self.live.stop()
        await self.hub.close_all()
        if self._runner is not None:
            await self._runner.cleanup()

    def start_in_thread(self) -> None:
        def run() -> None:
            loop = asyncio.new_event_loop()
            self.loop = loop
            asyncio.set_event_loop(loop)
            try:
                loop.run_until_complete(self._start())
            except BaseException as exc:  # report start-up failures to the starting thread
                self._error = exc
                self._ready.set()
                return
            self._ready.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            pending = asyncio.all_tasks(loop)
            for task in pending:
                task.cancel()
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
            loop.close()

        self._thread = threading.Thread(target=run, name=f"simulator-{self.config.port}", daemon=True)
        self._thread.start()
        self._ready.wait()
        if self._error is not None:
            raise self._error

    def call(self, fn: Callable[[], Awaitable[T]], timeout: float | None = 60.0) -> T:
        """Run a coroutine function on the simulator's loop from another thread and wait for it."""
        assert self.loop is not None
        return asyncio.run_coroutine_threadsafe(fn(), self.loop).result(timeout)

    def stop(self) -> None:
        if self.loop is not None and self._thread is not None and self._thread.is_alive():
            self.loop.call_soon_threadsafe(self.loop.stop)
            self._thread.join(timeout=10)

    async def run_forever(self) -> None:
        """Run in the current loop (the CLI): start, then wait until cancelled."""
        self.loop = asyncio.get_running_loop()
        await self._start()
        try:
            await asyncio.Event().wait()
        finally:
            await self._stop()
