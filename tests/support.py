"""Test helpers shared by every suite: polling instead of sleeping, free ports, the shared data folder."""

from __future__ import annotations

import socket
import time
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import pytest

T = TypeVar("T")

REPO_ROOT = Path(__file__).resolve().parent.parent
SHARED_DIR = REPO_ROOT.parent / "shared"
KLINES_DIR = SHARED_DIR / "data" / "klines" / "binance-usdm-2025-05"
EXCHANGE_INFO_FILE = SHARED_DIR / "data" / "exchange" / "exchangeInfo-usdc-2025-12-24.json"
WS_EXAMPLES_DIR = SHARED_DIR / "data" / "ws" / "docs-examples"
REST_EXAMPLES_DIR = SHARED_DIR / "data" / "rest" / "docs-examples"


def eventually(
    condition: Callable[[], T],
    timeout: float = 10.0,
    interval: float = 0.01,
    message: str | Callable[[], str] = "condition not met",
) -> T:
    """Poll ``condition`` until it returns a truthy value and return that value.

    Whole-system tests wait for observable state instead of sleeping a fixed time: they finish as
    soon as the system is ready and fail with a message that says what never happened.
    """
    deadline = time.monotonic() + timeout
    last_error: Exception | None = None
    while True:
        try:
            value = condition()
            if value:
                return value
        except AssertionError as exc:  # an assertion inside the condition means "not yet"
            last_error = exc
        if time.monotonic() >= deadline:
            text = message() if callable(message) else message
            if last_error is not None:
                text = f"{text} (last assertion: {last_error})"
            raise AssertionError(f"after {timeout:.1f}s: {text}")
        time.sleep(interval)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def require_shared_data(path: Path = KLINES_DIR) -> Path:
    """Skip the calling test with a clear reason when ``../shared`` (real market data) is absent."""
    if not path.exists():
        pytest.skip(f"needs the shared real-data folder {path} (present in CI, absent on a fresh clone)")
    return path


# Subprocess bots in tests exercise the machinery, not the tuned profile: a strategy that signals often
# (the tuned profiles trade about once a day, too rarely for a test to wait for).
FREQUENT_SIGNAL_ENV = {
    "BOT__STRATEGY__TRIGGERS": "ema_cross,macd_cross,rsi_reversal",
    "BOT__STRATEGY__CONFIRMATIONS": "trend,rsi_zone,macd_momentum,volume",
    "BOT__STRATEGY__MIN_CONFIRMATIONS": "1",
    "BOT__STRATEGY__VOLUME_FACTOR": "1.2",
    "BOT__STRATEGY__ATR_MIN_PCT": "0.05",
}
