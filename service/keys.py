"""The secrets file (``.env``): validate, mask and edit it without ever echoing a secret.

Why a module of its own: the bot reads secrets through pydantic (``config.secrets``), which is right for
loading but says nothing useful about *editing* — keeping the owner's comments and other lines, writing
atomically (a crash mid-write must leave the old file, not half a key), mode 0600 from the first byte,
and a format both python-dotenv and systemd's ``EnvironmentFile=`` read the same way.
"""

from __future__ import annotations

import os
import re
import stat
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

MANAGED_NAMES = ("BINANCE_API_KEY", "BINANCE_API_SECRET", "TELEGRAM_TOKEN", "TELEGRAM_CHAT_ID",
                 "TELEGRAM_ALLOWED_USER_IDS")
SECRET_NAMES = frozenset({"BINANCE_API_KEY", "BINANCE_API_SECRET", "TELEGRAM_TOKEN"})

_BINANCE_KEY = re.compile(r"^[A-Za-z0-9]{16,128}$")
_TELEGRAM_TOKEN = re.compile(r"^[0-9]{5,15}:[A-Za-z0-9_-]{30,64}$")
_CHAT_ID = re.compile(r"^-?[0-9]{1,20}$")
_USER_IDS = re.compile(r"^[0-9]{1,20}(,[0-9]{1,20})*$")
_LINE = re.compile(r"^\s*(?:export\s+)?(?P<name>[A-Za-z_][A-Za-z0-9_]*)\s*=")
_PLAIN_VALUE = re.compile(r"^[A-Za-z0-9_:,.\-/+@]*$")


class KeyFileError(Exception):
    """The file cannot be read or written, or a value cannot be stored; never contains a secret."""


def mask(value: str | None) -> str:
    """``abcd…(64 chars)``: enough to tell two keys apart, never enough to use one."""
    if not value:
        return "(not set)"
    shown = value[:4] if len(value) >= 12 else ""
    return f"{shown}…({len(value)} chars)"


def problem(name: str, value: str) -> str | None:
    """Why ``value`` is not a well-formed ``name``, in words that do not repeat the value; None if fine."""
    stripped = value.strip()
    if not stripped:
        return "is empty"
    if stripped != value:
        return "has leading or trailing whitespace"
    if name in ("BINANCE_API_KEY", "BINANCE_API_SECRET"):
        if not _BINANCE_KEY.match(value):
            return (f"must be 16 to 128 letters and digits (Binance HMAC keys are 64), got {len(value)} characters"
                    + (" including other characters" if not value.isalnum() else ""))
        return None
    if name == "TELEGRAM_TOKEN":
        if not _TELEGRAM_TOKEN.match(value):
            return (f"must look like <bot id>:<30+ letters, digits, _ or -> (from @BotFather), "
                    f"got {len(value)} characters")
        return None
    if name == "TELEGRAM_CHAT_ID":
        return None if _CHAT_ID.match(value) else "must be an integer chat id (negative for groups)"
    if name == "TELEGRAM_ALLOWED_USER_IDS":
        return None if _USER_IDS.match(value.replace(" ", "")) else "must be comma-separated numeric user ids"
    return None


def pair_problems(values: Mapping[str, str | None]) -> list[str]:
    """Rules across names: a key without its secret (or the reverse) is useless and confusing."""
    problems = []
    key, secret = values.get("BINANCE_API_KEY"), values.get("BINANCE_API_SECRET")
    if bool(key) != bool(secret):
        missing = "BINANCE_API_SECRET" if key else "BINANCE_API_KEY"
        problems.append(f"{missing}: not set, but its partner is (set both or neither)")
    if values.get("TELEGRAM_TOKEN") and not values.get("TELEGRAM_CHAT_ID"):
        problems.append("TELEGRAM_CHAT_ID: not set, so Telegram notifications have nowhere to go")
    if values.get("TELEGRAM_TOKEN") and not values.get("TELEGRAM_ALLOWED_USER_IDS"):
        problems.append("TELEGRAM_ALLOWED_USER_IDS: not set, so nobody may send commands")
    return problems


# ------------------------------------------------------------------- the file
@dataclass(frozen=True)
class Permissions:
    mode: int
    too_open: bool

    def describe(self, path: Path) -> str:
        return (f"{path} is readable by group or others (mode {self.mode:04o}): "
                f"run `chmod 600 {path}` (keys set does this for you)")


def permissions(path: Path) -> Permissions | None:
    try:
        mode = stat.S_IMODE(path.stat().st_mode)
    except FileNotFoundError:
        return None
    return Permissions(mode, bool(mode & 0o077))


def read_values(path: Path) -> dict[str, str]:
    """Every ``NAME=value`` of the file as python-dotenv reads it (the way the bot will)."""
    if not path.exists():
        return {}
    from dotenv import dotenv_values

    try:
        return {k: v for k, v in dotenv_values(path).items() if v is not None}
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read {path}: {exc.__class__.__name__}") from None


def effective_values(path: Path, environ: Mapping[str, str] | None = None) -> dict[str, tuple[str, str]]:
    """name → (value, where from) for the managed names: the process environment wins over the file,
    as in ``config.secrets``."""
    env = os.environ if environ is None else environ
    from_file = read_values(path)
    result: dict[str, tuple[str, str]] = {}
    for name in MANAGED_NAMES:
        if env.get(name, "").strip():
            result[name] = (env[name], "environment")
        elif from_file.get(name, "").strip():
            result[name] = (from_file[name], str(path))
    return result


def _quote(name: str, value: str) -> str:
    if "\n" in value or "\r" in value or "\0" in value:
        raise KeyFileError(f"{name}: a value cannot contain a line break")
    if _PLAIN_VALUE.match(value):
        return value
    if "'" in value:
        raise KeyFileError(f"{name}: a value cannot contain both special characters and a single quote")
    return f"'{value}'"  # single quotes: no escapes and no ${VAR} expansion, in dotenv and in systemd


def write_values(path: Path, changes: Mapping[str, str | None]) -> None:
    """Set (or, with None, remove) names in ``path`` atomically, keeping every other line as it was.

    The new file is created with mode 0600 before any byte is written, fsync'ed, then renamed over the
    old one; when run as root on a file owned by someone else, the owner is kept.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    except (OSError, UnicodeDecodeError) as exc:
        raise KeyFileError(f"cannot read {path}: {exc.__class__.__name__}") from None
    pending = dict(changes)
    out: list[str] = []
    for line in lines:
        match = _LINE.match(line)
        name = match["name"] if match else None
        if name is None or name not in changes:
            out.append(line)
            continue
        if name in pending:  # the first occurrence takes the new value, later duplicates go
            value = pending.pop(name)
            if value is not None:
                out.append(f"{name}={_quote(name, value)}")
    for name, value in pending.items():
        if value is not None:
            out.append(f"{name}={_quote(name, value)}")
    text = "\n".join(out) + ("\n" if out else "")
    directory = path.parent if str(path.parent) else Path(".")
    directory.mkdir(parents=True, exist_ok=True)
    old_stat = path.stat() if path.exists() else None
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        os.fchmod(fd, 0o600)
        if old_stat is not None and os.geteuid() == 0 and (old_stat.st_uid, old_stat.st_gid) != (0, 0):
            os.fchown(fd, old_stat.st_uid, old_stat.st_gid)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    _fsync_directory(directory)


def _fsync_directory(directory: Path) -> None:
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
