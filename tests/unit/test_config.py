"""Configuration layers, validation messages, profiles and secret masking."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from config import ConfigError, load_settings, profile_overlay, write_runtime_changes
from config.profiles import PROFILES

FAKE_KEY = "AKfakeKEY1234567890abcdef"
FAKE_SECRET = "SKfakeSECRET0987654321zyxw"
FAKE_TOKEN = "123456:TESTtokenVALUEabcdefghij"


def _load(tmp_path: Path, config: dict | None = None, env: dict | None = None, **kwargs):
    cfg_path = None
    if config is not None:
        cfg_path = tmp_path / "config.json"
        cfg_path.write_text(json.dumps(config))
    env = {"BOT__STORAGE__DATA_DIR": str(tmp_path / "var"), **(env or {})}
    return load_settings(cfg_path, env=env, env_file=kwargs.pop("env_file", None), **kwargs)


def test_defaults_are_the_users_plan(tmp_path: Path) -> None:
    s = _load(tmp_path).settings
    assert s.profile == "balanced" and s.exchange.mode == "demo"
    assert s.orders.stop_loss_pct == 2.0 and s.orders.take_profit_pct == (0.4, 0.8, 1.2)
    assert s.orders.max_hold_min == 10.0 and s.risk.daily_loss_limit_pct == 5.0
    assert s.demo.start_balance == 400.0 and s.symbols.max_symbols <= 35


def test_layers_later_wins(tmp_path: Path) -> None:
    runtime = tmp_path / "var" / "runtime.json"
    write_runtime_changes(runtime, {"risk": {"max_concurrent_positions": 4}, "control": {"paused": True}})
    loaded = _load(
        tmp_path,
        config={"profile": "conservative", "risk": {"max_concurrent_positions": 7, "risk_per_trade_pct": 0.7}},
        env={"BOT__RISK__RISK_PER_TRADE_PCT": "0.9"},
    )
    s = loaded.settings
    assert s.profile == "conservative"
    assert s.orders.stop_loss_pct == PROFILES["conservative"]["orders"]["stop_loss_pct"]  # profile over defaults
    assert s.risk.max_concurrent_positions == 4  # runtime over file
    assert s.risk.risk_per_trade_pct == 0.9  # environment over file
    assert s.control.paused is True


def test_runtime_profile_switch_survives_a_restart(tmp_path: Path) -> None:
    write_runtime_changes(tmp_path / "var" / "runtime.json", {"profile": "aggressive"})
    s = _load(tmp_path, config={"profile": "conservative"}).settings
    assert s.profile == "aggressive"
    assert s.risk.max_concurrent_positions == PROFILES["aggressive"]["risk"]["max_concurrent_positions"]


def test_environment_lists_and_json_values(tmp_path: Path) -> None:
    s = _load(tmp_path, env={
        "BOT__SYMBOLS__WHITELIST": "BTC/USDC:USDC, ETH/USDC:USDC",
        "BOT__ORDERS__TAKE_PROFIT_PCT": "[0.5, 1.0]",
        "BOT__ORDERS__TAKE_PROFIT_SPLIT": "0.5,0.5",
        "TELEGRAM_ALLOWED_USER_IDS": "11, 22",
        "TELEGRAM_CHAT_ID": "42",
    }).settings
    assert s.symbols.whitelist == ("BTC/USDC:USDC", "ETH/USDC:USDC")
    assert s.orders.take_profit_pct == (0.5, 1.0) and s.orders.take_profit_split == (0.5, 0.5)
    assert s.telegram.allowed_user_ids == (11, 22) and s.telegram.chat_id == 42


def test_every_problem_is_reported_with_field_value_and_rule(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as info:
        _load(tmp_path, config={
            "orders": {"stop_loss_pct": 0, "take_profit_split": [0.5, 0.2, 0.2]},
            "risk": {"max_concurrent_positions": "many"},
            "strategy": {"ema_fast": 30},
            "symbols": {"max_symbols": 36},
            "exchange": {"mode": "moon"},
            "orderz": {},
        })
    problems = "\n".join(info.value.problems)
    assert "orders.stop_loss_pct: must be > 0 and <= 20, got 0" in problems
    assert "risk.max_concurrent_positions:" in problems and "'many'" in problems
    assert "strategy.ema_fast: must be < ema_slow (21), got 30" in problems
    assert "symbols.max_symbols: must be >= 1 and <= 35, got 36" in problems
    assert "exchange.mode: must be one of" in problems and "'moon'" in problems
    assert "orderz: unknown setting" in problems


@pytest.mark.parametrize("config", [
    {"orders": {"stop_loss_pct": None}},
    {"orders": {"stop_loss_pct": -1}},
    {"orders": {"stop_loss_enabled": False}},
    {"orders": {"use_stop_loss": False}},
])
def test_the_stop_loss_can_never_be_configured_off(tmp_path: Path, config: dict) -> None:
    with pytest.raises(ConfigError, match=r"orders\.(stop_loss|use_stop_loss)"):
        _load(tmp_path, config=config)


def test_take_profit_steps_must_match_their_split(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="take_profit_split: must have one share per step"):
        _load(tmp_path, config={"orders": {"take_profit_pct": [0.4, 0.8], "take_profit_split": [1.0]}})
    with pytest.raises(ConfigError, match="strictly increasing"):
        _load(tmp_path, config={"orders": {"take_profit_pct": [0.8, 0.4], "take_profit_split": [0.5, 0.5]}})


def test_bad_config_files_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ConfigError, match=r"bad.json: invalid JSON at line 1"):
        load_settings(bad, env={}, env_file=None)
    with pytest.raises(ConfigError, match="cannot read config file"):
        load_settings(tmp_path / "missing.json", env={}, env_file=None)
    bad.write_text("[1, 2]")
    with pytest.raises(ConfigError, match="must hold a JSON object"):
        load_settings(bad, env={}, env_file=None)
    bad.write_text(json.dumps({"secrets": {"BINANCE_API_KEY": "x"}}))
    with pytest.raises(ConfigError, match="secrets do not belong"):
        load_settings(bad, env={}, env_file=None)


def test_a_corrupt_runtime_file_starts_paused_and_says_why(tmp_path: Path) -> None:
    runtime = tmp_path / "var" / "runtime.json"
    runtime.parent.mkdir(parents=True)
    runtime.write_text("{\"control\": {\"paused\": fal")
    loaded = _load(tmp_path)
    assert loaded.settings.control.paused is True
    assert any("runtime.json" in w and "PAUSED" in w for w in loaded.warnings)


def test_secrets_are_masked_everywhere_and_come_from_env_file(tmp_path: Path) -> None:
    env_file = tmp_path / ".env"
    env_file.write_text(f"BINANCE_API_KEY={FAKE_KEY}\nBINANCE_API_SECRET={FAKE_SECRET}\nTELEGRAM_TOKEN={FAKE_TOKEN}\n")
    loaded = _load(tmp_path, config={"exchange": {"mode": "testnet"}}, env_file=env_file)
    s = loaded.settings
    assert s.secrets.binance_api_key is not None
    assert s.secrets.binance_api_key.get_secret_value() == FAKE_KEY
    for text in (repr(s), str(s), repr(s.secrets), json.dumps(s.public_dict()), str(s.model_dump())):
        for secret in (FAKE_KEY, FAKE_SECRET, FAKE_TOKEN):
            assert secret not in text
    assert set(s.secrets.secret_values()) == {FAKE_KEY, FAKE_SECRET, FAKE_TOKEN}


def test_keys_without_an_explicit_mode_run_paper_and_live_needs_keys(tmp_path: Path) -> None:
    loaded = _load(tmp_path, env={"BINANCE_API_KEY": FAKE_KEY, "BINANCE_API_SECRET": FAKE_SECRET})
    assert loaded.settings.exchange.mode == "paper" and loaded.warnings
    with pytest.raises(ConfigError, match=r"exchange\.mode: live needs BINANCE_API_KEY"):
        _load(tmp_path, config={"exchange": {"mode": "live"}})


def test_profiles_only_name_existing_settings(tmp_path: Path) -> None:
    for name in PROFILES:
        assert _load(tmp_path, config={"profile": name}).settings.profile == name
        assert isinstance(profile_overlay(name), dict)
    with pytest.raises(KeyError):
        profile_overlay("yolo")
    with pytest.raises(ConfigError, match="profile: must be one of"):
        _load(tmp_path, config={"profile": "yolo"})


def test_runtime_file_writes_are_atomic_merges(tmp_path: Path) -> None:
    path = tmp_path / "runtime.json"
    write_runtime_changes(path, {"control": {"paused": True, "pause_reason": "owner"}})
    merged = write_runtime_changes(path, {"control": {"paused": False}, "profile": "aggressive"})
    assert merged == {"control": {"paused": False, "pause_reason": "owner"}, "profile": "aggressive"}
    assert json.loads(path.read_text()) == merged
    assert [p.name for p in tmp_path.iterdir()] == ["runtime.json"]  # no temporary file left behind
