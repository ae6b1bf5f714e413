"""ExchangeActor: the only owner of the exchange clients.

Requests arrive as messages; each runs on a worker thread of one of two lanes — ``trading`` (orders,
cancels, account reads) and ``data`` (candles) — so a slow candle download never delays a stop-loss.
Every worker has its own ccxt client (they are not thread-safe); all share one request-weight budget
and one clock offset. Replies go back by message to the ``reply_to`` actor.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import RISK
from exchange.gateway import Gateway, GatewayError
from messages.exchange import (
    ExchangeReply,
    ExchangeRequest,
    FetchCandles,
    ListenKeyRequest,
    PlaceOrder,
)
from messages.runtime import ExchangeHealthChanged

log = logging.getLogger(__name__)

UNHEALTHY_AFTER_FAILURES = 5


class ExchangeActor(BotActor):
    """Hosts the worker lanes; its own thread only dispatches."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str, trading_workers: int = 2,
                 data_workers: int = 2) -> None:
        super().__init__(ctx, name, supervisor)
        self._trading_workers = trading_workers
        self._data_workers = data_workers
        self._local = threading.local()
        self._leverage: dict[str, int] = {}
        self._margin_set: set[str] = set()
        self._lock = threading.Lock()
        self._recent: deque[bool] = deque(maxlen=20)
        self._healthy = True
        self._trading: ThreadPoolExecutor | None = None
        self._data: ThreadPoolExecutor | None = None

    def started(self) -> None:
        self._trading = ThreadPoolExecutor(self._trading_workers, thread_name_prefix="exchange-trading")
        self._data = ThreadPoolExecutor(self._data_workers, thread_name_prefix="exchange-data")

    def on_stop(self) -> None:
        self._shutdown_pools()

    def stopped_after_failure(self) -> None:
        self._shutdown_pools()

    def _shutdown_pools(self) -> None:
        for pool in (self._trading, self._data):
            if pool is not None:
                pool.shutdown(wait=False, cancel_futures=True)

    # --------------------------------------------------------------- messages
    def receive(self, message: Any) -> Any:
        if isinstance(message, ExchangeRequest):
            pool = self._data if isinstance(message, FetchCandles) else self._trading
            assert pool is not None
            pool.submit(self._run, message)
            return None
        return super().receive(message)

    def _gateway(self) -> Gateway:
        gateway = getattr(self._local, "gateway", None)
        if gateway is None:
            gateway = self.ctx.gateway_factory()
            self._local.gateway = gateway
        return gateway

    def _run(self, request: ExchangeRequest) -> None:
        """Worker thread: execute, reply, keep the health figures."""
        try:
            gateway = self._gateway()
            if isinstance(request, PlaceOrder) and request.leverage is not None:
                self._ensure_symbol_setup(gateway, request.symbol, request.leverage)
                self.ctx.health.finish(request.correlation_id, "candle_to_entry_order")
            if isinstance(request, ListenKeyRequest):
                reply = self._listen_key(gateway, request)
            else:
                reply = gateway.execute(request)
        except Exception as exc:  # a bug or an unexpected library error must not kill the worker silently
            log.exception("exchange request %s failed unexpectedly", type(request).__name__)
            now = self.ctx.clock.now_ms()
            reply = ExchangeReply(ts_event=now, ts_init=now, request_id=request.request_id, request=request,
                                  outcome="failed", message=f"{type(exc).__name__}: {exc}")
        self._observe(reply)
        if request.reply_to:
            self.ctx.directory.tell(request.reply_to, reply)

    def _ensure_symbol_setup(self, gateway: Gateway, symbol: str, leverage: int) -> None:
        """Margin type once per symbol; leverage only when it changes (not per order)."""
        with self._lock:
            need_margin = symbol not in self._margin_set
            need_leverage = self._leverage.get(symbol) != leverage
        try:
            if need_margin and hasattr(gateway, "set_margin_type"):
                gateway.set_margin_type(symbol, self.ctx.settings.exchange.margin_type)
                with self._lock:
                    self._margin_set.add(symbol)
            if need_leverage and hasattr(gateway, "set_leverage"):
                gateway.set_leverage(symbol, leverage)
                with self._lock:
                    self._leverage[symbol] = leverage
        except GatewayError as exc:
            log.warning("%s: could not set leverage %sx / margin type: %s", symbol, leverage, exc.failure)

    def _listen_key(self, gateway: Any, request: ListenKeyRequest) -> ExchangeReply:
        now = self.ctx.clock.now_ms()
        try:
            key = gateway.listen_key(request.action, request.listen_key)
            return ExchangeReply(ts_event=now, ts_init=now, request_id=request.request_id, request=request,
                                 outcome="ok", message=key)
        except GatewayError as exc:
            outcome = "rejected" if exc.failure.outcome.value == "rejected" else "failed"
            return ExchangeReply(ts_event=now, ts_init=now, request_id=request.request_id, request=request,
                                 outcome=outcome, code=exc.failure.code, message=exc.failure.message)

    def _observe(self, reply: ExchangeReply) -> None:
        with self._lock:
            self._recent.append(reply.outcome != "failed")
            failures = sum(1 for ok in list(self._recent)[-UNHEALTHY_AFTER_FAILURES:] if not ok)
            healthy = failures < UNHEALTHY_AFTER_FAILURES
            changed = healthy != self._healthy
            self._healthy = healthy
        self.ctx.health.increment("exchange.requests")
        if reply.outcome == "failed":
            self.ctx.health.increment("exchange.failures")
        if changed:
            now = self.ctx.clock.now_ms()
            reason = "requests succeed again" if healthy else f"{UNHEALTHY_AFTER_FAILURES} requests failed in a row"
            log.warning("exchange health: %s (%s)", "healthy" if healthy else "UNHEALTHY", reason)
            self.ctx.directory.tell(RISK, ExchangeHealthChanged(ts_event=now, ts_init=now, healthy=healthy,
                                                                reason=reason))
