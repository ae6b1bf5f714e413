"""The simulator's virtual clock: real time, accelerated, or stepped by a caller.

The bot's demo mode and tests read it directly (:meth:`VirtualClock.now_ms`); thread-safe for readers.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from enum import StrEnum


class ClockMode(StrEnum):
    REALTIME = "realtime"
    ACCELERATED = "accelerated"
    STEPPED = "stepped"


class VirtualClock:
    """Simulated milliseconds since the epoch.

    Real time and accelerated modes run at ``speed`` simulated seconds per real second from ``start_ms``
    (real time is speed 1); stepped mode stands still until :meth:`set` moves it (only forward).
    """

    def __init__(
        self, start_ms: int, speed: float = 1.0, stepped: bool = False, wall: Callable[[], float] = time.monotonic
    ) -> None:
        if speed <= 0:
            raise ValueError("speed must be positive")
        self._start_ms = int(start_ms)
        self._speed = float(speed)
        self._wall = wall
        self._wall0 = wall()
        self._stepped_ms = int(start_ms)
        self.mode = ClockMode.STEPPED if stepped else (ClockMode.REALTIME if speed == 1 else ClockMode.ACCELERATED)

    @property
    def speed(self) -> float:
        return self._speed

    @property
    def stepped(self) -> bool:
        return self.mode is ClockMode.STEPPED

    def now_ms(self) -> int:
        if self.mode is ClockMode.STEPPED:
            return self._stepped_ms
        return self._start_ms + int((self._wall() - self._wall0) * 1000.0 * self._speed)

    def set(self, ts_ms: int) -> None:
        """Stepped mode: move to ``ts_ms`` (never backwards)."""
        if self.mode is not ClockMode.STEPPED:
            raise RuntimeError("only a stepped clock can be set")
        self._stepped_ms = max(self._stepped_ms, int(ts_ms))

    def real_seconds(self, sim_ms: float) -> float:
        """How long ``sim_ms`` simulated milliseconds take in real time (0 when stepped)."""
        return 0.0 if self.stepped else sim_ms / 1000.0 / self._speed
