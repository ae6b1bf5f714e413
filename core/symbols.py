"""Symbol names in every form the bot meets, and the one place that converts between them.

ccxt: ``BTC/USDC:USDC`` (the bot's canonical form: the same base also has ``BTC/USDT:USDT``, so the
settle currency must always be explicit), Binance REST: ``BTCUSDC``, spot-like: ``BTC/USDC``,
streams: ``btcusdc``. Only USDC-margined symbols are accepted: anything else is refused with an error
that says why, so a USDT symbol can never slip into an order.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

QUOTE = "USDC"
_BASE = r"[A-Z0-9]{1,20}"
_CCXT_RE = re.compile(rf"^(?P<base>{_BASE})/(?P<quote>[A-Z]+):(?P<settle>[A-Z]+)$")
_SLASH_RE = re.compile(rf"^(?P<base>{_BASE})/(?P<quote>[A-Z]+)$")
_RAW_RE = re.compile(rf"^(?P<base>{_BASE}?)(?P<quote>USDC|USDT|BUSD|FDUSD|USD)$")
_MULTIPLIER_RE = re.compile(r"^(1000000|100000|10000|1000|100)(?=[A-Z])")


class SymbolError(ValueError):
    """A symbol that is malformed or not a USDC-margined perpetual."""


@dataclass(frozen=True, slots=True)
class UsdcSymbol:
    """A USDC-margined perpetual, e.g. base ``1000PEPE`` → ``1000PEPE/USDC:USDC``."""

    base: str

    @property
    def ccxt(self) -> str:
        return f"{self.base}/{QUOTE}:{QUOTE}"

    @property
    def exchange_id(self) -> str:
        return f"{self.base}{QUOTE}"

    @property
    def spot_like(self) -> str:
        return f"{self.base}/{QUOTE}"

    @property
    def stream(self) -> str:
        return self.exchange_id.lower()

    @property
    def multiplier(self) -> int:
        """The contract multiplier hidden in the base (``1000PEPE`` → 1000), 1 when none."""
        match = _MULTIPLIER_RE.match(self.base)
        return int(match.group(1)) if match else 1

    @property
    def underlying(self) -> str:
        """The base without a multiplier prefix (``1000PEPE`` → ``PEPE``)."""
        return _MULTIPLIER_RE.sub("", self.base)

    def __str__(self) -> str:
        return self.ccxt


def parse_symbol(text: str) -> UsdcSymbol:
    """Read any supported form (case-insensitive) and return the USDC perpetual it names.

    Raises ``SymbolError`` naming the input for malformed text or a non-USDC quote/settle.
    """
    if not isinstance(text, str) or not text.strip():
        raise SymbolError(f"symbol must be a non-empty string, got {text!r}")
    candidate = text.strip().upper()
    for pattern in (_CCXT_RE, _SLASH_RE):
        match = pattern.match(candidate)
        if match:
            quote = match.group("quote")
            settle = match.groupdict().get("settle") or quote
            if quote != QUOTE or settle != QUOTE:
                raise SymbolError(
                    f"{text!r} is not USDC-margined (quote {quote}, settle {settle}); only USDC is traded"
                )
            return UsdcSymbol(match.group("base"))
    match = _RAW_RE.match(candidate)
    if match and match.group("base"):
        if match.group("quote") != QUOTE:
            raise SymbolError(f"{text!r} is not USDC-margined (quote {match.group('quote')}); only USDC is traded")
        return UsdcSymbol(match.group("base"))
    raise SymbolError(f"cannot read {text!r} as a symbol; expected e.g. BTC/USDC:USDC, BTCUSDC, BTC/USDC or btcusdc")


def to_ccxt(text: str) -> str:
    """``btcusdc`` / ``BTCUSDC`` / ``BTC/USDC`` → ``BTC/USDC:USDC``."""
    return parse_symbol(text).ccxt


def to_exchange_id(text: str) -> str:
    """``BTC/USDC:USDC`` → ``BTCUSDC``."""
    return parse_symbol(text).exchange_id


def to_stream(text: str) -> str:
    """``BTC/USDC:USDC`` → ``btcusdc`` (WebSocket stream names are lower case)."""
    return parse_symbol(text).stream


def is_odd_symbol(text: str) -> bool:
    """Symbols excluded by default: test listings, multiplier-prefixed bases, non-ASCII names."""
    try:
        symbol = parse_symbol(text)
    except SymbolError:
        return True
    base = symbol.base
    return symbol.multiplier != 1 or "TEST" in base or not base.isascii() or base.isdigit()
