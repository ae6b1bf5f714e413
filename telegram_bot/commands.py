"""The command language of the Telegram control: the table, parsing, argument checks, authorization.

Pure functions only: nothing here talks to Telegram or to the actors, so every rule about what a
command means, who may send it and what a malformed one gets back is tested without a network.
Malformed input never raises: it becomes an ``Invalid`` with a short usage text, because a
traceback in the owner's chat says nothing useful and could leak internals.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from config.profiles import PROFILE_NAMES
from core.symbols import SymbolError, parse_symbol

MAX_COMMAND_CHARS = 512  # a real command is short; a wall of text is refused before any parsing work
MAX_LOGS = 50
DEFAULT_LOGS = 10
MAX_REASON_CHARS = 100
_NAME_RE = re.compile(r"^[a-z0-9_]{1,32}$")
_COUNT_RE = re.compile(r"^[0-9]{1,4}$")
_HEAD_RE = re.compile(r"(\S*)(.*)", re.S)


@dataclass(frozen=True, slots=True)
class CommandSpec:
    """One command: its name, argument synopsis, description (shown by /help and setMyCommands)."""

    name: str
    args: str
    description: str
    changes_state: bool = False


COMMANDS: tuple[CommandSpec, ...] = (
    CommandSpec("help", "", "this command list"),
    CommandSpec("status", "", "mode, uptime, balance, positions, signals, feed, pause, reconciliation"),
    CommandSpec("positions", "", "open positions with entry, mark, PnL, stop, take-profits, age"),
    CommandSpec("balance", "", "wallet, available balance, margin used"),
    CommandSpec("summary", "", "trades, win rate, realized PnL, fees, best and worst"),
    CommandSpec("performance", "", "PnL per hour and day, hold time, streaks, per symbol and exit reason"),
    CommandSpec("risk", "", "limits, daily PnL against the loss limit, streak, pause state"),
    CommandSpec("pause", "[reason]", "stop new entries (positions stay protected)", changes_state=True),
    CommandSpec("resume", "", "allow new entries again", changes_state=True),
    CommandSpec("panic", "", "close every position and pause (asks to confirm)", changes_state=True),
    CommandSpec("close", "SYMBOL", "close one position (asks to confirm)", changes_state=True),
    CommandSpec("config", "", "profile, strategy and risk parameters"),
    CommandSpec("aggression", "[conservative|balanced|aggressive]", "show or switch the profile",
                changes_state=True),
    CommandSpec("logs", "[n]", f"the last n important events (1-{MAX_LOGS}, default {DEFAULT_LOGS})"),
    CommandSpec("health", "", "actors, restarts, quarantine, exchange latency and weight, candle age"),
    CommandSpec("chart", "", "equity curve and daily PnL as a picture"),
)
SPECS = {spec.name: spec for spec in COMMANDS}
ALIASES = {"start": "help"}  # Telegram clients send /start when a chat with the bot is opened


@dataclass(frozen=True, slots=True)
class Parsed:
    """A well-formed command. ``value`` is the checked argument: the log count for /logs, the ccxt
    symbol for /close, the profile (or None) for /aggression, the reason for /pause, else None."""

    name: str
    value: object = None


@dataclass(frozen=True, slots=True)
class Invalid:
    """A malformed command; ``reply`` is the short usage text the sender gets back."""

    reply: str


def usage(name: str) -> str:
    spec = SPECS[name]
    return f"Usage: /{spec.name}{' ' + spec.args if spec.args else ''} - {spec.description}"


def help_text() -> str:
    lines = ["Commands:"]
    lines += [f"/{s.name}{' ' + s.args if s.args else ''} - {s.description}" for s in COMMANDS]
    lines.append("State-changing commands are for allowed users only; /panic and /close ask to confirm.")
    return "\n".join(lines)


def bot_commands() -> list[tuple[str, str]]:
    """(command, description) pairs for setMyCommands (descriptions are limited to 256 characters)."""
    return [(s.name, s.description[:256]) for s in COMMANDS]


def parse_command(text: str | None, bot_username: str = "") -> Parsed | Invalid | None:
    """Read one message text. None: not a command, or a command addressed to another bot (groups)."""
    if not text or not text.startswith("/"):
        return None
    if len(text) > MAX_COMMAND_CHARS:
        return Invalid(f"That command is too long (more than {MAX_COMMAND_CHARS} characters). Send /help.")
    head, rest = _HEAD_RE.match(text).groups()  # type: ignore[union-attr]  # always matches a "/..."
    rest = rest.strip()
    name, _, target = head[1:].partition("@")
    if target and bot_username and target.lower() != bot_username.lower():
        return None
    name = name.lower()
    name = ALIASES.get(name, name)
    if not _NAME_RE.match(name) or name not in SPECS:
        return Invalid("Unknown command. Send /help for the list.")
    args = tuple(rest.split()) if rest else ()
    return _check_args(name, args, rest)


def _check_args(name: str, args: tuple[str, ...], rest: str) -> Parsed | Invalid:
    if name == "logs":
        return _logs(args)
    if name == "close":
        return _close(args)
    if name == "aggression":
        return _aggression(args)
    if name == "pause":
        return Parsed("pause", clean_reason(rest) or "paused by the owner")
    if args:
        return Invalid(f"/{name} takes no arguments. {usage(name)}")
    return Parsed(name)


def _logs(args: tuple[str, ...]) -> Parsed | Invalid:
    if not args:
        return Parsed("logs", DEFAULT_LOGS)
    if len(args) == 1 and _COUNT_RE.match(args[0]) and 1 <= int(args[0]) <= MAX_LOGS:
        return Parsed("logs", int(args[0]))
    return Invalid(f"n must be a whole number from 1 to {MAX_LOGS}. {usage('logs')}")


def _close(args: tuple[str, ...]) -> Parsed | Invalid:
    if len(args) != 1:
        return Invalid(f"{usage('close')} (e.g. /close BTC or /close BTCUSDC)")
    text = args[0]
    if not text.isascii() or len(text) > 40:
        return Invalid(f"Not a symbol. {usage('close')} (e.g. /close BTC)")
    candidate = text if any(c in text for c in "/:") or text.upper().endswith(("USDC", "USDT", "USD")) \
        else text + "USDC"  # a bare base asset: BTC -> BTCUSDC
    try:
        return Parsed("close", parse_symbol(candidate).ccxt)
    except SymbolError:
        return Invalid(f"Not a USDC perpetual symbol. {usage('close')} (e.g. /close BTC)")


def _aggression(args: tuple[str, ...]) -> Parsed | Invalid:
    if not args:
        return Parsed("aggression", None)
    if len(args) == 1 and args[0].lower() in PROFILE_NAMES:
        return Parsed("aggression", args[0].lower())
    return Invalid(f"Unknown profile. {usage('aggression')}")


def clean_reason(text: str) -> str:
    """A pause reason fit to store and show: printable characters, single spaces, bounded length."""
    kept = "".join(c if unicodedata.category(c)[0] not in "CZ" or c == " " else " " for c in text)
    return " ".join(kept.split())[:MAX_REASON_CHARS]


# ------------------------------------------------------------------------------------ authorization
@dataclass(frozen=True, slots=True)
class Access:
    """Who may command the bot: the allow-listed user ids; ``chat_id`` is the configured chat.

    A user on the list is answered in their private chat with the bot or in the configured chat.
    The configured chat's own id counts as an allowed user when it is a private chat (positive id,
    which Telegram makes equal to the owner's user id), so ``TELEGRAM_CHAT_ID`` alone is enough for
    a single owner. Everyone else gets no answer at all.
    """

    allowed_user_ids: frozenset[int]
    chat_id: int | None = None

    @classmethod
    def of(cls, allowed_user_ids: Iterable[int], chat_id: int | None) -> Access:
        return cls(frozenset(int(u) for u in allowed_user_ids), chat_id)

    def user_allowed(self, user_id: int | None) -> bool:
        if user_id is None:
            return False
        return user_id in self.allowed_user_ids or (self.chat_id is not None and self.chat_id > 0
                                                    and user_id == self.chat_id)

    def authorized(self, user_id: int | None, chat_id: int | None) -> bool:
        """May ``user_id`` command the bot from ``chat_id``?"""
        if not self.user_allowed(user_id) or chat_id is None:
            return False
        return chat_id == user_id or (self.chat_id is not None and chat_id == self.chat_id)

    def notification_chats(self) -> tuple[int, ...]:
        """Where notifications go: the configured chat, else each allowed user's private chat."""
        if self.chat_id is not None:
            return (self.chat_id,)
        return tuple(sorted(self.allowed_user_ids))
