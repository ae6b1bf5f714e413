"""The NotifierActor's Telegram sink, the feed-outage threshold and the daily summary schedule.

``TelegramSink.submit`` runs on the NotifierActor's thread, so it only filters and enqueues (the
sender thread does the network). What is worth sending is decided by pure pieces: the per-kind
switches of ``telegram.notify_*``, :class:`FeedOutageFilter` (a REST fallback is reported only once
it has lasted ``feed_outage_notify_s``; a shorter blip and its recovery are not reported at all) and
:func:`summary_due` (the daily summary hour on the bot's clock, UTC).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from messages.notifications import Notify

log = logging.getLogger(__name__)

DAY_MS = 86_400_000
HOUR_MS = 3_600_000

# Notify.kind -> the TelegramSettings switch; kinds not listed (``info``: e.g. the /panic report) always go.
SWITCHES = {
    "entry": "notify_entries",
    "exit": "notify_exits",
    "pause": "notify_pauses",
    "risk_limit": "notify_risk_limits",
    "quarantine": "notify_quarantine",
    "feed": "notify_feed",
    "reconciliation": "notify_reconciliation",
    "error": "notify_errors",
    "daily_summary": "notify_daily_summary",
}
_PREFIX = {"warning": "⚠️ ", "error": "🚨 "}


def wanted(kind: str, telegram_settings: Any) -> bool:
    switch = SWITCHES.get(kind)
    return True if switch is None else bool(getattr(telegram_settings, switch, True))


def notification_text(notification: Notify) -> str:
    return _PREFIX.get(notification.level, "") + notification.text


@dataclass
class FeedOutageFilter:
    """Holds back "fell back to REST" for ``threshold_s`` (monotonic time, like the feed's own
    staleness clock); reports the recovery only of outages that were reported.

    ``describe`` makes a FeedStale a ``feed`` notification at level warning and a FeedRecovered one
    at level info; that is how the two are told apart here.
    """

    threshold_s: float
    held: dict[str, tuple[float, Notify]] = field(default_factory=dict)
    reported: set[str] = field(default_factory=set)

    def on_notify(self, notification: Notify, now: float) -> list[Notify]:
        if notification.kind != "feed":
            return [notification]
        symbol = notification.symbol
        if notification.level != "info":  # stale: REST polling took over
            if symbol in self.reported or symbol in self.held:
                return []
            if self.threshold_s <= 0:
                self.reported.add(symbol)
                return [notification]
            self.held[symbol] = (now, notification)
            return []
        if self.held.pop(symbol, None) is not None:
            return []  # recovered before the threshold: a blip the owner need not hear about
        if symbol in self.reported:
            self.reported.discard(symbol)
            return [notification]
        return []

    def due(self, now: float) -> list[Notify]:
        out = []
        for symbol, (since, notification) in list(self.held.items()):
            if now - since >= self.threshold_s:
                del self.held[symbol]
                self.reported.add(symbol)
                out.append(notification)
        return out


class TelegramSink:
    """Registered with the NotifierActor (``add_sink``); ``submit`` returns at once."""

    def __init__(self, settings: Callable[[], Any], chats: Callable[[], tuple[int, ...]],
                 enqueue: Callable[[int, str], None], monotonic: Callable[[], float] = time.monotonic) -> None:
        self._settings = settings
        self._chats = chats
        self._enqueue = enqueue
        self._now = monotonic
        self._lock = threading.Lock()
        self.feed = FeedOutageFilter(settings().feed_outage_notify_s)
        self.closed = False

    def submit(self, notification: Notify) -> None:
        if self.closed or not wanted(notification.kind, self._settings()):
            return
        with self._lock:
            ready = self.feed.on_notify(notification, self._now())
        self._send(ready)

    def flush_due(self) -> None:
        """Called by the housekeeping thread: send feed outages that have now lasted long enough."""
        with self._lock:
            ready = self.feed.due(self._now())
        self._send(ready)

    def _send(self, notifications: list[Notify]) -> None:
        for notification in notifications:
            text = notification_text(notification)
            for chat in self._chats():
                self._enqueue(chat, text)

    def __repr__(self) -> str:
        return "TelegramSink()"


def summary_due(previous_ms: int, now_ms: int, hour_utc: int) -> int | None:
    """The daily-summary moment (``hour_utc``:00 UTC of some day) in ``(previous_ms, now_ms]``, if any.

    Only a crossing counts, so a start after the hour does not send a summary at once, and a clock
    that jumps forward several days sends one summary, for the latest moment.
    """
    if now_ms <= previous_ms:
        return None
    offset = hour_utc * HOUR_MS
    latest = (now_ms - offset) // DAY_MS * DAY_MS + offset
    return latest if latest > previous_ms else None
