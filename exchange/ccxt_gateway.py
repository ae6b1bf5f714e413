"""``Gateway`` on the real ccxt ``binanceusdm`` client.

One instance owns one ccxt client (ccxt clients are not thread-safe); the ExchangeActor keeps a few,
all sharing one ``WeightBudget`` and one ``TimeSync``. Answers are read from ccxt's ``info`` (Binance's
raw fields) by ``exchange.parsers``, the same parsers the backtest uses on the simulator engine.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import ccxt

from core.orders.planning import Bracket
from core.precision import SymbolRules
from core.symbols import to_ccxt
from exchange.endpoints import Endpoints, rewrite_ccxt_urls
from exchange.errors import TIMESTAMP_OUTSIDE_RECV_WINDOW, ExchangeFailure, Outcome, classify
from exchange.gateway import Gateway, GatewayError
from exchange.parsers import (
    ForeignSymbolError,
    PayloadError,
    parse_algo_order,
    parse_balance,
    parse_order,
    parse_position,
    parse_rest_kline,
    parse_user_trade,
)
from exchange.rate_limit import WeightBudget
from messages.exchange import AccountState, CancelOrder, OrderSnapshot, PlaceAlgoOrder, PlaceOrder, TradeFill
from messages.market import Candle

log = logging.getLogger(__name__)


class TimeSync:
    """The offset between our clock and the exchange's, shared by every client (ccxt's
    ``timeDifference``): learnt at start and again whenever Binance answers -1021."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.difference_ms = 0

    def set(self, difference_ms: int) -> None:
        with self._lock:
            self.difference_ms = difference_ms


class CallStats:
    """Latency and error counts of REST calls, for ``/health`` and the status line."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls = 0
        self.errors = 0
        self.latencies_ms: list[float] = []

    def record(self, latency_ms: float, error: bool) -> None:
        with self._lock:
            self.calls += 1
            self.errors += int(error)
            self.latencies_ms.append(latency_ms)
            if len(self.latencies_ms) > 500:
                del self.latencies_ms[:250]

    def snapshot(self) -> dict[str, float]:
        with self._lock:
            ordered = sorted(self.latencies_ms)
            p50 = ordered[len(ordered) // 2] if ordered else 0.0
            p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] if ordered else 0.0
            return {"calls": self.calls, "errors": self.errors,
                    "error_rate": self.errors / self.calls if self.calls else 0.0,
                    "latency_p50_ms": p50, "latency_p99_ms": p99}


class CcxtGateway(Gateway):
    """One ccxt ``binanceusdm`` client with weight accounting, time sync and classified errors."""

    max_retries = 3

    def __init__(
        self,
        *,
        endpoints: Endpoints,
        api_key: str | None,
        api_secret: str | None,
        budget: WeightBudget,
        time_sync: TimeSync,
        stats: CallStats | None = None,
        demo_trading: bool = False,
        timeout_s: float = 10.0,
        recv_window_ms: int = 5000,
        now_ms: Callable[[], int],
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        super().__init__(now_ms=now_ms, sleep=sleep)
        self.budget = budget
        self.time_sync = time_sync
        self.stats = stats or CallStats()
        config: dict[str, Any] = {
            "enableRateLimit": False,  # our WeightBudget paces every call of the process
            "timeout": int(timeout_s * 1000),
            "options": {"fetchCurrencies": False, "recvWindow": recv_window_ms,
                        "fetchOpenOrders": {"warnWithoutSymbol": False}, "warnOnFetchOpenOrdersWithoutSymbol": False},
        }
        if api_key and api_secret:
            config["apiKey"], config["secret"] = api_key, api_secret
        self.client = ccxt.binanceusdm(config)
        # Texts built from exchange answers go to logs, the database and Telegram: never with our keys in them.
        self._secrets = tuple(s for s in (api_key, api_secret) if s)
        # Sign with the bot's clock (the exchange's time in demo and backtest, server-synced live), so an
        # accelerated simulator and Binance are treated alike; -1021 still resyncs the offset.
        self.client.milliseconds = now_ms
        if demo_trading:
            self.client.enable_demo_trading(True)
        elif not endpoints.rest.startswith("https://fapi.binance.com"):
            self.client.urls["api"] = rewrite_ccxt_urls(self.client.urls["api"], endpoints.rest)
        self._rules: dict[str, SymbolRules] = {}
        self._brackets: dict[str, tuple[Bracket, ...]] = {}

    def __repr__(self) -> str:  # never show the client (it holds the keys)
        return f"CcxtGateway(url={self.client.urls['api'].get('fapiPublic')!r})"

    # --------------------------------------------------------------- plumbing
    def call(self, weight: int, fn: Callable[..., Any], *args: Any, sent_order: bool = False, **kwargs: Any) -> Any:
        """Run one ccxt call inside the weight budget, retrying only what is safe to retry."""
        attempt = 0
        while True:
            attempt += 1
            if not self.budget.acquire(weight, max_wait_s=30.0):
                raise GatewayError(ExchangeFailure(-1003, "local request-weight budget exhausted", Outcome.RETRY))
            self.client.options["timeDifference"] = self.time_sync.difference_ms
            started = time.perf_counter()
            try:
                result = fn(*args, **kwargs)
            except Exception as exc:  # ccxt raises many classes: classify them all here, once
                failure = self._observe_failure(exc, sent_order)
                # A business rejection (unknown order, reduce-only...) is an answer, not an exchange fault.
                self.stats.record((time.perf_counter() - started) * 1000, error=failure.outcome is not Outcome.REJECTED)
                if failure.code == TIMESTAMP_OUTSIDE_RECV_WINDOW and attempt <= self.max_retries:
                    self.sync_time()
                    continue
                if failure.outcome is Outcome.RETRY and attempt <= self.max_retries:
                    self.sleep(min(0.25 * 2 ** (attempt - 1), 2.0))
                    continue
                raise GatewayError(_scrub(failure, self._secrets)) from None
            self.stats.record((time.perf_counter() - started) * 1000, error=False)
            self._observe_headers()
            return result

    def _observe_headers(self) -> None:
        headers = self.client.last_response_headers or {}
        used = _header(headers, "X-MBX-USED-WEIGHT-1M")
        if used is not None:
            self.budget.observe_used_weight(int(used))

    def _observe_failure(self, exc: Exception, sent_order: bool) -> ExchangeFailure:
        failure = classify(exc, sent_order=sent_order)
        if isinstance(exc, ccxt.DDoSProtection):
            retry_after = _header(self.client.last_response_headers or {}, "Retry-After")
            seconds = float(retry_after) if retry_after and retry_after.replace(".", "", 1).isdigit() else 5.0
            self.budget.block_for(seconds)
            log.warning("rate limited by the exchange: pausing requests for %.1fs", seconds)
        else:
            self._observe_headers()
        return failure

    def sync_time(self) -> int:
        """Learn the exchange's clock offset (also called on -1021)."""
        self.budget.acquire(1)
        started = self.now_ms()
        server = int(self.client.fetch_time())
        round_trip = self.now_ms() - started
        difference = started + round_trip // 2 - server
        self.time_sync.set(difference)
        return server

    # --------------------------------------------------------------- markets
    def load_markets(self) -> dict[str, SymbolRules]:
        markets = self.call(1, self.client.load_markets, True)
        rules = {}
        for symbol, market in markets.items():
            if market.get("swap") and market.get("settle") == "USDC" and market.get("linear"):
                try:
                    rules[symbol] = SymbolRules.from_ccxt_market(market)
                except (KeyError, ValueError) as exc:
                    log.warning("skipping %s: unusable filters (%s)", symbol, exc)
        self._rules = rules
        return rules

    def share_markets_from(self, other: CcxtGateway) -> None:
        """Reuse another client's loaded markets (one exchangeInfo call for the whole pool)."""
        self.client.set_markets(other.client.markets, other.client.currencies)
        self._rules = other._rules

    def active_usdc_perpetuals(self) -> list[str]:
        return [s for s, m in self.client.markets.items()
                if m.get("swap") and m.get("settle") == "USDC" and m.get("active") and s in self._rules]

    def rules(self, symbol: str) -> SymbolRules:
        return self._rules[symbol]

    def brackets(self, symbol: str) -> tuple[Bracket, ...]:
        if symbol not in self._brackets:
            tiers = self.call(1, self.client.fetch_leverage_tiers, [symbol])
            self._brackets[symbol] = tuple(
                Bracket(notional_cap=Decimal(str(t["maxNotional"])), max_leverage=int(t["maxLeverage"]),
                        maint_margin_ratio=Decimal(str(t.get("maintenanceMarginRate") or 0)))
                for t in tiers.get(symbol, []))
        return self._brackets[symbol]

    def load_brackets(self, symbols: list[str]) -> dict[str, tuple[Bracket, ...]]:
        """Every symbol's leverage brackets in one call (``/fapi/v1/leverageBracket`` without a symbol)."""
        if not symbols:
            return {}
        tiers = self.call(1, self.client.fetch_leverage_tiers, symbols)
        for symbol, rows in tiers.items():
            self._brackets[symbol] = tuple(
                Bracket(notional_cap=Decimal(str(t["maxNotional"])), max_leverage=int(t["maxLeverage"]),
                        maint_margin_ratio=Decimal(str(t.get("maintenanceMarginRate") or 0)))
                for t in rows)
        return {s: self._brackets[s] for s in symbols if s in self._brackets}

    def set_leverage(self, symbol: str, leverage: int) -> None:
        self.call(1, self.client.set_leverage, leverage, symbol)

    def set_margin_type(self, symbol: str, margin_type: str) -> None:
        try:
            self.call(1, self.client.set_margin_mode, "isolated" if margin_type == "isolated" else "cross", symbol)
        except GatewayError as exc:
            if exc.failure.code not in (-4046,):
                raise

    # --------------------------------------------------------------- orders
    def place_order(self, request: PlaceOrder) -> OrderSnapshot:
        params: dict[str, Any] = {"clientOrderId": request.client_order_id, "newOrderRespType": "RESULT"}
        if request.reduce_only:
            params["reduceOnly"] = True
        if request.time_in_force:
            params["timeInForce"] = request.time_in_force
        order = self.call(1, self.client.create_order, request.symbol, request.order_type.lower(),
                          request.side.lower(), request.quantity, request.price, params, sent_order=True)
        return parse_order(order["info"])

    def place_algo_order(self, request: PlaceAlgoOrder) -> OrderSnapshot:
        params: dict[str, Any] = {"clientOrderId": request.client_order_id, "triggerPrice": request.trigger_price,
                                  "workingType": request.working_type}
        if request.close_position:
            params["closePosition"] = True
        if request.reduce_only:
            params["reduceOnly"] = True
        order = self.call(0, self.client.create_order, request.symbol, request.order_type, request.side.lower(),
                          request.quantity, None, params, sent_order=True)
        return parse_algo_order(order["info"])

    def cancel_order(self, request: CancelOrder) -> OrderSnapshot | None:
        params: dict[str, Any] = {"clientOrderId": request.client_order_id}
        if request.is_algo:
            params["trigger"] = True
        order = self.call(1, self.client.cancel_order, None, request.symbol, params)
        info = order.get("info") if isinstance(order, dict) else None
        if not info or "symbol" not in info:
            return None  # DELETE /fapi/v1/algoOrder answers only {algoId, clientAlgoId, code, msg}
        return parse_algo_order(info) if request.is_algo else parse_order(info)

    def query_order(self, symbol: str, client_order_id: str, is_algo: bool) -> OrderSnapshot:
        params: dict[str, Any] = {"clientOrderId": client_order_id}
        if is_algo:
            params["trigger"] = True
        order = self.call(1, self.client.fetch_order, None, symbol, params)
        return parse_algo_order(order["info"]) if is_algo else parse_order(order["info"])

    def cancel_all(self, symbol: str) -> int:
        before = len(self.open_orders((symbol,), algo=False)) + len(self.open_orders((symbol,), algo=True))
        self.call(1, self.client.cancel_all_orders, symbol)
        self.call(1, self.client.cancel_all_orders, symbol, {"trigger": True})
        return before

    def open_orders(self, symbols: tuple[str, ...], algo: bool) -> list[OrderSnapshot]:
        params = {"trigger": True} if algo else {}
        parse = parse_algo_order if algo else parse_order
        raw: list[dict[str, Any]] = []
        if symbols and len(symbols) <= 10:
            for symbol in symbols:
                raw += self.call(1, self.client.fetch_open_orders, symbol, None, None, params)
        else:
            raw = self.call(40, self.client.fetch_open_orders, None, None, None, params)
        wanted = set(symbols)
        return [o for o in _parse_all(parse, (r["info"] for r in raw)) if not wanted or o.symbol in wanted]

    def listen_key(self, action: str, listen_key: str = "") -> str:
        """Create (returns the key), keep alive or delete the user-data stream key (API key only)."""
        if action == "create":
            body = self.call(1, self.client.fapiPrivatePostListenKey)
            return str(body["listenKey"])
        if action == "keepalive":
            self.call(1, self.client.fapiPrivatePutListenKey, {"listenKey": listen_key} if listen_key else {})
            return listen_key
        self.call(1, self.client.fapiPrivateDeleteListenKey, {"listenKey": listen_key} if listen_key else {})
        return listen_key

    # --------------------------------------------------------------- account
    def account_state(self, symbols: tuple[str, ...], fills_since_ms: int | None) -> AccountState:
        positions = self.call(5, self.client.fetch_positions, list(symbols) or None)
        balance = self.call(5, self.client.fetch_balance)
        fills: list[TradeFill] = []
        if fills_since_ms is not None:
            for symbol in symbols:
                trades = self.call(5, self.client.fetch_my_trades, symbol, fills_since_ms, 1000)
                fills += _parse_all(parse_user_trade, (t["info"] for t in trades))
        wanted = set(symbols)
        return AccountState(
            ts=self.now_ms(),
            positions=tuple(p for p in _parse_all(parse_position, (p["info"] for p in positions))
                            if p.amount != 0 and (not wanted or p.symbol in wanted)),
            open_orders=tuple(self.open_orders(symbols, algo=False)),
            open_algo_orders=tuple(self.open_orders(symbols, algo=True)),
            balance=parse_balance(balance.get("info", {})),
            fills=tuple(fills))

    def fetch_candles(self, symbol: str, timeframe: str, since_ms: int | None, limit: int) -> list[Candle]:
        limit = max(1, min(limit, 1000))
        weight = 1 if limit < 100 else 2 if limit < 500 else 5
        rows = self.call(weight, self.client.fetch_ohlcv, symbol, timeframe, since_ms, limit)
        return _parse_all(lambda row: parse_rest_kline(row, timeframe), rows)

    def tickers_24h(self) -> dict[str, tuple[float, float]]:
        """symbol → (24 h quote volume, last price) for every USDC perpetual."""
        tickers = self.call(40, self.client.fetch_tickers)
        result = {}
        for symbol, ticker in tickers.items():
            if symbol.endswith(":USDC"):
                result[to_ccxt(symbol)] = (float(ticker.get("quoteVolume") or 0.0), float(ticker.get("last") or 0.0))
        return result


def _scrub(failure: ExchangeFailure, secrets: tuple[str, ...]) -> ExchangeFailure:
    """The failure with every occurrence of our API key or secret in its text replaced."""
    message = failure.message
    for secret in secrets:
        message = message.replace(secret, "***REDACTED***")
    return failure if message == failure.message else dataclasses.replace(failure, message=message)


def _header(headers: dict[str, Any], name: str) -> str | None:
    lower = name.lower()
    for key, value in headers.items():
        if key.lower() == lower:
            return str(value)
    return None


def _parse_all(parse: Callable[[Any], Any], items: Any) -> list[Any]:
    """Parse each item; a malformed one is logged and skipped, never fatal."""
    parsed = []
    for item in items:
        try:
            parsed.append(parse(item))
        except ForeignSymbolError:
            continue  # a USDT market on the same account: not ours
        except PayloadError as exc:
            log.warning("skipping malformed exchange payload: %s", exc)
    return parsed
