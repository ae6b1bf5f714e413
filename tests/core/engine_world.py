"""A tiny market for order-lifecycle tests: hand-made 1m candles in the simulator's real engine,
the real OrderCore, the live parsers, no threads and no sockets."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import numpy as np

from backtest.driver import OrderDriver
from backtest.engine_gateway import EngineGateway
from config.sections import OrderSettings, RiskSettings
from core.orders.core import OrderCore
from messages.orders import PositionClosed
from messages.risk import EntryApproved
from simulator.candles import CandleSeries
from simulator.engine.core import Engine
from simulator.engine.events import EngineConfig
from simulator.markets import MARKETS

M = 60_000
T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC
SYMBOL = "SOL/USDC:USDC"


class EngineClock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def now_ms(self) -> int:
        return self.engine.now_ms


def candles_from_path(points: Sequence[float], spread: float = 0.0) -> np.ndarray:
    """One candle per step between consecutive points: open = previous point, close = next point."""
    rows = []
    for a, b in itertools.pairwise(points):
        rows.append((a, max(a, b) + spread, min(a, b) - spread, b))
    return np.array(rows, dtype=np.float64)


class World:
    """The engine with one symbol, an OrderCore on it, and a driver that pumps them."""

    def __init__(self, rows: np.ndarray, symbol: str = "SOLUSDC", orders: OrderSettings | None = None,
                 risk: RiskSettings | None = None, start_index: int = 1, balance: str = "400") -> None:
        spec = MARKETS[symbol]
        n = len(rows)
        t = T0 + np.arange(n, dtype=np.int64) * M
        series = CandleSeries(spec=spec, t=t, o=rows[:, 0].copy(), h=rows[:, 1].copy(), low=rows[:, 2].copy(),
                              c=rows[:, 3].copy(), v=np.full(n, 1000.0))
        self.engine = Engine({symbol: series}, EngineConfig(balance=balance), start_ms=T0 + start_index * M)
        self.gateway = EngineGateway(self.engine)
        self.rules = self.gateway.load_markets()
        self.symbol = next(iter(self.rules))
        self._counter = itertools.count(1)
        self._orders, self._risk = orders or OrderSettings(), risk or RiskSettings()
        self.restart()
        self.approvals = 0

    def restart(self) -> None:
        """A fresh OrderCore on the same exchange: what a crash and restart leaves (the sequence
        survives, as it does in the database)."""
        self.core = OrderCore(bot_id="ufb", orders=self._orders, risk=self._risk, clock=EngineClock(self.engine),
                              rules=self.rules.__getitem__, brackets=self.gateway.brackets,
                              next_sequence=lambda: next(self._counter))
        self.driver = OrderDriver(self.core, self.gateway, self.engine)

    @property
    def now(self) -> int:
        return self.engine.now_ms

    def enter(self, side: str, reference: float, stop_pct: float = 2.0, tps: Sequence[float] = (0.4, 0.8, 1.2),
              leverage: int = 5, risk_amount: float = 4.0) -> list[object]:
        self.approvals += 1
        sign = 1 if side == "long" else -1
        approved = EntryApproved(
            ts_event=self.now, ts_init=self.now, correlation_id=f"SOL-{self.approvals}", symbol=self.symbol,
            side=side, reference_price=reference, stop_price=reference * (1 - sign * stop_pct / 100),
            take_profit_prices=tuple(reference * (1 + sign * p / 100) for p in tps), leverage=leverage,
            risk_amount=risk_amount, sizing_balance=400.0, available_balance=400.0)
        return self.driver.send(approved)

    def minutes(self, count: int) -> list[object]:
        outputs: list[object] = []
        for _ in range(count):
            outputs += self.driver.advance_to(self.now + M)
        return outputs

    def open_orders(self) -> list[dict]:
        return self.engine.open_orders() + self.engine.open_algo_orders()

    def position_amount(self) -> float:
        return sum(float(p["positionAmt"]) for p in self.engine.position_risk_v3())

    def closed(self) -> list[PositionClosed]:
        return [o for o in self.driver.outputs if isinstance(o, PositionClosed)]
