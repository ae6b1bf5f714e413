"""REST endpoints: path -> (handler, weight, security). Handlers are plain functions of a context.

Weights follow Binance's documentation for USDⓈ-M futures (README "Rate limits"); order placement
weighs 0 on the IP budget and counts toward the 10 s / 1 min order budgets.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from simulator import errors
from simulator.engine import market
from simulator.server.exchange_info import exchange_info

if TYPE_CHECKING:
    from simulator.candles import CandleSeries
    from simulator.engine import Engine
    from simulator.server.app import SimulatorServer

NONE, KEY, SIGNED = "NONE", "KEY", "SIGNED"


@dataclass
class Ctx:
    server: SimulatorServer
    params: dict[str, str]

    @property
    def engine(self) -> Engine:
        return self.server.engine

    @property
    def now(self) -> int:
        return self.server.engine.now_ms

    def series(self) -> CandleSeries:
        found = self.series_or_none()
        if found is None:
            raise errors.mandatory("symbol")
        return found

    def series_or_none(self) -> CandleSeries | None:
        symbol = self.params.get("symbol")
        if symbol in (None, ""):
            return None
        found = self.server.series.get(symbol.upper())
        if found is None:
            raise errors.bad_symbol()
        return found


@dataclass(frozen=True)
class Route:
    handler: Callable[[Ctx], object]
    weight: int | Callable[[dict[str, str]], int]
    security: str = NONE
    order: bool = False
    mutating: bool = False

    def weight_of(self, params: dict[str, str]) -> int:
        return self.weight(params) if callable(self.weight) else self.weight


def _by_limit(params: dict[str, str]) -> int:
    try:
        limit = int(params.get("limit") or 500)
    except ValueError:
        return 1
    return 1 if limit < 100 else 2 if limit < 500 else 5 if limit <= 1000 else 10


def _no_symbol(with_symbol: int, without: int) -> Callable[[dict[str, str]], int]:
    return lambda params: with_symbol if params.get("symbol") else without


def _depth_weight(params: dict[str, str]) -> int:
    limit = int(params.get("limit") or 500)
    return 2 if limit <= 50 else 5 if limit <= 100 else 10 if limit <= 500 else 20


# --- public ----------------------------------------------------------------------------------------------


def _klines(ctx: Ctx, mark: bool = False) -> list[list[object]]:
    series = ctx.series()
    rows = market.kline_rows(
        series,
        ctx.now,
        ctx.params.get("interval"),
        ctx.params.get("startTime"),
        ctx.params.get("endTime"),
        ctx.params.get("limit"),
    )
    width = market.interval_minutes(ctx.params.get("interval")) * 60_000
    render = market.render_mark_kline if mark else market.render_kline
    return [render(series, row, width) for row in rows]


def _per_symbol(ctx: Ctx, fn: Callable) -> object:
    series = ctx.series_or_none()
    if series is not None:
        return fn(series, ctx.now)
    return [fn(s, ctx.now) for s in ctx.server.series.values() if s.first_ms <= ctx.now]


def _ticker_price(series: CandleSeries, now: int) -> dict[str, object]:
    price = market.current_price(series, now) or 0.0
    return {"symbol": series.symbol, "price": f"{price:.{series.spec.price_precision}f}", "time": now}


def _depth(ctx: Ctx) -> dict[str, object]:
    series = ctx.series()
    limit = int(ctx.params.get("limit") or 500)
    bid, ask = market.book(series, ctx.now) or (0.0, 0.0)
    spec = series.spec
    tick = spec.tick
    qty = float(market.book_ticker(series, ctx.now)["bidQty"])
    levels = min(limit, 20)
    fmt = f".{spec.price_precision}f"
    return {
        "lastUpdateId": ctx.now,
        "E": ctx.now,
        "T": ctx.now,
        "bids": [[format(bid - k * tick, fmt), f"{qty * (1 + k):.{spec.quantity_precision}f}"] for k in range(levels)],
        "asks": [[format(ask + k * tick, fmt), f"{qty * (1 + k):.{spec.quantity_precision}f}"] for k in range(levels)],
    }


def _funding_info(ctx: Ctx) -> list[dict[str, object]]:
    return [
        {
            "symbol": s,
            "adjustedFundingRateCap": "0.03000000",
            "adjustedFundingRateFloor": "-0.03000000",
            "fundingIntervalHours": 8,
            "disclaimer": False,
        }
        for s in sorted(ctx.server.series)
    ]


# --- private ---------------------------------------------------------------------------------------------


def _all_orders(ctx: Ctx) -> list[dict[str, object]]:
    sym = ctx.engine.symbol_state(ctx.params.get("symbol"))
    rows = sorted((o for o in ctx.engine.orders.values() if o.symbol == sym.symbol), key=lambda o: o.order_id)
    if ctx.params.get("orderId"):
        rows = [o for o in rows if o.order_id >= int(ctx.params["orderId"])]
    limit = int(ctx.params.get("limit") or 500)
    return [o.to_rest() for o in rows[-limit:]]


def _all_algo_orders(ctx: Ctx) -> list[dict[str, object]]:
    sym = ctx.engine.symbol_state(ctx.params.get("symbol"))
    rows = sorted((a for a in ctx.engine.algos.values() if a.symbol == sym.symbol), key=lambda a: a.algo_id)
    limit = int(ctx.params.get("limit") or 500)
    return [a.to_rest() for a in rows[-limit:]]


def _open_order(ctx: Ctx) -> dict[str, object]:
    sym = ctx.engine.symbol_state(ctx.params.get("symbol"))
    order = ctx.engine._find_order(sym, ctx.params)
    if order is None or not order.is_open:
        raise errors.BinanceError(-2013, "Order does not exist.")
    return order.to_rest()


def _account_config(ctx: Ctx) -> dict[str, object]:
    return {
        "feeTier": 0,
        "canTrade": True,
        "canDeposit": True,
        "canWithdraw": True,
        "dualSidePosition": False,
        "updateTime": 0,
        "multiAssetsMargin": ctx.engine.multi_assets,
        "tradeGroupId": -1,
    }


def _api_restrictions(ctx: Ctx) -> dict[str, object]:
    return {
        "ipRestrict": False,
        "createTime": ctx.server.start_ms,
        "enableReading": True,
        "enableWithdrawals": False,
        "enableInternalTransfer": False,
        "enableMargin": False,
        "enableFutures": True,
        "permitsUniversalTransfer": False,
        "enableVanillaOptions": False,
        "enableFixApiTrade": False,
        "enableFixReadOnly": True,
        "enableSpotAndMarginTrading": False,
        "enablePortfolioMarginTrading": False,
    }


def _listen_key_post(ctx: Ctx) -> dict[str, object]:
    return {"listenKey": ctx.server.listen_keys.create(ctx.server.now())}


def _listen_key_put(ctx: Ctx) -> dict[str, object]:
    return {"listenKey": ctx.server.listen_keys.keep_alive(ctx.server.now(), ctx.params.get("listenKey"))}


def _listen_key_delete(ctx: Ctx) -> dict[str, object]:
    ctx.server.close_listen_key(ctx.params.get("listenKey"))
    return {}


def build_routes() -> dict[tuple[str, str], Route]:
    v1, v2, v3 = "/fapi/v1/", "/fapi/v2/", "/fapi/v3/"
    p = lambda ctx: ctx.params  # noqa: E731
    routes: dict[tuple[str, str], Route] = {
        ("GET", v1 + "ping"): Route(lambda ctx: {}, 1),
        ("GET", v1 + "time"): Route(lambda ctx: {"serverTime": ctx.server.server_time()}, 1),
        ("GET", v1 + "exchangeInfo"): Route(lambda ctx: exchange_info(ctx.server.series, ctx.now), 1),
        ("GET", v1 + "klines"): Route(_klines, _by_limit),
        ("GET", v1 + "markPriceKlines"): Route(lambda ctx: _klines(ctx, mark=True), _by_limit),
        ("GET", v1 + "indexPriceKlines"): Route(lambda ctx: _klines(ctx, mark=True), _by_limit),
        ("GET", v1 + "ticker/24hr"): Route(lambda ctx: _per_symbol(ctx, market.ticker_24h), _no_symbol(1, 40)),
        ("GET", v1 + "ticker/price"): Route(lambda ctx: _per_symbol(ctx, _ticker_price), _no_symbol(1, 2)),
        ("GET", v2 + "ticker/price"): Route(lambda ctx: _per_symbol(ctx, _ticker_price), _no_symbol(1, 2)),
        ("GET", v1 + "ticker/bookTicker"): Route(lambda ctx: _per_symbol(ctx, market.book_ticker), _no_symbol(2, 5)),
        ("GET", v1 + "premiumIndex"): Route(lambda ctx: _per_symbol(ctx, market.premium_index), _no_symbol(1, 10)),
        ("GET", v1 + "fundingRate"): Route(
            lambda ctx: market.funding_history(
                ctx.series(), ctx.now, p(ctx).get("startTime"), p(ctx).get("endTime"), p(ctx).get("limit")
            ),
            1,
        ),
        ("GET", v1 + "fundingInfo"): Route(_funding_info, 1),
        ("GET", v1 + "depth"): Route(_depth, _depth_weight),
        ("POST", v1 + "listenKey"): Route(_listen_key_post, 1, KEY),
        ("PUT", v1 + "listenKey"): Route(_listen_key_put, 1, KEY),
        ("DELETE", v1 + "listenKey"): Route(_listen_key_delete, 1, KEY),
        ("GET", v2 + "account"): Route(lambda ctx: ctx.engine.account_v2(), 5, SIGNED),
        ("GET", v3 + "account"): Route(lambda ctx: ctx.engine.account_v3(), 5, SIGNED),
        ("GET", v2 + "balance"): Route(lambda ctx: ctx.engine.balances(), 5, SIGNED),
        ("GET", v3 + "balance"): Route(lambda ctx: ctx.engine.balances(), 5, SIGNED),
        ("GET", v2 + "positionRisk"): Route(lambda ctx: ctx.engine.position_risk_v2(p(ctx).get("symbol")), 5, SIGNED),
        ("GET", v3 + "positionRisk"): Route(lambda ctx: ctx.engine.position_risk_v3(p(ctx).get("symbol")), 5, SIGNED),
        ("GET", v1 + "leverageBracket"): Route(
            lambda ctx: ctx.engine.leverage_brackets(p(ctx).get("symbol")), 1, SIGNED
        ),
        ("GET", v1 + "commissionRate"): Route(lambda ctx: ctx.engine.commission_rate(p(ctx).get("symbol")), 20, SIGNED),
        ("GET", v1 + "symbolConfig"): Route(lambda ctx: ctx.engine.symbol_config(p(ctx).get("symbol")), 5, SIGNED),
        ("GET", v1 + "accountConfig"): Route(_account_config, 5, SIGNED),
        ("POST", v1 + "leverage"): Route(
            lambda ctx: ctx.engine.set_leverage(p(ctx).get("symbol"), p(ctx).get("leverage")), 1, SIGNED, mutating=True
        ),
        ("POST", v1 + "marginType"): Route(
            lambda ctx: ctx.engine.set_margin_type(p(ctx).get("symbol"), p(ctx).get("marginType")),
            1,
            SIGNED,
            mutating=True,
        ),
        ("GET", v1 + "positionSide/dual"): Route(lambda ctx: ctx.engine.position_mode(), 30, SIGNED),
        ("POST", v1 + "positionSide/dual"): Route(
            lambda ctx: ctx.engine.set_position_mode(p(ctx).get("dualSidePosition")), 1, SIGNED, mutating=True
        ),
        ("GET", v1 + "multiAssetsMargin"): Route(lambda ctx: ctx.engine.multi_assets_mode(), 30, SIGNED),
        ("POST", v1 + "multiAssetsMargin"): Route(
            lambda ctx: ctx.engine.set_multi_assets_mode(p(ctx).get("multiAssetsMargin")), 1, SIGNED, mutating=True
        ),
        ("POST", v1 + "order"): Route(lambda ctx: ctx.engine.new_order(ctx.params), 0, SIGNED, True, True),
        ("GET", v1 + "order"): Route(lambda ctx: ctx.engine.query_order(ctx.params), 1, SIGNED),
        ("DELETE", v1 + "order"): Route(lambda ctx: ctx.engine.cancel_order(ctx.params), 1, SIGNED, mutating=True),
        ("GET", v1 + "openOrder"): Route(_open_order, 1, SIGNED),
        ("GET", v1 + "openOrders"): Route(
            lambda ctx: ctx.engine.open_orders(p(ctx).get("symbol")), _no_symbol(1, 40), SIGNED
        ),
        ("GET", v1 + "allOrders"): Route(_all_orders, 5, SIGNED),
        ("DELETE", v1 + "allOpenOrders"): Route(
            lambda ctx: ctx.engine.cancel_all_orders(p(ctx).get("symbol")), 1, SIGNED, mutating=True
        ),
        ("POST", v1 + "algoOrder"): Route(lambda ctx: ctx.engine.new_algo_order(ctx.params), 0, SIGNED, True, True),
        ("GET", v1 + "algoOrder"): Route(lambda ctx: ctx.engine.query_algo_order(ctx.params), 1, SIGNED),
        ("DELETE", v1 + "algoOrder"): Route(
            lambda ctx: ctx.engine.cancel_algo_order(ctx.params), 1, SIGNED, mutating=True
        ),
        ("GET", v1 + "openAlgoOrders"): Route(
            lambda ctx: ctx.engine.open_algo_orders(p(ctx).get("symbol")), _no_symbol(1, 40), SIGNED
        ),
        ("GET", v1 + "allAlgoOrders"): Route(_all_algo_orders, 5, SIGNED),
        ("DELETE", v1 + "algoOpenOrders"): Route(
            lambda ctx: ctx.engine.cancel_all_algo_orders(p(ctx).get("symbol")), 1, SIGNED, mutating=True
        ),
        ("GET", v1 + "userTrades"): Route(lambda ctx: ctx.engine.user_trades(ctx.params), 5, SIGNED),
        ("GET", v1 + "income"): Route(lambda ctx: ctx.engine.income(ctx.params), 30, SIGNED),
        ("GET", "/sapi/v1/capital/config/getall"): Route(lambda ctx: [], 10, SIGNED),
        ("GET", "/sapi/v1/account/apiRestrictions"): Route(_api_restrictions, 1, SIGNED),
    }
    return routes
