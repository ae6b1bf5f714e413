"""Control-plane messages between supervisors, the Scanner, the MarketFeed and the SymbolActors."""

from __future__ import annotations

from messages.base import Command, Event
from messages.market import Candle


class AddSymbols(Command, frozen=True, kw_only=True):
    """Scanner → SymbolSupervisor: start an actor for each of these symbols (if not running)."""

    symbols: tuple[str, ...]


class RemoveSymbols(Command, frozen=True, kw_only=True):
    """Scanner → SymbolSupervisor: stop these symbols' actors (only when they hold nothing)."""

    symbols: tuple[str, ...]


class SymbolReady(Event, frozen=True, kw_only=True):
    """SymbolActor → MarketFeed: warmed up through ``last_open_time``; deliver candles after it."""

    symbol: str
    last_open_time: int | None


class SymbolRemoved(Event, frozen=True, kw_only=True):
    """SymbolSupervisor → MarketFeed/RiskActor: the symbol is no longer traded."""

    symbol: str


class ActiveSymbolsChanged(Event, frozen=True, kw_only=True):
    """SymbolSupervisor → RiskActor: the symbols whose signals a candle batch waits for."""

    symbols: tuple[str, ...]


class RestartChild(Command, frozen=True, kw_only=True):
    """A supervisor's own timer: the backoff of ``name`` is over, start it again."""

    name: str


class RawFrame(Event, frozen=True, kw_only=True):
    """A WebSocket reader thread → its actor: one text frame and when it arrived (monotonic ms)."""

    connection: int
    text: str
    received_mono_ms: int


class ConnectionChanged(Event, frozen=True, kw_only=True):
    """A WebSocket reader thread → its actor: connected or lost, and why."""

    connection: int
    connected: bool
    reason: str


class CandlesWarmedUp(Event, frozen=True, kw_only=True):
    """The warm-up history of one symbol, read by REST."""

    symbol: str
    candles: tuple[Candle, ...]


class ExchangeHealthChanged(Event, frozen=True, kw_only=True):
    """ExchangeActor → RiskActor: calls keep failing (no entries) or work again."""

    healthy: bool
    reason: str


class UserStreamState(Event, frozen=True, kw_only=True):
    """UserStream → OrderActor: the private stream is (dis)connected; reconcile by REST meanwhile."""

    connected: bool


class ReconciliationDone(Event, frozen=True, kw_only=True):
    """OrderActor → RiskActor: start-up (or restart) reconciliation finished; entries may begin."""

    ok: bool
    detail: str
    wallet_balance: float


class ResendReady(Command, frozen=True, kw_only=True):
    """A restarted MarketFeed asks every SymbolActor to announce itself again (SymbolReady)."""


class AnnouncePositions(Command, frozen=True, kw_only=True):
    """A restarted RiskActor asks the OrderActor to send PositionOpened for every open position."""
