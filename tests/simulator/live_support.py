"""Helpers shared by the paper-mode tests: B (the paper simulator) compared with A (its source)."""

from __future__ import annotations

from typing import Any

import requests

from simulator import SimulatorHandle
from simulator.candles import MINUTE_MS
from simulator.live.feed import CLOSE_GRACE_MS


def klines(handle: SimulatorHandle, symbol: str, **params: Any) -> list[list[Any]]:
    """``GET /fapi/v1/klines`` (1m) of any simulator, as the wire rows."""
    query = {"symbol": symbol, "interval": "1m", **params}
    response = requests.get(f"{handle.rest_url}/fapi/v1/klines", params=query, timeout=10)
    response.raise_for_status()
    return response.json()


def assert_nothing_ahead_of(paper_sim: SimulatorHandle, source: SimulatorHandle) -> None:
    """What B holds and serves (even its forming candle) is a candle A has already closed."""
    held = {s: paper_sim._server.series[s].end_ms for s in paper_sim.symbols}  # read-only peek across threads
    served = {s: klines(paper_sim, s, limit=3) for s in paper_sim.symbols}
    closed_at_source = source.clock.now_ms()  # read last: A's clock only moves forward
    for symbol in paper_sim.symbols:
        assert held[symbol] <= closed_at_source - CLOSE_GRACE_MS, symbol
        assert all(row[0] + MINUTE_MS <= closed_at_source for row in served[symbol]), symbol
    assert paper_sim.clock.now_ms() <= paper_sim.clock.frontier_ms


def assert_same_candles(paper_sim: SimulatorHandle, source: SimulatorHandle, symbol: str, fields: int = 12) -> int:
    """B's closed klines equal A's for the same open times, field for field of the wire row; returns how
    many. ``fields=7`` (open time to close time) when A's data has more decimals than the tick: the
    derived volumes of the later fields are then computed from A's unrounded floats."""
    ours = [row for row in klines(paper_sim, symbol, limit=1500) if row[6] < paper_sim.clock.now_ms()]
    theirs = klines(source, symbol, startTime=ours[0][0], endTime=ours[-1][0], limit=1500)
    assert [row[:fields] for row in ours] == [row[:fields] for row in theirs]
    return len(ours)
