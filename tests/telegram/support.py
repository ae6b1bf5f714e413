"""Telegram end-to-end support: the fake Bot API, the real bot with Telegram on, and an operator who
types commands and presses buttons through the fake, then reads the bot's replies."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from telebot import apihelper, asyncio_helper

import telegram_bot.runtime as telegram_runtime
from simulator.telegram import DEFAULT_TOKEN, FakeTelegram, SentMessage, start_fake_telegram
from telegram_bot.runtime import TelegramTiming
from telegram_bot.sender import SenderTiming
from tests.support import eventually
from tests.system.support import ask, running_bot

OWNER = 42  # TELEGRAM_CHAT_ID: the owner's private chat (chat id == user id)
SECOND = 43  # another allowed user
STRANGER = 666
SYMBOLS = ["BTCUSDC", "ETHUSDC", "SOLUSDC", "XRPUSDC"]
START = "2025-05-05T08:13:00"  # entries come within a few simulated minutes from here
FAST_TIMING = TelegramTiming(sender=SenderTiming(request_timeout_s=3.0, retry_initial_s=0.05, retry_max_s=0.5),
                             poll_retry_initial_s=0.05, poll_retry_max_s=0.5, ask_timeout_s=5.0, housekeeping_s=0.1,
                             stop_flush_s=1.0, account_cache_s=0.0, account_fetches_per_minute=10_000)
TELEGRAM_OVERRIDES: dict[str, Any] = {"poll_timeout_s": 1, "messages_per_second": 25.0, "feed_outage_notify_s": 0.0}


def telegram_env(fake: FakeTelegram, **extra: str) -> dict[str, str]:
    """The secrets/identity variables as the bot reads them (a plain base URL, as an owner would set it)."""
    return {"TELEGRAM_TOKEN": DEFAULT_TOKEN, "TELEGRAM_CHAT_ID": str(OWNER),
            "TELEGRAM_ALLOWED_USER_IDS": f"{OWNER},{SECOND}", "TELEGRAM_API_URL": fake.base_url, **extra}


def overrides(telegram: dict[str, Any] | None = None, **sections: Any) -> dict[str, Any]:
    return {"telegram": {**TELEGRAM_OVERRIDES, **(telegram or {})}, **sections}


@contextmanager
def fast_telegram() -> Iterator[None]:
    """Short retry delays (no multi-second sleeps in tests) and the library's URL globals restored."""
    saved = (apihelper.API_URL, apihelper.FILE_URL, asyncio_helper.API_URL, apihelper.CONNECT_TIMEOUT,
             apihelper.READ_TIMEOUT)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(telegram_runtime, "DEFAULT_TIMING", FAST_TIMING)
        try:
            yield
        finally:
            (apihelper.API_URL, apihelper.FILE_URL, asyncio_helper.API_URL, apihelper.CONNECT_TIMEOUT,
             apihelper.READ_TIMEOUT) = saved


@contextmanager
def fake_telegram() -> Iterator[FakeTelegram]:
    handle = start_fake_telegram()
    try:
        yield handle
    finally:
        handle.stop()


@contextmanager
def telegram_bot(sim: Any, fake: FakeTelegram, tmp_path: Path, settings: dict[str, Any] | None = None) -> Iterator[Any]:
    with fast_telegram(), running_bot(sim, tmp_path, settings or overrides(), env=telegram_env(fake)) as bot:
        yield bot


class Operator:
    """A person in a Telegram chat with the bot, played through the fake's handle."""

    def __init__(self, fake: FakeTelegram, user: int = OWNER, chat: int | None = None) -> None:
        self.fake = fake
        self.user = user
        self.chat = chat if chat is not None else user

    def send(self, text: str) -> int:
        """Type ``text``; returns the message id (replies quote it)."""
        return int(self.fake.inject_message(text, chat_id=self.chat, user_id=self.user)["message_id"])

    def replies(self, message_id: int) -> list[SentMessage]:
        return [r for r in self.fake.sent_messages(self.chat) if _quotes(r, message_id)]

    def command(self, text: str, timeout: float = 15.0) -> str:
        """Send a command and return the text of the bot's reply (all parts)."""
        return self.command_message(text, timeout).content or ""

    def command_message(self, text: str, timeout: float = 15.0) -> SentMessage:
        message_id = self.send(text)
        found = eventually(lambda: self.replies(message_id), timeout, message=f"no reply to {text!r}")
        if len(found) > 1:  # a split reply: one record per part, joined here
            return SentMessage(seq=found[0].seq, method=found[0].method, chat_id=self.chat,
                               message_id=found[0].message_id, text="\n".join(r.content or "" for r in found))
        return found[0]

    def notifications(self) -> list[str]:
        """Texts the bot sent on its own (not replies, not edits) to this chat."""
        return [r.content or "" for r in self.fake.sent_messages(self.chat, "sendMessage")
                if "reply_parameters" not in r.params]

    def wait_notification(self, pattern: str, timeout: float = 20.0) -> str:
        regex = re.compile(pattern)

        def found() -> str | None:
            return next((t for t in self.notifications() if regex.search(t)), None)

        return eventually(found, timeout, message=f"no notification matching {pattern!r}")


def _quotes(record: SentMessage, message_id: int) -> bool:
    raw = record.params.get("reply_parameters")
    if not raw:
        return False
    try:
        return int(json.loads(raw).get("message_id", -1)) == message_id
    except (ValueError, TypeError, AttributeError):
        return False


def value(pattern: str, text: str) -> str:
    """The first group of ``pattern`` in ``text`` (an assertion names what was missing)."""
    match = re.search(pattern, text, re.M)
    assert match, f"{pattern!r} not found in:\n{text}"
    return match.group(1)


def open_positions(sim: Any) -> dict[str, dict[str, Any]]:
    """The simulator's open positions by exchange symbol (``BTCUSDC``)."""
    return {sym: p for sym, p in sim.state()["positions"].items() if float(p["amount"]) != 0}


def risk_status(bot: Any) -> Any:
    return ask(bot, "risk", "status")
