"""Issue 6 end to end: every command through the real pyTelegramBotAPI, the fake Bot API and the bot in
demo mode against the simulator; replies are checked against the simulator's state and SQLite.

One bot serves the whole module (starting one costs seconds of the CI budget); tests that change
state come last: /aggression and /pause put things back, /close and /panic run at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from config.profiles import PROFILES
from simulator.telegram import DEFAULT_TOKEN, FakeTelegram
from telegram_bot.commands import COMMANDS
from tests.support import eventually, require_shared_data
from tests.system.support import actor_alive, ask, running_simulator, wait_ready
from tests.telegram.support import (
    OWNER,
    SECOND,
    START,
    STRANGER,
    SYMBOLS,
    Operator,
    fake_telegram,
    open_positions,
    risk_status,
    telegram_bot,
    value,
)

pytestmark = pytest.mark.system


class World:
    def __init__(self, sim: Any, fake: FakeTelegram, bot: Any, data: Path) -> None:
        self.sim, self.fake, self.bot, self.data = sim, fake, bot, data
        self.owner = Operator(fake, OWNER)

    @property
    def storage(self) -> Any:
        return self.bot.ctx.storage

    def runtime_file(self) -> dict[str, Any]:
        path = self.data / "var" / "runtime.json"
        return json.loads(path.read_text()) if path.exists() else {}


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    require_shared_data()
    data = tmp_path_factory.mktemp("telegram-commands")
    with running_simulator(symbols=SYMBOLS, speed=60.0, start=START) as sim, fake_telegram() as fake, \
            telegram_bot(sim, fake, data) as bot:
        wait_ready(bot, len(SYMBOLS))
        yield World(sim, fake, bot, data)


def _until_position(world: World) -> dict[str, Any]:
    return eventually(lambda: open_positions(world.sim) and ask(world.bot, "order", "positions") and
                      open_positions(world.sim), timeout=40, message="no position was opened")


def test_help_lists_every_command_and_they_are_registered(world: World) -> None:
    reply = world.owner.command("/help")
    for spec in COMMANDS:
        assert f"/{spec.name}" in reply
    registered = eventually(world.fake.commands, message="setMyCommands never called")
    assert [c["command"] for c in registered] == [s.name for s in COMMANDS]


def test_positions_list_exactly_the_simulators_positions_with_their_stops(world: World) -> None:
    _until_position(world)

    def matches() -> bool:
        before = world.sim.state()
        reply = world.owner.command("/positions")
        after = world.sim.state()
        for state in (before, after):
            open_ = {s: p for s, p in state["positions"].items() if float(p["amount"]) != 0}
            shown = re.findall(r"^(\S+)/USDC:USDC (LONG|SHORT) (\S+) @ (\S+)$", reply, re.M)
            if {base + "USDC" for base, *_ in shown} != set(open_):
                continue
            for base, side, size, entry in shown:
                position = open_[base + "USDC"]
                assert (float(position["amount"]) > 0) == (side == "LONG")
                assert float(size) == abs(float(position["amount"]))
                assert float(entry) == pytest.approx(float(position["entry"]), rel=1e-9)
                block = reply.split(f"{base}/USDC:USDC {side}")[1]
                stop = float(value(r"stop (\S+),", block))
                stops = [float(a["triggerPrice"]) for a in state["open_algo_orders"]
                         if a["symbol"] == base + "USDC" and a["orderType"] == "STOP_MARKET"]
                assert stop in stops, (stop, stops)
                assert re.search(r"mark \S+, unrealized PnL [+-]\d+\.\d\d USDC", block)
                assert re.search(r"age \d+m\d\ds", block)
            return True
        return False

    eventually(matches, timeout=20, interval=0.2, message="/positions never matched the simulator")


def test_balance_equals_the_simulators_wallet(world: World) -> None:
    def matches() -> bool:
        before = world.sim.state()
        reply = world.owner.command("/balance")
        after = world.sim.state()
        wallet, available = value(r"^Wallet: (\S+) USDC", reply), value(r"^Available: (\S+) USDC", reply)
        return any(wallet == f"{float(s['wallet_balance']):.2f}" and available == f"{float(s['available_balance']):.2f}"
                   for s in (before, after))

    eventually(matches, timeout=20, interval=0.2, message="/balance never matched the simulator's wallet")


def test_status_shows_mode_balance_positions_signals_feed_pause_and_reconciliation(world: World) -> None:
    def matches() -> bool:
        reply = world.owner.command("/status")
        state = world.sim.state()
        assert "Status: entries ACTIVE" in reply and "Mode demo, profile balanced" in reply
        assert value(r"wallet (\S+),", reply) == f"{float(state['wallet_balance']):.2f}"
        limit = PROFILES["balanced"]["risk"]["max_concurrent_positions"]
        assert int(value(rf"^Positions: (\d+) of {limit}", reply)) == len(open_positions(world.sim))
        assert "Reconciliation: done" in reply
        for symbol in SYMBOLS:
            assert re.search(rf"{symbol[:-4]}/USDC:USDC: (WebSocket|REST fallback)", reply)
        signals = world.storage.signals()
        assert signals, "the bot has recorded no signal yet"
        last = signals[-1]
        assert f"{last.symbol} {last.side.value.upper()}" in reply.split("Last signals:")[1]
        return True

    eventually(matches, timeout=20, interval=0.2, message="/status never matched")


def test_close_symbol_closes_one_position_after_confirmation(world: World) -> None:
    positions = _until_position(world)
    symbol = sorted(positions)[0]
    base = symbol[:-4]
    question = world.owner.command_message(f"/close {base.lower()}/usdc:usdc")
    assert f"Close {base}/USDC:USDC" in (question.content or "")
    world.fake.press_button(OWNER, question.message_id, text=f"Close {base}")
    eventually(lambda: symbol not in open_positions(world.sim), timeout=15, message=f"{symbol} was not closed")
    world.owner.wait_notification(rf"CLOSED \S+ {base}/USDC:USDC by manual: exit \S+, PnL [+-]\d+\.\d\d USDC")
    trade = eventually(lambda: next((t for t in world.storage.trades(symbol=f"{base}/USDC:USDC")
                                     if t.exit_reason == "manual"), None))
    assert trade.realized_pnl is not None
    confirmation = world.fake.message(OWNER, question.message_id)
    assert confirmation is not None and "Confirmed by user 42" in confirmation["text"]
    # pressing the (now removed) confirmation again does nothing: the token was single use
    closes = len([t for t in world.storage.trades() if t.exit_reason == "manual"])
    world.fake.press_button(OWNER, question.message_id, data=question.button_data()[0], check=False)
    answer = eventually(lambda: [a for a in world.fake.callback_answers()
                                 if "no longer valid" in (a.text or "").lower()])
    assert answer and "Confirmed by user 42" in world.fake.message(OWNER, question.message_id)["text"]
    assert len([t for t in world.storage.trades() if t.exit_reason == "manual"]) == closes


def test_summary_and_performance_equal_the_database(world: World) -> None:
    eventually(lambda: world.storage.summary().total_trades >= 1, timeout=40, message="no trade closed")

    def summary_matches() -> bool:
        reply = world.owner.command("/summary")
        s = world.storage.summary()
        assert int(value(r"^Trades: (\d+)", reply)) == s.total_trades
        assert value(r"^Win rate: (\S+)", reply) == f"{s.win_rate * 100:.1f}%"
        assert value(r"^Realized PnL: (\S+) USDC", reply) == f"{s.realized_pnl:+.2f}"
        assert value(r"^Fees: (\S+) USDC", reply) == f"{s.fees:.2f}"
        assert value(r"^Best: (.+) USDC", reply).startswith(f"{s.best_trade.symbol} {s.best_trade.side.value}")
        assert value(r"^Best: \S+ \S+ (\S+) USDC", reply) == f"{s.best_trade.realized_pnl:+.2f}"
        assert value(r"^Worst: \S+ \S+ (\S+) USDC", reply) == f"{s.worst_trade.realized_pnl:+.2f}"
        return True

    eventually(summary_matches, timeout=20, interval=0.2, message="/summary never matched storage.summary()")

    def performance_matches() -> bool:
        reply = world.owner.command("/performance")
        p = world.storage.performance()
        assert int(value(r"^Performance of (\d+) closed trades", reply)) == p.trades
        assert int(value(r"^Stop-loss streak: (\d+)", reply)) == p.stop_loss_streak
        for bucket in (*p.by_symbol, *p.by_exit_reason, *p.by_day[-7:], *p.by_hour[-12:]):
            assert f"  {bucket.key}: {bucket.trades} trades, {bucket.pnl:+.2f} USDC" in reply
        return True

    eventually(performance_matches, timeout=20, interval=0.2, message="/performance never matched")


def test_risk_reports_limits_streak_and_pause_from_risk_status(world: World) -> None:
    def matches() -> bool:
        reply = world.owner.command("/risk")
        status = risk_status(world.bot)
        assert ("Entries: PAUSED" if status.paused else "Entries: ACTIVE") in reply
        assert f"Positions: {status.open_positions} of {status.max_concurrent_positions}" in reply
        assert f"Stop-loss streak: {status.stop_loss_streak} of {status.stop_loss_streak_limit}" in reply
        assert f"against the limit -{status.daily_loss_limit_pct:g}%" in reply
        assert f"Day start equity: {status.day_start_equity:.2f}" in reply
        assert "Reconciled: yes" in reply
        return True

    eventually(matches, timeout=20, interval=0.2, message="/risk never matched RiskStatus")


def test_config_shows_the_parameters_and_never_a_secret(world: World) -> None:
    reply = world.owner.command("/config")
    settings = world.bot.ctx.settings
    assert "Profile: balanced" in reply
    assert f"stop_loss_pct = {settings.orders.stop_loss_pct}" in reply
    assert f"risk_per_trade_pct = {settings.risk.risk_per_trade_pct}" in reply
    assert f"ema_fast = {settings.strategy.ema_fast}" in reply
    for secret in (DEFAULT_TOKEN, DEFAULT_TOKEN.split(":")[1], "simulatorApiSecret"):
        assert secret not in reply
    handle = world.bot.telegram
    for thing in (handle, handle.control, handle.sender, handle.sink, handle.view, world.bot.settings):
        assert DEFAULT_TOKEN.split(":")[1] not in repr(thing)


def test_logs_shows_the_last_n_important_events(world: World) -> None:
    def matches() -> bool:
        reply = world.owner.command("/logs 3")
        events = world.storage.recent_events(3)
        assert [line.split(": ", 1)[1] for line in reply.splitlines()[1:]] == [e.message for e in events]
        return True

    eventually(matches, timeout=20, interval=0.2, message="/logs 3 never matched recent_events(3)")


def test_health_reports_actors_restarts_quarantine_exchange_and_candles(world: World) -> None:
    reply = world.owner.command("/health")
    names = world.bot.ctx.directory.names()
    assert f"Actors: {len(names)} of {len(names)} alive" in reply
    assert "Quarantined: none" in reply
    assert re.search(r"Exchange: latency p50 \d+ ms, p99 \d+ ms, \d+ calls", reply)
    assert re.search(r"Request weight: \d+ of 2400 this minute", reply)
    for symbol in SYMBOLS:
        assert re.search(rf"{symbol[:-4]}/USDC:USDC: \d+m\d\ds ago", reply)


def test_chart_is_a_png_of_the_equity_curve(world: World) -> None:
    eventually(world.storage.equity_curve, timeout=20, message="no equity snapshot yet")
    record = world.owner.command_message("/chart")
    assert record.method == "sendPhoto" and record.photo is not None
    assert record.photo.startswith(b"\x89PNG\r\n\x1a\n") and len(record.photo) > 5000
    points = int(value(r"Equity curve: (\d+) points", record.caption or ""))
    assert 1 <= points <= len(world.storage.equity_curve())


def test_aggression_switches_the_profile_at_run_time_and_persists_it(world: World) -> None:
    assert "Profile: balanced" in world.owner.command("/aggression")
    reply = world.owner.command("/aggression conservative")
    assert "Profile switched to conservative" in reply
    assert world.runtime_file()["profile"] == "conservative"
    expected = PROFILES["conservative"]["risk"]["max_concurrent_positions"]
    assert risk_status(world.bot).max_concurrent_positions == expected  # the RiskActor applied the new settings
    assert "Profile: conservative" in world.owner.command("/config")
    assert "Profile switched to balanced" in world.owner.command("/aggression BALANCED")
    assert world.runtime_file()["profile"] == "balanced"
    assert risk_status(world.bot).max_concurrent_positions == PROFILES["balanced"]["risk"]["max_concurrent_positions"]


def test_pause_and_resume_change_entries_and_are_persisted(world: World) -> None:
    reply = world.owner.command("/pause lunch   break\t!")
    assert "New entries PAUSED" in reply and "lunch break !" in reply
    assert risk_status(world.bot).paused
    assert world.runtime_file()["control"] == {"paused": True, "pause_reason": "lunch break !"}
    assert "paused by owner: lunch break !" in world.owner.command("/risk")
    world.owner.wait_notification(r"Entries PAUSED \(telegram:42\): lunch break !")
    assert world.owner.command("/resume") == "Entries RESUMED."
    assert not risk_status(world.bot).paused
    assert world.runtime_file()["control"]["paused"] is False
    world.owner.wait_notification(r"Entries RESUMED")


HOSTILE = {
    "/close": "Usage: /close SYMBOL",
    "/close ;DROP TABLE trades;--": "Usage: /close SYMBOL",
    "/close ;DROP": "Not a USDC perpetual symbol",
    "/close BTCUSDT": "Not a USDC perpetual symbol",
    "/close ../../etc/passwd": "Not a USDC perpetual symbol",
    "/logs -5": "n must be a whole number from 1 to 50",
    "/logs 99999999999": "n must be a whole number from 1 to 50",
    "/logs 0": "n must be a whole number from 1 to 50",
    "/logs five": "n must be a whole number from 1 to 50",
    "/aggression yolo": "Unknown profile",
    "/aggression balanced aggressive": "Unknown profile",
    "/status now please": "/status takes no arguments",
    "/stätus": "Unknown command",
    "/💥🔥\u202e\u200b": "Unknown command",
    "/panic@someone_else_bot": None,  # addressed to another bot: ignored
    "/" + "x" * 600: "too long",
    "/status " + "A" * 5000: "too long",
    "Ω≈ç√∫ \U0001F600 " * 200: "Send /help",
}


def test_hostile_and_malformed_commands_get_usage_replies_and_the_bot_stays_up(world: World) -> None:
    trades_before = len(world.storage.trades())
    for text, expected in HOSTILE.items():
        if expected is None:
            continue
        reply = world.owner.command(text)
        assert expected in reply, (text, reply)
        assert "Traceback" not in reply and len(reply) < 300
    ignored = world.owner.send("/panic@someone_else_bot")
    assert "/help" in world.owner.command("/help")  # handled after the ignored one: nothing came for it
    assert world.owner.replies(ignored) == []
    assert not risk_status(world.bot).paused
    assert len(world.storage.trades()) >= trades_before  # the database is intact
    assert all(actor_alive(world.bot, name) for name in ("risk", "order", "exchange", "notifier", "telegram"))


def test_strangers_get_nothing_and_change_nothing(world: World) -> None:
    stranger = Operator(world.fake, STRANGER)
    in_owner_chat = Operator(world.fake, STRANGER, chat=OWNER)  # e.g. a group member who is not allowed
    tries = ("/status", "/balance", "/pause", "/panic", "/aggression aggressive")
    probes = [(stranger, stranger.send(t)) for t in tries]
    probes += [(in_owner_chat, in_owner_chat.send(t)) for t in ("/pause", "/positions")]
    # the owner asks for /panic; the stranger presses its Confirm button
    question = world.owner.command_message("/panic")
    assert question.button_texts() == ["Confirm PANIC", "Cancel"]
    pressed = world.fake.press_button(OWNER, question.message_id, text="Confirm PANIC", user_id=STRANGER)
    assert "/help" in world.owner.command("/help")  # every update before it has been handled
    assert world.fake.sent_messages(STRANGER) == []
    assert all(who.replies(message_id) == [] for who, message_id in probes)
    assert [a for a in world.fake.callback_answers() if a.callback_query_id == pressed["id"]] == []
    assert not risk_status(world.bot).paused and world.runtime_file().get("profile", "balanced") == "balanced"
    assert world.bot.ctx.settings.profile == "balanced"
    assert world.bot.telegram.control.refused >= len(probes) + 1
    assert int(value(r"(\d+) refused \(not allowed\)", world.owner.command("/health"))) >= len(probes) + 1
    # the owner's confirmation is still valid and can be cancelled
    world.fake.press_button(OWNER, question.message_id, text="Cancel", user_id=OWNER)
    edited = eventually(lambda: (m := world.fake.message(OWNER, question.message_id)) and
                        "nothing was done" in m.get("text", "") and m)
    assert "Cancelled" in edited["text"] and "reply_markup" not in edited
    assert not risk_status(world.bot).paused


def test_second_allowed_user_is_answered_in_private(world: World) -> None:
    assert "Balance (USDC, from the exchange at " in Operator(world.fake, SECOND).command("/balance")


def test_panic_confirmed_with_the_button_leaves_the_simulator_flat(world: World) -> None:
    _until_position(world)
    question = world.owner.command_message("/panic")
    assert "PANIC: cancel every order" in (question.content or "")
    world.fake.press_button(OWNER, question.message_id, text="Confirm PANIC")

    def flat() -> bool:
        state = world.sim.state()
        return not open_positions(world.sim) and not state["open_orders"] and not state["open_algo_orders"]

    eventually(flat, timeout=20, message="the simulator is not flat after /panic")
    world.owner.wait_notification(r"EMERGENCY CLOSE done: the account is FLAT")
    assert risk_status(world.bot).paused
    assert "paused by owner: panic" in world.owner.command("/risk")
    assert world.owner.command("/positions").startswith("No open positions (exchange view at ")


def test_the_token_never_appears_in_anything_the_bot_sent(world: World) -> None:
    secret = DEFAULT_TOKEN.split(":")[1]
    sent = world.fake.sent_messages()
    assert len(sent) > 40
    assert not [r for r in sent if secret in (r.content or "") or secret in json.dumps(r.reply_markup or {})]
