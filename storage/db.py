"""Opening the SQLite file: location, pragmas, one connection per thread, integrity, migrations.

Why these settings:

- ``journal_mode=WAL``: readers never block the writer and the writer never blocks readers, which is
  what many actor threads need; a commit is one append to the WAL file, and a ``kill -9`` loses
  nothing that was committed (the WAL is replayed on the next open).
- ``synchronous=NORMAL``: in WAL mode this stays corruption-free on power loss; only the last
  commits before a power cut (not a process crash) may be lost. Start-up reconciles with the
  exchange anyway, and FULL would fsync on every commit.
- ``busy_timeout``: a writer waits for the lock instead of failing at once. Every write transaction
  starts with ``BEGIN IMMEDIATE``, so it takes the write lock up front and the busy timeout applies;
  a deferred transaction that upgrades from read to write could fail immediately with SQLITE_BUSY.
- ``foreign_keys=ON``: off by default in SQLite, per connection.

peewee keeps one connection per thread (``thread_safe=True``) and runs the pragmas on each new
connection, so every actor thread gets its own correctly configured connection. Connections are
tracked weakly so :meth:`Database.close_all` can close them at shutdown; a connection whose thread has
ended is closed by the garbage collector.
"""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import peewee

from storage.errors import DatabaseCorruptError, StorageError, translate_error
from storage.migrations import Migration, check_migrations, migrate

__all__ = ["DEFAULT_DATABASE_NAME", "Database", "default_database_path", "open_database"]

DEFAULT_DATABASE_NAME = "bot.db"  # the same default as config.StorageSettings.database_path
_SQLITE_HEADER = b"SQLite format 3\x00"
_JOURNAL_SIZE_LIMIT = 64 * 1024 * 1024  # truncate the WAL back to this size after checkpoints


def default_database_path(data_dir: Path | str) -> Path:
    """Where the bot keeps its database inside ``data_dir`` (the caller decides the directory)."""
    return Path(data_dir) / DEFAULT_DATABASE_NAME


class _TrackedConnection(sqlite3.Connection):
    """A plain sqlite3 connection that can be weakly referenced (the C type cannot)."""


class Database(peewee.SqliteDatabase):
    """peewee's SQLite database with connection tracking and a rollback that tolerates SQLite's own.

    After SQLITE_FULL or an I/O error SQLite may already have rolled the transaction back; peewee would
    then issue a ROLLBACK that fails with "no transaction is active" and hides the real error.
    """

    def __init__(self, path: Path, busy_timeout_s: float) -> None:
        self._connections: weakref.WeakSet[_TrackedConnection] = weakref.WeakSet()
        self._registry_lock = threading.Lock()
        self.busy_timeout_s = busy_timeout_s
        super().__init__(
            str(path),
            pragmas=[
                ("busy_timeout", int(busy_timeout_s * 1000)),
                ("journal_mode", "wal"),
                ("synchronous", "normal"),
                ("foreign_keys", "on"),
                ("journal_size_limit", _JOURNAL_SIZE_LIMIT),
            ],
            timeout=busy_timeout_s,
            factory=_TrackedConnection,
            check_same_thread=False,  # only so close_all() may close other threads' connections
        )

    def _connect(self) -> Any:
        conn = super()._connect()
        with self._registry_lock:
            self._connections.add(conn)
        return conn

    def rollback(self) -> None:
        conn = self._state.conn
        if conn is not None and not conn.in_transaction:
            return
        super().rollback()

    def close_all(self) -> None:
        """Close every thread's connection (call when no other thread uses the database any more).

        The last connection to close checkpoints the WAL into the main file and removes it.
        """
        with self._registry_lock:
            connections = list(self._connections)
            self._connections.clear()
        for conn in connections:
            with contextlib.suppress(sqlite3.Error):
                conn.close()
        self.dispose()  # forget this thread's (now closed) connection


def _check_header(path: Path) -> None:
    """Refuse a file that is not SQLite before SQLite touches it, with a message naming the file."""
    if not path.exists() or path.stat().st_size == 0:
        return  # SQLite treats an empty file as an empty database
    if path.is_dir():
        raise StorageError(f"{path} is a directory, not a database file", path=path, operation="open database")
    with path.open("rb") as handle:
        header = handle.read(len(_SQLITE_HEADER))
    if header != _SQLITE_HEADER:
        raise DatabaseCorruptError(
            f"{path} is not a SQLite database (its first bytes are {header[:16]!r}); refusing to open "
            "it. Move the file away or configure another database path.",
            path=path,
            operation="open database",
        )


def _integrity_check(database: Database, path: Path) -> None:
    rows = [row[0] for row in database.execute_sql("PRAGMA quick_check(5)").fetchall()]
    if rows != ["ok"]:
        raise DatabaseCorruptError(
            f"{path} is damaged (SQLite quick_check: {'; '.join(rows)}). Restore a backup or move the "
            "file away; the bot will then reconcile with the exchange from an empty database.",
            path=path,
            operation="open database",
        )


def open_database(
    path: Path | str,
    *,
    busy_timeout_s: float,
    migrations: Sequence[Migration],
    now_ms: Callable[[], int],
    check_integrity: bool = True,
) -> tuple[Database, int]:
    """Open (creating if needed) and migrate the database at ``path``; return it and its version."""
    if str(path) in ("", ":memory:") or str(path).startswith("file:"):
        raise ValueError(
            f"a database file path is required, got {str(path)!r}: each thread has its own connection, "
            "and an in-memory database would be a different, empty database on every thread"
        )
    check_migrations(migrations)
    if busy_timeout_s < 0:
        raise ValueError(f"busy_timeout_s must not be negative, got {busy_timeout_s}")
    path = Path(path).expanduser().absolute()
    operation = "open database"
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise StorageError(
            f"cannot create the data directory {path.parent}: {exc}", path=path, operation=operation
        ) from exc
    _check_header(path)
    database = Database(path, busy_timeout_s)
    try:
        database.connect()
        mode = database.execute_sql("PRAGMA journal_mode").fetchone()[0]
        if str(mode).lower() != "wal":
            raise StorageError(
                f"{path}: SQLite refused WAL mode (journal_mode is {mode!r}); the file system may not "
                "support shared memory (network file systems do not). Use a local disk.",
                path=path,
                operation=operation,
            )
        if check_integrity:
            _integrity_check(database, path)
        version = migrate(database, path, migrations, now_ms)
    except StorageError:
        database.close_all()
        raise
    except (peewee.PeeweeException, sqlite3.Error) as exc:
        database.close_all()
        raise translate_error(exc, path=path, operation=operation, busy_timeout_s=busy_timeout_s) from exc
    return database, version
