"""Symbol selection (the Scanner's pure core): which USDC perpetuals to trade now.

Filters, in order: USDC-margined perpetual swap that is active; whitelist (if any) and blacklist; odd
symbols (test listings, 1000-prefixed bases) unless allowed; minimum 24 h quote volume; ATR band on
the strategy timeframe. The survivors are ranked by volume and the top ``max_symbols`` kept. A symbol
that holds a position or orders is never dropped (it stays until it is flat).
"""

from __future__ import annotations

from dataclasses import dataclass

from config.sections import SymbolSettings
from core.symbols import SymbolError, is_odd_symbol, parse_symbol


@dataclass(frozen=True, slots=True)
class MarketFacts:
    """What the scanner knows about one market."""

    symbol: str
    active: bool
    quote_volume_24h: float
    atr_pct: float | None  # None: not measured yet


@dataclass(frozen=True, slots=True)
class Selection:
    """The chosen symbols (ranked) and why every other one was left out."""

    symbols: tuple[str, ...]
    rejected: dict[str, str]
    kept_for_positions: tuple[str, ...] = ()


def select_symbols(markets: list[MarketFacts], settings: SymbolSettings, holding: frozenset[str] = frozenset()
                   ) -> Selection:
    """Apply the filters and ranking; ``holding``: symbols with a position or open orders."""
    whitelist = {_normal(s) for s in settings.whitelist}
    blacklist = {_normal(s) for s in settings.blacklist}
    rejected: dict[str, str] = {}
    candidates: list[MarketFacts] = []
    for facts in markets:
        reason = _rejection(facts, settings, whitelist, blacklist)
        if reason:
            rejected[facts.symbol] = reason
        else:
            candidates.append(facts)
    candidates.sort(key=lambda f: (-f.quote_volume_24h, f.symbol))
    chosen = [f.symbol for f in candidates[: settings.max_symbols]]
    for facts in candidates[settings.max_symbols:]:
        rejected[facts.symbol] = f"outside the top {settings.max_symbols} by volume"
    kept = tuple(sorted(s for s in holding if s not in chosen))
    return Selection(symbols=tuple(chosen) + kept, rejected={k: v for k, v in rejected.items() if k not in kept},
                     kept_for_positions=kept)


def _rejection(facts: MarketFacts, settings: SymbolSettings, whitelist: set[str], blacklist: set[str]) -> str:
    try:
        symbol = parse_symbol(facts.symbol).ccxt
    except SymbolError as exc:
        return str(exc)
    if not facts.active:
        return "not trading"
    if whitelist and symbol not in whitelist:
        return "not on the whitelist"
    if symbol in blacklist:
        return "blacklisted"
    if settings.exclude_odd_symbols and is_odd_symbol(symbol) and symbol not in whitelist:
        return "odd symbol (test or multiplier-prefixed)"
    if facts.quote_volume_24h < settings.min_quote_volume_24h:
        return f"24 h volume {facts.quote_volume_24h:,.0f} below {settings.min_quote_volume_24h:,.0f}"
    if facts.atr_pct is not None and not settings.atr_pct_min <= facts.atr_pct <= settings.atr_pct_max:
        return f"ATR {facts.atr_pct:.3f}% outside {settings.atr_pct_min}..{settings.atr_pct_max}%"
    return ""


def _normal(text: str) -> str:
    try:
        return parse_symbol(text).ccxt
    except SymbolError:
        return text
