"""The markets the bot may trade: immutable facts loaded once at start and shared read-only."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.orders.planning import Bracket
from core.precision import SymbolRules


@dataclass(frozen=True)
class MarketCatalog:
    """Rules (tick, step, min notional) and leverage brackets of the USDC perpetuals."""

    rules: dict[str, SymbolRules]
    brackets: dict[str, tuple[Bracket, ...]] = field(default_factory=dict)
    active: tuple[str, ...] = ()

    def rules_for(self, symbol: str) -> SymbolRules:
        """Raises KeyError for a symbol the exchange does not list."""
        return self.rules[symbol]

    def brackets_for(self, symbol: str) -> tuple[Bracket, ...]:
        return self.brackets.get(symbol, ())

    def max_leverage(self, symbol: str) -> int | None:
        brackets = self.brackets.get(symbol)
        return max(b.max_leverage for b in brackets) if brackets else None
