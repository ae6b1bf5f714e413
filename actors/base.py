"""The base of every actor: failures reported to the supervisor, a heartbeat, and safe sends.

pykka's real behaviour (measured, see the architecture notes): an exception while handling a ``tell``
kills the actor and drops its queue, ``on_failure`` runs but ``on_stop`` does not; an exception in
``on_start`` stops the actor without calling ``on_failure``. So both paths report here, and the
supervisor decides what happens next.
"""

from __future__ import annotations

import logging
import traceback
from types import TracebackType
from typing import Any

import pykka

from actors.context import BotContext
from messages.supervision import ChildFailed

log = logging.getLogger(__name__)


class BotActor(pykka.ThreadingActor):
    """An actor with a registry name and a supervisor to report to."""

    use_daemon_thread = True  # a hung actor must never keep the process from exiting

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__()
        self.ctx = ctx
        self.name = name
        self.supervisor = supervisor
        self.messages_handled = 0

    # --------------------------------------------------------------- lifecycle
    def on_start(self) -> None:
        try:
            self.started()
        except Exception as exc:
            self._report_failure(exc, traceback.format_exc())
            raise

    def started(self) -> None:
        """Set-up in the actor's own thread (subclasses override)."""

    def on_failure(self, exception_type: type[BaseException] | None, exception_value: BaseException | None,
                   tb: TracebackType | None) -> None:
        text = "".join(traceback.format_exception(exception_type, exception_value, tb)) if exception_type else ""
        self._report_failure(exception_value, text)
        self.stopped_after_failure()

    def stopped_after_failure(self) -> None:
        """Release resources (threads, sockets) after a crash; ``on_stop`` is not called then."""

    def _report_failure(self, exc: BaseException | None, text: str) -> None:
        now = self.ctx.clock.now_ms()
        error = f"{type(exc).__name__}: {exc}" if exc is not None else "unknown failure"
        log.error("actor %s failed: %s", self.name, error)
        log.debug("%s", text)
        self.ctx.directory.unregister(self.name, self.actor_ref)
        self.ctx.directory.tell(self.supervisor, ChildFailed(ts_event=now, ts_init=now, name=self.name, error=error))

    # --------------------------------------------------------------- messages
    def on_receive(self, message: Any) -> Any:
        self.messages_handled += 1
        return self.receive(message)

    def receive(self, message: Any) -> Any:
        log.warning("%s: unexpected message %s", self.name, type(message).__name__)
        return None

    def ping(self) -> int:
        """Heartbeat: answered only when the actor's thread is free to handle messages."""
        return self.ctx.clock.now_ms()

    def send(self, name: str, message: object) -> bool:
        return self.ctx.directory.tell(name, message)
