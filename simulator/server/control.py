"""The control API on ``/__sim__/...``: JSON in and out, no signature (it is not part of Binance).

GET  /__sim__/state                 full state: account, positions, orders, algo orders, fills, server info
GET  /__sim__/clock                 {"now_ms", "mode", "speed"}
POST /__sim__/advance               {"ms": n} or {"to": ts}   (stepped mode only)
GET  /__sim__/faults                current fault settings
POST /__sim__/faults                partial update, e.g. {"latency_ms": 200, "error_rate": 0.1}
POST /__sim__/fail_next             {"count", "kind": "5xx"|"timeout", "execute": bool, "path": "/fapi/v1/order"}
POST /__sim__/reject_next           {"count", "code", "msg"?, "symbol"?, "side"?, "type"?, "endpoint"?}
POST /__sim__/burst_429             {"count": n}
POST /__sim__/ws/drop               {"kind": "all"|"market"|"user"}
POST /__sim__/ws/stall              {"on": true|false}
POST /__sim__/clock_skew            {"ms": n}
POST /__sim__/listen_key/expire     expire every live listenKey now
POST /__sim__/external_order        {"symbol", "side", "quantity"}: a MARKET order "by someone else"
GET  /__sim__/events                {"user_events_sent": {listenKey: n}, "frames_sent": n}
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from aiohttp import web

from simulator.errors import BinanceError
from simulator.server.faults import FailRule, RejectRule

if TYPE_CHECKING:
    from simulator.server.app import SimulatorServer


def server_state(server: SimulatorServer) -> dict[str, Any]:
    state = server.engine.state()
    state["server"] = {
        "clock": {"now_ms": server.clock.now_ms(), "mode": server.clock.mode.value, "speed": server.clock.speed},
        "symbols": sorted(server.series),
        "skipped": server.skipped,
        "data_end_ms": max(s.end_ms for s in server.series.values()),
        "replay_finished": server.live is None
        and server.engine.now_ms >= max(s.end_ms for s in server.series.values()),
        "listen_keys": {
            k: {"expires_ms": v, "active": server.listen_keys.is_active(k, server.engine.now_ms)}
            for k, v in server.listen_keys.expiry.items()
        },
        "ws_connections": len(server.hub.connections),
        "user_events_sent": dict(server.hub.user_events_sent),
        "frames_sent": server.hub.frames_sent,
        "faults": server.faults.to_dict(),
        "rate_limits": vars(server.limiter.state).copy(),
        "live": server.live.status() if server.live is not None else None,
    }
    return state


def add_control_routes(app: web.Application, server: SimulatorServer) -> None:
    async def body(request: web.Request) -> dict[str, Any]:
        if not request.can_read_body:
            return {}
        data = await request.json()
        return data if isinstance(data, dict) else {}

    def ok(payload: object) -> web.Response:
        return web.json_response(payload)

    async def state(request: web.Request) -> web.Response:
        server.sync()
        return ok(server_state(server))

    async def clock(request: web.Request) -> web.Response:
        return ok({"now_ms": server.clock.now_ms(), "mode": server.clock.mode.value, "speed": server.clock.speed})

    async def advance(request: web.Request) -> web.Response:
        if not server.clock.stepped:
            return web.json_response({"error": "the clock is not in stepped mode"}, status=409)
        data = await body(request)
        target = int(data["to"]) if "to" in data else server.clock.now_ms() + int(data.get("ms", 0))
        await server.step_to(target)
        return ok({"now_ms": server.clock.now_ms()})

    async def faults(request: web.Request) -> web.Response:
        if request.method == "POST":
            try:
                server.faults.update(await body(request))
            except (ValueError, TypeError) as exc:
                return web.json_response({"error": str(exc)}, status=400)
        return ok(server.faults.to_dict())

    async def fail_next(request: web.Request) -> web.Response:
        server.faults.fails.append(FailRule(**await body(request)))
        return ok(server.faults.to_dict())

    async def reject_next(request: web.Request) -> web.Response:
        server.faults.rejects.append(RejectRule(**await body(request)))
        return ok(server.faults.to_dict())

    async def burst(request: web.Request) -> web.Response:
        server.faults.burst_429 += int((await body(request)).get("count", 1))
        return ok(server.faults.to_dict())

    async def drop(request: web.Request) -> web.Response:
        return ok({"dropped": await server.hub.drop(str((await body(request)).get("kind", "all")))})

    async def stall(request: web.Request) -> web.Response:
        server.faults.ws_stall = bool((await body(request)).get("on", True))
        return ok(server.faults.to_dict())

    async def skew(request: web.Request) -> web.Response:
        server.faults.clock_skew_ms = int((await body(request)).get("ms", 0))
        return ok(server.faults.to_dict())

    async def expire(request: web.Request) -> web.Response:
        keys = server.listen_keys.expire_all(server.engine.now_ms)
        server.publish()
        return ok({"expired": keys})

    async def external(request: web.Request) -> web.Response:
        data = await body(request)
        server.sync()
        try:
            result = server.engine.external_order(str(data["symbol"]), str(data["side"]), str(data["quantity"]))
        except BinanceError as exc:
            return web.json_response(exc.to_body(), status=exc.http_status)
        server.publish()
        return ok(result)

    async def events(request: web.Request) -> web.Response:
        return ok({"user_events_sent": dict(server.hub.user_events_sent), "frames_sent": server.hub.frames_sent})

    app.router.add_get("/__sim__/state", state)
    app.router.add_get("/__sim__/clock", clock)
    app.router.add_post("/__sim__/advance", advance)
    app.router.add_route("*", "/__sim__/faults", faults)
    app.router.add_post("/__sim__/fail_next", fail_next)
    app.router.add_post("/__sim__/reject_next", reject_next)
    app.router.add_post("/__sim__/burst_429", burst)
    app.router.add_post("/__sim__/ws/drop", drop)
    app.router.add_post("/__sim__/ws/stall", stall)
    app.router.add_post("/__sim__/clock_skew", skew)
    app.router.add_post("/__sim__/listen_key/expire", expire)
    app.router.add_post("/__sim__/external_order", external)
    app.router.add_get("/__sim__/events", events)
