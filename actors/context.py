"""What every actor of one bot instance shares: read-only settings and facts, the clock, the
directory of actors, storage and the health board."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from actors.directory import ActorDirectory
from actors.health import HealthBoard
from config import Settings
from core.clock import Clock
from exchange.catalog import MarketCatalog


@dataclass
class BotContext:
    settings: Settings
    clock: Clock
    directory: ActorDirectory
    storage: Any  # storage.Storage (typed loosely to keep actors importable without a database in tests)
    catalog: MarketCatalog
    health: HealthBoard = field(default_factory=HealthBoard)
    gateway_factory: Any = None  # () -> Gateway: one exchange client per worker thread
    ws_root: str = ""
    legacy_ws_paths: bool = False
    speed: float = 1.0  # simulated seconds per real second (demo); 1.0 live
    reload_settings: Any = None  # () -> Settings from the same layers as at start (run-time profile switch)
