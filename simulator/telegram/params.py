"""Decoding Bot API parameters as they arrive: strings from a query or form, or JSON values.

The sync client puts every parameter in the query string (``True``/``False`` for booleans, JSON
strings for ``reply_markup`` and ``commands``); the async client sends a form; other clients send
JSON. Every method reads its parameters through these helpers so all three spellings work, and a
malformed value gets the 400 real Telegram would give instead of a traceback in the fake.
"""

from __future__ import annotations

import json
import re
from typing import Any

from simulator.telegram.errors import ApiError
from simulator.telegram.records import ChatId

Params = dict[str, Any]
_INT = re.compile(r"-?\d+")


def text(params: Params, key: str) -> str | None:
    """A string parameter, None when absent."""
    value = params.get(key)
    if value is None:
        return None
    return value if isinstance(value, str) else json.dumps(value) if isinstance(value, (dict, list)) else str(value)


def integer(params: Params, key: str, default: int | None = None) -> int | None:
    """An integer parameter; a non-number is a 400 like Telegram's."""
    value = params.get(key)
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        raise ApiError(400, f"Bad Request: invalid {key} specified")
    if isinstance(value, int):
        return value
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if isinstance(value, str) and _INT.fullmatch(value.strip()):
        return int(value.strip())
    raise ApiError(400, f"Bad Request: invalid {key} specified")


def number(params: Params, key: str, default: float) -> float:
    """A numeric parameter (getUpdates ``timeout`` may be fractional from some clients)."""
    value = params.get(key)
    if value is None or value == "":
        return default
    try:
        return float(value)
    except (TypeError, ValueError):
        raise ApiError(400, f"Bad Request: invalid {key} specified") from None


def boolean(params: Params, key: str) -> bool:
    """``True``/``true``/``1`` are true (the library sends Python's ``str(True)``)."""
    value = params.get(key)
    if isinstance(value, bool):
        return value
    return str(value).strip().lower() in ("true", "1") if value is not None else False


def json_value(params: Params, key: str, error: str) -> Any:
    """A JSON parameter that may arrive as a JSON string (query/form) or already decoded (JSON body)."""
    value = params.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            raise ApiError(400, f"Bad Request: {error}") from None
    return value


def chat_id(params: Params) -> ChatId:
    """``chat_id``: an integer, or an ``@username`` string."""
    value = params.get("chat_id")
    if value is None or value == "":
        raise ApiError(400, "Bad Request: chat_id is empty")
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    raw = str(value).strip()
    if _INT.fullmatch(raw):
        return int(raw)
    if raw.startswith("@"):
        return raw
    raise ApiError(400, "Bad Request: chat not found")


def reply_markup(params: Params, inline_only: bool = False) -> dict[str, Any] | None:
    """``reply_markup`` decoded and checked the way Telegram checks inline keyboards.

    ``callback_data`` longer than 64 bytes is a real, easy-to-miss failure ("BUTTON_DATA_INVALID").
    """
    markup = json_value(params, "reply_markup", "can't parse reply keyboard markup JSON object")
    if markup is None:
        return None
    if not isinstance(markup, dict):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    if "inline_keyboard" in markup:
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise ApiError(400, "Bad Request: can't parse inline keyboard button: field \"inline_keyboard\" "
                                "of the InlineKeyboardMarkup must be an Array of Arrays")
        for row in rows:
            for button in row:
                _check_inline_button(button)
    elif inline_only:
        raise ApiError(400, "Bad Request: inline keyboard expected")
    elif not any(key in markup for key in ("keyboard", "remove_keyboard", "force_reply")):
        raise ApiError(400, "Bad Request: can't parse reply keyboard markup JSON object")
    return markup


def _check_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Field \"text\" must be of type String")
    actions = ("callback_data", "url", "switch_inline_query", "switch_inline_query_current_chat", "web_app",
               "login_url", "pay", "callback_game", "copy_text", "switch_inline_query_chosen_chat")
    if not any(key in button for key in actions):
        raise ApiError(400, "Bad Request: can't parse inline keyboard button: Text buttons are unallowed in the "
                            "inline keyboard")
    data = button.get("callback_data")
    if data is not None and (not isinstance(data, str) or not 1 <= len(data.encode("utf-8")) <= 64):
        raise ApiError(400, "Bad Request: BUTTON_DATA_INVALID")
