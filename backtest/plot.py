"""equity.png: the equity curve, its drawdown and the PnL of each UTC day (matplotlib, Agg backend)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")

import matplotlib.dates as mdates
import matplotlib.pyplot as plt

from backtest.runner import BacktestResult


def _when(ms: int) -> datetime:
    return datetime.fromtimestamp(ms / 1000, tz=UTC)


def plot_equity(result: BacktestResult, report: dict[str, Any], path: Path) -> None:
    points = result.ledger.equity or [(result.start_ms, result.start_balance)]
    times = [_when(ts) for ts, _ in points]
    values = [v for _, v in points]
    peak, drops = values[0], []
    for value in values:
        peak = max(peak, value)
        drops.append(-(peak - value) / peak * 100 if peak > 0 else 0.0)
    figure, (top, middle, bottom) = plt.subplots(3, 1, figsize=(11, 8), sharex=True,
                                                 gridspec_kw={"height_ratios": [3, 1.2, 1.5]})
    top.step(times, values, where="post", color="tab:blue", linewidth=1.0)
    top.axhline(result.start_balance, color="grey", linewidth=0.7, linestyle="--")
    top.set_ylabel("equity (USDC)")
    top.set_title(f"{report['config']['profile']} — {report['window']['start'][:10]} → {report['window']['end'][:10]}: "
                  f"{report['trades']} trades, net {report['net_pnl']:+.2f} USDC, win rate {report['win_rate']:.1f} %")
    middle.fill_between(times, drops, 0, step="post", color="tab:red", alpha=0.4)
    middle.set_ylabel("drawdown %")
    days = report["daily"]
    bars = [datetime.fromisoformat(d["day"]).replace(tzinfo=UTC) for d in days]
    pnl = [d["pnl"] for d in days]
    bottom.bar(bars, pnl, width=0.8, align="edge", color=["tab:green" if p >= 0 else "tab:red" for p in pnl])
    bottom.axhline(0, color="grey", linewidth=0.7)
    bottom.set_ylabel("daily PnL")
    bottom.xaxis.set_major_formatter(mdates.DateFormatter("%m-%d"))
    figure.text(0.01, 0.005, "Price paths: Binance USDT-margined perpetuals standing in for the USDC ones.",
                fontsize=7, color="grey")
    figure.tight_layout()
    figure.savefig(path, dpi=110, metadata={"Software": None})
    plt.close(figure)
