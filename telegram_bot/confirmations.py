"""Pending confirmations of dangerous commands (/panic, /close): single use, expiring, unguessable.

The inline button carries only a random token; what it confirms stays here. So a button cannot be
forged into another action, a pressed button cannot be replayed, and a button from before a restart
(or older than the time to live) does nothing. Time is injected (monotonic seconds) to keep this pure.
"""

from __future__ import annotations

import secrets
import threading
from dataclasses import dataclass

CONFIRM = "ok"
CANCEL = "no"


@dataclass(frozen=True, slots=True)
class Pending:
    """What a button confirms: ``action`` (panic/close), its argument, who asked, where, until when."""

    token: str
    action: str
    argument: str
    requested_by: int
    chat_id: int
    expires_at: float


@dataclass(frozen=True, slots=True)
class Answer:
    """The outcome of a press. ``status``: confirmed (``pending`` is set), cancelled, expired (the
    question still shows its buttons: say so there), or invalid (unknown, used, another chat)."""

    status: str
    pending: Pending | None
    reason: str = ""


class Confirmations:
    """Thread-safe store of pending confirmations."""

    def __init__(self, ttl_s: float) -> None:
        self.ttl_s = ttl_s
        self._lock = threading.Lock()
        self._pending: dict[str, Pending] = {}

    def create(self, action: str, argument: str, requested_by: int, chat_id: int, now: float) -> Pending:
        pending = Pending(secrets.token_urlsafe(12), action, argument, requested_by, chat_id, now + self.ttl_s)
        with self._lock:
            self._purge(now)
            self._pending[pending.token] = pending
        return pending

    @staticmethod
    def button_data(pending: Pending, choice: str) -> str:
        return f"{choice}:{pending.token}"  # well under Telegram's 64-byte callback_data limit

    def press(self, data: str | None, chat_id: int | None, now: float) -> Answer:
        """Consume the confirmation named by the button's ``data`` (the caller has authorized the presser)."""
        choice, _, token = (data or "").partition(":")
        if choice not in (CONFIRM, CANCEL) or not token:
            return Answer("invalid", None, "unknown button")
        with self._lock:
            pending = self._pending.get(token)
            if pending is not None and pending.chat_id == chat_id:
                del self._pending[token]
            self._purge(now)
        if pending is None:
            return Answer("invalid", None, "no longer valid (already used, or from before a restart)")
        if pending.chat_id != chat_id:
            return Answer("invalid", None, "this confirmation belongs to another chat")
        if now > pending.expires_at:
            return Answer("expired", None, f"expired after {self.ttl_s:.0f} s")
        if choice == CANCEL:
            return Answer("cancelled", None, "cancelled")
        return Answer("confirmed", pending)

    def purge(self, now: float) -> None:
        with self._lock:
            self._purge(now)

    def _purge(self, now: float) -> None:
        for token in [t for t, p in self._pending.items() if now > p.expires_at]:
            del self._pending[token]

    def __len__(self) -> int:
        with self._lock:
            return len(self._pending)
