"""What the NotifierActor tells the owner (Telegram) and writes to the important-event log."""

from __future__ import annotations

from typing import Literal

from messages.base import Event

NotificationKind = Literal[
    "entry",
    "exit",
    "pause",
    "risk_limit",
    "quarantine",
    "feed",
    "reconciliation",
    "error",
    "daily_summary",
    "info",
]
Level = Literal["info", "warning", "error"]


class Notify(Event, frozen=True, kw_only=True):
    """An important event in words. ``kind`` selects the on/off switch in ``telegram.notify_*``."""

    kind: NotificationKind
    level: Level
    text: str
    symbol: str = ""
    correlation_id: str = ""
