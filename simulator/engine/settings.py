"""Account settings (leverage, margin type, position mode, Multi-Assets mode) and whole-state views."""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulator import errors
from simulator.engine.models import AlgoOrder, Order, Trade
from simulator.engine.numbers import parse_bool, to_units, units_str
from simulator.engine.state import SymbolState
from simulator.errors import BinanceError


class SettingsMixin:
    """Per-symbol and account-wide settings. State lives in :class:`simulator.engine.Engine`."""

    symbols: dict[str, SymbolState]
    orders: dict[int, Order]
    algos: dict[int, AlgoOrder]
    trades: list[Trade]
    funding: list[tuple[int, str, float, int]]
    liquidations: list[dict[str, object]]
    wallet_units: int
    start_units: int
    multi_assets: bool
    _now: int
    _ids: dict[str, int]
    _settings_epoch: int

    if TYPE_CHECKING:

        def symbol_state(self, symbol: object) -> SymbolState: ...
        def _available(self) -> float: ...
        def _liquidation_level(self, sym: SymbolState, ratio: float = 1.0) -> float | None: ...
        def new_order(self, params: dict[str, object]) -> dict[str, object]: ...
        def open_orders(self, symbol: object = None) -> list[dict[str, object]]: ...
        def open_algo_orders(self, symbol: object = None) -> list[dict[str, object]]: ...

    def set_leverage(self, symbol: object, leverage: object) -> dict[str, object]:
        sym = self.symbol_state(symbol)
        if leverage in (None, ""):
            raise errors.mandatory("leverage")
        try:
            value = int(str(leverage))
        except ValueError:
            raise errors.mandatory("leverage") from None
        if not 1 <= value <= sym.spec.max_leverage:
            raise BinanceError(-4028, f"Leverage {value} is not valid")
        cap = sym.spec.max_notional_for_leverage(value)
        mark = sym.price(self._now) or 0.0
        if sym.notional(mark) > float(cap):
            raise BinanceError(-2027, "Exceeded the maximum allowable position at current leverage.")
        if sym.isolated and sym.position.amount and value < sym.leverage:
            raise BinanceError(-4161, "Leverage reduction is not supported in Isolated Margin Mode with open positions")
        sym.leverage = value
        sym.config_touched = True
        self._settings_epoch += 1
        sym.bump()
        return {"leverage": value, "maxNotionalValue": str(cap), "symbol": sym.symbol}

    def set_margin_type(self, symbol: object, margin_type: object) -> dict[str, object]:
        sym = self.symbol_state(symbol)
        if margin_type in (None, ""):
            raise errors.mandatory("marginType")
        value = str(margin_type).upper()
        if value not in ("ISOLATED", "CROSSED"):
            raise errors.invalid_param("marginType")
        if (value == "ISOLATED") == sym.isolated:
            raise BinanceError(-4046, "No need to change margin type.")
        if sym.orders or sym.algos:
            raise BinanceError(-4047, "Margin type cannot be changed if there exists open orders.")
        if sym.position.amount:
            raise BinanceError(-4048, "Margin type cannot be changed if there exists position.")
        if value == "ISOLATED" and self.multi_assets:
            raise BinanceError(-4168, "Unable to adjust to isolated-margin mode under the Multi-Assets mode.")
        sym.isolated = value == "ISOLATED"
        sym.config_touched = True
        self._settings_epoch += 1
        return {"code": 200, "msg": "success"}

    def position_mode(self) -> dict[str, object]:
        return {"dualSidePosition": False}

    def set_position_mode(self, dual: object) -> dict[str, object]:
        if dual in (None, ""):
            raise errors.mandatory("dualSidePosition")
        if not parse_bool("dualSidePosition", dual):
            raise BinanceError(-4059, "No need to change position side.")
        if any(s.orders or s.algos for s in self.symbols.values()):
            raise BinanceError(-4067, "Position side cannot be changed if there exists open orders.")
        if any(s.position.amount for s in self.symbols.values()):
            raise BinanceError(-4068, "Position side cannot be changed if there exists position.")
        raise BinanceError(-1000, "Hedge mode is not supported by the simulator (one-way mode only).")

    def multi_assets_mode(self) -> dict[str, object]:
        return {"multiAssetsMargin": self.multi_assets}

    def set_multi_assets_mode(self, flag: object) -> dict[str, object]:
        if flag in (None, ""):
            raise errors.mandatory("multiAssetsMargin")
        value = parse_bool("multiAssetsMargin", flag)
        if value == self.multi_assets:
            raise BinanceError(
                -4171, "Adjusted asset mode is currently set and does not need to be adjusted repeatedly."
            )
        if value and any(s.isolated for s in self.symbols.values()):
            raise BinanceError(
                -4167,
                "Unable to adjust to Multi-Assets mode with symbols of USDⓈ-M Futures under isolated-margin mode.",
            )
        self.multi_assets = value
        return {"code": 200, "msg": "success"}

    def external_order(self, symbol: str, side: str, quantity: str) -> dict[str, object]:
        """A MARKET order "placed by someone else" on this account (the app, a human): for adoption tests."""
        return self.new_order(
            {
                "symbol": symbol,
                "side": side,
                "type": "MARKET",
                "quantity": quantity,
                "newClientOrderId": f"web_{self._ids['order']}",
                "newOrderRespType": "RESULT",
            }
        )

    def state(self) -> dict[str, object]:
        """Everything at once, for the control API and tests: balances, positions, orders, fills."""
        positions = {}
        for sym in self.symbols.values():
            if sym.position.amount or sym.config_touched:
                pos = sym.position
                mark = sym.price(self._now)
                positions[sym.symbol] = {
                    "amount": f"{pos.amount:.{sym.spec.quantity_precision}f}",
                    "entry": str(pos.entry),
                    "leverage": sym.leverage,
                    "margin_type": "ISOLATED" if sym.isolated else "CROSSED",
                    "mark": mark,
                    "unrealized": units_str(to_units(sym.unrealized(mark or 0.0))),
                    "isolated_wallet": units_str(pos.isolated_units),
                    "realized": units_str(pos.realized_units),
                    "liquidation_price": self._liquidation_level(sym) if pos.amount else None,
                }
        fees = sum(t.commission_units for t in self.trades)
        realized = sum(t.realized_units for t in self.trades)
        funding = sum(f[3] for f in self.funding)
        return {
            "now_ms": self._now,
            "wallet_balance": units_str(self.wallet_units),
            "start_balance": units_str(self.start_units),
            "realized_pnl": units_str(realized),
            "fees": units_str(fees),
            "funding": units_str(funding),
            "available_balance": f"{self._available():.8f}",
            "multi_assets": self.multi_assets,
            "positions": positions,
            "open_orders": self.open_orders(),
            "open_algo_orders": self.open_algo_orders(),
            "orders": [o.to_rest() for o in self.orders.values()],
            "algo_orders": [a.to_rest() for a in self.algos.values()],
            "fills": [t.to_rest() for t in self.trades],
            "funding_events": [
                {"time": t, "symbol": s, "rate": r, "amount": units_str(u)} for t, s, r, u in self.funding
            ],
            "liquidations": list(self.liquidations),
        }
