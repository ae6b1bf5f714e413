"""Deterministic identifiers: correlation ids and client order ids.

Client order ids are ``{bot}-{symbol}-{intent}-{seq}`` (at most 36 characters, Binance's limit), so an
order the bot wrote to its database before sending is recognised on the exchange after a crash, and
orders that are not the bot's are told apart by the prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from core.symbols import parse_symbol

MAX_CLIENT_ID = 36
INTENTS = {"entry": "en", "stop": "sl", "take_profit": "tp", "exit": "ex"}
_INTENT_NAMES = {v: k for k, v in INTENTS.items()}
_CLIENT_ID_RE = re.compile(r"^(?P<bot>[a-z0-9]{1,6})-(?P<base>[A-Z0-9]+)-(?P<intent>[a-z]{2}\d?)-(?P<seq>\d+)$")


@dataclass(frozen=True, slots=True)
class ClientOrderId:
    """A parsed client order id."""

    bot_id: str
    base: str
    intent: str
    step: int | None
    sequence: int


def make_client_order_id(bot_id: str, symbol: str, intent: str, sequence: int, step: int | None = None) -> str:
    """``ufb-BTC-tp2-1234`` for take-profit step 2; raises if the result would exceed 36 characters."""
    if intent not in INTENTS:
        raise ValueError(f"unknown order intent {intent!r}; expected one of {sorted(INTENTS)}")
    code = INTENTS[intent] + (str(step) if step is not None else "")
    value = f"{bot_id}-{parse_symbol(symbol).base}-{code}-{sequence}"
    if len(value) > MAX_CLIENT_ID:
        raise ValueError(f"client order id {value!r} is longer than {MAX_CLIENT_ID} characters")
    return value


def parse_client_order_id(value: str, bot_id: str | None = None) -> ClientOrderId | None:
    """The parts of one of our ids, or None for an id that is not ours (another bot, the web UI)."""
    match = _CLIENT_ID_RE.match(value or "")
    if not match or (bot_id is not None and match.group("bot") != bot_id):
        return None
    code = match.group("intent")
    name = _INTENT_NAMES.get(code[:2])
    if name is None:
        return None
    step = int(code[2:]) if len(code) > 2 else None
    return ClientOrderId(match.group("bot"), match.group("base"), name, step, int(match.group("seq")))


def make_correlation_id(symbol: str, candle_close_time: int) -> str:
    """Ties a signal to its risk decision, orders and trade: ``BTC-29123456`` (minutes since epoch)."""
    return f"{parse_symbol(symbol).base}-{candle_close_time // 60_000}"
