"""Paper mode's market data: the simulator fed live from a source exchange instead of from files.

``SimulatorConfig(live_source_url=...)`` makes :class:`simulator.server.app.SimulatorServer` load recent
history from the source (:func:`open_live_feed`), run a :class:`LiveClock` a fixed delay behind the
source and never past the data, and append each candle once it is final (:class:`LiveFeed`). Orders
still go to the simulator's own engine: nothing is ever sent to the source but public GETs.
README "Paper mode" states the timing rule.
"""

from simulator.live.clock import LiveClock
from simulator.live.feed import LiveFeed
from simulator.live.source import SourceError
from simulator.live.startup import SourceMarket, open_live_feed, source_markets

__all__ = ["LiveClock", "LiveFeed", "SourceError", "SourceMarket", "open_live_feed", "source_markets"]
