"""``run.py check``: validate the configuration and print the effective settings, secrets masked."""

from __future__ import annotations

import argparse
import json

from cli.common import EXIT_OK, EXIT_USAGE, add_config_options, load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="validate the configuration and print the effective settings")
    add_config_options(parser)
    parser.add_argument("--json", action="store_true", help="print the settings as JSON only")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    loaded = load_or_report(args)
    if loaded is None:
        return EXIT_USAGE
    settings = loaded.settings
    if args.json:
        print(json.dumps(settings.public_dict(), indent=2, default=str))
        return EXIT_OK
    for warning in loaded.warnings:
        print(f"warning: {warning}")
    print(f"configuration OK — profile {settings.profile}, mode {settings.exchange.mode}")
    print(json.dumps(settings.public_dict(), indent=2, default=str))
    return EXIT_OK
