"""The pure decisions of the Telegram side: parsing, authorization, confirmations, splitting, the
feed-outage threshold, the daily-summary schedule, failure classification and token redaction.
No network, no threads: these run in milliseconds."""

from __future__ import annotations

from types import SimpleNamespace
from urllib.parse import quote_plus

import pytest
import requests
from telebot import apihelper

from core.notification_text import describe
from messages.market import FeedRecovered, FeedStale
from messages.notifications import Notify
from messages.orders import EmergencyCloseCompleted
from telegram_bot.commands import MAX_LOGS, Access, Invalid, Parsed, bot_commands, clean_reason, parse_command
from telegram_bot.confirmations import Confirmations
from telegram_bot.formatting import PositionRow, merge_positions, split_text
from telegram_bot.notifications import FeedOutageFilter, summary_due, wanted
from telegram_bot.redact import Redactor
from telegram_bot.runtime import api_url_templates
from telegram_bot.sender import classify

TOKEN = "123456789:AAFakeTelegramTokenForTestsOnly0000"


@pytest.mark.parametrize(("text", "expected"), [
    ("/status", Parsed("status")),
    ("/STATUS@usdc_futures_bot", Parsed("status")),
    ("/start", Parsed("help")),
    ("/logs", Parsed("logs", 10)),
    ("/logs 7", Parsed("logs", 7)),
    (f"/logs {MAX_LOGS}", Parsed("logs", MAX_LOGS)),
    ("/close BTC", Parsed("close", "BTC/USDC:USDC")),
    ("/close btcusdc", Parsed("close", "BTC/USDC:USDC")),
    ("/close btc/usdc:usdc", Parsed("close", "BTC/USDC:USDC")),
    ("/close 1000PEPE", Parsed("close", "1000PEPE/USDC:USDC")),
    ("/aggression", Parsed("aggression", None)),
    ("/aggression Aggressive", Parsed("aggression", "aggressive")),
    ("/pause", Parsed("pause", "paused by the owner")),
    ("/pause  back\nin 5\x00 min ", Parsed("pause", "back in 5 min")),
    ("/status@another_bot", None),
    ("hello", None),
    ("", None),
    (None, None),
])
def test_well_formed_commands(text: str | None, expected: object) -> None:
    assert parse_command(text, "usdc_futures_bot") == expected


@pytest.mark.parametrize("text", [
    "/close", "/close BTC ETH", "/close ;DROP TABLE trades", "/close BTCUSDT", "/close €", "/close " + "A" * 50,
    "/logs -5", "/logs 0", "/logs 51", "/logs 99999999999", "/logs 1.5", "/logs ５",
    "/aggression yolo", "/aggression balanced now", "/status x", "/nope", "/stätus", "/💥", "/" + "a" * 40,
    "/status " + "x" * 600,
])
def test_malformed_commands_get_a_short_usage_text(text: str) -> None:
    result = parse_command(text, "usdc_futures_bot")
    assert isinstance(result, Invalid) and 10 < len(result.reply) < 300


def test_pause_reasons_are_cleaned_and_bounded() -> None:
    assert clean_reason("a\tb\u202e c\n\n") == "a b c"
    assert len(clean_reason("x" * 1000)) == 100


def test_bot_commands_are_valid_for_set_my_commands() -> None:
    for name, description in bot_commands():
        assert name.isascii() and name.islower() and 1 <= len(name) <= 32 and 1 <= len(description) <= 256


def test_access_allows_listed_users_in_private_or_the_configured_chat_only() -> None:
    access = Access.of([42, 43], chat_id=-1001)  # a group as the configured chat
    assert access.authorized(42, 42) and access.authorized(43, -1001)
    assert not access.authorized(43, 42)  # someone else's private chat
    assert not access.authorized(666, -1001) and not access.authorized(666, 666) and not access.authorized(None, 42)
    assert access.notification_chats() == (-1001,)
    owner_only = Access.of([], chat_id=42)  # TELEGRAM_CHAT_ID of a private chat: the owner
    assert owner_only.authorized(42, 42) and not owner_only.authorized(43, 43)
    assert Access.of([7, 5], None).notification_chats() == (5, 7)
    assert not Access.of([], None).authorized(42, 42)


def test_confirmations_are_single_use_expire_and_stay_in_their_chat() -> None:
    store = Confirmations(ttl_s=60)
    pending = store.create("panic", "", 42, 42, now=100.0)
    data = Confirmations.button_data(pending, "ok")
    assert len(data.encode()) <= 64
    assert store.press(data, chat_id=43, now=101).status == "invalid"  # other chat: not consumed
    answer = store.press(data, chat_id=42, now=101)
    assert answer.status == "confirmed" and answer.pending == pending
    assert store.press(data, chat_id=42, now=102).status == "invalid"  # used
    late = store.create("close", "BTC/USDC:USDC", 42, 42, now=100.0)
    assert store.press(Confirmations.button_data(late, "ok"), 42, now=161).status == "expired"
    cancelled = store.create("panic", "", 42, 42, now=200.0)
    assert store.press(Confirmations.button_data(cancelled, "no"), 42, now=201).status == "cancelled"
    assert store.press("ok:forged", 42, now=201).status == "invalid"
    assert store.press("rm -rf", 42, now=201).status == "invalid"
    store.create("panic", "", 42, 42, now=300.0)
    store.purge(now=1000.0)
    assert len(store) == 0


@pytest.mark.parametrize("text", ["short", "x" * 4096, "x" * 9000, ("line é€\n" * 3000), "😀" * 5000,
                                  "\n".join(["a" * 5000, "b" * 10])])
def test_split_text_respects_both_limits_and_keeps_the_text(text: str) -> None:
    parts = split_text(text)
    assert all(len(p) <= 4096 and len(quote_plus(p)) <= 6000 for p in parts)
    assert "".join(parts).replace("\n", "") == text.replace("\n", "")


def _feed(symbol: str, stale: bool) -> Notify:
    event = (FeedStale(ts_event=1, ts_init=1, symbol=symbol, reason="no frames", last_frame_ts=0) if stale
             else FeedRecovered(ts_event=1, ts_init=1, symbol=symbol, outage_ms=9000))
    notification = describe(event, 1)
    assert notification is not None
    return notification


def test_feed_outages_are_reported_only_after_the_threshold_with_their_recovery() -> None:
    feed = FeedOutageFilter(threshold_s=60)
    assert feed.on_notify(_feed("BTC", stale=True), now=0) == []
    assert feed.on_notify(_feed("BTC", stale=False), now=30) == []  # a blip: neither is reported
    assert feed.due(now=1000) == []
    stale = _feed("ETH", stale=True)
    assert feed.on_notify(stale, now=0) == [] and feed.due(now=59) == []
    assert feed.due(now=60) == [stale]
    assert feed.on_notify(_feed("ETH", stale=True), now=61) == []  # already reported
    recovered = _feed("ETH", stale=False)
    assert feed.on_notify(recovered, now=90) == [recovered]
    immediate = FeedOutageFilter(threshold_s=0)
    assert immediate.on_notify(stale, now=0) == [stale]
    other = Notify(ts_event=1, ts_init=1, kind="entry", level="info", text="OPEN")
    assert feed.on_notify(other, now=0) == [other]


def test_switches_select_the_kinds_sent() -> None:
    settings = SimpleNamespace(notify_entries=False, notify_exits=True)
    assert not wanted("entry", settings) and wanted("exit", settings) and wanted("info", settings)


def test_daily_summary_is_due_when_the_clock_crosses_the_hour() -> None:
    day, hour = 86_400_000, 3_600_000
    base = 20_000 * day  # midnight UTC
    assert summary_due(base + 20 * hour, base + 21 * hour - 1, 21) is None
    assert summary_due(base + 20 * hour, base + 21 * hour, 21) == base + 21 * hour
    assert summary_due(base + 21 * hour, base + 22 * hour, 21) is None  # once
    assert summary_due(base + 20 * hour, base + 3 * day, 21) == base + 2 * day + 21 * hour  # jumps: the latest
    assert summary_due(base + 5 * hour, base + 5 * hour, 0) is None


def test_failures_are_classified_for_the_sender() -> None:
    def api_error(code: int, description: str, parameters: dict | None = None) -> Exception:
        body = {"ok": False, "error_code": code, "description": description}
        if parameters:
            body["parameters"] = parameters
        return apihelper.ApiTelegramException("sendMessage", SimpleNamespace(status_code=code), body)

    assert classify(api_error(429, "Too Many Requests: retry after 7", {"retry_after": 7})).wait_s == 7
    assert classify(api_error(400, "Bad Request: message is not modified")).action == "done"
    assert classify(api_error(403, "Forbidden: bot was blocked by the user")).action == "final"
    assert classify(api_error(500, "Internal Server Error")).action == "server"
    gateway = apihelper.ApiHTTPException("sendMessage", SimpleNamespace(status_code=502, reason="Bad Gateway",
                                                                         text="<html>"))
    assert classify(gateway).action == "outage"
    assert classify(requests.ConnectionError("refused")).action == "outage"
    assert classify(requests.ReadTimeout("slow")).action == "outage"


def test_the_token_is_redacted_from_any_text() -> None:
    redact = Redactor(TOKEN)
    url = f"HTTPConnectionPool(host='x', port=1): Max retries exceeded with url: /bot{TOKEN}/sendMessage?chat_id=42"
    assert TOKEN not in redact(url) and "/bot<token>/sendMessage" in redact(url)
    assert "AAFake" not in redact(quote_plus(TOKEN)) and "AAFake" not in redact("bot987654321:" + "Z" * 35)
    assert "Redactor(" in repr(redact) and TOKEN not in repr(redact)


def test_api_url_accepts_a_base_or_the_library_template() -> None:
    assert api_url_templates("http://127.0.0.1:8081/") == ("http://127.0.0.1:8081/bot{0}/{1}",
                                                           "http://127.0.0.1:8081/file/bot{0}/{1}")
    assert api_url_templates("http://h:1/bot{0}/{1}") == ("http://h:1/bot{0}/{1}", "http://h:1/file/bot{0}/{1}")


def test_positions_join_the_book_with_the_exchange_view() -> None:
    exchange = [SimpleNamespace(symbol="BTC/USDC:USDC", amount=-0.002, entry_price=100.0, mark_price=99.0,
                                unrealized_pnl=0.002)]
    book = [{"symbol": "BTC/USDC:USDC", "side": "short", "quantity": 0.002, "entry_price": 100.0, "entry_time": 1000,
             "state": "open", "stop": 102.0, "take_profits": [99.6]},
            {"symbol": "ETH/USDC:USDC", "side": "long", "quantity": 0.1, "entry_price": 10.0, "entry_time": 0,
             "state": "entering", "stop": None, "take_profits": []}]
    rows = merge_positions(book, exchange, now_ms=61_000)
    assert rows[0] == PositionRow("BTC/USDC:USDC", "short", 0.002, 100.0, 99.0, 0.002, 102.0, (99.6,), 60_000, True,
                                  "open")
    assert rows[1].symbol == "ETH/USDC:USDC" and "not on the exchange" in rows[1].state


def test_the_panic_report_is_a_clear_notification() -> None:
    done = EmergencyCloseCompleted(ts_event=1, ts_init=1, cancelled_orders=3, cancelled_algo_orders=2,
                                   closed_positions=("BTC/USDC:USDC",), flat=True, rounds=1, errors=())
    notification = describe(done, 1)
    assert notification is not None and notification.kind == "info"
    assert "FLAT" in notification.text and "BTC/USDC:USDC" in notification.text
    failed = describe(EmergencyCloseCompleted(ts_event=1, ts_init=1, cancelled_orders=0, cancelled_algo_orders=0,
                                              closed_positions=(), flat=False, rounds=5, errors=("-2019 margin",)),
                      1)
    assert failed is not None and failed.level == "error" and "INCOMPLETE" in failed.text and "-2019" in failed.text


def test_the_exchange_view_is_reused_and_capped_to_spare_the_request_weight() -> None:
    from actors.health import HealthBoard
    from telegram_bot.views import BotView

    health = HealthBoard()
    health.set("symbols.active", ["BTC/USDC:USDC", "ETH/USDC:USDC"])
    view = BotView(SimpleNamespace(health=health), timeout_s=1.0, cache_s=3600.0, fetches_per_minute=2)
    asked: list[tuple[str, ...]] = []
    view._fetch = lambda symbols: asked.append(symbols) or SimpleNamespace(n=len(asked))  # type: ignore[method-assign]
    assert view.account(["XRP/USDC:USDC"]).n == 1
    assert asked == [("BTC/USDC:USDC", "ETH/USDC:USDC", "XRP/USDC:USDC")]  # named symbols: ~1 weight each
    assert view.account().n == 1  # fresh enough: reused
    view.cache_s = 0.0
    assert view.account().n == 2
    assert view.account().n == 2 and len(asked) == 2  # the per-minute cap: the last view is reused
