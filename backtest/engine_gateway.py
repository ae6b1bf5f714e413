"""``Gateway`` on the simulator's matching engine, in-process: no sockets, no threads, no sleeps.

The backtest sends the very requests the live OrderCore sends, as the Binance parameters ccxt would put
on the wire, and reads the engine's raw answers with the same ``exchange.parsers`` the live bot uses:
a backtest and a demo replay therefore take the same decisions on the same fills.
"""

from __future__ import annotations

import bisect
from decimal import Decimal
from typing import Any

from core.orders.planning import Bracket
from core.precision import SymbolRules
from core.symbols import to_ccxt, to_exchange_id
from exchange.errors import classify_code
from exchange.gateway import Gateway, GatewayError
from exchange.parsers import (
    parse_algo_order,
    parse_balance,
    parse_order,
    parse_position,
    parse_rest_kline,
    parse_user_trade,
)
from messages.exchange import AccountState, CancelOrder, OrderSnapshot, PlaceAlgoOrder, PlaceOrder
from messages.market import Candle
from simulator.errors import BinanceError


class EngineGateway(Gateway):
    """Direct calls into ``simulator.engine.Engine`` with Binance's parameter names."""

    def __init__(self, engine: Any, margin_type: str | None = None) -> None:
        """``margin_type`` ("isolated"/"cross"): set once per symbol before its first entry, as the live
        ExchangeActor does; None leaves the engine's default (cross)."""
        super().__init__(now_ms=lambda: engine.now_ms, sleep=lambda _s: None)
        self.engine = engine
        self.margin_type = margin_type
        self._leverage: dict[str, int] = {}
        self._margin_set: set[str] = set()
        self._indexed = 0
        self._fills: dict[str, tuple[list[int], list[Any]]] = {}

    def _call(self, fn: Any, *args: Any, sent_order: bool = False) -> Any:
        try:
            return fn(*args)
        except BinanceError as exc:
            raise GatewayError(classify_code(exc.code, exc.msg, sent_order=sent_order)) from None

    # --------------------------------------------------------------- markets
    def load_markets(self) -> dict[str, SymbolRules]:
        rules = {}
        for state in self.engine.symbols.values():
            spec = state.spec
            rules[to_ccxt(spec.symbol)] = SymbolRules(
                symbol=to_ccxt(spec.symbol), tick_size=Decimal(spec.tick_size), step_size=Decimal(spec.step_size),
                min_qty=Decimal(spec.step_size), max_qty=Decimal(spec.max_qty),
                market_max_qty=Decimal(spec.market_max_qty), min_notional=Decimal(spec.min_notional))
        return rules

    def brackets(self, symbol: str) -> tuple[Bracket, ...]:
        spec = self.engine.symbol_state(to_exchange_id(symbol)).spec
        return tuple(Bracket(notional_cap=b.notional_cap, max_leverage=b.initial_leverage,
                             maint_margin_ratio=b.maint_margin_ratio) for b in spec.brackets)

    def set_leverage(self, symbol: str, leverage: int) -> None:
        if self._leverage.get(symbol) != leverage:
            self._call(self.engine.set_leverage, to_exchange_id(symbol), leverage)
            self._leverage[symbol] = leverage

    def set_margin_type(self, symbol: str, margin_type: str) -> None:
        try:
            self._call(self.engine.set_margin_type, to_exchange_id(symbol),
                       "ISOLATED" if margin_type == "isolated" else "CROSSED")
        except GatewayError as exc:
            if exc.failure.code != -4046:  # "No need to change margin type."
                raise

    def _ensure_symbol_setup(self, symbol: str, leverage: int) -> None:
        """Margin type once per symbol, then the leverage when it changes; a refusal is left to the order
        itself to fail, like ``ExchangeActor._ensure_symbol_setup``."""
        try:
            if self.margin_type is not None and symbol not in self._margin_set:
                self.set_margin_type(symbol, self.margin_type)
                self._margin_set.add(symbol)
            self.set_leverage(symbol, leverage)
        except GatewayError:
            pass

    # --------------------------------------------------------------- orders
    def place_order(self, request: PlaceOrder) -> OrderSnapshot:
        if request.leverage is not None:
            self._ensure_symbol_setup(request.symbol, request.leverage)
        params: dict[str, object] = {"symbol": to_exchange_id(request.symbol), "side": request.side,
                                     "type": request.order_type, "quantity": request.quantity,
                                     "newClientOrderId": request.client_order_id, "newOrderRespType": "RESULT"}
        if request.price is not None:
            params["price"] = request.price
        if request.time_in_force:
            params["timeInForce"] = request.time_in_force
        if request.reduce_only:
            params["reduceOnly"] = "true"
        return parse_order(self._call(self.engine.new_order, params, sent_order=True))

    def place_algo_order(self, request: PlaceAlgoOrder) -> OrderSnapshot:
        params: dict[str, object] = {"algoType": "CONDITIONAL", "symbol": to_exchange_id(request.symbol),
                                     "side": request.side, "type": request.order_type,
                                     "triggerPrice": request.trigger_price, "workingType": request.working_type,
                                     "clientAlgoId": request.client_order_id}
        if request.quantity is not None:
            params["quantity"] = request.quantity
        if request.close_position:
            params["closePosition"] = "true"
        if request.reduce_only:
            params["reduceOnly"] = "true"
        return parse_algo_order(self._call(self.engine.new_algo_order, params, sent_order=True))

    def cancel_order(self, request: CancelOrder) -> OrderSnapshot | None:
        symbol = to_exchange_id(request.symbol)
        if request.is_algo:
            raw = self._call(self.engine.cancel_algo_order, {"symbol": symbol, "clientAlgoId": request.client_order_id})
            return parse_algo_order(raw) if "symbol" in raw else None  # Binance answers {algoId, code, msg}
        raw = self._call(self.engine.cancel_order, {"symbol": symbol, "origClientOrderId": request.client_order_id})
        return parse_order(raw)

    def query_order(self, symbol: str, client_order_id: str, is_algo: bool) -> OrderSnapshot:
        exchange_symbol = to_exchange_id(symbol)
        if is_algo:
            return parse_algo_order(self._call(self.engine.query_algo_order,
                                               {"symbol": exchange_symbol, "clientAlgoId": client_order_id}))
        return parse_order(self._call(self.engine.query_order,
                                      {"symbol": exchange_symbol, "origClientOrderId": client_order_id}))

    def cancel_all(self, symbol: str) -> int:
        exchange_symbol = to_exchange_id(symbol)
        count = len(self.engine.open_orders(exchange_symbol)) + len(self.engine.open_algo_orders(exchange_symbol))
        self._call(self.engine.cancel_all_orders, exchange_symbol)
        self._call(self.engine.cancel_all_algo_orders, exchange_symbol)
        return count

    # --------------------------------------------------------------- account
    def account_state(self, symbols: tuple[str, ...], fills_since_ms: int | None) -> AccountState:
        """What the live REST reads return (positionRisk v3, open orders, open algo orders, account v3,
        userTrades), asked per symbol when symbols are given, as the live gateway does."""
        wanted = set(symbols)
        ids = [to_exchange_id(s) for s in sorted(wanted)] or [None]
        positions = tuple(p for i in ids for p in (parse_position(raw) for raw in self.engine.position_risk_v3(i))
                          if p.amount != 0 and (not wanted or p.symbol in wanted))
        regular = tuple(parse_order(raw) for i in ids for raw in self.engine.open_orders(i))
        algo = tuple(parse_algo_order(raw) for i in ids for raw in self.engine.open_algo_orders(i))
        fills = []
        if fills_since_ms is not None:
            for symbol in symbols:
                fills += [parse_user_trade(raw) for raw in self._user_trades(to_exchange_id(symbol), fills_since_ms)]
        return AccountState(ts=self.engine.now_ms, positions=positions, open_orders=regular,
                            open_algo_orders=algo, balance=parse_balance(self.engine.account_v3()),
                            fills=tuple(fills))

    def _user_trades(self, symbol: str, since_ms: int) -> list[dict[str, object]]:
        """``userTrades`` with ``startTime`` (7-day window, at most 1000), as ``Engine.user_trades`` answers
        it, from an index kept per symbol: the engine's own filter scans every trade of the run, which
        made settling a trade cost O(all trades) in a month-long backtest."""
        trades = self.engine.trades
        for trade in trades[self._indexed:]:
            book = self._fills.setdefault(trade.spec.symbol, ([], []))
            book[0].append(trade.time_ms)
            book[1].append(trade)
        self._indexed = len(trades)
        times, rows = self._fills.get(symbol, ([], []))
        lo = bisect.bisect_left(times, since_ms)
        hi = bisect.bisect_right(times, since_ms + 7 * 86_400_000)
        return [t.to_rest() for t in rows[lo:hi][:1000]]

    def fetch_candles(self, symbol: str, timeframe: str, since_ms: int | None, limit: int) -> list[Candle]:
        raise GatewayError(classify_code(-1100, "the backtest reads candles from its arrays"))


_ = parse_rest_kline  # kept importable for symmetry with CcxtGateway (REST rows share the parser)
