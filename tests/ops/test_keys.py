"""``run.py keys``: a temporary ``.env`` is edited atomically with mode 0600 and no secret is ever printed."""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from cli.app import run_cli
from service.keys import KeyFileError, mask, read_values, write_values
from tests.support import REPO_ROOT
from tests.system.support import running_simulator

API_KEY = "Kx7" + "a1B2c3D4" * 7 + "z"  # 60 characters, like a Binance key
API_SECRET = "Sx9" + "q8W7e6R5" * 7 + "y"
TOKEN = "123456789:AAH-fake_token_for_tests_only_0123456789"


@pytest.fixture(autouse=True)
def _clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.startswith(("BINANCE_", "TELEGRAM_", "BOT__")):
            monkeypatch.delenv(name)


def _cli(args: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = run_cli(args)
    captured = capsys.readouterr()
    return code, captured.out + captured.err


def test_set_writes_0600_keeps_other_lines_and_never_prints_the_secret(tmp_path: Path, capsys) -> None:
    env = tmp_path / ".env"
    env.write_text("# my notes\nBOT__RISK__MAX_CONCURRENT_POSITIONS=2\nBINANCE_API_KEY=old\nOTHER='x y'\n")
    env.chmod(0o644)
    code, output = _cli(["keys", "set", "BINANCE_API_KEY", "--value", API_KEY, "--env-file", str(env)], capsys)
    assert code == 0, output
    assert "readable by group or others" in output  # warned about the old mode
    assert API_KEY not in output and mask(API_KEY) in output
    assert stat.S_IMODE(env.stat().st_mode) == 0o600
    lines = env.read_text().splitlines()
    assert lines == ["# my notes", "BOT__RISK__MAX_CONCURRENT_POSITIONS=2", f"BINANCE_API_KEY={API_KEY}",
                     "OTHER='x y'"]
    code, output = _cli(["keys", "set", "BINANCE_API_SECRET", "--value", API_SECRET, "--env-file", str(env)], capsys)
    assert code == 0 and API_SECRET not in output
    assert read_values(env) == {"BOT__RISK__MAX_CONCURRENT_POSITIONS": "2", "BINANCE_API_KEY": API_KEY,
                                "OTHER": "x y", "BINANCE_API_SECRET": API_SECRET}
    assert [p.name for p in tmp_path.iterdir()] == [".env"]  # no temporary file left behind


def test_malformed_values_are_refused_without_echoing_them(tmp_path: Path, capsys) -> None:
    env = tmp_path / ".env"
    secret_looking = "not a key with spaces and $igns"
    code, output = _cli(["keys", "set", "BINANCE_API_SECRET", "--value", secret_looking, "--env-file", str(env)],
                        capsys)
    assert code == 2 and "BINANCE_API_SECRET: must be 16 to 128 letters and digits" in output
    assert secret_looking not in output and not env.exists()
    code, output = _cli(["keys", "set", "TELEGRAM_TOKEN", "--value", "12:short", "--env-file", str(env)], capsys)
    assert code == 2 and "12:short" not in output
    code, output = _cli(["keys", "set", "TELEGRAM_CHAT_ID", "--value", "-100123", "--env-file", str(env)], capsys)
    assert code == 0 and "-100123" in output  # not a secret: shown so the owner can check it


def test_show_masks_and_says_where_each_value_comes_from(tmp_path: Path, capsys, monkeypatch) -> None:
    env = tmp_path / ".env"
    write_values(env, {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": API_SECRET})
    monkeypatch.setenv("TELEGRAM_TOKEN", TOKEN)
    code, output = _cli(["keys", "show", "--env-file", str(env)], capsys)
    assert code == 0
    for secret in (API_KEY, API_SECRET, TOKEN):
        assert secret not in output
    assert f"BINANCE_API_KEY            {mask(API_KEY)}  (from {env})" in output
    assert f"TELEGRAM_TOKEN             {mask(TOKEN)}  (from environment)" in output
    assert "TELEGRAM_CHAT_ID           (not set)" in output


def test_unset_removes_only_that_name(tmp_path: Path, capsys) -> None:
    env = tmp_path / ".env"
    write_values(env, {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": API_SECRET})
    code, _ = _cli(["keys", "unset", "binance_api_key", "--env-file", str(env)], capsys)
    assert code == 0 and read_values(env) == {"BINANCE_API_SECRET": API_SECRET}


def test_check_reports_format_and_pairs(tmp_path: Path, capsys) -> None:
    env = tmp_path / ".env"
    write_values(env, {"BINANCE_API_KEY": API_KEY, "TELEGRAM_TOKEN": TOKEN})
    code, output = _cli(["keys", "check", "--env-file", str(env)], capsys)
    assert code == 1
    assert "[ OK ] BINANCE_API_KEY is set and well-formed" in output
    assert "[FAIL] BINANCE_API_SECRET: not set, but its partner is" in output
    assert "[FAIL] TELEGRAM_CHAT_ID: not set" in output
    write_values(env, {"BINANCE_API_SECRET": API_SECRET, "TELEGRAM_CHAT_ID": "42", "TELEGRAM_ALLOWED_USER_IDS": "7,8"})
    code, output = _cli(["keys", "check", "--env-file", str(env)], capsys)
    assert code == 0, output
    assert API_KEY not in output and API_SECRET not in output and TOKEN not in output


def test_check_asks_the_exchange_to_accept_the_keys(tmp_path: Path, capsys) -> None:
    env = tmp_path / ".env"
    write_values(env, {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": API_SECRET})
    args = ["keys", "check", "--env-file", str(env), "--config", str(_config(tmp_path))]
    with running_simulator(data_dir=None, symbols=["BTC"], api_key=API_KEY, api_secret=API_SECRET) as sim:
        code, output = _cli([*args, "--exchange-url", sim.rest_url], capsys)
        assert code == 0, output
        assert f"[ OK ] exchange {sim.rest_url} accepted the keys" in output
    with running_simulator(data_dir=None, symbols=["BTC"]) as other:  # the simulator's own default keys
        code, output = _cli([*args, "--exchange-url", other.rest_url], capsys)
        assert code == 1, output
        assert "refused the keys: -2015" in output
    assert API_KEY not in output and API_SECRET not in output


def _config(tmp_path: Path) -> Path:
    config = tmp_path / "config.json"
    config.write_text('{"storage": {"data_dir": "%s"}}' % (tmp_path / "var"))
    return config


def test_values_with_special_characters_round_trip_through_dotenv(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    write_values(env, {"TELEGRAM_ALLOWED_USER_IDS": "1, 2", "BINANCE_API_KEY": "a$b\"c"})
    assert read_values(env) == {"TELEGRAM_ALLOWED_USER_IDS": "1, 2", "BINANCE_API_KEY": "a$b\"c"}
    with pytest.raises(KeyFileError, match="line break"):
        write_values(env, {"BINANCE_API_KEY": "a\nINJECTED=1"})
    assert "INJECTED" not in env.read_text()


def test_stdin_as_a_user_pipes_it(tmp_path: Path) -> None:
    env_vars = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    result = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "keys", "set", "TELEGRAM_TOKEN", "--stdin"],
                            cwd=tmp_path, env=env_vars, input=TOKEN + "\n", capture_output=True, text=True,
                            timeout=60)
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout + result.stderr
    assert read_values(tmp_path / ".env") == {"TELEGRAM_TOKEN": TOKEN}
    assert stat.S_IMODE((tmp_path / ".env").stat().st_mode) == 0o600
