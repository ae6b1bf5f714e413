"""Commands from the owner (Telegram, CLI, signals) to the actors."""

from __future__ import annotations

from typing import Any

from messages.base import Command


class PauseTrading(Command, frozen=True, kw_only=True):
    """Stop new entries; open positions keep their stops. Persisted in the runtime file."""

    reason: str
    requested_by: str


class ResumeTrading(Command, frozen=True, kw_only=True):
    """Allow new entries again (automatic pauses such as the daily loss limit still apply)."""

    requested_by: str


class EmergencyClose(Command, frozen=True, kw_only=True):
    """``/panic``: cancel every order, close every position, pause. Idempotent."""

    requested_by: str


class CloseSymbol(Command, frozen=True, kw_only=True):
    """``/close SYMBOL``: close one position and cancel its orders."""

    symbol: str
    requested_by: str


class SwitchProfile(Command, frozen=True, kw_only=True):
    """``/aggression NAME``: switch the trading profile at run time (persisted)."""

    profile: str
    requested_by: str


class Shutdown(Command, frozen=True, kw_only=True):
    """Stop in order: no new entries, finish in-flight order work, persist, close connections."""

    reason: str
    flatten: bool = False


class Tick(Command, frozen=True, kw_only=True):
    """A timer beat on the bot's clock: deadlines (stop placement, max hold, pauses) are checked on it."""


class ApplySettings(Command, frozen=True, kw_only=True):
    """Use these settings from now on (a profile switched at run time). ``settings`` is a frozen
    ``config.Settings``: immutable like every message content."""

    settings: Any
    reason: str
