"""Which exchange a one-shot command (``check``, ``keys check``, ``download``) talks to, with which keys.

The rules are the trading bot's (``service.bot``): ``--exchange-url`` (or ``exchange.rest_url``) points
at a running simulator or exchange; otherwise testnet/live use Binance's endpoints. The configured keys
are used when present; a URL without configured keys gets the simulator's documented default keys,
exactly as ``run.py trade --exchange-url`` does. Demo mode without a URL has no exchange to reach: its
exchange is the simulator that ``trade`` embeds.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from config import Settings
from exchange.ccxt_gateway import CcxtGateway, TimeSync
from exchange.endpoints import LIVE_REST, Endpoints, endpoints_for
from exchange.rate_limit import WeightBudget


@dataclass(frozen=True)
class ExchangeTarget:
    """Endpoints plus the keys to sign with. ``repr`` never shows the keys."""

    endpoints: Endpoints
    api_key: str | None
    api_secret: str | None
    keys_source: str  # "configured", "simulator defaults" or "none"
    demo_trading: bool = False

    def __repr__(self) -> str:
        return f"ExchangeTarget(rest={self.endpoints.rest!r}, keys={self.keys_source})"

    @property
    def has_keys(self) -> bool:
        return bool(self.api_key and self.api_secret)


def exchange_target(settings: Settings, exchange_url: str | None = None, *,
                    public_only: bool = False) -> ExchangeTarget | None:
    """Where to connect, or None when nothing is reachable without starting a simulator (demo mode).

    ``public_only``: the caller reads market data only (``download``): paper and demo modes then use
    Binance's public endpoints when no URL is given, and keys are not needed.
    """
    ex = settings.exchange
    secrets = settings.secrets
    configured = (secrets.binance_api_key.get_secret_value() if secrets.binance_api_key else None,
                  secrets.binance_api_secret.get_secret_value() if secrets.binance_api_secret else None)
    has_keys = bool(configured[0] and configured[1])
    url = exchange_url or ex.rest_url
    if url:
        endpoints = endpoints_for(ex.mode, url, ex.ws_url, ex.ws_legacy_paths)
        if has_keys:
            return ExchangeTarget(endpoints, configured[0], configured[1], "configured")
        from simulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET

        return ExchangeTarget(endpoints, DEFAULT_API_KEY, DEFAULT_API_SECRET, "simulator defaults")
    if ex.mode in ("testnet", "live"):
        endpoints = endpoints_for(ex.mode, None, ex.ws_url, ex.ws_legacy_paths)
        return ExchangeTarget(endpoints, configured[0], configured[1], "configured" if has_keys else "none",
                              demo_trading=ex.mode == "testnet")
    if public_only:
        return ExchangeTarget(endpoints_for("live", LIVE_REST), None, None, "none")
    return None


def wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


def open_gateway(settings: Settings, target: ExchangeTarget, budget: WeightBudget | None = None) -> CcxtGateway:
    """One ccxt client for ``target`` with the configured timeouts and weight share."""
    return CcxtGateway(
        endpoints=target.endpoints, api_key=target.api_key, api_secret=target.api_secret,
        budget=budget or WeightBudget(settings.exchange.weight_limit_per_minute), time_sync=TimeSync(),
        demo_trading=target.demo_trading, timeout_s=settings.exchange.request_timeout_s,
        recv_window_ms=settings.exchange.recv_window_ms, now_ms=wall_clock_ms)


def measure_server_time(gateway: CcxtGateway) -> tuple[int, int]:
    """(exchange time, this machine's offset from it in ms), then sign with this machine's clock again.

    One-shot commands keep signing with the local clock: Binance accepts it when NTP works, the
    simulator accepts it at any replay speed (where a synced offset goes stale within milliseconds),
    and ``CcxtGateway.call`` resyncs by itself if the exchange answers -1021.
    """
    server = gateway.sync_time()
    offset = gateway.time_sync.difference_ms
    gateway.time_sync.set(0)
    return server, offset
