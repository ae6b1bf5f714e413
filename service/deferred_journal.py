"""Journal writes that survive a locked database or a full disk.

Why: every actor writes its journal (signals, risk decisions, equity snapshots, important events) to
SQLite. When another process holds the write lock beyond the busy timeout (a backup, a curious
``sqlite3`` shell, a second bot started by mistake) or the disk is full, the write raises
``DatabaseLockedError``/``DiskFullError``. Raised inside an actor, that crashes it; a lock of half a
minute crashes the same actors again and again until the root supervisor gives up and the whole bot
exits — for a journal line. These writes are append-only records whose only reader is reporting, so
the right answer is to keep them, in order, and write them once the database works again: the bot
stays up, says what is happening, and loses nothing it meant to record.

Everything else (order intents, fills, trades, sequences, reads) passes through unchanged: those
are part of order handling, whose failure must stay visible to the actor that depends on it.
"""

from __future__ import annotations

import logging
import threading
from collections import deque
from collections.abc import Callable
from typing import Any

from storage import DatabaseLockedError, DiskFullError, StorageError

log = logging.getLogger(__name__)

TRANSIENT = (DatabaseLockedError, DiskFullError)


class DeferredJournal:
    """Wraps ``storage.Storage`` for the actors; journal writes that fail transiently are retried."""

    def __init__(self, storage: Any, now_ms: Callable[[], int], health: Any = None, retry_s: float = 2.0,
                 max_pending: int = 50_000) -> None:
        self._storage = storage
        self._now_ms = now_ms
        self.health = health
        self.retry_s = retry_s
        self._pending: deque[tuple[str, dict[str, Any]]] = deque()
        self._max_pending = max_pending
        self._lock = threading.Lock()
        self._flush_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = False
        self._thread: threading.Thread | None = None
        self.dropped = 0

    def __getattr__(self, name: str) -> Any:  # reads, order handling, atomic(), path...: unchanged
        return getattr(self._storage, name)

    def __repr__(self) -> str:
        return f"DeferredJournal({self._storage!r}, pending={self.pending})"

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    # --------------------------------------------------------------- the journal writes
    def record_signal(self, **fields: Any) -> Any:
        return self._write("record_signal", fields)

    def record_risk_decision(self, **fields: Any) -> Any:
        return self._write("record_risk_decision", fields)

    def snapshot_equity(self, **fields: Any) -> Any:
        return self._write("snapshot_equity", fields)

    def record_event(self, kind: str, message: str, **fields: Any) -> Any:
        return self._write("record_event", {"kind": kind, "message": message, **fields})

    def _write(self, method: str, fields: dict[str, Any]) -> Any:
        with self._lock:
            behind_others = bool(self._pending)
        if not behind_others:  # the common case: written now, as before
            try:
                return getattr(self._storage, method)(**fields)
            except TRANSIENT as exc:
                self._defer(method, fields, exc)
                return None
        self._defer(method, fields, None)  # keep the order: after what is already waiting
        return None

    def _defer(self, method: str, fields: dict[str, Any], error: StorageError | None) -> None:
        if method == "record_event" and fields.get("ts_ms") is None:
            fields = {**fields, "ts_ms": self._now_ms()}  # the time it happened, not the time it is written
        with self._lock:
            first = not self._pending
            self._pending.append((method, fields))
            if len(self._pending) > self._max_pending:
                self._pending.popleft()
                self.dropped += 1
            count = len(self._pending)
        if self.health is not None:
            self.health.set("storage.pending", count)
        if first:
            if self.health is not None:
                self.health.increment("storage.outages")
            log.error("database unavailable, journal writes are kept and retried every %.0fs: %s",
                      self.retry_s, error if error is not None else "earlier writes are waiting")
            self._start_retrying()

    def _start_retrying(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            self._wake.set()
            return
        self._thread = threading.Thread(target=self._retry_loop, name="journal-retry", daemon=True)
        self._thread.start()

    def _retry_loop(self) -> None:
        while not self._closed:
            self._wake.wait(self.retry_s)
            self._wake.clear()
            if self._closed or self.flush() == 0:
                return

    def flush(self) -> int:
        """Write what is waiting, in order; returns how many are still waiting."""
        with self._flush_lock:
            written = 0
            while True:
                with self._lock:
                    if not self._pending:
                        break
                    method, fields = self._pending[0]
                try:
                    getattr(self._storage, method)(**fields)
                except TRANSIENT:
                    break
                except StorageError as exc:  # not transient (e.g. a duplicate): writing it again cannot help
                    log.error("a deferred %s could not be stored: %s", method, exc)
                with self._lock:
                    self._pending.popleft()
                written += 1
            left = self.pending
        if self.health is not None:
            self.health.set("storage.pending", left)
        if written and not left:
            log.warning("database writable again: %d deferred journal write(s) stored", written)
        return left

    def close(self) -> None:
        """Last try, then close the database; says how many journal writes could not be stored."""
        self._closed = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)
        left = self.flush()
        if left or self.dropped:
            log.error("%d journal write(s) could not be stored before shutdown (database still unavailable)",
                      left + self.dropped)
        self._storage.close()
