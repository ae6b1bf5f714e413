"""Drives the OrderCore against an in-process gateway, synchronously: every request is executed at
once and its reply fed back, every engine event parsed by the live parsers and fed in, until nothing
is left to do. The backtest and the order-lifecycle tests use it; no threads, no sleeps."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from core.orders.core import OrderCore
from exchange.gateway import Gateway
from exchange.parsers import PayloadError, parse_user_event
from messages.control import Tick
from messages.exchange import ExchangeRequest


class OrderDriver:
    """``OrderCore`` + ``Gateway`` + the engine's user-data events, pumped to quiescence."""

    def __init__(self, core: OrderCore, gateway: Gateway, engine: Any,
                 on_output: Callable[[object], None] | None = None,
                 on_event: Callable[[object], None] | None = None) -> None:
        self.core = core
        self.gateway = gateway
        self.engine = engine
        self.on_output = on_output
        # Every parsed user-data event also goes here (live, the UserStream sends ACCOUNT_UPDATE to the
        # RiskActor as well as to the OrderActor).
        self.on_event = on_event
        self.outputs: list[object] = []
        self.malformed: list[str] = []

    def send(self, *messages: object) -> list[object]:
        """Feed messages to the core and run everything that follows; returns the new outputs."""
        start = len(self.outputs)
        queue: deque[object] = deque(messages)
        while queue:
            message = queue.popleft()
            for output in self.core.handle(message):
                self.outputs.append(output)
                if self.on_output is not None:
                    self.on_output(output)
                if isinstance(output, ExchangeRequest):
                    queue.append(self.gateway.execute(output))
            queue.extend(self._events())
        return self.outputs[start:]

    def advance_to(self, ts: int) -> list[object]:
        """Move the engine's time (fills, triggers, funding happen on the way), then a timer beat."""
        start = len(self.outputs)
        self.send(*self._parse(self.engine.advance_to(ts)), Tick(ts_init=ts))
        return self.outputs[start:]

    def _events(self) -> list[object]:
        return self._parse(self.engine.drain_events())

    def _parse(self, events: list[Any]) -> list[object]:
        parsed = []
        for event in events:
            try:
                message = parse_user_event(event.payload)
            except PayloadError as exc:
                self.malformed.append(str(exc))
                continue
            if message is not None:
                parsed.append(message)
                if self.on_event is not None:
                    self.on_event(message)
        return parsed
