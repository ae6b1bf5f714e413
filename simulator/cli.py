"""``python run.py sim ...``: run the simulator as a standalone server until interrupted.

The lead wires :func:`add_arguments` and :func:`run` into ``run.py``; ``python -m simulator.cli`` works too.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from datetime import UTC, datetime

from simulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimulatorConfig
from simulator.server.faults import Faults


def add_arguments(parser: argparse.ArgumentParser) -> None:
    data = parser.add_argument_group("market data")
    source = data.add_mutually_exclusive_group()
    source.add_argument("--data", metavar="DIR", help="folder of 1m kline files (<BASE>USDT-1m*.csv[.gz|.zip])")
    source.add_argument("--synthetic", action="store_true", help="seeded synthetic market (the default without --data)")
    source.add_argument(
        "--live",
        metavar="URL",
        help="paper exchange: candles fed live from this Binance USDⓈ-M REST root (e.g. https://fapi.binance.com)",
    )
    data.add_argument(
        "--live-delay-s", type=float, default=90.0, help="--live: seconds the clock runs behind the source (>= 62)"
    )
    data.add_argument("--live-poll-s", type=float, default=2.0, help="--live: seconds between polls of the source")
    data.add_argument("--symbols", help="comma-separated bases or symbols to serve (default: all found)")
    data.add_argument("--map", metavar="SRC=DST,...", help="explicit symbol map, e.g. BTCUSDT=BTCUSDC")
    data.add_argument(
        "--synthesize-markets",
        action="store_true",
        help="invent a USDC perpetual for bases without one (ETC, LAYER, XLM, XMR)",
    )
    data.add_argument("--seed", type=int, default=1, help="seed of the synthetic market and of fault draws")
    data.add_argument("--days", type=float, default=30.0, help="length of the synthetic market in days")
    clock = parser.add_argument_group("clock")
    clock.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (1 = real time)")
    clock.add_argument("--stepped", action="store_true", help="stand still until POST /__sim__/advance")
    clock.add_argument("--start", metavar="ISO-TIME", help="replay start (default: first data time + 1000 minutes)")
    net = parser.add_argument_group("server and account")
    net.add_argument("--host", default="127.0.0.1")
    net.add_argument("--port", type=int, default=8765)
    net.add_argument("--api-key", default=DEFAULT_API_KEY)
    net.add_argument("--api-secret", default=DEFAULT_API_SECRET)
    net.add_argument("--balance", default="400", help="starting USDC wallet balance")
    net.add_argument("--taker-fee", default="0.0005")
    net.add_argument("--maker-fee", default="0.0002")
    net.add_argument("--slippage-bps", type=float, default=0.0, help="market-order slippage in basis points")
    net.add_argument("--leverage", type=int, default=20, help="default leverage per symbol")
    net.add_argument("--no-rate-limits", action="store_true", help="never answer 429/418")
    net.add_argument("--no-liquidation", action="store_true")
    net.add_argument("--listen-key-ttl-s", type=float, default=3600.0, help="listenKey validity in simulated seconds")
    faults = parser.add_argument_group("faults (also switchable at run time: POST /__sim__/faults)")
    faults.add_argument("--latency-ms", type=float, default=0.0, help="added to every REST answer")
    faults.add_argument("--latency-jitter-ms", type=float, default=0.0)
    faults.add_argument("--error-rate", type=float, default=0.0, help="fraction of REST requests answered 503")
    faults.add_argument("--timeout-rate", type=float, default=0.0, help="fraction of REST requests left hanging")
    faults.add_argument("--timeout-s", type=float, default=15.0, help="how long a timed-out request hangs")
    faults.add_argument(
        "--execute-rate", type=float, default=0.5, help="fraction of failed/timed-out order requests that still execute"
    )
    faults.add_argument("--kline-malformed-rate", type=float, default=0.0)
    faults.add_argument("--kline-duplicate-rate", type=float, default=0.0)
    faults.add_argument("--kline-out-of-order-rate", type=float, default=0.0)
    faults.add_argument("--clock-skew-ms", type=int, default=0, help="server clock offset (-1021 beyond recvWindow)")


def config_from_args(args: argparse.Namespace) -> SimulatorConfig:
    symbol_map = None
    if args.map:
        symbol_map = dict(item.split("=", 1) for item in args.map.split(",") if item)
    faults = Faults(
        latency_ms=args.latency_ms,
        latency_jitter_ms=args.latency_jitter_ms,
        error_rate=args.error_rate,
        timeout_rate=args.timeout_rate,
        timeout_s=args.timeout_s,
        execute_rate=args.execute_rate,
        kline_malformed_rate=args.kline_malformed_rate,
        kline_duplicate_rate=args.kline_duplicate_rate,
        kline_out_of_order_rate=args.kline_out_of_order_rate,
        clock_skew_ms=args.clock_skew_ms,
    )
    return SimulatorConfig(
        data_dir=args.data,
        symbols=[s for s in (args.symbols or "").split(",") if s] or None,
        symbol_map=symbol_map,
        synthesize_markets=args.synthesize_markets,
        seed=args.seed,
        synthetic_days=args.days,
        start=args.start,
        speed=args.speed,
        stepped=args.stepped,
        host=args.host,
        port=args.port,
        api_key=args.api_key,
        api_secret=args.api_secret,
        balance=args.balance,
        taker_fee=args.taker_fee,
        maker_fee=args.maker_fee,
        slippage_bps=args.slippage_bps,
        default_leverage=args.leverage,
        liquidation=not args.no_liquidation,
        rate_limits=not args.no_rate_limits,
        listen_key_ttl_ms=int(args.listen_key_ttl_s * 1000),
        faults=faults,
        live_source_url=args.live,
        live_delay_s=args.live_delay_s,
        live_poll_s=args.live_poll_s,
    )


def banner(server: object) -> str:
    """What the operator needs to point a bot (or ccxt) at this simulator."""
    from simulator.server.app import SimulatorServer

    assert isinstance(server, SimulatorServer)
    config = server.config
    host = f"{config.host}:{server.port}"
    start = datetime.fromtimestamp(server.start_ms / 1000, UTC).isoformat().replace("+00:00", "Z")
    if config.live_source_url:
        source = f"paper exchange fed live from {config.live_source_url}, {config.live_delay_s:g}s behind it"
    elif config.data_dir:
        source = f"replay of {config.data_dir}"
    else:
        source = f"synthetic market, seed {config.seed}"
    clock = (
        "stepped (POST /__sim__/advance)"
        if server.clock.stepped
        else f"{server.clock.mode.value} x{server.clock.speed:g}"
    )
    lines = [
        f"Binance USDⓈ-M futures simulator (USDC perpetuals): {source}",
        f"  symbols:    {' '.join(sorted(server.series))}",
        f"  clock:      {clock}, from {start}",
        f"  REST:       http://{host}   (ccxt: rewrite every urls['api'] entry to this host, keep the path)",
        f"  WebSocket:  ws://{host}     (/market/ws/<stream>, /market/stream?streams=..., /private/ws?listenKey=...)",
        f"  control:    http://{host}/__sim__/state",
        f"  API key:    {config.api_key}",
        f"  API secret: {config.api_secret}",
    ]
    lines += [f"  skipped:    {name}: {why}" for name, why in sorted(server.skipped.items())]
    return "\n".join(lines)


def run(args: argparse.Namespace) -> int:
    from simulator.live import SourceError
    from simulator.server.app import SimulatorServer

    try:
        server = SimulatorServer(config_from_args(args))
    except (FileNotFoundError, ValueError, SourceError) as exc:
        print(f"simulator: {exc}")
        return 2

    async def main() -> None:
        task = asyncio.create_task(server.run_forever())
        while server.port == 0 and not task.done():
            await asyncio.sleep(0.01)
        if task.done():
            task.result()
        print(banner(server), flush=True)
        await task

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(main())
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sim", description="Binance USDⓈ-M futures simulator")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    raise SystemExit(main())
