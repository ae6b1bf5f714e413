"""Events the engine reports (user-data stream payloads) and the engine's configuration."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Event:
    """One user-data event: ``kind`` is the Binance ``e`` and ``payload`` the complete WS JSON object."""

    kind: str
    time_ms: int
    payload: dict[str, object]


@dataclass(frozen=True)
class EngineConfig:
    """Account and matching settings (README "Account" and "Fills" list the defaults and why)."""

    balance: str = "400"
    taker_fee: str = "0.0005"
    maker_fee: str = "0.0002"
    slippage_bps: float = 0.0
    default_leverage: int = 20
    max_open_orders: int = 200
    max_algo_orders: int = 200
    liquidation: bool = True
