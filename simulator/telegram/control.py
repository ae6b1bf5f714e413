"""The JSON control API under ``/__fake__/``: the handle's operations for other processes.

Demo mode and the lead's CLI run the fake as a separate process; a person or a script then plays
the operator (inject messages, press buttons) and reads what the bot sent through these routes.
Every answer is ``{"ok": true, "result": ...}`` or ``{"ok": false, "error": "..."}`` with status 400.
The control API is never subject to the fault switches, and stays reachable in "drop" and "502"
outages; a "refuse" outage closes the socket, so over HTTP it must carry ``seconds``.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.telegram.faults import DOWN_MODES, FloodControl

if TYPE_CHECKING:
    from simulator.telegram.server import FakeTelegramServer

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PREFIX = "/__fake__"


class _BadRequestError(Exception):
    pass


def _ok(result: Any) -> web.Response:
    return web.json_response({"ok": True, "result": result}, dumps=lambda o: json.dumps(o, ensure_ascii=False))


async def _body(request: web.Request) -> dict[str, Any]:
    if not request.body_exists:
        return dict(request.query)
    try:
        body = await request.json() if request.content_type == "application/json" else dict(await request.post())
    except ValueError:
        raise _BadRequestError("the body is not valid JSON") from None
    if not isinstance(body, dict):
        raise _BadRequestError("the body must be a JSON object")
    return {**request.query, **body}


def _int(body: dict[str, Any], key: str, default: int | None = None) -> int | None:
    value = body.get(key, default)
    if value is None:
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _BadRequestError(f"{key} must be an integer") from None


def _float(body: dict[str, Any], key: str) -> float | None:
    value = body.get(key)
    if value is None:
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        raise _BadRequestError(f"{key} must be a number") from None


def _chat(value: Any) -> int | str:
    text = str(value)
    return int(text) if text.lstrip("-").isdigit() else text


def _methods(body: dict[str, Any]) -> list[str] | None:
    methods = body.get("methods")
    if methods is None:
        return None
    if isinstance(methods, str):
        return [m for m in methods.split(",") if m]
    if not isinstance(methods, list):
        raise _BadRequestError("methods must be a list of Bot API method names")
    return [str(m) for m in methods]


def _guard(handler: Handler) -> Handler:
    async def guarded(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except (_BadRequestError, LookupError, ValueError) as error:
            return web.json_response({"ok": False, "error": str(error)}, status=400)

    return guarded


def add_control_routes(app: web.Application, server: FakeTelegramServer) -> None:
    """Register the control API on ``app``, operating on ``server``'s state, faults and socket."""
    state, faults = server.state, server.faults

    async def health(request: web.Request) -> web.StreamResponse:
        return _ok({"bot": state.bot_user, "down": server.down_mode, "port": server.port,
                    "faults": [{"kind": f.kind, "methods": sorted(f.methods) if f.methods else None,
                                "calls_left": f.calls_left} for f in faults.active()]})

    async def inject(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        if not isinstance(body.get("text"), str) or not body["text"]:
            raise _BadRequestError("text is required")
        return _ok(state.inject_message(body["text"], _int(body, "chat_id", 42) or 42, user_id=_int(body, "user_id"),
                                        first_name=str(body.get("first_name") or "Operator"),
                                        username=body.get("username"),
                                        reply_to_message_id=_int(body, "reply_to_message_id")))

    async def press(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        return _ok(state.press_button(_chat(body.get("chat_id", 42)), _int(body, "message_id"), data=body.get("data"),
                                      text=body.get("text"), user_id=_int(body, "user_id"),
                                      check=body.get("check", True) not in (False, "false", "0")))

    async def sent(request: web.Request) -> web.StreamResponse:
        chat = request.query.get("chat_id")
        method = request.query.get("method")
        with_bytes = request.query.get("include_bytes", "") in ("1", "true", "True")
        records = state.sent_messages(None if chat is None else _chat(chat))
        return _ok([r.to_json(with_bytes) for r in records if method is None or r.method == method])

    async def message(request: web.Request) -> web.StreamResponse:
        found = state.message(_chat(request.match_info["chat_id"]), int(request.match_info["message_id"]))
        if found is None:
            raise LookupError("no such message")
        return _ok(found)

    async def commands(request: web.Request) -> web.StreamResponse:
        return _ok([{"scope": json.loads(scope), "language_code": language, "commands": registered}
                    for (scope, language), registered in state.all_commands().items()])

    async def answers(request: web.Request) -> web.StreamResponse:
        return _ok([a.to_json() for a in state.callback_answers()])

    async def updates(request: web.Request) -> web.StreamResponse:
        return _ok(state.pending_updates())

    async def counters(request: web.Request) -> web.StreamResponse:
        return _ok(state.counters())

    async def rate_limit(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        retry_after = _int(body, "retry_after", 1) or 0
        if retry_after < 1:
            raise _BadRequestError("retry_after must be at least 1")
        faults.add("rate_limit", calls=_int(body, "calls"), seconds=_float(body, "seconds"), methods=_methods(body),
                   retry_after=retry_after)
        return _ok(True)

    async def server_error(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        status = _int(body, "status", 500) or 500
        if not 500 <= status <= 599:
            raise _BadRequestError("status must be a 5xx code")
        faults.add("server_error", calls=_int(body, "calls"), seconds=_float(body, "seconds"), methods=_methods(body),
                   status=status)
        return _ok(True)

    async def hang(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        faults.add("hang", calls=_int(body, "calls"), seconds=_float(body, "seconds"), methods=_methods(body),
                   hang_for=_float(body, "hang_for"))
        return _ok(True)

    async def lose_answers(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        faults.add("lose_answer", calls=_int(body, "calls"), seconds=_float(body, "seconds"), methods=_methods(body))
        return _ok(True)

    async def release(request: web.Request) -> web.StreamResponse:
        server.release_hangs()
        return _ok(True)

    async def flood(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        enabled = body.get("enabled", True) not in (False, "false", "0")
        faults.set_flood_control(
            FloodControl(_float(body, "per_chat_rate") or 1.0, _int(body, "per_chat_burst", 3) or 3,
                         _float(body, "global_rate") or 30.0) if enabled else None
        )
        return _ok(True)

    async def block(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        state.block_chat(_chat(body.get("chat_id", 42)), body.get("blocked", True) not in (False, "false", "0"))
        return _ok(True)

    async def clear(request: web.Request) -> web.StreamResponse:
        faults.clear()
        server.release_hangs()
        return _ok(True)

    async def down(request: web.Request) -> web.StreamResponse:
        body = await _body(request)
        is_down = body.get("down", True) not in (False, "false", "0")
        mode = str(body.get("mode", "refuse"))
        seconds = _float(body, "seconds")
        if mode not in DOWN_MODES:
            raise _BadRequestError(f"mode must be one of {list(DOWN_MODES)}")
        if is_down and mode == "refuse":
            if seconds is None:
                raise _BadRequestError("mode 'refuse' closes this socket too: give 'seconds' to come back by itself")
            server.schedule_down(mode, seconds, delay=0.05)  # after this answer has left
            return _ok(True)
        await server.set_down(mode if is_down else None, seconds)  # type: ignore[arg-type]
        return _ok(True)

    async def reset(request: web.Request) -> web.StreamResponse:
        faults.clear()
        await server.set_down(None)
        state.reset()
        return _ok(True)

    routes: list[tuple[str, str, Handler]] = [
        ("GET", "/health", health),
        ("POST", "/messages", inject),
        ("POST", "/press", press),
        ("GET", "/sent", sent),
        ("GET", "/messages/{chat_id}/{message_id}", message),
        ("GET", "/commands", commands),
        ("GET", "/callback_answers", answers),
        ("GET", "/updates", updates),
        ("GET", "/counters", counters),
        ("POST", "/rate_limit", rate_limit),
        ("POST", "/server_error", server_error),
        ("POST", "/hang", hang),
        ("POST", "/lose_answers", lose_answers),
        ("POST", "/release", release),
        ("POST", "/flood_control", flood),
        ("POST", "/block", block),
        ("POST", "/clear_faults", clear),
        ("POST", "/down", down),
        ("POST", "/reset", reset),
    ]
    for verb, path, handler in routes:
        app.router.add_route(verb, PREFIX + path, _guard(handler))
