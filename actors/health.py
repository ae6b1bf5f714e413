"""HealthBoard: what each actor publishes about itself for ``/status``, ``/health`` and the status line.

Observability only (like a metrics registry): actors write their own entries, readers take snapshots;
no decision is ever taken from it.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

MAX_SAMPLES = 2000


@dataclass
class HealthBoard:
    started_mono: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _values: dict[str, Any] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)
    _starts: dict[str, float] = field(default_factory=dict)
    _samples: dict[str, deque[float]] = field(default_factory=dict)

    def set(self, key: str, value: Any) -> None:
        with self._lock:
            self._values[key] = value

    def get(self, key: str, default: Any = None) -> Any:
        with self._lock:
            return self._values.get(key, default)

    def increment(self, key: str, by: int = 1) -> int:
        with self._lock:
            self._counters[key] = self._counters.get(key, 0) + by
            return self._counters[key]

    def counter(self, key: str) -> int:
        with self._lock:
            return self._counters.get(key, 0)

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {"values": dict(self._values), "counters": dict(self._counters),
                    "uptime_s": time.monotonic() - self.started_mono}

    # --- latency: a start mark under a key (e.g. a correlation id), finished later by another actor
    def mark(self, key: str, mono: float | None = None) -> None:
        with self._lock:
            self._starts[key] = time.monotonic() if mono is None else mono
            if len(self._starts) > MAX_SAMPLES:  # marks that never finish (no entry) must not pile up
                for old in list(self._starts)[: len(self._starts) - MAX_SAMPLES]:
                    del self._starts[old]

    def finish(self, key: str, name: str) -> float | None:
        """Record the seconds since ``mark(key)`` as a sample of ``name``; None if there was no mark."""
        with self._lock:
            start = self._starts.pop(key, None)
            if start is None:
                return None
            elapsed = time.monotonic() - start
            self._samples.setdefault(name, deque(maxlen=MAX_SAMPLES)).append(elapsed)
            return elapsed

    def latencies(self, name: str) -> list[float]:
        with self._lock:
            return list(self._samples.get(name, ()))
