"""NotifierActor: important events in words — to the log, to the database (``/logs``) and to the
owner's channels (Telegram, when configured). Sending never blocks trading: sinks queue and drop."""

from __future__ import annotations

import logging
from typing import Any, Protocol

from actors.base import BotActor
from actors.context import BotContext
from core.notification_text import describe
from messages.notifications import Notify

log = logging.getLogger(__name__)
_LEVELS = {"info": logging.INFO, "warning": logging.WARNING, "error": logging.ERROR}


class NotificationSink(Protocol):
    """Somewhere notifications go (e.g. Telegram). ``submit`` must return at once."""

    def submit(self, notification: Notify) -> None: ...


class NotifierActor(BotActor):
    """Turns events into ``Notify`` texts and fans them out."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str,
                 sinks: list[NotificationSink] | None = None) -> None:
        super().__init__(ctx, name, supervisor)
        self.sinks = list(sinks or [])

    def add_sink(self, sink: NotificationSink) -> None:
        self.sinks.append(sink)

    def receive(self, message: Any) -> Any:
        notification = describe(message, self.ctx.clock.now_ms())
        if notification is None:
            return super().receive(message)
        log.log(_LEVELS.get(notification.level, logging.INFO), "notify [%s] %s", notification.kind, notification.text)
        self.ctx.storage.record_event(notification.kind, notification.text, level=notification.level,
                                      ts_ms=notification.ts_event, symbol=notification.symbol or None,
                                      correlation_id=notification.correlation_id or None)
        for sink in self.sinks:
            try:
                sink.submit(notification)
            except Exception:  # a broken channel must never stop the others, nor the bot
                log.exception("notification sink %r failed", sink)
        return None
