"""Issue 6 end to end: Telegram answering 429s and then down for simulated minutes changes nothing in
trading, and the queued notifications arrive once it is back.

Two identical simulators replay the same candles side by side: one bot with Telegram off (the
fault-free baseline), one whose Telegram is rate limited and then refuses connections. Entries are
deterministic functions of the candles, so the two must place the same entry orders (same client
order ids, symbols and sides), including the ones made while Telegram was unreachable.
"""

from __future__ import annotations

import logging
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import pytest

from simulator.telegram import DEFAULT_TOKEN
from tests.support import eventually, require_shared_data
from tests.system.support import ask, running_bot, running_simulator, wait_ready
from tests.telegram.support import START, SYMBOLS, Operator, fake_telegram, overrides, telegram_bot

pytestmark = pytest.mark.system
MINUTE = 60_000


def _entries(sim: Any, before_ms: int) -> list[tuple[str, str, str, int]]:
    return sorted((o["clientOrderId"], o["symbol"], o["side"], int(o["updateTime"]))
                  for o in sim.state()["orders"]
                  if "-en-" in o["clientOrderId"] and o["status"] == "FILLED" and int(o["updateTime"]) < before_ms)


def _wait_sim(sim: Any, until_ms: int) -> None:
    eventually(lambda: sim.clock.now_ms() >= until_ms, timeout=30, interval=0.05)


def test_telegram_429s_and_outage_leave_trading_unchanged_and_queued_notifications_arrive(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    require_shared_data()
    caplog.set_level(logging.INFO)
    with ExitStack() as stack:
        sim_a = stack.enter_context(running_simulator(symbols=SYMBOLS, speed=60.0, start=START))
        sim_b = stack.enter_context(running_simulator(symbols=SYMBOLS, speed=60.0, start=START))
        fake = stack.enter_context(fake_telegram())
        baseline = stack.enter_context(running_bot(sim_a, tmp_path / "baseline"))  # no token: Telegram off
        bot = stack.enter_context(telegram_bot(sim_b, fake, tmp_path / "faulted",
                                               overrides({"messages_per_second": 1.0})))
        assert baseline.telegram is None
        wait_ready(baseline, len(SYMBOLS))
        wait_ready(bot, len(SYMBOLS))
        owner = Operator(fake)
        owner.wait_notification("Reconciliation done")

        # 1. every send answers 429 (retry_after 1 s) for 3 s, i.e. 3 simulated minutes
        fake.set_rate_limit(retry_after=1, seconds=3.0)
        asked_while_limited = owner.send("/balance")  # its reply meets the 429s and waits retry_after
        _wait_sim(sim_b, sim_b.clock.now_ms() + 3 * MINUTE)
        eventually(lambda: owner.replies(asked_while_limited), timeout=10, message="no reply after the 429s")
        # 2. down: connections refused for 7 s = 7 simulated minutes; back by itself
        down_from = sim_b.clock.now_ms()
        fake.set_down(True, mode="refuse", seconds=7.0)
        slowest_ping = 0.0
        while fake.down_mode is not None:
            started = time.monotonic()
            ask(bot, "notifier", "ping", timeout=0.5)  # the notifier keeps answering: sinks never block it
            ask(bot, "risk", "status", timeout=0.5)
            slowest_ping = max(slowest_ping, time.monotonic() - started)
            time.sleep(0.1)
        down_to = sim_b.clock.now_ms()
        assert down_to - down_from >= 6 * MINUTE
        assert slowest_ping < 0.5

        # 3. trading went on exactly as without faults
        _wait_sim(sim_b, down_to + MINUTE)
        cutoff = min(sim_a.clock.now_ms(), sim_b.clock.now_ms()) - MINUTE
        with_faults, without = _entries(sim_b, cutoff), _entries(sim_a, cutoff)
        assert [e[:3] for e in with_faults] == [e[:3] for e in without]
        while_down = [e for e in with_faults if down_from <= e[3] < down_to]
        assert while_down, f"no entry while Telegram was down ({with_faults})"

        # 4. the notifications queued during the outage arrive
        for _client_id, symbol, side, _at in with_faults:
            owner.wait_notification(rf"OPEN {'LONG' if side == 'BUY' else 'SHORT'} {symbol[:-4]}/USDC:USDC",
                                    timeout=20)
        stats = bot.telegram.stats()
        assert stats["rate_limited"] >= 1 and stats["retries"] >= 1
        assert fake.counters().get("status.429", 0) >= 1
        assert "/help" in owner.command("/help")  # commands work again too

    logged = "\n".join(r.getMessage() + (r.exc_text or "") for r in caplog.records)
    assert "telegram unreachable or failing" in logged and "rate limited (429)" in logged
    assert DEFAULT_TOKEN not in logged and DEFAULT_TOKEN.split(":")[1] not in logged
    assert logged.count("Telegram is off: no TELEGRAM_TOKEN configured") == 1  # the baseline says it once
