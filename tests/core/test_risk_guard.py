"""RiskGuard rules with an injected clock: no waiting, every rule made to fire and to lift."""

from __future__ import annotations

from config.sections import OrderSettings, RiskSettings
from core.clock import DAY_MS, ManualClock
from core.leverage import LeverageManager
from core.risk_guard import RiskCore
from messages import (
    AccountUpdate,
    BalanceChange,
    ClosePosition,
    DailyLossLimitHit,
    EntryApproved,
    EntryDenied,
    EntryFailed,
    PositionClosed,
    PositionOpened,
    SignalBreakdown,
    SignalGenerated,
    StrategyDecision,
    TradingPaused,
    TradingResumed,
)

T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC
MIN = 60_000


def make_core(clock: ManualClock, **risk: object) -> RiskCore:
    settings = RiskSettings(**{"max_concurrent_positions": 2, "stop_loss_streak": 2, "streak_pause_min": 30,
                               "symbol_cooldown_min": 5, "daily_loss_limit_pct": 5, **risk})
    core = RiskCore(risk=settings, orders=OrderSettings(max_hold_min=10), clock=clock,
                    leverage=LeverageManager(5, 1, 10), starting_balance=400.0)
    core.reconciled = True
    return core


def signal(symbol: str, close_time: int, direction: str = "LONG", close: float = 100.0) -> SignalGenerated:
    breakdown = SignalBreakdown(components=(), trigger="ema_cross", confirmations=("volume",), atr_pct=0.15,
                                atr_gate_passed=True, reason="test")
    stop = close * (0.98 if direction == "LONG" else 1.02)
    decision = StrategyDecision(direction=direction, candle_open_time=close_time - MIN, close=close, atr=0.15,
                                stop_price=stop if direction != "NONE" else None,
                                take_profit_prices=(close * 1.004,), breakdown=breakdown)
    return SignalGenerated(ts_event=close_time, ts_init=close_time, correlation_id=f"{symbol}-{close_time}",
                           symbol=symbol, timeframe="1m", candle_close_time=close_time, decision=decision)


def opened(symbol: str, ts: int, price: float = 100.0, qty: float = 1.0) -> PositionOpened:
    return PositionOpened(ts_event=ts, ts_init=ts, correlation_id=f"{symbol}-{ts}", symbol=symbol, side="long",
                          quantity=qty, entry_price=price, stop_price=price * 0.98, take_profit_prices=(),
                          leverage=5)


def closed(symbol: str, ts: int, reason: str, pnl: float) -> PositionClosed:
    return PositionClosed(ts_event=ts, ts_init=ts, correlation_id=f"{symbol}-x", symbol=symbol, side="long",
                          quantity=1.0, entry_price=100.0, exit_price=100.0 + pnl, entry_time=ts - MIN,
                          exit_reason=reason, realized_pnl=pnl, fees=0.0, funding=0.0)


def decide(core: RiskCore, *signals: SignalGenerated) -> list[object]:
    out: list[object] = []
    for s in signals:
        out += core.handle(s)
    return out + core.flush()


def kinds(outputs: list[object]) -> list[tuple[str, str]]:
    return [(type(o).__name__, getattr(o, "symbol", "") or getattr(o, "reason", "")) for o in outputs]


def test_a_signal_is_approved_with_sizing_inputs() -> None:
    clock = ManualClock(T0)
    core = make_core(clock)
    (approved,) = decide(core, signal("BTC/USDC:USDC", T0))
    assert isinstance(approved, EntryApproved)
    assert approved.risk_amount == 4.0 and approved.sizing_balance == 400.0
    assert approved.stop_price == 98.0 and 1 <= approved.leverage <= 10


def test_none_signals_produce_no_decision_and_denials_carry_reasons() -> None:
    core = make_core(ManualClock(T0))
    assert decide(core, signal("A/USDC:USDC", T0, "NONE")) == []
    core.reconciled = False
    (denied,) = decide(core, signal("A/USDC:USDC", T0 + MIN))
    assert isinstance(denied, EntryDenied) and denied.reason == "not_reconciled"


def test_max_concurrent_positions_counts_pending_entries_and_decides_in_symbol_order() -> None:
    core = make_core(ManualClock(T0), max_concurrent_positions=2)
    out = decide(core, signal("C/USDC:USDC", T0), signal("A/USDC:USDC", T0), signal("B/USDC:USDC", T0))
    assert [(type(o).__name__, o.symbol) for o in out] == [
        ("EntryApproved", "A/USDC:USDC"), ("EntryApproved", "B/USDC:USDC"), ("EntryDenied", "C/USDC:USDC")]
    assert out[2].reason == "max_positions"
    core.handle(EntryFailed(ts_event=T0, ts_init=T0, correlation_id=out[0].correlation_id,
                            symbol="A/USDC:USDC", reason="rejected", detail=""))
    (again,) = decide(core, signal("C/USDC:USDC", T0 + MIN))
    assert isinstance(again, EntryApproved)


def test_one_position_per_symbol_and_cooldown_after_exit() -> None:
    clock = ManualClock(T0)
    core = make_core(clock, symbol_cooldown_min=5)
    core.handle(opened("A/USDC:USDC", T0))
    (denied,) = decide(core, signal("A/USDC:USDC", T0 + MIN))
    assert denied.reason == "position_open"
    core.handle(closed("A/USDC:USDC", T0 + 2 * MIN, "take_profit_1", 1.0))
    (denied,) = decide(core, signal("A/USDC:USDC", T0 + 3 * MIN))
    assert denied.reason == "cooldown"
    (approved,) = decide(core, signal("A/USDC:USDC", T0 + 7 * MIN))
    assert isinstance(approved, EntryApproved)


def test_stop_loss_streak_pauses_then_resumes_automatically() -> None:
    clock = ManualClock(T0)
    core = make_core(clock, stop_loss_streak=2, streak_pause_min=30, symbol_cooldown_min=0)
    assert core.handle(closed("A/USDC:USDC", T0, "stop_loss", -8.0)) == []
    out = core.handle(closed("B/USDC:USDC", T0 + MIN, "stop_loss", -8.0))
    assert [type(o) for o in out] == [TradingPaused] and out[0].until_ms == T0 + 31 * MIN
    (denied,) = decide(core, signal("C/USDC:USDC", T0 + 10 * MIN))
    assert denied.reason == "stop_loss_streak"
    assert core.status().paused and "stop-loss streak of 2" in core.status().pause_reasons[0]
    resumed = core.tick(T0 + 31 * MIN)
    assert any(isinstance(o, TradingResumed) for o in resumed)
    (approved,) = decide(core, signal("C/USDC:USDC", T0 + 32 * MIN))
    assert isinstance(approved, EntryApproved)


def test_any_other_exit_breaks_the_streak() -> None:
    core = make_core(ManualClock(T0), stop_loss_streak=2, symbol_cooldown_min=0)
    core.handle(closed("A/USDC:USDC", T0, "stop_loss", -8.0))
    core.handle(closed("A/USDC:USDC", T0 + MIN, "timeout", -0.5))
    assert core.handle(closed("A/USDC:USDC", T0 + 2 * MIN, "stop_loss", -8.0)) == []
    assert core.streak == 1


def test_daily_loss_limit_counts_unrealized_and_lifts_next_utc_day() -> None:
    clock = ManualClock(T0)
    core = make_core(clock, daily_loss_limit_pct=5, max_concurrent_positions=5)
    decide(core, signal("X/USDC:USDC", T0, "NONE"))  # the day starts with 400 equity
    core.handle(opened("A/USDC:USDC", T0, price=100.0, qty=10.0))
    core.handle(AccountUpdate(ts_event=T0, ts_init=T0, reason="ORDER",
                              balances=(BalanceChange(asset="USDC", wallet_balance=395.0, cross_wallet_balance=395.0,
                                                      balance_change=-5.0),), positions=()))
    # A at 98.4: unrealized -16, equity 379 = -5.25 % → limit hit
    out = decide(core, signal("A/USDC:USDC", T0 + MIN, "NONE", close=98.4), signal("B/USDC:USDC", T0 + MIN))
    assert [type(o) for o in out] == [DailyLossLimitHit, TradingPaused, EntryDenied]
    assert out[2].reason == "daily_loss_limit" and out[1].until_ms == T0 + DAY_MS
    out = decide(core, signal("B/USDC:USDC", T0 + DAY_MS - MIN))
    assert [(type(o), getattr(o, "reason", "")) for o in out] == [
        (ClosePosition, "timeout"), (EntryDenied, "daily_loss_limit")]
    out = decide(core, signal("B/USDC:USDC", T0 + DAY_MS + MIN))
    assert any(isinstance(o, TradingResumed) for o in out) and isinstance(out[-1], EntryApproved)


def test_max_hold_closes_before_the_same_candles_entries_are_decided() -> None:
    core = make_core(ManualClock(T0), max_concurrent_positions=1)
    core.handle(opened("A/USDC:USDC", T0))
    out = decide(core, signal("B/USDC:USDC", T0 + 10 * MIN))
    assert isinstance(out[0], ClosePosition) and out[0].reason == "timeout" and out[0].symbol == "A/USDC:USDC"
    assert isinstance(out[1], EntryApproved)  # the expiring position no longer takes a slot
    assert core.tick(T0 + 11 * MIN) == []  # asked once only


def test_manual_pause_stale_feed_quarantine_and_unhealthy_exchange() -> None:
    core = make_core(ManualClock(T0), max_concurrent_positions=5)
    core.pause("owner asked", "telegram")
    (d,) = decide(core, signal("A/USDC:USDC", T0))
    assert d.reason == "paused"
    assert core.resume("telegram") and core.resume("telegram") == []
    core.stale.add("A/USDC:USDC")
    core.quarantined.add("B/USDC:USDC")
    out = decide(core, signal("A/USDC:USDC", T0 + MIN), signal("B/USDC:USDC", T0 + MIN))
    assert [o.reason for o in out] == ["feed_stale", "quarantined"]
    core.exchange_healthy = False
    (d,) = decide(core, signal("C/USDC:USDC", T0 + 2 * MIN))
    assert d.reason == "exchange_unhealthy"


def test_batches_flush_when_every_active_symbol_reported_or_after_the_wait() -> None:
    clock = ManualClock(T0)
    core = make_core(clock, max_concurrent_positions=5)
    core.set_active_symbols(frozenset({"A/USDC:USDC", "B/USDC:USDC"}))
    assert core.handle(signal("A/USDC:USDC", T0)) == []
    out = core.handle(signal("B/USDC:USDC", T0))
    assert len(out) == 2
    assert core.handle(signal("A/USDC:USDC", T0 + MIN)) == []
    clock.set(T0 + MIN + 1499)
    assert core.tick(clock.now_ms()) == []
    clock.set(T0 + MIN + 1500)
    assert [type(o) for o in core.tick(clock.now_ms())] == [EntryDenied]  # A still holds its pending entry
