"""Known fake secrets are found nowhere: not in the console or the log file, not in any table of the
database nor any other file the bot writes, not in ``run.py check`` output, not in exception texts, not
in the ``repr`` of the settings, the gateway or the bot.

The trading run also exercises systemd's notification protocol end to end (READY=1 after reconciliation,
WATCHDOG=1, STOPPING=1 on SIGTERM) and malformed, duplicated and out-of-order kline frames (the bot
stays up), because it is the one full run of ``run.py trade`` in this suite.
"""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import traceback
from pathlib import Path

import pytest

from config import load_settings
from exchange.gateway import GatewayError
from service.bot import Bot
from service.exchange_access import exchange_target, open_gateway
from simulator.server.faults import Faults
from tests.ops.test_sd_notify import NotifySocket
from tests.support import FREQUENT_SIGNAL_ENV, REPO_ROOT, eventually, free_port
from tests.system.support import running_simulator

API_KEY = "LeakTestApiKey" + "7" * 50
API_SECRET = "LeakTestApiSecret" + "3" * 47
TELEGRAM_TOKEN = "987654321:AAleakTestTelegramTokenXXXXXXXXXXXXX"
SECRETS = (API_KEY, API_SECRET, TELEGRAM_TOKEN)
ENV_FILE = (f"BINANCE_API_KEY={API_KEY}\nBINANCE_API_SECRET={API_SECRET}\nTELEGRAM_TOKEN={TELEGRAM_TOKEN}\n"
            "TELEGRAM_CHAT_ID=42\nTELEGRAM_ALLOWED_USER_IDS=7\n")


def leaks(text: str | bytes) -> list[str]:
    """Which secrets (or their first 24 characters: a truncated secret is still a leak) occur in ``text``."""
    data = text if isinstance(text, bytes) else text.encode("utf-8", "replace")
    return [s[:12] + "..." for s in SECRETS if s.encode() in data or s[:24].encode() in data]


def _environment(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env.update({**FREQUENT_SIGNAL_ENV, "BOT__STORAGE__DATA_DIR": str(tmp_path / "var"), "BOT__EXCHANGE__MODE": "demo",
                "BOT__LOGGING__LEVEL": "DEBUG", "BOT__LOGGING__STATUS_INTERVAL_S": "1",
                "BOT__SUPERVISION__HEARTBEAT_INTERVAL_S": "0.5", "BOT__SUPERVISION__HEARTBEAT_TIMEOUT_S": "5",
                # Telegram on, but its server is down: every failed call is a chance to print the token URL.
                "TELEGRAM_API_URL": f"http://127.0.0.1:{free_port()}", **extra})
    return env


def _database_texts(path: Path) -> list[str]:
    """Every text or blob value of every column of every table (and the schema itself)."""
    values: list[str] = []
    with sqlite3.connect(path) as conn:
        tables = [row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        assert {"orders", "fills"} <= set(tables), tables
        for table in tables:
            for row in conn.execute(f'SELECT * FROM "{table}"'):  # names from sqlite_master
                values += [v.decode("utf-8", "replace") if isinstance(v, bytes) else v
                           for v in row if isinstance(v, (str, bytes))]
    return values


def test_secrets_appear_nowhere_during_a_trading_run(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(ENV_FILE)
    notify = NotifySocket(str(tmp_path / "notify.sock"))
    faults = Faults(kline_malformed_rate=0.05, kline_duplicate_rate=0.05, kline_out_of_order_rate=0.05)
    output = tmp_path / "console.txt"
    with running_simulator(data_dir=None, symbols=["BTC", "ETH", "SOL", "XRP"], seed=4, speed=120,
                           api_key=API_KEY, api_secret=API_SECRET, faults=faults) as sim:
        env = _environment(tmp_path, {"NOTIFY_SOCKET": notify.address})
        with output.open("w") as console:  # a file, not a pipe: a full pipe would block the bot
            process = subprocess.Popen(
                [sys.executable, str(REPO_ROOT / "run.py"), "trade", "--exchange-url", sim.rest_url, "--speed",
                 "120"], cwd=tmp_path, env=env, stdout=console, stderr=subprocess.STDOUT)
        messages: list[dict[str, str]] = []
        try:
            def notified(key: str) -> bool:
                messages.extend(notify.drain())
                return any(m.get(key) == "1" for m in messages)

            eventually(lambda: notified("READY"), timeout=30, message=lambda: "no READY=1: " + output.read_text())
            eventually(lambda: len(sim.state()["fills"]) >= 2, timeout=30, message="no trade happened")
            # Exchange errors whose ccxt texts carry URLs and bodies: 5xx on the account read, rejected orders.
            sim.fail_next(2, kind="5xx", path="/fapi/v3/account")
            # A rejection whose text carries the key (and so reaches the log, the database and Telegram).
            sim.reject_next(1, -2019, msg=f"Margin is insufficient. apiKey={API_KEY}", type="MARKET")
            log_file = tmp_path / "var" / "bot.log"
            eventually(lambda: "apiKey=***REDACTED***" in log_file.read_text(), timeout=30,
                       message="the injected rejection (its text carrying the key) never reached the log")
            watchdogs = sum(1 for m in messages if m.get("WATCHDOG"))
            eventually(lambda: notified("WATCHDOG") and sum(1 for m in messages if m.get("WATCHDOG")) > watchdogs + 2,
                       timeout=20, message="the watchdog was not fed")
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
        messages.extend(notify.drain())
        notify.close()
        check = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "check", "--exchange-url", sim.rest_url],
                               cwd=tmp_path, env=_environment(tmp_path, {}), capture_output=True, text=True,
                               timeout=60)
    console_text = output.read_text()
    assert code == 0, console_text[-3000:]
    assert "Traceback" not in console_text, console_text[-3000:]
    assert "skipping malformed market frame" in console_text  # the simulator's hostile frames were refused
    assert any(m.get("STOPPING") == "1" for m in messages)
    ready_at = next(i for i, m in enumerate(messages) if m.get("READY"))
    assert "trading" in messages[ready_at]["STATUS"]

    assert check.returncode == 0, check.stdout[-2000:] + check.stderr
    assert "(keys: configured)" in check.stdout and "[ OK ] API keys: accepted" in check.stdout

    written = {p: p.read_bytes() for p in (tmp_path / "var").rglob("*") if p.is_file()}
    assert any(p.name == "bot.log" for p in written) and any(p.name == "bot.db" for p in written)
    found = {"console": leaks(console_text), "check": leaks(check.stdout + check.stderr)}
    found.update({str(p.relative_to(tmp_path)): leaks(data) for p, data in written.items()})
    found["database values"] = leaks("\n".join(_database_texts(tmp_path / "var" / "bot.db")))
    assert {where: what for where, what in found.items() if what} == {}


def test_exception_texts_and_reprs_never_show_secrets(tmp_path: Path) -> None:
    env = {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": API_SECRET, "TELEGRAM_TOKEN": TELEGRAM_TOKEN,
           "TELEGRAM_CHAT_ID": "42", "BOT__STORAGE__DATA_DIR": str(tmp_path / "var")}
    settings = load_settings(env=env, env_file=None, overrides={"exchange": {"mode": "demo"}}).settings
    texts = [repr(settings), str(settings), repr(settings.secrets), settings.model_dump_json(),
             json.dumps(settings.public_dict()), repr(settings.model_dump())]

    closed = exchange_target(settings, f"http://127.0.0.1:{free_port()}")
    assert closed is not None and closed.keys_source == "configured"
    texts.append(repr(closed))
    gateway = open_gateway(settings, closed)
    gateway.max_retries = 0
    texts.append(repr(gateway))
    order = lambda: gateway.client.create_order("BTC/USDC:USDC", "market", "buy", 1)  # noqa: E731
    for call in (gateway.client.fetch_balance, order):
        try:
            gateway.call(5, call)
        except GatewayError as exc:
            texts += [str(exc), repr(exc), "".join(traceback.format_exception(exc))]

    with running_simulator(data_dir=None, symbols=["BTC"], api_key=API_KEY, api_secret="x" * 64) as sim:
        target = exchange_target(settings, sim.rest_url)
        assert target is not None
        refused = open_gateway(settings, target)
        with pytest.raises(GatewayError) as excinfo:  # wrong secret: -1022, a text built from the request
            refused.call(5, refused.client.fetch_balance)
        texts += [str(excinfo.value), "".join(traceback.format_exception(excinfo.value))]
        bot = Bot(settings, exchange_url=sim.rest_url)
        bot.connection = bot._connect()
        texts += [repr(bot), repr(bot.connection)]
    assert {i: leaks(t) for i, t in enumerate(texts) if leaks(t)} == {}
