"""Fixtures for the storage tests: a fresh database per test, a controllable clock, defaulted stubs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from storage import OrderRecord, Storage, TradeRecord

SYMBOL = "BTC/USDC:USDC"
T0 = 1_746_403_200_000  # 2025-05-05 00:00:00 UTC


class FakeClock:
    """An injected clock in ms; tests move it explicitly."""

    def __init__(self, now_ms: int = T0) -> None:
        self.now_ms = now_ms

    def __call__(self) -> int:
        return self.now_ms

    def advance(self, ms: int) -> int:
        self.now_ms += ms
        return self.now_ms


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "data" / "bot.db"


@pytest.fixture
def storage(db_path: Path, clock: FakeClock) -> Iterator[Storage]:
    opened = Storage.open(db_path, clock=clock)
    try:
        yield opened
    finally:
        opened.close()


def add_intent(storage: Storage, client_order_id: str, **overrides: Any) -> OrderRecord:
    """Record an order intent with sensible defaults (a market entry on BTC)."""
    values: dict[str, Any] = {
        "client_order_id": client_order_id,
        "symbol": SYMBOL,
        "kind": "entry",
        "order_type": "MARKET",
        "side": "BUY",
        "quantity": 0.01,
        "correlation_id": "corr-1",
    }
    values.update(overrides)
    return storage.record_order_intent(**values)


def add_closed_trade(
    storage: Storage,
    correlation_id: str,
    *,
    pnl: float,
    entry_ms: int,
    exit_ms: int,
    reason: str = "take_profit_1",
    symbol: str = SYMBOL,
    fees: float = 0.0,
    funding: float | None = None,
) -> TradeRecord:
    """Open and close a trade in one go, for report tests."""
    storage.open_trade(
        correlation_id=correlation_id,
        symbol=symbol,
        side="long",
        entry_time_ms=entry_ms,
        entry_price=100.0,
        quantity=1.0,
        leverage=3,
    )
    return storage.close_trade(
        correlation_id,
        exit_time_ms=exit_ms,
        exit_price=100.0 + pnl,
        reason=reason,
        realized_pnl=pnl,
        fees=fees,
        funding=funding,
    )
