"""LeverageManager: base × volatility × performance within the profile's bounds and the exchange's
brackets, used the same way by the RiskCore live and in the backtest."""

from __future__ import annotations

import pytest

from backtest.runner import Backtest, BacktestConfig
from config.sections import OrderSettings, RiskSettings
from core.clock import ManualClock
from core.leverage import LeverageManager
from core.risk_guard import RiskCore
from exchange.catalog import MarketCatalog
from messages.signals import SignalBreakdown, SignalGenerated, StrategyDecision
from tests.backtest.support import BUSY, DAY_MS, MINUTE_MS, real_data, settings


def test_volatility_scales_leverage_inversely_within_bounds() -> None:
    manager = LeverageManager(base=5, min_leverage=2, max_leverage=10, reference_atr_pct=0.15)
    assert manager.choose(0.15) == 5
    assert manager.choose(0.075) == 10  # calm: twice the base
    assert manager.choose(0.01) == 10  # factor capped at 2
    assert manager.choose(0.3) == 2  # wild: half the base... 2.5 rounds to 2
    assert manager.choose(3.0) == 2  # factor floored at 0.5, then the profile's minimum
    assert manager.choose(0.0) == 5  # unknown volatility: the base


def test_recent_win_rate_raises_or_halves_leverage_after_enough_trades() -> None:
    manager = LeverageManager(base=6, min_leverage=1, max_leverage=20, window=10, min_trades=10)
    for _ in range(9):
        manager.record_trade(True)
    assert manager.choose(0.15) == 6  # too few trades to judge
    manager.record_trade(True)
    assert manager.choose(0.15) == 8  # 100 % winners: × 1.25 (7.5 → 8)
    for _ in range(10):
        manager.record_trade(False)
    assert manager.choose(0.15) == 3  # 0 % in the window: × 0.5


@pytest.mark.parametrize(("bracket", "expected"), [(None, 10), (50, 10), (7, 7), (3, 3), (0, 1)])
def test_the_exchange_bracket_caps_leverage_even_below_the_profile_minimum(bracket: int | None,
                                                                            expected: int) -> None:
    manager = LeverageManager(base=5, min_leverage=4, max_leverage=10)
    assert manager.choose(0.05, bracket) == expected


def _signal(symbol: str, close_time: int) -> SignalGenerated:
    decision = StrategyDecision(direction="LONG", candle_open_time=close_time - MINUTE_MS, close=100.0, atr=0.05,
                                stop_price=98.0, take_profit_prices=(100.4, 100.8, 101.2),
                                breakdown=SignalBreakdown(components=(), trigger="ema_cross", confirmations=("trend",),
                                                          atr_pct=0.05, atr_gate_passed=True, reason="test"))
    return SignalGenerated(ts_event=close_time, ts_init=close_time, correlation_id=f"X-{close_time}", symbol=symbol,
                           timeframe="1m", candle_close_time=close_time, decision=decision)


def test_risk_core_asks_the_bracket_cap_per_symbol() -> None:
    close_time = 1_746_403_260_000
    caps = {"SOL/USDC:USDC": 3, "ETH/USDC:USDC": None}
    core = RiskCore(risk=RiskSettings(), orders=OrderSettings(), clock=ManualClock(close_time),
                    leverage=LeverageManager(5, 1, 10), starting_balance=400.0, max_leverage_for=caps.get)
    core.reconciled = True
    for symbol in caps:
        core.handle(_signal(symbol, close_time))
    approved = {o.symbol: o.leverage for o in core.flush()}
    assert approved == {"ETH/USDC:USDC": 10, "SOL/USDC:USDC": 3}  # calm market: base × 2, then the caps


def test_market_catalog_max_leverage_is_the_first_brackets() -> None:
    from decimal import Decimal

    from core.orders.planning import Bracket

    tiers = (Bracket(Decimal(5000), 50), Bracket(Decimal(90000), 20))
    catalog = MarketCatalog(rules={}, brackets={"A/USDC:USDC": tiers})
    assert catalog.max_leverage("A/USDC:USDC") == 50 and catalog.max_leverage("B/USDC:USDC") is None


def test_the_backtest_caps_leverage_by_the_engines_brackets() -> None:
    data = real_data(("ENAUSDC", "SOLUSDC"))  # ENA's brackets stop at 50x, SOL's at 100x
    overrides = {**BUSY, "exchange": {"leverage": 75, "min_leverage": 75, "max_leverage": 125}}
    start = min(s.first_ms for s in data.series.values()) + 1000 * MINUTE_MS
    result = Backtest(data.series, settings("balanced", overrides), BacktestConfig(start_ms=start,
                                                                                    end_ms=start + DAY_MS)).run()
    by_symbol: dict[str, set[int]] = {}
    for decision in result.ledger.decisions:
        if decision.outcome == "approved":
            by_symbol.setdefault(decision.symbol, set()).add(decision.leverage)
    assert by_symbol["ENA/USDC:USDC"] == {50} and by_symbol["SOL/USDC:USDC"] <= set(range(75, 101))
    assert max(by_symbol["SOL/USDC:USDC"]) == 100
    traded = {t.symbol: t.leverage for t in result.ledger.trades}
    assert traded["ENA/USDC:USDC"] == 50  # the engine accepted it: the position really runs at 50x
