"""Argument parsing and subcommand dispatch for ``python run.py`` / ``usdcbot``.

Each subcommand lives in ``cli/commands/<name>.py`` with ``register(subparsers)`` and a ``run(args)``
returning the exit code. ``trade`` is the default when no subcommand is given.
"""

from __future__ import annotations

import argparse
import importlib
import sys

SUBCOMMANDS = ("trade", "check", "sim", "backtest", "report", "keys", "download")
DEFAULT_SUBCOMMAND = "trade"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="usdcbot",
        description="Scalping bot for Binance USDⓈ-M USDC-margined perpetuals (default subcommand: trade).",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        module = _command_module(name)
        if module is not None:
            module.register(subparsers)
    return parser


def _command_module(name: str):  # type: ignore[no-untyped-def]
    try:
        return importlib.import_module(f"cli.commands.{name}")
    except ModuleNotFoundError as exc:
        if exc.name == f"cli.commands.{name}":
            return None
        raise


def run_cli(argv: list[str]) -> int:
    parser = build_parser()
    available = set(parser._subparsers._group_actions[0].choices) if parser._subparsers else set()
    if (not argv or (argv[0].startswith("-") and argv[0] not in ("-h", "--help"))) and DEFAULT_SUBCOMMAND in available:
        argv = [DEFAULT_SUBCOMMAND, *argv]
    args = parser.parse_args(argv)
    if getattr(args, "handler", None) is None:
        parser.print_help(sys.stdout)
        return 0
    return int(args.handler(args))
