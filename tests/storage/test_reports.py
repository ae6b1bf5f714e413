"""Report arithmetic without a database: hand-made cases and properties over random trade lists."""

from __future__ import annotations

import math
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from storage import (
    TradeOrigin,
    TradeRecord,
    TradeSide,
    TradeStatus,
    analyze_performance,
    summarize,
)

T0 = 1_746_403_200_000  # 2025-05-05 00:00:00 UTC
REASONS = ("stop_loss", "take_profit_1", "take_profit_2", "break_even_stop", "timeout", "liquidation")


def make_trade(
    trade_id: int,
    pnl: float | None,
    *,
    exit_ms: int | None = T0,
    entry_ms: int = T0 - 60_000,
    reason: str | None = "stop_loss",
    symbol: str = "BTC/USDC:USDC",
    fees: float = 0.0,
    funding: float = 0.0,
) -> TradeRecord:
    closed = pnl is not None
    return TradeRecord(
        id=trade_id,
        correlation_id=f"c{trade_id}",
        symbol=symbol,
        side=TradeSide.LONG,
        status=TradeStatus.CLOSED if closed else TradeStatus.OPEN,
        entry_time_ms=entry_ms,
        entry_price=100.0,
        quantity=1.0,
        leverage=1,
        exit_time_ms=exit_ms if closed else None,
        exit_price=100.0 if closed else None,
        fees=fees,
        funding=funding,
        realized_pnl=pnl,
        exit_reason=reason if closed else None,
        profile=None,
        stop_price=None,
        take_profits=(),
        origin=TradeOrigin.BOT,
        created_ms=entry_ms,
        updated_ms=exit_ms or entry_ms,
    )


def test_empty_history() -> None:
    summary = summarize([])
    assert (summary.total_trades, summary.realized_pnl, summary.win_rate, summary.best_trade) == (0, 0.0, None, None)
    perf = analyze_performance([make_trade(1, None)])  # an open trade only
    assert perf.trades == 0 and perf.by_day == () and perf.average_hold_ms is None
    assert (perf.stop_loss_streak, perf.loss_streak) == (0, 0)


def test_streaks_follow_exit_order_not_input_order() -> None:
    trades = [
        make_trade(3, -1.0, exit_ms=T0 + 3, reason="stop_loss"),
        make_trade(1, 2.0, exit_ms=T0 + 1, reason="take_profit_1"),
        make_trade(4, -5.0, exit_ms=T0 + 4, reason="liquidation"),
        make_trade(2, -0.1, exit_ms=T0 + 2, reason="break_even_stop"),
    ]
    perf = analyze_performance(trades)
    assert perf.stop_loss_streak == 2  # liquidation, stop_loss; the break-even stop ends it
    assert perf.loss_streak == 3  # -5, -1, -0.1
    summary = summarize(trades)
    assert summary.best_trade is not None and summary.best_trade.id == 1
    assert summary.worst_trade is not None and summary.worst_trade.id == 4
    assert (summary.wins, summary.losses, summary.breakeven) == (1, 3, 0)


def test_hour_and_day_buckets_use_the_utc_exit_time() -> None:
    late = T0 + 23 * 3_600_000 + 59 * 60_000  # 2025-05-05 23:59 UTC
    trades = [make_trade(1, 1.0, exit_ms=late), make_trade(2, 2.0, exit_ms=late + 60_000)]
    perf = analyze_performance(trades)
    assert [b.key for b in perf.by_day] == ["2025-05-05", "2025-05-06"]
    assert [b.key for b in perf.by_hour] == ["2025-05-05 23:00", "2025-05-06 00:00"]
    assert [b.key for b in perf.by_hour_of_day] == ["00", "23"]


pnl_values = st.one_of(
    st.just(0.0), st.floats(min_value=-500, max_value=500, allow_nan=False, allow_infinity=False)
)
trade_lists = st.lists(
    st.tuples(
        st.one_of(st.none(), pnl_values),  # None: still open
        st.integers(min_value=0, max_value=5 * 86_400_000),  # exit offset
        st.integers(min_value=0, max_value=3_600_000),  # hold
        st.sampled_from(REASONS),
        st.sampled_from(("BTC/USDC:USDC", "ETH/USDC:USDC", "SOL/USDC:USDC")),
        st.floats(min_value=0, max_value=5),  # fees
    ),
    max_size=40,
)


@settings(max_examples=60, deadline=None)
@given(trade_lists)
def test_reports_agree_with_a_naive_recomputation(rows) -> None:
    trades = [
        make_trade(
            index + 1, pnl, exit_ms=T0 + offset, entry_ms=T0 + offset - hold, reason=reason, symbol=symbol, fees=fees
        )
        for index, (pnl, offset, hold, reason, symbol, fees) in enumerate(rows)
    ]
    closed = [t for t in trades if t.realized_pnl is not None]
    summary = summarize(trades)
    perf = analyze_performance(trades)

    assert summary.total_trades == perf.trades == len(closed)
    assert summary.wins == sum(1 for t in closed if t.realized_pnl > 0)
    assert summary.losses == sum(1 for t in closed if t.realized_pnl < 0)
    assert summary.wins + summary.losses + summary.breakeven == len(closed)
    assert math.isclose(summary.realized_pnl, math.fsum(t.realized_pnl for t in closed), abs_tol=1e-9)
    if closed:
        assert summary.best_trade is not None and summary.worst_trade is not None
        assert summary.best_trade.realized_pnl == max(t.realized_pnl for t in closed)
        assert summary.worst_trade.realized_pnl == min(t.realized_pnl for t in closed)
        assert math.isclose(perf.average_hold_ms, sum(t.hold_ms for t in closed) / len(closed))

    naive_days: dict[str, float] = {}
    for trade in closed:
        day = datetime.fromtimestamp(trade.exit_time_ms // 1000, tz=UTC).strftime("%Y-%m-%d")
        naive_days[day] = naive_days.get(day, 0.0) + trade.realized_pnl
    assert [b.key for b in perf.by_day] == sorted(naive_days)
    for bucket in perf.by_day:
        assert math.isclose(bucket.pnl, naive_days[bucket.key], abs_tol=1e-9)
    for buckets in (perf.by_hour, perf.by_hour_of_day, perf.by_symbol, perf.by_exit_reason):
        assert sum(b.trades for b in buckets) == len(closed)
        assert math.isclose(math.fsum(b.pnl for b in buckets), summary.realized_pnl, abs_tol=1e-6)

    newest_first = sorted(closed, key=lambda t: (t.exit_time_ms, t.id), reverse=True)
    streak = 0
    for trade in newest_first:
        if trade.exit_reason not in ("stop_loss", "liquidation"):
            break
        streak += 1
    assert perf.stop_loss_streak == streak
