"""Paper mode's live source: a simulator (B) fed from another simulator (A) playing Binance.

A is stepped here, so "what A has closed" is exactly known at every instant; B polls A over real
HTTP. The whole-system dry run (the real bot on B) is ``tests/system/test_paper_mode.py``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import requests

from simulator import SimulatorHandle
from simulator.candles import MINUTE_MS, CandleSeries
from simulator.live.clock import LiveClock
from simulator.live.feed import CLOSE_GRACE_MS, LiveFeed, SymbolFeed, final_boundary, parse_rows
from simulator.live.source import WeightWindow, klines_weight
from simulator.live.specs import spec_from_entry, trading_usdc_perpetuals
from simulator.live.startup import LiveSettings
from simulator.markets import MARKETS
from simulator.server.exchange_info import symbol_entry
from simulator.synthetic import generate
from tests.simulator.conftest import SYNTH_START
from tests.simulator.live_support import assert_nothing_ahead_of, assert_same_candles, klines
from tests.support import EXCHANGE_INFO_FILE, eventually, require_shared_data

Sim = Callable[..., SimulatorHandle]


def paper(make_sim: Sim, source: SimulatorHandle, **config: Any) -> SimulatorHandle:
    config.setdefault("live_poll_s", 0.02)
    return make_sim(stepped=False, live_source_url=source.rest_url, **config)


def frontier(handle: SimulatorHandle) -> int:
    return handle.state()["server"]["live"]["frontier_ms"]


def test_paper_candles_are_the_source_candles_and_never_ahead_of_it(
        make_sim: Sim, real_series: dict[str, CandleSeries]) -> None:
    first = min(s.first_ms for s in real_series.values())
    source = make_sim(series=real_series, start=first + 1100 * MINUTE_MS)
    sim = paper(make_sim, source, symbols=["BTC", "ETHUSDC", "XMR", "DOGE"])
    # XMR is synthesized by A: B reads its market from A's exchangeInfo; DOGE is not served by A
    assert sim.symbols == ["BTCUSDC", "ETHUSDC", "XMRUSDC"]
    assert "DOGEUSDC" in sim.state()["server"]["skipped"]
    info = requests.get(f"{sim.rest_url}/fapi/v1/exchangeInfo", timeout=10).json()
    source_info = requests.get(f"{source.rest_url}/fapi/v1/exchangeInfo", timeout=10).json()
    wanted = {e["symbol"]: e for e in source_info["symbols"] if e["symbol"] in sim.symbols}
    assert {e["symbol"]: e for e in info["symbols"]} == wanted
    # the paper clock starts 90 s behind the source with at least 1000 closed candles to warm up on
    assert source.clock.now_ms() - sim.clock.now_ms() == pytest.approx(90_000, abs=3000)
    for symbol in sim.symbols:
        rows = klines(sim, symbol, limit=1000, endTime=sim.clock.now_ms() - MINUTE_MS)
        assert len(rows) == 1000 and rows[-1][6] < sim.clock.now_ms()
    assert_nothing_ahead_of(sim, source)
    for step in range(12):  # steps ending at every kind of offset inside a minute
        source.advance(31_000 + step * 7_000)
        target = final_boundary(source.clock.now_ms())
        eventually(lambda t=target: frontier(sim) == t, timeout=10, message="B never caught up with A")
        assert_nothing_ahead_of(sim, source)
    for symbol in sim.symbols:
        assert assert_same_candles(sim, source, symbol) >= 1000
    live = sim.state()["server"]["live"]
    assert all(s["added"] >= 8 and s["late_dropped"] == 0 for s in live["symbols"].values())
    assert source.state()["orders"] == [] and source.state()["server"]["listen_keys"] == {}


def _with_gap(series: CandleSeries, gap_start: int, minutes: int) -> CandleSeries:
    t, o, h, low, c, v = series.view()
    keep = (t < gap_start) | (t >= gap_start + minutes * MINUTE_MS)
    return CandleSeries(series.spec, t[keep], o[keep], h[keep], low[keep], c[keep], v[keep])


def test_a_gap_of_the_source_stays_a_gap_and_the_clock_halts_while_the_source_is_down(
        make_sim: Sim, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.INFO, logger="simulator.live")
    gap_start = SYNTH_START + 3 * MINUTE_MS
    data = {"SOLUSDC": _with_gap(generate(["SOLUSDC"], SYNTH_START - 1500 * MINUTE_MS, 1600, 5)["SOLUSDC"],
                                 gap_start, 4),
            # listed 600 minutes ago: fewer candles than the history window, all of them must come
            "ETHUSDC": generate(["ETHUSDC"], SYNTH_START - 600 * MINUTE_MS, 700, 5)["ETHUSDC"]}
    source = make_sim(series=data, start=SYNTH_START)
    # no delay: the paper clock stands on the frontier, so every halt is visible at once
    sim = paper(make_sim, source, live_delay_s=0.0)
    assert sim.clock.now_ms() == sim.clock.frontier_ms == final_boundary(SYNTH_START)
    assert len(sim._server.series["SOLUSDC"]) == 1440 + 1 and len(sim._server.series["ETHUSDC"]) == 599
    source.advance(10 * MINUTE_MS)
    eventually(lambda: frontier(sim) == final_boundary(source.clock.now_ms()), message="B did not catch up")
    opens = set(sim._server.series["SOLUSDC"].view()[0].tolist())
    source_opens = set(source._server.series["SOLUSDC"].view()[0].tolist())
    assert {gap_start + k * MINUTE_MS for k in range(4)}.isdisjoint(opens)  # nothing invented
    assert opens == {t for t in source_opens if min(opens) <= t and t + MINUTE_MS <= frontier(sim)}
    assert_same_candles(sim, source, "SOLUSDC", fields=7)
    assert assert_same_candles(sim, source, "ETHUSDC", fields=7) == 599 + 10

    # the source goes down: B keeps serving what it knows, its clock waits at the frontier
    source.set_faults(error_rate=1.0)
    stuck = frontier(sim)
    source.advance(5 * MINUTE_MS)
    eventually(lambda: sim.state()["server"]["live"]["source_down_for_s"] is not None, message="outage not seen")
    polls = sim.state()["server"]["live"]["requests"]
    eventually(lambda: sim.state()["server"]["live"]["requests"] >= polls + 5, message="no more polls")
    assert frontier(sim) == stuck and sim.clock.now_ms() == stuck and sim.clock.halted
    assert klines(sim, "SOLUSDC", limit=2)[-1][0] + MINUTE_MS == stuck
    assert "unreachable" in caplog.text

    source.set_faults(error_rate=0.0)
    eventually(lambda: frontier(sim) == final_boundary(source.clock.now_ms()), message="no catch-up")
    assert sim.clock.now_ms() > stuck and "reachable again" in caplog.text
    assert sim.state()["server"]["live"]["symbols"]["SOLUSDC"]["late_dropped"] == 0
    assert_same_candles(sim, source, "SOLUSDC", fields=7)


def test_specs_read_from_the_real_exchange_info_equal_the_builtin_table() -> None:
    real = json.loads(require_shared_data(EXCHANGE_INFO_FILE).read_text())
    specs, unreadable = trading_usdc_perpetuals(real)
    assert not unreadable
    assert set(specs) == {s for s, spec in MARKETS.items() if spec.status == "TRADING"}
    for entry in real["symbols"]:
        spec = spec_from_entry(entry)
        assert spec == MARKETS[spec.symbol]
        assert symbol_entry(spec, spec.status) == entry


def test_live_clock_is_delayed_capped_at_the_frontier_and_never_goes_back() -> None:
    wall = [100.0]
    clock = LiveClock(source_ms=1_000_000, delay_ms=90_000, frontier_ms=960_000, wall=lambda: wall[0])
    assert clock.now_ms() == 910_000 and not clock.halted
    wall[0] += 40.0
    assert clock.now_ms() == 950_000
    wall[0] += 30.0  # the source is at 1 070 000 but only 960 000 is final: wait there
    assert clock.now_ms() == 960_000 and clock.halted
    clock.advance_frontier(1_020_000)  # the data came: resume at source time - delay
    assert clock.now_ms() == 980_000 and not clock.halted
    clock.observe_source(1_000_000)  # the source says the estimate ran 70 s ahead: hold still, never go back
    assert clock.now_ms() == 980_000
    wall[0] += 75.0
    assert clock.now_ms() == 985_000
    clock.advance_frontier(10)
    assert clock.frontier_ms == 1_020_000
    with pytest.raises(RuntimeError):
        clock.set(0)


def test_only_final_well_formed_candles_enter_and_known_time_is_never_rewritten() -> None:
    rows = [[0, "1", "2", "0.5", "1.5", "10"], [60_000, "1", "0.9", "0.5", "1.5", "10"],  # high below close
            [90_000, "1", "2", "0.5", "1.5", "1"], [120_000, "x"], [180_000, "2", "3", "1", "2.5", "4"]]
    candles, bad = parse_rows("SOLUSDC", rows)
    assert [c[0] for c in candles] == [0, 180_000] and bad == 3
    empty = np.zeros(0)
    series = CandleSeries(MARKETS["SOLUSDC"], np.zeros(0, dtype=np.int64), empty, empty.copy(), empty.copy(),
                          empty.copy(), empty.copy())
    feed = SymbolFeed(series, known_until=240_000)
    settings = LiveSettings("http://x", 0, 1.0, 1000, 1200, 1.0, None)
    live = LiveFeed(settings, {"SOLUSDC": feed}, LiveClock(240_000, 0, 240_000))
    live.ingest(feed, [(180_000, 2, 3, 1, 2.5, 4), (240_000, 2, 3, 1, 2.5, 4)], 300_000)
    assert series.view()[0].tolist() == [240_000] and feed.late_dropped == 1 and feed.known_until == 300_000
    assert final_boundary(300_000 + CLOSE_GRACE_MS - 1) == 240_000 and final_boundary(302_000) == 300_000


def test_request_weight_is_budgeted_per_minute_and_retry_after_is_honoured() -> None:
    assert [klines_weight(n) for n in (99, 100, 499, 500, 1000, 1001)] == [1, 2, 2, 5, 5, 10]
    window = WeightWindow()
    window.charge(60.0, 1190)
    assert window.wait_s(61.0, 10, 1200) == 0.0
    assert window.wait_s(61.0, 11, 1200) == pytest.approx(59.5)
    window.report(62.0, 3000)  # the source counts other clients of the IP too
    assert window.wait_s(62.0, 1, 1200) > 0
    assert window.wait_s(121.0, 1, 1200) == 0.0  # a new minute
    window.blocked_until = 130.0  # a 429/418 with Retry-After
    assert window.wait_s(125.0, 1, 1200) == pytest.approx(5.0)
