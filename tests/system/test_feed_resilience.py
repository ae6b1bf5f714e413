"""Issue 4: whatever the market WebSocket does, every closed candle reaches its SymbolActor exactly
once, in order, with the values of the data file; REST takes over within the stale timeout and the
WebSocket comes back."""

from __future__ import annotations

import csv
import gzip
import itertools
from pathlib import Path

import pytest

from tests.support import KLINES_DIR, eventually, require_shared_data
from tests.system.support import ask, running_bot, running_simulator, wait_ready

pytestmark = pytest.mark.system
SYMBOLS = {"BTC/USDC:USDC": "BTCUSDT", "ETH/USDC:USDC": "ETHUSDT"}


def data_file_candles(base_file: str) -> dict[int, tuple[float, ...]]:
    with gzip.open(KLINES_DIR / f"{base_file}-1m.csv.gz", "rt") as handle:
        reader = csv.reader(handle)
        next(reader)
        return {int(row[0]): tuple(float(x) for x in row[1:6]) for row in reader}


def received(bot, symbol: str) -> int:
    return ask(bot, f"symbol:{symbol}", "received_since_start")


def feed_state(bot) -> dict[str, str]:
    return bot.ctx.health.get("feed.state", {})


def wait_candles(bot, count: int, timeout: float = 30.0) -> None:
    targets = {s: received(bot, s) + count for s in SYMBOLS}
    eventually(lambda: all(received(bot, s) >= n for s, n in targets.items()), timeout,
               message=lambda: f"{count} more candles did not arrive: {targets} vs "
                               f"{ {s: received(bot, s) for s in SYMBOLS} }, health {bot.ctx.health.snapshot()}")


def test_every_closed_candle_arrives_exactly_once_through_drops_stalls_and_garbage(tmp_path: Path) -> None:
    require_shared_data()
    overrides = {"exchange": {"stale_after_s": 2.0, "rest_poll_interval_s": 0.5}}
    with running_simulator(symbols=["BTCUSDC", "ETHUSDC"], speed=30.0) as sim, \
            running_bot(sim, tmp_path, overrides) as bot:
        wait_ready(bot, 2)
        wait_candles(bot, 2)
        # malformed, duplicate and out-of-order kline frames
        sim.set_faults(kline_malformed_rate=0.3, kline_duplicate_rate=0.3, kline_out_of_order_rate=0.3)
        wait_candles(bot, 5)
        sim.set_faults(kline_malformed_rate=0.0, kline_duplicate_rate=0.0, kline_out_of_order_rate=0.0)
        assert bot.ctx.health.counter("feed.malformed_frames") > 0
        # every connection dropped
        assert sim.drop_websockets() >= 1
        wait_candles(bot, 3)
        # a silent stall: sockets open, no frames — REST must take over within the stale timeout
        delivered_by_rest = bot.ctx.health.counter("feed.delivered.rest")
        sim.stall_market(True)
        eventually(lambda: set(feed_state(bot).values()) == {"rest"}, timeout=2.0 + 3.0,
                   message="REST did not take over within the stale timeout")
        wait_candles(bot, 3)
        assert bot.ctx.health.counter("feed.delivered.rest") >= delivered_by_rest + 3
        sim.stall_market(False)
        eventually(lambda: set(feed_state(bot).values()) == {"ws"}, timeout=15.0,
                   message="the WebSocket did not come back")
        wait_candles(bot, 3)
        for symbol, base_file in SYMBOLS.items():
            truth = data_file_candles(base_file)
            candles = ask(bot, f"symbol:{symbol}", "candles")
            open_times = [c[0] for c in candles]
            assert all(b - a == 60_000 for a, b in itertools.pairwise(open_times)), symbol
            assert ask(bot, f"symbol:{symbol}", "duplicates") == 0
            for open_time, *values in candles:
                assert tuple(values) == pytest.approx(truth[open_time]), (symbol, open_time)
            now = sim.clock.now_ms()
            assert open_times[-1] + 60_000 >= now - 3 * 60_000  # nothing missed up to (almost) now
        assert feed_state(bot) and bot.ctx.health.counter("feed.stale") >= 2


def test_feed_rest_runs_without_market_websockets(tmp_path: Path) -> None:
    require_shared_data()
    overrides = {"exchange": {"feed": "rest", "rest_poll_interval_s": 0.3}}
    with running_simulator(symbols=["BTCUSDC", "ETHUSDC"], speed=30.0) as sim, \
            running_bot(sim, tmp_path, overrides) as bot:
        wait_ready(bot, 2)
        wait_candles(bot, 3)
        assert set(feed_state(bot).values()) == {"rest"}
        assert bot.ctx.health.counter("feed.delivered.ws") == 0
        assert bot.ctx.health.get("feed.connections") == 0
        assert sim.state()["server"]["ws_connections"] == 1  # the user-data stream only
        for symbol in SYMBOLS:
            open_times = [c[0] for c in ask(bot, f"symbol:{symbol}", "candles")]
            assert all(b - a == 60_000 for a, b in itertools.pairwise(open_times)), symbol
