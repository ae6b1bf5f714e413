"""``fake-telegram`` as a command: run the fake in the foreground until Ctrl-C or SIGTERM.

Kept as ``add_arguments(parser)`` + ``run(args)`` so the lead can mount it as a subcommand of the
project's CLI without this package knowing about the rest of it.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from types import FrameType

from simulator.telegram.handle import DEFAULT_TOKEN, start_fake_telegram


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Options of the fake Telegram server."""
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: %(default)s)")
    parser.add_argument("--port", type=int, default=8081, help="TCP port, 0 = any free port (default: %(default)s)")
    parser.add_argument("--token", default=DEFAULT_TOKEN, help="the only bot token accepted (others get 401)")
    parser.add_argument("--any-token", action="store_true", help="accept every token (demo mode)")
    parser.add_argument("--bot-username", default="usdc_futures_bot", help="username getMe answers with")


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted; prints the URL template for ``telebot.apihelper.API_URL``."""
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    in_main = threading.current_thread() is threading.main_thread()  # signals can only be set there
    previous = signal.signal(signal.SIGTERM, on_signal) if in_main else None
    try:
        token = None if args.any_token else args.token
        handle = start_fake_telegram(token, args.port, args.host, bot_username=args.bot_username)
    except (OSError, RuntimeError, TimeoutError) as error:
        print(f"fake Telegram could not start: {error}", file=sys.stderr)
        if in_main:
            signal.signal(signal.SIGTERM, previous)
        return 1
    print(f"fake Telegram listening on {handle.base_url}", flush=True)
    print(f"  telegram api_url : {handle.api_url}", flush=True)
    print(f"  control API      : {handle.control_url}/health", flush=True)
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
        if in_main:
            signal.signal(signal.SIGTERM, previous)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Stand-alone entry: ``python -m simulator.telegram.cli --port 8081``."""
    parser = argparse.ArgumentParser(prog="fake-telegram", description=__doc__)
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
