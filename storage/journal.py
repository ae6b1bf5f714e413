"""Everything around the trades: signals, risk decisions, equity, events, runtime state, sequences.

Runtime state is a small key → JSON table for what must survive a restart (pause state, daily
counters...). It is not a place for credentials: the facade has no API for secrets, and keys that
look like one are refused so that a careless caller fails loudly instead of writing a key to disk.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import peewee as pw

from storage import _codec as codec
from storage._base import _StoreBase
from storage.records import (
    EquitySnapshot,
    EventLevel,
    EventRecord,
    JsonValue,
    RiskDecisionRecord,
    SignalRecord,
    TradeSide,
)

_SECRET_LIKE_KEY = re.compile(r"secret|api[_-]?key|password|passphrase|token|listen[_-]?key", re.IGNORECASE)


def _signal_record(row: Mapping[str, Any]) -> SignalRecord:
    return SignalRecord(
        id=row["id"],
        ts_ms=row["ts_ms"],
        correlation_id=row["correlation_id"],
        symbol=row["symbol"],
        side=TradeSide(row["side"]),
        strategy=row["strategy"],
        profile=row["profile"],
        price=row["price"],
        breakdown=codec.load_mapping(row["breakdown"]),
    )


def _risk_record(row: Mapping[str, Any]) -> RiskDecisionRecord:
    return RiskDecisionRecord(
        id=row["id"],
        ts_ms=row["ts_ms"],
        correlation_id=row["correlation_id"],
        symbol=row["symbol"],
        approved=bool(row["approved"]),
        reason=row["reason"],
        details=codec.load_mapping(row["details"]),
    )


def _equity_record(row: Mapping[str, Any]) -> EquitySnapshot:
    return EquitySnapshot(
        id=row["id"],
        ts_ms=row["ts_ms"],
        asset=row["asset"],
        wallet_balance=row["wallet_balance"],
        equity=row["equity"],
        available_balance=row["available_balance"],
        unrealized_pnl=row["unrealized_pnl"],
        margin_used=row["margin_used"],
    )


def _event_record(row: Mapping[str, Any]) -> EventRecord:
    return EventRecord(
        id=row["id"],
        ts_ms=row["ts_ms"],
        level=EventLevel(row["level"]),
        kind=row["kind"],
        symbol=row["symbol"],
        message=row["message"],
        correlation_id=row["correlation_id"],
        details=codec.load_mapping(row["details"]),
    )


def _sequence_name(name: str) -> str:
    return codec.text("sequence name", name)


class JournalStore(_StoreBase):
    """Signals, risk decisions, equity, events, state and sequences (mixed into ``Storage``)."""

    def record_signal(
        self,
        *,
        ts_ms: int,
        correlation_id: str,
        symbol: str,
        side: TradeSide | str,
        strategy: str,
        breakdown: Mapping[str, Any] | object,
        profile: str | None = None,
        price: codec.Number | None = None,
    ) -> SignalRecord:
        """Store an actionable strategy signal with its full breakdown; returns the stored record.

        ``breakdown`` is a mapping, a msgspec Struct (``SignalBreakdown``) or a dataclass. ``side``
        accepts ``long``/``short`` in any case (``StrategyDecision.direction`` is upper case).
        Idempotent per correlation id: a signal replayed after a restart is not stored twice, and
        the record stored first is returned.
        """
        model = self._models.signal
        values = {
            "ts_ms": codec.timestamp("ts_ms", ts_ms),
            "correlation_id": codec.text("correlation_id", correlation_id),
            "symbol": codec.text("symbol", symbol),
            "side": TradeSide(str(side).lower()).value,
            "strategy": codec.text("strategy", strategy),
            "profile": codec.optional_text("profile", profile),
            "price": codec.optional_finite("price", price),
            "breakdown": codec.dump_mapping(breakdown, "breakdown"),
            "created_ms": self._now(),
        }
        query = model.insert(**values).on_conflict(action="nothing", conflict_target=[model.correlation_id])
        with self._writing("record signal"):
            query.execute()
            row = model.select().where(model.correlation_id == correlation_id).dicts().get()
        return _signal_record(row)

    def signals(
        self, since_ms: int | None = None, until_ms: int | None = None, *, symbol: str | None = None
    ) -> tuple[SignalRecord, ...]:
        """Signals with ``ts_ms`` in ``[since_ms, until_ms)``, oldest first."""
        model = self._models.signal
        query = model.select()
        if since_ms is not None:
            query = query.where(model.ts_ms >= since_ms)
        if until_ms is not None:
            query = query.where(model.ts_ms < until_ms)
        if symbol is not None:
            query = query.where(model.symbol == symbol)
        with self._reading("read signals"):
            rows = list(query.order_by(model.ts_ms, model.id).dicts())
        return tuple(_signal_record(row) for row in rows)

    def record_risk_decision(
        self,
        *,
        ts_ms: int,
        correlation_id: str,
        symbol: str,
        approved: bool,
        reason: str,
        details: Mapping[str, Any] | object | None = None,
    ) -> RiskDecisionRecord:
        """Store why the risk guard approved or denied an entry."""
        model = self._models.risk_decision
        values = {
            "ts_ms": codec.timestamp("ts_ms", ts_ms),
            "correlation_id": codec.text("correlation_id", correlation_id),
            "symbol": codec.text("symbol", symbol),
            "approved": bool(approved),
            "reason": codec.text("reason", reason),
            "details": codec.dump_mapping(details, "details"),
            "created_ms": self._now(),
        }
        with self._writing("record risk decision"):
            row_id = model.insert(**values).execute()
            row = model.select().where(model.id == row_id).dicts().get()
        return _risk_record(row)

    def risk_decisions(
        self, since_ms: int | None = None, until_ms: int | None = None, *, correlation_id: str | None = None
    ) -> tuple[RiskDecisionRecord, ...]:
        """Risk decisions with ``ts_ms`` in ``[since_ms, until_ms)``, oldest first."""
        model = self._models.risk_decision
        query = model.select()
        if since_ms is not None:
            query = query.where(model.ts_ms >= since_ms)
        if until_ms is not None:
            query = query.where(model.ts_ms < until_ms)
        if correlation_id is not None:
            query = query.where(model.correlation_id == correlation_id)
        with self._reading("read risk decisions"):
            rows = list(query.order_by(model.ts_ms, model.id).dicts())
        return tuple(_risk_record(row) for row in rows)

    def snapshot_equity(
        self,
        *,
        ts_ms: int,
        wallet_balance: float,
        equity: float,
        available_balance: float,
        unrealized_pnl: float,
        margin_used: float,
        asset: str = "USDC",
    ) -> EquitySnapshot:
        """Store one point of the equity curve (``equity`` = wallet balance + unrealized PnL)."""
        model = self._models.equity_snapshot
        values = {
            "ts_ms": codec.timestamp("ts_ms", ts_ms),
            "asset": codec.text("asset", asset),
            "wallet_balance": codec.finite("wallet_balance", wallet_balance),
            "equity": codec.finite("equity", equity),
            "available_balance": codec.finite("available_balance", available_balance),
            "unrealized_pnl": codec.finite("unrealized_pnl", unrealized_pnl),
            "margin_used": codec.finite("margin_used", margin_used),
            "created_ms": self._now(),
        }
        with self._writing("snapshot equity"):
            row_id = model.insert(**values).execute()
            row = model.select().where(model.id == row_id).dicts().get()
        return _equity_record(row)

    def equity_curve(
        self, since_ms: int | None = None, until_ms: int | None = None, *, asset: str = "USDC"
    ) -> tuple[EquitySnapshot, ...]:
        """Equity snapshots with ``ts_ms`` in ``[since_ms, until_ms)``, oldest first."""
        model = self._models.equity_snapshot
        query = model.select().where(model.asset == asset)
        if since_ms is not None:
            query = query.where(model.ts_ms >= since_ms)
        if until_ms is not None:
            query = query.where(model.ts_ms < until_ms)
        with self._reading("read equity curve"):
            rows = list(query.order_by(model.ts_ms, model.id).dicts())
        return tuple(_equity_record(row) for row in rows)

    def record_event(
        self,
        kind: str,
        message: str,
        *,
        level: EventLevel | str = EventLevel.INFO,
        ts_ms: int | None = None,
        symbol: str | None = None,
        correlation_id: str | None = None,
        details: Mapping[str, Any] | object | None = None,
    ) -> EventRecord:
        """Store an important event (``kind`` is a short machine name such as ``"order_rejected"``).

        ``ts_ms`` defaults to the storage clock; an empty ``symbol``/``correlation_id`` (the
        ``Notify`` message's default) is stored as absent.
        """
        model = self._models.event
        event_level = EventLevel(level)
        values = {
            "ts_ms": self._now() if ts_ms is None else codec.timestamp("ts_ms", ts_ms),
            "level": event_level.value,
            "severity": event_level.severity,
            "kind": codec.text("kind", kind),
            "symbol": codec.optional_text("symbol", symbol),
            "message": str(message),
            "correlation_id": codec.optional_text("correlation_id", correlation_id),
            "details": codec.dump_mapping(details, "details"),
        }
        with self._writing("record event"):
            row_id = model.insert(**values).execute()
            row = model.select().where(model.id == row_id).dicts().get()
        return _event_record(row)

    def recent_events(self, n: int = 20, *, min_level: EventLevel | str | None = None) -> tuple[EventRecord, ...]:
        """The ``n`` newest events (at least ``min_level``), returned oldest first like a log."""
        if n <= 0:
            return ()
        model = self._models.event
        query = model.select()
        if min_level is not None:
            query = query.where(model.severity >= EventLevel(min_level).severity)
        with self._reading("read events"):
            rows = list(query.order_by(model.ts_ms.desc(), model.id.desc()).limit(n).dicts())
        return tuple(_event_record(row) for row in reversed(rows))

    def get_state(self, key: str, default: JsonValue = None) -> JsonValue:
        """The JSON value stored under ``key`` (read-only mappings/tuples), or ``default``."""
        model = self._models.runtime_state
        with self._reading("read runtime state"):
            row = model.select(model.value).where(model.key == key).tuples().first()
        return default if row is None else codec.load_json(row[0])

    def set_state(self, key: str, value: Any) -> None:
        """Store a JSON-serializable value under ``key`` (replacing any previous value)."""
        codec.text("state key", key)
        if _SECRET_LIKE_KEY.search(key):
            raise ValueError(f"runtime state key {key!r} looks like a credential; secrets are never stored")
        model = self._models.runtime_state
        encoded = codec.dump_json(value, f"state[{key!r}]")
        now = self._now()
        query = model.insert(key=key, value=encoded, updated_ms=now).on_conflict(
            conflict_target=[model.key], update={model.value: encoded, model.updated_ms: now}
        )
        with self._writing("write runtime state"):
            query.execute()

    def delete_state(self, key: str) -> bool:
        """Remove ``key``; ``False`` when it was not set."""
        model = self._models.runtime_state
        with self._writing("delete runtime state"):
            deleted = model.delete().where(model.key == key).execute()
        return deleted > 0

    def next_sequence(self, name: str) -> int:
        """The next value (1, 2, 3...) of the persisted sequence ``name``; never repeats, even across
        restarts and between threads. Client order ids are built from ``next_sequence("order")``."""
        model = self._models.sequence
        now = self._now()
        query = (
            model.insert(name=_sequence_name(name), value=1, updated_ms=now)
            .on_conflict(
                conflict_target=[model.name],
                update={model.value: model.value + 1, model.updated_ms: now},
            )
            .returning(model.value)
        )
        with self._writing("next sequence"):
            row = query.tuples().execute()[0]
        return int(row[0])

    def advance_sequence(self, name: str, at_least: int) -> int:
        """Make sure the sequence ``name`` has reached ``at_least``, so that the next value is above it.

        Reconciliation uses this when the exchange knows client order ids with a higher number than
        the database (a database restored from a backup). Returns the current value.
        """
        if isinstance(at_least, bool) or not isinstance(at_least, int) or at_least < 0:
            raise ValueError(f"at_least must be an int >= 0, got {at_least!r}")
        model = self._models.sequence
        now = self._now()
        query = (
            model.insert(name=_sequence_name(name), value=at_least, updated_ms=now)
            .on_conflict(
                conflict_target=[model.name],
                update={model.value: pw.fn.MAX(model.value, at_least), model.updated_ms: now},
            )
            .returning(model.value)
        )
        with self._writing("advance sequence"):
            row = query.tuples().execute()[0]
        return int(row[0])
