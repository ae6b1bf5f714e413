"""``run.py check``: validate the configuration and print the effective settings, secrets masked; then, when
an exchange is reachable (``--exchange-url`` or the testnet/live endpoints), check that the account is
ready for the bot (``service.readiness``).

Exit codes: 0 ready (or configuration only), 1 not ready, 2 bad configuration.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_config_options, load_or_report


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("check", help="validate the configuration and print the effective settings; "
                                                 "with a reachable exchange, check the account is ready")
    add_config_options(parser)
    parser.add_argument("--json", action="store_true", help="print the settings as JSON only")
    parser.add_argument("--mode", choices=("demo", "paper", "testnet", "live"), help="override exchange.mode")
    parser.add_argument("--exchange-url", metavar="URL", help="check the account on this exchange (a simulator)")
    parser.add_argument("--symbols", help="comma-separated symbols to check (default: what the scanner would pick)")
    parser.add_argument("--offline", action="store_true", help="check the configuration only")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    mode = getattr(args, "mode", None)
    loaded = load_or_report(args, overrides={"exchange": {"mode": mode}} if mode else None)
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
    _warn_env_file(args)
    if getattr(args, "offline", False):
        return EXIT_OK
    return _check_exchange(args, settings)


def _warn_env_file(args: argparse.Namespace) -> None:
    from service.keys import permissions

    perms = permissions(args.env_file)
    if perms is not None and perms.too_open:
        print(f"warning: {perms.describe(args.env_file)}", file=sys.stderr)


def _check_paper_source(settings: Any) -> int:
    """Paper mode trades on an embedded paper exchange; what must work is the source's public data."""
    import json
    import urllib.request

    from exchange.endpoints import LIVE_REST

    source = (settings.exchange.rest_url or LIVE_REST).rstrip("/")
    try:
        with urllib.request.urlopen(f"{source}/fapi/v1/time", timeout=10) as response:
            json.loads(response.read())["serverTime"]
    except Exception as exc:  # any failure means: not reachable from here
        print(f"[FAIL] paper source: {source} does not answer ({type(exc).__name__}: {exc})")
        print("NOT READY")
        return EXIT_FAILURE
    print(f"[ OK ] paper source: {source} answers; orders go to the embedded paper exchange (docs/paper.md)")
    print("READY")
    return EXIT_OK


def _check_exchange(args: argparse.Namespace, settings: Any) -> int:
    from service.exchange_access import exchange_target, open_gateway
    from service.readiness import Status, run_checks

    print()
    if settings.exchange.mode == "paper" and not args.exchange_url:
        return _check_paper_source(settings)
    target = exchange_target(settings, args.exchange_url)
    if target is None:
        print("exchange: not checked — demo mode trades on the embedded simulator; "
              "--exchange-url URL checks a running exchange")
        return EXIT_OK
    print(f"Readiness of the account at {target.endpoints.rest} (keys: {target.keys_source}):")
    symbols = tuple(s.strip() for s in (args.symbols or "").split(",") if s.strip())
    readiness = run_checks(settings, open_gateway(settings, target), target.endpoints.rest, symbols)
    for item in readiness.items:
        print(item.line())
        if item.status is Status.WARN and "WITHDRAWALS" in item.detail:
            print(f"\n{'!' * 78}\n{item.detail}\n{'!' * 78}\n", file=sys.stderr)
    failures = sum(1 for item in readiness.items if item.status is Status.FAIL)
    if readiness.ready:
        print("READY")
        return EXIT_OK
    print(f"NOT READY: {failures} problem(s) above")
    return EXIT_FAILURE
