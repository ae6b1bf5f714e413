"""``run.py backtest``: replay kline files through the bot's own cores against the simulator's engine.

Writes report.json, trades.csv and equity.png to ``--out`` and prints a summary. The settings are the
usual layers (defaults, ``--profile``, ``--config``, ``BOT__`` environment) without the runtime file: a
backtest must not depend on what a running bot last changed.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_config_options, load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("backtest", help="backtest the strategy, risk and order code on 1m kline files")
    add_config_options(parser)
    parser.add_argument("--data", type=Path, required=True, metavar="DIR", help="folder of 1m kline files")
    parser.add_argument("--symbols", help="comma-separated symbols or bases (default: every file)")
    parser.add_argument("--start", metavar="ISO-TIME", help="first candle close traded (default: data + warm-up)")
    parser.add_argument("--end", metavar="ISO-TIME", help="end of the window; open positions close here")
    parser.add_argument("--balance", type=float, default=400.0, help="start balance in USDC (default 400)")
    parser.add_argument("--out", type=Path, default=Path("backtest-out"), metavar="DIR", help="output folder")
    parser.add_argument("--synthesize-markets", action="store_true",
                        help="invent a market for bases without a USDC perpetual (ETC, LAYER, XLM, XMR)")
    parser.add_argument("--taker-fee", default="0.0005", help="taker fee rate (default 0.0005)")
    parser.add_argument("--maker-fee", default="0.0002", help="maker fee rate (default 0.0002)")
    parser.add_argument("--slippage-bps", type=float, default=0.0, help="market-order slippage in basis points")
    parser.add_argument("--no-progress", action="store_true", help="no progress bar")
    parser.set_defaults(handler=run)


def _window(args: argparse.Namespace) -> tuple[int | None, int | None] | None:
    from simulator.config import parse_time

    try:
        return parse_time(args.start), parse_time(args.end)
    except ValueError as exc:
        print(f"error: --start/--end: {exc}", file=sys.stderr)
        return None


def run(args: argparse.Namespace) -> int:
    out: Path = args.out
    loaded = load_or_report(args, overrides={"storage": {"runtime_file": str(out / "runtime-not-used.json")}})
    if loaded is None:
        return EXIT_USAGE
    window = _window(args)
    if window is None:
        return EXIT_USAGE
    from rich.console import Console

    from backtest.data import load_market_data

    console = Console(stderr=True)
    symbols = [s for s in (args.symbols or "").split(",") if s.strip()] or None
    try:
        data = load_market_data(args.data, symbols, synthesize_markets=args.synthesize_markets)
    except FileNotFoundError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    for line in data.problems():
        console.print(f"[yellow]data:[/] {line}")
    if not data.series:
        print("error: no usable candles to backtest", file=sys.stderr)
        return EXIT_FAILURE
    try:
        report = _run(args, loaded.settings, data, window, console)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    _summary(report, out)
    return EXIT_OK


def _run(args: argparse.Namespace, settings: Any, data: Any, window: tuple[int | None, int | None],
         console: Any) -> dict[str, Any]:
    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from backtest.outputs import write_outputs
    from backtest.runner import Backtest, BacktestConfig

    config = BacktestConfig(start_ms=window[0], end_ms=window[1], balance=args.balance, taker_fee=args.taker_fee,
                            maker_fee=args.maker_fee, slippage_bps=args.slippage_bps)
    with Progress(TextColumn("backtest"), BarColumn(), TextColumn("{task.percentage:>3.0f}%  {task.fields[day]}"),
                  TimeElapsedColumn(), console=console, disable=args.no_progress, transient=True) as progress:
        task = progress.add_task("run", total=1.0, day="")

        def advance(now: int, start: int, end: int) -> None:
            from backtest.metrics import iso

            progress.update(task, completed=(now - start) / max(end - start, 1), day=iso(now)[:10])

        result = Backtest(data.series, settings, config, progress=advance).run()
    extra = {"data": {"folder": args.data.name, "symbols": sorted(data.series),
                      "synthesized_markets": sorted(s for s, v in data.series.items() if v.spec.synthesized)}}
    return write_outputs(result, args.out, extra_config=extra, validation=data.to_dict())


def _summary(report: dict[str, Any], out: Path) -> None:
    from rich.console import Console
    from rich.table import Table

    table = Table(title=f"Backtest {report['config']['profile']}: {report['window']['start']} → "
                        f"{report['window']['end']} ({len(report['window']['symbols'])} symbols)")
    table.add_column("figure")
    table.add_column("value", justify="right")
    rows = [("trades", report["trades"]), ("win rate %", report["win_rate"]), ("net PnL USDC", report["net_pnl"]),
            ("fees USDC", report["fees"]), ("funding USDC", report["funding"]), ("return %", report["return_pct"]),
            ("max drawdown %", report["max_drawdown_pct"]), ("max daily drawdown %", report["max_daily_drawdown_pct"]),
            ("USDC per hour", report["usd_per_hour"]), ("profit factor", report["profit_factor"]),
            ("avg hold min", report["avg_hold_minutes"]), ("exposure %", report["exposure_pct"]),
            ("trades per day", report["trades_per_day"]), ("candles", report["candles"]),
            ("wall seconds", report["wall_seconds"])]
    for name, value in rows:
        table.add_row(name, "—" if value is None else str(value))
    for name, target in report["targets"].items():
        verdict = "[green]met[/]" if target["met"] else "[red]missed[/]"
        table.add_row(f"target {name} {target['comparison']} {target['target']}",
                      f"{target['measured']} {verdict}")
    console = Console()
    console.print(table)
    console.print(f"Outputs in {out}: report.json, trades.csv, equity.png. Price paths: USDT-margined perpetuals "
                  "standing in for the USDC ones.")
