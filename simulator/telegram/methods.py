"""The Bot API methods the fake implements, each a plain function of (state, params, files).

They hold no I/O and no waiting (getUpdates' long poll lives in the server), so they are easy to
read against the Bot API reference. Method names are matched case-insensitively, as Telegram does.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from simulator.telegram import params as p
from simulator.telegram.errors import ApiError
from simulator.telegram.formatting import check_caption, check_message_text
from simulator.telegram.media import StoredFile
from simulator.telegram.params import Params
from simulator.telegram.state import TelegramState

DEFAULT_SCOPE = '{"type":"default"}'
_COMMAND_NAME = re.compile(r"[a-z0-9_]{1,32}")


@dataclass(frozen=True)
class Upload:
    """A file part of a multipart request."""

    filename: str | None
    data: bytes


Files = dict[str, Upload]
Method = Callable[[TelegramState, Params, Files], Any]


@dataclass(frozen=True)
class UpdatesRequest:
    """getUpdates' parameters, decoded; the server does the waiting."""

    offset: int
    limit: int
    timeout: float
    allowed_updates: list[str] | None


def parse_get_updates(state: TelegramState, params: Params) -> UpdatesRequest:
    """Decode getUpdates and refuse it while a webhook is set, as Telegram does (409)."""
    if state.webhook_url:
        raise ApiError(409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook "
                            "to delete the webhook first")
    allowed = p.json_value(params, "allowed_updates", "can't parse allowed updates")
    if allowed is not None and not isinstance(allowed, list):
        raise ApiError(400, "Bad Request: can't parse allowed updates")
    return UpdatesRequest(
        offset=p.integer(params, "offset", 0) or 0,
        limit=p.integer(params, "limit", 100) or 100,
        timeout=max(0.0, p.number(params, "timeout", 0.0)),
        allowed_updates=allowed,
    )


def _message_target(params: Params) -> tuple[Any, int]:
    if params.get("inline_message_id"):
        raise ApiError(400, "Bad Request: inline messages are not supported by the fake")
    chat = p.chat_id(params)
    message_id = p.integer(params, "message_id")
    if message_id is None:
        raise ApiError(400, "Bad Request: message identifier is not specified")
    return chat, message_id


def get_me(state: TelegramState, params: Params, files: Files) -> Any:
    return dict(state.bot_user)


def send_message(state: TelegramState, params: Params, files: Files) -> Any:
    chat = p.chat_id(params)
    text, parse_mode = p.text(params, "text"), p.text(params, "parse_mode")
    check_message_text(text, parse_mode)
    markup = p.reply_markup(params)
    state.writable_chat(chat)
    return state.send("sendMessage", chat, params, text=text, parse_mode=parse_mode, reply_markup=markup)


def _upload(state: TelegramState, params: Params, files: Files, field: str) -> StoredFile | None:
    upload = files.get(field)
    if upload is not None:
        return state.store_upload(upload.data, upload.filename, photo=field == "photo")
    reference = p.text(params, field)
    if not reference:
        raise ApiError(400, f"Bad Request: there is no {field} in the request")
    if reference.startswith(("http://", "https://")):
        return None  # no internet here: accepted and recorded, but there are no bytes to keep
    return state.file(reference)


def _send_file(field: str, method: str) -> Method:
    def send(state: TelegramState, params: Params, files: Files) -> Any:
        chat = p.chat_id(params)
        caption, parse_mode = p.text(params, "caption"), p.text(params, "parse_mode")
        check_caption(caption, parse_mode)
        markup = p.reply_markup(params)
        state.writable_chat(chat)
        stored = _upload(state, params, files, field)
        return state.send(method, chat, params, caption=caption, parse_mode=parse_mode, reply_markup=markup,
                          file=stored, file_field=field)

    send.__doc__ = f"{method}: multipart upload, an earlier file_id, or a URL (not fetched)."
    return send


def edit_message_text(state: TelegramState, params: Params, files: Files) -> Any:
    chat, message_id = _message_target(params)
    text, parse_mode = p.text(params, "text"), p.text(params, "parse_mode")
    check_message_text(text, parse_mode)
    markup = p.reply_markup(params, inline_only=True)
    return state.edit("editMessageText", chat, message_id, params, text=text, parse_mode=parse_mode,
                      reply_markup=markup)


def edit_message_reply_markup(state: TelegramState, params: Params, files: Files) -> Any:
    chat, message_id = _message_target(params)
    markup = p.reply_markup(params, inline_only=True)
    return state.edit("editMessageReplyMarkup", chat, message_id, params, text=None, parse_mode=None,
                      reply_markup=markup)


def delete_message(state: TelegramState, params: Params, files: Files) -> Any:
    chat, message_id = _message_target(params)
    state.delete(chat, message_id, params)
    return True


def answer_callback_query(state: TelegramState, params: Params, files: Files) -> Any:
    query_id = p.text(params, "callback_query_id")
    if not query_id:
        raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
    text = p.text(params, "text")
    if text is not None and len(text) > 200:
        raise ApiError(400, "Bad Request: MESSAGE_TOO_LONG")
    state.answer_callback(query_id, text, p.boolean(params, "show_alert"))
    return True


def _scope(params: Params) -> str:
    scope = p.json_value(params, "scope", "can't parse BotCommandScope JSON object")
    if scope is None:
        return DEFAULT_SCOPE
    if not isinstance(scope, dict) or "type" not in scope:
        raise ApiError(400, "Bad Request: can't parse BotCommandScope JSON object")
    return json.dumps(scope, sort_keys=True, separators=(",", ":"))


def set_my_commands(state: TelegramState, params: Params, files: Files) -> Any:
    commands = p.json_value(params, "commands", "can't parse commands JSON object")
    if not isinstance(commands, list) or len(commands) > 100:
        raise ApiError(400, "Bad Request: can't parse commands JSON object")
    cleaned: list[dict[str, str]] = []
    for command in commands:
        if not isinstance(command, dict):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        name, description = str(command.get("command", "")), str(command.get("description", ""))
        if not _COMMAND_NAME.fullmatch(name):
            raise ApiError(400, "Bad Request: BOT_COMMAND_INVALID")
        if not 1 <= len(description) <= 256:
            raise ApiError(400, "Bad Request: command description is empty" if not description
                           else "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID")
        cleaned.append({"command": name, "description": description})
    state.set_commands(_scope(params), p.text(params, "language_code") or "", cleaned)
    return True


def get_my_commands(state: TelegramState, params: Params, files: Files) -> Any:
    return state.commands(_scope(params), p.text(params, "language_code") or "")


def delete_my_commands(state: TelegramState, params: Params, files: Files) -> Any:
    state.set_commands(_scope(params), p.text(params, "language_code") or "", None)
    return True


def send_chat_action(state: TelegramState, params: Params, files: Files) -> Any:
    state.writable_chat(p.chat_id(params))
    if not p.text(params, "action"):
        raise ApiError(400, "Bad Request: wrong parameter action in request")
    return True


def get_file(state: TelegramState, params: Params, files: Files) -> Any:
    return state.file(p.text(params, "file_id") or "").as_file()


def set_webhook(state: TelegramState, params: Params, files: Files) -> Any:
    state.webhook_url = p.text(params, "url") or ""
    if p.boolean(params, "drop_pending_updates"):
        state.drop_pending_updates()
    return True


def delete_webhook(state: TelegramState, params: Params, files: Files) -> Any:
    state.webhook_url = ""
    if p.boolean(params, "drop_pending_updates"):
        state.drop_pending_updates()
    return True


def get_webhook_info(state: TelegramState, params: Params, files: Files) -> Any:
    return {"url": state.webhook_url, "has_custom_certificate": False,
            "pending_update_count": len(state.pending_updates())}


METHODS: dict[str, Method] = {
    "getMe": get_me,
    "sendMessage": send_message,
    "sendPhoto": _send_file("photo", "sendPhoto"),
    "sendDocument": _send_file("document", "sendDocument"),
    "editMessageText": edit_message_text,
    "editMessageReplyMarkup": edit_message_reply_markup,
    "deleteMessage": delete_message,
    "answerCallbackQuery": answer_callback_query,
    "setMyCommands": set_my_commands,
    "getMyCommands": get_my_commands,
    "deleteMyCommands": delete_my_commands,
    "sendChatAction": send_chat_action,
    "getFile": get_file,
    "setWebhook": set_webhook,
    "deleteWebhook": delete_webhook,
    "getWebhookInfo": get_webhook_info,
}
GET_UPDATES = "getUpdates"
_CANONICAL = {name.lower(): name for name in [*METHODS, GET_UPDATES]}


def canonical_name(method: str) -> str | None:
    """The documented spelling of a method name, None when the fake does not know it."""
    return _CANONICAL.get(method.lower())
