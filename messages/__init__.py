"""Immutable messages, the only thing actors exchange. One module per family."""

from messages.base import Command, Event, Message, OrderSide, Side, entry_order_side, exit_order_side
from messages.control import CloseSymbol, EmergencyClose, PauseTrading, ResumeTrading, Shutdown, SwitchProfile
from messages.market import Candle, CandleClosed, FeedRecovered, FeedStale, MarkPriceUpdated
from messages.notifications import Notify
from messages.orders import (
    AccountUpdate,
    AlgoUpdate,
    BalanceChange,
    ClosePosition,
    EmergencyCloseCompleted,
    ExitReason,
    OrderKind,
    OrderRejected,
    OrderUpdate,
    PositionChange,
    PositionClosed,
    PositionOpened,
    PositionReduced,
)
from messages.risk import DailyLossLimitHit, EntryApproved, EntryDenied, RiskStatus, TradingPaused, TradingResumed
from messages.signals import ComponentVote, Direction, SignalBreakdown, SignalGenerated, StrategyDecision
from messages.supervision import ChildFailed, ChildRestarted, SharedActorGaveUp, SymbolQuarantined

__all__ = [
    "AccountUpdate",
    "AlgoUpdate",
    "BalanceChange",
    "Candle",
    "CandleClosed",
    "ChildFailed",
    "ChildRestarted",
    "ClosePosition",
    "CloseSymbol",
    "Command",
    "ComponentVote",
    "DailyLossLimitHit",
    "Direction",
    "EmergencyClose",
    "EmergencyCloseCompleted",
    "EntryApproved",
    "EntryDenied",
    "Event",
    "ExitReason",
    "FeedRecovered",
    "FeedStale",
    "MarkPriceUpdated",
    "Message",
    "Notify",
    "OrderKind",
    "OrderRejected",
    "OrderSide",
    "OrderUpdate",
    "PauseTrading",
    "PositionChange",
    "PositionClosed",
    "PositionOpened",
    "PositionReduced",
    "ResumeTrading",
    "RiskStatus",
    "SharedActorGaveUp",
    "Shutdown",
    "Side",
    "SignalBreakdown",
    "SignalGenerated",
    "StrategyDecision",
    "SwitchProfile",
    "SymbolQuarantined",
    "TradingPaused",
    "TradingResumed",
    "entry_order_side",
    "exit_order_side",
]
