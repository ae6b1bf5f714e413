"""Immutable records of what the bot did, as tests and the control API read them."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field
from typing import Any

ChatId = int | str


@dataclass(frozen=True)
class SentMessage:
    """One successful call by which the bot changed a chat: send, edit or delete.

    Records keep the order the fake applied them in (``seq`` is global across chats), so a test can
    assert both "what did the operator see" and "in which order". Failed calls (429, 400...) are not
    recorded here; they show up in the counters.
    """

    seq: int
    method: str
    chat_id: ChatId
    message_id: int
    text: str | None = None
    caption: str | None = None
    parse_mode: str | None = None
    reply_markup: dict[str, Any] | None = None
    photo: bytes | None = None
    file_id: str | None = None
    filename: str | None = None
    params: dict[str, Any] = field(default_factory=dict)
    at: float = 0.0

    @property
    def content(self) -> str | None:
        """The text or, for media, the caption: what the operator reads."""
        return self.text if self.text is not None else self.caption

    @property
    def photo_size(self) -> int | None:
        """Size in bytes of the uploaded photo or document, None for text."""
        return None if self.photo is None else len(self.photo)

    def button_data(self) -> list[str]:
        """Every ``callback_data`` of the inline keyboard, row by row."""
        return [button["callback_data"] for button in self.buttons() if "callback_data" in button]

    def button_texts(self) -> list[str]:
        """Every button label of the inline keyboard, row by row."""
        return [str(button.get("text", "")) for button in self.buttons()]

    def buttons(self) -> list[dict[str, Any]]:
        """The inline keyboard flattened row by row (empty without one)."""
        rows = (self.reply_markup or {}).get("inline_keyboard") or []
        return [button for row in rows for button in row]

    def to_json(self, include_bytes: bool = False) -> dict[str, Any]:
        """JSON form for the control API; photo bytes only on request (base64)."""
        answer: dict[str, Any] = {
            "seq": self.seq,
            "method": self.method,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "text": self.text,
            "caption": self.caption,
            "parse_mode": self.parse_mode,
            "reply_markup": self.reply_markup,
            "file_id": self.file_id,
            "filename": self.filename,
            "photo_size": self.photo_size,
            "photo_sha256": None if self.photo is None else hashlib.sha256(self.photo).hexdigest(),
            "params": self.params,
            "at": self.at,
        }
        if include_bytes and self.photo is not None:
            answer["photo_base64"] = base64.b64encode(self.photo).decode("ascii")
        return answer


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answerCallbackQuery for a button press (the toast or alert the operator sees)."""

    callback_query_id: str
    chat_id: ChatId | None
    message_id: int | None
    data: str | None
    text: str | None
    show_alert: bool
    at: float

    def to_json(self) -> dict[str, Any]:
        """JSON form for the control API."""
        return {
            "callback_query_id": self.callback_query_id,
            "chat_id": self.chat_id,
            "message_id": self.message_id,
            "data": self.data,
            "text": self.text,
            "show_alert": self.show_alert,
            "at": self.at,
        }
