"""No look-ahead: changing the candles after time t changes nothing the backtest decided or did at or
before t (signals, risk decisions, entries, exits, risk events, the equity path)."""

from __future__ import annotations

import pytest

from backtest.runner import Backtest, BacktestConfig, BacktestResult
from tests.backtest.support import BUSY, DAY_MS, MINUTE_MS, perturbed_after, real_data, settings

SYMBOLS = ("BTCUSDC", "LINKUSDC", "SOLUSDC", "SUIUSDC")


def _upto(result: BacktestResult, t: int) -> dict[str, list]:
    ledger = result.ledger
    return {
        "signals": [s for s in ledger.signals if s.time <= t],
        "decisions": [d for d in ledger.decisions if d.time <= t],
        "entries": sorted((x.symbol, x.side, x.entry_time, x.entry_price, x.quantity, x.leverage, x.signal)
                          for x in ledger.trades if x.entry_time <= t),
        "exits": sorted((x.symbol, x.entry_time, x.exit_time, x.exit_price, x.exit_reason, x.pnl, x.fees)
                        for x in ledger.trades if x.exit_time <= t and x.exit_reason != "end_of_data"),
        "failures": [f for f in ledger.entry_failures if f[0] <= t],
        "risk_events": [e for e in ledger.risk_events if e[0] <= t],
        "equity": [e for e in ledger.equity if e[0] <= t],
    }


@pytest.mark.parametrize(("offset_minutes", "seed"), [(1 * 1440 + 7, 1), (1 * 1440 + 733, 2), (2 * 1440 + 95, 3)])
def test_changing_candles_after_t_changes_nothing_at_or_before_t(offset_minutes: int, seed: int) -> None:
    data = real_data(SYMBOLS)
    config_settings = settings("balanced", BUSY)
    first = min(s.first_ms for s in data.series.values())
    start = first + 1000 * MINUTE_MS
    end = start + 3 * DAY_MS
    t = start + offset_minutes * MINUTE_MS
    window = BacktestConfig(start_ms=start, end_ms=end)
    original = Backtest(data.series, config_settings, window).run()
    changed = Backtest(perturbed_after(data.series, t, seed), config_settings, window).run()
    before, after = _upto(original, t), _upto(changed, t)
    assert len(before["entries"]) >= 20 and len(before["signals"]) >= 100
    for key in before:
        assert before[key] == after[key], key
    # the perturbation did change the future (otherwise this test would prove nothing)
    assert [x for x in original.ledger.trades if x.entry_time > t] != [x for x in changed.ledger.trades
                                                                       if x.entry_time > t]
