"""Crash-safe persistence of the bot's history in SQLite (peewee, WAL mode).

Actors use one shared :class:`Storage`; it returns frozen records and raises :class:`StorageError`
subclasses that name the file and the operation. Everything else in this package is private.

    storage = Storage.open(settings.storage.database_path, clock=clock.now_ms)
    client_id = make_client_order_id(bot_id, symbol, "entry", storage.next_sequence("order"))
    storage.record_order_intent(client_order_id=client_id, ...)  # committed before the order is sent

Units: timestamps are int milliseconds UTC; prices, quantities and money are floats (SQLite REAL).
No secrets are ever stored.
"""

from storage.db import DEFAULT_DATABASE_NAME, default_database_path
from storage.errors import (
    DatabaseCorruptError,
    DatabaseLockedError,
    DiskFullError,
    DuplicateRecordError,
    RecordNotFoundError,
    SchemaVersionError,
    StateConflictError,
    StorageClosedError,
    StorageError,
)
from storage.facade import Storage
from storage.migrations import MIGRATIONS, Migration, sql_migration
from storage.records import (
    EquitySnapshot,
    EventLevel,
    EventRecord,
    ExitReason,
    FillRecord,
    OrderKind,
    OrderRecord,
    OrderSide,
    OrderStatus,
    OrderType,
    RiskDecisionRecord,
    SignalRecord,
    StorageInfo,
    TakeProfitLevel,
    TradeOrigin,
    TradeRecord,
    TradeSide,
    TradeStatus,
    take_profit_reason,
    validate_exit_reason,
)
from storage.reports import Performance, PnlBucket, Summary, analyze_performance, summarize

__all__ = [
    "DEFAULT_DATABASE_NAME",
    "MIGRATIONS",
    "DatabaseCorruptError",
    "DatabaseLockedError",
    "DiskFullError",
    "DuplicateRecordError",
    "EquitySnapshot",
    "EventLevel",
    "EventRecord",
    "ExitReason",
    "FillRecord",
    "Migration",
    "OrderKind",
    "OrderRecord",
    "OrderSide",
    "OrderStatus",
    "OrderType",
    "Performance",
    "PnlBucket",
    "RecordNotFoundError",
    "RiskDecisionRecord",
    "SchemaVersionError",
    "SignalRecord",
    "StateConflictError",
    "Storage",
    "StorageClosedError",
    "StorageError",
    "StorageInfo",
    "Summary",
    "TakeProfitLevel",
    "TradeOrigin",
    "TradeRecord",
    "TradeSide",
    "TradeStatus",
    "analyze_performance",
    "default_database_path",
    "sql_migration",
    "summarize",
    "take_profit_reason",
    "validate_exit_reason",
]
