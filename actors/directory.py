"""Name → ActorRef lookup, updated by supervisors when they restart a child.

Senders look actors up by name at every send ("never through a stale ref"): after a restart, the new
instance answers under the same name, and messages sent while a child is down are dropped with a log
line instead of raising in the sender.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

import pykka

log = logging.getLogger(__name__)

ROOT = "root"
EXCHANGE = "exchange"
FEED = "feed"
USER_STREAM = "user_stream"
RISK = "risk"
ORDER = "order"
NOTIFIER = "notifier"
SCANNER = "scanner"
SYMBOLS = "symbols"
TELEGRAM = "telegram"


def symbol_actor_name(symbol: str) -> str:
    return f"symbol:{symbol}"


class ActorDirectory:
    """Thread-safe registry of the live actors of one bot instance."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._refs: dict[str, pykka.ActorRef[Any]] = {}
        self.dropped = 0

    def register(self, name: str, ref: pykka.ActorRef[Any]) -> None:
        with self._lock:
            self._refs[name] = ref

    def unregister(self, name: str, ref: pykka.ActorRef[Any] | None = None) -> None:
        with self._lock:
            if ref is None or self._refs.get(name) is ref:
                self._refs.pop(name, None)

    def get(self, name: str) -> pykka.ActorRef[Any] | None:
        with self._lock:
            return self._refs.get(name)

    def names(self) -> list[str]:
        with self._lock:
            return sorted(self._refs)

    def tell(self, name: str, message: object) -> bool:
        """Send ``message`` to ``name``; False (and a debug line) if it is not running right now."""
        ref = self.get(name)
        if ref is None:
            self.dropped += 1
            log.debug("no actor %s: dropped %s", name, type(message).__name__)
            return False
        try:
            ref.tell(message)
            return True
        except pykka.ActorDeadError:
            self.dropped += 1
            log.debug("actor %s is dead: dropped %s", name, type(message).__name__)
            return False
