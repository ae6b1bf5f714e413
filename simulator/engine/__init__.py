"""The pure matching and account engine (see :class:`Engine`)."""

from simulator.engine.core import Engine
from simulator.engine.events import EngineConfig, Event

__all__ = ["Engine", "EngineConfig", "Event"]
