"""Everything the bot sends to Telegram goes through one sender thread.

Why one thread with two queues: ``submit`` must return at once (the NotifierActor and the command
worker call it), Telegram allows about one message per second per chat, and the library does not
handle 429 itself. Replies to commands go first; notifications wait in a bounded queue that drops
its oldest entry when full, so an outage costs memory proportional to ``queue_size`` and nothing
else. Backlogged notifications for one chat are merged into one message (up to the size limit) so
the queue drains quickly once Telegram is back.

Failures are classified once (:func:`classify`): 429 waits ``retry_after``; a connection error,
timeout or gateway page (outage) retries the same item with capped exponential backoff, without
limit (the queue bound protects memory); a Telegram 5xx is retried a few times; any other API error
is final for that item. Error texts are redacted before they are logged: the request URL holds the
token.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import requests
from telebot import TeleBot, apihelper, types

from telegram_bot.formatting import TELEGRAM_TEXT_LIMIT, URL_TEXT_BUDGET, split_text
from telegram_bot.redact import Redactor

log = logging.getLogger(__name__)

Keyboard = tuple[tuple[tuple[str, str], ...], ...]  # rows of (label, callback_data)


@dataclass(frozen=True, slots=True)
class Outgoing:
    """One Bot API call to make. ``kind``: text, photo, edit, answer (callback), commands."""

    kind: str
    chat_id: int = 0
    text: str = ""
    photo: bytes | None = None
    reply_to: int | None = None
    keyboard: Keyboard = ()
    message_id: int | None = None
    callback_id: str = ""
    commands: tuple[tuple[str, str], ...] = ()
    notification: bool = False


@dataclass(frozen=True, slots=True)
class Failure:
    """What to do after a failed call: ``retry_after`` (429), ``outage`` (retry without limit),
    ``server`` (retry a few times), ``done`` (treat as delivered), ``final`` (drop this item)."""

    action: str
    detail: str
    wait_s: float = 0.0


def classify(exc: BaseException) -> Failure:
    """Sort a library or network error into what the sender should do about it."""
    if isinstance(exc, apihelper.ApiTelegramException):
        code, description = exc.error_code, str(exc.description)
        if code == 429:
            parameters = (exc.result_json or {}).get("parameters") or {}
            return Failure("retry_after", description, float(parameters.get("retry_after", 1) or 1))
        if code == 400 and "message is not modified" in description:
            return Failure("done", description)
        if code >= 500:
            return Failure("server", f"{code} {description}")
        return Failure("final", f"{code} {description}")
    if isinstance(exc, apihelper.ApiHTTPException):
        status = getattr(exc.result, "status_code", 0)
        if status in (502, 503, 504):
            return Failure("outage", f"HTTP {status}")
        return Failure("server" if status >= 500 else "final", f"HTTP {status}")
    if isinstance(exc, apihelper.ApiInvalidJSONException):
        return Failure("server", "invalid JSON answer")
    if isinstance(exc, requests.RequestException | ConnectionError | TimeoutError):
        return Failure("outage", type(exc).__name__)
    return Failure("final", type(exc).__name__)


@dataclass(frozen=True, slots=True)
class SenderTiming:
    request_timeout_s: float = 10.0
    retry_initial_s: float = 0.5
    retry_max_s: float = 30.0
    max_server_attempts: int = 5
    max_retry_after_s: float = 300.0


@dataclass
class SenderStats:
    sent: int = 0
    dropped: int = 0
    failed: int = 0
    rate_limited: int = 0
    retries: int = 0
    merged: int = 0
    sent_by_kind: dict[str, int] = field(default_factory=dict)


class TelegramSender:
    """Owns the outgoing queues and the thread that empties them."""

    def __init__(self, bot: TeleBot, redactor: Redactor, messages_per_second: float, queue_size: int,
                 timing: SenderTiming, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self.redact = redactor
        self.interval_s = 1.0 / messages_per_second
        self.timing = timing
        self.stats = SenderStats()
        self._now = monotonic
        self._replies: deque[Outgoing] = deque(maxlen=100)
        self._notifications: deque[Outgoing] = deque(maxlen=queue_size)
        self._cond = threading.Condition()
        self._halt = threading.Event()
        self._closing = False
        self._next_send: dict[int, float] = {}
        self._blocked_until = 0.0
        self._thread = threading.Thread(target=self._run, name="telegram-sender", daemon=True)

    # ------------------------------------------------------------------------------ producers
    def reply(self, chat_id: int, text: str, reply_to: int | None = None, keyboard: Keyboard = ()) -> None:
        """Queue a reply (split at the size limit; the keyboard goes with the last part)."""
        parts = split_text(text)
        for index, part in enumerate(parts):
            self._put(Outgoing("text", chat_id, part, reply_to=reply_to,
                               keyboard=keyboard if index == len(parts) - 1 else ()))

    def photo(self, chat_id: int, png: bytes, caption: str, reply_to: int | None = None) -> None:
        self._put(Outgoing("photo", chat_id, caption[:1024], photo=png, reply_to=reply_to))

    def edit(self, chat_id: int, message_id: int, text: str) -> None:
        self._put(Outgoing("edit", chat_id, split_text(text)[0], message_id=message_id))

    def answer_callback(self, callback_id: str, text: str = "") -> None:
        self._put(Outgoing("answer", text=text[:200], callback_id=callback_id))

    def set_commands(self, commands: list[tuple[str, str]]) -> None:
        self._put(Outgoing("commands", commands=tuple(commands)))

    def notify(self, chat_id: int, text: str) -> None:
        """Queue a notification; never blocks. When the queue is full the oldest one is dropped."""
        with self._cond:
            for part in split_text(text):
                if len(self._notifications) == self._notifications.maxlen:
                    self.stats.dropped += 1
                self._notifications.append(Outgoing("text", chat_id, part, notification=True))
            self._cond.notify()

    def _put(self, item: Outgoing) -> None:
        with self._cond:
            if len(self._replies) == self._replies.maxlen:
                self.stats.dropped += 1
            self._replies.append(item)
            self._cond.notify()

    def queued(self) -> int:
        with self._cond:
            return len(self._replies) + len(self._notifications)

    # ------------------------------------------------------------------------------ life cycle
    def start(self) -> None:
        self._thread.start()

    def stop(self, flush_s: float = 2.0) -> None:
        """Try to deliver what is queued for up to ``flush_s``, then stop (the thread is a daemon:
        a call hanging on a dead network cannot hold the bot's shutdown)."""
        with self._cond:
            self._closing = True
            self._cond.notify()
        self._thread.join(flush_s)
        self._halt.set()
        with self._cond:
            self._cond.notify()
        self._thread.join(1.0)

    # ------------------------------------------------------------------------------ the thread
    def _run(self) -> None:
        while not self._halt.is_set():
            item = self._take()
            if item is None:
                if self._closing:
                    return
                continue
            try:
                self._deliver(item)
            except Exception as exc:  # never let one bad item end the sender
                self.stats.failed += 1
                log.error("telegram: dropping a %s after an unexpected error: %s", item.kind, self.redact(repr(exc)))

    def _take(self) -> Outgoing | None:
        with self._cond:
            if not self._replies and not self._notifications:
                if self._closing:
                    return None
                self._cond.wait(0.5)
            if self._replies:
                return self._replies.popleft()
            if self._notifications:
                return self._merge_backlog(self._notifications.popleft())
            return None

    def _merge_backlog(self, first: Outgoing) -> Outgoing:
        """Join queued notifications for the same chat into one message while it fits."""
        text = first.text
        while self._notifications and self._notifications[0].chat_id == first.chat_id:
            candidate = text + "\n\n" + self._notifications[0].text
            if split_text(candidate, TELEGRAM_TEXT_LIMIT, URL_TEXT_BUDGET) != [candidate]:
                break
            text = candidate
            self._notifications.popleft()
            self.stats.merged += 1
        return first if text == first.text else Outgoing("text", first.chat_id, text, notification=True)

    def _deliver(self, item: Outgoing) -> None:
        delay = self.timing.retry_initial_s
        server_attempts = 0
        while not self._halt.is_set():
            self._wait_turn(item)
            try:
                self._call(item)
            except Exception as exc:
                failure = classify(exc)
            else:
                self._sent(item)
                return
            detail = self.redact(failure.detail)
            if failure.action == "done":
                self._sent(item)
                return
            if failure.action == "final":
                self.stats.failed += 1
                log.warning("telegram: %s to chat %s refused, dropped: %s", item.kind, item.chat_id, detail)
                return
            if failure.action == "retry_after":
                self.stats.rate_limited += 1
                wait = min(failure.wait_s, self.timing.max_retry_after_s)
                log.warning("telegram: rate limited (429), waiting %.0fs as asked", wait)
                self._blocked_until = self._now() + wait
                continue
            if failure.action == "server":
                server_attempts += 1
                if server_attempts >= self.timing.max_server_attempts:
                    self.stats.failed += 1
                    log.warning("telegram: %s dropped after %d server errors: %s", item.kind, server_attempts, detail)
                    return
            self.stats.retries += 1
            log.info("telegram unreachable or failing (%s): retrying in %.1fs", detail, delay)
            self._halt.wait(delay * random.uniform(0.8, 1.2))
            delay = min(self.timing.retry_max_s, delay * 2)

    def _wait_turn(self, item: Outgoing) -> None:
        """Respect a 429's ``retry_after`` (all calls) and the per-chat message rate (messages only)."""
        while not self._halt.is_set():
            until = self._blocked_until
            if item.kind in ("text", "photo", "edit"):
                until = max(until, self._next_send.get(item.chat_id, 0.0))
            wait = until - self._now()
            if wait <= 0:
                return
            self._halt.wait(min(wait, 0.5))

    def _sent(self, item: Outgoing) -> None:
        self.stats.sent += 1
        key = "notification" if item.notification else item.kind
        self.stats.sent_by_kind[key] = self.stats.sent_by_kind.get(key, 0) + 1
        if item.kind in ("text", "photo", "edit"):
            self._next_send[item.chat_id] = self._now() + self.interval_s

    def _call(self, item: Outgoing) -> None:
        timeout = int(max(1, self.timing.request_timeout_s))
        markup = _markup(item.keyboard)
        reply = types.ReplyParameters(item.reply_to, allow_sending_without_reply=True) if item.reply_to else None
        if item.kind == "text":
            self.bot.send_message(item.chat_id, item.text, reply_markup=markup, reply_parameters=reply,
                                  timeout=timeout)
        elif item.kind == "photo":
            self.bot.send_photo(item.chat_id, item.photo, caption=item.text or None, reply_parameters=reply,
                                timeout=timeout)
        elif item.kind == "edit":
            self.bot.edit_message_text(item.text, chat_id=item.chat_id, message_id=item.message_id, timeout=timeout)
        elif item.kind == "answer":
            self.bot.answer_callback_query(item.callback_id, text=item.text or None)
        elif item.kind == "commands":
            self.bot.set_my_commands([types.BotCommand(name, text) for name, text in item.commands])


def _markup(keyboard: Keyboard) -> Any:
    if not keyboard:
        return None
    markup = types.InlineKeyboardMarkup()
    for row in keyboard:
        markup.row(*(types.InlineKeyboardButton(label, callback_data=data) for label, data in row))
    return markup
