"""Paper mode, the dry run: real market data from the configured exchange, orders filled in-process.

The bot starts the simulator in-process exactly as in demo mode, but the simulator's candles come live
from the source exchange (Binance's public USDⓈ-M REST in production; ``exchange.rest_url`` when set,
e.g. another simulator) instead of from files. The bot then trades against that embedded simulator as
usual: its orders, keys and user stream never reach the source, which only ever sees public GETs.

The simulator's clock runs ``live_delay_s`` (90 s) behind the source and halts rather than walk into a
candle that is not final yet (``simulator/README.md`` "Paper mode"): the dry run trades a minute or two
behind the live market, and every fill is evaluated on a complete candle.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

from config import Settings
from core.symbols import SymbolError, is_odd_symbol, parse_symbol
from exchange.endpoints import LIVE_REST
from service.bot import StartupError

log = logging.getLogger(__name__)

START_ATTEMPTS = 5
FIRST_RETRY_S = 1.0  # then doubling, at most 8 s: about 15 s in all before giving up


def paper_source_url(settings: Settings, source_rest_url: str | None = None) -> str:
    """Where the market data comes from: the argument, else ``exchange.rest_url``, else Binance."""
    return (source_rest_url or settings.exchange.rest_url or LIVE_REST).rstrip("/")


def choose_symbols(settings: Settings, markets: Sequence[Any]) -> list[str]:
    """Exchange ids (``BTCUSDC``) to feed, by the scanner's own rules where they can apply before data.

    ``markets`` are the source's trading USDC perpetuals ranked by 24 h quote volume
    (:func:`simulator.live.source_markets`). With a whitelist: its symbols that trade on the source;
    otherwise every symbol but the blacklisted and (unless allowed) the odd ones. Both are capped at
    ``symbols.max_symbols`` by volume: the scanner never trades more at once, and each symbol costs the
    source one request a minute.
    """
    rules = settings.symbols
    whitelist = {_exchange_id(s) for s in rules.whitelist}
    blacklist = {_exchange_id(s) for s in rules.blacklist}
    chosen: list[str] = []
    for market in markets:
        symbol = market.symbol
        if symbol in blacklist or (whitelist and symbol not in whitelist):
            continue
        if not whitelist and rules.exclude_odd_symbols and is_odd_symbol(symbol):
            continue
        chosen.append(symbol)
    missing = sorted(whitelist - {m.symbol for m in markets})
    if missing:
        log.warning("paper: whitelisted symbols not trading as USDC perpetuals on the source: %s", ", ".join(missing))
    return chosen[: rules.max_symbols]


def paper_simulator_config(settings: Settings, source_url: str, symbols: Sequence[str],
                           overrides: dict[str, Any] | None = None) -> Any:
    """The :class:`simulator.SimulatorConfig` of the paper exchange (``overrides`` for tests)."""
    from simulator.config import SimulatorConfig

    options: dict[str, Any] = {"live_source_url": source_url, "symbols": list(symbols),
                               "balance": f"{settings.demo.start_balance:.2f}", "seed": settings.demo.seed}
    options.update(overrides or {})
    return SimulatorConfig(**options)


def start_paper_simulator(settings: Settings, source_rest_url: str | None = None, *,
                          overrides: dict[str, Any] | None = None) -> Any:
    """Start the paper exchange in-process and return its :class:`simulator.SimulatorHandle`
    (``rest_url``, ``ws_url``, ``api_key``, ``api_secret``, ``clock``, ``stop()``, as in demo mode).

    Blocks while the history (about 1000 candles per symbol) loads. The source is retried a few times
    with backoff (a restart of the network must not end the bot); then :class:`StartupError` says why.
    """
    import simulator
    from simulator.live import SourceError, source_markets

    url = paper_source_url(settings, source_rest_url)
    delay = FIRST_RETRY_S
    for attempt in range(1, START_ATTEMPTS + 1):
        try:
            symbols = choose_symbols(settings, source_markets(url))
            if not symbols:
                raise StartupError(f"paper mode: no USDC perpetual of {url} passes symbols.whitelist/blacklist")
            handle = simulator.start(paper_simulator_config(settings, url, symbols, overrides))
            break
        except SourceError as exc:
            if attempt == START_ATTEMPTS:
                raise StartupError(f"paper mode: the market data source {url} failed {attempt} times; "
                                   f"last error: {exc}") from exc
            log.warning("paper: market data source %s failed (%s); retrying in %.0fs", url, exc, delay)
            time.sleep(delay)
            delay = min(delay * 2, 8.0)
        except ValueError as exc:  # nothing to feed
            raise StartupError(f"paper mode: {exc}") from exc
    live = handle.state()["server"]["live"]
    log.info("paper: simulator on %s fed live from %s: %s; its clock runs %.0fs behind the source", handle.rest_url,
             url, " ".join(handle.symbols), live["delay_ms"] / 1000)
    return handle


def _exchange_id(text: str) -> str:
    try:
        return parse_symbol(text).exchange_id
    except SymbolError:
        return text.upper()
