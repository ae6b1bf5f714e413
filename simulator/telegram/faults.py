"""Switchable failures: 429 rate limits, 5xx answers, hanging requests, flood control, outages.

A bot that talks to Telegram for weeks meets all of these; the fake lets a test turn each one on
for the next K calls or for a time window and check that the bot backs off, retries, or gives up
without losing its trading loop. Rules are matched per Bot API method; by default they spare
getUpdates, so that a test aimed at the notifier is not consumed by the polling loop.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Literal

FaultKind = Literal["rate_limit", "server_error", "hang", "lose_answer"]
DownMode = Literal["refuse", "drop", "502"]
DOWN_MODES: tuple[str, ...] = ("refuse", "drop", "502")

# Methods that put something in a chat: the ones Telegram's flood control counts.
_FLOOD_METHODS = frozenset(
    {"sendmessage", "sendphoto", "senddocument", "editmessagetext", "editmessagereplymarkup"}
)


@dataclass
class Fault:
    """One rule: what to answer, for which methods, for how many calls or until when."""

    kind: FaultKind
    methods: frozenset[str] | None  # lower-case names; None = every method except getUpdates
    calls_left: int | None = None
    until: float | None = None  # time.monotonic() deadline
    retry_after: int = 1
    status: int = 500
    hang_for: float | None = None  # None = until released or the client gives up

    def active(self, now: float) -> bool:
        """Still in force (calls remain and the window has not passed)."""
        if self.calls_left is not None and self.calls_left <= 0:
            return False
        return self.until is None or now < self.until

    def applies_to(self, method: str) -> bool:
        """Whether a call of ``method`` (lower case) is hit by this rule."""
        if self.methods is None:
            return method != "getupdates"
        return "*" in self.methods or method in self.methods


@dataclass
class _Bucket:
    tokens: float
    stamp: float


@dataclass
class FloodControl:
    """Token buckets like Telegram's: per chat (about 1/s with a short burst) and global (30/s)."""

    per_chat_rate: float = 1.0
    per_chat_burst: int = 3
    global_rate: float = 30.0
    buckets: dict[object, _Bucket] = field(default_factory=dict)

    def take(self, chat_id: object, now: float) -> int:
        """Consume a token for ``chat_id``; returns 0 when allowed, else seconds to retry after."""
        waits = [
            self._take(("chat", chat_id), self.per_chat_rate, self.per_chat_burst, now),
            self._take("global", self.global_rate, max(1, int(self.global_rate)), now),
        ]
        worst = max(waits)
        if worst > 0:
            return max(1, math.ceil(worst))
        return 0

    def _take(self, key: object, rate: float, burst: int, now: float) -> float:
        bucket = self.buckets.setdefault(key, _Bucket(float(burst), now))
        bucket.tokens = min(float(burst), bucket.tokens + (now - bucket.stamp) * rate)
        bucket.stamp = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            return 0.0
        return (1.0 - bucket.tokens) / rate


class FaultPlan:
    """The active rules and flood control; safe to change from any thread."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._flood: FloodControl | None = None

    def add(
        self,
        kind: FaultKind,
        *,
        calls: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
        retry_after: int = 1,
        status: int = 500,
        hang_for: float | None = None,
    ) -> Fault:
        """Add a rule. Without ``calls`` and ``seconds`` it stays until :meth:`clear`."""
        if calls is not None and calls < 1:
            raise ValueError("calls must be at least 1")
        fault = Fault(
            kind=kind,
            methods=None if methods is None else frozenset(m.lower() for m in methods),
            calls_left=calls,
            until=None if seconds is None else time.monotonic() + seconds,
            retry_after=retry_after,
            status=status,
            hang_for=hang_for,
        )
        with self._lock:
            self._faults.append(fault)
        return fault

    def match(self, method: str) -> Fault | None:
        """The first active rule for this call, consuming one of its calls."""
        now = time.monotonic()
        with self._lock:
            self._faults = [f for f in self._faults if f.active(now)]
            for fault in self._faults:
                if fault.applies_to(method.lower()):
                    if fault.calls_left is not None:
                        fault.calls_left -= 1
                    return fault
        return None

    def flood_wait(self, method: str, chat_id: object) -> int:
        """Seconds of ``retry_after`` when flood control refuses this call, else 0."""
        with self._lock:
            if self._flood is None or method.lower() not in _FLOOD_METHODS:
                return 0
            return self._flood.take(chat_id, time.monotonic())

    def set_flood_control(self, flood: FloodControl | None) -> None:
        """Enable (with these rates) or disable (None) realistic flood control."""
        with self._lock:
            self._flood = flood

    def clear(self) -> None:
        """Remove every rule and flood control (the outage switch lives in the server)."""
        with self._lock:
            self._faults = []
            self._flood = None

    def active(self) -> list[Fault]:
        """The rules still in force."""
        now = time.monotonic()
        with self._lock:
            return [f for f in self._faults if f.active(now)]
