"""FeedCore: exactly-once, in-order delivery of closed candles through duplicates, gaps and stalls."""

from __future__ import annotations

from core.feed import BecameStale, Deliver, FeedCore, Recovered, RequestCandles
from messages.market import Candle

M = 60_000
SYM = "BTC/USDC:USDC"


def candle(index: int) -> Candle:
    return Candle(open_time=index * M, close_time=(index + 1) * M, open=1.0, high=2.0, low=0.5, close=1.5,
                  volume=1.0)


def delivered(actions: list) -> list[int]:
    return [a.candle.open_time // M for a in actions if isinstance(a, Deliver)]


def make(last: int = 9) -> FeedCore:
    core = FeedCore(interval_ms=M, stale_after_ms=5_000, poll_interval_ms=2_000)
    core.add_symbol(SYM, last * M, now_mono_ms=0)
    return core


def test_next_candle_is_delivered_and_duplicates_or_old_ones_dropped() -> None:
    core = make()
    assert delivered(core.on_closed(SYM, candle(10), "ws")) == [10]
    assert core.on_closed(SYM, candle(10), "ws") == []
    assert core.on_closed(SYM, candle(8), "ws") == []
    assert core.duplicates_dropped == 2


def test_a_gap_holds_the_candle_backfills_and_delivers_in_order() -> None:
    core = make()
    actions = core.on_closed(SYM, candle(13), "ws")
    assert actions == [RequestCandles(SYM, 10 * M)]
    assert core.on_closed(SYM, candle(14), "ws") == []  # still waiting for the backfill: held, no new request
    out = core.on_rest_candles(SYM, [candle(10), candle(11), candle(12), candle(13)], now_ms=14 * M)
    assert delivered(out) == [10, 11, 12, 13, 14]
    assert delivered(core.on_closed(SYM, candle(15), "ws")) == [15]


def test_rest_never_delivers_a_candle_that_has_not_closed() -> None:
    core = make()
    out = core.on_rest_candles(SYM, [candle(10), candle(11)], now_ms=11 * M + 30_000)
    assert delivered(out) == [10]


def test_silent_stream_goes_stale_polls_rest_and_recovers_with_a_backfill() -> None:
    core = make()
    assert core.check(4_999) == []
    actions = core.check(5_000)
    assert actions[0] == BecameStale(SYM, 5_000) and actions[1] == RequestCandles(SYM, 10 * M)
    assert core.is_stale(SYM)
    assert core.check(6_000) == []  # a poll is in flight
    assert delivered(core.on_rest_candles(SYM, [candle(10)], now_ms=11 * M)) == [10]
    assert core.check(6_500) == []  # poll interval not yet elapsed
    assert core.check(7_000) == [RequestCandles(SYM, 11 * M)]
    core.on_rest_failed(SYM)
    actions = core.on_frame(SYM, 9_000)
    assert actions == [Recovered(SYM, 4_000), RequestCandles(SYM, 11 * M)]
    assert not core.is_stale(SYM)


def test_rest_only_mode_is_stale_from_the_start_and_never_recovers() -> None:
    core = FeedCore(interval_ms=M, stale_after_ms=5_000, poll_interval_ms=2_000, rest_only=True)
    core.add_symbol(SYM, 9 * M, now_mono_ms=0)
    assert core.is_stale(SYM)
    assert core.check(2_000) == [RequestCandles(SYM, 10 * M)]
    assert core.on_frame(SYM, 2_500) == []
