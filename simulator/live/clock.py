"""The paper exchange's clock: the source's time minus a fixed delay, and never past the known data.

Rule (README "Paper mode"): ``now = min(source time - delay, frontier)``, never decreasing.

- *source time* is estimated from the source's ``/fapi/v1/time``: anchored at a reading and run at
  ``speed`` (1 against Binance; a test source may be accelerated), re-anchored when a later reading
  differs by more than ``tolerance_ms``. A reading behind the estimate cannot move the clock back: it
  holds still until the estimate has caught up (the monotone guard).
- *frontier* is the time up to which every symbol's candles are final (present, or known to be a gap
  of the source): the engine evaluates intrabar paths per candle, so it must never stand inside a
  candle it does not have yet. When the source is late or unreachable the clock halts at the frontier;
  when the data arrives it resumes at ``source time - delay`` (it catches up at once, it does not stay
  further behind).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from simulator.clock import VirtualClock


class LiveClock(VirtualClock):
    """A real-time (or ``speed``) clock ``delay_ms`` behind the source, capped at the data frontier."""

    def __init__(
        self,
        source_ms: int,
        delay_ms: int,
        frontier_ms: int,
        speed: float = 1.0,
        wall: Callable[[], float] = time.monotonic,
        tolerance_ms: int | None = None,
    ) -> None:
        super().__init__(source_ms - delay_ms, speed, stepped=False, wall=wall)
        self.delay_ms = int(delay_ms)
        # One real second of disagreement is noise (request latency, a scheduler hiccup), not drift.
        self.tolerance_ms = int(tolerance_ms if tolerance_ms is not None else 1000 * speed)
        self._anchor = (int(source_ms), wall())  # replaced as a whole: readers on other threads never see half
        self._frontier = int(frontier_ms)
        self._last = min(int(source_ms) - self.delay_ms, self._frontier)
        self._lock = threading.Lock()

    @property
    def frontier_ms(self) -> int:
        return self._frontier

    def source_estimate_ms(self) -> int:
        """The source's time now, as estimated from the last anchor."""
        anchor_ms, anchor_wall = self._anchor
        return anchor_ms + int((self._wall() - anchor_wall) * 1000.0 * self._speed)

    def now_ms(self) -> int:
        value = min(self.source_estimate_ms() - self.delay_ms, self._frontier)
        with self._lock:
            self._last = max(self._last, value)
            return self._last

    @property
    def halted(self) -> bool:
        """True while the clock waits for data (the source is late or unreachable)."""
        return self.source_estimate_ms() - self.delay_ms > self._frontier

    def observe_source(self, source_ms: int) -> None:
        """A fresh reading of the source's time (taken just before a request was sent)."""
        if abs(int(source_ms) - self.source_estimate_ms()) > self.tolerance_ms:
            self._anchor = (int(source_ms), self._wall())

    def advance_frontier(self, frontier_ms: int) -> None:
        """Every candle closing at or before ``frontier_ms`` is final (only moves forward)."""
        if frontier_ms > self._frontier:
            self._frontier = int(frontier_ms)

    def set(self, ts_ms: int) -> None:
        raise RuntimeError("the paper exchange's clock follows the source; it cannot be set")
