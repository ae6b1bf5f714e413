"""Restart decisions for supervisors: Erlang/OTP one_for_one intensity with Akka-style backoff.

A child may fail at most ``max_restarts`` times within ``within_ms``; each restart waits an
exponentially growing, jittered delay (so many failing children do not restart in lockstep). Beyond
the intensity the supervisor gives up on the child: a symbol is quarantined, a shared actor brings
the process down in order. Pure: the time is passed in, the jitter comes from an injected RNG.
"""

from __future__ import annotations

import random
from collections import deque
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Restart:
    delay_ms: int
    attempt: int


@dataclass(frozen=True, slots=True)
class GiveUp:
    failures: int


class RestartTracker:
    """Failure history of one child."""

    def __init__(self, max_restarts: int, within_ms: int, backoff_initial_ms: int, backoff_max_ms: int,
                 rng: random.Random | None = None) -> None:
        self.max_restarts = max_restarts
        self.within_ms = within_ms
        self.backoff_initial_ms = backoff_initial_ms
        self.backoff_max_ms = backoff_max_ms
        self.rng = rng or random.Random(0)
        self._failures: deque[int] = deque()
        self.total_restarts = 0

    def on_failure(self, now_ms: int) -> Restart | GiveUp:
        """Record a failure at ``now_ms`` and decide: restart after a delay, or give up."""
        self._failures.append(now_ms)
        while self._failures and now_ms - self._failures[0] > self.within_ms:
            self._failures.popleft()
        recent = len(self._failures)
        if recent > self.max_restarts:
            return GiveUp(failures=recent)
        base = min(self.backoff_max_ms, self.backoff_initial_ms * 2 ** (recent - 1))
        jitter = self.rng.uniform(0.5, 1.0)  # "equal jitter": never less than half the backoff
        self.total_restarts += 1
        return Restart(delay_ms=int(base * jitter), attempt=recent)

    def recent_failures(self, now_ms: int) -> int:
        return sum(1 for t in self._failures if now_ms - t <= self.within_ms)
