"""Polling: injected messages and button presses reach real TeleBot handlers; offset semantics."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

import pytest
from telebot import TeleBot, apihelper, types

from simulator.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.support import eventually

CHAT = 42
Polling = Callable[[], AbstractContextManager[None]]


def poll(offset: int = 0, timeout: float = 0, **extra: Any) -> list[dict[str, Any]]:
    """One raw getUpdates through the library's request path (so the wire format is the real one)."""
    return apihelper._make_request(
        DEFAULT_TOKEN, "getUpdates", params={"offset": offset, "long_polling_timeout": timeout, **extra}
    )


def test_command_handler_fires_and_replies(bot: TeleBot, fake: FakeTelegram, polling: Polling) -> None:
    seen: list[types.Message] = []

    @bot.message_handler(commands=["status"])
    def status(message: types.Message) -> None:
        seen.append(message)
        bot.reply_to(message, "All systems nominal")

    @bot.message_handler(func=lambda message: True)
    def anything(message: types.Message) -> None:
        bot.send_message(message.chat.id, f"echo: {message.text}")

    with polling():
        injected = fake.inject_message("/status", chat_id=CHAT, user_id=7, first_name="Ann")
        fake.inject_message("hello", chat_id=CHAT, user_id=7)
        eventually(lambda: len(fake.sent_messages(CHAT)) == 2, timeout=5,
                   message=lambda: f"bot sent {fake.texts(CHAT)}")
        eventually(lambda: fake.pending_updates() == [], timeout=5, message="the bot never confirmed its updates")

    assert injected["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert seen[0].from_user.id == 7 and seen[0].chat.id == CHAT and seen[0].text == "/status"
    assert sorted(fake.texts(CHAT)) == ["All systems nominal", "echo: hello"], "handlers run in a thread pool"
    reply = next(r for r in fake.sent_messages(CHAT) if r.text == "All systems nominal")
    assert reply.params["reply_parameters"], "reply_to links the original message"


def test_button_press_reaches_callback_handler(bot: TeleBot, fake: FakeTelegram, polling: Polling) -> None:
    @bot.message_handler(commands=["panic"])
    def panic(message: types.Message) -> None:
        markup = types.InlineKeyboardMarkup()
        markup.add(types.InlineKeyboardButton("Confirm", callback_data="panic:confirm"),
                   types.InlineKeyboardButton("Cancel", callback_data="panic:cancel"))
        bot.send_message(message.chat.id, "Close all positions?", reply_markup=markup)

    @bot.callback_query_handler(func=lambda call: call.data.startswith("panic:"))
    def on_press(call: types.CallbackQuery) -> None:
        bot.answer_callback_query(call.id, "Closing…")
        bot.edit_message_text(f"Panic: {call.data}", call.message.chat.id, call.message.message_id)

    with polling():
        fake.inject_message("/panic")
        question = eventually(lambda: fake.last_message(CHAT), timeout=5)
        assert question.button_texts() == ["Confirm", "Cancel"]
        with pytest.raises(LookupError):
            fake.press_button(CHAT, question.message_id, "panic:nonsense")
        query = fake.press_button(CHAT, text="Confirm")
        eventually(lambda: fake.last_message(CHAT).method == "editMessageText", timeout=5)
        eventually(fake.callback_answers, timeout=5)

    assert query["data"] == "panic:confirm" and query["message"]["message_id"] == question.message_id
    answer = fake.callback_answers()[0]
    assert (answer.callback_query_id, answer.text, answer.data) == (query["id"], "Closing…", "panic:confirm")
    assert fake.message(CHAT, question.message_id)["text"] == "Panic: panic:confirm"


def test_offset_semantics(fake: FakeTelegram, telegram_urls: None) -> None:
    for text in ("one", "two", "three"):
        fake.inject_message(text)
    first = poll()
    ids = [u["update_id"] for u in first]
    assert [u["message"]["text"] for u in first] == ["one", "two", "three"]
    assert ids == sorted(ids) and len(set(ids)) == 3

    assert [u["update_id"] for u in poll()] == ids, "unconfirmed updates are delivered again"
    assert [u["update_id"] for u in poll(ids[1])] == ids[1:], "offset confirms smaller ids"
    assert [u["update_id"] for u in poll(-1)] == ids[2:], "negative offset: the last N only"
    assert len(fake.pending_updates()) == 1
    assert poll(ids[2] + 1) == [] and fake.pending_updates() == []
    assert fake.counters()["updates.confirmed"] == 3


def test_long_poll_wakes_on_injection_and_times_out_empty(fake: FakeTelegram, telegram_urls: None) -> None:
    started = time.monotonic()
    assert poll(timeout=0.3) == []
    assert time.monotonic() - started >= 0.25

    result: list[list[dict[str, Any]]] = []
    waiter = threading.Thread(target=lambda: result.append(poll(timeout=10)))
    started = time.monotonic()
    waiter.start()
    eventually(lambda: fake.calls("getUpdates") == 2)
    fake.inject_message("wake up")
    waiter.join(5)
    assert result and result[0][0]["message"]["text"] == "wake up"
    assert time.monotonic() - started < 3


def test_second_poller_terminates_the_first_with_409(fake: FakeTelegram, telegram_urls: None) -> None:
    errors: list[apihelper.ApiTelegramException] = []

    def first_instance() -> None:
        try:
            poll(timeout=10)
        except apihelper.ApiTelegramException as error:
            errors.append(error)

    waiter = threading.Thread(target=first_instance)
    waiter.start()
    eventually(lambda: fake.calls("getUpdates") == 1)
    assert poll(timeout=0) == []
    waiter.join(5)
    assert errors and errors[0].error_code == 409 and "terminated by other getUpdates" in errors[0].description


def test_skip_pending_keeps_the_last_update(bot: TeleBot, fake: FakeTelegram) -> None:
    """pyTelegramBotAPI's skip_pending is one getUpdates(offset=-1) whose result it discards, so the
    newest pending update is still handled: the fake reproduces that because it keeps the last one."""
    for text in ("/one", "/two", "/three"):
        fake.inject_message(text)
    handled: list[str] = []

    @bot.message_handler(func=lambda message: True)
    def record(message: types.Message) -> None:
        handled.append(message.text)

    thread = threading.Thread(target=bot.polling, kwargs={"skip_pending": True, "non_stop": True,
                                                          "long_polling_timeout": 2}, daemon=True)
    thread.start()
    try:
        eventually(lambda: handled == ["/three"], timeout=5, message=lambda: f"handled {handled}")
    finally:
        bot.stop_polling()
        fake.stop()
        thread.join(5)
