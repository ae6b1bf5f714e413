"""``run.py keys``: set, show and check the API keys and Telegram settings kept in ``.env``.

Secrets are never printed (only ``abcd…(64 chars)``), never taken from the JSON config, and written
with mode 0600. ``--value`` puts the secret in the shell history and the process list: prefer the
prompt or ``--stdin``.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from cli.common import EXIT_FAILURE, EXIT_OK, EXIT_USAGE, add_config_options, load_or_report
from service.keys import (
    MANAGED_NAMES,
    SECRET_NAMES,
    KeyFileError,
    effective_values,
    mask,
    pair_problems,
    permissions,
    problem,
    read_values,
    write_values,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser("keys", help="set, show or check the API keys and Telegram settings in .env")
    actions = parser.add_subparsers(dest="keys_action", metavar="ACTION")

    set_parser = actions.add_parser("set", help="store a value in .env (prompts when no value is given)")
    set_parser.add_argument("name", nargs="?", type=str.upper, choices=MANAGED_NAMES, metavar="NAME",
                            help=f"one of {', '.join(MANAGED_NAMES)} (default: prompt for each)")
    source = set_parser.add_mutually_exclusive_group()
    source.add_argument("--value", help="the value (visible in shell history and ps: prefer the prompt or --stdin)")
    source.add_argument("--stdin", action="store_true", help="read the value from the first line of stdin")
    set_parser.add_argument("--force", action="store_true", help="store a value even if it looks malformed")
    _env_file_option(set_parser)
    set_parser.set_defaults(handler=run_set)

    unset_parser = actions.add_parser("unset", help="remove a value from .env")
    unset_parser.add_argument("name", type=str.upper, choices=MANAGED_NAMES, metavar="NAME")
    _env_file_option(unset_parser)
    unset_parser.set_defaults(handler=run_unset)

    show_parser = actions.add_parser("show", help="show which values are set, masked, and where they come from")
    _env_file_option(show_parser)
    show_parser.set_defaults(handler=run_show)

    check_parser = actions.add_parser(
        "check", help="check the values are present and well-formed; with --exchange-url or mode testnet/live, "
                      "that the exchange accepts them")
    add_config_options(check_parser)
    check_parser.add_argument("--mode", choices=("testnet", "live"), help="check against Binance's endpoints")
    check_parser.add_argument("--exchange-url", metavar="URL", help="check against this exchange (a simulator)")
    check_parser.set_defaults(handler=run_check)
    parser.set_defaults(handler=lambda args: _usage(parser))


def _env_file_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--env-file", type=Path, default=Path(".env"), metavar="PATH",
                        help="the secrets file (default: .env; for systemd: /etc/usdc-futures-bot/bot.env)")


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return EXIT_USAGE


def _warn_permissions(path: Path) -> None:
    perms = permissions(path)
    if perms is not None and perms.too_open:
        print(f"warning: {perms.describe(path)}", file=sys.stderr)


# ------------------------------------------------------------------- set / unset
def run_set(args: argparse.Namespace) -> int:
    path: Path = args.env_file
    _warn_permissions(path)
    try:
        current = read_values(path)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    if args.name is None:
        if args.value is not None or args.stdin:
            print("error: --value and --stdin need a NAME", file=sys.stderr)
            return EXIT_USAGE
        if not sys.stdin.isatty():
            print("error: no terminal to prompt on: give a NAME with --value or --stdin", file=sys.stderr)
            return EXIT_USAGE
        changes = _prompt_all(current)
    else:
        value = _value_for(args)
        if value is None:
            print(f"error: no value given for {args.name}", file=sys.stderr)
            return EXIT_USAGE
        changes = {args.name: value}
    bad = {name: why for name, value in changes.items() if (why := problem(name, value)) is not None}
    if bad and not args.force:
        for name, why in bad.items():
            print(f"error: {name}: {why} (nothing written; --force stores it anyway)", file=sys.stderr)
        return EXIT_USAGE
    if not changes:
        print("nothing changed")
        return EXIT_OK
    try:
        write_values(path, changes)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    except OSError as exc:
        print(f"error: cannot write {path}: {exc.strerror}", file=sys.stderr)
        return EXIT_FAILURE
    for name, value in changes.items():
        shown = mask(value) if name in SECRET_NAMES else value
        print(f"{name} set in {path} ({shown}); file mode 0600")
    return EXIT_OK


def _value_for(args: argparse.Namespace) -> str | None:
    if args.value is not None:
        return str(args.value)
    if args.stdin:
        line = sys.stdin.readline()
        return line.rstrip("\r\n") if line else None
    if not sys.stdin.isatty():
        return None
    return _prompt(args.name, None)


def _prompt(name: str, current: str | None) -> str | None:
    hint = f" [{mask(current) if name in SECRET_NAMES else current}, Enter keeps it]" if current else ""
    question = f"{name}{hint}: "
    answer = getpass.getpass(question) if name in SECRET_NAMES else input(question)
    return answer.strip() or None


def _prompt_all(current: dict[str, str]) -> dict[str, str]:
    changes = {}
    for name in MANAGED_NAMES:
        value = _prompt(name, current.get(name))
        if value is not None:
            changes[name] = value
    return changes


def run_unset(args: argparse.Namespace) -> int:
    path: Path = args.env_file
    try:
        if args.name not in read_values(path):
            print(f"{args.name} is not set in {path}")
            return EXIT_OK
        write_values(path, {args.name: None})
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    print(f"{args.name} removed from {path}")
    return EXIT_OK


# ------------------------------------------------------------------- show / check
def run_show(args: argparse.Namespace) -> int:
    path: Path = args.env_file
    _warn_permissions(path)
    try:
        values = effective_values(path)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    width = max(len(name) for name in MANAGED_NAMES)
    for name in MANAGED_NAMES:
        value, source = values.get(name, (None, ""))
        origin = f"  (from {source})" if source else ""
        print(f"{name:<{width}}  {mask(value)}{origin}")
    return EXIT_OK


def run_check(args: argparse.Namespace) -> int:
    path: Path = args.env_file
    _warn_permissions(path)
    try:
        values = effective_values(path)
    except KeyFileError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_FAILURE
    problems = [f"{name}: {why}" for name, (value, _) in values.items() if (why := problem(name, value))]
    problems += pair_problems({name: value for name, (value, _) in values.items()})
    for name in MANAGED_NAMES:
        if name in values and not any(p.startswith(f"{name}:") for p in problems):
            print(f"[ OK ] {name} is set and well-formed ({values[name][1]})")
    for line in problems:
        print(f"[FAIL] {line}")
    if not values:
        print(f"[FAIL] nothing is set (in {path} or the environment): `run.py keys set` stores the keys")
        problems.append("nothing set")
    if args.exchange_url or args.mode:
        ok = _check_exchange(args)
        if ok is None:
            return EXIT_USAGE
        if not ok:
            problems.append("exchange")
    return EXIT_FAILURE if problems else EXIT_OK


def _check_exchange(args: argparse.Namespace) -> bool | None:
    """Ask the exchange to accept the keys with one account read (no order, no change)."""
    from exchange.errors import Outcome
    from exchange.gateway import GatewayError
    from service.exchange_access import exchange_target, measure_server_time, open_gateway

    loaded = load_or_report(args, overrides={"exchange": {"mode": args.mode}} if args.mode else None)
    if loaded is None:
        return None
    settings = loaded.settings
    if not settings.secrets.has_binance_keys:
        print("[FAIL] exchange: no Binance keys to check")
        return False
    target = exchange_target(settings, args.exchange_url)
    if target is None:
        print("[SKIP] exchange: no exchange to check in demo mode without --exchange-url")
        return True
    gateway = open_gateway(settings, target)
    try:
        measure_server_time(gateway)
        gateway.call(5, gateway.client.fetch_balance)
    except GatewayError as exc:
        failure = exc.failure
        if failure.outcome is Outcome.FATAL:
            reason = {-2015: "invalid API key, IP not allowed, or no futures permission",
                      -2014: "API key format rejected", -1022: "signature rejected: wrong API secret"}.get(
                          failure.code, failure.message)
            print(f"[FAIL] exchange {target.endpoints.rest} refused the keys: {failure.code} {reason}")
        else:
            print(f"[FAIL] exchange {target.endpoints.rest}: could not check the keys ({failure})")
        return False
    except Exception as exc:  # network: the keys were not judged
        print(f"[FAIL] exchange {target.endpoints.rest} not reachable: {type(exc).__name__}")
        return False
    print(f"[ OK ] exchange {target.endpoints.rest} accepted the keys (account read)")
    return True
