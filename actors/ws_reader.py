"""A WebSocket connection read in its own thread, feeding its owner actor with messages.

The thread connects, forwards every text frame as ``RawFrame`` and reconnects with exponential
backoff and jitter when the connection drops. ``close()`` from the owner forces a reconnect (used on
a silent stall, where the socket stays open but no data comes). websockets' own keepalive pings keep
the connection honest; a ping alone never counts as data.
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable

import pykka
from websockets.exceptions import WebSocketException
from websockets.sync.client import ClientConnection, connect

from messages.runtime import ConnectionChanged, RawFrame

log = logging.getLogger(__name__)


class WebSocketReader:
    """One connection to ``url_factory()`` (re-read at every reconnect: streams or keys may change)."""

    def __init__(self, connection_id: int, url_factory: Callable[[], str], deliver: Callable[[object], bool],
                 now_ms: Callable[[], int], name: str = "ws", backoff_initial_s: float = 0.2,
                 backoff_max_s: float = 10.0, rng: random.Random | None = None) -> None:
        self.connection_id = connection_id
        self.url_factory = url_factory
        self.deliver = deliver
        self.now_ms = now_ms
        self.name = name
        self.backoff_initial_s = backoff_initial_s
        self.backoff_max_s = backoff_max_s
        self.rng = rng or random.Random()
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._ws: ClientConnection | None = None
        self._thread = threading.Thread(target=self._run, name=f"{name}-{connection_id}", daemon=True)
        self.connects = 0
        self._subscribe_id = 0

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 2.0) -> None:
        self._stop.set()
        self.close()
        self._thread.join(timeout)

    @property
    def alive(self) -> bool:
        return self._thread.is_alive()

    def close(self) -> None:
        """Drop the current connection; the thread reconnects (unless stopped)."""
        with self._lock:
            ws = self._ws
        if ws is not None:
            try:
                ws.close()
            except Exception:  # closing a broken socket may fail: it is being dropped anyway
                log.debug("%s: close failed", self.name, exc_info=True)

    def send_json(self, payload: dict) -> bool:
        """Send a control message (SUBSCRIBE...) on the live connection; False when not connected."""
        with self._lock:
            ws = self._ws
        if ws is None:
            return False
        try:
            ws.send(json.dumps(payload))
            return True
        except (WebSocketException, OSError):
            return False

    def subscribe(self, streams: list[str], method: str = "SUBSCRIBE") -> bool:
        self._subscribe_id += 1
        return self.send_json({"method": method, "params": streams, "id": self._subscribe_id})

    def _deliver(self, message: object) -> None:
        """Hand a message to the owner; an owner that has stopped ends this reader."""
        try:
            self.deliver(message)
        except pykka.ActorDeadError:
            self._stop.set()

    def _run(self) -> None:
        delay = self.backoff_initial_s
        while not self._stop.is_set():
            url = self.url_factory()
            reason = "closed"
            try:
                with connect(url, open_timeout=5, close_timeout=1, ping_interval=20, ping_timeout=20,
                             max_size=2**22) as ws:
                    with self._lock:
                        self._ws = ws
                    self.connects += 1
                    delay = self.backoff_initial_s
                    self._deliver(ConnectionChanged(ts_event=self.now_ms(), ts_init=self.now_ms(),
                                                    connection=self.connection_id, connected=True,
                                                    reason="connected"))
                    for frame in ws:
                        if self._stop.is_set():
                            break
                        text = frame.decode("utf-8", "replace") if isinstance(frame, bytes) else frame
                        self._deliver(RawFrame(ts_event=self.now_ms(), ts_init=self.now_ms(),
                                              connection=self.connection_id, text=text,
                                              received_mono_ms=int(time.monotonic() * 1000)))
            except (WebSocketException, OSError, TimeoutError) as exc:
                reason = f"{type(exc).__name__}: {exc}"
            finally:
                with self._lock:
                    self._ws = None
            if self._stop.is_set():
                break
            self._deliver(ConnectionChanged(ts_event=self.now_ms(), ts_init=self.now_ms(),
                                            connection=self.connection_id, connected=False, reason=reason))
            wait = delay * self.rng.uniform(0.5, 1.0)
            delay = min(delay * 2, self.backoff_max_s)
            self._stop.wait(wait)
