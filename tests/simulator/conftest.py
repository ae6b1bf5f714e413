"""Fixtures of the simulator suite: data loaded once per session, simulators stopped after each test."""

from __future__ import annotations

import hashlib
import hmac
import time
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlencode

import pytest
import requests

from simulator import SimulatorConfig, SimulatorHandle, start
from simulator.candles import CandleSeries
from simulator.loader import load_directory
from simulator.synthetic import generate
from tests.support import KLINES_DIR, require_shared_data

SYNTH_START = 1_746_432_780_000  # 2025-05-05 08:13 UTC, like the shared data's default start


@pytest.fixture(scope="session")
def real_series() -> dict[str, CandleSeries]:
    """All 16 symbols of ``../shared`` (ETC, LAYER, XLM, XMR synthesized), loaded once."""
    require_shared_data(KLINES_DIR)
    return load_directory(KLINES_DIR, synthesize_markets=True).series


@pytest.fixture(scope="session")
def synth_series() -> dict[str, CandleSeries]:
    """A few synthetic symbols (no shared data needed), 3 days after a 1000-minute warm-up."""
    return generate(["BTCUSDC", "ETHUSDC", "SOLUSDC", "XRPUSDC"], SYNTH_START - 1000 * 60_000, 1000 + 3 * 1440, 7)


@pytest.fixture
def make_sim() -> Iterator[Callable[..., SimulatorHandle]]:
    """``make_sim(series=..., **config)`` starts a simulator (stepped by default) and stops it afterwards."""
    handles: list[SimulatorHandle] = []

    def factory(**kwargs: Any) -> SimulatorHandle:
        kwargs.setdefault("stepped", True)
        handle = start(SimulatorConfig(**kwargs))
        handles.append(handle)
        return handle

    yield factory
    for handle in handles:
        handle.stop()


@pytest.fixture
def sim(make_sim: Callable[..., SimulatorHandle], synth_series: dict[str, CandleSeries]) -> SimulatorHandle:
    """A stepped simulator on synthetic data (runs without ``../shared``)."""
    return make_sim(series=synth_series)


def ccxt_sync(handle: SimulatorHandle, **options: Any) -> Any:
    import ccxt

    exchange = ccxt.binanceusdm(
        {
            "apiKey": handle.api_key,
            "secret": handle.api_secret,
            "enableRateLimit": False,
            "options": {"fetchCurrencies": False, "fetchOpenOrders": {"warnWithoutSymbol": False}, **options},
        }
    )
    return handle.patch_ccxt(exchange)


class Signed:
    """Raw signed HTTP, exactly as Binance expects it (for error-path tests)."""

    def __init__(self, handle: SimulatorHandle, key: str | None = None, secret: str | None = None) -> None:
        self.handle = handle
        self.key = key if key is not None else handle.api_key
        self.secret = secret if secret is not None else handle.api_secret
        self.session = requests.Session()

    def __call__(
        self,
        method: str,
        path: str,
        params: dict[str, Any] | None = None,
        sign: bool = True,
        timestamp: int | None = None,
        key: bool = True,
        timeout: float = 10.0,
    ) -> requests.Response:
        params = dict(params or {})
        if sign:
            params.setdefault("timestamp", timestamp if timestamp is not None else int(time.time() * 1000))
            params.setdefault("recvWindow", 10000)
        query = urlencode(params)
        if sign:
            signature = hmac.new(self.secret.encode(), query.encode(), hashlib.sha256).hexdigest()
            query = f"{query}&signature={signature}"
        headers = {"X-MBX-APIKEY": self.key} if key else {}
        url = self.handle.rest_url + path
        if method in ("POST", "PUT"):
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            return self.session.request(method, url, data=query, headers=headers, timeout=timeout)
        return self.session.request(method, url + ("?" + query if query else ""), headers=headers, timeout=timeout)


def error_of(response: requests.Response) -> tuple[int, int]:
    """(HTTP status, Binance code) of a rejection."""
    return response.status_code, int(response.json()["code"])
