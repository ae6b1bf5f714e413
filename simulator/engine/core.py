"""The pure, synchronous matching and account engine.

No threads, no I/O, no clock reads: time only moves through :meth:`Engine.advance_to`. The HTTP/WS
server hosts one engine behind its event loop; a backtester can drive the same class in-process and get
the same fills. Rejections raise :class:`simulator.errors.BinanceError`; user-data events (Binance's WS
payloads) accumulate in order and are returned by ``advance_to``/``drain_events`` and passed to listeners.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from decimal import Decimal

from simulator import errors
from simulator.candles import CandleSeries
from simulator.engine import validate
from simulator.engine.algos import AlgosMixin
from simulator.engine.events import EngineConfig, Event
from simulator.engine.models import ZERO, AlgoOrder, Order, Trade
from simulator.engine.numbers import UNIT, parse_decimal, to_units, units_str
from simulator.engine.orders import OrdersMixin, tick_price
from simulator.engine.scan import Hit, Level, Trail, advance_extremes, scan
from simulator.engine.settings import SettingsMixin
from simulator.engine.state import MARGIN_CALL_RATIO, SymbolState
from simulator.engine.views import ViewsMixin

_ID_START = {"order": 8_100_000_000, "trade": 510_000_000, "algo": 1_000_000_000_001, "seq": 1}
_RANK = {"act": 0, "o": 1, "a": 1, "mc": 2, "liq": 3}
HOUR_MS = 3_600_000


class Engine(OrdersMixin, AlgosMixin, ViewsMixin, SettingsMixin):
    """One USDC futures account on a replayed market (one-way mode, single USDC wallet)."""

    def __init__(
        self, series: Mapping[str, CandleSeries], config: EngineConfig | None = None, start_ms: int = 0
    ) -> None:
        self.config = config or EngineConfig()
        self._now = int(start_ms)
        self.symbols: dict[str, SymbolState] = {}
        for index, (symbol, data) in enumerate(sorted(series.items())):
            leverage = min(self.config.default_leverage, data.spec.max_leverage)
            self.symbols[symbol] = SymbolState(
                series=data, index=index, leverage=leverage, trail_time=self._now, funding_cursor=self._now
            )
        self.wallet_units = to_units(parse_decimal("balance", self.config.balance))
        self.start_units = self.wallet_units
        self.balance_update_ms = self._now
        self.multi_assets = False
        self.orders: dict[int, Order] = {}
        self.client_orders: dict[tuple[str, str], Order] = {}
        self.algos: dict[int, AlgoOrder] = {}
        self.client_algos: dict[str, AlgoOrder] = {}
        self.trades: list[Trade] = []
        self.funding: list[tuple[int, str, float, int]] = []  # (time, symbol, rate, units)
        self.liquidations: list[dict[str, object]] = []
        self.listeners: list[Callable[[Event], None]] = []
        self._taker = Decimal(self.config.taker_fee)
        self._maker = Decimal(self.config.maker_fee)
        self._ids = dict(_ID_START)
        self._events: list[Event] = []
        self._refresh_cursor = self._now
        self._emitted = 0
        self._settings_epoch = 0
        self._cross_cache: tuple[tuple[int, int, int], tuple[float, float, dict[str, float]]] | None = None

    # --- time -----------------------------------------------------------------------------------------

    @property
    def now_ms(self) -> int:
        return self._now

    def advance_to(self, ts: int) -> list[Event]:
        """Move the simulated time to ``ts``, firing every fill, trigger, funding and liquidation on the
        way in time order; returns (and clears) the pending events. Symbols without orders or a position
        cost nothing."""
        ts = int(ts)
        same_instant = 0
        while True:  # events at exactly ``ts`` belong to this step too
            step = self._next_step(ts)
            if step is None:
                break
            when, _rank, _index, sym, action, ref = step
            same_instant = same_instant + 1 if when <= self._now else 0
            if same_instant > 100_000:
                raise RuntimeError(f"engine stuck at {self._now} on {sym.symbol} {action}")  # a broken invariant
            self._now = max(self._now, when)
            self._sync_trails(sym)
            self._run(sym, action, ref)
        if ts > self._now:
            self._now = ts
            for sym in self.symbols.values():
                if sym.algos:
                    self._sync_trails(sym)
        return self.drain_events()

    def drain_events(self) -> list[Event]:
        events, self._events = self._events, []
        return events

    def _next_step(self, target: int) -> tuple | None:
        best: tuple | None = None
        cross_positions = 0
        for sym in self.symbols.values():
            if not sym.is_active():
                continue
            if sym.position.amount:
                cross_positions += 0 if sym.isolated else 1
                nxt = sym.series.next_funding(sym.funding_cursor)
                if nxt is not None and nxt[0] <= target:
                    cand = (nxt[0], -1, sym.index, sym, ("funding",), nxt[1])
                    best = cand if best is None or cand[:3] < best[:3] else best
            hit = self._scan(sym, target)
            if hit is not None:
                key, ref = min(hit.fired, key=lambda item: (_RANK[item[0][0]], item[0][-1]))  # type: ignore[index]
                cand = (hit.time, _RANK[key[0]], sym.index, sym, key, ref)  # type: ignore[index]
                best = cand if best is None or cand[:3] < best[:3] else best
        if cross_positions >= 2 and self.config.liquidation:
            refresh = (self._refresh_cursor // HOUR_MS + 1) * HOUR_MS
            if refresh <= target and (best is None or refresh < best[0]):
                return (refresh, 9, -1, next(iter(self.symbols.values())), ("refresh",), 0.0)
        return best

    def _scan(self, sym: SymbolState, target: int) -> Hit | None:
        cached = sym.cache
        if cached is not None and cached[0] == sym.version and cached[1] <= self._now:
            hit = cached[3]
            if hit is not None and hit.time >= self._now:
                return hit if hit.time <= target else None
            if hit is None and target <= cached[2]:
                return None
        self._sync_trails(sym)
        levels, trails = self._levels(sym)
        hit = scan(sym.series, self._now, target, levels, trails)
        sym.cache = (sym.version, self._now, target, hit)
        return hit if hit is not None and hit.time <= target else None

    def _levels(self, sym: SymbolState) -> tuple[list[Level], list[Trail]]:
        levels: list[Level] = []
        trails: list[Trail] = []
        for order in sym.orders.values():
            if order.type == "LIMIT":
                levels.append(Level(order.price_f, order.side == "SELL", ("o", order.order_id, order.seq)))
        for algo in sym.algos.values():
            if algo.order_type == "TRAILING_STOP_MARKET":
                if not algo.activated and algo.activate_price is not None:
                    levels.append(
                        Level(float(algo.activate_price), algo.side == "SELL", ("act", algo.algo_id, algo.seq))
                    )
                else:
                    rate = float(algo.callback_rate or 0) / 100.0
                    trails.append(Trail(algo.side == "BUY", rate, algo.extreme, ("a", algo.algo_id, algo.seq)))
            else:
                up = validate.fires_upward(algo.order_type, algo.side)
                levels.append(Level(float(algo.trigger_price), up, ("a", algo.algo_id, algo.seq)))
        pos = sym.position
        if pos.amount and self.config.liquidation:
            liq = self._liquidation_level(sym)
            if liq is not None:
                levels.append(Level(liq, pos.amount < 0, ("liq", 0)))
            if not pos.margin_called:
                call = self._liquidation_level(sym, MARGIN_CALL_RATIO)
                if call is not None:
                    levels.append(Level(call, pos.amount < 0, ("mc", 0)))
        return levels, trails

    def _sync_trails(self, sym: SymbolState) -> None:
        """Fold the path since the last sync into the extremes of active trailing stops."""
        if sym.trail_time < self._now:
            active = [a for a in sym.algos.values() if a.order_type == "TRAILING_STOP_MARKET" and a.activated]
            if active:
                trails = [Trail(a.side == "BUY", 0.0, a.extreme, a) for a in active]
                advance_extremes(sym.series, trails, sym.trail_time, self._now)
                for trail, algo in zip(trails, active, strict=True):
                    algo.extreme = trail.extreme
            sym.trail_time = self._now

    def _run(self, sym: SymbolState, action: tuple, ref: float) -> None:
        kind = action[0]
        if kind == "funding":
            self._apply_funding(sym, ref)
        elif kind == "refresh":
            self._refresh_cursor = self._now
            self._bump_cross()
        elif kind == "o":
            self._fill_resting(sym, sym.orders.get(action[1]))
        elif kind == "a":
            algo = sym.algos.get(action[1])
            if algo is not None:
                self._trigger(sym, algo, ref)
        elif kind == "act":
            algo = sym.algos.get(action[1])
            if algo is not None:
                self._activate(sym, algo, ref)
        elif kind == "mc":
            self._margin_call(sym)
        elif kind == "liq":
            self._liquidate(sym, ref)

    # --- plumbing shared by the mixins ------------------------------------------------------------------

    def _emit(self, kind: str, payload: dict[str, object]) -> None:
        self._emitted += 1
        event = Event(kind, self._now, payload)
        self._events.append(event)
        for listener in self.listeners:
            listener(event)

    def _next_id(self, kind: str) -> int:
        value = self._ids[kind]
        self._ids[kind] = value + 1
        return value

    def symbol_state(self, symbol: object) -> SymbolState:
        if symbol in (None, ""):
            raise errors.mandatory("symbol")
        sym = self.symbols.get(str(symbol).upper())
        if sym is None:
            raise errors.bad_symbol()
        return sym

    def _bump_cross(self) -> None:
        for sym in self.symbols.values():
            if not sym.isolated and sym.position.amount:
                sym.bump()

    def cross_wallet_units(self) -> int:
        return self.wallet_units - sum(s.position.isolated_units for s in self.symbols.values())

    def _marks(self) -> list[tuple[SymbolState, float]]:
        return [(s, s.price(self._now) or 0.0) for s in self.symbols.values() if s.is_active()]

    def _available(self) -> float:
        value = self.cross_wallet_units() / UNIT
        for sym, mark in self._marks():
            if sym.position.amount and not sym.isolated:
                value += sym.unrealized(mark) - sym.position_initial_margin(mark)
            value -= sym.open_order_margin(mark)
        return value

    def _liquidation_level(self, sym: SymbolState, ratio: float = 1.0) -> float | None:
        mark = sym.price(self._now) or 0.0
        if sym.isolated:
            backing = sym.position.isolated_units / UNIT
        else:
            wallet, total, terms = self._cross_terms()
            backing = wallet + total - terms.get(sym.symbol, 0.0)
        return sym.liquidation_price(backing, mark, ratio)

    def _cross_terms(self) -> tuple[float, float, dict[str, float]]:
        """(cross wallet, sum over cross positions of unrealized PnL - maintenance margin, per symbol), computed
        once per instant and state: every symbol's liquidation level needs the others' terms."""
        key = (self._now, self._emitted, self._settings_epoch)
        if self._cross_cache is not None and self._cross_cache[0] == key:
            return self._cross_cache[1]
        terms: dict[str, float] = {}
        for sym in self.symbols.values():
            if sym.position.amount and not sym.isolated:
                mark = sym.price(self._now) or 0.0
                terms[sym.symbol] = sym.unrealized(mark) - sym.maint_margin(mark)
        value = (self.cross_wallet_units() / UNIT, sum(terms.values()), terms)
        self._cross_cache = (key, value)
        return value

    def _account_update(self, reason: str, syms: list[SymbolState], change_units: int = 0) -> None:
        balance = {
            "a": "USDC",
            "wb": units_str(self.wallet_units),
            "cw": units_str(self.cross_wallet_units()),
            "bc": units_str(change_units),
        }
        self._emit(
            "ACCOUNT_UPDATE",
            {
                "e": "ACCOUNT_UPDATE",
                "T": self._now,
                "E": self._now,
                "a": {"m": reason, "B": [balance], "P": [self.position_event(s) for s in syms]},
            },
        )

    # --- things that happen on their own ----------------------------------------------------------------

    def _fill_resting(self, sym: SymbolState, order: Order | None) -> None:
        """A resting LIMIT order was touched by the path: it fills at its own price as maker."""
        if order is None or not order.is_open:
            return
        qty = order.qty - order.executed
        if order.reduce_only or order.close_position:
            amount = sym.position.amount
            if amount == 0 or (amount > 0) == (order.side == "BUY"):
                self._close_order(sym, order, "EXPIRED")
                return
            qty = min(qty, abs(amount))
        self._fill(sym, order, qty, order.price, maker=True)

    def _apply_funding(self, sym: SymbolState, rate: float) -> None:
        """Funding at a funding time: longs pay shorts when the rate is positive (mark x size x rate)."""
        mark = sym.price(self._now) or 0.0
        units = to_units(-sym.position.amount_f * mark * rate)
        sym.funding_cursor = self._now
        self.wallet_units += units
        self.balance_update_ms = self._now
        if sym.isolated:
            sym.position.isolated_units += units
        self.funding.append((self._now, sym.symbol, rate, units))
        self._account_update("FUNDING_FEE", [sym] if sym.isolated else [], units)
        sym.bump()
        self._bump_cross()

    def _margin_call(self, sym: SymbolState) -> None:
        pos = sym.position
        pos.margin_called = True
        sym.bump()
        mark = sym.price(self._now) or 0.0
        spec = sym.spec
        self._emit(
            "MARGIN_CALL",
            {
                "e": "MARGIN_CALL",
                "E": self._now,
                "cw": units_str(self.cross_wallet_units()),
                "p": [
                    {
                        "s": sym.symbol,
                        "ps": "BOTH",
                        "pa": f"{pos.amount:.{spec.quantity_precision}f}",
                        "mt": "ISOLATED" if sym.isolated else "CROSSED",
                        "iw": units_str(pos.isolated_units),
                        "mp": f"{mark:.8f}",
                        "up": units_str(to_units(sym.unrealized(mark))),
                        "mm": units_str(to_units(sym.maint_margin(mark))),
                    }
                ],
            },
        )

    def _liquidate(self, sym: SymbolState, ref: float) -> None:
        """Close the position at the liquidation price; the remaining margin, up to the symbol's
        liquidation fee rate x notional, goes to the insurance fund (README "Liquidation")."""
        for order in sorted(sym.orders.values(), key=lambda o: o.order_id):
            self._close_order(sym, order, "EXPIRED")
        for algo in sorted(sym.algos.values(), key=lambda a: a.algo_id):
            self._end_algo(sym, algo, "EXPIRED", "Liquidation")
        pos = sym.position
        if not pos.amount:
            return
        side = "SELL" if pos.amount > 0 else "BUY"
        qty = abs(pos.amount)
        price = tick_price(sym.spec, ref, up=side == "BUY")
        isolated_before = pos.isolated_units
        cross_before = self.cross_wallet_units()
        order = Order(
            order_id=self._next_id("order"),
            client_order_id=f"autoclose-{self._now}",
            spec=sym.spec,
            side=side,
            type="LIMIT",
            orig_type="LIMIT",
            time_in_force="IOC",
            qty=qty,
            price=price,
            reduce_only=True,
            close_position=False,
            stop_price=ZERO,
            working_type="CONTRACT_PRICE",
            price_protect=False,
            time_ms=self._now,
            seq=self._next_id("seq"),
        )
        self.orders[order.order_id] = order
        trade = self._fill(sym, order, qty, price, maker=False, execution="CALCULATED")
        fee = to_units(price * qty * Decimal(sym.spec.liquidation_fee))
        left = (isolated_before if sym.isolated else cross_before) + trade.realized_units - trade.commission_units
        clearance = min(fee, max(0, left))
        self.wallet_units -= clearance
        shortfall = max(0, -self.wallet_units)
        self.wallet_units += shortfall
        self.liquidations.append(
            {
                "time": self._now,
                "symbol": sym.symbol,
                "side": side,
                "price": str(price),
                "qty": str(qty),
                "clearance": units_str(clearance),
                "insurance_covered": units_str(shortfall),
            }
        )
        if clearance or shortfall:
            self._account_update("INSURANCE_CLEAR", [sym], shortfall - clearance)
