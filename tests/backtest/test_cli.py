"""``run.py backtest`` as a user runs it: the four outputs, and byte-identical results when run twice."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT, require_shared_data

NUMBERS = ("trades", "wins", "losses", "win_rate", "net_pnl", "gross_pnl", "fees", "funding", "return_pct",
           "max_drawdown_pct", "max_daily_drawdown_pct", "usd_per_hour", "avg_hold_minutes", "exposure_pct",
           "trades_per_day", "candles", "wall_seconds")


def _backtest(out: Path, cwd: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    data = require_shared_data()
    return subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "backtest", "--data", str(data), "--profile",
                           "balanced", "--out", str(out), *extra], cwd=cwd, capture_output=True, text=True,
                          timeout=300, env=_environment())


def _environment() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env["COLUMNS"] = "160"
    return env


def test_the_month_backtest_writes_four_outputs_and_is_deterministic(tmp_path: Path) -> None:
    first, second = tmp_path / "a", tmp_path / "b"
    result = _backtest(first, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "win rate" in result.stdout and "target" in result.stdout and "USDT-margined" in result.stdout
    assert _backtest(second, tmp_path, "--no-progress").returncode == 0
    assert (first / "trades.csv").read_bytes() == (second / "trades.csv").read_bytes()
    reports = [json.loads((d / "report.json").read_text()) for d in (first, second)]
    for report in reports:
        report.pop("wall_seconds")
    assert reports[0] == reports[1]
    report = json.loads((first / "report.json").read_text())
    for key in NUMBERS:
        assert isinstance(report[key], (int, float)) and not isinstance(report[key], bool), key
    assert report["profit_factor"] is None or isinstance(report["profit_factor"], float)
    assert set(report["targets"]) == {"start_capital_usdc", "win_rate_pct", "max_daily_drawdown_pct", "usd_per_hour"}
    assert report["per_symbol"] and report["per_exit_reason"] and report["config"]["profile"] == "balanced"
    assert len(report["window"]["symbols"]) == 12  # the four bases without a USDC perpetual are reported, skipped
    lines = (first / "trades.csv").read_text().splitlines()
    assert lines[0].startswith("symbol,side,entry_time,entry_price,exit_time,exit_price,quantity,fees")
    assert len(lines) == report["trades"] + 1
    assert (first / "equity.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_bad_options_are_usage_errors(tmp_path: Path) -> None:
    result = _backtest(tmp_path / "x", tmp_path, "--start", "not-a-time")
    assert result.returncode == 2 and "--start" in result.stderr
    result = _backtest(tmp_path / "x", tmp_path, "--start", "2025-06-01T00:00:00Z", "--end", "2025-05-20T00:00:00Z")
    assert result.returncode == 2 and "empty window" in result.stderr
