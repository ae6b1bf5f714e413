"""Issue 6 end to end: /pause survives a restart; notifications (daily summary on the bot's clock,
feed fallback after the outage threshold and its recovery, per-kind switches)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tests.support import eventually, require_shared_data
from tests.system.support import running_simulator, wait_ready
from tests.telegram.support import START, Operator, fake_telegram, overrides, risk_status, telegram_bot

pytestmark = pytest.mark.system
TWO = ["BTCUSDC", "ETHUSDC"]


def test_pause_survives_a_restart_and_risk_says_why(tmp_path: Path) -> None:
    require_shared_data()
    with running_simulator(symbols=TWO, speed=60.0, start=START) as sim, fake_telegram() as fake:
        owner = Operator(fake)
        with telegram_bot(sim, fake, tmp_path) as bot:
            wait_ready(bot, len(TWO))
            assert "New entries PAUSED" in owner.command("/pause maintenance window")
            assert risk_status(bot).paused
        with telegram_bot(sim, fake, tmp_path) as bot:  # a new process on the same data directory
            wait_ready(bot, len(TWO))
            status = risk_status(bot)
            assert status.paused and "paused by owner: maintenance window" in status.pause_reasons
            reply = owner.command("/risk")
            assert "Entries: PAUSED" in reply and "why: paused by owner: maintenance window" in reply
            assert "why paused: paused by owner: maintenance window" in owner.command("/status")
            assert owner.command("/resume") == "Entries RESUMED."
            assert not risk_status(bot).paused


def test_daily_summary_quarantine_feed_outage_reconciliation_and_switches(tmp_path: Path) -> None:
    """The bot's clock crosses 21:00 UTC: one daily summary with the day's numbers from SQLite. A symbol
    that keeps failing is quarantined: told. A market stream stall longer than ``feed_outage_notify_s``
    is reported, then its recovery. A position opened behind the bot's back is found by
    reconciliation: told, while its entry notice is switched off (in /logs, not sent)."""
    require_shared_data()
    settings = overrides({"daily_summary_hour_utc": 21, "feed_outage_notify_s": 1.0, "notify_entries": False},
                         chaos={"fail_symbols": ["XRP/USDC:USDC"]}, supervision={"max_restarts": 1},
                         orders={"cleanup_interval_s": 1.0})
    with running_simulator(symbols=[*TWO, "XRPUSDC"], speed=60.0, start="2025-05-05T20:58:30") as sim, \
            fake_telegram() as fake, telegram_bot(sim, fake, tmp_path, settings) as bot:
        owner = Operator(fake)
        wait_ready(bot, len(TWO))
        owner.wait_notification(r"symbol:XRP/USDC:USDC crashed: RuntimeError: chaos", timeout=15)
        owner.wait_notification(r"XRP/USDC:USDC QUARANTINED after 2 failures", timeout=15)
        text = owner.wait_notification(r"Daily summary to 05-05 21:00:00 UTC", timeout=15)
        boundary = 1746478800000  # 2025-05-05 21:00 UTC
        summary = bot.ctx.storage.summary(boundary - 86_400_000, boundary)
        assert f"Trades: {summary.total_trades}, " in text
        assert f"Realized PnL: {summary.realized_pnl:+.2f} USDC" in text
        assert "daily_summary: Daily summary" in owner.command("/logs 20")
        assert "Quarantined: XRP/USDC:USDC (RuntimeError: chaos" in owner.command("/health")
        sim.external_order("BTCUSDC", "BUY", "0.002")
        owner.wait_notification(r"Reconciliation findings: adopted: BTC/USDC:USDC", timeout=15)
        eventually(lambda: "entry: OPEN LONG BTC/USDC:USDC (adopted)" in owner.command("/logs 5"))
        # a stall of the market streams: REST takes over (after stale_after_s), reported after 1 s more
        sim.stall_market(True)
        for symbol in ("BTC", "ETH"):
            owner.wait_notification(rf"{symbol}/USDC:USDC: market stream silent, REST polling took over", timeout=20)
        assert "REST fallback" in owner.command("/status")
        sim.stall_market(False)
        for symbol in ("BTC", "ETH"):
            owner.wait_notification(rf"{symbol}/USDC:USDC: market stream back after \d+s", timeout=30)
        # switched off: no entry notice was sent, though entries are in the event log
        assert not [t for t in owner.notifications() if "OPEN " in t]
        assert len([t for t in owner.notifications() if re.search(r"Daily summary", t)]) == 1
        eventually(lambda: not risk_status(bot).paused)
