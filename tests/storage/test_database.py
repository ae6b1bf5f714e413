"""Opening files: pragmas on every thread, schema versions and migrations, refusing bad files."""

from __future__ import annotations

import hashlib
import os
import sqlite3
import threading
from pathlib import Path

import peewee
import pytest

from storage import (
    DEFAULT_DATABASE_NAME,
    MIGRATIONS,
    DatabaseCorruptError,
    Migration,
    SchemaVersionError,
    Storage,
    StorageInfo,
    default_database_path,
    sql_migration,
)
from storage.models import bind_models
from tests.storage.conftest import T0, add_intent


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _sql(path: Path, statement: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
    """Run one statement through a separate, plain sqlite3 connection (an outside observer)."""
    conn = sqlite3.connect(path)
    try:
        with conn:
            return conn.execute(statement, params).fetchall()
    finally:
        conn.close()


def test_default_path_lives_in_the_data_dir_and_is_created(tmp_path: Path) -> None:
    path = default_database_path(tmp_path / "var" / "data")
    assert path == tmp_path / "var" / "data" / DEFAULT_DATABASE_NAME
    with Storage.open(path) as storage:
        assert storage.path == path and path.is_file()
        assert storage.schema_version == len(MIGRATIONS) == 1


def test_wal_and_pragmas_on_every_threads_connection(tmp_path: Path) -> None:
    path = tmp_path / "bot.db"
    with Storage.open(path, busy_timeout_s=2.5) as storage:
        seen: list[StorageInfo] = [storage.info()]

        def other_thread() -> None:
            seen.append(storage.info())

        worker = threading.Thread(target=other_thread)
        worker.start()
        worker.join()
        assert len(seen) == 2
        for info in seen:
            assert (info.journal_mode, info.synchronous, info.foreign_keys, info.busy_timeout_ms) == (
                "wal",
                1,  # NORMAL
                True,
                2500,
            )
        add_intent(storage, "cid-1")
        assert Path(f"{path}-wal").exists(), "commits go to the write-ahead log"
    # WAL mode is persistent: the file header says so (bytes 18 and 19 are 2 for WAL).
    header = path.read_bytes()[:20]
    assert header[18:20] == b"\x02\x02"
    assert _sql(path, "PRAGMA journal_mode") == [("wal",)]


def test_models_match_the_migrated_schema(tmp_path: Path) -> None:
    """The hand-written DDL of the migrations and the peewee models must describe the same tables."""
    path = tmp_path / "bot.db"
    Storage.open(path).close()
    database = peewee.SqliteDatabase(str(path))
    try:
        for model in bind_models(database).all():
            table = model._meta.table_name
            columns = {column.name: column for column in database.get_columns(table)}
            fields = {field.column_name: field for field in model._meta.sorted_fields}
            assert set(columns) == set(fields), table
            for name, field in fields.items():
                assert columns[name].null == field.null or field.primary_key, f"{table}.{name} nullability"
    finally:
        database.close()


def _fake_v2(database: peewee.SqliteDatabase) -> None:
    database.execute_sql("ALTER TABLE trades ADD COLUMN note TEXT")
    database.execute_sql("UPDATE trades SET note = 'from v1: ' || correlation_id")
    database.execute_sql("CREATE TABLE funding_payments (id INTEGER PRIMARY KEY, amount REAL NOT NULL)")


V2 = Migration(version=2, name="trade notes and funding payments", apply=_fake_v2)


def test_v1_database_is_migrated_to_v2_and_keeps_its_data(db_path: Path) -> None:
    with Storage.open(db_path) as storage:
        storage.open_trade(
            correlation_id="c1", symbol="BTC/USDC:USDC", side="short", entry_time_ms=T0,
            entry_price=100.0, quantity=1.0, leverage=3,
        )  # fmt: skip
        assert storage.next_sequence("order") == 1

    with Storage.open(db_path, migrations=(*MIGRATIONS, V2)) as storage:
        assert storage.schema_version == 2
        trade = storage.trade_by_correlation_id("c1")
        assert trade is not None and trade.entry_price == 100.0
        assert storage.next_sequence("order") == 2

    assert _sql(db_path, "SELECT note FROM trades") == [("from v1: c1",)]
    assert _sql(db_path, "SELECT value FROM schema_meta WHERE key = 'schema_version'") == [("2",)]
    assert [row[0] for row in _sql(db_path, "SELECT version FROM schema_migrations ORDER BY version")] == [1, 2]
    backup = db_path.with_name("bot.schema-v1.backup.db")
    assert _sql(backup, "SELECT value FROM schema_meta WHERE key = 'schema_version'") == [("1",)]
    assert _sql(backup, "SELECT correlation_id FROM trades") == [("c1",)]

    # Opening again with v2 known does nothing more; the older bot now refuses the file.
    Storage.open(db_path, migrations=(*MIGRATIONS, V2)).close()
    with pytest.raises(SchemaVersionError) as excinfo:
        Storage.open(db_path)
    message = str(excinfo.value)
    assert str(db_path) in message and "schema version is 2" in message and "up to 1" in message


def test_failed_migration_leaves_the_previous_version_intact(db_path: Path) -> None:
    Storage.open(db_path).close()

    def broken(database: peewee.SqliteDatabase) -> None:
        database.execute_sql("CREATE TABLE half_done (id INTEGER PRIMARY KEY)")
        raise RuntimeError("bug in migration")

    with pytest.raises(RuntimeError, match="bug in migration"):
        Storage.open(db_path, migrations=(*MIGRATIONS, Migration(2, "broken", broken)))
    assert _sql(db_path, "SELECT name FROM sqlite_master WHERE name = 'half_done'") == []
    with Storage.open(db_path) as storage:
        assert storage.schema_version == 1


def test_migration_list_must_be_contiguous(db_path: Path) -> None:
    with pytest.raises(ValueError, match="without gaps"):
        Storage.open(db_path, migrations=(*MIGRATIONS, sql_migration(3, "skips 2", "SELECT 1")))
    assert not db_path.exists(), "nothing is created before the migration list is known to be sound"


def test_newer_schema_is_refused_naming_both_versions_and_the_file(db_path: Path) -> None:
    Storage.open(db_path).close()
    _sql(db_path, "UPDATE schema_meta SET value = '7' WHERE key = 'schema_version'")
    before = _digest(db_path)
    with pytest.raises(SchemaVersionError) as excinfo:
        Storage.open(db_path)
    message = str(excinfo.value)
    assert "newer version" in message and "schema version is 7" in message and "up to 1" in message
    assert str(db_path) in message and excinfo.value.path == db_path
    assert _digest(db_path) == before, "the newer database is left untouched"


def test_non_sqlite_file_is_refused_naming_the_file(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_text('{"this": "is a JSON file"}')
    with pytest.raises(DatabaseCorruptError) as excinfo:
        Storage.open(db_path)
    message = str(excinfo.value)
    assert str(db_path) in message and "not a SQLite database (its first bytes are b'{\"this\"" in message
    assert db_path.read_text() == '{"this": "is a JSON file"}'


def test_sqlite_header_with_garbage_is_refused(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    db_path.write_bytes(b"SQLite format 3\x00" + os.urandom(8192))
    with pytest.raises(DatabaseCorruptError, match=str(db_path)):
        Storage.open(db_path)


@pytest.mark.parametrize("damaged_page", [0, 5], ids=["schema-page", "data-page"])
def test_damaged_database_is_refused(db_path: Path, damaged_page: int) -> None:
    with Storage.open(db_path) as storage:
        for index in range(100):
            storage.record_event("filler", f"event {index} " + "x" * 400)
    data = bytearray(db_path.read_bytes())
    page_size = 4096
    start = 100 if damaged_page == 0 else damaged_page * page_size
    data[start : (damaged_page + 1) * page_size] = b"\xa5" * ((damaged_page + 1) * page_size - start)
    db_path.write_bytes(bytes(data))
    with pytest.raises(DatabaseCorruptError) as excinfo:
        Storage.open(db_path)
    assert str(db_path) in str(excinfo.value)


def test_foreign_sqlite_database_is_not_touched(db_path: Path) -> None:
    db_path.parent.mkdir(parents=True)
    _sql(db_path, "CREATE TABLE users (id INTEGER PRIMARY KEY, name TEXT)")
    with pytest.raises(SchemaVersionError, match="not a usdc-futures-bot database"):
        Storage.open(db_path)
    assert _sql(db_path, "SELECT name FROM sqlite_master WHERE type = 'table'") == [("users",)]


@pytest.mark.parametrize("path", [":memory:", ""])
def test_in_memory_database_is_refused(path: str) -> None:
    with pytest.raises(ValueError, match="file path is required"):
        Storage.open(path)
