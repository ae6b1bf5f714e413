"""Paper mode, whole system: simulator A replays the real candles of ``../shared`` and plays Binance;
the paper exchange B (``service.paper.start_paper_simulator``) is fed live from A over HTTP; the real
bot (ccxt, websockets, actors) warms up and trades on B. A must only ever see public market-data GETs."""

from __future__ import annotations

import statistics
from pathlib import Path
from typing import Any

import pytest
import requests

from messages.risk import EntryApproved
from service import paper as paper_module
from service.bot import Bot, StartupError
from service.paper import choose_symbols, paper_source_url, start_paper_simulator
from simulator.candles import MINUTE_MS
from simulator.live import SourceMarket
from simulator.loader import load_directory
from tests.simulator.live_support import assert_nothing_ahead_of, assert_same_candles, klines
from tests.support import KLINES_DIR, eventually, free_port, require_shared_data
from tests.system.support import ask, running_simulator, settings_for, wait_ready

pytestmark = pytest.mark.system
SYMBOLS = ["BNBUSDC", "BTCUSDC", "ETHUSDC", "SOLUSDC"]
SPEED = 60.0


def _protected_entry(state: dict[str, Any], symbol: str) -> dict[str, Any] | None:
    """The filled entry on ``symbol`` and its stop-loss (closePosition STOP_MARKET) on the exchange."""
    for entry in state["orders"]:
        if entry["symbol"] != symbol or "-en-" not in entry["clientOrderId"] or entry["status"] != "FILLED":
            continue
        stops = [a for a in state["algo_orders"] if a["symbol"] == symbol and a["orderType"] == "STOP_MARKET"
                 and int(a["createTime"]) >= int(entry["updateTime"])]
        if stops:
            return {"entry": entry, "stop": stops[0]}
    return None


def test_the_bot_dry_runs_on_live_data_and_the_source_never_sees_an_order(tmp_path: Path) -> None:
    require_shared_data()
    series = load_directory(KLINES_DIR, SYMBOLS).series
    start = min(s.first_ms for s in series.values()) + 1500 * MINUTE_MS  # a day of history for B
    # Entries are injected (an approved entry handed to the real OrderActor), so what is tested does
    # not hang on where the strategy, tuned elsewhere, happens to fire on this data.
    overrides = {"exchange": {"mode": "paper"}, "demo": {"start_balance": 400.0},
                 "control": {"paused": True, "pause_reason": "entries injected by the test"},
                 "symbols": {"whitelist": [f"{s[:-4]}/USDC:USDC" for s in SYMBOLS], "min_quote_volume_24h": 0,
                             "atr_pct_min": 0.0, "atr_pct_max": 100}}
    settings = settings_for(tmp_path, overrides)
    with running_simulator(data_dir=None, series=series, speed=SPEED, start=start) as source:
        paper = start_paper_simulator(settings, source.rest_url, overrides={"speed": SPEED, "live_poll_s": 0.05})
        try:
            assert paper.symbols == SYMBOLS
            bot = Bot(settings, exchange_url=paper.rest_url, ws_url=paper.ws_url, clock=paper.clock,
                      simulator_overrides={"speed": SPEED})
            bot.start()
            try:
                wait_ready(bot, len(SYMBOLS))
                lags: list[int] = []

                def live_candles_reached_the_bot() -> bool:
                    assert_nothing_ahead_of(paper, source)  # (b), sampled all along the run
                    lags.append(-paper.clock.now_ms() + source.clock.now_ms())  # B first: a pause between can only add
                    # Both: candles fed live into B after it started, and candles that reached the bot (the
                    # first ones the bot gets may still come from the history B loaded at start).
                    added = paper.state()["server"]["live"]["symbols"]
                    return all(added[s]["added"] >= 3 for s in SYMBOLS) and all(
                        ask(bot, f"symbol:{s[:-4]}/USDC:USDC", "received_since_start") >= 3 for s in SYMBOLS)

                eventually(live_candles_reached_the_bot, timeout=30, interval=0.05,
                           message="the bot never received candles fed live into B")
                price = float(klines(paper, "BNBUSDC", limit=1)[0][4])
                now = paper.clock.now_ms()
                bot.ctx.directory.tell("order", EntryApproved(
                    ts_event=now, ts_init=now, correlation_id="BNB-P1", symbol="BNB/USDC:USDC", side="long",
                    reference_price=price, stop_price=price * 0.98,
                    take_profit_prices=(price * 1.004, price * 1.008, price * 1.012), leverage=5, risk_amount=4.0,
                    sizing_balance=400.0, available_balance=400.0))

                def protected() -> dict[str, Any] | None:
                    assert_nothing_ahead_of(paper, source)
                    lags.append(-paper.clock.now_ms() + source.clock.now_ms())
                    return _protected_entry(paper.state(), "BNBUSDC")

                found = eventually(protected, timeout=15, interval=0.05, message="no protected entry on B")
                # the bot's own book knows the position, with the stop it placed on B
                book = eventually(lambda: [p for p in ask(bot, "order", "positions") if p["symbol"] == "BNB/USDC:USDC"
                                           and p["stop"]], timeout=10, message="the bot's book lacks the position")
                assert book[0]["side"] == "long" and book[0]["stop"] == pytest.approx(price * 0.98, rel=0.002)
            finally:
                bot.stop()
            assert found["stop"]["closePosition"] in (True, "true")
            assert float(found["stop"]["triggerPrice"]) == pytest.approx(price * 0.98, rel=0.002)
            # the dry run trades the source's market 90 s (of the source's time) behind it
            assert min(lags) >= 88_000 and statistics.median(lags) == pytest.approx(90_000, abs=3000)
            # (a) every candle B served equals A's, field for field
            for symbol in SYMBOLS:
                assert assert_same_candles(paper, source, symbol) >= 1000
            assert_nothing_ahead_of(paper, source)
            # (c) the source got no order, no algo order, no listenKey: only public GETs
            seen = source.state()
            assert seen["orders"] == [] and seen["algo_orders"] == [] and seen["fills"] == []
            assert seen["positions"] == {} and seen["server"]["listen_keys"] == {}
            assert paper.state()["server"]["live"]["halted"] is False
        finally:
            paper.stop()


def test_without_a_whitelist_the_paper_symbols_are_the_sources_top_usdc_perpetuals(tmp_path: Path) -> None:
    require_shared_data()
    settings = settings_for(tmp_path, {"exchange": {"mode": "paper"}, "demo": {"start_balance": 250.0},
                                       "symbols": {"max_symbols": 3, "blacklist": ["BTC/USDC:USDC"]}})
    series = load_directory(KLINES_DIR, synthesize_markets=True).series
    start = min(s.first_ms for s in series.values()) + 1100 * MINUTE_MS
    with running_simulator(data_dir=None, series=series, stepped=True, start=start) as source:
        volumes = {t["symbol"]: float(t["quoteVolume"]) for t in
                   requests.get(f"{source.rest_url}/fapi/v1/ticker/24hr", timeout=10).json()}
        expected = sorted(sorted((s for s in volumes if s != "BTCUSDC"), key=lambda s: -volumes[s])[:3])
        paper = start_paper_simulator(settings, source.rest_url, overrides={"live_poll_s": 0.05})
        try:
            assert paper.symbols == expected
            assert paper.state()["wallet_balance"] == "250.00000000"
            assert len(klines(paper, expected[0], limit=1000, endTime=paper.clock.now_ms() - MINUTE_MS)) == 1000
        finally:
            paper.stop()


def test_symbol_choice_follows_the_whitelist_blacklist_and_cap(tmp_path: Path) -> None:
    markets = [SourceMarket(s, v) for s, v in (("BTCUSDC", 9e9), ("ETHUSDC", 5e9), ("1000PEPEUSDC", 4e9),
                                                ("SOLUSDC", 3e9), ("XRPUSDC", 1e9))]
    choose = lambda **symbols: choose_symbols(settings_for(tmp_path, {"symbols": symbols}), markets)  # noqa: E731
    assert choose(max_symbols=3) == ["BTCUSDC", "ETHUSDC", "SOLUSDC"]  # odd 1000PEPE left out
    assert choose(max_symbols=3, exclude_odd_symbols=False) == ["BTCUSDC", "ETHUSDC", "1000PEPEUSDC"]
    assert choose(max_symbols=2, blacklist=["ETH/USDC:USDC"]) == ["BTCUSDC", "SOLUSDC"]
    assert choose(whitelist=["XRP/USDC:USDC", "1000PEPE/USDC:USDC", "DOGE/USDC:USDC"]) == ["1000PEPEUSDC", "XRPUSDC"]
    assert paper_source_url(settings_for(tmp_path)) == "https://fapi.binance.com"
    assert paper_source_url(settings_for(tmp_path, {"exchange": {"rest_url": "http://127.0.0.1:9/"}})) == \
        "http://127.0.0.1:9"


def test_an_unreachable_source_is_retried_then_refused_with_its_address(tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(paper_module, "FIRST_RETRY_S", 0.01)
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(StartupError, match=f"source {url} failed {paper_module.START_ATTEMPTS} times"):
        start_paper_simulator(settings_for(tmp_path, {"exchange": {"mode": "paper"}}), url)
