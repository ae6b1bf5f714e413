"""The exchange as the cores see it: requests in, immutable replies out.

``Gateway`` is implemented twice: ``CcxtGateway`` (the real ccxt client, for demo/paper/testnet/live)
and the backtest's in-process gateway on the simulator engine. Both share ``execute``, which turns a
request into an ``ExchangeReply`` and — the rule that prevents duplicate orders — settles an order
whose outcome is unknown by querying its client id instead of sending it again.
"""

from __future__ import annotations

import logging
import time
from abc import ABC, abstractmethod
from collections.abc import Callable

from core.orders.planning import Bracket
from core.precision import SymbolRules
from exchange.errors import UNKNOWN_ORDER, ExchangeFailure, Outcome
from messages.exchange import (
    AccountState,
    CancelAllOrders,
    CancelOrder,
    ExchangeReply,
    ExchangeRequest,
    FetchAccountState,
    FetchCandles,
    FetchTickers,
    OrderSnapshot,
    PlaceAlgoOrder,
    PlaceOrder,
    QueryOrder,
    TickerSnapshot,
)
from messages.market import Candle

log = logging.getLogger(__name__)


class GatewayError(Exception):
    """A classified failure of one exchange call."""

    def __init__(self, failure: ExchangeFailure) -> None:
        self.failure = failure
        super().__init__(str(failure))


class Gateway(ABC):
    """Synchronous access to one exchange account. Not thread-safe: one instance per thread."""

    settle_attempts = 5
    settle_backoff_s = 0.2

    def __init__(self, now_ms: Callable[[], int], sleep: Callable[[float], None] = time.sleep) -> None:
        self.now_ms = now_ms
        self.sleep = sleep

    # --------------------------------------------------------------- what implementations provide
    @abstractmethod
    def load_markets(self) -> dict[str, SymbolRules]: ...

    @abstractmethod
    def brackets(self, symbol: str) -> tuple[Bracket, ...]: ...

    @abstractmethod
    def place_order(self, request: PlaceOrder) -> OrderSnapshot: ...

    @abstractmethod
    def place_algo_order(self, request: PlaceAlgoOrder) -> OrderSnapshot: ...

    @abstractmethod
    def cancel_order(self, request: CancelOrder) -> OrderSnapshot | None: ...

    @abstractmethod
    def query_order(self, symbol: str, client_order_id: str, is_algo: bool) -> OrderSnapshot: ...

    @abstractmethod
    def cancel_all(self, symbol: str) -> int: ...

    @abstractmethod
    def account_state(self, symbols: tuple[str, ...], fills_since_ms: int | None) -> AccountState: ...

    def tickers_24h(self) -> dict[str, tuple[float, float]]:
        """symbol → (24 h quote volume, last price)."""
        raise GatewayError(ExchangeFailure(0, "tickers are not available here", Outcome.REJECTED))

    @abstractmethod
    def fetch_candles(self, symbol: str, timeframe: str, since_ms: int | None, limit: int) -> list[Candle]: ...

    # --------------------------------------------------------------- the shared request → reply logic
    def execute(self, request: ExchangeRequest) -> ExchangeReply:
        """Run one request; never raises for exchange trouble (it becomes the reply's outcome)."""
        try:
            if isinstance(request, PlaceOrder):
                return self._order_reply(request, lambda: self.place_order(request), request.symbol,
                                         request.client_order_id, is_algo=False)
            if isinstance(request, PlaceAlgoOrder):
                return self._order_reply(request, lambda: self.place_algo_order(request), request.symbol,
                                         request.client_order_id, is_algo=True)
            if isinstance(request, CancelOrder):
                return self._reply(request, "ok", order=self.cancel_order(request))
            if isinstance(request, QueryOrder):
                order = self.query_order(request.symbol, request.client_order_id, request.is_algo)
                return self._reply(request, "ok", order=order)
            if isinstance(request, CancelAllOrders):
                cancelled = self.cancel_all(request.symbol)
                return self._reply(request, "ok", message=f"{cancelled} orders cancelled")
            if isinstance(request, FetchAccountState):
                return self._reply(request, "ok", state=self.account_state(request.symbols, request.fills_since_ms))
            if isinstance(request, FetchTickers):
                tickers = tuple(TickerSnapshot(symbol=s, quote_volume_24h=v, last_price=p)
                                for s, (v, p) in sorted(self.tickers_24h().items()))
                return self._reply(request, "ok", tickers=tickers)
            if isinstance(request, FetchCandles):
                candles = self.fetch_candles(request.symbol, request.timeframe, request.since_open_time, request.limit)
                return self._reply(request, "ok", candles=tuple(candles))
        except GatewayError as exc:
            return self._failure_reply(request, exc.failure)
        return self._reply(request, "rejected", code=0, message=f"unsupported request {type(request).__name__}")

    def _order_reply(self, request: ExchangeRequest, send: Callable[[], OrderSnapshot], symbol: str,
                     client_id: str, is_algo: bool) -> ExchangeReply:
        try:
            return self._reply(request, "ok", order=send())
        except GatewayError as exc:
            if exc.failure.outcome is not Outcome.UNKNOWN:
                return self._failure_reply(request, exc.failure)
            log.warning("order %s outcome unknown (%s): settling by query", client_id, exc.failure)
            return self._settle(request, symbol, client_id, is_algo, exc.failure)

    def _settle(self, request: ExchangeRequest, symbol: str, client_id: str, is_algo: bool,
                cause: ExchangeFailure) -> ExchangeReply:
        """Find out whether an order whose answer was lost exists; never resend it."""
        delay = self.settle_backoff_s
        last = cause
        for _ in range(self.settle_attempts):
            try:
                order = self.query_order(symbol, client_id, is_algo)
                log.info("order %s settled by query: %s", client_id, order.status)
                return self._reply(request, "ok", order=order)
            except GatewayError as exc:
                last = exc.failure
                if exc.failure.code in UNKNOWN_ORDER:
                    return self._reply(request, "rejected", code=exc.failure.code,
                                       message=f"not placed (settled by query after: {cause})")
            self.sleep(delay)
            delay = min(delay * 2, 2.0)
        return self._reply(request, "failed", code=last.code, message=f"outcome still unknown: {last}")

    def _failure_reply(self, request: ExchangeRequest, failure: ExchangeFailure) -> ExchangeReply:
        outcome = "rejected" if failure.outcome is Outcome.REJECTED else "failed"
        return self._reply(request, outcome, code=failure.code, message=failure.message)

    def _reply(self, request: ExchangeRequest, outcome: str, **fields: object) -> ExchangeReply:
        now = self.now_ms()
        return ExchangeReply(ts_event=now, ts_init=now, request_id=request.request_id, request=request,
                             outcome=outcome, **fields)  # type: ignore[arg-type]
