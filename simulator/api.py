"""Module API: start a simulator in-process on a free loopback port (tests, the bot's demo mode).

handle = simulator.start(SimulatorConfig(data_dir=..., stepped=True))
exchange = ccxt.binanceusdm({"apiKey": handle.api_key, "secret": handle.api_secret,
                             "options": {"fetchCurrencies": False}})
handle.patch_ccxt(exchange)
handle.advance(60_000)          # stepped mode: one simulated minute, every event delivered
handle.stop()
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from simulator.clock import VirtualClock
from simulator.config import SimulatorConfig
from simulator.server.app import SimulatorServer
from simulator.server.control import server_state
from simulator.server.faults import FailRule, RejectRule


class SimulatorHandle:
    """A running simulator. Thread-safe: every call is executed on the simulator's own loop."""

    def __init__(self, server: SimulatorServer) -> None:
        self._server = server
        host = server.config.host
        self.port = server.port
        self.rest_url = f"http://{host}:{self.port}"
        self.ws_url = f"ws://{host}:{self.port}"
        self.api_key = server.config.api_key
        self.api_secret = server.config.api_secret
        self.clock: VirtualClock = server.clock
        self.start_ms = server.start_ms
        self.symbols = sorted(server.series)

    # --- time ---------------------------------------------------------------------------------------

    def advance_to(self, ts_ms: int) -> int:
        """Stepped mode: move to ``ts_ms``; returns once every fill, order/algo/account update and kline
        frame of the step is in the WebSocket clients' send queues. Returns the new time."""
        if not self.clock.stepped:
            raise RuntimeError("advance_to needs a stepped clock (SimulatorConfig(stepped=True))")

        async def step() -> int:
            await self._server.step_to(int(ts_ms))
            return self._server.engine.now_ms

        return self._server.call(step, timeout=None)

    def advance(self, ms: int) -> int:
        return self.advance_to(self.clock.now_ms() + int(ms))

    # --- inspection ---------------------------------------------------------------------------------

    def state(self) -> dict[str, Any]:
        async def get() -> dict[str, Any]:
            self._server.sync()
            return server_state(self._server)

        return self._server.call(get)

    def user_events_sent(self, listen_key: str | None = None) -> Any:
        """User-data events handed to connections, per listenKey (or for one key)."""

        async def read() -> dict[str, int]:
            return dict(self._server.hub.user_events_sent)

        counts = self._server.call(read)
        return counts.get(listen_key, 0) if listen_key is not None else counts

    @property
    def frames_sent(self) -> int:
        return self._server.hub.frames_sent

    # --- faults -------------------------------------------------------------------------------------

    def set_faults(self, **changes: Any) -> dict[str, Any]:
        """Partial update of :class:`simulator.server.faults.Faults` (latency_ms, error_rate, ...)."""

        async def apply() -> dict[str, Any]:
            self._server.faults.update(changes)
            return self._server.faults.to_dict()

        return self._server.call(apply)

    def fail_next(self, count: int = 1, kind: str = "5xx", execute: bool = True, path: str = "") -> None:
        """The next ``count`` REST requests (path containing ``path``) get a 503 or time out."""

        async def apply() -> None:
            self._server.faults.fails.append(FailRule(count, kind, execute, path))

        self._server.call(apply)

    def reject_next(
        self,
        count: int,
        code: int,
        msg: str | None = None,
        symbol: str | None = None,
        side: str | None = None,
        type: str | None = None,
        endpoint: str | None = None,
    ) -> None:
        """Reject the next ``count`` matching order requests with Binance ``code`` (e.g. -2019, -2021)."""

        async def apply() -> None:
            self._server.faults.rejects.append(RejectRule(count, code, msg, symbol, side, type, endpoint))

        self._server.call(apply)

    def burst_429(self, count: int) -> None:
        self.set_faults(burst_429=self._server.faults.burst_429 + count)

    def drop_websockets(self, kind: str = "all") -> int:
        return self._server.call(lambda: self._server.hub.drop(kind))

    def stall_market(self, on: bool = True) -> None:
        self.set_faults(ws_stall=on)

    def set_clock_skew(self, ms: int) -> None:
        self.set_faults(clock_skew_ms=ms)

    def expire_listen_keys(self) -> list[str]:
        async def apply() -> list[str]:
            keys = self._server.listen_keys.expire_all(self._server.engine.now_ms)
            self._server.publish()
            return keys

        return self._server.call(apply)

    def external_order(self, symbol: str, side: str, quantity: str) -> dict[str, Any]:
        """A MARKET order on this account placed "by someone else" (adoption tests)."""

        async def apply() -> dict[str, Any]:
            self._server.sync()
            result = self._server.engine.external_order(symbol, side, quantity)
            self._server.publish()
            return result

        return self._server.call(apply)

    # --- helpers ------------------------------------------------------------------------------------

    def patch_ccxt(self, exchange: Any) -> Any:
        """Point a ccxt ``binanceusdm`` (sync, async or pro) at this simulator: every ``urls['api']`` entry
        keeps its path, only scheme/host/port change."""
        api = exchange.urls["api"]
        for key, value in list(api.items()):
            if isinstance(value, str):
                api[key] = self._rebase(value)
            elif isinstance(value, dict):
                for sub, url in list(value.items()):
                    if isinstance(url, str):
                        value[sub] = self._rebase(url)
                    elif isinstance(url, dict):
                        value[sub] = {k: self._rebase(v) for k, v in url.items()}
        return exchange

    def _rebase(self, url: str) -> str:
        parts = urlsplit(url)
        base = self.ws_url if parts.scheme in ("ws", "wss") else self.rest_url
        return base + parts.path + (f"?{parts.query}" if parts.query else "")

    def stop(self) -> None:
        self._server.stop()

    def __enter__(self) -> SimulatorHandle:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def start(config: SimulatorConfig | None = None) -> SimulatorHandle:
    """Load the data, start the server thread, return when it listens."""
    server = SimulatorServer(config or SimulatorConfig())
    server.start_in_thread()
    return SimulatorHandle(server)
