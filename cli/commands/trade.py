"""``run.py trade`` (the default): run the bot until SIGINT/SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys
from pathlib import Path
from typing import Any

from cli.common import EXIT_FAILURE, EXIT_USAGE, add_config_options, load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("trade", help="run the bot (default; demo mode on the embedded simulator "
                                                 "when no Binance keys are configured)")
    add_config_options(parser)
    parser.add_argument("--mode", choices=("demo", "paper", "testnet", "live"), help="override exchange.mode")
    parser.add_argument("--live", action="store_true", help="required to trade real money in live mode")
    parser.add_argument("--data", type=Path, metavar="DIR", help="demo: 1m kline files to replay")
    parser.add_argument("--speed", type=float, help="demo: simulated seconds per real second")
    parser.add_argument("--start", metavar="ISO-TIME", help="demo: replay start time")
    parser.add_argument("--balance", type=float, help="demo: start balance in USDC")
    parser.add_argument("--symbols", help="demo: comma-separated symbols the simulator serves")
    parser.add_argument("--exchange-url", metavar="URL", help="trade against an already running simulator")
    parser.add_argument("--ws-url", metavar="URL", help="WebSocket root of that exchange (default: derived)")
    parser.add_argument("--data-dir", type=Path, metavar="DIR", help="where the database, logs and runtime file go")
    parser.set_defaults(handler=run)


def _overrides(args: argparse.Namespace) -> dict[str, Any]:
    demo: dict[str, Any] = {}
    for name, key in (("data", "data_dir"), ("speed", "speed"), ("start", "start"), ("balance", "start_balance"),
                      ("symbols", "symbols")):
        value = getattr(args, name)
        if value is not None:
            demo[key] = str(value) if isinstance(value, Path) else value
    overrides: dict[str, Any] = {"demo": demo} if demo else {}
    if args.mode:
        overrides["exchange"] = {"mode": args.mode}
    if args.data_dir:
        overrides["storage"] = {"data_dir": str(args.data_dir)}
    return overrides


def run(args: argparse.Namespace) -> int:
    loaded = load_or_report(args, overrides=_overrides(args))
    if loaded is None:
        return EXIT_USAGE
    settings = loaded.settings
    if settings.exchange.mode == "live" and not args.live:
        print("error: live mode trades real money: add --live to confirm", file=sys.stderr)
        return EXIT_USAGE

    from config import load_settings
    from service.bot import Bot, StartupError
    from service.logging_setup import setup_logging

    log_file = settings.logging.file if settings.logging.file is not None else settings.storage.data_dir / "bot.log"
    setup_logging(settings.logging.level, log_file if settings.logging.file_enabled else None,
                  settings.secrets.secret_values(), settings.logging.max_bytes, settings.logging.backups)
    import logging

    for warning in loaded.warnings:
        logging.getLogger("config").warning(warning)
    bot = Bot(settings, exchange_url=args.exchange_url, ws_url=args.ws_url,
              simulator_overrides={"speed": args.speed} if args.exchange_url and args.speed else {},
              reload_settings=lambda: load_settings(args.config, profile=args.profile, env_file=args.env_file,
                                                    overrides=_overrides(args)).settings)

    def _on_signal(signum: int, _frame: object) -> None:
        logging.getLogger("service").info("signal %d received: stopping", signum)
        import threading

        threading.Thread(target=bot.stop, name="signal-stop", daemon=True).start()

    signal.signal(signal.SIGTERM, _on_signal)
    signal.signal(signal.SIGINT, _on_signal)
    try:
        bot.start()
    except StartupError as exc:
        logging.getLogger("service").error("cannot start: %s", exc)
        bot.stop()
        return EXIT_FAILURE
    while not bot.is_stopped():
        bot.wait(0.5)  # short waits keep the main thread free to take signals
    return bot.exit_code
