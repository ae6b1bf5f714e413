"""``run.py download``: closed historical candles into a folder that ``trade --data`` and ``backtest --data`` read.

Resumable (re-run the same command after an interruption) and paced by the request-weight budget;
see ``service.download``.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from pathlib import Path

from cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_config_options, load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("download", help="download closed historical candles (resumable) into the "
                                                    "data folder format of --data")
    add_config_options(parser)
    parser.add_argument("--symbols", required=True, help="comma-separated USDC perpetuals, e.g. BTC,ETH,SOLUSDC")
    parser.add_argument("--days", type=float, default=30.0, help="how far back from now (default: 30)")
    parser.add_argument("--timeframe", default="1m", help="candle interval (default: 1m, what --data reads)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="folder for <SYMBOL>-1m.csv.gz")
    parser.add_argument("--exchange-url", metavar="URL", help="download from this exchange (a simulator)")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.set_defaults(handler=run)


def _utc(ms: int | None) -> str:
    return "-" if ms is None else datetime.fromtimestamp(ms / 1000, UTC).strftime("%Y-%m-%d %H:%M")


def run(args: argparse.Namespace) -> int:
    from exchange.gateway import GatewayError
    from exchange.parsers import INTERVAL_MS
    from service.download import DAY_MS, DownloadError, download_symbol, exchange_id, last_closed_open_ms
    from service.exchange_access import exchange_target, measure_server_time, open_gateway

    if args.timeframe not in INTERVAL_MS:
        print(f"error: --timeframe must be one of {', '.join(INTERVAL_MS)}, got {args.timeframe!r}", file=sys.stderr)
        return EXIT_USAGE
    if not 0 < args.days <= 3650:
        print(f"error: --days must be > 0 and <= 3650, got {args.days}", file=sys.stderr)
        return EXIT_USAGE
    try:
        symbols = [exchange_id(name) for name in args.symbols.split(",") if name.strip()]
    except DownloadError as exc:
        print(f"error: --symbols: {exc}", file=sys.stderr)
        return EXIT_USAGE
    loaded = load_or_report(args)
    if loaded is None:
        return EXIT_USAGE
    settings = loaded.settings
    target = exchange_target(settings, args.exchange_url, public_only=True)
    assert target is not None
    gateway = open_gateway(settings, target)
    try:
        server_ms, _ = measure_server_time(gateway)
    except Exception as exc:
        print(f"error: cannot reach {target.endpoints.rest}: {type(exc).__name__}", file=sys.stderr)
        return EXIT_FAILURE
    end_open = last_closed_open_ms(server_ms, args.timeframe)
    start = end_open - int(args.days * DAY_MS) + INTERVAL_MS[args.timeframe]
    print(f"downloading {len(symbols)} symbol(s), {args.timeframe}, {_utc(start)} → {_utc(end_open)} UTC "
          f"from {target.endpoints.rest} into {args.out}")
    progress = None if args.quiet else (lambda text: print(f"  {text}", flush=True))
    failed = 0
    for symbol in symbols:
        try:
            result = download_symbol(gateway, symbol, args.timeframe, start, end_open, args.out, progress)
        except (DownloadError, GatewayError) as exc:
            failed += 1
            print(f"{symbol}: FAILED: {exc} (re-run to resume)", file=sys.stderr)
            continue
        except KeyboardInterrupt:
            print(f"\ninterrupted during {symbol}: re-run the same command to resume", file=sys.stderr)
            return 130
        print(f"{symbol}: +{result.rows_added} rows ({result.rows_total} in all, {_utc(result.first_open_ms)} → "
              f"{_utc(result.last_open_ms)} UTC, {result.requests} requests) → {result.path}")
        if result.note:
            print(f"  note: {result.note}")
    return EXIT_FAILURE if failed else EXIT_OK
