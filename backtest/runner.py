"""The backtest loop: the live bot's pure cores against the simulator's matching engine, in-process.

What runs is what the live actors host: ScalpingV1 (``indicators``), RiskGuard (``core.risk_guard``),
the LeverageManager, the OrderCore (entry, mandatory stop, stepped take-profits, break-even move,
settlement from the exchange's own fills) and the live parsers over the engine's Binance payloads
(``EngineGateway``/``OrderDriver``). Time is the engine's virtual clock: no threads, sockets or sleeps.

The loop mirrors the lockstep demo replay minute by minute (see ``docs/backtest.md``): for a candle that
closes at T, while anything is open the engine is advanced to T-1 ms and everything it reported is
handled (fills, triggers, funding, account updates), then to T; then the SignalGenerated of the candles
closing at T go to the RiskCore (non-NONE ones with their full decision, NONE ones for symbols with a
position, to keep its last price current) and it decides them together in ``flush()``; approvals and
max-hold closes go to the OrderCore, whose events go back to the RiskCore. Minutes without a signal
and without an open position are skipped: nothing can happen in them.
"""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

from backtest.driver import OrderDriver
from backtest.engine_gateway import EngineGateway
from backtest.ledger import DecisionRecord, Ledger, SignalRecord
from backtest.quiet import minute_is_quiet
from backtest.signals import SignalBook
from config.settings import Settings
from core.leverage import LeverageManager
from core.orders.core import OrderCore
from core.risk_guard import RiskCore
from core.symbols import to_exchange_id
from messages.orders import AccountUpdate, ClosePosition, EntryFailed, PositionClosed, PositionOpened
from messages.risk import DailyLossLimitHit, EntryApproved, EntryDenied, TradingPaused, TradingResumed
from messages.signals import SignalGenerated
from simulator.candles import MINUTE_MS, CandleSeries
from simulator.engine import Engine, EngineConfig

WARMUP_MINUTES = 1000  # like the simulator: the live bot starts with a 1000-candle buffer


@dataclass(frozen=True)
class BacktestConfig:
    """The window and the account. ``start_ms`` None: the first candle + ``warmup_minutes``; ``end_ms``
    None: the last candle's close. Candles before the start only warm the indicators up."""

    start_ms: int | None = None
    end_ms: int | None = None
    balance: float = 400.0
    taker_fee: str = "0.0005"
    maker_fee: str = "0.0002"
    slippage_bps: float = 0.0
    warmup_minutes: int = WARMUP_MINUTES


@dataclass
class BacktestResult:
    """Everything a report needs; ``ledger`` holds the signals, decisions, trades and equity path."""

    settings: Settings
    config: BacktestConfig
    start_ms: int
    end_ms: int
    symbols: tuple[str, ...]
    candles: int
    start_balance: float
    end_balance: float
    ledger: Ledger
    minutes_processed: int
    wall_seconds: float
    extras: dict[str, object] = field(default_factory=dict)


class _EngineClock:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def now_ms(self) -> int:
        return self.engine.now_ms


class Backtest:
    """One run over ``series`` with ``settings``; call :meth:`run` once."""

    def __init__(self, series: Mapping[str, CandleSeries], settings: Settings, config: BacktestConfig | None = None,
                 progress: Callable[[int, int, int], None] | None = None, book: SignalBook | None = None) -> None:
        if not series:
            raise ValueError("no candle series to backtest")
        self.settings = settings
        self.config = config = config or BacktestConfig()
        self.series = dict(series)
        first = min(s.first_ms for s in self.series.values())
        last = max(s.end_ms for s in self.series.values())
        start = config.start_ms if config.start_ms is not None else first + config.warmup_minutes * MINUTE_MS
        end = min(config.end_ms, last) if config.end_ms is not None else last
        self.start_ms = start - start % MINUTE_MS
        self.end_ms = end - end % MINUTE_MS
        if self.end_ms <= self.start_ms:
            raise ValueError(f"empty window: start {self.start_ms} is not before end {self.end_ms}")
        self.progress = progress
        began = time.perf_counter()
        self.book = book or SignalBook(self.series, settings.strategy, settings.orders, settings.strategy.timeframe)
        self._setup_seconds = time.perf_counter() - began  # part of the run's wall time
        self.ledger = Ledger()
        self.engine = Engine(self.series, EngineConfig(balance=f"{config.balance:.8f}", taker_fee=config.taker_fee,
                                                      maker_fee=config.maker_fee, slippage_bps=config.slippage_bps),
                             self.start_ms)
        clock = _EngineClock(self.engine)
        self.gateway = EngineGateway(self.engine, margin_type=settings.exchange.margin_type)
        rules = self.gateway.load_markets()
        brackets = {symbol: self.gateway.brackets(symbol) for symbol in rules}
        sequence = itertools.count(1)
        self.core = OrderCore(bot_id=settings.bot_id, orders=settings.orders, risk=settings.risk, clock=clock,
                              rules=rules.__getitem__, brackets=brackets.__getitem__,
                              next_sequence=lambda: next(sequence), deadline_clock=clock)
        self.core.orders_leverage_default = settings.exchange.leverage
        ex = settings.exchange
        self.risk = RiskCore(risk=settings.risk, orders=settings.orders, clock=clock,
                             leverage=LeverageManager(ex.leverage, ex.min_leverage, ex.max_leverage),
                             starting_balance=config.balance, max_leverage_for=self._bracket_max_leverage)
        self.risk.reconciled = True
        self.driver = OrderDriver(self.core, self.gateway, self.engine, on_output=self._on_order_output,
                                  on_event=self._on_user_event)
        self._minutes = 0
        self._steps = 0
        self._candidates: dict[str, int] = {}
        self._last_equity = config.balance

    def _bracket_max_leverage(self, symbol: str) -> int | None:
        return self.engine.symbol_state(to_exchange_id(symbol)).spec.max_leverage

    # ----------------------------------------------------------------- the loop
    def run(self) -> BacktestResult:
        started = time.perf_counter()
        self.ledger.equity.append((self.start_ms, self.config.balance))
        times = self.book.signal_times(self.start_ms, self.end_ms - MINUTE_MS)
        k, now, day = 0, self.start_ms, -1
        while True:
            if self.risk.positions or self.core.positions:
                nxt = now + MINUTE_MS
            else:
                while k < len(times) and times[k] <= now:
                    k += 1
                if k == len(times):
                    break
                nxt = times[k]
            if nxt >= self.end_ms:
                break
            now = nxt
            self._minute(now)
            if self.progress is not None and now // 86_400_000 != day:
                day = now // 86_400_000
                self.progress(now, self.start_ms, self.end_ms)
        self._close_out()
        if self.progress is not None:
            self.progress(self.end_ms, self.start_ms, self.end_ms)
        return self._result(time.perf_counter() - started + self._setup_seconds)

    def _minute(self, close_time: int, entries: bool = True) -> None:
        """Everything that happens for the candles closing at ``close_time``."""
        self._minutes += 1
        if self.core.positions and not self._quiet(close_time):
            self._steps += 1
            self.driver.advance_to(close_time - 1)
            self._route_risk(self.risk.tick(close_time - 1))
        self.driver.advance_to(close_time)
        signals = self._signals(close_time, entries)
        outputs: list[object] = []
        for signal in signals:
            outputs += self.risk.handle(signal)
        outputs += self.risk.flush()
        self._route_risk(outputs)
        self._record_equity(close_time)

    def _quiet(self, close_time: int) -> bool:
        """Nothing can fire before T and no timer is due at T-1: the T-1 step would change nothing."""
        if self.settings.exchange.margin_type != "isolated":
            return False
        due = close_time - 1 - int(self.settings.orders.max_hold_min * MINUTE_MS)
        if any(not v.closing and v.entry_time <= due for v in self.risk.positions.values()):
            return False
        return minute_is_quiet(self.book, self.core.positions, close_time)

    def _signals(self, close_time: int, entries: bool = True) -> list[SignalGenerated]:
        signals = []
        seen = {}
        for symbol, i in self.book.candidates(close_time) if entries else ():
            signal = self.book.quick_signal(symbol, i, close_time)
            self.ledger.signals.append(SignalRecord(close_time, symbol, signal.decision.direction))
            signals.append(signal)
            seen[symbol] = i
        self._candidates = seen
        for symbol in sorted(set(self.risk.positions) | set(self.risk.pending)):
            if symbol in seen:
                continue
            i = self.book.index_closing_at(symbol, close_time)
            if i >= 0:  # in a gap no candle closes, so the symbol reports nothing (as live)
                signals.append(self.book.none_signal(symbol, i, close_time))
        return signals

    def _close_out(self) -> None:
        """The window's last boundary: fills and max-hold exits happen as in any minute, no new entries;
        what is still open is then closed at market (exit reason end_of_data). Nothing after the end is
        used, so consecutive windows never share data."""
        end = self.end_ms
        if not self.core.positions:
            self.driver.advance_to(end)
            self._record_equity(end, force=True)
            return
        self._minute(end, entries=False)
        for symbol in sorted(self.core.positions):
            position = self.core.positions.get(symbol)
            if position is None or position.state in ("finalizing", "closed"):
                continue
            self.ledger.ended_by_backtest.add(position.correlation_id)
            self.driver.send(ClosePosition(ts_init=end, symbol=symbol, reason="manual",
                                           correlation_id=position.correlation_id, requested_by="backtest"))
        self._record_equity(end, force=True)

    # ----------------------------------------------------------------- routing
    def _route_risk(self, outputs: list[object]) -> None:
        for output in outputs:
            if isinstance(output, EntryApproved):
                self.ledger.decisions.append(DecisionRecord(output.ts_event, output.symbol, output.side, "approved",
                                                            output.leverage))
                i = self._candidates.get(output.symbol)
                if i is not None:  # the entries taken are explained in full (trades.csv "signal" column)
                    full = self.book.signal(output.symbol, i, output.ts_event)
                    self.ledger.explained[output.correlation_id] = full.decision.breakdown.reason
                self.driver.send(output)
            elif isinstance(output, EntryDenied):
                self.ledger.decisions.append(DecisionRecord(output.ts_event, output.symbol, output.side,
                                                            output.reason))
            elif isinstance(output, ClosePosition):
                self.driver.send(output)
            elif isinstance(output, (TradingPaused, TradingResumed, DailyLossLimitHit)):
                self._risk_event(output)

    def _risk_event(self, event: object) -> None:
        if isinstance(event, DailyLossLimitHit):
            text = (f"daily loss limit {event.limit_pct}% hit "
                    f"(equity {event.equity:.2f} of {event.day_start_equity:.2f})")
        elif isinstance(event, (TradingPaused, TradingResumed)):
            text = f"{type(event).__name__}: {event.reason}"
        else:
            return
        self.ledger.risk_events.append((event.ts_event, text))

    def _on_order_output(self, output: object) -> None:
        if isinstance(output, PositionOpened):
            self.ledger.opened[output.correlation_id] = output
            self.risk.handle(output)
        elif isinstance(output, PositionClosed):
            self.ledger.on_closed(output)
            for event in self.risk.handle(output):
                self._risk_event(event)
        elif isinstance(output, EntryFailed):
            self.ledger.entry_failures.append((output.ts_event, output.symbol, output.reason))
            self.risk.handle(output)

    def _on_user_event(self, event: object) -> None:
        if isinstance(event, AccountUpdate):
            self.risk.handle(event)

    # ----------------------------------------------------------------- figures
    def _record_equity(self, ts: int, force: bool = False) -> None:
        equity = self.risk.wallet_balance
        for symbol, position in self.core.positions.items():
            price = self.book.close_at(symbol, ts)
            if price is None:
                continue
            sign = 1.0 if position.side == "long" else -1.0
            equity += sign * float(position.remaining) * (price - float(position.entry_price))
        if force or self.core.positions or equity != self._last_equity:
            self.ledger.equity.append((ts, equity))
            self._last_equity = equity

    def _result(self, wall: float) -> BacktestResult:
        candles = 0
        for sig in self.book.symbols.values():
            times = sig.close_times
            candles += int(times.searchsorted(self.end_ms, side="right") - times.searchsorted(self.start_ms, "right"))
        return BacktestResult(
            settings=self.settings, config=self.config, start_ms=self.start_ms, end_ms=self.end_ms,
            symbols=tuple(self.book.symbols), candles=candles, start_balance=self.config.balance,
            end_balance=self.risk.wallet_balance, ledger=self.ledger, minutes_processed=self._minutes,
            wall_seconds=wall, extras={"t_minus_1_steps": self._steps})
