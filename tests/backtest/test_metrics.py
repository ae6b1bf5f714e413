"""The report's figures follow their documented definitions (hand-made ledgers)."""

from __future__ import annotations

import pytest

from backtest.ledger import Ledger, TradeRecord
from backtest.metrics import drawdowns, exposure_ms, summarize
from backtest.runner import BacktestConfig, BacktestResult
from tests.backtest.support import settings

H = 3_600_000
D = 86_400_000
T0 = 1_746_403_200_000  # a UTC midnight


def _trade(entry: int, exit_: int, pnl: float, symbol: str = "SOL/USDC:USDC", reason: str = "timeout",
           fees: float = 0.1) -> TradeRecord:
    return TradeRecord(symbol=symbol, side="long", entry_time=entry, entry_price=100.0, exit_time=exit_,
                       exit_price=100.0 + pnl, quantity=1.0, fees=fees, funding=0.0, gross_pnl=pnl + fees, pnl=pnl,
                       exit_reason=reason, leverage=5, correlation_id=f"SOL-{entry}")


def _result(trades: list[TradeRecord], equity: list[tuple[int, float]], days: int = 2) -> BacktestResult:
    ledger = Ledger(trades=trades, equity=equity)
    return BacktestResult(settings=settings(), config=BacktestConfig(), start_ms=T0, end_ms=T0 + days * D,
                          symbols=("SOL/USDC:USDC",), candles=2880, start_balance=400.0,
                          end_balance=equity[-1][1], ledger=ledger, minutes_processed=10, wall_seconds=1.0)


def test_drawdown_from_peak_and_daily_drawdown_from_the_days_start() -> None:
    equity = [(T0, 400.0), (T0 + H, 420.0), (T0 + 2 * H, 399.0), (T0 + D, 410.0), (T0 + D + H, 389.5),
              (T0 + 2 * D, 400.0)]
    worst, days = drawdowns(equity, 400.0)
    assert worst == pytest.approx((420 - 389.5) / 420 * 100)
    first, second = days
    assert first["day"] == "2025-05-05" and first["drawdown_pct"] == pytest.approx(0.25)  # 400 → 399
    assert second["start_equity"] == 410.0 and second["drawdown_pct"] == pytest.approx((410 - 389.5) / 410 * 100,
                                                                                       abs=1e-4)
    assert second["end_equity"] == 400.0  # the value at midnight closes the day before it


def test_exposure_counts_overlapping_positions_once() -> None:
    trades = [_trade(T0, T0 + 10 * 60_000, 1.0), _trade(T0 + 5 * 60_000, T0 + 20 * 60_000, 1.0),
              _trade(T0 + H, T0 + H + 60_000, 1.0)]
    assert exposure_ms(trades, T0, T0 + D) == 21 * 60_000


def test_summary_figures_and_targets() -> None:
    trades = [_trade(T0 + k * H, T0 + k * H + 30 * 60_000, pnl, reason=reason)
              for k, (pnl, reason) in enumerate([(3.0, "take_profit_3"), (-1.0, "stop_loss"), (2.0, "timeout"),
                                                  (0.0, "timeout")])]
    equity = [(T0, 400.0), (T0 + 4 * H, 404.0), (T0 + 2 * D, 404.0)]
    report = summarize(_result(trades, equity))
    assert (report["trades"], report["wins"], report["losses"]) == (4, 2, 1)
    assert report["win_rate"] == 50.0 and report["net_pnl"] == 4.0 and report["fees"] == pytest.approx(0.4)
    assert report["gross_pnl"] == pytest.approx(4.4) and report["return_pct"] == 1.0
    assert report["profit_factor"] == 5.0 and report["avg_hold_minutes"] == 30.0
    assert report["usd_per_hour"] == pytest.approx(4.0 / 48, abs=1e-6) and report["trades_per_day"] == 2.0
    assert report["exposure_pct"] == pytest.approx(120 / (48 * 60) * 100, abs=1e-4)
    assert report["per_exit_reason"]["timeout"]["trades"] == 2
    targets = report["targets"]
    assert targets["start_capital_usdc"]["met"] and not targets["win_rate_pct"]["met"]
    assert targets["win_rate_pct"]["gap"] == -5.0 and targets["max_daily_drawdown_pct"]["met"]
    assert not targets["usd_per_hour"]["met"] and targets["usd_per_hour"]["target_max"] == 2.0
    for key in ("trades", "wins", "losses", "win_rate", "net_pnl", "gross_pnl", "fees", "funding", "return_pct",
                "max_drawdown_pct", "max_daily_drawdown_pct", "usd_per_hour", "profit_factor", "avg_hold_minutes",
                "exposure_pct", "trades_per_day", "candles"):
        assert isinstance(report[key], (int, float)) and not isinstance(report[key], bool), key


def test_no_losing_trade_gives_no_profit_factor_and_no_trades_gives_zeros() -> None:
    assert summarize(_result([_trade(T0, T0 + H, 1.0)], [(T0, 400.0), (T0 + H, 401.0)]))["profit_factor"] is None
    empty = summarize(_result([], [(T0, 400.0)]))
    assert empty["trades"] == 0 and empty["win_rate"] == 0.0 and not empty["targets"]["win_rate_pct"]["met"]
