"""Bad input through the whole bot: a corrupt runtime file, a log file on a full disk, and a database
locked by another process. The bot stays up, says what is wrong, and loses nothing it recorded.

(Malformed, duplicated and out-of-order kline frames run through the bot in ``test_security.py``.)
"""

from __future__ import annotations

import json
import logging
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from service.logging_setup import setup_logging
from tests.support import FREQUENT_SIGNAL_ENV, REPO_ROOT, eventually
from tests.system.support import ask, running_bot, running_simulator, wait_ready

FULL_DISK = Path("/dev/full")  # every write fails with ENOSPC, as on a full disk


def _env(tmp_path: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env.update({"BOT__STORAGE__DATA_DIR": str(tmp_path / "var"), **FREQUENT_SIGNAL_ENV, **extra})
    return env


@pytest.mark.skipif(not FULL_DISK.exists(), reason="/dev/full is needed to simulate a full disk")
def test_corrupt_runtime_file_starts_paused_and_a_full_disk_log_does_not_stop_trading(tmp_path: Path) -> None:
    (tmp_path / "var").mkdir()
    (tmp_path / "var" / "runtime.json").write_text('{"control": {"paused": fal')  # cut mid-write
    env = _env(tmp_path, {"BOT__LOGGING__FILE": str(FULL_DISK)})
    check = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "check", "--offline"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert "invalid JSON at line 1" in check.stdout and "starting PAUSED" in check.stdout
    settings = json.loads(check.stdout[check.stdout.index("{"):check.stdout.rindex("}") + 1])
    assert settings["control"]["paused"] is True
    assert "unreadable runtime file" in settings["control"]["pause_reason"]

    output = tmp_path / "console.txt"
    with running_simulator(data_dir=None, symbols=["BTC", "ETH"], seed=3, speed=60) as sim:
        with output.open("w") as console:
            process = subprocess.Popen([sys.executable, str(REPO_ROOT / "run.py"), "trade", "--exchange-url",
                                        sim.rest_url, "--speed", "60"], cwd=tmp_path, env=env, stdout=console,
                                       stderr=subprocess.STDOUT)
        try:
            eventually(lambda: "risk DENIED" in output.read_text(), timeout=40,
                       message=lambda: "no entry was refused while paused:\n" + output.read_text()[-2000:])
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=15)
        finally:
            if process.poll() is None:
                process.kill()
        fills = sim.state()["fills"]
    text = output.read_text()
    assert code == 0, text[-3000:]
    assert text.count(f"log file {FULL_DISK} cannot be written; continuing without it") == 1
    assert "starting PAUSED" in text and "paused" in text.split("risk DENIED", 1)[1].splitlines()[0]
    assert "Traceback" not in text and "bot stopped" in text
    assert fills == []  # nothing was traded while paused


def test_log_handler_on_a_full_disk_reports_once_and_the_console_goes_on(capfd) -> None:
    if not FULL_DISK.exists():
        pytest.skip("/dev/full is needed to simulate a full disk")
    root = logging.getLogger()
    saved = list(root.handlers), root.level
    try:
        setup_logging("INFO", FULL_DISK, ["topsecretvalue"])
        for index in range(3):
            logging.getLogger("ops.test").warning("line %d with topsecretvalue", index)
    finally:
        for handler in list(root.handlers):
            root.removeHandler(handler)
            handler.close()
        for handler in saved[0]:
            root.addHandler(handler)
        root.setLevel(saved[1])
    err = capfd.readouterr().err
    assert err.count("cannot be written; continuing without it") == 1
    assert "line 2 with ***REDACTED***" in err and "topsecretvalue" not in err


def _hold_write_lock(db: Path) -> subprocess.Popen[str]:
    holder = subprocess.Popen([sys.executable, "-c", textwrap.dedent(f"""
        import sqlite3, sys
        conn = sqlite3.connect({str(db)!r}, isolation_level=None)
        conn.execute("BEGIN IMMEDIATE")
        print("locked", flush=True)
        sys.stdin.readline()
        conn.execute("ROLLBACK")
        """)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    return holder


def _rows(db: Path, table: str, since_ms: int) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT COUNT(*) FROM {table} WHERE ts_ms >= ?", (since_ms,)).fetchone()[0])


def test_database_locked_by_another_process(tmp_path: Path, caplog) -> None:
    """Held past the 5 s busy timeout: no actor crashes, the outage is reported, and every journal row
    meant for the locked period is in the database once the lock is gone."""
    overrides = {"control": {"paused": True}}  # entries refused: the journal keeps writing, no orders in flight
    with running_simulator(data_dir=None, symbols=["BTC", "ETH", "SOL", "XRP"], seed=4, speed=120) as sim, \
            running_bot(sim, tmp_path, overrides) as bot:
        assert bot.ctx is not None
        wait_ready(bot, 1)
        db = bot.settings.storage.database_path
        health = bot.ctx.health
        holder = _hold_write_lock(db)
        locked_at = bot.ctx.clock.now_ms()
        try:
            eventually(lambda: health.get("storage.pending", 0) >= 3, timeout=30,
                       message="no journal write was deferred while the database was locked")
        finally:
            assert holder.stdin is not None
            holder.stdin.write("\n")
            holder.stdin.flush()
            holder.wait(timeout=10)
        eventually(lambda: health.get("storage.pending", 1) == 0, timeout=15, message="deferred writes never stored")
        counters = health.snapshot()["counters"]
        assert not bot.is_stopped()
        assert counters.get("root.restarts", 0) == 0 and counters.get("symbols.restarts", 0) == 0, counters
        assert counters["storage.outages"] >= 1
        assert ask(bot, "risk", "status").paused
        assert "database unavailable, journal writes are kept" in caplog.text
        assert "deferred journal write(s) stored" in caplog.text
        written = sum(_rows(db, table, locked_at) for table in ("signals", "risk_decisions", "equity_snapshots"))
        assert written >= 3
