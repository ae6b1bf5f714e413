"""The Telegram side's window on the running bot: asks with timeouts, and the exchange's live view.

Telegram is an edge, like the tests: it may ``ask`` an actor (with a timeout, so a busy or dead actor
costs one "did not answer" line, never a hang) and ``tell`` it commands through the directory.
Exchange data comes the way every actor gets it: a ``FetchAccountState`` to the ExchangeActor with
``reply_to`` = this side's own small actor (``TelegramActor``, registered as ``telegram``), which
hands the reply to the waiting command thread. No second exchange client, no second rate budget.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import threading
import time
from collections.abc import Iterable
from typing import Any

import pykka

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import EXCHANGE, ROOT, TELEGRAM
from messages.exchange import AccountState, ExchangeReply, FetchAccountState

log = logging.getLogger(__name__)


class NoAnswerError(Exception):
    """An actor is not running or did not answer in time; the message names it."""


class ReplyWaiters:
    """Command threads wait here for the ExchangeReply that matches their request id."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._waiting: dict[str, tuple[threading.Event, list[ExchangeReply]]] = {}

    def expect(self, request_id: str) -> tuple[threading.Event, list[ExchangeReply]]:
        slot: tuple[threading.Event, list[ExchangeReply]] = (threading.Event(), [])
        with self._lock:
            self._waiting[request_id] = slot
        return slot

    def forget(self, request_id: str) -> None:
        with self._lock:
            self._waiting.pop(request_id, None)

    def resolve(self, reply: ExchangeReply) -> bool:
        with self._lock:
            slot = self._waiting.pop(reply.request_id, None)
        if slot is None:
            return False  # the asker gave up waiting; nothing else depends on this reply
        slot[1].append(reply)
        slot[0].set()
        return True


class TelegramActor(BotActor):
    """The Telegram side's address in the actor tree: receives exchange replies (``reply_to``)."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str, waiters: ReplyWaiters) -> None:
        super().__init__(ctx, name, supervisor)
        self.waiters = waiters

    def receive(self, message: Any) -> Any:
        if isinstance(message, ExchangeReply):
            self.waiters.resolve(message)
            return None
        return super().receive(message)


class BotView:
    """Reads for the commands. Every method may raise :class:`NoAnswerError`."""

    def __init__(self, ctx: BotContext, timeout_s: float, cache_s: float = 2.0, fetches_per_minute: int = 12) -> None:
        self.ctx = ctx
        self.timeout_s = timeout_s
        self.cache_s = cache_s
        self.fetches_per_minute = fetches_per_minute
        self._fetch_lock = threading.Lock()
        self._fetches: list[float] = []
        self._cached: tuple[float, AccountState] | None = None
        self.waiters = ReplyWaiters()
        self._ids = itertools.count(1)
        self._actor: pykka.ActorRef[Any] | None = None

    def start(self) -> None:
        self._actor = TelegramActor.start(self.ctx, TELEGRAM, ROOT, self.waiters)
        self.ctx.directory.register(TELEGRAM, self._actor)

    def stop(self) -> None:
        self.ctx.directory.unregister(TELEGRAM, self._actor)
        if self._actor is not None:
            with contextlib.suppress(pykka.Timeout, pykka.ActorDeadError):
                self._actor.stop(block=True, timeout=2.0)

    def ask(self, name: str, method: str, *args: Any, timeout_s: float | None = None) -> Any:
        ref = self.ctx.directory.get(name)
        if ref is None:
            raise NoAnswerError(f"the {name} actor is not running")
        try:
            return getattr(ref.proxy(), method)(*args).get(timeout=timeout_s or self.timeout_s)
        except pykka.Timeout:
            raise NoAnswerError(f"the {name} actor did not answer within {timeout_s or self.timeout_s:.0f}s") from None
        except pykka.ActorDeadError:
            raise NoAnswerError(f"the {name} actor is not running") from None

    def tell(self, name: str, message: object) -> bool:
        return self.ctx.directory.tell(name, message)

    def account(self, symbols: Iterable[str] = ()) -> AccountState:
        """Positions (mark price, unrealized PnL), open orders and the balance, from the exchange.

        The request spends the bot's shared request-weight budget, which trading needs: so it names
        the symbols (the traded ones plus ``symbols``: ~1 weight per symbol instead of 40 for "all"),
        a state younger than ``cache_s`` is reused, and beyond ``fetches_per_minute`` the last state
        is reused whatever its age (replies show the time of the view they use).
        """
        with self._fetch_lock:
            now = time.monotonic()
            self._fetches = [t for t in self._fetches if now - t < 60.0]
            if self._cached is not None and (now - self._cached[0] < self.cache_s or
                                             len(self._fetches) >= self.fetches_per_minute):
                return self._cached[1]
            self._fetches.append(now)
            wanted = set(self.ctx.health.get("symbols.active", []) or []) | set(symbols)
            state = self._fetch(tuple(sorted(wanted)))
            self._cached = (time.monotonic(), state)
            return state

    def _fetch(self, symbols: tuple[str, ...]) -> AccountState:
        request_id = f"telegram:{next(self._ids)}"
        event, box = self.waiters.expect(request_id)
        request = FetchAccountState(request_id=request_id, ts_init=self.ctx.clock.now_ms(), reply_to=TELEGRAM,
                                    symbols=symbols)
        if not self.tell(EXCHANGE, request):
            self.waiters.forget(request_id)
            raise NoAnswerError("the exchange actor is not running")
        if not event.wait(self.timeout_s):
            self.waiters.forget(request_id)
            raise NoAnswerError(f"the exchange did not answer within {self.timeout_s:.0f}s")
        reply = box[0]
        if reply.outcome != "ok" or reply.state is None:
            raise NoAnswerError(f"the exchange request failed: {reply.code} {reply.message}")
        return reply.state

    def alive(self) -> dict[str, bool]:
        """Every registered actor answers a ping within the timeout (all asked at once)."""
        pending = []
        for name in self.ctx.directory.names():
            ref = self.ctx.directory.get(name)
            if ref is None:
                continue
            try:
                pending.append((name, ref.proxy().ping()))
            except pykka.ActorDeadError:
                pending.append((name, None))
        result = {}
        deadline = time.monotonic() + self.timeout_s
        for name, future in pending:
            try:
                wait = max(0.01, deadline - time.monotonic())
                result[name] = future is not None and future.get(timeout=wait) is not None
            except (pykka.Timeout, pykka.ActorDeadError):
                result[name] = False
        return result
