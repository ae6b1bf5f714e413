"""Settings of one simulator instance (module API and CLI share them)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from simulator.candles import CandleSeries
from simulator.server.faults import Faults

# Documented defaults (README "Keys"): fixed so a demo bot and a test can be configured without reading output.
DEFAULT_API_KEY = "simulatorApiKey" + "0" * 49
DEFAULT_API_SECRET = "simulatorApiSecret" + "0" * 46
WARMUP_MINUTES = 1000


@dataclass
class SimulatorConfig:
    """What to replay, how fast, the account, the transport and the faults.

    Data: ``data_dir`` (kline files), else ``series`` (already loaded), else the seeded synthetic generator.
    Time: ``stepped`` (advanced by the caller) or ``speed`` simulated seconds per real second (1 = real time).
    ``start`` defaults to the first data time + 1000 minutes (warm-up for 1000 closed candles).

    Paper mode (README "Paper mode"): ``live_source_url`` (a Binance USDⓈ-M REST root, or another
    simulator) replaces the data sources; ``symbols`` are then the symbols to feed (all the source's
    trading USDC perpetuals when empty) and ``speed`` is the source's speed (1 for Binance). The clock
    runs ``live_delay_s`` (seconds of the source's time) behind the source and halts rather than pass
    the last final candle; the source is polled every ``live_poll_s`` real seconds; ``live_history``
    candles are closed at the first instant; ``live_weight_budget`` is the share of the source's
    6000/min request weight the feed may use.
    """

    data_dir: str | Path | None = None
    series: Mapping[str, CandleSeries] | None = None
    symbols: Sequence[str] | None = None
    symbol_map: Mapping[str, str] | None = None
    synthesize_markets: bool = False
    seed: int = 1
    synthetic_days: float = 30.0
    start: int | str | datetime | None = None
    speed: float = 1.0
    stepped: bool = False
    host: str = "127.0.0.1"
    port: int = 0
    api_key: str = DEFAULT_API_KEY
    api_secret: str = DEFAULT_API_SECRET
    balance: str = "400"
    taker_fee: str = "0.0005"
    maker_fee: str = "0.0002"
    slippage_bps: float = 0.0
    default_leverage: int = 20
    liquidation: bool = True
    rate_limits: bool = True
    listen_key_ttl_ms: int = 3_600_000
    kline_interval_ms: int = 250
    max_frames_per_second: float = 20.0
    faults: Faults = field(default_factory=Faults)
    live_source_url: str | None = None
    live_delay_s: float = 90.0
    live_poll_s: float = 2.0
    live_history: int = 1440  # a day: >= the bot's 1000-candle warm-up, and ticker/24hr volumes are complete
    live_weight_budget: int = 1200


def parse_time(value: int | str | datetime | None) -> int | None:
    """Milliseconds since the epoch from ms, an ISO-8601 text (UTC if naive) or a datetime."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        moment = value
    elif isinstance(value, int) or (isinstance(value, str) and value.lstrip("-").isdigit()):
        return int(value)
    else:
        moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return int(moment.timestamp() * 1000)
