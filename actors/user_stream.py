"""UserStream: the listenKey life cycle and the private WebSocket → order and account events.

A listenKey lapses 60 minutes (exchange time) after its last keep-alive; we keep it alive every
~30 minutes, renew it on ``listenKeyExpired`` or -1125, and reconnect. Events become typed messages for
the OrderActor (orders, algo orders, account) and the RiskActor (account). While the stream is down
the OrderActor is told, and reconciles by REST instead.
"""

from __future__ import annotations

import logging
from typing import Any

import msgspec

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import EXCHANGE, ORDER, RISK
from actors.ws_reader import WebSocketReader
from exchange.endpoints import Endpoints
from exchange.errors import LISTEN_KEY_UNKNOWN
from exchange.parsers import PayloadError, parse_user_event
from messages.control import Tick
from messages.exchange import ExchangeReply, ListenKeyRequest
from messages.orders import AccountUpdate
from messages.runtime import ConnectionChanged, RawFrame, UserStreamState

log = logging.getLogger(__name__)

KEEPALIVE_EVERY_MS = 30 * 60_000


class UserStream(BotActor):
    """Hosts the private WebSocket reader and the listenKey."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__(ctx, name, supervisor)
        self.endpoints = Endpoints(rest="", ws=ctx.ws_root, legacy_ws_paths=ctx.legacy_ws_paths)
        self.listen_key = ""
        self.reader: WebSocketReader | None = None
        self.last_keepalive_ms = 0
        self._requests = 0
        self._creating = False
        self.connected = False
        self.events = 0

    def started(self) -> None:
        self._create_key()

    def on_stop(self) -> None:
        if self.reader is not None:
            self.reader.stop(timeout=1.0)

    def stopped_after_failure(self) -> None:
        self.on_stop()

    def _request(self, action: str) -> None:
        self._requests += 1
        self.send(EXCHANGE, ListenKeyRequest(request_id=f"user:{self._requests}", ts_init=self.ctx.clock.now_ms(),
                                             reply_to=self.name, action=action,  # type: ignore[arg-type]
                                             listen_key=self.listen_key))

    def _create_key(self) -> None:
        if not self._creating:
            self._creating = True
            self._request("create")

    # --------------------------------------------------------------- messages
    def receive(self, message: Any) -> Any:
        if isinstance(message, RawFrame):
            self._on_frame(message)
        elif isinstance(message, ExchangeReply):
            self._on_reply(message)
        elif isinstance(message, ConnectionChanged):
            self._on_connection(message)
        elif isinstance(message, Tick):
            now = self.ctx.clock.now_ms()
            if self.listen_key and now - self.last_keepalive_ms >= KEEPALIVE_EVERY_MS:
                self.last_keepalive_ms = now
                log.debug("user stream: keeping the listenKey alive")
                self._request("keepalive")
        else:
            return super().receive(message)
        return None

    def _on_reply(self, reply: ExchangeReply) -> None:
        request = reply.request
        if not isinstance(request, ListenKeyRequest):
            return
        if request.action == "create":
            self._creating = False
            if reply.outcome != "ok" or not reply.message:
                log.warning("user stream: listenKey not created (%s %s); retrying", reply.code, reply.message)
                self._create_key()
                return
            self.listen_key = reply.message
            self.last_keepalive_ms = self.ctx.clock.now_ms()
            self._connect()
        elif request.action == "keepalive" and reply.outcome == "ok":
            log.debug("user stream: listenKey kept alive")
        elif request.action == "keepalive":
            log.warning("user stream: keep-alive failed (%s %s)", reply.code, reply.message)
            if reply.code == LISTEN_KEY_UNKNOWN or reply.outcome == "rejected":
                self._create_key()

    def _connect(self) -> None:
        if self.reader is None:
            self.reader = WebSocketReader(0, lambda: self.endpoints.user_stream_url(self.listen_key),
                                          self.actor_ref.tell, self.ctx.clock.now_ms, name="user-ws")
            self.reader.start()
        else:
            self.reader.close()  # reconnects with the new key

    def _on_connection(self, change: ConnectionChanged) -> None:
        if change.connected == self.connected:
            return
        self.connected = change.connected
        self.ctx.health.set("user_stream.connected", change.connected)
        log.log(logging.INFO if change.connected else logging.WARNING, "user stream %s (%s)",
                "connected" if change.connected else "lost", change.reason)
        now = self.ctx.clock.now_ms()
        self.send(ORDER, UserStreamState(ts_event=now, ts_init=now, connected=change.connected))

    def _on_frame(self, frame: RawFrame) -> None:
        try:
            payload = msgspec.json.decode(frame.text)
        except msgspec.DecodeError:
            log.warning("user stream: skipping a frame that is not JSON: %r", frame.text[:80])
            return
        if isinstance(payload, dict) and "data" in payload and isinstance(payload["data"], dict):
            payload = payload["data"]
        if not isinstance(payload, dict):
            return
        if payload.get("e") == "listenKeyExpired":
            log.warning("user stream: listenKey expired; creating a new one")
            self.listen_key = ""
            self._create_key()
            return
        try:
            event = parse_user_event(payload)
        except PayloadError as exc:
            log.warning("user stream: skipping malformed event: %s", exc)
            self.ctx.health.increment("user_stream.malformed")
            return
        self.events += 1
        self.ctx.health.increment("user_stream.events")
        if event is None:
            return
        self.send(ORDER, event)
        if isinstance(event, AccountUpdate):
            self.send(RISK, event)
