"""The in-process handle: start the fake on its own loop thread and drive it from test code.

Tests and demo mode are synchronous (pykka actors, the sync TeleBot), so the server runs its
asyncio loop in a daemon thread and the handle's methods are plain blocking calls. Reads go to the
thread-safe state directly and never wait for the loop; only switches that touch the socket
(``set_down``) or loop-bound events (``release_hangs``, ``stop``) hop onto the loop.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Coroutine, Iterable
from typing import Any, TypeVar

from simulator.telegram.faults import DOWN_MODES, DownMode, FaultPlan, FloodControl
from simulator.telegram.records import CallbackAnswer, ChatId, SentMessage
from simulator.telegram.server import FakeTelegramServer
from simulator.telegram.state import TelegramState

T = TypeVar("T")

DEFAULT_TOKEN = "123456789:AAFakeTelegramTokenForTestsOnly0000"
DEFAULT_CHAT_ID = 42
DEFAULT_SCOPE = '{"type":"default"}'


def bot_user_for(token: str | None, username: str, first_name: str) -> dict[str, Any]:
    """getMe's User: like real Telegram, the bot id is the number before the token's colon."""
    prefix = (token or "").split(":", 1)[0]
    return {
        "id": int(prefix) if prefix.isdigit() else 999,
        "is_bot": True,
        "first_name": first_name,
        "username": username,
        "can_join_groups": True,
        "can_read_all_group_messages": False,
        "supports_inline_queries": False,
    }


class FakeTelegram:
    """A running fake Telegram Bot API server; use :func:`start_fake_telegram` to get one."""

    def __init__(self, token: str | None, host: str, port: int, bot_username: str, bot_first_name: str) -> None:
        self.token = token
        self.host = host
        self.state = TelegramState(bot_user_for(token, bot_username, bot_first_name))
        self.faults = FaultPlan()
        self._requested_port = port
        self._server: FakeTelegramServer | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ready = threading.Event()
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name=f"fake-telegram-{port}", daemon=True)
        self._stopped = False

    # --- life cycle ------------------------------------------------------------------------------

    def _start(self, timeout: float) -> None:
        self._thread.start()
        if not self._ready.wait(timeout):
            raise TimeoutError("the fake Telegram server did not start")
        if self._error is not None:
            raise RuntimeError(f"the fake Telegram server could not start: {self._error}") from self._error

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        self._loop = loop
        try:
            self._server = FakeTelegramServer(self.state, self.faults, self.token, self.host, self._requested_port)
            loop.run_until_complete(self._server.start())
        except BaseException as error:  # reported to the starting thread
            self._error = error
            self._ready.set()
            loop.close()
            return
        self._ready.set()
        try:
            loop.run_forever()
        finally:
            loop.run_until_complete(loop.shutdown_asyncgens())
            loop.close()

    def _on_loop(self, coroutine: Coroutine[Any, Any, T], timeout: float = 10.0) -> T:
        assert self._loop is not None
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(timeout)

    def stop(self) -> None:
        """Answer waiting requests, close the socket and end the loop thread. Idempotent."""
        if self._stopped or self._loop is None or self._server is None:
            return
        self._stopped = True
        try:
            self._on_loop(self._server.close())
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)

    def __enter__(self) -> FakeTelegram:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    # --- addresses -------------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The TCP port actually listened on (chosen by the OS when started with port 0)."""
        assert self._server is not None
        return self._server.port

    @property
    def base_url(self) -> str:
        """``http://HOST:PORT``, no trailing slash."""
        return f"http://{self.host}:{self.port}"

    @property
    def api_url(self) -> str:
        """The template for ``telebot.apihelper.API_URL`` (and ``asyncio_helper.API_URL``)."""
        return self.base_url + "/bot{0}/{1}"

    @property
    def file_url(self) -> str:
        """The template for ``telebot.apihelper.FILE_URL``."""
        return self.base_url + "/file/bot{0}/{1}"

    @property
    def control_url(self) -> str:
        """Root of the JSON control API."""
        return self.base_url + "/__fake__"

    @property
    def bot_user(self) -> dict[str, Any]:
        """What getMe answers."""
        return dict(self.state.bot_user)

    # --- the operator's side ---------------------------------------------------------------------

    def inject_message(
        self,
        text: str,
        chat_id: int = DEFAULT_CHAT_ID,
        *,
        user_id: int | None = None,
        first_name: str = "Operator",
        username: str | None = None,
        reply_to_message_id: int | None = None,
    ) -> dict[str, Any]:
        """A user (``user_id``, default = ``chat_id``) writes ``text`` in ``chat_id``; returns the Message.

        ``/commands`` get their ``bot_command`` entities, so TeleBot's command handlers fire.
        """
        return self.state.inject_message(text, chat_id, user_id=user_id, first_name=first_name, username=username,
                                         reply_to_message_id=reply_to_message_id)

    def press_button(
        self,
        chat_id: ChatId = DEFAULT_CHAT_ID,
        message_id: int | None = None,
        data: str | None = None,
        *,
        text: str | None = None,
        user_id: int | None = None,
        check: bool = True,
    ) -> dict[str, Any]:
        """Press an inline button (by ``data`` or label ``text``) on a bot message; returns the query.

        ``message_id`` defaults to the bot's latest message with an inline keyboard in the chat.
        Raises LookupError when that message shows no such button (unless ``check`` is False).
        """
        return self.state.press_button(chat_id, message_id, data=data, text=text, user_id=user_id, check=check)

    def block_chat(self, chat_id: ChatId, blocked: bool = True) -> None:
        """The user blocks the bot: sends to the chat answer 403 until unblocked."""
        self.state.block_chat(chat_id, blocked)

    # --- what the bot did -----------------------------------------------------------------------

    def sent_messages(self, chat_id: ChatId | None = None, method: str | None = None) -> list[SentMessage]:
        """Every successful send/edit/delete, in order; optionally one chat and/or one method."""
        records = self.state.sent_messages(chat_id)
        return [r for r in records if method is None or r.method == method]

    def texts(self, chat_id: ChatId | None = None) -> list[str]:
        """The text (or caption) of every sent or edited message, in order: handy for asserts."""
        return [r.content for r in self.sent_messages(chat_id) if r.content is not None]

    def last_message(self, chat_id: ChatId | None = None) -> SentMessage | None:
        """The latest record (send or edit) for the chat, None when the bot has said nothing."""
        records = self.sent_messages(chat_id)
        return records[-1] if records else None

    def message(self, chat_id: ChatId, message_id: int) -> dict[str, Any] | None:
        """A message as the operator sees it now (after edits); None once deleted."""
        return self.state.message(chat_id, message_id)

    def commands(self, scope: dict[str, Any] | None = None, language_code: str = "") -> list[dict[str, str]]:
        """Commands registered with setMyCommands for ``scope`` (default scope when None)."""
        key = DEFAULT_SCOPE if scope is None else json.dumps(scope, sort_keys=True, separators=(",", ":"))
        return self.state.commands(key, language_code)

    def callback_answers(self) -> list[CallbackAnswer]:
        """Every answerCallbackQuery, in order."""
        return self.state.callback_answers()

    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates the bot has not confirmed yet."""
        return self.state.pending_updates()

    def counters(self) -> dict[str, int]:
        """Snapshot: ``calls.<method>``, ``status.<code>``, ``faults.<kind>``, ``updates.*``, ``messages.*``."""
        return self.state.counters()

    def calls(self, method: str) -> int:
        """How many times the bot called ``method`` (any outcome)."""
        return self.counters().get(f"calls.{method}", 0)

    # --- switches --------------------------------------------------------------------------------

    def set_rate_limit(
        self,
        retry_after: int = 1,
        *,
        calls: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer 429 with ``parameters.retry_after`` for the next ``calls`` calls or ``seconds``.

        ``methods`` limits it to some methods; the default hits every method except getUpdates,
        ``["*"]`` hits everything. Neither ``calls`` nor ``seconds``: until :meth:`clear_faults`.
        """
        if retry_after < 1:
            raise ValueError("retry_after must be at least 1 second")
        self.faults.add("rate_limit", calls=calls, seconds=seconds, methods=methods, retry_after=retry_after)

    def set_server_error(
        self,
        status: int = 500,
        *,
        calls: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Answer 5xx: 500 as Telegram's JSON error, 502/503/504 as nginx's HTML page."""
        if not 500 <= status <= 599:
            raise ValueError("status must be a 5xx code")
        self.faults.add("server_error", calls=calls, seconds=seconds, methods=methods, status=status)

    def set_hang(
        self,
        *,
        calls: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
        hang_for: float | None = None,
    ) -> None:
        """Hold matching requests unanswered: for ``hang_for`` seconds, then answer normally, or
        (None) until :meth:`release_hangs`, an outage, or the client's own timeout cuts them."""
        self.faults.add("hang", calls=calls, seconds=seconds, methods=methods, hang_for=hang_for)

    def set_lost_answers(
        self,
        *,
        calls: int | None = None,
        seconds: float | None = None,
        methods: Iterable[str] | None = None,
    ) -> None:
        """Apply matching calls but cut the connection instead of answering: the message is in the
        chat while the bot sees a ConnectionError (and a naive retry sends it twice)."""
        self.faults.add("lose_answer", calls=calls, seconds=seconds, methods=methods)

    def release_hangs(self) -> None:
        """Let every hung request proceed and be answered."""
        assert self._server is not None
        server = self._server

        async def release() -> None:
            server.release_hangs()

        self._on_loop(release())

    def set_flood_control(
        self,
        enabled: bool = True,
        *,
        per_chat_rate: float = 1.0,
        per_chat_burst: int = 3,
        global_rate: float = 30.0,
    ) -> None:
        """Realistic flood control on sends and edits: 429 when the bot exceeds these rates."""
        flood = FloodControl(per_chat_rate, per_chat_burst, global_rate) if enabled else None
        self.faults.set_flood_control(flood)

    def clear_faults(self) -> None:
        """Remove every 429/5xx/hang rule and flood control, and release hung requests."""
        self.faults.clear()
        self.release_hangs()

    def set_down(self, down: bool = True, mode: DownMode = "refuse", seconds: float | None = None) -> None:
        """Go down or come back.

        ``refuse``: the listening socket closes and open connections are cut (connection refused);
        ``drop``: connections are accepted and closed without an answer (the control API still
        works); ``502``: nginx's HTML 502 page. With ``seconds`` it comes back by itself.
        """
        if mode not in DOWN_MODES:
            raise ValueError(f"mode must be one of {DOWN_MODES}")
        assert self._server is not None
        self._on_loop(self._server.set_down(mode if down else None, seconds))

    @property
    def down_mode(self) -> DownMode | None:
        """The current outage mode, None when up."""
        return None if self._server is None else self._server.down_mode

    def reset(self) -> None:
        """Forget chats, messages, updates, commands and counters; clear faults; come back up."""
        self.clear_faults()
        self.set_down(False)
        self.state.reset()


def start_fake_telegram(
    token: str | None = DEFAULT_TOKEN,
    port: int = 0,
    host: str = "127.0.0.1",
    *,
    bot_username: str = "usdc_futures_bot",
    bot_first_name: str = "USDC Futures Bot",
    startup_timeout: float = 10.0,
) -> FakeTelegram:
    """Start a fake Bot API server for ``token`` on ``host:port`` (0 = any free port).

    ``token=None`` accepts any token (handy for demo mode); otherwise other tokens get 401.

    Point the library at it with ``telebot.apihelper.API_URL = handle.api_url``; call
    ``handle.stop()`` (or use it as a context manager) when done.
    """
    handle = FakeTelegram(token, host, port, bot_username, bot_first_name)
    handle._start(startup_timeout)
    return handle
