"""The public REST of the source exchange (Binance USDⓈ-M, or another simulator standing in for it).

Plain HTTP through aiohttp rather than ccxt: the feed needs four public GETs, their response headers
(``X-MBX-USED-WEIGHT-1M``, ``Retry-After``) and nothing else, and it runs on the simulator's own event
loop. The root is any ``scheme://host[:port]`` (``exchange.endpoints.LIVE_REST`` in production, a local
simulator in tests), paths are Binance's.

Weight-aware: every request is charged locally against ``weight_budget`` per minute (our share of the
source's 6000/min per IP, which other processes on the machine may also use) and the source's own
count from ``X-MBX-USED-WEIGHT-1M`` is respected; a 429 or 418 blocks every request until its
``Retry-After`` has passed. Waiting for budget happens here, so callers never burst.
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp

log = logging.getLogger(__name__)
T = TypeVar("T")

MINUTE_S = 60.0
SOURCE_LIMIT_PER_MINUTE = 6000  # Binance's REQUEST_WEIGHT limit per IP
INVALID_SYMBOL = -1121


class SourceError(Exception):
    """The source did not give a usable answer (network, timeout, HTTP error, malformed body)."""

    def __init__(self, message: str, status: int = 0, code: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code


def klines_weight(limit: int) -> int:
    """Binance's weight of ``GET /fapi/v1/klines`` by ``limit`` (so pages of 499 are the cheapest per candle)."""
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


@dataclass
class WeightWindow:
    """Weight used in the current wall-clock minute, ours and as the source reports it."""

    minute: int = -1
    used: int = 0
    blocked_until: float = 0.0  # wall seconds; set by 429/418 Retry-After

    def charge(self, now: float, weight: int) -> None:
        self._roll(now)
        self.used += weight

    def report(self, now: float, used_by_source: int) -> None:
        self._roll(now)
        self.used = max(self.used, used_by_source)

    def wait_s(self, now: float, weight: int, budget: int) -> float:
        """Seconds to wait before ``weight`` more fits (0 when it fits now)."""
        if now < self.blocked_until:
            return self.blocked_until - now
        self._roll(now)
        if self.used + weight <= budget or self.used == 0:
            return 0.0
        return (self.minute + 1) * MINUTE_S - now + 0.5

    def _roll(self, now: float) -> None:
        minute = int(now // MINUTE_S)
        if minute != self.minute:
            self.minute, self.used = minute, 0


class SourceClient:
    """One aiohttp session against the source's public endpoints (create and use it on one loop)."""

    def __init__(
        self,
        rest_url: str,
        session: aiohttp.ClientSession,
        weight_budget: int = 1200,
        timeout_s: float = 10.0,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.rest_url = rest_url.rstrip("/")
        self.session = session
        self.weight_budget = max(1, min(weight_budget, SOURCE_LIMIT_PER_MINUTE))
        self.timeout = aiohttp.ClientTimeout(total=timeout_s)
        self.window = WeightWindow()
        self.requests = 0
        self._wall = wall

    async def server_time(self) -> int:
        body = await self.get("/fapi/v1/time", {}, 1)
        try:
            return int(body["serverTime"])
        except (KeyError, TypeError, ValueError):
            raise SourceError(f"malformed /fapi/v1/time answer: {body!r:.200}") from None

    async def exchange_info(self) -> dict[str, Any]:
        body = await self.get("/fapi/v1/exchangeInfo", {}, 1)
        if not isinstance(body, dict) or not isinstance(body.get("symbols"), list):
            raise SourceError("malformed /fapi/v1/exchangeInfo answer")
        return body

    async def tickers_24h(self) -> list[dict[str, Any]]:
        body = await self.get("/fapi/v1/ticker/24hr", {}, 40)
        if not isinstance(body, list):
            raise SourceError("malformed /fapi/v1/ticker/24hr answer")
        return body

    async def klines(self, symbol: str, start_ms: int, end_ms: int, limit: int) -> list[list[Any]]:
        """1m klines with open time in [start_ms, end_ms] (Binance filters ``endTime`` on the open time)."""
        params = {"symbol": symbol, "interval": "1m", "startTime": start_ms, "endTime": end_ms, "limit": limit}
        body = await self.get("/fapi/v1/klines", params, klines_weight(limit))
        if not isinstance(body, list):
            raise SourceError(f"malformed /fapi/v1/klines answer for {symbol}")
        return body

    async def get(self, path: str, params: dict[str, Any], weight: int) -> Any:
        wait = self.window.wait_s(self._wall(), weight, self.weight_budget)
        if wait > 0:
            log.warning("live source: request weight %d/%d used this minute; waiting %.1fs before %s",
                        self.window.used, self.weight_budget, wait, path)
            await asyncio.sleep(wait)
        self.window.charge(self._wall(), weight)
        self.requests += 1
        url = self.rest_url + path
        try:
            async with self.session.get(url, params=params, timeout=self.timeout) as response:
                used = response.headers.get("X-MBX-USED-WEIGHT-1M")
                if used is not None and used.isdigit():
                    self.window.report(self._wall(), int(used))
                if response.status in (418, 429):
                    retry = response.headers.get("Retry-After", "")
                    delay = float(retry) if retry.replace(".", "", 1).isdigit() else MINUTE_S
                    self.window.blocked_until = self._wall() + delay
                    raise SourceError(f"{path}: HTTP {response.status}, retry after {delay:g}s", response.status)
                text = await response.text()
                if response.status != 200:
                    raise SourceError(f"{path}: HTTP {response.status} {text[:200]}", response.status,
                                      _binance_code(text))
        except (TimeoutError, aiohttp.ClientError) as exc:
            raise SourceError(f"{path}: {type(exc).__name__}: {exc}") from None
        try:
            return json.loads(text)
        except ValueError:
            raise SourceError(f"{path}: the answer is not JSON: {text[:200]!r}") from None


def _binance_code(text: str) -> int | None:
    try:
        code = json.loads(text).get("code")
    except (ValueError, AttributeError):
        return None
    return int(code) if isinstance(code, int) else None


def run_blocking(make: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """Run a coroutine to completion on a private loop in a helper thread and return its result.

    Start-up (history, market list) happens before the simulator's loop exists, possibly from a thread
    that already runs a loop of its own (an async caller); a helper thread works in both cases.
    """
    result: list[T] = []
    error: list[BaseException] = []

    def target() -> None:
        try:
            result.append(asyncio.run(make()))
        except BaseException as exc:  # handed to the caller's thread
            error.append(exc)

    thread = threading.Thread(target=target, name="live-source-startup", daemon=True)
    thread.start()
    thread.join()
    if error:
        raise error[0]
    return result[0]
