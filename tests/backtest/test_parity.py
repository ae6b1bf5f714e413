"""Backtest/live parity: the whole actor system in demo mode against the stepped simulator, replaying a
day of three symbols of the real data in lockstep, takes the same trades as the backtest: same entry
and exit candles, sides, exit reasons and prices; and the same signals and risk decisions."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from backtest.data import load_market_data
from backtest.runner import Backtest, BacktestConfig
from tests.backtest.lockstep import Lockstep, parity_overrides
from tests.backtest.support import BUSY
from tests.support import KLINES_DIR, require_shared_data
from tests.system.support import running_bot, running_simulator, settings_for, wait_ready

pytestmark = pytest.mark.system

SYMBOLS = ["ETHUSDC", "SOLUSDC", "XRPUSDC"]
CCXT = [f"{s[:-4]}/USDC:USDC" for s in SYMBOLS]
DAY_MINUTES = 1440  # BUSY (many trades, pinned whatever the tuned profiles say) on top of balanced


def _live_trades(bot: Any, end: int) -> list[tuple]:
    rows = []
    for t in bot.ctx.storage.trades():
        if t.entry_time_ms < end:
            rows.append((t.symbol, str(getattr(t.side, "value", t.side)), t.entry_time_ms, t.entry_price,
                         t.exit_time_ms, t.exit_price, t.exit_reason, t.quantity))
    return sorted(rows, key=lambda r: (r[2], r[0]))


def test_lockstep_demo_replay_and_backtest_take_the_same_trades(tmp_path: Path) -> None:
    require_shared_data()
    overrides = parity_overrides(CCXT, BUSY)
    with running_simulator(symbols=SYMBOLS, stepped=True) as sim, running_bot(sim, tmp_path, overrides) as bot:
        wait_ready(bot, len(SYMBOLS))
        start = sim.start_ms
        end = start + DAY_MINUTES * 60_000
        Lockstep(sim, bot, CCXT).run(end)
        live = _live_trades(bot, end)
        storage = bot.ctx.storage
        live_signals = sorted((s.ts_ms, s.symbol, str(getattr(s.side, "value", s.side)).lower())
                              for s in storage.signals(until_ms=end))
        live_decisions = sorted((d.ts_ms, d.symbol, "approved" if d.approved else d.reason)
                                for d in storage.risk_decisions(until_ms=end))
    settings = settings_for(tmp_path / "backtest", overrides)
    data = load_market_data(KLINES_DIR, SYMBOLS)
    result = Backtest(data.series, settings, BacktestConfig(start_ms=start, end_ms=end)).run()
    ledger = result.ledger
    ours = sorted(((t.symbol, t.side, t.entry_time, t.entry_price, t.exit_time, t.exit_price, t.exit_reason,
                    t.quantity) for t in ledger.trades), key=lambda r: (r[2], r[0]))

    assert len(live) >= 30, f"too few trades to compare ({len(live)})"
    assert [r[:4] for r in live] == [r[:4] for r in ours]  # entries: candle, side, price
    for mine, theirs in zip(ours, live, strict=True):
        if theirs[4] is None:  # still open at the end of the replay: the backtest closed it there
            assert mine[6] == "end_of_data"
            continue
        if mine[6] == "end_of_data":  # the live bot closed it on its own at the very end
            assert theirs[4] >= end - 60_000
            continue
        assert mine[4:7] == theirs[4:7], (mine, theirs)  # exit time, price, reason
        assert mine[7] == pytest.approx(theirs[7], rel=0.02), (mine, theirs)  # sizing: same rules, same balance
    assert sorted((s.time, s.symbol, s.direction.lower()) for s in ledger.signals) == live_signals
    assert sorted((d.time, d.symbol, d.outcome) for d in ledger.decisions) == live_decisions
