"""The shipped systemd unit passes ``systemd-analyze verify`` and keeps the settings operations rely on."""

from __future__ import annotations

import configparser
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT

UNIT = REPO_ROOT / "deploy" / "usdc-futures-bot.service"
INSTALLED_SCRIPT = "/opt/usdc-futures-bot/.venv/bin/usdcbot"


def _unit() -> configparser.RawConfigParser:
    parser = configparser.RawConfigParser(strict=False, interpolation=None)
    parser.optionxform = str  # type: ignore[assignment,method-assign]
    parser.read_string(UNIT.read_text())
    return parser


def test_unit_is_a_notify_service_with_watchdog_and_hardening() -> None:
    service = _unit()["Service"]
    expected = {
        "Type": "notify", "NotifyAccess": "main", "Restart": "on-failure", "RestartPreventExitStatus": "2",
        "User": "usdcbot", "NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
        "ReadWritePaths": "/var/lib/usdc-futures-bot", "EnvironmentFile": "/etc/usdc-futures-bot/bot.env",
        "KillSignal": "SIGTERM",
    }
    assert {key: service.get(key) for key in expected} == expected
    assert int(service["WatchdogSec"]) >= 2 * (5 + 10)  # default heartbeat interval + timeout, twice
    assert service["ExecStart"].split()[:2] == [INSTALLED_SCRIPT, "trade"]


def test_systemd_analyze_verify_accepts_the_unit(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (Debian: apt-get install -y systemd)")
    # verify checks that ExecStart= exists: point it at this checkout's console script, as an install would.
    script = Path(sys.executable).with_name("usdcbot")
    if not script.exists():
        pytest.skip(f"the usdcbot console script is not installed next to {sys.executable} (pip install -e .)")
    unit = tmp_path / UNIT.name
    unit.write_text(UNIT.read_text().replace(INSTALLED_SCRIPT, str(script)))
    result = subprocess.run([analyze, "verify", str(unit)], capture_output=True, text=True, timeout=60,
                            cwd=tmp_path)
    output = (result.stdout + result.stderr).strip()
    if result.returncode != 0 and "Failed to" in output and UNIT.name not in output:
        pytest.skip(f"systemd-analyze cannot run in this environment: {output[:300]}")
    own = [line for line in output.splitlines() if UNIT.name in line]
    assert result.returncode == 0 and not own, output
