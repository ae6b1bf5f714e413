"""peewee models of the current schema, bound to one database.

The models are built by :func:`bind_models` for each opened database instead of being bound globally
(``database.bind(...)``): two ``Storage`` objects in one process (tests, a backtest next to a live
run) must never redirect each other's queries. The schema itself is created by the migrations;
these models only describe it for queries, and a test checks that both agree.

Models stay inside ``storage``: the facade turns rows into frozen records before returning.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import peewee as pw

__all__ = ["Models", "bind_models"]

ModelClass = type[Any]  # a peewee.Model subclass; its fields are dynamic attributes


@dataclass(frozen=True, slots=True)
class Models:
    trade: ModelClass
    order: ModelClass
    fill: ModelClass
    signal: ModelClass
    risk_decision: ModelClass
    equity_snapshot: ModelClass
    runtime_state: ModelClass
    sequence: ModelClass
    event: ModelClass

    def all(self) -> tuple[ModelClass, ...]:
        return (
            self.trade,
            self.order,
            self.fill,
            self.signal,
            self.risk_decision,
            self.equity_snapshot,
            self.runtime_state,
            self.sequence,
            self.event,
        )


def bind_models(db: pw.SqliteDatabase) -> Models:
    """Define the model classes bound to ``db``."""

    class _Base(pw.Model):
        class Meta:
            database = db
            legacy_table_names = False

    class Trade(_Base):
        id = pw.AutoField()
        correlation_id = pw.TextField(unique=True)
        symbol = pw.TextField()
        side = pw.TextField()
        status = pw.TextField()
        entry_time_ms = pw.IntegerField()
        entry_price = pw.FloatField()
        quantity = pw.FloatField()
        leverage = pw.IntegerField()
        exit_time_ms = pw.IntegerField(null=True)
        exit_price = pw.FloatField(null=True)
        fees = pw.FloatField(default=0.0)
        funding = pw.FloatField(default=0.0)
        realized_pnl = pw.FloatField(null=True)
        exit_reason = pw.TextField(null=True)
        profile = pw.TextField(null=True)
        stop_price = pw.FloatField(null=True)
        take_profits = pw.TextField(default="[]")
        origin = pw.TextField(default="bot")
        created_ms = pw.IntegerField()
        updated_ms = pw.IntegerField()

        class Meta:
            table_name = "trades"

    class Order(_Base):
        id = pw.AutoField()
        client_order_id = pw.TextField(unique=True)
        exchange_order_id = pw.TextField(null=True)
        is_algo = pw.BooleanField(default=False)
        symbol = pw.TextField()
        trade = pw.ForeignKeyField(Trade, null=True, column_name="trade_id", on_delete="RESTRICT")
        correlation_id = pw.TextField(null=True)
        kind = pw.TextField()
        order_type = pw.TextField()
        side = pw.TextField()
        price = pw.FloatField(null=True)
        trigger_price = pw.FloatField(null=True)
        quantity = pw.FloatField(null=True)
        reduce_only = pw.BooleanField(default=False)
        close_position = pw.BooleanField(default=False)
        status = pw.TextField()
        filled_qty = pw.FloatField(default=0.0)
        avg_price = pw.FloatField(null=True)
        reject_code = pw.IntegerField(null=True)
        reject_reason = pw.TextField(null=True)
        created_ms = pw.IntegerField()
        updated_ms = pw.IntegerField()

        class Meta:
            table_name = "orders"

    class Fill(_Base):
        id = pw.AutoField()
        exchange_trade_id = pw.TextField()
        symbol = pw.TextField()
        correlation_id = pw.TextField(null=True)
        client_order_id = pw.TextField(null=True)
        exchange_order_id = pw.TextField(null=True)
        side = pw.TextField()
        price = pw.FloatField()
        qty = pw.FloatField()
        fee = pw.FloatField()
        fee_asset = pw.TextField()
        realized_pnl = pw.FloatField(default=0.0)
        is_maker = pw.BooleanField(default=False)
        ts_ms = pw.IntegerField()
        created_ms = pw.IntegerField()

        class Meta:
            table_name = "fills"
            indexes = ((("symbol", "exchange_trade_id"), True),)

    class Signal(_Base):
        id = pw.AutoField()
        ts_ms = pw.IntegerField()
        correlation_id = pw.TextField(unique=True)
        symbol = pw.TextField()
        side = pw.TextField()
        strategy = pw.TextField()
        profile = pw.TextField(null=True)
        price = pw.FloatField(null=True)
        breakdown = pw.TextField(default="{}")
        created_ms = pw.IntegerField()

        class Meta:
            table_name = "signals"

    class RiskDecision(_Base):
        id = pw.AutoField()
        ts_ms = pw.IntegerField()
        correlation_id = pw.TextField()
        symbol = pw.TextField()
        approved = pw.BooleanField()
        reason = pw.TextField()
        details = pw.TextField(default="{}")
        created_ms = pw.IntegerField()

        class Meta:
            table_name = "risk_decisions"

    class EquitySnapshot(_Base):
        id = pw.AutoField()
        ts_ms = pw.IntegerField()
        asset = pw.TextField()
        wallet_balance = pw.FloatField()
        equity = pw.FloatField()
        available_balance = pw.FloatField()
        unrealized_pnl = pw.FloatField()
        margin_used = pw.FloatField()
        created_ms = pw.IntegerField()

        class Meta:
            table_name = "equity_snapshots"

    class RuntimeState(_Base):
        key = pw.TextField(primary_key=True)
        value = pw.TextField()
        updated_ms = pw.IntegerField()

        class Meta:
            table_name = "runtime_state"

    class Sequence(_Base):
        name = pw.TextField(primary_key=True)
        value = pw.IntegerField()
        updated_ms = pw.IntegerField()

        class Meta:
            table_name = "sequences"

    class Event(_Base):
        id = pw.AutoField()
        ts_ms = pw.IntegerField()
        level = pw.TextField()
        severity = pw.IntegerField()
        kind = pw.TextField()
        symbol = pw.TextField(null=True)
        message = pw.TextField()
        correlation_id = pw.TextField(null=True)
        details = pw.TextField(default="{}")

        class Meta:
            table_name = "events"

    return Models(
        trade=Trade,
        order=Order,
        fill=Fill,
        signal=Signal,
        risk_decision=RiskDecision,
        equity_snapshot=EquitySnapshot,
        runtime_state=RuntimeState,
        sequence=Sequence,
        event=Event,
    )
