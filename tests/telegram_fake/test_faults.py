"""Failure switches, seen through the real client: 429, 5xx, hangs, flood control, outages."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from contextlib import AbstractContextManager

import pytest
import requests
from telebot import ExceptionHandler, TeleBot, apihelper, types

from simulator.telegram import FakeTelegram
from tests.support import eventually

CHAT = 42
Polling = Callable[[], AbstractContextManager[None]]


def test_rate_limit_for_the_next_calls(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_rate_limit(retry_after=3, calls=2)
    for _ in range(2):
        with pytest.raises(apihelper.ApiTelegramException) as caught:
            bot.send_message(CHAT, "alert")
        assert caught.value.error_code == 429
        assert caught.value.result_json["parameters"]["retry_after"] == 3
        assert caught.value.description == "Too Many Requests: retry after 3"
    assert bot.send_message(CHAT, "alert").text == "alert"
    assert fake.texts(CHAT) == ["alert"], "refused calls are not recorded as sent"
    assert fake.counters()["status.429"] == 2


def test_rate_limit_window_spares_get_updates_by_default(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_rate_limit(retry_after=1, seconds=0.5)
    fake.inject_message("hi")
    assert len(bot.get_updates(timeout=5, long_polling_timeout=1)) == 1, "polling is not refused"
    with pytest.raises(apihelper.ApiTelegramException):
        bot.send_message(CHAT, "too soon")

    def send_later() -> bool:
        try:
            return bool(bot.send_message(CHAT, "later"))
        except apihelper.ApiTelegramException as error:
            raise AssertionError(error.description) from error

    eventually(send_later, timeout=3)
    assert fake.texts(CHAT) == ["later"]
    fake.set_rate_limit(retry_after=5, calls=1, methods=["getUpdates"])
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.get_updates(timeout=5, long_polling_timeout=1)
    assert caught.value.error_code == 429


def test_server_errors(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_server_error(500, calls=1)
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.send_message(CHAT, "x")
    assert (caught.value.error_code, caught.value.description) == (500, "Internal Server Error")
    fake.set_server_error(502, calls=1, methods=["sendMessage"])
    with pytest.raises(apihelper.ApiHTTPException) as http_error:
        bot.send_message(CHAT, "x")
    assert http_error.value.result.status_code == 502
    assert bot.send_message(CHAT, "ok").text == "ok"


def test_hang_until_client_timeout_then_delayed_answers(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_hang(calls=1)
    started = time.monotonic()
    with pytest.raises(requests.exceptions.ReadTimeout):
        bot.send_message(CHAT, "stuck", timeout=1)
    assert 0.9 <= time.monotonic() - started < 3
    assert fake.texts(CHAT) == [], "a request the client gave up on is not applied"

    fake.set_hang(calls=1, hang_for=0.3)
    started = time.monotonic()
    assert bot.send_message(CHAT, "slow").text == "slow"
    assert time.monotonic() - started >= 0.3

    fake.set_hang(calls=1)
    timer = threading.Timer(0.2, fake.release_hangs)
    timer.start()
    assert bot.send_message(CHAT, "released").text == "released"
    timer.join()


def test_flood_control_limits_bursts_per_chat(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_flood_control(per_chat_rate=1.0, per_chat_burst=3)
    for index in range(3):
        bot.send_message(CHAT, f"burst {index}")
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.send_message(CHAT, "one too many")
    assert caught.value.error_code == 429 and caught.value.result_json["parameters"]["retry_after"] >= 1
    assert bot.send_message(7, "another chat has its own budget")
    fake.set_flood_control(False)
    assert bot.send_message(CHAT, "flood control off")


def test_down_refuses_connections_and_comes_back(bot: TeleBot, fake: FakeTelegram) -> None:
    bot.send_message(CHAT, "before")  # leaves a keep-alive connection in the pool
    fake.set_down(True)
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.send_message(CHAT, "during")
    with pytest.raises(requests.exceptions.ConnectionError):
        requests.get(fake.control_url + "/health", timeout=2)
    fake.set_down(False)
    assert bot.send_message(CHAT, "after").text == "after"
    assert fake.texts(CHAT) == ["before", "after"]


def test_drop_and_502_outages_with_auto_recovery(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_down(True, mode="drop")
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.send_message(CHAT, "dropped")
    assert requests.get(fake.control_url + "/health", timeout=2).json()["result"]["down"] == "drop"

    fake.set_down(True, mode="502", seconds=0.3)
    with pytest.raises(apihelper.ApiHTTPException) as caught:
        bot.get_me()
    assert caught.value.result.status_code == 502
    eventually(lambda: fake.down_mode is None, timeout=3)
    assert bot.get_me().is_bot


class _SwallowConnectionErrors(ExceptionHandler):
    """What a long-running bot needs: TeleBot.polling(non_stop=True) only survives ApiException."""

    def __init__(self) -> None:
        self.seen: list[Exception] = []

    def handle(self, exception: Exception) -> bool:
        self.seen.append(exception)
        return isinstance(exception, requests.exceptions.RequestException)


def test_polling_survives_errors_and_an_outage(bot: TeleBot, fake: FakeTelegram, polling: Polling) -> None:
    @bot.message_handler(commands=["ping"])
    def ping(message: types.Message) -> None:
        bot.send_message(message.chat.id, "pong")

    handler = _SwallowConnectionErrors()
    bot.exception_handler = handler
    fake.set_server_error(500, calls=1, methods=["getUpdates"])
    with polling():
        eventually(lambda: fake.counters().get("faults.server_error") == 1, timeout=5)
        fake.set_down(True, mode="drop")
        eventually(lambda: fake.counters().get("connections.dropped", 0) >= 1, timeout=5)
        fake.set_down(False)
        fake.inject_message("/ping")
        eventually(lambda: fake.texts(CHAT) == ["pong"], timeout=10, message=lambda: f"sent: {fake.texts(CHAT)}")
    assert any(isinstance(e, requests.exceptions.ConnectionError) for e in handler.seen)


def test_lost_answer_is_applied_but_looks_failed(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.set_lost_answers(calls=1)
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.send_message(CHAT, "filled BTC")
    assert fake.texts(CHAT) == ["filled BTC"], "the operator got it even though the bot saw an error"
    bot.send_message(CHAT, "filled BTC")  # a naive retry
    assert fake.texts(CHAT) == ["filled BTC", "filled BTC"]


def test_stop_is_prompt_with_requests_in_flight(fake: FakeTelegram, telegram_urls: None) -> None:
    fake.set_hang(methods=["*"])
    outcomes: list[object] = []

    def call() -> None:
        try:
            outcomes.append(TeleBot(fake.token).get_me())
        except requests.exceptions.RequestException as error:
            outcomes.append(error)

    worker = threading.Thread(target=call)
    worker.start()
    eventually(lambda: fake.counters().get("faults.hang") == 1)
    started = time.monotonic()
    fake.stop()
    worker.join(5)
    assert time.monotonic() - started < 2
    assert isinstance(outcomes[0], requests.exceptions.ConnectionError)
