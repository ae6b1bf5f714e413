"""Injected clocks. Nothing that decides reads the wall clock directly.

In demo and backtest the bot's time is the exchange's (simulated) time, so a 10-minute max hold takes
10 seconds at 60× and the daily loss limit resets at the simulated UTC midnight.
"""

from __future__ import annotations

import threading
import time
from typing import Protocol


class Clock(Protocol):
    """Anything that tells the time in integer milliseconds since the epoch (UTC)."""

    def now_ms(self) -> int: ...


class SystemClock:
    """Wall-clock time."""

    def now_ms(self) -> int:
        return time.time_ns() // 1_000_000


class ManualClock:
    """A clock tests and the backtest move by hand. Thread-safe."""

    def __init__(self, start_ms: int = 0) -> None:
        self._now = start_ms
        self._lock = threading.Lock()

    def now_ms(self) -> int:
        with self._lock:
            return self._now

    def set(self, ms: int) -> None:
        with self._lock:
            if ms < self._now:
                raise ValueError(f"time cannot go backwards: {ms} < {self._now}")
            self._now = ms

    def advance(self, ms: int) -> int:
        with self._lock:
            self._now += ms
            return self._now


class ServerClock:
    """Follows an exchange's clock: ``offset`` learnt from ``/fapi/v1/time`` and event times, and an
    optional ``speed`` (simulated seconds per real second) for an external accelerated simulator."""

    def __init__(self, base: Clock | None = None, speed: float = 1.0) -> None:
        self._base = base or SystemClock()
        self._speed = speed
        self._lock = threading.Lock()
        self._anchor_local = self._base.now_ms()
        self._anchor_server = self._anchor_local

    def sync(self, server_ms: int, round_trip_ms: int = 0) -> None:
        """Re-anchor on a server time read that took ``round_trip_ms`` (assume it is mid-way)."""
        with self._lock:
            self._anchor_local = self._base.now_ms() - round_trip_ms // 2
            self._anchor_server = server_ms

    def now_ms(self) -> int:
        with self._lock:
            elapsed = self._base.now_ms() - self._anchor_local
            return self._anchor_server + int(elapsed * self._speed)

    def offset_ms(self) -> int:
        """Server time minus local time (positive: the server is ahead)."""
        return self.now_ms() - self._base.now_ms()


MINUTE_MS = 60_000
DAY_MS = 86_400_000


def utc_day_start(ms: int) -> int:
    """The UTC midnight at or before ``ms``."""
    return ms - ms % DAY_MS
