"""Command-line entry point shared by ``python run.py`` and the ``usdcbot`` console script."""

from __future__ import annotations

import sys


def main(argv: list[str] | None = None) -> int:
    from cli.app import run_cli

    return run_cli(sys.argv[1:] if argv is None else argv)
