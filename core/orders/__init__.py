"""Order planning and the order lifecycle core (pure, synchronous: hosted by the OrderActor and the backtest)."""
