"""``run.py check`` against the simulator: a ready account exits 0, every not-ready one exits 1 and says why."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import ccxt
import pytest

from cli.app import run_cli
from simulator.server.rest import SIGNED, Route
from tests.support import REPO_ROOT, free_port
from tests.system.support import running_simulator

CHECK_ITEMS = ("clock", "markets", "API keys", "key permissions", "position mode", "multi-assets mode",
               "margin asset", "symbols", "margin type", "leverage brackets", "balance")


def _run_check(args: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("BOT__", "BINANCE_", "TELEGRAM_"))}
    env["BOT__STORAGE__DATA_DIR"] = str(cwd / "var")
    return subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "check", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=60)


def test_ready_account_exits_0_with_a_checklist(tmp_path: Path) -> None:
    with running_simulator(data_dir=None, symbols=["BTC", "ETH", "SOL"], seed=5) as sim:
        result = _run_check(["--exchange-url", sim.rest_url], tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr
    report = result.stdout.split("Readiness of the account", 1)[1]
    for name in CHECK_ITEMS:
        assert f"] {name}: " in report, name
    assert "[FAIL]" not in report and report.rstrip().endswith("READY")
    assert "(keys: simulator defaults)" in report


def test_a_balance_too_small_for_the_minimum_notional_exits_1(tmp_path: Path) -> None:
    with running_simulator(data_dir=None, symbols=["BTC", "ETH", "SOL"], seed=5, balance="5") as sim:
        result = _run_check(["--exchange-url", sim.rest_url], tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    assert "[FAIL] balance: available 5.00 USDC is too small" in result.stdout
    assert "NOT READY: 1 problem(s)" in result.stdout


def test_hedge_mode_multi_assets_and_withdrawal_permission_are_reported(tmp_path: Path, capsys) -> None:
    """The simulator refuses hedge mode and never enables withdrawals, so its answers are replaced here."""
    with running_simulator(data_dir=None, symbols=["BTC", "ETH"], seed=5) as sim:
        routes = sim._server.routes
        routes[("GET", "/fapi/v1/positionSide/dual")] = Route(lambda ctx: {"dualSidePosition": True}, 30, SIGNED)
        restrictions = routes[("GET", "/sapi/v1/account/apiRestrictions")]
        routes[("GET", "/sapi/v1/account/apiRestrictions")] = Route(
            lambda ctx: {**restrictions.handler(ctx), "enableWithdrawals": True, "ipRestrict": True}, 1, SIGNED)
        client = sim.patch_ccxt(ccxt.binanceusdm({"apiKey": sim.api_key, "secret": sim.api_secret,
                                                  "options": {"fetchCurrencies": False}}))
        client.fapiPrivatePostMultiAssetsMargin({"multiAssetsMargin": "true"})
        code = run_cli(["check", "--exchange-url", sim.rest_url, "--env-file", str(tmp_path / ".env"),
                        "--symbols", "BTC,ETHUSDC,DOGE"])
    captured = capsys.readouterr()
    assert code == 1
    out = captured.out.split("Readiness of the account", 1)[1]
    assert "[FAIL] position mode: the account is in hedge mode" in out
    assert "[FAIL] multi-assets mode: on, but exchange.margin_type is isolated" in out
    assert "[WARN] key permissions: !!! WITHDRAWALS ARE ENABLED" in out
    assert "WITHDRAWALS ARE ENABLED" in captured.err  # and loudly on stderr
    assert "[FAIL] symbols: not active USDC perpetuals here: DOGE/USDC:USDC" in out
    assert "[ OK ] symbols: 2 to trade: BTC/USDC:USDC, ETH/USDC:USDC" in out


def test_an_unreachable_exchange_is_not_ready(tmp_path: Path, capsys) -> None:
    code = run_cli(["check", "--exchange-url", f"http://127.0.0.1:{free_port()}", "--env-file",
                    str(tmp_path / ".env")])
    assert code == 1
    assert "[FAIL] exchange: not reachable at" in capsys.readouterr().out


def test_demo_without_an_exchange_url_checks_the_configuration_only(tmp_path: Path, capsys,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for name in list(os.environ):
        if name.startswith(("BOT__", "BINANCE_", "TELEGRAM_")):
            monkeypatch.delenv(name)
    assert run_cli(["check"]) == 0
    assert "exchange: not checked — demo mode" in capsys.readouterr().out


def test_a_bad_configuration_still_exits_2(tmp_path: Path) -> None:
    (tmp_path / "bad.json").write_text('{"risk": {"max_concurrent_positions": 0}}')
    result = _run_check(["--config", str(tmp_path / "bad.json"), "--exchange-url", "http://127.0.0.1:9"], tmp_path)
    assert result.returncode == 2 and "risk.max_concurrent_positions" in result.stderr
