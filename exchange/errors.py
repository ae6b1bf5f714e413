"""Binance errors decided by their numeric code, once, at the edge.

ccxt maps futures error codes to exception classes only for Binance's own hosts; against any other URL
(our simulator, a proxy) they all arrive as ``ExchangeError`` whose message is ``"binanceusdm " + body``.
Reading the ``{"code","msg"}`` body works the same everywhere, so every decision here keys on the code.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from enum import Enum

import ccxt


class Outcome(Enum):
    """What an error means for the request that caused it."""

    REJECTED = "rejected"  # final: the exchange refused; do not retry the same request
    RETRY = "retry"  # safe to retry (nothing happened), maybe after a fix such as a time resync
    UNKNOWN = "unknown"  # the request may or may not have taken effect: settle by query
    FATAL = "fatal"  # configuration problem (keys, signature): stop trading and tell the owner


TIMESTAMP_OUTSIDE_RECV_WINDOW = -1021
INVALID_SIGNATURE = -1022
INVALID_API_KEY = -2015
TOO_MANY_REQUESTS = -1003
LISTEN_KEY_UNKNOWN = -1125
UNKNOWN_ORDER = (-2011, -2013)
NO_CHANGE = (-4046, -4059)
DUPLICATE_CLIENT_ID = -4116

_RETRYABLE_CODES = frozenset({TIMESTAMP_OUTSIDE_RECV_WINDOW, TOO_MANY_REQUESTS, -4131})
# Binance: "execution status unknown" — for an order these mean it may have been placed.
_BACKEND_UNKNOWN_CODES = frozenset({-1000, -1001, -1006, -1007, -1008})
_FATAL_CODES = frozenset({INVALID_SIGNATURE, INVALID_API_KEY, -2014, -1002})
_BODY_RE = re.compile(r"\{.*\}", re.DOTALL)


@dataclass(frozen=True, slots=True)
class ExchangeFailure:
    """A classified failure: Binance code (0 when there was none), text, and what it means."""

    code: int
    message: str
    outcome: Outcome
    http_status: int = 0
    retry_after_s: float | None = None

    def __str__(self) -> str:
        code = f"{self.code} " if self.code else ""
        return f"{code}{self.message} ({self.outcome.value})"


def binance_code(exc: BaseException) -> tuple[int, str] | None:
    """The ``(code, msg)`` of a Binance error body carried by a ccxt exception, if any."""
    match = _BODY_RE.search(str(exc))
    if not match:
        return None
    try:
        body = json.loads(match.group(0))
    except json.JSONDecodeError:
        return None
    if isinstance(body, dict) and isinstance(body.get("code"), int):
        return int(body["code"]), str(body.get("msg", ""))
    return None


def classify(exc: BaseException, *, sent_order: bool = False) -> ExchangeFailure:
    """Decide what an exception from a ccxt call means.

    ``sent_order``: the request created or changed an order, so a transport failure *after sending*
    leaves its fate unknown (it must be settled by querying the client order id, never resent blindly).
    """
    parsed = binance_code(exc)
    if parsed is not None:
        return classify_code(parsed[0], parsed[1], sent_order=sent_order)
    text = _short(exc)
    if isinstance(exc, ccxt.DDoSProtection):  # 418/429: nothing was executed
        return ExchangeFailure(TOO_MANY_REQUESTS, text, Outcome.RETRY, http_status=429)
    if isinstance(exc, (ccxt.RequestTimeout, ccxt.ExchangeNotAvailable, ccxt.NetworkError)):
        return ExchangeFailure(0, text, Outcome.UNKNOWN if sent_order else Outcome.RETRY)
    if isinstance(exc, ccxt.AuthenticationError):
        return ExchangeFailure(0, text, Outcome.FATAL)
    if isinstance(exc, (ccxt.InvalidOrder, ccxt.BadRequest, ccxt.BadSymbol, ccxt.ArgumentsRequired)):
        return ExchangeFailure(0, text, Outcome.REJECTED)
    if isinstance(exc, ccxt.ExchangeError) and sent_order:
        return ExchangeFailure(0, text, Outcome.UNKNOWN)
    if isinstance(exc, ccxt.ExchangeError):
        return ExchangeFailure(0, text, Outcome.RETRY)
    return ExchangeFailure(0, text, Outcome.UNKNOWN if sent_order else Outcome.RETRY)


def classify_code(code: int, message: str, *, sent_order: bool = False) -> ExchangeFailure:
    """What a Binance ``{code, msg}`` answer means."""
    if code in _FATAL_CODES:
        return ExchangeFailure(code, message, Outcome.FATAL)
    if code in _RETRYABLE_CODES:
        return ExchangeFailure(code, message, Outcome.RETRY)
    if code in _BACKEND_UNKNOWN_CODES:
        return ExchangeFailure(code, message, Outcome.UNKNOWN if sent_order else Outcome.RETRY)
    return ExchangeFailure(code, message, Outcome.REJECTED)


def _short(exc: BaseException) -> str:
    text = f"{type(exc).__name__}: {exc}"
    return text if len(text) <= 300 else text[:297] + "..."
