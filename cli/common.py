"""Options and helpers shared by the subcommands that read the configuration."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from config import ConfigError, LoadedSettings, load_settings
from config.profiles import PROFILE_NAMES

EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2


def add_config_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", type=Path, metavar="PATH", help="JSON config file (overrides the profile)")
    parser.add_argument("--profile", choices=PROFILE_NAMES, help="trading profile (default: balanced)")
    parser.add_argument("--env-file", type=Path, default=Path(".env"), metavar="PATH",
                        help="file with BINANCE_API_KEY, TELEGRAM_TOKEN... (default: .env)")


def load_or_report(args: argparse.Namespace, overrides: dict | None = None) -> LoadedSettings | None:
    """Load the settings; on a bad configuration print every problem to stderr and return None."""
    try:
        return load_settings(args.config, profile=args.profile, env_file=args.env_file, overrides=overrides)
    except ConfigError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return None
