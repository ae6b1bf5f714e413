"""A local fake of the Telegram Bot API for end-to-end tests and demo mode (no internet needed).

``start_fake_telegram()`` runs an aiohttp server on its own loop thread that the real
pyTelegramBotAPI talks to once ``telebot.apihelper.API_URL`` points at ``handle.api_url``. The
handle (and the JSON control API under ``/__fake__/``) plays the operator and injects failures.
"""

from simulator.telegram.errors import ApiError
from simulator.telegram.handle import DEFAULT_CHAT_ID, DEFAULT_TOKEN, FakeTelegram, start_fake_telegram
from simulator.telegram.records import CallbackAnswer, SentMessage

__all__ = [
    "DEFAULT_CHAT_ID",
    "DEFAULT_TOKEN",
    "ApiError",
    "CallbackAnswer",
    "FakeTelegram",
    "SentMessage",
    "start_fake_telegram",
]
