"""One request-weight budget for the whole process.

Binance counts request weight per IP per minute (6000 on USDⓈ-M futures); every response reports the
count so far in ``X-MBX-USED-WEIGHT-1M``. The budget reserves weight before a request (so concurrent
callers cannot overshoot together), corrects itself from the header, and after a 429/418 blocks new
requests until ``Retry-After`` has passed — a 418 means the IP is banned, and hammering makes it longer.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

MINUTE_MS = 60_000


class WeightBudget:
    """Thread-safe weight accounting for one-minute windows aligned like Binance's (clock minutes)."""

    def __init__(self, limit_per_minute: int, now_ms: Callable[[], int] | None = None,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        self.limit = limit_per_minute
        self._now_ms = now_ms or (lambda: time.time_ns() // 1_000_000)
        self._sleep = sleep
        self._lock = threading.Lock()
        self._window = -1
        self._used = 0
        self._blocked_until_mono = 0.0  # Retry-After is in real seconds, whatever the budget's clock
        self.rejections = 0

    @property
    def used(self) -> int:
        with self._lock:
            self._roll(self._now_ms())
            return self._used

    def _roll(self, now: int) -> None:
        window = now // MINUTE_MS
        if window != self._window:
            self._window = window
            self._used = 0

    def wait_time_s(self, weight: int) -> float:
        """Seconds until ``weight`` may be spent (0 when it may be spent now)."""
        with self._lock:
            now = self._now_ms()
            self._roll(now)
            blocked = self._blocked_until_mono - time.monotonic()
            if blocked > 0:
                return blocked
            if self._used + weight <= self.limit or self._used == 0:
                return 0.0
            return (MINUTE_MS - now % MINUTE_MS) / 1000 + 0.01

    def acquire(self, weight: int, max_wait_s: float = 60.0) -> bool:
        """Reserve ``weight``, waiting at most ``max_wait_s``; False when that was not enough."""
        deadline = time.monotonic() + max_wait_s
        while True:
            with self._lock:
                now = self._now_ms()
                self._roll(now)
                free = time.monotonic() >= self._blocked_until_mono
                if free and (self._used + weight <= self.limit or self._used == 0):
                    self._used += weight
                    return True
            wait = self.wait_time_s(weight)
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return False
            # ``wait`` is in the budget clock's seconds, which may run faster than real ones (an
            # accelerated simulator): poll briefly rather than oversleep.
            self._sleep(min(max(wait, 0.005), remaining, 0.05))

    def observe_used_weight(self, used: int) -> None:
        """The exchange's own count is the truth (other processes on the same IP count too)."""
        with self._lock:
            self._roll(self._now_ms())
            self._used = max(self._used, used)

    def block_for(self, seconds: float) -> None:
        """After a 429/418: no request leaves before ``seconds`` have passed."""
        with self._lock:
            self.rejections += 1
            self._blocked_until_mono = max(self._blocked_until_mono, time.monotonic() + seconds)

    def blocked_for_s(self) -> float:
        with self._lock:
            return max(0.0, self._blocked_until_mono - time.monotonic())
