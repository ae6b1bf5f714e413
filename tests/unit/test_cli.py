"""The command line as a user runs it: ``python run.py ...`` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support import REPO_ROOT

FAKE_KEY = "AKcliKEY1234567890abcdefg"
FAKE_SECRET = "SKcliSECRET0987654321zyxw"


def _run(args: list[str], cwd: Path, env: dict | None = None) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    full_env.update(env or {})
    return subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=60)


def test_help_lists_the_subcommands(tmp_path: Path) -> None:
    result = _run(["--help"], tmp_path)
    assert result.returncode == 0 and "check" in result.stdout


def test_unknown_option_is_a_usage_error(tmp_path: Path) -> None:
    result = _run(["check", "--no-such-option"], tmp_path)
    assert result.returncode == 2 and "unrecognized arguments" in result.stderr


def test_check_prints_effective_settings_with_secrets_masked(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(f"BINANCE_API_KEY={FAKE_KEY}\nBINANCE_API_SECRET={FAKE_SECRET}\n")
    result = _run(["check", "--json"], tmp_path, env={"BOT__RISK__MAX_CONCURRENT_POSITIONS": "2"})
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["risk"]["max_concurrent_positions"] == 2
    assert data["secrets"]["BINANCE_API_KEY"].startswith("*****")
    assert FAKE_KEY not in result.stdout + result.stderr and FAKE_SECRET not in result.stdout + result.stderr


def test_check_with_a_bad_value_exits_2_naming_the_field(tmp_path: Path) -> None:
    config = tmp_path / "bad.json"
    config.write_text(json.dumps({"orders": {"stop_loss_pct": 0}}))
    result = _run(["check", "--config", str(config)], tmp_path)
    assert result.returncode == 2
    assert "orders.stop_loss_pct: must be > 0 and <= 20, got 0" in result.stderr
