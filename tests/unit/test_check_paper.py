"""``run.py check`` in paper mode asks the source of the market data, not an account."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT, free_port
from tests.system.support import running_simulator


def _check(tmp_path: Path, source: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env.update({"BOT__EXCHANGE__MODE": "paper", "BOT__EXCHANGE__REST_URL": source,
                "BOT__STORAGE__DATA_DIR": str(tmp_path / "var")})
    return subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "check"], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=60)


def test_paper_check_is_ready_when_the_source_answers(tmp_path: Path) -> None:
    with running_simulator(data_dir=None, symbols=["BTCUSDC"]) as sim:
        result = _check(tmp_path, sim.rest_url)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "paper source" in result.stdout and "READY" in result.stdout


def test_paper_check_is_not_ready_when_the_source_is_unreachable(tmp_path: Path) -> None:
    result = _check(tmp_path, f"http://127.0.0.1:{free_port()}")
    assert result.returncode == 1 and "NOT READY" in result.stdout
