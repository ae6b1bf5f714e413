"""Keeps the bot token out of logs, replies and exception texts.

The token is part of every Bot API URL (``.../bot<token>/<method>``), so requests' and the library's
exception messages, and even an error page a proxy sends back, can contain it. The log formatter
redacts known secrets too, but this layer does not rely on it: every text that leaves the Telegram
code through a log call or a reply passes through a :class:`Redactor` first.
"""

from __future__ import annotations

import re
from urllib.parse import quote

_TOKEN_SHAPE = re.compile(r"\d{3,}:[A-Za-z0-9_-]{20,}")
MASK = "<token>"


class Redactor:
    """``redactor(text)`` → the text with the token (and anything shaped like a token) masked."""

    def __init__(self, *secrets: str | None) -> None:
        raw = [s for s in secrets if s]
        self._secrets = tuple(dict.fromkeys([*raw, *(quote(s, safe="") for s in raw)]))

    def __call__(self, text: object) -> str:
        value = str(text)
        for secret in self._secrets:
            value = value.replace(secret, MASK)
        return _TOKEN_SHAPE.sub(MASK, value)

    def __repr__(self) -> str:
        return f"Redactor({len(self._secrets)} secret(s))"
