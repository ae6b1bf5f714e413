"""Everything the fake Telegram remembers: chats, messages, the update queue, records and counters.

The state is shared by the server's event loop (Bot API calls) and the test thread (injections and
assertions), so every public method takes one lock and returns copies: a test never waits for the
server's loop to read a counter or the sent messages. The server subscribes to ``on_update`` to wake
long-polling getUpdates calls as soon as something is injected.
"""

from __future__ import annotations

import itertools
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from simulator.telegram.errors import ApiError
from simulator.telegram.formatting import command_entities
from simulator.telegram.media import FileStore, StoredFile
from simulator.telegram.records import CallbackAnswer, ChatId, SentMessage
from simulator.telegram.updates import UpdateQueue


def _default_user(chat_id: ChatId, user_id: int | None) -> int:
    """The sender when a test does not say: the chat's own user in a private chat, else user 1."""
    if user_id is not None:
        return user_id
    return chat_id if isinstance(chat_id, int) and chat_id > 0 else 1


@dataclass
class _Message:
    """A message as it stands now (after edits), with who wrote it."""

    payload: dict[str, Any]
    from_bot: bool
    text: str | None
    reply_markup: dict[str, Any] | None
    has_media: bool = False


@dataclass
class _Chat:
    chat: dict[str, Any]
    next_message_id: int = 1
    messages: dict[int, _Message] = field(default_factory=dict)


class TelegramState:
    """The fake's memory. Thread-safe; all reads return copies or immutable records."""

    def __init__(self, bot_user: dict[str, Any], first_update_id: int = 1000) -> None:
        self.bot_user = dict(bot_user)
        self.files = FileStore()
        self.on_update: Callable[[], None] | None = None
        self._lock = threading.RLock()
        self._first_update_id = first_update_id
        self._reset_locked()

    def _reset_locked(self) -> None:
        self._chats: dict[ChatId, _Chat] = {}
        self._records: list[SentMessage] = []
        self._seq = itertools.count(1)
        self._callbacks: dict[str, tuple[ChatId, int, str | None]] = {}
        self._callback_ids = itertools.count(1)
        self._answers: list[CallbackAnswer] = []
        self._commands: dict[tuple[str, str], list[dict[str, str]]] = {}
        self._counters: Counter[str] = Counter()
        self._updates = UpdateQueue(self._counters, self._first_update_id)
        self._blocked: set[ChatId] = set()
        self.webhook_url = ""
        self.files.clear()

    def reset(self) -> None:
        """Forget chats, updates, records, commands and counters (faults live elsewhere)."""
        with self._lock:
            self._reset_locked()

    # --- counters -------------------------------------------------------------------------------

    def count(self, key: str, amount: int = 1) -> None:
        """Add to a named counter (``calls.sendMessage``, ``status.429``, ...)."""
        with self._lock:
            self._counters[key] += amount

    def counters(self) -> dict[str, int]:
        """A snapshot of every counter, plus ``updates.pending``."""
        with self._lock:
            snapshot = dict(self._counters)
            snapshot["updates.pending"] = len(self._updates)
            return snapshot

    # --- chats and users -------------------------------------------------------------------------

    def _chat(self, chat_id: ChatId, create: bool = True) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            if isinstance(chat_id, str) or not create:
                raise ApiError(400, "Bad Request: chat not found")
            kind = "private" if chat_id > 0 else "supergroup" if str(chat_id).startswith("-100") else "group"
            payload: dict[str, Any] = {"id": chat_id, "type": kind}
            payload.update({"first_name": "Operator"} if kind == "private" else {"title": f"Group {chat_id}"})
            chat = _Chat(payload)
            self._chats[chat_id] = chat
        return chat

    def writable_chat(self, chat_id: ChatId) -> dict[str, Any]:
        """The chat the bot wants to write to, or the 400/403 real Telegram would answer."""
        with self._lock:
            if chat_id in self._blocked:
                raise ApiError(403, "Forbidden: bot was blocked by the user")
            return dict(self._chat(chat_id).chat)

    def block_chat(self, chat_id: ChatId, blocked: bool = True) -> None:
        """Make sends to ``chat_id`` fail with 403 "bot was blocked by the user" (or undo it)."""
        with self._lock:
            (self._blocked.add if blocked else self._blocked.discard)(chat_id)

    # --- updates ---------------------------------------------------------------------------------

    def _notify(self) -> None:
        callback = self.on_update
        if callback is not None:
            callback()

    def inject_message(
        self,
        text: str,
        chat_id: int,
        *,
        user_id: int | None = None,
        first_name: str = "Operator",
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """Queue a user's text message as a ``message`` update; returns the Message."""
        user: dict[str, Any] = {"id": _default_user(chat_id, user_id), "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        with self._lock:
            chat = self._chat(chat_id)
            if chat.chat["type"] == "private":
                chat.chat["first_name"] = first_name
                if username:
                    chat.chat["username"] = username
            message: dict[str, Any] = {
                "message_id": chat.next_message_id,
                "date": int(time.time()),
                "chat": dict(chat.chat),
                "from": user,
                "text": text,
            }
            entities = command_entities(text)
            if entities:
                message["entities"] = entities
            if reply_to_message_id is not None and reply_to_message_id in chat.messages:
                message["reply_to_message"] = chat.messages[reply_to_message_id].payload
            chat.messages[chat.next_message_id] = _Message(message, False, text, None)
            chat.next_message_id += 1
            self._updates.push("message", message)
        self._notify()
        return message

    def press_button(
        self,
        chat_id: ChatId,
        message_id: int | None = None,
        *,
        data: str | None = None,
        text: str | None = None,
        user_id: int | None = None,
        first_name: str = "Operator",
        check: bool = True,
    ) -> dict[str, Any]:
        """Queue a ``callback_query`` update for an inline button of a message the bot sent.

        ``message_id`` defaults to the bot's latest message with an inline keyboard; the button is
        chosen by ``data`` or by its label ``text``. With ``check`` the data must belong to a button
        that message really shows, so a test cannot press a button the operator never saw.
        """
        with self._lock:
            chat = self._chat(chat_id, create=False)
            if message_id is None:
                keyboards = [m for m in chat.messages.values() if m.from_bot and m.reply_markup]
                if not keyboards:
                    raise LookupError(f"the bot has sent no message with an inline keyboard to chat {chat_id}")
                message_id = int(keyboards[-1].payload["message_id"])
            message = chat.messages.get(message_id)
            if message is None or not message.from_bot:
                raise LookupError(f"no message {message_id} from the bot in chat {chat_id}")
            buttons = [b for row in (message.reply_markup or {}).get("inline_keyboard", []) for b in row]
            if text is not None:
                matching = [b for b in buttons if b.get("text") == text and "callback_data" in b]
                if not matching:
                    raise LookupError(f"no button labelled {text!r}; labels: {[b.get('text') for b in buttons]}")
                data = str(matching[0]["callback_data"])
            if check and data not in [b.get("callback_data") for b in buttons]:
                raise LookupError(f"message {message_id} has no button with data {data!r}; buttons: {buttons}")
            query_id = f"{next(self._callback_ids)}{abs(hash(chat_id)) % 10**6:06d}"
            sender = {"id": _default_user(chat_id, user_id), "is_bot": False, "first_name": first_name}
            query: dict[str, Any] = {
                "id": query_id,
                "from": sender,
                "chat_instance": str(abs(hash(("instance", chat_id)))),
                "message": message.payload,
            }
            if data is not None:
                query["data"] = data
            self._callbacks[query_id] = (chat_id, message_id, data)
            self._updates.push("callback_query", query)
        self._notify()
        return query

    def take_updates(self, offset: int, limit: int, allowed_updates: list[str] | None) -> list[dict[str, Any]]:
        """getUpdates without the waiting (see :meth:`UpdateQueue.take`)."""
        with self._lock:
            return self._updates.take(offset, limit, allowed_updates)

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed by the bot."""
        with self._lock:
            return self._updates.pending()

    def drop_pending_updates(self) -> None:
        """deleteWebhook/setWebhook with ``drop_pending_updates``."""
        with self._lock:
            self._updates.drop_all()

    # --- what the bot does ----------------------------------------------------------------------

    def _record(self, method: str, chat_id: ChatId, message_id: int, **fields: Any) -> None:
        self._records.append(
            SentMessage(seq=next(self._seq), method=method, chat_id=chat_id, message_id=message_id,
                        at=time.time(), **fields)
        )

    def send(
        self,
        method: str,
        chat_id: ChatId,
        params: dict[str, Any],
        *,
        text: str | None = None,
        caption: str | None = None,
        parse_mode: str | None = None,
        reply_markup: dict[str, Any] | None = None,
        file: StoredFile | None = None,
        file_field: str = "photo",
    ) -> dict[str, Any]:
        """Store a new bot message and record the call; returns the Message to answer with."""
        with self._lock:
            chat = self._chat(chat_id)
            message: dict[str, Any] = {
                "message_id": chat.next_message_id,
                "date": int(time.time()),
                "chat": dict(chat.chat),
                "from": dict(self.bot_user),
            }
            if text is not None:
                message["text"] = text
            if file is not None:
                message[file_field] = file.as_photo_sizes() if file_field == "photo" else file.as_document()
            if caption is not None:
                message["caption"] = caption
            if reply_markup is not None:
                message["reply_markup"] = reply_markup
            chat.messages[chat.next_message_id] = _Message(message, True, text, reply_markup, file is not None)
            chat.next_message_id += 1
            self._record(method, chat_id, message["message_id"], text=text, caption=caption,
                         parse_mode=parse_mode, reply_markup=reply_markup,
                         photo=None if file is None else file.data, file_id=None if file is None else file.file_id,
                         filename=None if file is None else file.filename, params=dict(params))
            self._counters["messages.sent"] += 1
            return dict(message)

    def edit(
        self,
        method: str,
        chat_id: ChatId,
        message_id: int,
        params: dict[str, Any],
        *,
        text: str | None,
        parse_mode: str | None,
        reply_markup: dict[str, Any] | None,
    ) -> dict[str, Any]:
        """editMessageText (``text`` given) or editMessageReplyMarkup (``text`` None).

        As on real Telegram, editing the text without a ``reply_markup`` removes the inline keyboard,
        and an edit that changes nothing is refused with "message is not modified".
        """
        with self._lock:
            chat = self._chat(chat_id, create=False)
            message = chat.messages.get(message_id)
            if message is None:
                raise ApiError(400, "Bad Request: message to edit not found")
            if not message.from_bot:
                raise ApiError(400, "Bad Request: message can't be edited")
            if text is not None and message.text is None:
                raise ApiError(400, "Bad Request: there is no text in the message to edit")
            new_text = message.text if text is None else text
            if new_text == message.text and reply_markup == message.reply_markup:
                raise ApiError(
                    400,
                    "Bad Request: message is not modified: specified new message content and reply markup "
                    "are exactly the same as a current content and reply markup of the message",
                )
            payload = dict(message.payload)
            payload["edit_date"] = int(time.time())
            if new_text is not None:
                payload["text"] = new_text
            payload.pop("reply_markup", None)
            if reply_markup is not None:
                payload["reply_markup"] = reply_markup
            message.payload, message.text, message.reply_markup = payload, new_text, reply_markup
            self._record(method, chat_id, message_id, text=text, parse_mode=parse_mode,
                         reply_markup=reply_markup, params=dict(params))
            self._counters["messages.edited"] += 1
            return dict(payload)

    def delete(self, chat_id: ChatId, message_id: int, params: dict[str, Any]) -> None:
        """deleteMessage: the message disappears from the chat; the call is recorded."""
        with self._lock:
            chat = self._chat(chat_id, create=False)
            if chat.messages.pop(message_id, None) is None:
                raise ApiError(400, "Bad Request: message to delete not found")
            self._record("deleteMessage", chat_id, message_id, params=dict(params))

    def answer_callback(self, query_id: str, text: str | None, show_alert: bool) -> None:
        """answerCallbackQuery: only ids of presses the fake delivered are valid."""
        with self._lock:
            if query_id not in self._callbacks:
                raise ApiError(400, "Bad Request: query is too old and response timeout expired or query ID is invalid")
            chat_id, message_id, data = self._callbacks.pop(query_id)
            self._answers.append(CallbackAnswer(query_id, chat_id, message_id, data, text, show_alert, time.time()))

    def set_commands(self, scope: str, language_code: str, commands: list[dict[str, str]] | None) -> None:
        """setMyCommands (a list) or deleteMyCommands (None) for one scope and language."""
        with self._lock:
            if commands is None:
                self._commands.pop((scope, language_code), None)
            else:
                self._commands[(scope, language_code)] = [dict(c) for c in commands]

    # --- reads ----------------------------------------------------------------------------------

    def commands(self, scope: str = '{"type":"default"}', language_code: str = "") -> list[dict[str, str]]:
        """Commands registered for a scope (JSON, canonical form) and language."""
        with self._lock:
            return [dict(c) for c in self._commands.get((scope, language_code), [])]

    def all_commands(self) -> dict[tuple[str, str], list[dict[str, str]]]:
        """Every registration, keyed by (scope JSON, language code)."""
        with self._lock:
            return {key: [dict(c) for c in value] for key, value in self._commands.items()}

    def sent_messages(self, chat_id: ChatId | None = None) -> list[SentMessage]:
        """Records in order, for one chat or all of them."""
        with self._lock:
            return [r for r in self._records if chat_id is None or r.chat_id == chat_id]

    def message(self, chat_id: ChatId, message_id: int) -> dict[str, Any] | None:
        """A message as it stands now (after edits), None when absent or deleted."""
        with self._lock:
            chat = self._chats.get(chat_id)
            stored = None if chat is None else chat.messages.get(message_id)
            return None if stored is None else dict(stored.payload)

    def callback_answers(self) -> list[CallbackAnswer]:
        """Every answerCallbackQuery, in order."""
        with self._lock:
            return list(self._answers)

    def file(self, file_id: str) -> StoredFile:
        """A stored upload by id (400 like Telegram when unknown)."""
        with self._lock:
            return self.files.get(file_id)

    def file_by_path(self, file_path: str) -> StoredFile | None:
        """A stored upload by its download path."""
        with self._lock:
            return self.files.by_path(file_path)

    def store_upload(self, data: bytes, filename: str | None, photo: bool) -> StoredFile:
        """Keep an upload (photo checks apply to photos only)."""
        with self._lock:
            return self.files.add_photo(data, filename) if photo else self.files.add_document(data, filename)
