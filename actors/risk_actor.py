"""RiskActor: hosts RiskGuard (``core.risk_guard.RiskCore``) and records every decision with its reason."""

from __future__ import annotations

import logging
from typing import Any

from actors.base import BotActor
from actors.context import BotContext
from actors.directory import NOTIFIER, ORDER
from config import write_runtime_changes
from core.leverage import LeverageManager
from core.risk_guard import RiskCore
from messages.control import ApplySettings, PauseTrading, ResumeTrading, Shutdown, Tick
from messages.market import FeedRecovered, FeedStale
from messages.orders import AccountUpdate, ClosePosition, EntryFailed, PositionClosed, PositionOpened
from messages.risk import DailyLossLimitHit, EntryApproved, EntryDenied, RiskStatus, TradingPaused, TradingResumed
from messages.runtime import ActiveSymbolsChanged, ExchangeHealthChanged, ReconciliationDone, SymbolRemoved
from messages.signals import SignalGenerated
from messages.supervision import SymbolQuarantined

log = logging.getLogger(__name__)

EQUITY_SNAPSHOT_EVERY_MS = 5 * 60_000


class RiskActor(BotActor):
    """Every entry request is approved or denied here."""

    def __init__(self, ctx: BotContext, name: str, supervisor: str) -> None:
        super().__init__(ctx, name, supervisor)
        s = ctx.settings
        self.core = RiskCore(
            risk=s.risk, orders=s.orders, clock=ctx.clock,
            leverage=LeverageManager(s.exchange.leverage, s.exchange.min_leverage, s.exchange.max_leverage),
            batch_wait_ms=int(max(1.5, 1.5 * ctx.speed) * 1000), max_leverage_for=ctx.catalog.max_leverage,
            max_signal_age_ms=int(max(60.0, 3.0 * ctx.speed) * 1000))
        if s.control.paused:
            self.core.manual_pause = s.control.pause_reason or "paused (restored from the runtime file)"
        self._last_snapshot = 0

    def receive(self, message: Any) -> Any:
        core = self.core
        if isinstance(message, SignalGenerated):
            self._emit(core.handle(message))
        elif isinstance(message, Tick):
            self._emit(core.tick(message.ts_init))
            self._snapshot_equity(message.ts_init)
        elif isinstance(message, (PositionOpened, PositionClosed, EntryFailed, AccountUpdate)):
            self._emit(core.handle(message))
        elif isinstance(message, ReconciliationDone):
            core.reconciled = message.ok
            core.set_balance(message.wallet_balance)
            log.info("reconciliation %s: %s (wallet %.2f)", "done" if message.ok else "FAILED", message.detail,
                     message.wallet_balance)
        elif isinstance(message, FeedStale):
            core.stale.add(message.symbol)
        elif isinstance(message, FeedRecovered):
            core.stale.discard(message.symbol)
        elif isinstance(message, ExchangeHealthChanged):
            core.exchange_healthy = message.healthy
        elif isinstance(message, SymbolQuarantined):
            core.quarantined.add(message.symbol)
        elif isinstance(message, ActiveSymbolsChanged):
            core.set_active_symbols(frozenset(message.symbols))
        elif isinstance(message, SymbolRemoved):
            core.stale.discard(message.symbol)
        elif isinstance(message, PauseTrading):
            self._persist_pause(True, message.reason)
            self._emit(core.pause(message.reason, message.requested_by))
        elif isinstance(message, ApplySettings):
            new = message.settings
            core.risk, core.orders = new.risk, new.orders
            core.leverage = LeverageManager(new.exchange.leverage, new.exchange.min_leverage, new.exchange.max_leverage)
            log.warning("risk: settings applied (%s): profile %s", message.reason, new.profile)
        elif isinstance(message, Shutdown):
            core.manual_pause = "the bot is shutting down"  # not persisted: a restart trades again
        elif isinstance(message, ResumeTrading):
            self._persist_pause(False, "")
            self._emit(core.resume(message.requested_by))
        else:
            return super().receive(message)
        return None

    def status(self) -> RiskStatus:
        """For ``/risk`` and ``/status`` (asked at the edge)."""
        return self.core.status()

    def _persist_pause(self, paused: bool, reason: str) -> None:
        try:
            write_runtime_changes(self.ctx.settings.storage.runtime_path,
                                  {"control": {"paused": paused, "pause_reason": reason}})
        except OSError as exc:  # the pause still applies now; only its survival of a restart is at risk
            log.error("could not persist the pause state to %s: %s", self.ctx.settings.storage.runtime_path, exc)

    def _emit(self, outputs: list[object]) -> None:
        storage = self.ctx.storage
        for output in outputs:
            if isinstance(output, EntryApproved):
                log.info("[%s] risk APPROVED %s %s: leverage %dx, risk %.2f of balance %.2f", output.correlation_id,
                         output.side, output.symbol, output.leverage, output.risk_amount, output.sizing_balance)
                storage.record_risk_decision(ts_ms=output.ts_event, correlation_id=output.correlation_id,
                                             symbol=output.symbol, approved=True, reason="approved",
                                             details={"leverage": output.leverage, "risk_amount": output.risk_amount,
                                                      "balance": output.sizing_balance})
                self.send(ORDER, output)
            elif isinstance(output, EntryDenied):
                log.info("[%s] risk DENIED %s %s: %s", output.correlation_id, output.side, output.symbol,
                         output.detail)
                storage.record_risk_decision(ts_ms=output.ts_event, correlation_id=output.correlation_id,
                                             symbol=output.symbol, approved=False, reason=output.reason,
                                             details={"detail": output.detail})
            elif isinstance(output, ClosePosition):
                log.info("[%s] risk closes %s: %s", output.correlation_id, output.symbol, output.reason)
                self.send(ORDER, output)
            elif isinstance(output, (TradingPaused, TradingResumed, DailyLossLimitHit)):
                log.warning("risk: %s", output)
                self.send(NOTIFIER, output)

    def _snapshot_equity(self, now: int) -> None:
        if now - self._last_snapshot < EQUITY_SNAPSHOT_EVERY_MS:
            return
        self._last_snapshot = now
        core = self.core
        self.ctx.storage.snapshot_equity(ts_ms=now, wallet_balance=core.wallet_balance, equity=core.equity(),
                                         available_balance=core.wallet_balance - core.margin_in_use(),
                                         unrealized_pnl=core.unrealized_pnl(), margin_used=core.margin_in_use())
