"""Starts the Telegram side of a running bot (control and notifications), or nothing when no token
is configured. Filled in by the Telegram work; the bot calls ``start_telegram`` once at start."""

from __future__ import annotations

import logging
from typing import Any

log = logging.getLogger(__name__)


def start_telegram(ctx: Any) -> Any | None:
    """Return an object with ``stop()``, or None when Telegram is off (said once in the log)."""
    if ctx.settings.secrets.telegram_token is None:
        log.info("Telegram is off: no TELEGRAM_TOKEN configured")
        return None
    log.warning("Telegram token configured but the Telegram side is not built yet")
    return None
