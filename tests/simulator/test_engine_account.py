"""Account side of the engine: fees, funding, liquidation, settings, reconciliation, speed, determinism."""

from __future__ import annotations

import contextlib
import time
from decimal import Decimal

import pytest

from simulator.engine import Engine, EngineConfig
from simulator.engine.market import kline_rows, ticker_24h
from simulator.engine.numbers import units_str
from simulator.errors import BinanceError
from tests.simulator.engine_support import MIN, T0, algo, engine_of, flat, kinds, market


def test_fees_realized_pnl_and_wallet() -> None:
    engine = engine_of([*flat(100, 1), (100, 110, 100, 110), *flat(110)])
    market(engine, "BUY", "2")
    engine.advance_to(T0 + 2 * MIN)
    market(engine, "SELL", "2")
    entry, exit_ = engine.trades
    assert (entry.commission_units, exit_.commission_units) == (10_000_000, 11_000_000)  # 0.05 % of 200 / 220
    assert exit_.realized_units == 20 * 10**8
    assert units_str(engine.wallet_units) == "419.79000000"


def test_funding_is_paid_by_longs_when_the_rate_is_positive() -> None:
    engine = engine_of(flat(100, 5), funding=[(T0 + 2 * MIN, 0.001), (T0 + 4 * MIN, -0.0005)])
    market(engine, "BUY", "1")
    engine.drain_events()
    events = engine.advance_to(T0 + 5 * MIN)
    assert kinds(events) == ["account:FUNDING_FEE", "account:FUNDING_FEE"]
    assert [e.payload["a"]["B"][0]["bc"] for e in events] == ["-0.10000000", "0.05000000"]
    assert [f[3] for f in engine.funding] == [-10_000_000, 5_000_000]
    assert engine.income({"incomeType": "FUNDING_FEE"})[0]["income"] == "-0.10000000"


def test_no_funding_without_a_position() -> None:
    engine = engine_of(flat(100, 5), funding=[(T0 + 2 * MIN, 0.001)])
    engine.advance_to(T0 + 5 * MIN)
    assert engine.funding == []


def test_isolated_liquidation_after_a_margin_call() -> None:
    engine = engine_of([*flat(100, 1), (100, 100, 90, 90), *flat(90)])
    engine.set_margin_type("SOLUSDC", "ISOLATED")
    market(engine, "BUY", "10")  # 1000 notional at 20x: 50 USDC isolated margin
    pos = engine.position_risk_v3("SOLUSDC")[0]
    assert pos["isolatedWallet"] == "50.00000000" and Decimal(pos["liquidationPrice"]) == Decimal("95.4774")
    algo(engine, "SELL", "STOP_MARKET", "80", closePosition="true")
    engine.drain_events()
    events = engine.advance_to(T0 + 3 * MIN)
    trail = kinds(events)
    assert trail[0] == "MARGIN_CALL" and "CALCULATED/FILLED" in trail and "algo:EXPIRED" in trail
    liquidation = engine.trades[-1]
    assert liquidation.price == Decimal("95.47") and engine.symbols["SOLUSDC"].position.amount == 0
    assert units_str(engine.wallet_units) == "349.50000000"  # the isolated margin and the entry fee are gone
    assert engine.liquidations[0]["symbol"] == "SOLUSDC"


def test_cross_margin_insufficient_and_leverage_limits() -> None:
    engine = engine_of(flat(100), balance="100")
    with pytest.raises(BinanceError) as exc:
        market(engine, "BUY", "25")  # 2500 notional / 20x = 125 > 100
    assert exc.value.code == -2019
    market(engine, "BUY", "15")
    with pytest.raises(BinanceError) as exc:
        engine.set_leverage("SOLUSDC", "101")
    assert exc.value.code == -4028
    assert engine.set_leverage("SOLUSDC", "5") == {"leverage": 5, "maxNotionalValue": "15000000", "symbol": "SOLUSDC"}
    with pytest.raises(BinanceError) as exc:
        market(engine, "BUY", "10")  # 2500 notional / 5x > what is left
    assert exc.value.code == -2019


@pytest.mark.parametrize(
    ("call", "code"),
    [
        (lambda e: e.set_margin_type("SOLUSDC", "CROSSED"), -4046),
        (lambda e: e.set_position_mode("false"), -4059),
        (lambda e: e.set_multi_assets_mode("false"), -4171),
        (lambda e: e.set_margin_type("SOLUSDC", "BOTH"), -1130),
        (lambda e: e.set_leverage("BTCUSDC", "5"), -1121),
    ],
)
def test_no_change_and_bad_setting_replies(call, code: int) -> None:
    with pytest.raises(BinanceError) as exc:
        call(engine_of(flat(100)))
    assert exc.value.code == code


def test_margin_type_cannot_change_with_orders_or_position() -> None:
    engine = engine_of(flat(100))
    engine.new_order(
        {"symbol": "SOLUSDC", "side": "BUY", "type": "LIMIT", "quantity": "1", "price": "90", "timeInForce": "GTC"}
    )
    with pytest.raises(BinanceError) as exc:
        engine.set_margin_type("SOLUSDC", "ISOLATED")
    assert exc.value.code == -4047
    engine.cancel_all_orders("SOLUSDC")
    market(engine, "BUY", "1")
    with pytest.raises(BinanceError) as exc:
        engine.set_margin_type("SOLUSDC", "ISOLATED")
    assert exc.value.code == -4048
    with pytest.raises(BinanceError) as exc:
        engine.set_position_mode("true")
    assert exc.value.code == -4068


def test_wallet_reconciles_to_the_unit(synth_series: dict) -> None:
    engine = Engine(
        synth_series, EngineConfig(balance="400"), min(s.first_ms for s in synth_series.values()) + 1000 * MIN
    )
    start = engine.now_ms
    for step in range(60):
        engine.advance_to(start + step * 37 * MIN)
        symbol = ["BTCUSDC", "ETHUSDC", "SOLUSDC"][step % 3]
        qty = {"BTCUSDC": "0.002", "ETHUSDC": "0.05", "SOLUSDC": "0.7"}[symbol]
        side = "BUY" if step % 4 < 2 else "SELL"
        with contextlib.suppress(BinanceError):
            market(engine, side, qty, symbol)
    engine.advance_to(start + 2 * 86_400_000)
    realized = sum(t.realized_units for t in engine.trades)
    fees = sum(t.commission_units for t in engine.trades)
    funding = sum(f[3] for f in engine.funding)
    assert engine.funding, "positions were held across funding times"
    assert engine.wallet_units == engine.start_units + realized - fees + funding


def test_market_views_never_show_the_future(synth_series: dict) -> None:
    series = synth_series["BTCUSDC"]
    now = series.first_ms + 1000 * MIN + 25_000
    rows = kline_rows(series, now, "1m", limit=3)
    assert [r[0] for r in rows] == [now - 25_000 - 2 * MIN, now - 25_000 - MIN, now - 25_000]
    i = series.index_at(now)
    assert rows[-1][2] <= series.h[i] and rows[-1][5] == pytest.approx(series.v[i] * 25 / 60)
    assert kline_rows(series, now, "1m", start=now + MIN) == []
    assert kline_rows(series, now, "5m", limit=2)[-1][0] == (now // 300_000) * 300_000
    assert ticker_24h(series, now)["closeTime"] == now


def test_idle_month_is_lazy_and_busy_month_is_fast(real_series: dict) -> None:
    first = min(s.first_ms for s in real_series.values())
    engine = Engine(real_series, EngineConfig(balance="100000"), first + 1000 * MIN)
    began = time.perf_counter()
    for hour in range(30 * 24):
        engine.advance_to(first + 1000 * MIN + (hour + 1) * 3_600_000)
    assert time.perf_counter() - began < 1.0
    engine = Engine(real_series, EngineConfig(balance="100000"), first + 1000 * MIN + 6 * 86_400_000)
    for symbol, state in engine.symbols.items():
        price = state.price(engine.now_ms)
        step = Decimal(state.spec.step_size)
        qty = (Decimal(repr(300 / price)) / step).to_integral_value() * step
        market(engine, "BUY", str(qty), symbol)
        tick = Decimal(state.spec.tick_size)
        far = (Decimal(repr(price * 0.6)) / tick).to_integral_value() * tick
        algo(engine, "SELL", "STOP_MARKET", str(far), symbol, closePosition="true")
    began = time.perf_counter()
    for _ in range(0, 24 * 60 * 24, 15):
        engine.advance_to(engine.now_ms + 15 * MIN)
    assert time.perf_counter() - began < 5.0
    assert len(engine.funding) > 16 * 60


def test_same_inputs_same_events(synth_series: dict) -> None:
    def run() -> list:
        engine = Engine(synth_series, EngineConfig(), min(s.first_ms for s in synth_series.values()) + 1000 * MIN)
        out = []
        for k in range(20):
            engine.advance_to(engine.now_ms + 11 * MIN + 7_000)
            try:
                market(engine, "BUY" if k % 2 else "SELL", "0.1", "ETHUSDC")
                algo(
                    engine,
                    "BUY" if k % 2 == 0 else "SELL",
                    "STOP_MARKET",
                    f"{engine.symbols['ETHUSDC'].price(engine.now_ms) * (1.002 if k % 2 == 0 else 0.998):.2f}",
                    "ETHUSDC",
                    closePosition="true",
                )
            except BinanceError as exc:
                out.append(exc.code)
            out.extend(e.payload for e in engine.drain_events())
        return out

    assert run() == run()
