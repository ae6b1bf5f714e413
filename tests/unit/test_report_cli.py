"""``run.py report``: the numbers printed are the database's."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from storage import Storage
from tests.support import REPO_ROOT

T0 = 1_746_403_200_000


def _fill_database(path: Path) -> None:
    with Storage(path) as storage:
        for i, (reason, pnl) in enumerate([("take_profit_3", 2.5), ("stop_loss", -8.0), ("timeout", 0.4)]):
            cid = f"BTC-{i}"
            storage.open_trade(correlation_id=cid, symbol="BTC/USDC:USDC", side="long", entry_time_ms=T0 + i * 600_000,
                               entry_price=95000.0, quantity=0.002, leverage=5)
            storage.close_trade(cid, exit_time_ms=T0 + i * 600_000 + 120_000, exit_price=95100.0, reason=reason,
                                realized_pnl=pnl, fees=0.19)
        storage.open_trade(correlation_id="ETH-9", symbol="ETH/USDC:USDC", side="short", entry_time_ms=T0 + 9_000_000,
                           entry_price=1800.0, quantity=0.1, leverage=5)


def test_report_json_matches_the_database(tmp_path: Path) -> None:
    db = tmp_path / "bot.db"
    _fill_database(db)
    result = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "report", "--json", "--database", str(db)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["trades"], report["wins"], report["losses"]) == (3, 2, 1)
    assert report["realized_pnl"] == round(2.5 - 8.0 + 0.4, 6) and report["fees"] == round(3 * 0.19, 6)
    assert set(report["per_exit_reason"]) == {"take_profit_3", "stop_loss", "timeout"}
    assert [p["symbol"] for p in report["open_positions"]] == ["ETH/USDC:USDC"]
    assert report["worst_trade"]["exit_reason"] == "stop_loss"
    tables = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "report", "--database", str(db)],
                            cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert tables.returncode == 0 and "3 closed trades" in tables.stdout and "ETH/USDC:USDC" in tables.stdout


def test_report_without_a_database_says_so(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "report", "--database",
                             str(tmp_path / "missing.db")], cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert result.returncode == 1 and "no database" in result.stderr
