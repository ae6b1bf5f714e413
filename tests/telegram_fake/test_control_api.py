"""The JSON control API under /__fake__/, and the stand-alone command."""

from __future__ import annotations

import base64
import os
import signal
import subprocess
import sys
from typing import Any

import pytest
import requests
from telebot import TeleBot, apihelper, types

from simulator.telegram import DEFAULT_TOKEN, FakeTelegram
from tests.support import REPO_ROOT, eventually, free_port
from tests.telegram_fake.helpers import tiny_png

CHAT = 42


def control(fake: FakeTelegram, path: str, body: dict[str, Any] | None = None, **query: Any) -> Any:
    url = f"{fake.control_url}/{path}"
    if body is not None:
        answer = requests.post(url, json=body, timeout=5)
    else:
        answer = requests.get(url, params=query, timeout=5)
    payload = answer.json()
    assert answer.status_code == 200 and payload["ok"], payload
    return payload["result"]


def test_operator_side_over_http(bot: TeleBot, fake: FakeTelegram) -> None:
    message = control(fake, "messages", {"text": "/status now", "chat_id": CHAT, "user_id": 5})
    assert message["entities"] == [{"type": "bot_command", "offset": 0, "length": 7}]
    assert [u["message"]["text"] for u in control(fake, "updates")] == ["/status now"]

    markup = types.InlineKeyboardMarkup([[types.InlineKeyboardButton("Yes", callback_data="yes")]])
    sent = bot.send_message(CHAT, "Sure?", reply_markup=markup)
    bot.send_photo(CHAT, tiny_png(), caption="chart")
    query = control(fake, "press", {"chat_id": CHAT, "message_id": sent.message_id, "data": "yes"})
    assert query["data"] == "yes"
    bot.answer_callback_query(query["id"], "done")

    records = control(fake, "sent", chat_id=CHAT, include_bytes=1)
    assert [(r["method"], r["text"], r["caption"]) for r in records] == [
        ("sendMessage", "Sure?", None), ("sendPhoto", None, "chart")]
    assert base64.b64decode(records[1]["photo_base64"]) == tiny_png() and records[1]["photo_size"] == len(tiny_png())
    assert control(fake, "callback_answers")[0]["text"] == "done"
    assert control(fake, f"messages/{CHAT}/{sent.message_id}")["text"] == "Sure?"
    bot.set_my_commands([types.BotCommand("status", "Status")])
    assert control(fake, "commands") == [{"scope": {"type": "default"}, "language_code": "",
                                          "commands": [{"command": "status", "description": "Status"}]}]
    assert control(fake, "counters")["calls.sendMessage"] == 1

    bad = requests.post(f"{fake.control_url}/press", json={"chat_id": CHAT, "data": "no-such-button"}, timeout=5)
    assert bad.status_code == 400 and not bad.json()["ok"]


def test_fault_switches_over_http(bot: TeleBot, fake: FakeTelegram) -> None:
    control(fake, "rate_limit", {"retry_after": 9, "calls": 1, "methods": ["sendMessage"]})
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.send_message(CHAT, "x")
    assert caught.value.result_json["parameters"]["retry_after"] == 9
    control(fake, "server_error", {"status": 503})
    with pytest.raises(apihelper.ApiHTTPException):
        bot.send_message(CHAT, "x")
    control(fake, "clear_faults", {})
    assert bot.send_message(CHAT, "ok")

    control(fake, "down", {"mode": "drop"})
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.send_message(CHAT, "x")
    control(fake, "down", {"down": False})

    refused = requests.post(f"{fake.control_url}/down", json={"mode": "refuse"}, timeout=5)
    assert refused.status_code == 400, "refuse without seconds would lock the control API out"
    control(fake, "down", {"mode": "refuse", "seconds": 0.5})
    eventually(lambda: fake.down_mode == "refuse", timeout=2)
    with pytest.raises(requests.exceptions.ConnectionError):
        bot.get_me()

    def back_up() -> bool:
        try:
            return bool(bot.get_me())
        except requests.exceptions.ConnectionError:
            return False

    eventually(back_up, timeout=5, interval=0.05, message="the fake did not come back after 0.5 s")
    control(fake, "reset", {})
    assert control(fake, "sent") == [] and control(fake, "health")["down"] is None


def test_command_line_runs_until_sigterm() -> None:
    port = free_port()
    with subprocess.Popen(
        [sys.executable, "-m", "simulator.telegram.cli", "--port", str(port)],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, text=True, env={**os.environ, "PYTHONUNBUFFERED": "1"},
    ) as process:
        try:
            assert process.stdout is not None
            first_line = process.stdout.readline()
            assert f"127.0.0.1:{port}" in first_line, first_line
            health = requests.get(f"http://127.0.0.1:{port}/__fake__/health", timeout=5).json()
            assert health["result"]["bot"]["id"] == int(DEFAULT_TOKEN.split(":")[0])
        finally:
            process.send_signal(signal.SIGTERM)
            assert process.wait(10) == 0
