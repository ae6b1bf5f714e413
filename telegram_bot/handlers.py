"""What each command does: gather live data (actors, the exchange view, SQLite), format it, or send
the immutable control messages. Runs on the Telegram command worker thread, never on an actor's.

State changes are only ever messages to the actors (``PauseTrading``, ``ResumeTrading``,
``EmergencyClose``, ``CloseSymbol``, ``ApplySettings``); the actors persist and act on them. A reply
that reports a state change asks the actor afterwards: pykka handles one actor's messages in order,
so that answer already reflects the command.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from actors.context import BotContext
from actors.directory import ORDER, RISK, ROOT, SYMBOLS
from config import write_runtime_changes
from messages.control import ApplySettings, CloseSymbol, EmergencyClose, PauseTrading, ResumeTrading
from messages.notifications import Notify
from telegram_bot import formatting as fmt
from telegram_bot.chart import chart_caption, render_chart
from telegram_bot.views import BotView, NoAnswerError

log = logging.getLogger(__name__)

SIGNALS_SHOWN = 5
SIGNAL_WINDOW_MS = 6 * 3_600_000


class CommandHandlers:
    """One method per command; each returns the reply text (or raises ``NoAnswerError``)."""

    def __init__(self, ctx: BotContext, view: BotView, telegram_stats: Callable[[], dict[str, int]],
                 secrets: tuple[str, ...]) -> None:
        self.ctx = ctx
        self.view = view
        self.telegram_stats = telegram_stats
        self.secrets = secrets

    @property
    def settings(self) -> Any:
        return self.ctx.settings

    def _now(self) -> int:
        return self.ctx.clock.now_ms()

    def _risk_or_none(self) -> Any | None:
        try:
            return self.view.ask(RISK, "status")
        except NoAnswerError:
            return None

    def _account_or_none(self, book: list[dict[str, Any]] | None = None, extra: tuple[str, ...] = ()) -> Any | None:
        try:
            return self.view.account([*(p["symbol"] for p in book or []), *extra])
        except NoAnswerError as exc:
            log.warning("telegram: no account view: %s", exc)
            return None

    def _positions(self, extra: tuple[str, ...] = ()) -> tuple[list[fmt.PositionRow], Any | None]:
        book = self.view.ask(ORDER, "positions")
        account = self._account_or_none(book, extra)
        rows = fmt.merge_positions(book, account.positions if account else None, self._now())
        return rows, account

    # ------------------------------------------------------------------------------ read-only
    def status(self) -> str:
        try:
            book = self.view.ask(ORDER, "positions")
        except NoAnswerError:
            book = []
        account = self._account_or_none(book)
        now = self._now()
        events = [e for e in self.ctx.storage.recent_events(50) if e.kind == "reconciliation"]
        snapshot = fmt.StatusSnapshot(
            mode=self.settings.exchange.mode, profile=self.settings.profile,
            uptime_s=self.ctx.health.snapshot()["uptime_s"], balance=account.balance if account else None,
            risk=self._risk_or_none(),
            positions=fmt.merge_positions(book, account.positions if account else None, now),
            signals=self.ctx.storage.signals(since_ms=now - SIGNAL_WINDOW_MS)[-SIGNALS_SHOWN:],
            feed=dict(self.ctx.health.get("feed.state", {}) or {}),
            last_reconciliation=f"{fmt.utc(events[-1].ts_ms)} UTC: {events[-1].message}" if events else "")
        return fmt.format_status(snapshot)

    def positions(self) -> str:
        rows, account = self._positions()
        return fmt.format_positions(rows, account.ts if account is not None else None)

    def balance(self) -> str:
        account = self._account_or_none()
        if account is None:
            risk = self._risk_or_none()
            return fmt.format_balance(None, risk.equity if risk else None)
        return fmt.format_balance(account.balance, as_of_ms=account.ts)

    def summary(self) -> str:
        return fmt.format_summary(self.ctx.storage.summary())

    def performance(self) -> str:
        return fmt.format_performance(self.ctx.storage.performance())

    def risk(self) -> str:
        status = self.view.ask(RISK, "status")
        return fmt.format_risk(status, self.settings.risk, self.settings.exchange, self.settings.profile)

    def config(self) -> str:
        return fmt.format_config(self.settings, self.secrets)

    def logs(self, count: int) -> str:
        return fmt.format_logs(self.ctx.storage.recent_events(count), count)

    def health(self) -> str:
        values = self.ctx.health.snapshot()
        board, counters = values["values"], values["counters"]
        try:
            root = self.view.ask(ROOT, "status")
        except NoAnswerError:
            root = {"restarts": {}}
        try:
            symbols = self.view.ask(SYMBOLS, "status")
        except NoAnswerError:
            symbols = {"quarantined": {}, "restarts": counters.get("symbols.restarts", 0)}
        stats, budget = board.get("exchange.stats"), board.get("exchange.budget")
        now = self._now()
        candles = {key.removeprefix("candle."): now - int(value.get("at", now)) for key, value in board.items()
                   if key.startswith("candle.") and isinstance(value, dict)}
        snapshot = fmt.HealthSnapshot(
            alive=self.view.alive(), root_restarts=root.get("restarts", {}), symbol_restarts=symbols["restarts"],
            quarantined=symbols["quarantined"], exchange_stats=stats.snapshot() if stats is not None else None,
            weight_used=budget.used if budget is not None else None,
            weight_limit=budget.limit if budget is not None else None,
            user_stream_connected=board.get("user_stream.connected"), feed=dict(board.get("feed.state", {}) or {}),
            candle_age_ms=candles, heartbeat_missed=counters.get("heartbeat.missed", 0),
            telegram=self.telegram_stats())
        return fmt.format_health(snapshot)

    def chart(self) -> tuple[bytes, str]:
        equity = self.ctx.storage.equity_curve()
        daily = self.ctx.storage.performance().by_day
        return render_chart(equity, daily), chart_caption(equity, daily)

    def open_position(self, symbol: str) -> fmt.PositionRow | None:
        rows, _ = self._positions((symbol,))
        return next((r for r in rows if r.symbol == symbol and r.size > 0), None)

    def daily_summary(self, day_end_ms: int) -> Notify:
        summary = self.ctx.storage.summary(day_end_ms - 86_400_000, day_end_ms)
        text = fmt.format_daily_summary(day_end_ms, summary, self._risk_or_none())
        now = self._now()
        return Notify(ts_event=now, ts_init=now, kind="daily_summary", level="info", text=text)

    # ------------------------------------------------------------------------------ state changes
    def pause(self, reason: str, who: str) -> str:
        self.view.tell(RISK, PauseTrading(ts_init=self._now(), reason=reason, requested_by=who))
        status = self.view.ask(RISK, "status")
        return ("New entries PAUSED; open positions keep their stops and take-profits. The pause survives "
                "a restart; /resume to trade again.\n" + "\n".join(f"why: {r}" for r in status.pause_reasons))

    def resume(self, who: str) -> str:
        self.view.tell(RISK, ResumeTrading(ts_init=self._now(), requested_by=who))
        status = self.view.ask(RISK, "status")
        if status.paused:
            return "Your pause is lifted, but entries stay paused:\n" + "\n".join(
                f"why: {r}" for r in status.pause_reasons)
        return "Entries RESUMED."

    def panic(self, who: str) -> str:
        now = self._now()
        self.view.tell(RISK, PauseTrading(ts_init=now, reason="panic", requested_by=who))
        if not self.view.tell(ORDER, EmergencyClose(ts_init=now, requested_by=who)):
            return "PANIC: entries are paused, but the order actor is NOT running: nothing was closed yet!"
        return ("PANIC confirmed: cancelling every order and closing every position at market; new entries "
                "are paused. A report follows when the exchange is flat.")

    def close(self, symbol: str, who: str) -> str:
        if self.open_position(symbol) is None:
            return f"No open position on {symbol} any more; nothing to close."
        if not self.view.tell(ORDER, CloseSymbol(ts_init=self._now(), symbol=symbol, requested_by=who)):
            return f"The order actor is not running: {symbol} was NOT closed."
        return f"Closing {symbol} at market and cancelling its orders; the exit report follows."

    def aggression(self, profile: str | None, who: str) -> str:
        current = self.settings
        if profile is None:
            return (f"Profile: {current.profile}\n" + _profile_line(current) +
                    "\nSwitch with /aggression conservative|balanced|aggressive")
        reload = self.ctx.reload_settings
        if reload is None:
            return "Cannot switch here: this bot was started without a settings source to rebuild from."
        if profile == current.profile:
            return f"Already on the {profile} profile.\n" + _profile_line(current)
        write_runtime_changes(current.storage.runtime_path, {"profile": profile})
        new = reload()
        if new.profile != profile:
            return (f"Saved {profile} in the runtime file, but the environment (BOT__PROFILE) pins the profile to "
                    f"{new.profile}; nothing changed.")
        now = self._now()
        reason = f"profile {current.profile} -> {profile} by {who}"
        for name in (RISK, ORDER, SYMBOLS):
            self.view.tell(name, ApplySettings(ts_init=now, settings=new, reason=reason))
        self.ctx.settings = new
        log.warning("telegram: %s", reason)
        self.ctx.storage.record_event("profile", reason, level="warning", ts_ms=now)
        return f"Profile switched to {profile} (saved; kept after a restart).\n" + _profile_line(new)


def _profile_line(settings: Any) -> str:
    r, o, e = settings.risk, settings.orders, settings.exchange
    return (f"leverage {e.leverage}x (max {e.max_leverage}x), risk {r.risk_per_trade_pct:g}%/trade, "
            f"max {r.max_concurrent_positions} positions, stop-loss {o.stop_loss_pct:g}%, max hold "
            f"{o.max_hold_min:g} min, daily loss limit {r.daily_loss_limit_pct:g}%")
