"""Strategy output: a decision with the breakdown of every component that led to it."""

from __future__ import annotations

from typing import Literal

from messages.base import Event, Message

Direction = Literal["LONG", "SHORT", "NONE"]
ComponentRole = Literal["trigger", "confirmation", "gate"]


class ComponentVote(Message, frozen=True, kw_only=True):
    """One indicator's say: its value, its vote (+1 long, -1 short, 0 none) and its role."""

    name: str
    role: ComponentRole
    value: float
    vote: int
    detail: str = ""


class SignalBreakdown(Message, frozen=True, kw_only=True):
    """Why the strategy decided what it did ("1+1 gating": a trigger plus independent confirmations)."""

    components: tuple[ComponentVote, ...]
    trigger: str | None
    confirmations: tuple[str, ...]
    atr_pct: float
    atr_gate_passed: bool
    reason: str


class StrategyDecision(Message, frozen=True, kw_only=True):
    """ScalpingV1's verdict on one closed candle, with suggested protective prices (None when NONE)."""

    direction: Direction
    candle_open_time: int
    close: float
    atr: float
    stop_price: float | None
    take_profit_prices: tuple[float, ...]
    breakdown: SignalBreakdown


class SignalGenerated(Event, frozen=True, kw_only=True):
    """A SymbolActor evaluated a closed candle. Sent for every candle (also NONE) so that the RiskActor
    sees the latest price of every symbol and can decide the entries of one candle time together."""

    correlation_id: str
    symbol: str
    timeframe: str
    candle_close_time: int
    decision: StrategyDecision
