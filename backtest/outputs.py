"""The files a backtest writes: report.json, trades.csv and equity.png.

report.json and trades.csv are byte-identical for identical inputs (apart from ``wall_seconds``): no
run times, no paths that differ between runs, floats in Python's shortest round-trip form.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

from backtest.metrics import iso, summarize
from backtest.runner import BacktestResult

TRADE_COLUMNS = ("symbol", "side", "entry_time", "entry_price", "exit_time", "exit_price", "quantity", "fees",
                 "funding", "gross_pnl", "pnl", "exit_reason", "hold_minutes", "leverage", "correlation_id", "signal")


def config_section(result: BacktestResult, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    """The settings that decide trades, and the run's own parameters."""
    settings = result.settings
    config = result.config
    return {
        "profile": settings.profile,
        "strategy": settings.strategy.model_dump(mode="json"),
        "orders": settings.orders.model_dump(mode="json"),
        "risk": settings.risk.model_dump(mode="json"),
        "leverage": {"base": settings.exchange.leverage, "min": settings.exchange.min_leverage,
                     "max": settings.exchange.max_leverage, "margin_type": settings.exchange.margin_type},
        "backtest": {"start": iso(result.start_ms), "end": iso(result.end_ms), "balance": config.balance,
                     "taker_fee": float(config.taker_fee), "maker_fee": float(config.maker_fee),
                     "slippage_bps": config.slippage_bps, "warmup_minutes": config.warmup_minutes},
        **(extra or {}),
    }


def build_report(result: BacktestResult, extra_config: dict[str, Any] | None = None,
                 validation: dict[str, Any] | None = None) -> dict[str, Any]:
    report = summarize(result)
    report["wall_seconds"] = round(result.wall_seconds, 3)
    report["config"] = config_section(result, extra_config)
    if validation is not None:
        report["data_validation"] = validation
    return report


def trades_csv(result: BacktestResult) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(TRADE_COLUMNS)
    for t in sorted(result.ledger.trades, key=lambda t: (t.entry_time, t.symbol)):
        writer.writerow([t.symbol, t.side, iso(t.entry_time), repr(t.entry_price), iso(t.exit_time),
                         repr(t.exit_price), repr(t.quantity), f"{t.fees:.8f}", f"{t.funding:.8f}",
                         f"{t.gross_pnl:.8f}", f"{t.pnl:.8f}", t.exit_reason, f"{t.hold_minutes:.3f}", t.leverage,
                         t.correlation_id, t.signal])
    return buffer.getvalue()


def write_outputs(result: BacktestResult, out: Path, extra_config: dict[str, Any] | None = None,
                  validation: dict[str, Any] | None = None, plot: bool = True) -> dict[str, Any]:
    """Write the four outputs into ``out`` (created); returns the report."""
    out.mkdir(parents=True, exist_ok=True)
    report = build_report(result, extra_config, validation)
    (out / "report.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    (out / "trades.csv").write_text(trades_csv(result), encoding="utf-8")
    if plot:
        from backtest.plot import plot_equity

        plot_equity(result, report, out / "equity.png")
    return report
