"""What every part of the facade shares: the database, the clock, and the error edge.

Every public method runs inside :meth:`_StoreBase._reading` or :meth:`_StoreBase._writing`. Both
translate peewee/sqlite3 errors into :class:`~storage.errors.StorageError` naming the file and the
operation; ``_writing`` also wraps the work in a ``BEGIN IMMEDIATE`` transaction, so the rows written
by one call commit together or not at all (and inside :meth:`Storage.atomic` become a savepoint of
the caller's transaction).
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import peewee

from storage.db import Database
from storage.errors import StorageClosedError, translate_error
from storage.models import Models


class _StoreBase:
    _db: Database
    _models: Models
    _path: Path
    _now: Callable[[], int]
    _closed: bool

    def _ensure_open(self, operation: str) -> None:
        if self._closed:
            raise StorageClosedError(
                f"{operation} failed on {self._path}: the storage is closed", path=self._path, operation=operation
            )

    @contextmanager
    def _reading(self, operation: str) -> Iterator[None]:
        self._ensure_open(operation)
        try:
            yield
        except (peewee.PeeweeException, sqlite3.Error) as exc:
            raise self._translate(exc, operation) from exc

    @contextmanager
    def _writing(self, operation: str) -> Iterator[None]:
        self._ensure_open(operation)
        try:
            with self._db.atomic("IMMEDIATE"):
                yield
        except (peewee.PeeweeException, sqlite3.Error) as exc:
            raise self._translate(exc, operation) from exc

    def _translate(self, exc: BaseException, operation: str) -> Exception:
        return translate_error(exc, path=self._path, operation=operation, busy_timeout_s=self._db.busy_timeout_s)
