"""Where each mode's REST and WebSocket endpoints are, and how ccxt is pointed at them."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlsplit

LIVE_REST = "https://fapi.binance.com"
LIVE_WS = "wss://fstream.binance.com"
DEMO_REST = "https://demo-fapi.binance.com"
DEMO_WS = "wss://fstream.binancefuture.com"


@dataclass(frozen=True, slots=True)
class Endpoints:
    """REST root (scheme://host[:port]) and WebSocket root for one exchange."""

    rest: str
    ws: str
    legacy_ws_paths: bool = False

    def market_stream_url(self, streams: list[str] | tuple[str, ...]) -> str:
        """Combined market stream (``/market/stream`` since 2026-04; ``/stream`` on legacy paths)."""
        path = "/stream" if self.legacy_ws_paths else "/market/stream"
        return f"{self.ws}{path}?streams={'/'.join(streams)}"

    def user_stream_url(self, listen_key: str) -> str:
        path = "/ws" if self.legacy_ws_paths else "/private/ws"
        return f"{self.ws}{path}/{listen_key}"


def endpoints_for(mode: str, rest_url: str | None = None, ws_url: str | None = None,
                  legacy_ws_paths: bool = False) -> Endpoints:
    """Explicit URLs win (a running simulator); otherwise the mode's public endpoints."""
    if rest_url:
        rest = rest_url.rstrip("/")
        ws = (ws_url or _ws_from_rest(rest)).rstrip("/")
        return Endpoints(rest, ws, legacy_ws_paths)
    if mode == "testnet":
        return Endpoints(DEMO_REST, ws_url or DEMO_WS, legacy_ws_paths)
    return Endpoints(LIVE_REST, ws_url or LIVE_WS, legacy_ws_paths)


def _ws_from_rest(rest: str) -> str:
    parts = urlsplit(rest)
    scheme = "wss" if parts.scheme == "https" else "ws"
    return f"{scheme}://{parts.netloc}"


def rewrite_ccxt_urls(api_urls: dict, rest_root: str) -> dict:
    """Every entry of ``exchange.urls['api']`` moved to ``rest_root``, keeping its path (``/fapi/v1``...)."""
    rewritten = {}
    for key, value in api_urls.items():
        if isinstance(value, str) and value.startswith("http"):
            rewritten[key] = rest_root + urlsplit(value).path
        elif isinstance(value, dict):
            rewritten[key] = rewrite_ccxt_urls(value, rest_root)
        else:
            rewritten[key] = value
    return rewritten
