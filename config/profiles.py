"""The three trading profiles: overlays on the built-in defaults.

A profile only names what differs from the defaults, which are the balanced profile: the user's plan
(stop-loss 2 %, take-profit steps 0.4/0.8/1.2 %, 10-minute max hold, 1 % risk per trade). The
conservative and aggressive values come from the walk-forward tuning in ``docs/backtest.md``
(``backtest/tuning.py``: random and coordinate search, 1,031 candidates each backtested in and out of
sample; chosen on 2025-05-05..05-26, reported on 05-26..06-03). Change them there, with the numbers.
"""

from __future__ import annotations

from typing import Any, Literal

ProfileName = Literal["conservative", "balanced", "aggressive"]
PROFILE_NAMES: tuple[ProfileName, ...] = ("conservative", "balanced", "aggressive")

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "conservative": {
        "exchange": {"leverage": 3, "max_leverage": 5},
        "symbols": {"max_symbols": 6},
        "strategy": {"min_confirmations": 2, "confirmations": ("trend", "macd_momentum", "volume"),
                     "atr_min_pct": 0.02, "volume_factor": 2.0},
        "orders": {"stop_loss_pct": 1.5, "take_profit_pct": (0.6, 1.2, 2.0), "max_hold_min": 240.0},
        "risk": {
            "risk_per_trade_pct": 0.5,
            "max_concurrent_positions": 1,
            "daily_loss_limit_pct": 3.0,
            "stop_loss_streak": 2,
            "streak_pause_min": 120.0,
            "symbol_cooldown_min": 15.0,
        },
    },
    # Balanced keeps the user's plan for stops, take-profits, hold time and risk (the built-in defaults);
    # its gating comes from the tuning: the untuned defaults lost 150 USDC out of sample (docs/backtest.md).
    "balanced": {
        "strategy": {"min_confirmations": 2, "triggers": ("rsi_reversal",),
                     "confirmations": ("rsi_zone", "macd_momentum", "volume"), "atr_min_pct": 0.03,
                     "volume_factor": 3.0},
        "risk": {"max_concurrent_positions": 4, "symbol_cooldown_min": 30.0},
    },
    "aggressive": {
        "exchange": {"leverage": 10, "max_leverage": 20},
        "symbols": {"max_symbols": 20},
        "strategy": {"min_confirmations": 2, "triggers": ("rsi_reversal",),
                     "confirmations": ("rsi_zone", "macd_momentum", "volume"), "atr_min_pct": 0.03,
                     "atr_max_pct": 0.8, "volume_factor": 3.0},
        "orders": {"stop_loss_pct": 2.5, "max_hold_min": 240.0},
        "risk": {
            "risk_per_trade_pct": 2.0,
            "max_concurrent_positions": 5,
            "daily_loss_limit_pct": 8.0,
            "stop_loss_streak": 4,
            "streak_pause_min": 30.0,
            "symbol_cooldown_min": 30.0,
        },
    },
}


def profile_overlay(name: str) -> dict[str, dict[str, Any]]:
    """The settings a profile changes, as a nested dict (a deep copy: callers may merge into it)."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}")
    return {section: dict(values) for section, values in PROFILES[name].items()}
