"""The backtest loop: its shortcuts change nothing, its windows use nothing beyond their end, its books
balance, and the same inputs give the same outputs."""

from __future__ import annotations

import numpy as np
import pytest

from backtest.metrics import summarize
from backtest.outputs import build_report, trades_csv
from backtest.runner import Backtest, BacktestConfig
from backtest.signals import SignalBook
from tests.backtest.support import BUSY, DAY_MS, MINUTE_MS, copy_series, real_data, settings

SYMBOLS = ("BNBUSDC", "ETHUSDC", "LINKUSDC", "SOLUSDC")


def _window(days: float = 3.0, skip_days: float = 0.0) -> BacktestConfig:
    data = real_data(SYMBOLS)
    start = min(s.first_ms for s in data.series.values()) + 1000 * MINUTE_MS + int(skip_days * DAY_MS)
    return BacktestConfig(start_ms=start, end_ms=start + int(days * DAY_MS))


def test_skipping_quiet_minutes_changes_nothing() -> None:
    data = real_data(SYMBOLS)
    fast = Backtest(data.series, settings("balanced", BUSY), _window())
    slow = Backtest(data.series, settings("balanced", BUSY), _window())
    slow._quiet = lambda _close_time: False  # type: ignore[method-assign]
    a, b = fast.run(), slow.run()
    assert a.extras["t_minus_1_steps"] < b.extras["t_minus_1_steps"]
    assert len(a.ledger.trades) > 50
    for name in ("signals", "decisions", "trades", "entry_failures", "risk_events", "equity"):
        assert getattr(a.ledger, name) == getattr(b.ledger, name), name


def test_quick_signals_carry_exactly_what_the_full_decision_says() -> None:
    data = real_data(("BTCUSDC",))
    params = settings("balanced", BUSY)
    book = SignalBook(data.series, params.strategy, params.orders)
    sig = book.symbols["BTC/USDC:USDC"]
    candidates = np.flatnonzero(sig.directions)
    assert len(candidates) > 1000
    for i in candidates.tolist():
        full, quick = book.signal(sig.symbol, i, 0), book.quick_signal(sig.symbol, i, 0)
        a, b = full.decision, quick.decision
        assert (a.direction, a.candle_open_time, a.close, a.atr, a.stop_price, a.take_profit_prices) == (
            b.direction, b.candle_open_time, b.close, b.atr, b.stop_price, b.take_profit_prices)
        assert full.correlation_id == quick.correlation_id and full.candle_close_time == quick.candle_close_time


def test_the_gateways_fill_index_answers_like_the_engine() -> None:
    data = real_data(SYMBOLS)
    backtest = Backtest(data.series, settings("balanced", BUSY), _window(1.0))
    backtest.run()
    engine = backtest.engine
    assert len(engine.trades) > 50
    for symbol in SYMBOLS:
        for since in (backtest.start_ms, backtest.start_ms + DAY_MS // 2):
            ours = backtest.gateway._user_trades(symbol, since)
            theirs = engine.user_trades({"symbol": symbol, "startTime": since, "limit": 1000})
            assert ours == theirs


def test_a_window_uses_nothing_after_its_end() -> None:
    data = real_data(SYMBOLS)
    window = _window(2.0)
    assert window.end_ms is not None
    cut = {}
    for name, series in data.series.items():
        keep = series.t <= window.end_ms  # the candle opening at the end gives the price *at* the end
        s = copy_series(series)
        s.t, s.o, s.h, s.low, s.c, s.v = (a[keep].copy() for a in (s.t, s.o, s.h, s.low, s.c, s.v))
        s._n = len(s.t)
        s._times = s.t
        cut[name] = s
    full = Backtest(data.series, settings("balanced", BUSY), window).run()
    truncated = Backtest(cut, settings("balanced", BUSY), window).run()
    assert full.ledger.trades == truncated.ledger.trades and full.ledger.decisions == truncated.ledger.decisions
    assert all(window.start_ms < t.entry_time < window.end_ms and t.exit_time <= window.end_ms
               for t in full.ledger.trades)
    ended = [t for t in full.ledger.trades if t.exit_reason == "end_of_data"]
    assert all(t.exit_time == window.end_ms for t in ended)


def test_trade_pnl_adds_up_to_the_change_of_the_wallet() -> None:
    data = real_data(SYMBOLS)
    backtest = Backtest(data.series, settings("balanced", BUSY), _window(3.0))
    result = backtest.run()
    net = sum(t.pnl for t in result.ledger.trades)
    assert result.end_balance - result.start_balance == pytest.approx(net, abs=1e-6)
    funding = sum(t.funding for t in result.ledger.trades)
    engine_funding = sum(units for _, _, _, units in backtest.engine.funding) / 1e8
    assert funding == pytest.approx(engine_funding, abs=1e-8) and funding != 0.0
    report = summarize(result)
    assert report["end_equity"] == pytest.approx(result.end_balance, abs=1e-6)
    assert report["net_pnl"] == pytest.approx(report["gross_pnl"] - report["fees"] + report["funding"], abs=1e-5)


def test_same_inputs_same_outputs() -> None:
    data = real_data(SYMBOLS)
    runs = [Backtest(data.series, settings("balanced", BUSY), _window(2.0, skip_days=5)).run() for _ in range(2)]
    reports = [build_report(r) for r in runs]
    for report in reports:
        report.pop("wall_seconds")
    assert reports[0] == reports[1] and trades_csv(runs[0]) == trades_csv(runs[1])


def test_an_empty_window_is_refused() -> None:
    data = real_data(SYMBOLS)
    first = min(s.first_ms for s in data.series.values())
    with pytest.raises(ValueError, match="empty window"):
        Backtest(data.series, settings(), BacktestConfig(start_ms=first + DAY_MS, end_ms=first + DAY_MS))
