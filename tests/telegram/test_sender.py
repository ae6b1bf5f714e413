"""The sender thread against the fake Bot API with the real pyTelegramBotAPI: per-chat rate, 429
``retry_after``, outage queueing (bounded, oldest dropped, backlog merged), splitting, final errors."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator

import pytest
from telebot import TeleBot

from simulator.telegram import DEFAULT_TOKEN, FakeTelegram
from telegram_bot.formatting import TELEGRAM_TEXT_LIMIT
from telegram_bot.redact import Redactor
from telegram_bot.runtime import _configure_library
from telegram_bot.sender import SenderTiming, TelegramSender
from tests.support import eventually
from tests.telegram.support import fake_telegram, fast_telegram

pytestmark = pytest.mark.system
CHAT = 42
TIMING = SenderTiming(request_timeout_s=2.0, retry_initial_s=0.05, retry_max_s=0.3)


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    with fast_telegram(), fake_telegram() as handle:
        _configure_library(handle.base_url, TIMING.request_timeout_s)
        yield handle


def _sender(rate: float = 50.0, queue_size: int = 100) -> TelegramSender:
    sender = TelegramSender(TeleBot(DEFAULT_TOKEN, threaded=False), Redactor(DEFAULT_TOKEN), rate, queue_size, TIMING)
    sender.start()
    return sender


def test_messages_to_one_chat_keep_the_configured_rate(fake: FakeTelegram) -> None:
    sender = _sender(rate=5.0)
    try:
        for n in range(5):
            sender.reply(CHAT, f"reply {n}")
        records = eventually(lambda: len(fake.sent_messages(CHAT)) == 5 and fake.sent_messages(CHAT))
        gaps = [b.at - a.at for a, b in itertools.pairwise(records)]
        assert [r.text for r in records] == [f"reply {n}" for n in range(5)]
        assert min(gaps) >= 0.18, gaps
    finally:
        sender.stop(0.5)


def test_a_429_waits_retry_after_and_the_message_arrives_once(fake: FakeTelegram) -> None:
    sender = _sender()
    try:
        fake.set_rate_limit(retry_after=1, calls=1)
        started = time.time()
        sender.reply(CHAT, "after the 429")
        record = eventually(lambda: fake.sent_messages(CHAT), timeout=5)[0]
        assert record.at - started >= 0.95
        assert sender.stats.rate_limited == 1 and fake.counters()["status.429"] == 1
        time.sleep(0.2)
        assert [r.text for r in fake.sent_messages(CHAT)] == ["after the 429"]
    finally:
        sender.stop(0.5)


def test_an_outage_queues_bounded_drops_the_oldest_never_blocks_and_drains_merged(
        fake: FakeTelegram, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="telegram_bot")
    sender = _sender(queue_size=3)
    try:
        fake.set_down(True, mode="refuse", seconds=1.5)
        slowest = 0.0
        for n in range(10):
            started = time.perf_counter()
            sender.notify(CHAT, f"event {n}")
            slowest = max(slowest, time.perf_counter() - started)
        assert slowest < 0.005  # enqueue only: the caller (the NotifierActor) never waits for Telegram
        assert sender.stats.dropped in (6, 7)  # the first may already be in flight when the rest arrive
        text = eventually(lambda: "\n".join(fake.texts(CHAT)) if "event 9" in "\n".join(fake.texts(CHAT)) else None,
                          timeout=10)
        assert all(f"event {n}" in text for n in (7, 8, 9))
        assert not any(f"event {n}" in text for n in range(1, 7))
        assert sender.stats.merged >= 1 and len(fake.sent_messages(CHAT)) <= 2
    finally:
        sender.stop(0.5)
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert "unreachable" in logged and DEFAULT_TOKEN not in logged


def test_a_long_reply_is_split_within_telegrams_limits_without_losing_text(fake: FakeTelegram) -> None:
    sender = _sender()
    lines = [f"line {n}: " + "é€😀" * 40 for n in range(150)]
    try:
        sender.reply(CHAT, "\n".join(lines))
        eventually(lambda: "line 149:" in (fake.texts(CHAT) or [""])[-1], timeout=10)
        parts = fake.texts(CHAT)
        assert len(parts) > 1 and all(len(p) <= TELEGRAM_TEXT_LIMIT for p in parts)
        assert "\n".join(parts).splitlines() == lines
        assert sender.stats.failed == 0
    finally:
        sender.stop(0.5)


def test_a_refused_message_is_dropped_and_the_next_one_goes(fake: FakeTelegram) -> None:
    sender = _sender()
    try:
        fake.block_chat(CHAT)
        sender.reply(CHAT, "to a chat that blocked the bot")
        sender.reply(43, "to another chat")
        eventually(lambda: fake.texts(43) == ["to another chat"])
        assert fake.texts(CHAT) == [] and sender.stats.failed == 1
        fake.block_chat(CHAT, blocked=False)
        sender.reply(CHAT, "same text")
        record = eventually(lambda: fake.sent_messages(CHAT))[0]
        sender.edit(CHAT, record.message_id, "same text")  # "message is not modified": not a failure
        sender.reply(CHAT, "done")
        eventually(lambda: fake.texts(CHAT)[-1:] == ["done"])
        assert sender.stats.failed == 1
    finally:
        sender.stop(0.5)
