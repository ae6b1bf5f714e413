"""Bot API round trips with the real pyTelegramBotAPI sync client against the fake."""

from __future__ import annotations

import asyncio
import io

import pytest
import requests
from telebot import TeleBot, apihelper, types
from telebot.async_telebot import AsyncTeleBot

from simulator.telegram import DEFAULT_TOKEN, FakeTelegram, start_fake_telegram
from tests.telegram_fake.helpers import tiny_png

CHAT = 42


def keyboard(*pairs: tuple[str, str]) -> types.InlineKeyboardMarkup:
    return types.InlineKeyboardMarkup([[types.InlineKeyboardButton(text, callback_data=data)] for text, data in pairs])


def test_get_me_answers_the_bot_of_the_token(bot: TeleBot) -> None:
    me = bot.get_me()
    assert me.is_bot and me.id == int(DEFAULT_TOKEN.split(":")[0]) and me.username == "usdc_futures_bot"


def test_send_message_is_recorded_per_chat_in_order(bot: TeleBot, fake: FakeTelegram) -> None:
    first = bot.send_message(CHAT, "<b>BTC</b> long opened", parse_mode="HTML",
                             reply_markup=keyboard(("Close", "close:BTC")))
    second = bot.send_message(CHAT, "second")
    bot.send_message(7, "another chat")

    assert first.chat.id == CHAT and first.from_user.is_bot and first.text == "<b>BTC</b> long opened"
    assert second.message_id == first.message_id + 1
    records = fake.sent_messages(CHAT)
    assert [r.text for r in records] == ["<b>BTC</b> long opened", "second"]
    assert records[0].parse_mode == "HTML" and records[0].method == "sendMessage"
    assert records[0].reply_markup == {"inline_keyboard": [[{"text": "Close", "callback_data": "close:BTC"}]]}
    assert records[0].button_data() == ["close:BTC"] and records[1].reply_markup is None
    assert [r.chat_id for r in fake.sent_messages()] == [CHAT, CHAT, 7]
    assert fake.counters()["calls.sendMessage"] == 3


def test_text_longer_than_4096_characters_is_refused(bot: TeleBot, fake: FakeTelegram) -> None:
    bot.send_message(CHAT, "x" * 4096)
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.send_message(CHAT, "x" * 4097)
    assert caught.value.error_code == 400
    assert caught.value.description == "Bad Request: message is too long"
    assert len(fake.sent_messages(CHAT)) == 1


def test_markup_errors_are_refused_like_telegram(bot: TeleBot) -> None:
    cases = [
        ({"text": "PnL < 0", "parse_mode": "HTML"}, "can't parse entities"),
        ({"text": "<b>open", "parse_mode": "HTML"}, "Can't find end tag"),
        ({"text": "Price 1.5", "parse_mode": "MarkdownV2"}, "Character '.' is reserved"),
        ({"text": "ok", "reply_markup": keyboard(("x", "d" * 65))}, "BUTTON_DATA_INVALID"),
        ({"text": ""}, "message text is empty"),
    ]
    for kwargs, expected in cases:
        with pytest.raises(apihelper.ApiTelegramException) as caught:
            bot.send_message(CHAT, **kwargs)
        assert caught.value.error_code == 400 and expected in caught.value.description, kwargs
    assert bot.send_message(CHAT, "PnL &lt; 0 *ok*", parse_mode="HTML").text == "PnL &lt; 0 *ok*"
    assert bot.send_message(CHAT, r"Price 1\.5 *bold*", parse_mode="MarkdownV2")


def test_edit_message_text_and_not_modified(bot: TeleBot, fake: FakeTelegram) -> None:
    sent = bot.send_message(CHAT, "Panic? ", reply_markup=keyboard(("Confirm", "panic:confirm")))
    edited = bot.edit_message_text("Panic confirmed", CHAT, sent.message_id)

    assert edited.text == "Panic confirmed" and edited.edit_date
    assert edited.reply_markup is None, "editing the text without reply_markup drops the keyboard"
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.edit_message_text("Panic confirmed", CHAT, sent.message_id)
    assert caught.value.error_code == 400
    assert caught.value.description.startswith("Bad Request: message is not modified")
    with pytest.raises(apihelper.ApiTelegramException, match="message to edit not found"):
        bot.edit_message_text("x", CHAT, 999)

    assert [(r.method, r.text) for r in fake.sent_messages(CHAT)] == [
        ("sendMessage", "Panic? "), ("editMessageText", "Panic confirmed")]
    assert fake.message(CHAT, sent.message_id)["text"] == "Panic confirmed"
    bot.edit_message_reply_markup(CHAT, sent.message_id, reply_markup=keyboard(("Undo", "undo")))
    assert fake.message(CHAT, sent.message_id)["reply_markup"]["inline_keyboard"][0][0]["callback_data"] == "undo"
    assert bot.delete_message(CHAT, sent.message_id) is True
    assert fake.message(CHAT, sent.message_id) is None


def test_send_photo_stores_bytes_and_caption(bot: TeleBot, fake: FakeTelegram) -> None:
    png = tiny_png(3, 2)
    message = bot.send_photo(CHAT, io.BytesIO(png), caption="Equity curve")

    assert message.caption == "Equity curve"
    assert (message.photo[0].width, message.photo[0].height) == (3, 2)
    record = fake.last_message(CHAT)
    assert record is not None and record.method == "sendPhoto"
    assert record.photo == png and record.photo_size == len(png) and record.caption == "Equity curve"
    assert bot.download_file(bot.get_file(message.photo[0].file_id).file_path) == png
    again = bot.send_photo(CHAT, message.photo[0].file_id)  # re-send by file_id, as Telegram allows
    assert fake.last_message(CHAT).photo == png and again.photo[0].file_id == message.photo[0].file_id

    with pytest.raises(apihelper.ApiTelegramException, match="file must be non-empty"):
        bot.send_photo(CHAT, io.BytesIO(b""))  # the forgotten buf.seek(0) after savefig
    with pytest.raises(apihelper.ApiTelegramException, match="IMAGE_PROCESS_FAILED"):
        bot.send_photo(CHAT, io.BytesIO(b"not an image"))


def test_commands_round_trip(bot: TeleBot, fake: FakeTelegram) -> None:
    commands = [types.BotCommand("status", "Bot status"), types.BotCommand("panic", "Close everything")]
    assert bot.set_my_commands(commands) is True
    bot.set_my_commands([types.BotCommand("admin", "Admin only")],
                        scope=types.BotCommandScopeChat(CHAT))

    assert [(c.command, c.description) for c in bot.get_my_commands()] == [
        ("status", "Bot status"), ("panic", "Close everything")]
    assert fake.commands() == [{"command": "status", "description": "Bot status"},
                               {"command": "panic", "description": "Close everything"}]
    assert fake.commands({"type": "chat", "chat_id": CHAT}) == [{"command": "admin", "description": "Admin only"}]
    with pytest.raises(apihelper.ApiTelegramException, match="BOT_COMMAND_INVALID"):
        bot.set_my_commands([types.BotCommand("Status!", "bad name")])
    assert bot.delete_my_commands() is True and fake.commands() == []


def test_webhook_methods(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.inject_message("queued before start")
    assert bot.delete_webhook(drop_pending_updates=True) is True
    assert fake.pending_updates() == []
    bot.set_webhook("https://example.invalid/hook")
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.get_updates(timeout=5, long_polling_timeout=1)
    assert caught.value.error_code == 409
    assert bot.delete_webhook() is True
    assert apihelper._make_request(DEFAULT_TOKEN, "getUpdates", params={"long_polling_timeout": 0}) == []


def test_wrong_token_and_unknown_method(fake: FakeTelegram, telegram_urls: None) -> None:
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        TeleBot("111:wrong-token").get_me()
    assert (caught.value.error_code, caught.value.description) == (401, "Unauthorized")
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        apihelper._make_request(DEFAULT_TOKEN, "sendUnicorn")
    assert (caught.value.error_code, caught.value.description) == (404, "Not Found")
    assert apihelper._make_request(DEFAULT_TOKEN, "GETME")["is_bot"], "names are case-insensitive"


def test_blocked_chat_answers_403(bot: TeleBot, fake: FakeTelegram) -> None:
    fake.block_chat(CHAT)
    with pytest.raises(apihelper.ApiTelegramException) as caught:
        bot.send_message(CHAT, "hello")
    assert caught.value.error_code == 403 and "blocked" in caught.value.description
    fake.block_chat(CHAT, blocked=False)
    assert bot.send_message(CHAT, "hello").text == "hello"


def test_json_and_form_bodies_merge_with_the_query(fake: FakeTelegram) -> None:
    url = fake.api_url.format(DEFAULT_TOKEN, "sendMessage")
    as_json = requests.post(url, params={"chat_id": CHAT}, json={"text": "from json",
                            "reply_markup": {"inline_keyboard": [[{"text": "A", "callback_data": "a"}]]}}, timeout=5)
    as_form = requests.post(url, data={"chat_id": str(CHAT), "text": "from form"}, timeout=5)
    assert as_json.json()["ok"] and as_form.json()["ok"]
    assert fake.texts(CHAT) == ["from json", "from form"]
    assert fake.last_message(CHAT).reply_markup is None
    assert fake.sent_messages(CHAT)[0].button_data() == ["a"]


def test_async_client_form_bodies(fake: FakeTelegram, telegram_urls: None) -> None:
    async def scenario() -> None:
        bot = AsyncTeleBot(DEFAULT_TOKEN)
        try:
            message = await bot.send_message(CHAT, "async hello", reply_markup=keyboard(("OK", "ok")))
            assert message.text == "async hello"
            photo = await bot.send_photo(CHAT, io.BytesIO(tiny_png()), caption="async chart")
            assert photo.caption == "async chart"
            fake.inject_message("/status")
            updates = await bot.get_updates(offset=1, timeout=5)  # GET with a form body
            assert [u.message.text for u in updates] == ["/status"]
        finally:
            await bot.close_session()

    asyncio.run(scenario())
    records = fake.sent_messages(CHAT)
    assert [r.method for r in records] == ["sendMessage", "sendPhoto"]
    assert records[0].button_data() == ["ok"] and records[1].photo == tiny_png()


def test_any_token_mode() -> None:
    with start_fake_telegram(token=None) as fake:
        saved = apihelper.API_URL
        apihelper.API_URL = fake.api_url
        try:
            assert TeleBot("555:whatever").get_me().is_bot
            assert TeleBot("777:another").send_message(CHAT, "hi").text == "hi"
        finally:
            apihelper.API_URL = saved
