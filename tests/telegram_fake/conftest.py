"""Fixtures: a running fake Telegram, the real pyTelegramBotAPI pointed at it, a polling bot."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager

import pytest
from telebot import TeleBot, apihelper, asyncio_helper

from simulator.telegram import DEFAULT_TOKEN, FakeTelegram, start_fake_telegram


@pytest.fixture
def fake() -> Iterator[FakeTelegram]:
    """A fresh fake per test: no state leaks between tests, and its port is free-chosen."""
    handle = start_fake_telegram()
    try:
        yield handle
    finally:
        handle.stop()


@pytest.fixture
def telegram_urls(fake: FakeTelegram) -> Iterator[None]:
    """Point the library's module globals at the fake and restore them afterwards."""
    saved = (apihelper.API_URL, apihelper.FILE_URL, asyncio_helper.API_URL, asyncio_helper.FILE_URL)
    apihelper.API_URL, apihelper.FILE_URL = fake.api_url, fake.file_url
    asyncio_helper.API_URL, asyncio_helper.FILE_URL = fake.api_url, fake.file_url
    try:
        yield
    finally:
        apihelper.API_URL, apihelper.FILE_URL, asyncio_helper.API_URL, asyncio_helper.FILE_URL = saved


@pytest.fixture
def bot(telegram_urls: None) -> TeleBot:
    """The real sync client, as the bot uses it."""
    return TeleBot(DEFAULT_TOKEN)


@pytest.fixture
def polling(bot: TeleBot, fake: FakeTelegram) -> Callable[[], AbstractContextManager[None]]:
    """``with polling(): ...`` runs ``bot.polling`` in a thread for the block, then stops it.

    Stopping the fake answers the pending long poll at once, so teardown does not wait for the
    long-polling timeout.
    """

    @contextmanager
    def run() -> Iterator[None]:
        thread = threading.Thread(
            target=bot.polling,
            kwargs={"non_stop": True, "interval": 0, "timeout": 5, "long_polling_timeout": 2},
            daemon=True,
        )
        thread.start()
        try:
            yield
        finally:
            bot.stop_polling()
            fake.stop()
            thread.join(5)
            assert not thread.is_alive(), "polling thread did not stop"

    return run
