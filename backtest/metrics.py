"""The figures of a backtest, and the user's targets beside them.

Definitions (also in ``docs/backtest.md``), all from the trades and the equity path the run recorded:

- equity = wallet balance + unrealized PnL of open positions at each minute's close (intrabar extremes
  are not marked);
- max_drawdown_pct: the largest fall of equity from its running peak, in % of that peak;
- max_daily_drawdown_pct: per UTC day, the largest fall of equity below the day's starting equity, in %
  of it (what the daily loss limit measures), the worst day's figure;
- usd_per_hour: net PnL divided by the hours of the window (the bot runs around the clock);
- exposure_pct: share of the window with at least one position open;
- profit_factor: sum of winning trades' net PnL over the absolute sum of losing ones (null without
  losing trades); wins and losses count net PnL > 0 and < 0.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime
from typing import Any

from backtest.data import SOURCE_NOTE
from backtest.ledger import TradeRecord
from backtest.runner import BacktestResult

DAY_MS = 86_400_000
HOUR_MS = 3_600_000
TARGETS = {"start_capital_usdc": 400.0, "win_rate_pct": 55.0, "max_daily_drawdown_pct": 5.0,
           "usd_per_hour_min": 1.0, "usd_per_hour_max": 2.0}


def iso(ms: int) -> str:
    return datetime.fromtimestamp(ms / 1000, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _r(value: float, digits: int = 6) -> float:
    """Rounded for the report: the figures are deterministic anyway; this keeps them readable."""
    return round(float(value), digits)


def drawdowns(equity: list[tuple[int, float]], start_balance: float) -> tuple[float, list[dict[str, Any]]]:
    """(max drawdown %, one row per UTC day: start equity, low, end equity, PnL, drawdown %)."""
    peak, worst = start_balance, 0.0
    days: dict[int, dict[str, Any]] = {}
    previous = start_balance
    for ts, value in equity:
        peak = max(peak, value)
        if peak > 0:
            worst = max(worst, (peak - value) / peak * 100)
        day = ts - ts % DAY_MS
        if ts == day and ts != equity[0][0]:
            day -= DAY_MS  # a value at exactly midnight is the close of the day before
        row = days.get(day)
        if row is None:
            row = days[day] = {"start_equity": previous, "low": previous, "end_equity": previous}
        row["low"] = min(row["low"], value)
        row["end_equity"] = value
        previous = value
    rows = []
    for day in sorted(days):
        row = days[day]
        start = row["start_equity"]
        drop = max(0.0, (start - row["low"]) / start * 100) if start > 0 else 0.0
        rows.append({"day": iso(day)[:10], "start_equity": _r(start), "low_equity": _r(row["low"]),
                     "end_equity": _r(row["end_equity"]), "pnl": _r(row["end_equity"] - start),
                     "drawdown_pct": _r(drop, 4)})
    return worst, rows


def exposure_ms(trades: list[TradeRecord], start: int, end: int) -> int:
    """Time with at least one position open (union of the trades' holding intervals)."""
    spans = sorted((max(t.entry_time, start), min(t.exit_time, end)) for t in trades)
    total, current_start, current_end = 0, None, None
    for a, b in spans:
        if current_end is None or a > current_end:
            if current_end is not None and current_start is not None:
                total += current_end - current_start
            current_start, current_end = a, b
        else:
            current_end = max(current_end, b)
    if current_end is not None and current_start is not None:
        total += current_end - current_start
    return total


def _group(trades: list[TradeRecord], key: str) -> dict[str, dict[str, Any]]:
    groups: dict[str, list[TradeRecord]] = defaultdict(list)
    for trade in trades:
        groups[getattr(trade, key)].append(trade)
    out = {}
    for name in sorted(groups):
        items = groups[name]
        wins = sum(1 for t in items if t.pnl > 0)
        out[name] = {"trades": len(items), "wins": wins, "win_rate": _r(wins / len(items) * 100, 4),
                     "net_pnl": _r(sum(t.pnl for t in items)), "fees": _r(sum(t.fees for t in items))}
    return out


def targets(start_balance: float, win_rate: float, daily_dd: float, per_hour: float, trades: int) -> dict[str, Any]:
    """The user's targets beside the measured values, met or missed (and by how much)."""
    def row(target: float, measured: float, comparison: str, met: bool) -> dict[str, Any]:
        return {"target": target, "comparison": comparison, "measured": _r(measured, 4), "met": met,
                "gap": _r(measured - target, 4)}

    return {
        "start_capital_usdc": row(TARGETS["start_capital_usdc"], start_balance, "==",
                                  abs(start_balance - TARGETS["start_capital_usdc"]) < 1e-9),
        "win_rate_pct": row(TARGETS["win_rate_pct"], win_rate, ">=", trades > 0 and win_rate >= 55.0),
        "max_daily_drawdown_pct": row(TARGETS["max_daily_drawdown_pct"], daily_dd, "<=", daily_dd <= 5.0),
        "usd_per_hour": {**row(TARGETS["usd_per_hour_min"], per_hour, "1..2", per_hour >= 1.0),
                         "target_max": TARGETS["usd_per_hour_max"]},
    }


def summarize(result: BacktestResult) -> dict[str, Any]:
    """Every figure of report.json except ``wall_seconds`` (deterministic for equal inputs)."""
    ledger = result.ledger
    trades = sorted(ledger.trades, key=lambda t: (t.entry_time, t.symbol))
    count = len(trades)
    wins = sum(1 for t in trades if t.pnl > 0)
    losses = sum(1 for t in trades if t.pnl < 0)
    net = sum(t.pnl for t in trades)
    won = sum(t.pnl for t in trades if t.pnl > 0)
    lost = -sum(t.pnl for t in trades if t.pnl < 0)
    window = result.end_ms - result.start_ms
    end_equity = ledger.equity[-1][1] if ledger.equity else result.start_balance
    max_dd, daily = drawdowns(ledger.equity, result.start_balance)
    daily_dd = max((d["drawdown_pct"] for d in daily), default=0.0)
    win_rate = wins / count * 100 if count else 0.0
    per_hour = net / (window / HOUR_MS)
    decisions = Counter(d.outcome for d in ledger.decisions)
    return {
        "trades": count,
        "wins": wins,
        "losses": losses,
        "win_rate": _r(win_rate, 4),
        "net_pnl": _r(net),
        "gross_pnl": _r(sum(t.gross_pnl for t in trades)),
        "fees": _r(sum(t.fees for t in trades)),
        "funding": _r(sum(t.funding for t in trades)),
        "return_pct": _r((end_equity - result.start_balance) / result.start_balance * 100, 4),
        "max_drawdown_pct": _r(max_dd, 4),
        "max_daily_drawdown_pct": _r(daily_dd, 4),
        "usd_per_hour": _r(per_hour),
        "profit_factor": _r(won / lost, 4) if lost > 0 else None,
        "avg_hold_minutes": _r(sum(t.hold_minutes for t in trades) / count, 4) if count else 0.0,
        "exposure_pct": _r(exposure_ms(trades, result.start_ms, result.end_ms) / window * 100, 4),
        "trades_per_day": _r(count / (window / DAY_MS), 4),
        "start_balance": _r(result.start_balance),
        "end_equity": _r(end_equity),
        "per_symbol": _group(trades, "symbol"),
        "per_exit_reason": _group(trades, "exit_reason"),
        "targets": targets(result.start_balance, win_rate, daily_dd, per_hour, count),
        "signals": len(ledger.signals),
        "risk_decisions": {"approved": decisions.pop("approved", 0), "denied": dict(sorted(decisions.items()))},
        "entry_failures": dict(sorted(Counter(reason for _, _, reason in ledger.entry_failures).items())),
        "risk_events": [{"time": iso(ts), "event": text} for ts, text in ledger.risk_events],
        "daily": daily,
        "candles": result.candles,
        "minutes_processed": result.minutes_processed,
        "window": {"start": iso(result.start_ms), "end": iso(result.end_ms), "days": _r(window / DAY_MS, 4),
                   "symbols": list(result.symbols)},
        "data_note": SOURCE_NOTE,
    }
