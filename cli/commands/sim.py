"""``run.py sim``: run the Binance USDⓈ-M simulator alone (for an external bot, ccxt or curl)."""

from __future__ import annotations

import argparse


def register(subparsers: argparse._SubParsersAction) -> None:
    from simulator.cli import add_arguments, run

    parser = subparsers.add_parser("sim", help="run the Binance USDⓈ-M simulator on loopback")
    add_arguments(parser)
    parser.set_defaults(handler=run)
