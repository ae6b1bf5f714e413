"""``Storage``: the only object actors use to persist and read back the bot's history.

One ``Storage`` is shared by every actor thread. Each thread gets its own SQLite connection (peewee
keeps them thread-local); every write is its own ``BEGIN IMMEDIATE`` transaction, so concurrent
writers queue on SQLite's write lock (up to the busy timeout) instead of failing or interleaving.
Methods return frozen records, never ORM rows.

Never store secrets: there is no API for credentials, and none is needed, because start-up
reconciliation gets everything else back from the exchange.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from storage.db import open_database
from storage.fills import FillStore
from storage.journal import JournalStore
from storage.migrations import MIGRATIONS, Migration
from storage.models import bind_models
from storage.orders import OrderStore
from storage.records import StorageInfo
from storage.trades import TradeStore

__all__ = ["Storage"]


def _wall_clock_ms() -> int:
    return time.time_ns() // 1_000_000


class Storage(TradeStore, OrderStore, FillStore, JournalStore):
    """Thread-safe persistence facade over one SQLite file: ``Storage.open(path)``."""

    _schema_version: int

    def __init__(
        self,
        path: Path | str,
        *,
        busy_timeout_s: float = 5.0,
        clock: Callable[[], int] | None = None,
        check_integrity: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> None:
        """Open (creating it and its directory if needed) and migrate the database at ``path``.

        ``clock`` returns the current time in ms (UTC) for ``created_ms``/``updated_ms``; inject the
        bot's clock so that replays stamp simulated time. ``busy_timeout_s`` is how long a write
        waits for another writer before :class:`~storage.errors.DatabaseLockedError`.
        ``check_integrity`` runs SQLite's ``quick_check`` first (linear in the file size).
        ``migrations`` exists for tests of the migration framework; leave it alone.

        Raises :class:`~storage.errors.DatabaseCorruptError` for a damaged or non-SQLite file and
        :class:`~storage.errors.SchemaVersionError` for a file written by a newer version.
        """
        now_ms = clock or _wall_clock_ms
        database, version = open_database(
            path,
            busy_timeout_s=busy_timeout_s,
            migrations=migrations,
            now_ms=now_ms,
            check_integrity=check_integrity,
        )
        self._db = database
        self._models = bind_models(database)
        self._path = Path(database.database)
        self._now = now_ms
        self._closed = False
        self._schema_version = version

    @classmethod
    def open(
        cls,
        path: Path | str,
        *,
        busy_timeout_s: float = 5.0,
        clock: Callable[[], int] | None = None,
        check_integrity: bool = True,
        migrations: Sequence[Migration] = MIGRATIONS,
    ) -> Storage:
        """Same as ``Storage(path, ...)``; reads better at call sites that open a file."""
        return cls(
            path,
            busy_timeout_s=busy_timeout_s,
            clock=clock,
            check_integrity=check_integrity,
            migrations=migrations,
        )

    @property
    def path(self) -> Path:
        return self._path

    @property
    def schema_version(self) -> int:
        return self._schema_version

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Close every thread's connection. Call once the actors have stopped; idempotent."""
        if self._closed:
            return
        self._closed = True
        self._db.close_all()

    def __enter__(self) -> Storage:
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

    def __repr__(self) -> str:
        state = "closed" if self._closed else f"schema v{self._schema_version}"
        return f"<Storage {self._path} ({state})>"

    @contextmanager
    def atomic(self) -> Iterator[None]:
        """Group several calls made *by this thread* into one transaction: all or nothing.

        Example: ``with storage.atomic(): storage.record_fill(...); storage.update_order(...)``.
        Keep the block short: it holds the database's write lock until it ends.
        """
        with self._writing("transaction"):
            yield

    def info(self) -> StorageInfo:
        """Pragmas as seen by the calling thread's connection, schema version and file size."""

        def pragma(name: str) -> object:
            return self._db.execute_sql(f"PRAGMA {name}").fetchone()[0]

        with self._reading("read storage info"):
            journal_mode = str(pragma("journal_mode"))
            synchronous = int(pragma("synchronous"))  # type: ignore[call-overload]
            foreign_keys = bool(pragma("foreign_keys"))
            busy_timeout_ms = int(pragma("busy_timeout"))  # type: ignore[call-overload]
        size = sum(
            candidate.stat().st_size for candidate in (self._path, Path(f"{self._path}-wal")) if candidate.exists()
        )
        return StorageInfo(
            path=self._path,
            schema_version=self._schema_version,
            journal_mode=journal_mode,
            synchronous=synchronous,
            foreign_keys=foreign_keys,
            busy_timeout_ms=busy_timeout_ms,
            size_bytes=size,
        )
