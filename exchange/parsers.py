"""Binance payloads (REST bodies and WebSocket events, raw field names) → immutable messages.

The same parsers read the user-data stream live and the simulator engine's events in the backtest, so
both feed the cores identical messages. A malformed payload raises ``PayloadError`` naming the event
and the field; callers log it and skip the payload — one bad frame never stops the bot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from core.symbols import SymbolError, to_ccxt
from messages.exchange import BalanceSnapshot, OrderSnapshot, PositionSnapshot, TradeFill
from messages.market import Candle
from messages.orders import AccountUpdate, AlgoUpdate, BalanceChange, OrderUpdate, PositionChange

INTERVAL_MS = {"1m": 60_000, "3m": 180_000, "5m": 300_000, "15m": 900_000, "1h": 3_600_000}


class PayloadError(ValueError):
    """A payload that does not have the shape Binance documents."""


class ForeignSymbolError(PayloadError):
    """A well-formed payload about a market the bot does not trade (a USDT perpetual on the same account)."""


def _get(data: Mapping[str, Any], key: str, where: str) -> Any:
    if not isinstance(data, Mapping):
        raise PayloadError(f"{where}: expected an object, got {type(data).__name__}")
    if key not in data or data[key] is None:
        raise PayloadError(f"{where}: missing field {key!r}")
    return data[key]


def _object(data: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    """A nested object (``k``, ``o``, ``a``): anything else is a malformed payload, not a crash."""
    value = _get(data, key, where)
    if not isinstance(value, Mapping):
        raise PayloadError(f"{where}: field {key!r} must be an object, got {type(value).__name__}")
    return value


def _items(data: Mapping[str, Any], key: str, where: str) -> list[Mapping[str, Any]]:
    """A list of objects (``B``, ``P``, ``assets``); absent or null is an empty list."""
    value = data.get(key) if isinstance(data, Mapping) else None
    if value is None:
        return []
    if not isinstance(value, list) or not all(isinstance(item, Mapping) for item in value):
        raise PayloadError(f"{where}: field {key!r} must be a list of objects, got {_short(value)}")
    return value


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def num(data: Mapping[str, Any], key: str, where: str, default: float | None = None) -> float:
    """A finite number from a field that Binance sends as a string or a number."""
    if default is not None and (not isinstance(data, Mapping) or data.get(key) in (None, "")):
        return default
    raw = _get(data, key, where)
    if isinstance(raw, bool):
        raise PayloadError(f"{where}: field {key!r} must be a number, got {raw!r}")
    try:
        value = float(raw)
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(f"{where}: field {key!r} must be a number, got {raw!r}") from None
    if not math.isfinite(value):
        raise PayloadError(f"{where}: field {key!r} must be finite, got {raw!r}")
    return value


def integer(data: Mapping[str, Any], key: str, where: str, default: int | None = None) -> int:
    if default is not None and (not isinstance(data, Mapping) or data.get(key) in (None, "")):
        return default
    raw = _get(data, key, where)
    try:
        return int(raw)
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(f"{where}: field {key!r} must be an integer, got {raw!r}") from None


def text(data: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    if default is not None and (not isinstance(data, Mapping) or data.get(key) is None):
        return default
    raw = _get(data, key, where)
    if not isinstance(raw, (str, int)) or isinstance(raw, bool):
        raise PayloadError(f"{where}: field {key!r} must be text, got {raw!r}")
    return str(raw)


def flag(data: Mapping[str, Any], key: str, default: bool = False) -> bool:
    raw = data.get(key, default) if isinstance(data, Mapping) else default
    if isinstance(raw, str):
        return raw.strip().lower() == "true"
    return bool(raw)


def symbol_of(data: Mapping[str, Any], key: str, where: str) -> str:
    raw = text(data, key, where)
    try:
        return to_ccxt(raw)
    except SymbolError as exc:
        if "not USDC-margined" in str(exc) or "cannot read" in str(exc):
            raise ForeignSymbolError(f"{where}: {exc}") from None
        raise PayloadError(f"{where}: {exc}") from None


def side_of(data: Mapping[str, Any], key: str, where: str) -> str:
    value = text(data, key, where).upper()
    if value not in ("BUY", "SELL"):
        raise PayloadError(f"{where}: field {key!r} must be BUY or SELL, got {value!r}")
    return value


# ------------------------------------------------------------------- market streams
def parse_kline(payload: Mapping[str, Any]) -> tuple[str, str, Candle, bool, int]:
    """A kline event → (symbol, interval, candle, closed, event time). Prices must be positive and
    ordered (low ≤ open, close ≤ high): a frame that breaks that is refused, never traded on."""
    where = "kline event"
    k = _object(payload, "k", where)
    symbol = symbol_of(k, "s", where)
    interval = text(k, "i", where)
    if interval not in INTERVAL_MS:
        raise PayloadError(f"{where}: unsupported interval {interval!r}")
    open_time = integer(k, "t", where)
    candle = Candle(open_time=open_time, close_time=open_time + INTERVAL_MS[interval], open=num(k, "o", where),
                    high=num(k, "h", where), low=num(k, "l", where), close=num(k, "c", where),
                    volume=num(k, "v", where))
    check_candle(candle, where)
    return symbol, interval, candle, flag(k, "x"), integer(payload, "E", where, default=open_time)


def check_candle(candle: Candle, where: str) -> None:
    """Refuse impossible candles (non-positive prices, high below low, negative volume).

    Open/close outside low..high is tolerated: Binance's own documentation shows such frames.
    """
    if min(candle.open, candle.high, candle.low, candle.close) <= 0:
        raise PayloadError(f"{where}: prices must be positive, got {candle}")
    if candle.low > candle.high:
        raise PayloadError(f"{where}: low must be <= high, got {candle}")
    if candle.volume < 0:
        raise PayloadError(f"{where}: volume must be >= 0, got {candle.volume}")


def parse_rest_kline(row: Any, interval: str) -> Candle:
    """One ``/fapi/v1/klines`` row (or ccxt's ``[ts, o, h, l, c, v]``)."""
    where = "kline row"
    if not isinstance(row, (list, tuple)) or len(row) < 6:
        raise PayloadError(f"{where}: expected at least 6 columns, got {row!r}")
    try:
        open_time = int(row[0])
        o, h, low, c, v = (float(x) for x in row[1:6])
    except (TypeError, ValueError, OverflowError):
        raise PayloadError(f"{where}: non-numeric value in {row!r}") from None
    if not all(math.isfinite(x) for x in (o, h, low, c, v)):
        raise PayloadError(f"{where}: non-finite value in {row!r}")
    candle = Candle(open_time=open_time, close_time=open_time + INTERVAL_MS[interval], open=o, high=h, low=low,
                    close=c, volume=v)
    check_candle(candle, where)
    return candle


# ------------------------------------------------------------------- user data stream
def parse_user_event(payload: Mapping[str, Any]) -> OrderUpdate | AlgoUpdate | AccountUpdate | None:
    """ORDER_TRADE_UPDATE, ALGO_UPDATE, ACCOUNT_UPDATE → messages; other events, and events about
    markets the bot does not trade, → None."""
    event = text(payload, "e", "user event")
    try:
        if event == "ORDER_TRADE_UPDATE":
            return parse_order_trade_update(payload)
        if event == "ALGO_UPDATE":
            return parse_algo_update(payload)
        if event == "ACCOUNT_UPDATE":
            return parse_account_update(payload)
    except ForeignSymbolError:
        return None
    return None


def parse_order_trade_update(payload: Mapping[str, Any]) -> OrderUpdate:
    where = "ORDER_TRADE_UPDATE"
    o = _object(payload, "o", where)
    ts = integer(payload, "E", where)
    return OrderUpdate(
        ts_event=integer(o, "T", where, default=integer(payload, "T", where, default=ts)), ts_init=ts,
        symbol=symbol_of(o, "s", where), order_id=text(o, "i", where), client_order_id=text(o, "c", where, ""),
        side=side_of(o, "S", where), order_type=text(o, "o", where), original_type=text(o, "ot", where, ""),
        execution_type=text(o, "x", where), status=text(o, "X", where), quantity=num(o, "q", where),
        price=num(o, "p", where, 0.0), stop_price=num(o, "sp", where, 0.0),
        filled_quantity=num(o, "z", where), average_price=num(o, "ap", where, 0.0),
        last_filled_quantity=num(o, "l", where, 0.0), last_filled_price=num(o, "L", where, 0.0),
        commission=num(o, "n", where, 0.0), commission_asset=text(o, "N", where, ""),
        realized_pnl=num(o, "rp", where, 0.0), trade_id=_trade_id(o, where), maker=flag(o, "m"),
        reduce_only=flag(o, "R"), close_position=flag(o, "cp"))


def _trade_id(o: Mapping[str, Any], where: str) -> str:
    """Binance sends ``t: 0`` on events that are not executions."""
    value = text(o, "t", where, "0")
    return "" if value == "0" else value


def parse_algo_update(payload: Mapping[str, Any]) -> AlgoUpdate:
    where = "ALGO_UPDATE"
    o = _object(payload, "o", where)
    ts = integer(payload, "E", where)
    return AlgoUpdate(
        ts_event=integer(payload, "T", where, default=ts), ts_init=ts, symbol=symbol_of(o, "s", where),
        algo_id=text(o, "aid", where), client_algo_id=text(o, "caid", where, ""), side=side_of(o, "S", where),
        order_type=text(o, "o", where), status=text(o, "X", where), quantity=num(o, "q", where, 0.0),
        trigger_price=num(o, "tp", where, 0.0), close_position=flag(o, "cp"), reduce_only=flag(o, "R"),
        child_order_id=text(o, "ai", where, ""), reject_reason=text(o, "rm", where, ""))


def parse_account_update(payload: Mapping[str, Any]) -> AccountUpdate:
    where = "ACCOUNT_UPDATE"
    a = _object(payload, "a", where)
    ts = integer(payload, "E", where)
    balances = tuple(
        BalanceChange(asset=text(b, "a", where), wallet_balance=num(b, "wb", where),
                      cross_wallet_balance=num(b, "cw", where, 0.0), balance_change=num(b, "bc", where, 0.0))
        for b in _items(a, "B", where))
    positions = []
    for p in _items(a, "P", where):
        if text(p, "ps", where, "BOTH") != "BOTH":
            continue  # hedge-mode legs: the bot runs one-way mode only
        try:
            symbol = symbol_of(p, "s", where)
        except ForeignSymbolError:
            continue
        positions.append(PositionChange(symbol=symbol, amount=num(p, "pa", where), entry_price=num(p, "ep", where),
                                        unrealized_pnl=num(p, "up", where, 0.0), margin_type=text(p, "mt", where, "")))
    return AccountUpdate(ts_event=integer(payload, "T", where, default=ts), ts_init=ts, reason=text(a, "m", where),
                         balances=balances, positions=tuple(positions))


# ------------------------------------------------------------------- REST bodies
def parse_order(raw: Mapping[str, Any]) -> OrderSnapshot:
    """A ``/fapi/v1/order`` body."""
    where = "order"
    return OrderSnapshot(
        symbol=symbol_of(raw, "symbol", where), order_id=text(raw, "orderId", where),
        client_order_id=text(raw, "clientOrderId", where, ""), is_algo=False, side=side_of(raw, "side", where),
        order_type=text(raw, "type", where), status=text(raw, "status", where), quantity=num(raw, "origQty", where),
        filled_quantity=num(raw, "executedQty", where, 0.0), average_price=num(raw, "avgPrice", where, 0.0),
        price=num(raw, "price", where, 0.0), trigger_price=num(raw, "stopPrice", where, 0.0),
        reduce_only=flag(raw, "reduceOnly"), close_position=flag(raw, "closePosition"),
        update_time=integer(raw, "updateTime", where, default=0))


def parse_algo_order(raw: Mapping[str, Any]) -> OrderSnapshot:
    """A ``/fapi/v1/algoOrder`` body."""
    where = "algo order"
    return OrderSnapshot(
        symbol=symbol_of(raw, "symbol", where), order_id=text(raw, "algoId", where),
        client_order_id=text(raw, "clientAlgoId", where, ""), is_algo=True, side=side_of(raw, "side", where),
        order_type=text(raw, "orderType", where, text(raw, "type", where, "")),
        status=text(raw, "algoStatus", where), quantity=num(raw, "quantity", where, 0.0),
        filled_quantity=num(raw, "executedQty", where, 0.0), average_price=num(raw, "avgPrice", where, 0.0),
        price=num(raw, "price", where, 0.0), trigger_price=num(raw, "triggerPrice", where, 0.0),
        reduce_only=flag(raw, "reduceOnly"), close_position=flag(raw, "closePosition"),
        update_time=integer(raw, "updateTime", where, default=0),
        child_order_id=text(raw, "actualOrderId", where, ""))


def parse_position(raw: Mapping[str, Any]) -> PositionSnapshot:
    """A ``/fapi/v3/positionRisk`` entry (``positionAmt`` signed in one-way mode)."""
    where = "position"
    return PositionSnapshot(
        symbol=symbol_of(raw, "symbol", where), amount=num(raw, "positionAmt", where),
        entry_price=num(raw, "entryPrice", where, 0.0), mark_price=num(raw, "markPrice", where, 0.0),
        unrealized_pnl=num(raw, "unRealizedProfit", where, 0.0),
        leverage=int(num(raw, "leverage", where, 0.0)), margin_type=text(raw, "marginType", where, ""),
        update_time=integer(raw, "updateTime", where, default=0))


def parse_balance(account: Mapping[str, Any], asset: str = "USDC") -> BalanceSnapshot | None:
    """The ``asset`` entry of ``/fapi/v3/account`` (or ``/fapi/v2/account``)."""
    where = "account"
    if not isinstance(account, Mapping):
        raise PayloadError(f"{where}: expected an object, got {type(account).__name__}")
    for entry in _items(account, "assets", where):
        if entry.get("asset") != asset:
            continue
        wallet = num(entry, "walletBalance", where)
        unrealized = num(entry, "unrealizedProfit", where, 0.0)
        return BalanceSnapshot(asset=asset, wallet_balance=wallet,
                               available_balance=num(entry, "availableBalance", where, wallet),
                               margin_used=num(entry, "initialMargin", where, 0.0), unrealized_pnl=unrealized,
                               equity=num(entry, "marginBalance", where, wallet + unrealized))
    return None


def parse_user_trade(raw: Mapping[str, Any]) -> TradeFill:
    """A ``/fapi/v1/userTrades`` entry."""
    where = "user trade"
    return TradeFill(
        symbol=symbol_of(raw, "symbol", where), trade_id=text(raw, "id", where), order_id=text(raw, "orderId", where),
        side=side_of(raw, "side", where), price=num(raw, "price", where), quantity=num(raw, "qty", where),
        commission=num(raw, "commission", where, 0.0), commission_asset=text(raw, "commissionAsset", where, ""),
        realized_pnl=num(raw, "realizedPnl", where, 0.0), maker=flag(raw, "maker"), ts=integer(raw, "time", where))
