"""Issue 4: SIGTERM during trading exits 0 within 10 s and leaves every position protected."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support import FREQUENT_SIGNAL_ENV, REPO_ROOT, eventually, require_shared_data
from tests.system.support import running_simulator

pytestmark = pytest.mark.system


def bot_process(sim, tmp_path: Path, speed: float, extra_env: dict[str, str] | None = None) -> subprocess.Popen:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env.update({"BOT__STORAGE__DATA_DIR": str(tmp_path / "var"), **FREQUENT_SIGNAL_ENV,
                "BOT__EXCHANGE__STALE_AFTER_S": "3",
                "BOT__LOGGING__STATUS_INTERVAL_S": "3600", **(extra_env or {})})
    log = (tmp_path / "bot-output.txt").open("a")  # a file, not a pipe: a full pipe would block the bot
    return subprocess.Popen(
        [sys.executable, str(REPO_ROOT / "run.py"), "trade", "--exchange-url", sim.rest_url, "--speed", str(speed)],
        cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT, text=True)


def protected_positions(state: dict) -> tuple[set[str], set[str]]:
    positions = {s for s, p in state["positions"].items() if float(p["amount"]) != 0}
    stops = {a["symbol"] for a in state["open_algo_orders"] if a["orderType"] == "STOP_MARKET"}
    return positions, stops


def test_sigterm_exits_zero_within_ten_seconds_and_stops_stay(tmp_path: Path) -> None:
    require_shared_data()
    with running_simulator(symbols=["BTCUSDC", "ETHUSDC", "SOLUSDC", "XRPUSDC"], speed=30.0) as sim:
        process = bot_process(sim, tmp_path, 30.0)
        try:
            def open_and_protected() -> bool:
                positions, stops = protected_positions(sim.state())
                return bool(positions) and positions <= stops

            eventually(open_and_protected, timeout=90, message=lambda: "no protected position was opened: "
                       + str(protected_positions(sim.state())))
            started = time.monotonic()
            process.send_signal(signal.SIGTERM)
            code = process.wait(timeout=10)
            elapsed = time.monotonic() - started
        finally:
            if process.poll() is None:
                process.kill()
        output = (tmp_path / "bot-output.txt").read_text()
        assert code == 0, output[-3000:]
        assert elapsed < 10
        positions, stops = protected_positions(sim.state())
        assert positions and positions <= stops, (positions, stops)
        assert "Traceback" not in output, output[-3000:]
        assert "bot stopped" in output
