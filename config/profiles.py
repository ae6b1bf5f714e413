"""The three trading profiles: overlays on the built-in defaults.

A profile only names what differs from the defaults (which are the ``balanced`` profile). The values
come from the walk-forward tuning described in the README; change them there, with the numbers.
"""

from __future__ import annotations

from typing import Any, Literal

ProfileName = Literal["conservative", "balanced", "aggressive"]
PROFILE_NAMES: tuple[ProfileName, ...] = ("conservative", "balanced", "aggressive")

PROFILES: dict[str, dict[str, dict[str, Any]]] = {
    "conservative": {
        "exchange": {"leverage": 3, "max_leverage": 5},
        "symbols": {"max_symbols": 6},
        "strategy": {"min_confirmations": 2},
        "orders": {"stop_loss_pct": 1.5, "max_hold_min": 15.0},
        "risk": {
            "risk_per_trade_pct": 0.5,
            "max_concurrent_positions": 2,
            "daily_loss_limit_pct": 3.0,
            "stop_loss_streak": 2,
            "streak_pause_min": 120.0,
            "symbol_cooldown_min": 15.0,
        },
    },
    "balanced": {},
    "aggressive": {
        "exchange": {"leverage": 10, "max_leverage": 20},
        "symbols": {"max_symbols": 20},
        "orders": {"stop_loss_pct": 2.5, "max_hold_min": 8.0},
        "risk": {
            "risk_per_trade_pct": 2.0,
            "max_concurrent_positions": 5,
            "daily_loss_limit_pct": 8.0,
            "stop_loss_streak": 4,
            "streak_pause_min": 30.0,
            "symbol_cooldown_min": 2.0,
        },
    },
}


def profile_overlay(name: str) -> dict[str, dict[str, Any]]:
    """The settings a profile changes, as a nested dict (a deep copy: callers may merge into it)."""
    if name not in PROFILES:
        raise KeyError(f"unknown profile {name!r}; choose one of {', '.join(PROFILE_NAMES)}")
    return {section: dict(values) for section, values in PROFILES[name].items()}
