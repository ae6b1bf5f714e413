"""What a backtest records while it runs: signals, risk decisions, trades, the equity path.

Plain tuples and small frozen records: the report, the CSV and the no-look-ahead test read them, and two
runs on the same inputs must produce equal ledgers (no wall-clock time, no ids from a random source).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from messages.orders import PositionClosed, PositionOpened

END_OF_DATA = "end_of_data"


@dataclass(frozen=True, slots=True)
class TradeRecord:
    """One closed position, in the trades.csv order of columns."""

    symbol: str
    side: str
    entry_time: int
    entry_price: float
    exit_time: int
    exit_price: float
    quantity: float
    fees: float
    funding: float
    gross_pnl: float
    pnl: float
    exit_reason: str
    leverage: int
    correlation_id: str
    signal: str = ""

    @property
    def hold_minutes(self) -> float:
        return (self.exit_time - self.entry_time) / 60_000


@dataclass(frozen=True, slots=True)
class SignalRecord:
    time: int
    symbol: str
    direction: str


@dataclass(frozen=True, slots=True)
class DecisionRecord:
    """A RiskCore verdict: ``outcome`` is "approved" or the denial code."""

    time: int
    symbol: str
    side: str
    outcome: str
    leverage: int = 0


@dataclass
class Ledger:
    signals: list[SignalRecord] = field(default_factory=list)
    decisions: list[DecisionRecord] = field(default_factory=list)
    trades: list[TradeRecord] = field(default_factory=list)
    entry_failures: list[tuple[int, str, str]] = field(default_factory=list)  # (time, symbol, reason)
    risk_events: list[tuple[int, str]] = field(default_factory=list)  # pauses, resumes, daily limit
    equity: list[tuple[int, float]] = field(default_factory=list)  # (time, wallet + unrealized at the close)
    opened: dict[str, PositionOpened] = field(default_factory=dict)
    ended_by_backtest: set[str] = field(default_factory=set)  # correlation ids closed at the end of the window
    explained: dict[str, str] = field(default_factory=dict)  # correlation id → the entry signal's reason

    def on_closed(self, closed: PositionClosed) -> None:
        opened = self.opened.pop(closed.correlation_id, None)
        reason = END_OF_DATA if closed.correlation_id in self.ended_by_backtest else closed.exit_reason
        self.trades.append(TradeRecord(
            symbol=closed.symbol, side=closed.side, entry_time=closed.entry_time, entry_price=closed.entry_price,
            exit_time=closed.ts_event, exit_price=closed.exit_price, quantity=closed.quantity, fees=closed.fees,
            funding=closed.funding, gross_pnl=closed.realized_pnl + closed.fees - closed.funding,
            pnl=closed.realized_pnl, exit_reason=reason, leverage=opened.leverage if opened else 0,
            correlation_id=closed.correlation_id, signal=self.explained.get(closed.correlation_id, "")))
