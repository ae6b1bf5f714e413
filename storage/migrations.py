"""Schema versions and forward migrations, applied in order when a database is opened.

Rules that keep old databases readable for years:

- Two framework tables, ``schema_meta`` (key/value: application name, schema version) and
  ``schema_migrations`` (history), never change shape. Any version of the bot can therefore read the
  version of any database and refuse, with a clear message, one written by a newer bot.
- Each migration runs in its own ``BEGIN IMMEDIATE`` transaction together with the version bump
  (SQLite DDL is transactional), so a crash mid-migration leaves the previous version intact.
- A migration is never edited once released: version 1 is hand-written DDL, not ``create_tables()``
  of the current models, so adding a column later cannot silently change what "version 1" means.
  ``tests/storage`` checks that the models match the migrated schema.
- CHECK constraints only guard vocabularies that cannot grow (long/short, open/closed, BUY/SELL):
  changing a CHECK in SQLite needs a table rebuild, so growing vocabularies (order status, exit
  reason, event level) are validated in Python instead.
- A table rebuild (the 12-step procedure of https://sqlite.org/lang_altertable.html) must switch
  ``PRAGMA foreign_keys`` off *outside* the transaction: write such a step as its own function.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import peewee

from storage.errors import SchemaVersionError

__all__ = ["APPLICATION", "MIGRATIONS", "Migration", "check_migrations", "migrate", "sql_migration"]

APPLICATION = "usdc-futures-bot"

_FRAMEWORK_TABLES = (
    "CREATE TABLE IF NOT EXISTS schema_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    "CREATE TABLE IF NOT EXISTS schema_migrations ("
    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_ms INTEGER NOT NULL)",
)


@dataclass(frozen=True, slots=True)
class Migration:
    """Step from ``version - 1`` to ``version``; ``apply`` runs inside the migration's transaction."""

    version: int
    name: str
    apply: Callable[[peewee.SqliteDatabase], None]


def sql_migration(version: int, name: str, *statements: str) -> Migration:
    """A migration made of plain SQL statements, executed one by one (never ``executescript``,
    which would commit the surrounding transaction)."""

    def apply(database: peewee.SqliteDatabase) -> None:
        for statement in statements:
            database.execute_sql(statement)

    return Migration(version=version, name=name, apply=apply)


_V1_STATEMENTS = (
    """CREATE TABLE trades (
        id INTEGER PRIMARY KEY,
        correlation_id TEXT NOT NULL UNIQUE,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('long', 'short')),
        status TEXT NOT NULL CHECK (status IN ('open', 'closed')),
        entry_time_ms INTEGER NOT NULL,
        entry_price REAL NOT NULL,
        quantity REAL NOT NULL,
        leverage INTEGER NOT NULL,
        exit_time_ms INTEGER,
        exit_price REAL,
        fees REAL NOT NULL DEFAULT 0,
        funding REAL NOT NULL DEFAULT 0,
        realized_pnl REAL,
        exit_reason TEXT,
        profile TEXT,
        stop_price REAL,
        take_profits TEXT NOT NULL DEFAULT '[]',
        origin TEXT NOT NULL DEFAULT 'bot' CHECK (origin IN ('bot', 'adopted')),
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL,
        CHECK (status = 'open' OR (exit_time_ms IS NOT NULL AND exit_price IS NOT NULL
                                   AND realized_pnl IS NOT NULL AND exit_reason IS NOT NULL))
    )""",
    # One-way position mode: at most one open position per symbol. Reconciliation must close a stale
    # trade (reason 'external') before adopting what the exchange reports.
    "CREATE UNIQUE INDEX trades_one_open_per_symbol ON trades (symbol) WHERE status = 'open'",
    "CREATE INDEX trades_entry_time ON trades (entry_time_ms)",
    "CREATE INDEX trades_exit_time ON trades (exit_time_ms)",
    """CREATE TABLE orders (
        id INTEGER PRIMARY KEY,
        client_order_id TEXT NOT NULL UNIQUE,
        exchange_order_id TEXT,
        is_algo INTEGER NOT NULL DEFAULT 0 CHECK (is_algo IN (0, 1)),
        symbol TEXT NOT NULL,
        trade_id INTEGER REFERENCES trades (id) ON DELETE RESTRICT,
        correlation_id TEXT,
        kind TEXT NOT NULL,
        order_type TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
        price REAL,
        trigger_price REAL,
        quantity REAL,
        reduce_only INTEGER NOT NULL DEFAULT 0 CHECK (reduce_only IN (0, 1)),
        close_position INTEGER NOT NULL DEFAULT 0 CHECK (close_position IN (0, 1)),
        status TEXT NOT NULL,
        filled_qty REAL NOT NULL DEFAULT 0,
        avg_price REAL,
        reject_code INTEGER,
        reject_reason TEXT,
        created_ms INTEGER NOT NULL,
        updated_ms INTEGER NOT NULL
    )""",
    # Order ids and algo ids are separate id spaces (and unique per symbol only).
    "CREATE UNIQUE INDEX orders_exchange_id ON orders (symbol, is_algo, exchange_order_id)"
    " WHERE exchange_order_id IS NOT NULL",
    "CREATE INDEX orders_trade ON orders (trade_id)",
    "CREATE INDEX orders_correlation ON orders (correlation_id)",
    "CREATE INDEX orders_status ON orders (status)",
    """CREATE TABLE fills (
        id INTEGER PRIMARY KEY,
        exchange_trade_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        correlation_id TEXT,
        client_order_id TEXT,
        exchange_order_id TEXT,
        side TEXT NOT NULL CHECK (side IN ('BUY', 'SELL')),
        price REAL NOT NULL,
        qty REAL NOT NULL,
        fee REAL NOT NULL,
        fee_asset TEXT NOT NULL,
        realized_pnl REAL NOT NULL DEFAULT 0,
        is_maker INTEGER NOT NULL DEFAULT 0 CHECK (is_maker IN (0, 1)),
        ts_ms INTEGER NOT NULL,
        created_ms INTEGER NOT NULL,
        UNIQUE (symbol, exchange_trade_id)
    )""",
    "CREATE INDEX fills_correlation ON fills (correlation_id)",
    "CREATE INDEX fills_client_order ON fills (client_order_id)",
    "CREATE INDEX fills_exchange_order ON fills (symbol, exchange_order_id)",
    "CREATE INDEX fills_ts ON fills (ts_ms)",
    """CREATE TABLE signals (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        correlation_id TEXT NOT NULL UNIQUE,
        symbol TEXT NOT NULL,
        side TEXT NOT NULL CHECK (side IN ('long', 'short')),
        strategy TEXT NOT NULL,
        profile TEXT,
        price REAL,
        breakdown TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL
    )""",
    "CREATE INDEX signals_ts ON signals (ts_ms)",
    """CREATE TABLE risk_decisions (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        correlation_id TEXT NOT NULL,
        symbol TEXT NOT NULL,
        approved INTEGER NOT NULL CHECK (approved IN (0, 1)),
        reason TEXT NOT NULL,
        details TEXT NOT NULL DEFAULT '{}',
        created_ms INTEGER NOT NULL
    )""",
    "CREATE INDEX risk_decisions_ts ON risk_decisions (ts_ms)",
    "CREATE INDEX risk_decisions_correlation ON risk_decisions (correlation_id)",
    """CREATE TABLE equity_snapshots (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        asset TEXT NOT NULL,
        wallet_balance REAL NOT NULL,
        equity REAL NOT NULL,
        available_balance REAL NOT NULL,
        unrealized_pnl REAL NOT NULL,
        margin_used REAL NOT NULL,
        created_ms INTEGER NOT NULL
    )""",
    "CREATE INDEX equity_snapshots_ts ON equity_snapshots (ts_ms)",
    """CREATE TABLE runtime_state (
        key TEXT PRIMARY KEY,
        value TEXT NOT NULL,
        updated_ms INTEGER NOT NULL
    )""",
    """CREATE TABLE sequences (
        name TEXT PRIMARY KEY,
        value INTEGER NOT NULL CHECK (value >= 0),
        updated_ms INTEGER NOT NULL
    )""",
    """CREATE TABLE events (
        id INTEGER PRIMARY KEY,
        ts_ms INTEGER NOT NULL,
        level TEXT NOT NULL,
        severity INTEGER NOT NULL,
        kind TEXT NOT NULL,
        symbol TEXT,
        message TEXT NOT NULL,
        correlation_id TEXT,
        details TEXT NOT NULL DEFAULT '{}'
    )""",
    "CREATE INDEX events_ts ON events (ts_ms)",
    "CREATE INDEX events_severity_ts ON events (severity, ts_ms)",
)

MIGRATIONS: tuple[Migration, ...] = (sql_migration(1, "initial schema", *_V1_STATEMENTS),)
"""Every released schema step, in order. Append new steps; never edit or remove a released one."""


def check_migrations(migrations: Sequence[Migration]) -> None:
    for expected, migration in enumerate(migrations, start=1):
        if migration.version != expected:
            found = [m.version for m in migrations]
            raise ValueError(f"migrations must be numbered 1, 2, 3... without gaps; got versions {found}")


def _user_tables(database: peewee.SqliteDatabase) -> list[str]:
    cursor = database.execute_sql(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    )
    return [row[0] for row in cursor.fetchall()]


def _read_version(database: peewee.SqliteDatabase, path: Path) -> int:
    """The database's schema version; 0 for an empty database. Refuses foreign and broken files."""
    tables = _user_tables(database)
    if "schema_meta" not in tables:
        if tables:
            shown = ", ".join(tables[:8]) + (", ..." if len(tables) > 8 else "")
            raise SchemaVersionError(
                f"{path} is a SQLite database but not a {APPLICATION} database (it has tables {shown} "
                "and no schema_meta table); refusing to modify it. Point the bot at another data file.",
                path=path,
                operation="open database",
            )
        return 0
    rows = dict(database.execute_sql("SELECT key, value FROM schema_meta").fetchall())
    application = rows.get("application")
    version = rows.get("schema_version")
    if application != APPLICATION or version is None or not str(version).isdigit():
        raise SchemaVersionError(
            f"{path} has an unreadable schema_meta table (application={application!r}, "
            f"schema_version={version!r}); refusing to modify it.",
            path=path,
            operation="open database",
        )
    return int(version)


def _backup(database: peewee.SqliteDatabase, path: Path, version: int) -> Path:
    """Copy the database (consistent snapshot via SQLite's backup API) before changing its schema."""
    import sqlite3

    target_path = path.with_name(f"{path.stem}.schema-v{version}.backup{path.suffix}")
    target = sqlite3.connect(target_path)
    try:
        database.connection().backup(target)
    finally:
        target.close()
    return target_path


def migrate(
    database: peewee.SqliteDatabase,
    path: Path,
    migrations: Sequence[Migration],
    now_ms: Callable[[], int],
) -> int:
    """Bring the database to the newest version in ``migrations``; return that version.

    Raises :class:`SchemaVersionError` when the file was written by a newer version of the bot
    (its schema version is above the newest known one): the file is left untouched.
    """
    check_migrations(migrations)
    latest = len(migrations)
    current = _read_version(database, path)
    if current > latest:
        raise SchemaVersionError(
            f"{path} was written by a newer version of {APPLICATION}: its schema version is {current}, "
            f"this version supports schema versions up to {latest}. Upgrade the bot, or point it at "
            "another data file; the file was not modified.",
            path=path,
            operation="open database",
        )
    if 0 < current < latest:
        _backup(database, path, current)
    for migration in migrations[current:]:
        with database.atomic("IMMEDIATE"):
            found = _read_version(database, path)  # another process may have migrated meanwhile
            if found >= migration.version:
                continue
            if found == 0:
                for statement in _FRAMEWORK_TABLES:
                    database.execute_sql(statement)
                database.execute_sql("INSERT INTO schema_meta (key, value) VALUES ('application', ?)", (APPLICATION,))
            migration.apply(database)
            database.execute_sql(
                "INSERT INTO schema_meta (key, value) VALUES ('schema_version', ?)"
                " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (str(migration.version),),
            )
            database.execute_sql(
                "INSERT INTO schema_migrations (version, name, applied_ms) VALUES (?, ?, ?)",
                (migration.version, migration.name, now_ms()),
            )
    return latest
