"""WebSocket side: market streams (raw and combined, SUBSCRIBE/UNSUBSCRIBE/LIST_SUBSCRIPTIONS) and the
user-data stream, on the paths Binance uses (``/market``, ``/public``, ``/private`` and legacy ``/ws``,
``/stream``). Every frame goes through a per-connection queue drained by a writer task, so "handed to the
client" means "in that queue"."""

from __future__ import annotations

import asyncio
import json
from collections import defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import msgspec
from aiohttp import WSMsgType, web

from simulator.engine.events import Event
from simulator.server import streams
from simulator.server.streams import Stream, parse_stream

if TYPE_CHECKING:
    from simulator.server.app import SimulatorServer

MAX_QUEUE = 200_000


@dataclass(eq=False)
class Connection:
    ws: web.WebSocketResponse
    request: web.Request
    combined: bool
    listen_key: str | None = None
    streams: set[str] = field(default_factory=set)
    queue: asyncio.Queue = field(default_factory=asyncio.Queue)

    def send(self, text: str) -> None:
        if self.queue.qsize() < MAX_QUEUE:
            self.queue.put_nowait(text)


class WsHub:
    """All WebSocket connections of one simulator."""

    def __init__(self, server: SimulatorServer) -> None:
        self.server = server
        self.connections: set[Connection] = set()
        self.subscribers: dict[str, set[Connection]] = defaultdict(set)
        self.parsed: dict[str, Stream] = {}
        self.user_events_sent: dict[str, int] = defaultdict(int)
        self.frames_sent = 0
        self._held: dict[str, str] = {}

    # --- connections --------------------------------------------------------------------------------

    async def handle(self, request: web.Request) -> web.StreamResponse:
        parts = [p for p in request.path.split("/") if p]
        combined = "stream" in parts
        names: list[str] = []
        listen_key = request.query.get("listenKey")
        if combined:
            names = [n for n in request.query.get("streams", "").split("/") if n]
        else:
            index = parts.index("ws")
            names = parts[index + 1 :]
        keys = self.server.listen_keys
        for name in list(names):
            if keys.is_known(name):
                listen_key = name
                names.remove(name)
        if listen_key is not None and not keys.is_active(listen_key, self.server.now()):
            return web.json_response({"code": -1125, "msg": "This listenKey does not exist."}, status=400)
        ws = web.WebSocketResponse(autoping=True, heartbeat=180.0, max_msg_size=1 << 20)
        await ws.prepare(request)
        conn = Connection(ws=ws, request=request, combined=combined, listen_key=listen_key)
        self.connections.add(conn)
        accepted = [name for name in names if self._subscribe(conn, name)]
        self.server.schedule_initial_frames(conn, accepted)
        writer = asyncio.create_task(self._writer(conn))
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    self._on_request(conn, msg.data)
                elif msg.type in (WSMsgType.ERROR, WSMsgType.CLOSE):
                    break
        finally:
            self._forget(conn)
            conn.queue.put_nowait(None)
            writer.cancel()
        return ws

    async def _writer(self, conn: Connection) -> None:
        try:
            while True:
                text = await conn.queue.get()
                if text is None or conn.ws.closed:
                    return
                await conn.ws.send_str(text)
        except (ConnectionError, RuntimeError, asyncio.CancelledError):
            return

    def _forget(self, conn: Connection) -> None:
        self.connections.discard(conn)
        for name in list(conn.streams):
            self.subscribers[name].discard(conn)

    def _subscribe(self, conn: Connection, name: str) -> bool:
        stream = self.parsed.get(name) or parse_stream(name)
        if stream is None:
            return False
        self.parsed[name] = stream
        conn.streams.add(name)
        self.subscribers[name].add(conn)
        return True

    def _on_request(self, conn: Connection, text: str) -> None:
        try:
            request = json.loads(text)
        except ValueError:
            conn.send(json.dumps({"code": 3, "msg": "Invalid JSON: expected value at line 1 column 1"}))
            return
        if not isinstance(request, dict):
            conn.send(json.dumps({"code": 3, "msg": "Invalid JSON: expected an object"}))
            return
        req_id = request.get("id")
        method = request.get("method")
        params = request.get("params") or []
        if method in ("SUBSCRIBE", "UNSUBSCRIBE"):
            if not isinstance(params, list) or not all(isinstance(p, str) for p in params):
                conn.send(
                    json.dumps({"code": 1, "msg": "Invalid value type: expected an array of strings", "id": req_id})
                )
                return
            bad = [p for p in params if parse_stream(p) is None]
            if bad:
                conn.send(json.dumps({"code": 2, "msg": f"Invalid request: unknown stream {bad[0]!r}", "id": req_id}))
                return
            for name in params:
                if method == "SUBSCRIBE":
                    self._subscribe(conn, name)
                else:
                    conn.streams.discard(name)
                    self.subscribers[name].discard(conn)
            conn.send(json.dumps({"result": None, "id": req_id}))
            if method == "SUBSCRIBE":
                self.server.schedule_initial_frames(conn, params)
        elif method == "LIST_SUBSCRIPTIONS":
            conn.send(json.dumps({"result": sorted(conn.streams), "id": req_id}))
        elif method == "SET_PROPERTY" and params and params[0] == "combined":
            conn.combined = bool(params[1]) if len(params) > 1 else conn.combined
            conn.send(json.dumps({"result": None, "id": req_id}))
        elif method == "GET_PROPERTY" and params and params[0] == "combined":
            conn.send(json.dumps({"result": conn.combined, "id": req_id}))
        else:
            conn.send(json.dumps({"code": 0, "msg": "Unknown property", "id": req_id}))

    async def drop(self, kind: str = "all") -> int:
        """Abort connections at the TCP level (no close frame): the client sees a dropped socket."""
        victims = [c for c in self.connections if kind == "all" or (kind == "user") == (c.listen_key is not None)]
        for conn in victims:
            transport = conn.request.transport
            if transport is not None:
                transport.abort()
            self._forget(conn)
        return len(victims)

    async def close_all(self) -> None:
        for conn in list(self.connections):
            await conn.ws.close()

    # --- sending --------------------------------------------------------------------------------------

    def publish_user(self, events: list[Event]) -> None:
        """Hand user-data events to every connection of every live listenKey, in order. An event counts
        for a key when the key was still valid at the event's simulated time (a long step can cross the
        key's expiry: what happened before it is delivered, then ``listenKeyExpired``)."""
        if not events:
            return
        keys = self.server.listen_keys
        by_key: dict[str, list[Connection]] = defaultdict(list)
        for conn in self.connections:
            if conn.listen_key and conn.listen_key in keys.expiry and conn.listen_key not in keys.dead:
                by_key[conn.listen_key].append(conn)
        for key, conns in by_key.items():
            expiry = keys.expiry[key]
            for event in events:
                if event.time_ms >= expiry:
                    continue
                raw = msgspec.json.encode(event.payload).decode()
                wrapped = None
                for conn in conns:
                    if conn.combined:
                        wrapped = wrapped or msgspec.json.encode({"stream": key, "data": event.payload}).decode()
                        conn.send(wrapped)
                    else:
                        conn.send(raw)
                self.user_events_sent[key] += 1

    def send_to_key(self, key: str, payload: dict[str, object]) -> None:
        for conn in self.connections:
            if conn.listen_key == key:
                conn.send(msgspec.json.encode({"stream": key, "data": payload} if conn.combined else payload).decode())

    def market_step(self, t0: int, t1: int) -> None:
        """Frames for every subscribed stream for the time step (t0, t1]."""
        if self.server.faults.ws_stall:
            return
        for name, conns in list(self.subscribers.items()):
            if conns:
                self.send_stream(name, conns, self.frames(self.parsed[name], t0, t1))

    def frames(self, stream: Stream, t0: int, t1: int, initial: bool = False) -> list[dict]:
        series_map = self.server.series
        if stream.kind == "kline":
            series = series_map.get(stream.symbol)
            if series is None:
                return []
            return streams.kline_frames(series, stream.interval, t1 if initial else t0, t1)
        if stream.kind in ("markPrice", "markPriceAll"):
            if not initial and t1 // stream.period_ms == t0 // stream.period_ms:
                return []
            if stream.kind == "markPrice":
                series = series_map.get(stream.symbol)
                return [streams.mark_price_payload(series, t1)] if series is not None else []
            return [[streams.mark_price_payload(s, t1) for s in series_map.values() if s.first_ms <= t1]]
        if stream.kind == "bookTickerAll":
            return [streams.book_ticker_payload(s, t1) for s in series_map.values() if s.first_ms <= t1]
        series = series_map.get(stream.symbol)
        if series is None or series.first_ms > t1:
            return []
        if stream.kind == "bookTicker":
            return [streams.book_ticker_payload(series, t1)]
        return [streams.agg_trade_payload(series, t1)]

    def send_stream(self, name: str, conns: set[Connection] | list[Connection], payloads: list) -> None:
        """Encode each payload once (raw and combined-wrapped) and queue it on every subscriber."""
        kline = name in self.parsed and self.parsed[name].kind == "kline"
        prefix = '{"stream":"' + name + '","data":'
        for payload in payloads:
            raw = msgspec.json.encode(payload).decode()
            for text in self._kline_fault(name, raw) if kline else [raw]:
                wrapped = None
                for conn in conns:
                    if conn.combined:
                        wrapped = wrapped or prefix + text + "}"
                        conn.send(wrapped)
                    else:
                        conn.send(text)
                self.frames_sent += len(conns)

    def _kline_fault(self, name: str, raw: str) -> list[str]:
        """Apply the kline faults: malformed (cut in half), duplicate, out of order (held back one frame)."""
        held = self._held.pop(name, None)
        fault = self.server.injector.kline_fault()
        if fault == "out_of_order" and held is None:
            self._held[name] = raw
            return []
        out = [raw[: len(raw) // 2]] if fault == "malformed" else [raw, raw] if fault == "duplicate" else [raw]
        if held is not None:
            out.append(held)
        return out
