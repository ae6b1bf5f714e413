"""One exception hierarchy for everything that can go wrong in ``storage``.

Actors catch :class:`StorageError` (or one of its subclasses) and never see peewee or sqlite3
exceptions: those are translated once, here, at the edge. Every error names the database file and
the operation that failed, because the first question after an incident is "which file, doing what".

Programming errors (an unknown order status, a NaN price, an unknown field name) are *not* storage
errors: they raise ``ValueError``/``TypeError`` before anything touches the database.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peewee

__all__ = [
    "DatabaseCorruptError",
    "DatabaseLockedError",
    "DiskFullError",
    "DuplicateRecordError",
    "RecordNotFoundError",
    "SchemaVersionError",
    "StateConflictError",
    "StorageClosedError",
    "StorageError",
]

# Primary SQLite result codes (the low byte of the extended code).
_SQLITE_CORRUPT = 11
_SQLITE_BUSY = 5
_SQLITE_LOCKED = 6
_SQLITE_FULL = 13
_SQLITE_CONSTRAINT = 19
_SQLITE_NOTADB = 26
_UNIQUE_CODES = frozenset({2067, 1555})  # SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY


class StorageError(Exception):
    """Base class: the database could not do what was asked. Nothing committed before is lost.

    ``path`` is the database file, ``operation`` what the caller was doing (``"record fill"``),
    ``sqlite_error`` the SQLite error name when the cause was an SQLite error (``"SQLITE_BUSY"``).
    """

    def __init__(
        self,
        message: str,
        *,
        path: Path | str | None = None,
        operation: str | None = None,
        sqlite_error: str | None = None,
    ) -> None:
        super().__init__(message)
        self.path = Path(path) if path is not None else None
        self.operation = operation
        self.sqlite_error = sqlite_error


class DatabaseLockedError(StorageError):
    """Another connection (usually another process) held the write lock beyond the busy timeout."""


class DiskFullError(StorageError):
    """The disk (or the configured size limit) is full: the write was rolled back."""


class DatabaseCorruptError(StorageError):
    """The file is not a SQLite database, or its content is damaged."""


class SchemaVersionError(StorageError):
    """The schema cannot be used by this version of the bot (newer, foreign or broken)."""


class StorageClosedError(StorageError):
    """The :class:`~storage.Storage` was closed; open a new one."""


class RecordNotFoundError(StorageError, LookupError):
    """The trade or order an update refers to does not exist."""


class DuplicateRecordError(StorageError):
    """A row with the same unique key already exists (client order id, correlation id...)."""


class StateConflictError(StorageError):
    """The record is in a state that forbids the change (closing a trade that is already closed)."""


def _sqlite_cause(exc: BaseException) -> sqlite3.Error | None:
    """The *original* sqlite3 error behind ``exc``.

    peewee re-raises sqlite3 errors as its own classes with the original as first argument, and a
    failed ROLLBACK after SQLite already rolled back raises a second error whose ``__context__`` is
    the first one. The oldest sqlite3 error in the chain is the real cause.
    """
    found: sqlite3.Error | None = None
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, sqlite3.Error):
            found = current
        elif current.args and isinstance(current.args[0], sqlite3.Error):
            found = current.args[0]
        current = current.__cause__ or current.__context__
    return found


def translate_error(
    exc: BaseException, *, path: Path, operation: str, busy_timeout_s: float | None = None
) -> StorageError:
    """Map a peewee/sqlite3 exception to the matching :class:`StorageError` subclass."""
    cause = _sqlite_cause(exc)
    code = getattr(cause, "sqlite_errorcode", None)
    name = getattr(cause, "sqlite_errorname", None)
    detail = str(cause if cause is not None else exc)
    primary = code & 0xFF if isinstance(code, int) else None
    where = f"{operation} failed on {path}"
    kwargs = {"path": path, "operation": operation, "sqlite_error": name}
    if primary in (_SQLITE_BUSY, _SQLITE_LOCKED):
        waited = f" for {busy_timeout_s:g} s" if busy_timeout_s is not None else ""
        return DatabaseLockedError(
            f"{where}: database is locked; another connection or process held the write lock{waited} "
            f"(busy timeout). Is a second bot running on the same data directory? ({detail})",
            **kwargs,
        )
    if primary == _SQLITE_FULL:
        return DiskFullError(
            f"{where}: disk full, the write was rolled back; earlier data is intact. "
            f"Free disk space and retry. ({detail})",
            **kwargs,
        )
    if primary in (_SQLITE_CORRUPT, _SQLITE_NOTADB):
        return DatabaseCorruptError(
            f"{where}: the database file is damaged or is not a SQLite database ({detail}). "
            "Restore a backup or move the file away.",
            **kwargs,
        )
    if primary == _SQLITE_CONSTRAINT and code in _UNIQUE_CODES:
        return DuplicateRecordError(f"{where}: a record with the same key already exists ({detail})", **kwargs)
    if isinstance(exc, peewee.InterfaceError) and cause is None:
        return StorageError(f"{where}: {detail}", **kwargs)
    return StorageError(f"{where}: {name or type(exc).__name__}: {detail}", **kwargs)
