"""RiskGuard: every entry is approved or denied here, with a reason. Pure and synchronous.

Rules: a stop-loss streak pauses entries for a while; the daily loss limit (realized + unrealized PnL
against the UTC day's starting equity) stops entries until the next UTC day; at most N concurrent
positions, one per symbol, a cooldown per symbol after an exit; max hold closes a position; no entry
on a stale feed, an unhealthy exchange, a quarantined symbol, while paused, or before reconciliation.

Signals of one candle time are decided together, in symbol order, after that candle's timeouts: the
live RiskActor and the backtest then take the same decisions whatever order the symbols report in.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from config.sections import OrderSettings, RiskSettings
from core.clock import DAY_MS, Clock, utc_day_start
from core.leverage import LeverageManager
from messages.base import Side
from messages.orders import AccountUpdate, ClosePosition, EntryFailed, PositionClosed, PositionOpened
from messages.risk import DailyLossLimitHit, EntryApproved, EntryDenied, RiskStatus, TradingPaused, TradingResumed
from messages.signals import SignalGenerated

STOP_LOSS_REASONS = frozenset({"stop_loss"})


@dataclass
class PositionView:
    """What RiskGuard needs to know about an open position."""

    side: Side
    quantity: float
    entry_price: float
    entry_time: int
    correlation_id: str
    leverage: int
    closing: bool = False


@dataclass
class RiskCore:
    """RiskGuard's state and decisions. ``handle`` returns the messages to send on."""

    risk: RiskSettings
    orders: OrderSettings
    clock: Clock
    leverage: LeverageManager
    starting_balance: float = 0.0
    batch_wait_ms: int = 1500
    max_signal_age_ms: int = 60_000
    # The exchange's highest leverage for a symbol (its brackets): live ``MarketCatalog.max_leverage``,
    # the backtest the engine's bracket table. None: no cap known beyond the profile's bounds.
    max_leverage_for: Callable[[str], int | None] | None = None
    wallet_balance: float = field(init=False)
    positions: dict[str, PositionView] = field(default_factory=dict)
    pending: dict[str, str] = field(default_factory=dict)  # symbol → correlation id approved, not yet open
    pending_margin: dict[str, float] = field(default_factory=dict)
    last_price: dict[str, float] = field(default_factory=dict)
    cooldown_until: dict[str, int] = field(default_factory=dict)
    stale: set[str] = field(default_factory=set)
    quarantined: set[str] = field(default_factory=set)
    active_symbols: frozenset[str] = frozenset()
    exchange_healthy: bool = True
    reconciled: bool = False
    manual_pause: str | None = None
    streak: int = 0
    streak_pause_until: int | None = None
    daily_limit_day: int | None = None
    day_start: int | None = None
    day_start_equity: float = 0.0
    _batch_time: int | None = None
    _batch: dict[str, SignalGenerated] = field(default_factory=dict)
    _batch_opened_at: int = 0

    def __post_init__(self) -> None:
        self.wallet_balance = self.starting_balance

    # ----------------------------------------------------------------- inputs
    def handle(self, message: object) -> list[object]:
        if isinstance(message, SignalGenerated):
            return self._on_signal(message)
        if isinstance(message, PositionOpened):
            self.pending.pop(message.symbol, None)
            self.pending_margin.pop(message.symbol, None)
            self.positions[message.symbol] = PositionView(
                side=message.side, quantity=message.quantity, entry_price=message.entry_price,
                entry_time=message.ts_event, correlation_id=message.correlation_id, leverage=message.leverage)
            return []
        if isinstance(message, PositionClosed):
            return self._on_position_closed(message)
        if isinstance(message, EntryFailed):
            if self.pending.get(message.symbol) == message.correlation_id:
                self.pending.pop(message.symbol, None)
                self.pending_margin.pop(message.symbol, None)
            return []
        if isinstance(message, AccountUpdate):
            for balance in message.balances:
                if balance.asset == "USDC":
                    self.wallet_balance = balance.wallet_balance
            return []
        return []

    def tick(self, now: int) -> list[object]:
        """Timers: max hold, end of a streak pause, a new UTC day, a batch that waited long enough."""
        outputs: list[object] = []
        if self._batch_time is not None and now - self._batch_opened_at >= self.batch_wait_ms:
            outputs += self.flush()
        outputs += self._expire_positions(now)
        outputs += self._lift_pauses(now)
        return outputs

    def set_active_symbols(self, symbols: frozenset[str]) -> None:
        self.active_symbols = symbols

    def set_balance(self, wallet_balance: float) -> None:
        self.wallet_balance = wallet_balance

    def pause(self, reason: str, source: str) -> list[object]:
        now = self.clock.now_ms()
        self.manual_pause = reason
        return [TradingPaused(ts_event=now, ts_init=now, reason=reason, source=source, until_ms=None)]

    def resume(self, source: str) -> list[object]:
        now = self.clock.now_ms()
        if self.manual_pause is None:
            return []
        self.manual_pause = None
        return [TradingResumed(ts_event=now, ts_init=now, reason="resumed by owner", source=source)]

    # ----------------------------------------------------------------- signals
    def _on_signal(self, signal: SignalGenerated) -> list[object]:
        outputs: list[object] = []
        self.last_price[signal.symbol] = signal.decision.close
        if self._batch_time is not None and signal.candle_close_time != self._batch_time:
            outputs += self.flush()
        if self._batch_time is None:
            self._batch_time = signal.candle_close_time
            self._batch_opened_at = max(self.clock.now_ms(), signal.candle_close_time)
        self._batch[signal.symbol] = signal
        expected = self.active_symbols - self.quarantined
        if expected and expected <= self._batch.keys():
            outputs += self.flush()
        return outputs

    def flush(self) -> list[object]:
        """Decide the entries of the pending candle time (all symbols that reported)."""
        if self._batch_time is None:
            return []
        batch_time, signals = self._batch_time, self._batch
        self._batch_time, self._batch = None, {}
        outputs: list[object] = []
        outputs += self._roll_day(batch_time)
        outputs += self._expire_positions(batch_time)
        outputs += self._lift_pauses(batch_time)
        outputs += self._check_daily_loss(batch_time)
        for symbol in sorted(signals):
            signal = signals[symbol]
            if signal.decision.direction == "NONE":
                continue
            outputs.append(self._decide(signal, batch_time))
        return outputs

    def _decide(self, signal: SignalGenerated, now: int) -> EntryApproved | EntryDenied:
        decision = signal.decision
        side: Side = "long" if decision.direction == "LONG" else "short"
        reason = self._denial(signal.symbol, now, signal.candle_close_time)
        if reason is not None or decision.stop_price is None:
            code, detail = reason or ("no_stop", "the strategy suggested no stop price")
            return EntryDenied(ts_event=now, ts_init=self.clock.now_ms(), correlation_id=signal.correlation_id,
                               symbol=signal.symbol, side=side, reason=code, detail=detail)
        atr_pct = decision.atr / decision.close * 100 if decision.close > 0 else 0.0
        cap = self.max_leverage_for(signal.symbol) if self.max_leverage_for is not None else None
        leverage = self.leverage.choose(atr_pct, cap)
        balance = self.wallet_balance
        available = balance - self.margin_in_use()
        risk_amount = balance * self.risk.risk_per_trade_pct / 100
        self.pending[signal.symbol] = signal.correlation_id
        stop_fraction = abs(decision.close - decision.stop_price) / decision.close if decision.close > 0 else 1.0
        expected_margin = risk_amount / max(stop_fraction, 1e-9) / leverage
        self.pending_margin[signal.symbol] = min(expected_margin, balance * self.risk.max_position_pct / 100,
                                                 max(available, 0.0))
        return EntryApproved(
            ts_event=now, ts_init=self.clock.now_ms(), correlation_id=signal.correlation_id, symbol=signal.symbol,
            side=side, reference_price=decision.close, stop_price=decision.stop_price,
            take_profit_prices=decision.take_profit_prices, leverage=leverage, risk_amount=risk_amount,
            sizing_balance=balance, available_balance=available)

    def _denial(self, symbol: str, now: int, candle_close_time: int | None = None) -> tuple[str, str] | None:
        """The first rule that forbids an entry on ``symbol`` now, as (code, detail)."""
        open_count = sum(1 for p in self.positions.values() if not p.closing) + len(self.pending)
        age = self.clock.now_ms() - candle_close_time if candle_close_time is not None else 0
        checks: list[tuple[bool, str, str]] = [
            (age > self.max_signal_age_ms, "late_signal",
             f"the signal's candle closed {age / 1000:.0f}s ago (market data arrived late)"),
            (not self.reconciled, "not_reconciled", "start-up reconciliation has not finished"),
            (not self.exchange_healthy, "exchange_unhealthy", "the exchange is not answering reliably"),
            (self.manual_pause is not None, "paused", f"paused: {self.manual_pause}"),
            (self.daily_limit_day is not None, "daily_loss_limit", "daily loss limit reached; resumes next UTC day"),
            (self.streak_pause_until is not None, "stop_loss_streak",
             f"{self.streak} stop-losses in a row; paused until {self.streak_pause_until}"),
            (symbol in self.quarantined, "quarantined", f"{symbol} is quarantined"),
            (symbol in self.stale, "feed_stale", f"{symbol} market data is stale"),
            (symbol in self.positions or symbol in self.pending, "position_open", f"{symbol} already has a position"),
            (self.cooldown_until.get(symbol, 0) > now, "cooldown",
             f"{symbol} cooling down until {self.cooldown_until.get(symbol)}"),
            (open_count >= self.risk.max_concurrent_positions, "max_positions",
             f"{open_count} of {self.risk.max_concurrent_positions} positions open"),
        ]
        return next(((code, detail) for failed, code, detail in checks if failed), None)

    # ----------------------------------------------------------------- positions
    def _on_position_closed(self, closed: PositionClosed) -> list[object]:
        now = closed.ts_event
        self.positions.pop(closed.symbol, None)
        self.pending.pop(closed.symbol, None)
        self.pending_margin.pop(closed.symbol, None)
        self.cooldown_until[closed.symbol] = now + int(self.risk.symbol_cooldown_min * 60_000)
        self.leverage.record_trade(closed.realized_pnl > 0)
        outputs: list[object] = []
        if closed.exit_reason in STOP_LOSS_REASONS:
            self.streak += 1
            if self.streak >= self.risk.stop_loss_streak and self.streak_pause_until is None:
                until = now + int(self.risk.streak_pause_min * 60_000)
                self.streak_pause_until = until
                outputs.append(TradingPaused(
                    ts_event=now, ts_init=self.clock.now_ms(), source="risk",
                    reason=f"{self.streak} stop-losses in a row", until_ms=until))
        else:
            self.streak = 0  # consecutive means consecutive: any other exit ends the streak
        return outputs

    def _expire_positions(self, now: int) -> list[object]:
        max_hold = int(self.orders.max_hold_min * 60_000)
        outputs: list[object] = []
        for symbol in sorted(self.positions):
            view = self.positions[symbol]
            if not view.closing and now - view.entry_time >= max_hold:
                view.closing = True
                outputs.append(ClosePosition(ts_init=now, symbol=symbol, reason="timeout",
                                             correlation_id=view.correlation_id, requested_by="risk"))
        return outputs

    def _lift_pauses(self, now: int) -> list[object]:
        outputs: list[object] = []
        if self.streak_pause_until is not None and now >= self.streak_pause_until:
            self.streak_pause_until = None
            self.streak = 0
            outputs.append(TradingResumed(ts_event=now, ts_init=self.clock.now_ms(), source="risk",
                                          reason="stop-loss streak pause is over"))
        outputs += self._roll_day(now)
        return outputs

    def _roll_day(self, now: int) -> list[object]:
        day = utc_day_start(now)
        if self.day_start == day:
            return []
        first_day = self.day_start is None
        self.day_start = day
        self.day_start_equity = self.equity()
        if self.daily_limit_day is not None and self.daily_limit_day < day:
            self.daily_limit_day = None
            if not first_day:
                return [TradingResumed(ts_event=now, ts_init=self.clock.now_ms(), source="risk",
                                       reason="new UTC day: daily loss limit reset")]
        return []

    def _check_daily_loss(self, now: int) -> list[object]:
        if self.daily_limit_day is not None or self.day_start_equity <= 0:
            return []
        equity = self.equity()
        if equity - self.day_start_equity > -self.day_start_equity * self.risk.daily_loss_limit_pct / 100:
            return []
        self.daily_limit_day = utc_day_start(now)
        until = self.daily_limit_day + DAY_MS
        ts = self.clock.now_ms()
        return [
            DailyLossLimitHit(ts_event=now, ts_init=ts, day_start_equity=self.day_start_equity, equity=equity,
                              limit_pct=self.risk.daily_loss_limit_pct),
            TradingPaused(ts_event=now, ts_init=ts, source="risk", until_ms=until,
                          reason=f"daily loss limit {self.risk.daily_loss_limit_pct}% reached"),
        ]

    # ----------------------------------------------------------------- figures
    def unrealized_pnl(self) -> float:
        total = 0.0
        for symbol, view in self.positions.items():
            price = self.last_price.get(symbol, view.entry_price)
            sign = 1 if view.side == "long" else -1
            total += sign * (price - view.entry_price) * view.quantity
        return total

    def equity(self) -> float:
        return self.wallet_balance + self.unrealized_pnl()

    def margin_in_use(self) -> float:
        used = sum(v.quantity * v.entry_price / max(v.leverage, 1) for v in self.positions.values())
        return used + sum(self.pending_margin.values())

    def status(self) -> RiskStatus:
        now = self.clock.now_ms()
        reasons = [r for r in (
            f"paused by owner: {self.manual_pause}" if self.manual_pause is not None else "",
            "daily loss limit reached" if self.daily_limit_day is not None else "",
            f"stop-loss streak of {self.streak}" if self.streak_pause_until is not None else "",
            "reconciliation pending" if not self.reconciled else "",
            "exchange unhealthy" if not self.exchange_healthy else "",
        ) if r]
        until = self.streak_pause_until
        if self.daily_limit_day is not None:
            until = max(until or 0, self.daily_limit_day + DAY_MS)
        equity = self.equity()
        return RiskStatus(
            ts=now, paused=bool(reasons), pause_reasons=tuple(reasons), pause_until_ms=until,
            day_start_equity=self.day_start_equity, equity=equity, daily_pnl=equity - self.day_start_equity,
            daily_loss_limit_pct=self.risk.daily_loss_limit_pct, stop_loss_streak=self.streak,
            stop_loss_streak_limit=self.risk.stop_loss_streak,
            open_positions=sum(1 for p in self.positions.values() if not p.closing),
            max_concurrent_positions=self.risk.max_concurrent_positions, reconciled=self.reconciled)
