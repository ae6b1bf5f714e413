"""The aiohttp application: Bot API routes, file downloads, long polling, faults and outages.

It runs on one event loop (the handle's daemon thread). Everything a test changes from another
thread goes through thread-safe objects (the state, the fault plan) or ``call_soon_threadsafe``;
the only loop-bound pieces are the wake-up event of long polls and the listening socket.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from typing import Any

from aiohttp import web

from simulator.telegram.errors import ApiError, too_many_requests
from simulator.telegram.faults import DownMode, Fault, FaultPlan
from simulator.telegram.methods import GET_UPDATES, METHODS, Files, Upload, canonical_name, parse_get_updates
from simulator.telegram.params import Params
from simulator.telegram.state import TelegramState

log = logging.getLogger(__name__)

_NGINX_PAGE = "<html>\r\n<head><title>{0}</title></head>\r\n<body>\r\n<center><h1>{0}</h1></center>\r\n" \
              "<hr><center>nginx/1.18.0</center>\r\n</body>\r\n</html>\r\n"
_REASONS = {500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Time-out"}


class _DroppedError(Exception):
    """The fake decided to cut the connection without answering (outage or shutdown)."""


class _OutageError(Exception):
    """An outage began while the request waited (long poll, hang): answer as the outage says."""


async def read_params(request: web.Request) -> tuple[Params, Files]:
    """Merge query string, urlencoded or multipart form, and JSON body; later sources win."""
    params: Params = dict(request.query)
    files: Files = {}
    if not request.body_exists:
        return params, files
    if request.content_type == "application/json":
        try:
            body = await request.json()
        except ValueError:
            raise ApiError(400, "Bad Request: can't parse JSON object") from None
        if not isinstance(body, dict):
            raise ApiError(400, "Bad Request: can't parse JSON object")
        params.update(body)
    elif request.content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        form = await request.post()
        for key, value in form.items():
            if isinstance(value, web.FileField):
                files[key] = Upload(value.filename, value.file.read())
            else:
                params[key] = value if isinstance(value, str) else bytes(value).decode("utf-8", "replace")
    return params, files


class FakeTelegramServer:
    """One fake Telegram endpoint for one bot token."""

    def __init__(self, state: TelegramState, faults: FaultPlan, token: str | None, host: str, port: int) -> None:
        self.state = state
        self.faults = faults
        self.token = token
        self.host = host
        self.port = port
        self.down_mode: DownMode | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._site: web.TCPSite | None = None
        self._wake = asyncio.Event()
        self._release = asyncio.Event()
        self._poll_owner: object | None = None
        self._stopping = False
        self._recover: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    # --- life cycle ------------------------------------------------------------------------------

    def build_app(self) -> web.Application:
        """Routes: the Bot API, file downloads, and the control API under ``/__fake__/``."""
        from simulator.telegram.control import add_control_routes

        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._bot_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._download)
        add_control_routes(app, self)
        app.router.add_route("*", "/{tail:.*}", self._not_found)
        return app

    async def start(self) -> None:
        """Bind and listen; with port 0 the chosen port is kept so an outage can rebind it."""
        self._loop = asyncio.get_running_loop()
        self.state.on_update = self.notify_updates
        # handler_cancellation: a client that gives up (timeout) cancels its hung or long-polling request.
        self._runner = web.AppRunner(self.build_app(), handler_cancellation=True, shutdown_timeout=0.5,
                                     access_log=None)
        await self._runner.setup()
        await self._listen()

    async def _listen(self) -> None:
        assert self._runner is not None
        self._site = web.TCPSite(self._runner, self.host, self.port, reuse_address=True)
        await self._site.start()
        if self.port == 0:
            self.port = int(self._runner.addresses[0][1])

    async def close(self) -> None:
        """Answer every waiting request, close connections and the socket."""
        self._stopping = True
        self.state.on_update = None
        if self._recover is not None:
            self._recover.cancel()
        self._wake_all()
        self._release.set()
        if self._runner is not None:
            await self._runner.cleanup()

    # --- switches (call on the loop) ------------------------------------------------------------

    async def set_down(self, mode: DownMode | None, seconds: float | None = None) -> None:
        """Go down in ``mode`` (None = come back); with ``seconds``, come back by itself."""
        if self._recover is not None:
            self._recover.cancel()
            self._recover = None
        if mode == "refuse" and self._site is not None:
            await self._site.stop()
            self._site = None
            self._drop_connections()
        elif mode != "refuse" and self._site is None and not self._stopping:
            await self._listen()
        self.down_mode = mode
        if mode is not None:  # waiting requests (long polls, hangs) now meet the outage
            self._wake_all()
            self.release_hangs()
        if mode is not None and seconds is not None:
            self._recover = self.schedule_down(None, None, delay=seconds)

    def schedule_down(self, mode: DownMode | None, seconds: float | None, delay: float) -> asyncio.TimerHandle:
        """On the loop: :meth:`set_down` after ``delay`` seconds (lets a control answer leave first)."""
        loop = asyncio.get_running_loop()

        def fire() -> None:
            task = loop.create_task(self.set_down(mode, seconds))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

        return loop.call_later(delay, fire)

    def _drop_connections(self) -> None:
        server = self._runner.server if self._runner is not None else None
        for connection in server.connections if server is not None else []:
            connection.force_close()

    def notify_updates(self) -> None:
        """Thread-safe: wake long-polling getUpdates calls (the state calls it after an injection)."""
        loop = self._loop
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # the loop is shutting down
                loop.call_soon_threadsafe(self._wake_all)

    def release_hangs(self) -> None:
        """On the loop: let every hung request proceed and be answered normally."""
        self._release.set()
        self._release = asyncio.Event()

    def _wake_all(self) -> None:
        self._wake.set()
        self._wake = asyncio.Event()

    # --- the Bot API ----------------------------------------------------------------------------

    def _json(self, status: int, body: dict[str, Any]) -> web.Response:
        self.state.count(f"status.{status}")
        return web.json_response(body, status=status, dumps=lambda obj: json.dumps(obj, ensure_ascii=False))

    def _outage_response(self) -> web.StreamResponse:
        """502 from nginx in "502" mode; otherwise (drop, refuse, shutting down) no answer at all."""
        if self.down_mode == "502":
            self.state.count("status.502")
            page = _NGINX_PAGE.format("502 Bad Gateway")
            return web.Response(status=502, text=page, content_type="text/html")
        self.state.count("connections.dropped")
        raise _DroppedError

    async def _bot_api(self, request: web.Request) -> web.StreamResponse:
        try:
            try:
                return await self._bot_api_inner(request)
            except _OutageError:
                return self._outage_response()
        except _DroppedError:
            if request.transport is not None:
                request.transport.close()
            await asyncio.sleep(5)  # handler_cancellation ends this as soon as the connection is gone
            raise

    async def _bot_api_inner(self, request: web.Request) -> web.StreamResponse:
        raw = request.match_info["method"]
        name = canonical_name(raw)
        self.state.count(f"calls.{name or raw}")
        if self.down_mode is not None:
            raise _OutageError
        try:
            if not self._token_ok(request):
                raise ApiError(401, "Unauthorized")
            if name is None:
                raise ApiError(404, "Not Found")
            fault = self.faults.match(name)
            if fault is not None:
                early = await self._apply_fault(fault)
                if early is not None:
                    return early
            params, files = await read_params(request)
            if name == GET_UPDATES:
                result: Any = await self._get_updates(params)
            else:
                wait = self.faults.flood_wait(name, str(params.get("chat_id")))
                if wait:
                    raise too_many_requests(wait)
                result = METHODS[name](self.state, params, files)
            if fault is not None and fault.kind == "lose_answer":
                raise _DroppedError  # applied, but the client never learns it: it may send twice
            return self._json(200, {"ok": True, "result": result})
        except ApiError as error:
            return self._json(error.code, error.body())

    def _token_ok(self, request: web.Request) -> bool:
        return self.token is None or request.match_info["token"] == self.token

    async def _apply_fault(self, fault: Fault) -> web.StreamResponse | None:
        self.state.count(f"faults.{fault.kind}")
        if fault.kind == "rate_limit":
            raise too_many_requests(fault.retry_after)
        if fault.kind == "lose_answer":
            return None
        if fault.kind == "server_error":
            reason = _REASONS.get(fault.status, "Internal Server Error")
            if fault.status in (502, 503, 504):  # from the nginx in front of the Bot API: HTML, not JSON
                self.state.count(f"status.{fault.status}")
                return web.Response(status=fault.status, text=_NGINX_PAGE.format(f"{fault.status} {reason}"),
                                    content_type="text/html")
            raise ApiError(fault.status, reason)
        release = self._release
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(release.wait(), fault.hang_for)
        if self._stopping or self.down_mode is not None:
            raise _OutageError
        return None

    async def _get_updates(self, params: Params) -> list[dict[str, Any]]:
        """Long polling: answer at once when updates are pending, else wait up to ``timeout``.

        A newer getUpdates supersedes a waiting one, which gets Telegram's 409 "terminated by other
        getUpdates request" - what a second bot instance with the same token would cause.
        """
        wanted = parse_get_updates(self.state, params)
        me = object()
        self._poll_owner = me
        self._wake_all()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wanted.timeout
        try:
            while True:
                wake = self._wake
                updates = self.state.take_updates(wanted.offset, wanted.limit, wanted.allowed_updates)
                if updates:
                    return updates
                remaining = deadline - loop.time()
                if remaining <= 0 or self._stopping:
                    return []
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(wake.wait(), remaining)
                if self.down_mode is not None:
                    raise _OutageError
                if self._poll_owner is not me:
                    raise ApiError(409, "Conflict: terminated by other getUpdates request; make sure that only "
                                        "one bot instance is running")
        finally:
            if self._poll_owner is me:
                self._poll_owner = None

    async def _download(self, request: web.Request) -> web.StreamResponse:
        if not self._token_ok(request):
            return self._json(401, ApiError(401, "Unauthorized").body())
        stored = self.state.file_by_path(request.match_info["path"])
        if stored is None:
            return self._json(404, ApiError(404, "Not Found").body())
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _not_found(self, request: web.Request) -> web.StreamResponse:
        return self._json(404, ApiError(404, "Not Found").body())
