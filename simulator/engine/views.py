"""Account, balance, position and trade queries in Binance's JSON shapes (REST ``/fapi/v2``, ``/v3``)."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TYPE_CHECKING

from simulator import errors
from simulator.engine.models import Trade
from simulator.engine.numbers import UNIT, fixed, to_units, trimmed, units_str
from simulator.engine.state import SymbolState
from simulator.errors import BinanceError

_ZERO8 = "0.00000000"
_KIND_DIGIT = {"REALIZED_PNL": 1, "COMMISSION": 2, "FUNDING_FEE": 3}


def _u(value: float) -> str:
    return units_str(to_units(value))


class ViewsMixin:
    """Read-only views of the account. State lives in :class:`simulator.engine.Engine`."""

    symbols: dict[str, SymbolState]
    trades: list[Trade]
    funding: list[tuple[int, str, float, int]]
    wallet_units: int
    start_units: int
    balance_update_ms: int
    multi_assets: bool
    _now: int
    _taker: Decimal
    _maker: Decimal

    if TYPE_CHECKING:

        def symbol_state(self, symbol: object) -> SymbolState: ...
        def cross_wallet_units(self) -> int: ...
        def _available(self) -> float: ...
        def _liquidation_level(self, sym: SymbolState, ratio: float = 1.0) -> float | None: ...

    def _totals(self) -> dict[str, float]:
        upnl = cross_upnl = pos_im = order_im = maint = 0.0
        for sym in self.symbols.values():
            if not sym.is_active():
                continue
            mark = sym.price(self._now) or 0.0
            up = sym.unrealized(mark)
            upnl += up
            if not sym.isolated:
                cross_upnl += up
            pos_im += sym.position_initial_margin(mark)
            order_im += sym.open_order_margin(mark)
            maint += sym.maint_margin(mark)
        available = max(0.0, self._available())
        wallet = self.wallet_units / UNIT
        return {
            "wallet": wallet,
            "upnl": upnl,
            "cross_upnl": cross_upnl,
            "pos_im": pos_im,
            "order_im": order_im,
            "maint": maint,
            "available": available,
            "cross_wallet": self.cross_wallet_units() / UNIT,
            "margin_balance": wallet + upnl,
        }

    def _asset_rows(self, v2: bool) -> list[dict[str, object]]:
        t = self._totals()
        usdc: dict[str, object] = {
            "asset": "USDC",
            "walletBalance": _u(t["wallet"]),
            "unrealizedProfit": _u(t["upnl"]),
            "marginBalance": _u(t["margin_balance"]),
            "maintMargin": _u(t["maint"]),
            "initialMargin": _u(t["pos_im"] + t["order_im"]),
            "positionInitialMargin": _u(t["pos_im"]),
            "openOrderInitialMargin": _u(t["order_im"]),
            "crossWalletBalance": _u(t["cross_wallet"]),
            "crossUnPnl": _u(t["cross_upnl"]),
            "availableBalance": _u(t["available"]),
            "maxWithdrawAmount": _u(min(t["available"], t["cross_wallet"])),
            "updateTime": self.balance_update_ms,
        }
        usdt = {key: (_ZERO8 if isinstance(value, str) else value) for key, value in usdc.items()}
        usdt.update(asset="USDT", updateTime=0)
        if v2:
            usdc["marginAvailable"] = True
            usdt["marginAvailable"] = True
        return [usdt, usdc]

    def _account_totals(self) -> dict[str, object]:
        """Binance fills the ``total*`` fields "only for USDT asset" in single-asset mode, so a USDC-only
        account shows zeros there unless Multi-Assets mode is on (README "Account")."""
        t = self._totals()
        values = t if self.multi_assets else dict.fromkeys(t, 0.0)
        return {
            "totalInitialMargin": _u(values["pos_im"] + values["order_im"]),
            "totalMaintMargin": _u(values["maint"]),
            "totalWalletBalance": _u(values["wallet"]),
            "totalUnrealizedProfit": _u(values["upnl"]),
            "totalMarginBalance": _u(values["margin_balance"]),
            "totalPositionInitialMargin": _u(values["pos_im"]),
            "totalOpenOrderInitialMargin": _u(values["order_im"]),
            "totalCrossWalletBalance": _u(values["cross_wallet"]),
            "totalCrossUnPnl": _u(values["cross_upnl"]),
            "availableBalance": _u(values["available"]),
            "maxWithdrawAmount": _u(min(values["available"], values["cross_wallet"])),
        }

    def account_v3(self) -> dict[str, object]:
        positions = []
        for sym in self.symbols.values():
            pos = sym.position
            if not pos.amount:
                continue
            mark = sym.price(self._now) or 0.0
            positions.append(
                {
                    "symbol": sym.symbol,
                    "positionSide": "BOTH",
                    "positionAmt": self._qty(sym, pos.amount),
                    "unrealizedProfit": _u(sym.unrealized(mark)),
                    "isolatedMargin": self._isolated_margin(sym, mark),
                    "notional": _u(pos.amount_f * mark),
                    "isolatedWallet": units_str(pos.isolated_units),
                    "initialMargin": _u(sym.position_initial_margin(mark) + sym.open_order_margin(mark)),
                    "maintMargin": _u(sym.maint_margin(mark)),
                    "updateTime": pos.update_ms,
                }
            )
        return {**self._account_totals(), "assets": self._asset_rows(False), "positions": positions}

    def account_v2(self) -> dict[str, object]:
        positions = []
        for sym in self.symbols.values():
            pos = sym.position
            mark = sym.price(self._now) or 0.0
            positions.append(
                {
                    "symbol": sym.symbol,
                    "initialMargin": _u(sym.position_initial_margin(mark) + sym.open_order_margin(mark)),
                    "maintMargin": _u(sym.maint_margin(mark)),
                    "unrealizedProfit": _u(sym.unrealized(mark)),
                    "positionInitialMargin": _u(sym.position_initial_margin(mark)),
                    "openOrderInitialMargin": _u(sym.open_order_margin(mark)),
                    "leverage": str(sym.leverage),
                    "isolated": sym.isolated,
                    "entryPrice": trimmed(float(pos.entry), 1),
                    "breakEvenPrice": self._breakeven(sym),
                    "maxNotional": str(sym.spec.max_notional_for_leverage(sym.leverage)),
                    "bidNotional": "0",
                    "askNotional": "0",
                    "positionSide": "BOTH",
                    "positionAmt": self._qty(sym, pos.amount),
                    "updateTime": pos.update_ms,
                }
            )
        return {
            "feeTier": 0,
            "canTrade": True,
            "canDeposit": True,
            "canWithdraw": True,
            "updateTime": 0,
            "multiAssetsMargin": self.multi_assets,
            "tradeGroupId": -1,
            **self._account_totals(),
            "assets": self._asset_rows(True),
            "positions": positions,
        }

    def balances(self) -> list[dict[str, object]]:
        """``GET /fapi/v2/balance`` and ``/fapi/v3/balance``."""
        rows = []
        for row in self._asset_rows(True):
            rows.append(
                {
                    "accountAlias": "SgsR",
                    "asset": row["asset"],
                    "balance": row["walletBalance"],
                    "crossWalletBalance": row["crossWalletBalance"],
                    "crossUnPnl": row["crossUnPnl"],
                    "availableBalance": row["availableBalance"],
                    "maxWithdrawAmount": row["maxWithdrawAmount"],
                    "marginAvailable": True,
                    "updateTime": row["updateTime"],
                }
            )
        return rows

    def position_risk_v3(self, symbol: object = None) -> list[dict[str, object]]:
        """Symbols with a position or open orders (v3 lists nothing else)."""
        out = []
        for sym in self._selected(symbol):
            if not (sym.position.amount or sym.orders):
                continue
            pos = sym.position
            mark = sym.price(self._now) or 0.0
            out.append(
                {
                    "symbol": sym.symbol,
                    "positionSide": "BOTH",
                    "positionAmt": self._qty(sym, pos.amount),
                    "entryPrice": trimmed(float(pos.entry), 1),
                    "breakEvenPrice": self._breakeven(sym),
                    "markPrice": f"{mark:.8f}",
                    "unRealizedProfit": _u(sym.unrealized(mark)),
                    "liquidationPrice": self._liq_text(sym),
                    "isolatedMargin": self._isolated_margin(sym, mark),
                    "notional": _u(pos.amount_f * mark),
                    "marginAsset": "USDC",
                    "isolatedWallet": units_str(pos.isolated_units),
                    "initialMargin": _u(sym.position_initial_margin(mark) + sym.open_order_margin(mark)),
                    "maintMargin": _u(sym.maint_margin(mark)),
                    "positionInitialMargin": _u(sym.position_initial_margin(mark)),
                    "openOrderInitialMargin": _u(sym.open_order_margin(mark)),
                    "adl": 0,
                    "bidNotional": "0",
                    "askNotional": "0",
                    "updateTime": pos.update_ms,
                }
            )
        return out

    def position_risk_v2(self, symbol: object = None) -> list[dict[str, object]]:
        """Every symbol (one-way mode: one ``BOTH`` entry each)."""
        out = []
        for sym in self._selected(symbol):
            pos = sym.position
            mark = sym.price(self._now) or 0.0
            out.append(
                {
                    "symbol": sym.symbol,
                    "positionAmt": self._qty(sym, pos.amount),
                    "entryPrice": trimmed(float(pos.entry), 1),
                    "breakEvenPrice": self._breakeven(sym),
                    "markPrice": f"{mark:.8f}",
                    "unRealizedProfit": _u(sym.unrealized(mark)),
                    "liquidationPrice": self._liq_text(sym),
                    "leverage": str(sym.leverage),
                    "maxNotionalValue": str(sym.spec.max_notional_for_leverage(sym.leverage)),
                    "marginType": "isolated" if sym.isolated else "cross",
                    "isolatedMargin": self._isolated_margin(sym, mark),
                    "isAutoAddMargin": "false",
                    "positionSide": "BOTH",
                    "notional": _u(pos.amount_f * mark),
                    "isolatedWallet": units_str(pos.isolated_units),
                    "updateTime": pos.update_ms,
                }
            )
        return out

    def symbol_config(self, symbol: object = None) -> list[dict[str, object]]:
        return [
            {
                "symbol": s.symbol,
                "marginType": "ISOLATED" if s.isolated else "CROSSED",
                "isAutoAddMargin": False,
                "leverage": s.leverage,
                "maxNotionalValue": str(s.spec.max_notional_for_leverage(s.leverage)),
            }
            for s in self._selected(symbol)
        ]

    def leverage_brackets(self, symbol: object = None) -> list[dict[str, object]]:
        return [
            {"symbol": s.symbol, "notionalCoef": 1.0, "brackets": [b.to_binance() for b in s.spec.brackets]}
            for s in self._selected(symbol)
        ]

    def commission_rate(self, symbol: object) -> dict[str, object]:
        sym = self.symbol_state(symbol)
        return {
            "symbol": sym.symbol,
            "makerCommissionRate": str(self._maker),
            "takerCommissionRate": str(self._taker),
            "rpiCommissionRate": "0",
        }

    def user_trades(self, params: Mapping[str, object]) -> list[dict[str, object]]:
        """``GET /fapi/v1/userTrades``: symbol required; startTime/endTime (7 days max), fromId, limit."""
        sym = self.symbol_state(params.get("symbol"))
        limit = _opt_int(params, "limit") or 500
        if not 1 <= limit <= 1000:
            raise errors.invalid_param("limit")
        start, end = _opt_int(params, "startTime"), _opt_int(params, "endTime")
        from_id, order_id = _opt_int(params, "fromId"), _opt_int(params, "orderId")
        rows = [t for t in self.trades if t.spec.symbol == sym.symbol]
        if order_id is not None:
            rows = [t for t in rows if t.order_id == order_id]
        if from_id is not None:
            rows = [t for t in rows if t.trade_id >= from_id][:limit]
        elif start is not None or end is not None:
            lo = start if start is not None else (end or 0) - 7 * 86_400_000
            hi = end if end is not None else lo + 7 * 86_400_000
            if hi - lo > 7 * 86_400_000:
                raise BinanceError(-4166, "Search window is restricted to recent 7 days only.")
            rows = [t for t in rows if lo <= t.time_ms <= hi][:limit]
        else:
            rows = rows[-limit:]
        return [t.to_rest() for t in rows]

    def income(self, params: Mapping[str, object]) -> list[dict[str, object]]:
        """``GET /fapi/v1/income``: REALIZED_PNL, COMMISSION and FUNDING_FEE entries."""
        kind = str(params.get("incomeType") or "").upper() or None
        symbol = str(params.get("symbol") or "").upper() or None
        start, end = _opt_int(params, "startTime") or 0, _opt_int(params, "endTime") or self._now
        limit = _opt_int(params, "limit") or 100
        rows: list[tuple[int, int, dict[str, object]]] = []
        for t in self.trades:
            if t.realized_units:
                rows.append(
                    (
                        t.time_ms,
                        t.trade_id * 2,
                        _income(t.spec.symbol, "REALIZED_PNL", t.realized_units, t.time_ms, t.trade_id),
                    )
                )
            rows.append(
                (
                    t.time_ms,
                    t.trade_id * 2 + 1,
                    _income(t.spec.symbol, "COMMISSION", -t.commission_units, t.time_ms, t.trade_id),
                )
            )
        for n, (time_ms, sym, _rate, units) in enumerate(self.funding):
            rows.append((time_ms, n, _income(sym, "FUNDING_FEE", units, time_ms, "")))
        rows.sort(key=lambda r: (r[0], r[1]))
        out = [
            r[2]
            for r in rows
            if start <= r[0] <= end
            and (kind is None or r[2]["incomeType"] == kind)
            and (symbol is None or r[2]["symbol"] == symbol)
        ]
        return out[:limit]

    # --- helpers ----------------------------------------------------------------------------------------

    def _selected(self, symbol: object) -> list[SymbolState]:
        return [self.symbol_state(symbol)] if symbol not in (None, "") else list(self.symbols.values())

    @staticmethod
    def _qty(sym: SymbolState, amount: Decimal) -> str:
        return f"{amount:.{sym.spec.quantity_precision}f}"

    def _breakeven(self, sym: SymbolState) -> str:
        pos = sym.position
        if not pos.amount:
            return "0.0"
        factor = 1 + 2 * self._taker if pos.amount > 0 else 1 - 2 * self._taker
        return trimmed(float(pos.entry * factor), 1)

    def _liq_text(self, sym: SymbolState) -> str:
        if not sym.position.amount:
            return "0"
        level = self._liquidation_level(sym)
        return fixed(level, sym.spec.price_precision) if level is not None else "0"

    def _isolated_margin(self, sym: SymbolState, mark: float) -> str:
        if not sym.isolated or not sym.position.amount:
            return _ZERO8
        return _u(sym.position.isolated_units / UNIT + sym.unrealized(mark))


def _opt_int(params: Mapping[str, object], name: str) -> int | None:
    value = params.get(name)
    if value in (None, ""):
        return None
    try:
        return int(str(value))
    except ValueError:
        raise errors.mandatory(name) from None


def _income(symbol: str, kind: str, units: int, time_ms: int, trade_id: object) -> dict[str, object]:
    return {
        "symbol": symbol,
        "incomeType": kind,
        "income": units_str(units),
        "asset": "USDC",
        "info": kind,
        "time": time_ms,
        "tranId": time_ms * 10 + _KIND_DIGIT[kind],
        "tradeId": str(trade_id),
    }
