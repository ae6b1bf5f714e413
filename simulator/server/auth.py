"""Binance's request authentication: API key header, HMAC-SHA256 signature, timestamp and recvWindow.

The signature is verified over the raw ``query string + body`` (Binance's ``totalParams``) with the
``signature`` parameter removed, exactly as sent: nothing is re-encoded.
"""

from __future__ import annotations

import hashlib
import hmac
from urllib.parse import parse_qsl

from simulator import errors
from simulator.errors import BinanceError

DEFAULT_RECV_WINDOW = 5000
MAX_RECV_WINDOW = 60000


def split_signature(raw: str) -> tuple[str, str | None]:
    """(raw string without ``signature=...``, signature value)."""
    if not raw:
        return "", None
    parts = raw.split("&")
    kept = []
    signature = None
    for part in parts:
        if part.startswith("signature="):
            signature = part[len("signature=") :]
        else:
            kept.append(part)
    return "&".join(kept), signature


def parse_params(query: str, body: str) -> dict[str, str]:
    """Query and form body merged (body wins), values decoded."""
    params = dict(parse_qsl(query, keep_blank_values=True))
    params.update(parse_qsl(body, keep_blank_values=True))
    return params


def check_api_key(header: str | None, api_key: str) -> None:
    if not header:
        raise errors.key_format()
    if not hmac.compare_digest(header, api_key):
        raise errors.invalid_key()


def check_signature(query: str, body: str, secret: str) -> None:
    """-1022 unless the signature matches; -1102 when it is missing."""
    query_unsigned, sig_q = split_signature(query)
    body_unsigned, sig_b = split_signature(body)
    signature = sig_b or sig_q
    if not signature:
        raise errors.mandatory("signature")
    payload = query_unsigned + body_unsigned
    expected = hmac.new(secret.encode(), payload.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, signature.lower()):
        raise errors.invalid_signature()


def check_timestamp(params: dict[str, str], references: tuple[int, ...]) -> None:
    """Binance's rule, against any of ``references`` (simulated and wall clock, both with the skew):
    accepted when ``timestamp < server + 1000`` and ``server - timestamp <= recvWindow``."""
    raw = params.get("timestamp")
    if raw in (None, ""):
        raise errors.mandatory("timestamp")
    try:
        timestamp = int(str(raw))
    except ValueError:
        raise errors.mandatory("timestamp") from None
    window_raw = params.get("recvWindow")
    try:
        window = int(str(window_raw)) if window_raw not in (None, "") else DEFAULT_RECV_WINDOW
    except ValueError:
        raise errors.mandatory("recvWindow") from None
    if window > MAX_RECV_WINDOW or window <= 0:
        raise BinanceError(-1131, "recvWindow must be less than 60000")
    ahead = False
    for server in references:
        if timestamp < server + 1000 and server - timestamp <= window:
            return
        ahead = ahead or timestamp >= server + 1000
    raise errors.timestamp_ahead() if ahead else errors.timestamp_outside()
