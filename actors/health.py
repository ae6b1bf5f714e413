"""HealthBoard: what each actor publishes about itself for ``/status``, ``/health`` and the status line.

Observability only (like a metrics registry): actors write their own entries, readers take snapshots;
no decision is ever taken from it.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import Any


@dataclass
class HealthBoard:
    started_mono: float = field(default_factory=time.monotonic)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _values: dict[str, Any] = field(default_factory=dict)
    _counters: dict[str, int] = field(default_factory=dict)

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
