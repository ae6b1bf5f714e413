"""TelegramControl: long polling in its own thread, authorization, dispatch, confirmations.

Why its own ``getUpdates`` loop instead of ``TeleBot.polling``: the library's loop dies on a
connection error unless given an exception handler, sleeps fixed seconds, and parses a whole batch
at once (one malformed update would then block every later one). Here each update is parsed and
confirmed on its own, any failure backs off with a capped, configurable delay, and a 429 waits
exactly ``retry_after``.

The polling thread only parses and authorizes (cheap, so a flood of strangers' messages cannot
starve the owner); commands run on one worker thread in arrival order, because they wait for actor
answers and the exchange. Nothing here runs on an actor thread.
"""

from __future__ import annotations

import logging
import threading
import time
import traceback
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from telebot import TeleBot, apihelper, types

from telegram_bot.commands import SPECS, Access, Invalid, Parsed, help_text, parse_command
from telegram_bot.confirmations import CANCEL, CONFIRM, Confirmations, Pending
from telegram_bot.handlers import CommandHandlers
from telegram_bot.redact import Redactor
from telegram_bot.sender import TelegramSender, classify
from telegram_bot.views import NoAnswerError

log = logging.getLogger(__name__)

ALLOWED_UPDATES = ["message", "callback_query"]
REFUSAL_LOG_S = 60.0


@dataclass(frozen=True, slots=True)
class PollTiming:
    poll_timeout_s: int = 20
    retry_initial_s: float = 0.5
    retry_max_s: float = 15.0


class TelegramControl:
    """Owns the polling thread and the command worker."""

    def __init__(self, bot: TeleBot, token: str, handlers: CommandHandlers, sender: TelegramSender,
                 confirmations: Confirmations, access: Callable[[], Access], timing: PollTiming,
                 redactor: Redactor, monotonic: Callable[[], float] = time.monotonic) -> None:
        self.bot = bot
        self._token = token
        self.handlers = handlers
        self.sender = sender
        self.confirmations = confirmations
        self.access = access
        self.timing = timing
        self.redact = redactor
        self._now = monotonic
        self.username = ""
        self.offset: int | None = None
        self.refused = 0
        self._refusals: dict[int | None, tuple[float, int]] = {}
        self.handled = 0
        self._halt = threading.Event()
        self._worker = ThreadPoolExecutor(1, thread_name_prefix="telegram-commands")
        self._thread = threading.Thread(target=self._poll_loop, name="telegram-poll", daemon=True)

    def __repr__(self) -> str:  # the token is an attribute: never show it
        return f"TelegramControl(username={self.username!r}, offset={self.offset})"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._halt.set()
        self._worker.shutdown(wait=False, cancel_futures=True)
        # Not waited for: a long poll in flight ends on its own (daemon thread); what it brings back is
        # left unconfirmed on Telegram's side, so the next start handles it.
        self._thread.join(timeout=0.1)

    # ------------------------------------------------------------------------------ polling
    def _poll_loop(self) -> None:
        delay = self.timing.retry_initial_s
        failing = False
        while not self._halt.is_set():
            try:
                if not self.username:
                    self.username = self.bot.get_me().username or "?"
                    log.info("telegram: polling as @%s", self.username)
                updates = apihelper.get_updates(
                    self._token, offset=self.offset, limit=100, timeout=self.timing.poll_timeout_s + 10,
                    allowed_updates=ALLOWED_UPDATES, long_polling_timeout=self.timing.poll_timeout_s)
            except Exception as exc:
                failure = classify(exc)
                wait = min(failure.wait_s, 300.0) if failure.action == "retry_after" else delay
                if not failing:
                    log.warning("telegram: getUpdates failed (%s); retrying every %.1f-%.0fs until it works",
                                self.redact(failure.detail), self.timing.retry_initial_s, self.timing.retry_max_s)
                failing = True
                self._halt.wait(wait)
                delay = min(self.timing.retry_max_s, delay * 2)
                continue
            if failing:
                log.info("telegram: reachable again")
            failing, delay = False, self.timing.retry_initial_s
            for raw in updates or []:
                if self._halt.is_set():
                    return
                self._take(raw)

    def _take(self, raw: Any) -> None:
        """Confirm (advance the offset past) every update, whatever happens while handling it."""
        try:
            update_id = int(raw["update_id"])
            self.offset = max(self.offset or 0, update_id + 1)
            update = types.Update.de_json(raw)
            if update.message is not None:
                self._on_message(update.message)
            elif update.callback_query is not None:
                self._on_callback(update.callback_query)
        except Exception:
            log.error("telegram: could not handle an update: %s", self.redact(traceback.format_exc(limit=3)))

    def _refuse(self, what: str, user_id: int | None, chat_id: int | None, text: str | None) -> None:
        """Log an unauthorized attempt; a flood from one user is summarized (one line per minute)."""
        self.refused += 1
        now = self._now()
        last, muted = self._refusals.get(user_id, (-REFUSAL_LOG_S, 0))
        if now - last < REFUSAL_LOG_S:
            self._refusals[user_id] = (last, muted + 1)
            return
        if len(self._refusals) > 10_000:  # many distinct strangers: forget the throttling state, keep logging
            self._refusals.clear()
        self._refusals[user_id] = (now, 0)
        sample = self.redact((text or "")[:40])
        more = f" (and {muted} more attempts not logged)" if muted else ""
        log.warning("telegram: ignored %s from user %s in chat %s (not allowed): %r%s", what, user_id, chat_id,
                    sample, more)

    # ------------------------------------------------------------------------------ messages
    def _on_message(self, message: types.Message) -> None:
        user = message.from_user.id if message.from_user else None
        chat = message.chat.id
        if not self.access().authorized(user, chat):
            self._refuse("a message", user, chat, message.text)
            return
        assert user is not None
        parsed = parse_command(message.text, self.username)
        if parsed is None:
            if message.text and not message.text.startswith("/") and message.chat.type == "private":
                self.sender.reply(chat, "Send /help for the command list.", reply_to=message.message_id)
            return
        if isinstance(parsed, Invalid):
            self.sender.reply(chat, parsed.reply, reply_to=message.message_id)
            return
        self._worker.submit(self._run, parsed, user, chat, message.message_id)

    def _run(self, parsed: Parsed, user: int, chat: int, message_id: int) -> None:
        name = parsed.name
        try:
            if SPECS[name].changes_state and not self.access().authorized(user, chat):
                self._refuse(f"/{name}", user, chat, "")  # the allow-list changed since it was received
                return
            self.handled += 1
            if name == "chart":
                png, caption = self.handlers.chart()
                self.sender.photo(chat, png, caption, reply_to=message_id)
                return
            if name in ("panic", "close"):
                self._ask_confirmation(parsed, user, chat, message_id)
                return
            self.sender.reply(chat, self._answer(parsed, f"telegram:{user}"), reply_to=message_id)
        except NoAnswerError as exc:
            self.sender.reply(chat, f"/{name}: {exc}. Try again in a moment.", reply_to=message_id)
        except Exception:
            log.error("telegram: /%s failed: %s", name, self.redact(traceback.format_exc()))
            self.sender.reply(chat, f"/{name} failed with an internal error (logged).", reply_to=message_id)

    def _answer(self, parsed: Parsed, who: str) -> str:
        h = self.handlers
        simple: dict[str, Callable[[], str]] = {
            "help": help_text, "status": h.status, "positions": h.positions, "balance": h.balance,
            "summary": h.summary, "performance": h.performance, "risk": h.risk, "config": h.config,
            "health": h.health, "resume": lambda: h.resume(who),
        }
        if parsed.name in simple:
            return simple[parsed.name]()
        if parsed.name == "logs":
            return h.logs(int(parsed.value))  # type: ignore[call-overload]
        if parsed.name == "pause":
            return h.pause(str(parsed.value), who)
        if parsed.name == "aggression":
            return h.aggression(parsed.value if isinstance(parsed.value, str) else None, who)
        raise ValueError(f"no handler for /{parsed.name}")

    # ------------------------------------------------------------------------------ confirmations
    def _ask_confirmation(self, parsed: Parsed, user: int, chat: int, message_id: int) -> None:
        ttl = self.confirmations.ttl_s
        if parsed.name == "close":
            symbol = str(parsed.value)
            row = self.handlers.open_position(symbol)
            if row is None:
                self.sender.reply(chat, f"No open position on {symbol}.", reply_to=message_id)
                return
            question = (f"Close {symbol} {row.side.upper()} {row.size:g} at market and cancel its orders?\n"
                        f"This button expires in {ttl:.0f} s.")
            pending = self.confirmations.create("close", symbol, user, chat, self._now())
            label = f"Close {symbol.split('/', maxsplit=1)[0]}"
        else:
            rows = self.handlers.positions()
            question = ("PANIC: cancel every order, close EVERY position at market and pause new entries?\n"
                        f"{rows}\nThis button expires in {ttl:.0f} s.")
            pending = self.confirmations.create("panic", "", user, chat, self._now())
            label = "Confirm PANIC"
        keyboard = (((label, Confirmations.button_data(pending, CONFIRM)),
                     ("Cancel", Confirmations.button_data(pending, CANCEL))),)
        self.sender.reply(chat, question, reply_to=message_id, keyboard=keyboard)

    def _on_callback(self, query: types.CallbackQuery) -> None:
        user = query.from_user.id if query.from_user else None
        message = query.message
        chat = message.chat.id if message is not None else None
        if not self.access().authorized(user, chat):
            self._refuse("a button press", user, chat, query.data)
            return  # not even answered: a stranger learns nothing, and the confirmation stays valid
        answer = self.confirmations.press(query.data, chat, self._now())
        assert message is not None and chat is not None and user is not None
        if answer.pending is None:
            self.sender.answer_callback(query.id, answer.reason.capitalize())
            if answer.status in ("cancelled", "expired"):  # replace the question and its buttons
                self.sender.edit(chat, message.message_id, f"{answer.reason.capitalize()}: nothing was done.")
            return
        self.sender.answer_callback(query.id, "Confirmed")
        self._worker.submit(self._execute, answer.pending, user, chat, message.message_id)

    def _execute(self, pending: Pending, user: int, chat: int, message_id: int) -> None:
        """The confirmed action, authorized once more at the moment it runs."""
        if not self.access().authorized(user, chat):
            self._refuse(f"confirmation of {pending.action}", user, chat, "")
            return
        who = f"telegram:{user}"
        try:
            panic = pending.action == "panic"
            text = self.handlers.panic(who) if panic else self.handlers.close(pending.argument, who)
        except NoAnswerError as exc:
            text = f"Could not {pending.action}: {exc}."
        except Exception:
            log.error("telegram: %s failed: %s", pending.action, self.redact(traceback.format_exc()))
            text = f"{pending.action} failed with an internal error (logged)."
        log.warning("telegram: %s %s confirmed by user %s", pending.action, pending.argument, user)
        self.sender.edit(chat, message_id, f"Confirmed by user {user}. {text}")
