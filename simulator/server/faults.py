"""Faults on demand: what the control API, the CLI flags and the module API can switch on.

Rates draw from their own seeded RNG (deterministic for a given seed and request sequence); "next N"
rules are fully deterministic and what tests should prefer.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass, field, fields
from typing import Any

from simulator import errors
from simulator.errors import BinanceError


@dataclass
class RejectRule:
    """Reject the next ``count`` order requests matching the filters with Binance ``code``."""

    count: int
    code: int
    msg: str | None = None
    symbol: str | None = None
    side: str | None = None
    type: str | None = None
    endpoint: str | None = None  # "order", "algoOrder" or None for both

    def matches(self, endpoint: str, params: dict[str, str]) -> bool:
        return (
            self.count > 0
            and (self.endpoint is None or self.endpoint == endpoint)
            and (self.symbol is None or self.symbol.upper() == params.get("symbol", "").upper())
            and (self.side is None or self.side.upper() == params.get("side", "").upper())
            and (self.type is None or self.type.upper() == params.get("type", "").upper())
        )


@dataclass
class FailRule:
    """Fail the next ``count`` REST requests whose path contains ``path`` (all when empty).

    ``kind`` is "5xx" (HTTP 503, non-JSON body) or "timeout" (no answer for ``Faults.timeout_s``);
    ``execute`` says whether an order request is still executed (the "unknown outcome" case).
    """

    count: int
    kind: str = "5xx"
    execute: bool = True
    path: str = ""


@dataclass
class Faults:
    """Current fault settings (README "Faults")."""

    latency_ms: float = 0.0
    latency_jitter_ms: float = 0.0
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    timeout_s: float = 15.0
    execute_rate: float = 0.5
    burst_429: int = 0
    clock_skew_ms: int = 0
    ws_stall: bool = False
    kline_malformed_rate: float = 0.0
    kline_duplicate_rate: float = 0.0
    kline_out_of_order_rate: float = 0.0
    rejects: list[RejectRule] = field(default_factory=list)
    fails: list[FailRule] = field(default_factory=list)

    def update(self, changes: dict[str, Any]) -> None:
        """Apply a partial update (unknown keys are an error; rule lists are replaced)."""
        names = {f.name for f in fields(self)}
        for key, raw in changes.items():
            if key not in names:
                raise ValueError(f"unknown fault setting {key!r}")
            value: Any
            if key == "rejects":
                value = [RejectRule(**r) if isinstance(r, dict) else r for r in raw]
            elif key == "fails":
                value = [FailRule(**r) if isinstance(r, dict) else r for r in raw]
            elif key == "ws_stall":
                value = bool(raw)
            elif key in ("burst_429", "clock_skew_ms"):
                value = int(raw)
            else:
                value = float(raw)
            setattr(self, key, value)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Decides, request by request, which fault applies."""

    def __init__(self, faults: Faults, seed: int) -> None:
        self.faults = faults
        self.rng = random.Random(seed ^ 0x5EED)

    def take_reject(self, endpoint: str, params: dict[str, str]) -> BinanceError | None:
        for rule in self.faults.rejects:
            if rule.matches(endpoint, params):
                rule.count -= 1
                return errors.forced(rule.code, rule.msg)
        return None

    def take_failure(self, path: str) -> tuple[str, bool] | None:
        """("5xx" | "timeout", still_execute) for this request, or None."""
        for rule in self.faults.fails:
            if rule.count > 0 and rule.path in path:
                rule.count -= 1
                return rule.kind, rule.execute
        f = self.faults
        if f.error_rate or f.timeout_rate:
            draw = self.rng.random()
            if draw < f.error_rate:
                return "5xx", self.rng.random() < f.execute_rate
            if draw < f.error_rate + f.timeout_rate:
                return "timeout", self.rng.random() < f.execute_rate
        return None

    def take_burst(self) -> bool:
        if self.faults.burst_429 > 0:
            self.faults.burst_429 -= 1
            return True
        return False

    def latency_s(self) -> float:
        f = self.faults
        if not f.latency_ms and not f.latency_jitter_ms:
            return 0.0
        return max(0.0, f.latency_ms + self.rng.uniform(-f.latency_jitter_ms, f.latency_jitter_ms)) / 1000.0

    def kline_fault(self) -> str | None:
        """ "malformed", "duplicate", "out_of_order" or None for one kline frame."""
        f = self.faults
        total = f.kline_malformed_rate + f.kline_duplicate_rate + f.kline_out_of_order_rate
        if not total:
            return None
        draw = self.rng.random()
        if draw < f.kline_malformed_rate:
            return "malformed"
        if draw < f.kline_malformed_rate + f.kline_duplicate_rate:
            return "duplicate"
        if draw < total:
            return "out_of_order"
        return None
