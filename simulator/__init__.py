"""Wire-faithful Binance USDⓈ-M futures simulator for USDC-margined perpetuals (see README.md here).

Module API: :func:`start` returns a :class:`SimulatorHandle`; the pure engine is
:class:`simulator.engine.Engine`; rejections are :class:`BinanceError`. Exports are resolved lazily so
that importing a sibling package (``simulator.telegram``) does not load numpy and the server.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulator.api import SimulatorHandle, start
    from simulator.config import DEFAULT_API_KEY, DEFAULT_API_SECRET, SimulatorConfig
    from simulator.engine import Engine, EngineConfig, Event
    from simulator.errors import BinanceError

_EXPORTS = {
    "SimulatorHandle": "simulator.api",
    "start": "simulator.api",
    "SimulatorConfig": "simulator.config",
    "DEFAULT_API_KEY": "simulator.config",
    "DEFAULT_API_SECRET": "simulator.config",
    "Engine": "simulator.engine",
    "EngineConfig": "simulator.engine",
    "Event": "simulator.engine",
    "BinanceError": "simulator.errors",
}

__all__ = [
    "DEFAULT_API_KEY",
    "DEFAULT_API_SECRET",
    "BinanceError",
    "Engine",
    "EngineConfig",
    "Event",
    "SimulatorConfig",
    "SimulatorHandle",
    "start",
]


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'simulator' has no attribute {name!r}")
    return getattr(importlib.import_module(module), name)
