"""Starts the Telegram side of a running bot (control and notifications), or nothing when no token
is configured. The bot calls :func:`start_telegram` once its actor tree is up and ``stop()`` on the
returned handle when it shuts down.

Threads (none of them an actor thread, none of them able to block one):
``telegram-poll`` (getUpdates), ``telegram-commands`` (runs commands), ``telegram-sender`` (every
outgoing call, rate limited), ``telegram-housekeeping`` (delayed feed notices, the daily summary,
expired confirmations, re-registering the sink with a restarted NotifierActor). Plus one small
pykka actor, ``telegram``, that receives the ExchangeActor's replies.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any

import pykka
from telebot import TeleBot, apihelper

from actors.directory import NOTIFIER
from telegram_bot.commands import Access, bot_commands
from telegram_bot.confirmations import Confirmations
from telegram_bot.control import PollTiming, TelegramControl
from telegram_bot.handlers import CommandHandlers
from telegram_bot.notifications import TelegramSink, summary_due
from telegram_bot.redact import Redactor
from telegram_bot.sender import SenderTiming, TelegramSender
from telegram_bot.views import BotView, NoAnswerError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TelegramTiming:
    """Delays that are not owner settings (tests shorten them; production keeps the defaults)."""

    sender: SenderTiming = field(default_factory=SenderTiming)
    poll_retry_initial_s: float = 0.5
    poll_retry_max_s: float = 15.0
    ask_timeout_s: float = 5.0
    account_cache_s: float = 2.0  # exchange view reuse (it costs request weight that trading shares)
    account_fetches_per_minute: int = 12
    confirm_ttl_s: float = 60.0
    housekeeping_s: float = 0.5
    stop_flush_s: float = 2.0


DEFAULT_TIMING = TelegramTiming()


def api_url_templates(api_url: str) -> tuple[str, str]:
    """``telegram.api_url`` → (``apihelper.API_URL``, ``apihelper.FILE_URL``) templates.

    Accepts a plain base (``https://api.telegram.org``, ``http://127.0.0.1:8081``) or the library's
    template form (``http://host:port/bot{0}/{1}``).
    """
    base = api_url.strip().rstrip("/")
    if "{0}" in base and "{1}" in base:
        return base, base.replace("/bot{0}/{1}", "/file/bot{0}/{1}")
    return base + "/bot{0}/{1}", base + "/file/bot{0}/{1}"


def _configure_library(api_url: str, request_timeout_s: float) -> None:
    """The library's URLs and default timeouts are module globals: set once, here."""
    api, files = api_url_templates(api_url)
    if apihelper.API_URL not in (None, api):
        log.warning("telegram: the Bot API URL changes from %s to %s in this process", apihelper.API_URL, api)
    apihelper.API_URL, apihelper.FILE_URL = api, files
    apihelper.CONNECT_TIMEOUT = apihelper.READ_TIMEOUT = max(1.0, request_timeout_s)
    apihelper.RETRY_ON_ERROR = False  # retries are the sender's job, with backoff and 429 handling


class Housekeeper(threading.Thread):
    """Periodic chores of the Telegram side, on the bot's clock where it matters (the daily summary)."""

    def __init__(self, handle: TelegramHandle, interval_s: float) -> None:
        super().__init__(name="telegram-housekeeping", daemon=True)
        self.handle = handle
        self.interval_s = interval_s
        self._halt = threading.Event()
        self._notifier_ref: Any = None
        self._last_check_ms = handle.ctx.clock.now_ms()

    def run(self) -> None:
        while not self._halt.wait(self.interval_s):
            try:
                self.step()
            except Exception:
                log.exception("telegram housekeeping failed")

    def stop(self) -> None:
        self._halt.set()

    def step(self) -> None:
        handle = self.handle
        self.ensure_sink()
        handle.sink.flush_due()
        handle.confirmations.purge(handle.monotonic())
        now = handle.ctx.clock.now_ms()
        moment = summary_due(self._last_check_ms, now, handle.ctx.settings.telegram.daily_summary_hour_utc)
        self._last_check_ms = now
        if moment is not None:
            handle.ctx.directory.tell(NOTIFIER, handle.handlers.daily_summary(moment))

    def ensure_sink(self) -> None:
        """(Re-)register the sink: a NotifierActor restarted by its supervisor starts without sinks."""
        ref = self.handle.ctx.directory.get(NOTIFIER)
        if ref is None or ref is self._notifier_ref:
            return
        try:
            ref.proxy().add_sink(self.handle.sink).get(timeout=5.0)
            self._notifier_ref = ref
        except (pykka.Timeout, pykka.ActorDeadError) as exc:
            log.warning("telegram: could not register with the notifier yet: %s", type(exc).__name__)


@dataclass(eq=False)
class TelegramHandle:
    """The running Telegram side; ``stop()`` ends it (idempotent)."""

    ctx: Any
    sender: TelegramSender
    control: TelegramControl
    sink: TelegramSink
    view: BotView
    handlers: CommandHandlers
    confirmations: Confirmations
    timing: TelegramTiming
    housekeeper: Housekeeper | None = None
    _stopped: bool = False

    monotonic = staticmethod(time.monotonic)

    def stats(self) -> dict[str, int]:
        s = self.sender.stats
        return {"sent": s.sent, "queued": self.sender.queued(), "dropped": s.dropped, "failed": s.failed,
                "rate_limited": s.rate_limited, "retries": s.retries, "merged": s.merged,
                "refused": self.control.refused, "commands": self.control.handled}

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        self.sink.closed = True
        if self.housekeeper is not None:
            self.housekeeper.stop()
        self.control.stop()
        self.sender.stop(self.timing.stop_flush_s)
        self.view.stop()
        log.info("telegram stopped (%s)", ", ".join(f"{k} {v}" for k, v in self.stats().items()))

    def __repr__(self) -> str:
        return f"TelegramHandle(stopped={self._stopped})"


def start_telegram(ctx: Any, timing: TelegramTiming | None = None) -> TelegramHandle | None:
    """Return the running Telegram side, or None when Telegram is off (said once in the log).

    A failure here is logged and leaves Telegram off: it must never keep the bot from trading.
    """
    secret = ctx.settings.secrets.telegram_token
    if secret is None:
        log.info("Telegram is off: no TELEGRAM_TOKEN configured")
        return None
    try:
        return _start(ctx, secret.get_secret_value(), timing or DEFAULT_TIMING)
    except Exception:
        import traceback

        redact = Redactor(*ctx.settings.secrets.secret_values())
        log.error("Telegram is off: it could not start: %s", redact(traceback.format_exc()))
        return None


def _start(ctx: Any, token: str, timing: TelegramTiming) -> TelegramHandle:
    tg = ctx.settings.telegram

    def access() -> Access:
        current = ctx.settings.telegram
        return Access.of(current.allowed_user_ids, current.chat_id)

    if not access().notification_chats():
        log.warning("Telegram: no TELEGRAM_CHAT_ID and no TELEGRAM_ALLOWED_USER_IDS: nobody may command the bot "
                    "and notifications go nowhere")
    _configure_library(tg.api_url, timing.sender.request_timeout_s)
    redactor = Redactor(token, *ctx.settings.secrets.secret_values())
    bot = TeleBot(token, threaded=False)
    sender = TelegramSender(bot, redactor, tg.messages_per_second, tg.queue_size, timing.sender)
    view = BotView(ctx, timing.ask_timeout_s, timing.account_cache_s, timing.account_fetches_per_minute)
    view.start()
    confirmations = Confirmations(timing.confirm_ttl_s)
    stats_box: list[TelegramHandle] = []
    handlers = CommandHandlers(ctx, view, lambda: stats_box[0].stats() if stats_box else {},
                               ctx.settings.secrets.secret_values())
    control = TelegramControl(
        bot, token, handlers, sender, confirmations, access,
        PollTiming(tg.poll_timeout_s, timing.poll_retry_initial_s, timing.poll_retry_max_s), redactor)
    sink = TelegramSink(lambda: ctx.settings.telegram, lambda: access().notification_chats(), sender.notify)
    handle = TelegramHandle(ctx, sender, control, sink, view, handlers, confirmations, timing)
    stats_box.append(handle)
    handle.housekeeper = Housekeeper(handle, timing.housekeeping_s)
    handle.housekeeper.ensure_sink()
    sender.set_commands(bot_commands())
    sender.start()
    control.start()
    handle.housekeeper.start()
    log.info("Telegram on: %s, notifications to %d chat(s), %d allowed user(s)", apihelper.API_URL.split("/bot")[0],
             len(access().notification_chats()), len(access().allowed_user_ids))
    return handle


__all__ = ["DEFAULT_TIMING", "NoAnswerError", "TelegramHandle", "TelegramTiming", "api_url_templates", "start_telegram"]
