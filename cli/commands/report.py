"""``run.py report [--json]``: what the database says — trades, win rate, PnL, fees, open positions,
exit reasons, per symbol. Reads only; works while the bot runs (SQLite WAL)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_config_options, load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("report", help="trades, win rate, PnL, fees, open positions from the database")
    add_config_options(parser)
    parser.add_argument("--json", action="store_true", help="print JSON instead of tables")
    parser.add_argument("--database", type=Path, metavar="PATH", help="database file (default: the configured one)")
    parser.set_defaults(handler=run)


def build_report(storage: Any) -> dict[str, Any]:
    """The report as plain data (numbers stay numbers)."""
    summary = storage.summary()
    performance = storage.performance()

    def buckets(items: Any) -> dict[str, dict[str, Any]]:
        return {b.key: {"trades": b.trades, "wins": b.wins, "losses": b.losses, "pnl": round(b.pnl, 6),
                        "fees": round(b.fees, 6), "win_rate": b.win_rate} for b in items}

    return {
        "trades": summary.total_trades, "wins": summary.wins, "losses": summary.losses,
        "win_rate": summary.win_rate, "realized_pnl": round(summary.realized_pnl, 6),
        "fees": round(summary.fees, 6), "funding": round(summary.funding, 6),
        "best_trade": _trade(summary.best_trade), "worst_trade": _trade(summary.worst_trade),
        "average_hold_minutes": performance.average_hold_ms / 60_000 if performance.average_hold_ms else None,
        "stop_loss_streak": performance.stop_loss_streak,
        "open_positions": [_trade(t) for t in storage.open_trades()],
        "per_exit_reason": buckets(performance.by_exit_reason),
        "per_symbol": buckets(performance.by_symbol),
        "per_day": buckets(performance.by_day),
    }


def _trade(trade: Any) -> dict[str, Any] | None:
    if trade is None:
        return None
    return {"correlation_id": trade.correlation_id, "symbol": trade.symbol, "side": str(trade.side.value),
            "entry_time_ms": trade.entry_time_ms, "entry_price": trade.entry_price, "quantity": trade.quantity,
            "exit_price": trade.exit_price, "exit_reason": trade.exit_reason, "realized_pnl": trade.realized_pnl,
            "fees": trade.fees, "origin": str(trade.origin.value)}


def run(args: argparse.Namespace) -> int:
    loaded = load_or_report(args)
    if loaded is None:
        return EXIT_USAGE
    path = args.database or loaded.settings.storage.database_path
    if not path.exists():
        print(f"error: no database at {path} (has the bot run with this data directory?)", file=sys.stderr)
        return EXIT_FAILURE
    from storage import Storage, StorageError

    try:
        with Storage(path) as storage:
            report = build_report(storage)
    except StorageError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.json:
        print(json.dumps(report, indent=2))
    else:
        _print_tables(report)
    return EXIT_OK


def _print_tables(report: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    win_rate = f"{report['win_rate'] * 100:.1f} %" if report["win_rate"] is not None else "—"
    console.print(f"[bold]{report['trades']} closed trades[/bold]: {report['wins']} won, {report['losses']} lost, "
                  f"win rate {win_rate}; realized PnL {report['realized_pnl']:+.2f} USDC (fees {report['fees']:.2f}, "
                  f"funding {report['funding']:+.2f}); stop-loss streak {report['stop_loss_streak']}")
    for title, rows in (("exit reason", report["per_exit_reason"]), ("symbol", report["per_symbol"])):
        table = Table(title=f"per {title}")
        for column in (title, "trades", "win rate", "PnL", "fees"):
            table.add_column(column, justify="left" if column == title else "right")
        for key, row in rows.items():
            rate = f"{row['win_rate'] * 100:.0f} %" if row["win_rate"] is not None else "—"
            table.add_row(key, str(row["trades"]), rate, f"{row['pnl']:+.2f}", f"{row['fees']:.2f}")
        console.print(table)
    if report["open_positions"]:
        table = Table(title="open positions")
        for column in ("symbol", "side", "quantity", "entry", "origin"):
            table.add_column(column)
        for p in report["open_positions"]:
            table.add_row(p["symbol"], p["side"], f"{p['quantity']:g}", f"{p['entry_price']:g}", p["origin"])
        console.print(table)
    else:
        console.print("no open positions")
