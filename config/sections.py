"""The typed settings of the bot, one pydantic model per section.

Every value has a default that is safe for the demo, a range that refuses nonsense before anything
starts, and a docstring-level reason. Models are frozen: a running actor can hold a section without
fearing that another thread changes it; a profile switch builds a new ``Settings``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

PositiveFloat = Annotated[float, Field(gt=0)]


def _split_csv(value: object) -> object:
    """Accept ``"A,B"`` from environment variables where a list is expected."""
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    return value


class Section(BaseModel):
    """Base of every section: unknown keys are errors (a typo must not silently keep a default)."""

    model_config = ConfigDict(extra="forbid", frozen=True, validate_default=True)


class ExchangeSettings(Section):
    """Where and how the bot trades."""

    mode: Literal["demo", "paper", "testnet", "live"] = "demo"
    rest_url: str | None = Field(None, description="Override of the REST root (e.g. a running simulator)")
    ws_url: str | None = Field(None, description="Override of the WebSocket root")
    ws_legacy_paths: bool = Field(False, description="Use /stream and /ws instead of /market and /private")
    recv_window_ms: int = Field(5000, ge=1, le=60000)
    request_timeout_s: float = Field(10.0, gt=0, le=120)
    margin_type: Literal["isolated", "cross"] = "isolated"
    leverage: int = Field(5, ge=1, le=125, description="Base leverage; the LeverageManager stays within bounds")
    min_leverage: int = Field(1, ge=1, le=125)
    max_leverage: int = Field(10, ge=1, le=125)
    quote_asset: Literal["USDC"] = Field("USDC", description="USDC-margined perpetuals only")
    feed: Literal["websocket", "rest"] = Field("websocket", description="rest: never open market WebSockets")
    stale_after_s: float = Field(5.0, gt=0, le=300, description="No market frame for this long: REST takes over")
    rest_poll_interval_s: float = Field(2.0, gt=0, le=60)
    max_streams_per_connection: int = Field(200, ge=1, le=1024)
    weight_limit_per_minute: int = Field(2400, ge=100, le=6000, description="Our share of the 6000/min IP budget")
    flatten_on_shutdown: bool = Field(False, description="Close positions on SIGTERM instead of leaving stops")

    @model_validator(mode="after")
    def _leverage_bounds(self) -> ExchangeSettings:
        if not self.min_leverage <= self.leverage <= self.max_leverage:
            raise ValueError(
                f"leverage: must lie within min_leverage..max_leverage ({self.min_leverage}..{self.max_leverage}), "
                f"got {self.leverage}"
            )
        return self


class DemoSettings(Section):
    """The embedded simulator used when no Binance keys are configured."""

    data_dir: Path | None = Field(None, description="1m kline files to replay; synthetic data when absent")
    speed: float = Field(60.0, gt=0, le=100000, description="Simulated seconds per real second")
    start_balance: float = Field(400.0, gt=0, le=10_000_000)
    seed: int = Field(7, ge=0)
    start: str | None = Field(None, description="ISO time to start the replay at")
    symbols: tuple[str, ...] = Field((), description="Symbols the simulator serves; all it has when empty")

    _split = field_validator("symbols", mode="before")(_split_csv)


class SymbolSettings(Section):
    """Which USDC perpetuals are traded (the Scanner applies these)."""

    max_symbols: int = Field(10, ge=1, le=35)
    whitelist: tuple[str, ...] = Field((), description="If set, only these symbols")
    blacklist: tuple[str, ...] = ()
    exclude_odd_symbols: bool = Field(True, description="Skip test, 1000-prefixed and non-ASCII symbols")
    min_quote_volume_24h: float = Field(1_000_000.0, ge=0)
    atr_pct_min: float = Field(0.03, ge=0, le=100, description="ATR as % of price on the strategy timeframe")
    atr_pct_max: float = Field(3.0, gt=0, le=100)
    rotation_interval_min: float = Field(60.0, gt=0, le=10080)

    _split = field_validator("whitelist", "blacklist", mode="before")(_split_csv)

    @model_validator(mode="after")
    def _atr_band(self) -> SymbolSettings:
        if self.atr_pct_min >= self.atr_pct_max:
            raise ValueError(f"atr_pct_min: must be < atr_pct_max ({self.atr_pct_max}), got {self.atr_pct_min}")
        return self


TriggerName = Literal["ema_cross", "macd_cross", "rsi_reversal"]
ConfirmationName = Literal["trend", "rsi_zone", "macd_momentum", "volume"]


class StrategySettings(Section):
    """ScalpingV1 parameters; the rules are described in the README.

    Periods are capped (EMA/MACD at 75, RSI/ATR at 40) so that indicators over the live 1000-candle
    buffer equal those over the full history to 1e-9 (measured: ATR(100) would differ by 7.5e-5).
    """

    name: Literal["scalping_v1"] = "scalping_v1"
    timeframe: Literal["1m", "5m"] = "1m"
    ema_fast: int = Field(9, ge=2, le=75)
    ema_slow: int = Field(21, ge=3, le=75)
    ema_trend: int = Field(50, ge=5, le=75)
    rsi_period: int = Field(14, ge=2, le=40)
    rsi_oversold: float = Field(30.0, gt=0, lt=50)
    rsi_overbought: float = Field(70.0, gt=50, lt=100)
    rsi_long_min: float = Field(50.0, ge=0, le=100, description="RSI zone confirming a long: [min, max]")
    rsi_long_max: float = Field(70.0, ge=0, le=100)
    rsi_short_min: float = Field(30.0, ge=0, le=100)
    rsi_short_max: float = Field(50.0, ge=0, le=100)
    macd_fast: int = Field(12, ge=2, le=75)
    macd_slow: int = Field(26, ge=3, le=75)
    macd_signal: int = Field(9, ge=2, le=50)
    atr_period: int = Field(14, ge=2, le=40)
    atr_min_pct: float = Field(0.05, ge=0, le=100, description="Volatility gate: ATR % of close, lower bound")
    atr_max_pct: float = Field(1.5, gt=0, le=100)
    volume_period: int = Field(20, ge=2, le=200)
    volume_factor: float = Field(1.2, gt=0, le=20)
    triggers: tuple[TriggerName, ...] = ("ema_cross", "macd_cross", "rsi_reversal")
    confirmations: tuple[ConfirmationName, ...] = ("trend", "rsi_zone", "macd_momentum", "volume")
    min_confirmations: int = Field(1, ge=1, le=4, description="1+1 gating: a trigger plus N confirmations")
    allow_short: bool = True
    stop_atr_multiplier: float = Field(0.0, ge=0, le=20, description="0: the fixed stop-loss % only")

    _split = field_validator("triggers", "confirmations", mode="before")(_split_csv)

    @model_validator(mode="after")
    def _consistent(self) -> StrategySettings:
        problems = []
        if not self.ema_fast < self.ema_slow:
            problems.append(f"ema_fast: must be < ema_slow ({self.ema_slow}), got {self.ema_fast}")
        if not self.macd_fast < self.macd_slow:
            problems.append(f"macd_fast: must be < macd_slow ({self.macd_slow}), got {self.macd_fast}")
        if self.atr_min_pct >= self.atr_max_pct:
            problems.append(f"atr_min_pct: must be < atr_max_pct ({self.atr_max_pct}), got {self.atr_min_pct}")
        if not self.triggers:
            problems.append("triggers: must name at least one trigger, got none")
        if self.rsi_long_min > self.rsi_long_max:
            problems.append(f"rsi_long_min: must be <= rsi_long_max ({self.rsi_long_max}), got {self.rsi_long_min}")
        if self.rsi_short_min > self.rsi_short_max:
            problems.append(
                f"rsi_short_min: must be <= rsi_short_max ({self.rsi_short_max}), got {self.rsi_short_min}")
        if self.min_confirmations > len(self.confirmations):
            problems.append(
                f"min_confirmations: must not exceed the number of enabled confirmations "
                f"({len(self.confirmations)}), got {self.min_confirmations}"
            )
        if problems:
            raise ValueError("; ".join(problems))
        return self


class OrderSettings(Section):
    """Entry, the mandatory stop-loss and the stepped take-profits.

    There is deliberately no switch to turn the stop-loss off: every position is protected.
    """

    entry_type: Literal["market"] = "market"
    stop_loss_pct: float = Field(2.0, gt=0, le=20)
    take_profit_pct: tuple[float, ...] = (0.4, 0.8, 1.2)
    take_profit_split: tuple[float, ...] = (0.4, 0.3, 0.3)
    take_profit_order: Literal["limit", "market"] = Field(
        "limit", description="limit: reduce-only GTC limits (maker); market: TAKE_PROFIT_MARKET algo orders"
    )
    move_stop_to_break_even: bool = True
    break_even_offset_pct: float = Field(0.1, ge=0, le=5, description="Beyond entry, to cover round-trip fees")
    max_hold_min: float = Field(10.0, gt=0, le=1440)
    working_type: Literal["MARK_PRICE", "CONTRACT_PRICE"] = "MARK_PRICE"
    stop_place_timeout_s: float = Field(5.0, gt=0, le=60)
    cleanup_interval_s: float = Field(30.0, gt=0, le=3600)

    _split = field_validator("take_profit_pct", "take_profit_split", mode="before")(_split_csv)

    @model_validator(mode="after")
    def _take_profits(self) -> OrderSettings:
        steps, split = self.take_profit_pct, self.take_profit_split
        if not 1 <= len(steps) <= 5:
            raise ValueError(f"take_profit_pct: must have 1 to 5 steps, got {len(steps)}")
        if len(split) != len(steps):
            raise ValueError(f"take_profit_split: must have one share per step ({len(steps)}), got {len(split)}")
        if any(s <= 0 or s > 20 for s in steps) or list(steps) != sorted(steps) or len(set(steps)) != len(steps):
            raise ValueError(f"take_profit_pct: must be > 0 and <= 20, strictly increasing, got {list(steps)}")
        if any(s <= 0 for s in split) or abs(sum(split) - 1.0) > 1e-9:
            raise ValueError(f"take_profit_split: must be positive shares adding up to 1, got {list(split)}")
        return self


class RiskSettings(Section):
    """RiskGuard limits."""

    risk_per_trade_pct: float = Field(1.0, gt=0, le=10, description="Equity lost if the stop is hit")
    max_position_pct: float = Field(100.0, gt=0, le=1000, description="Cap on margin used by one position")
    max_concurrent_positions: int = Field(3, ge=1, le=35)
    daily_loss_limit_pct: float = Field(5.0, gt=0, le=50)
    stop_loss_streak: int = Field(3, ge=1, le=50)
    streak_pause_min: float = Field(60.0, ge=0, le=10080)
    symbol_cooldown_min: float = Field(5.0, ge=0, le=1440)


class TelegramSettings(Section):
    """Telegram control and notifications (secrets come from the environment, see ``Secrets``)."""

    api_url: str = "https://api.telegram.org"
    chat_id: int | None = None
    allowed_user_ids: tuple[int, ...] = ()
    poll_timeout_s: int = Field(20, ge=1, le=60)
    messages_per_second: float = Field(1.0, gt=0, le=30)
    queue_size: int = Field(200, ge=1, le=10000)
    daily_summary_hour_utc: int = Field(21, ge=0, le=23)
    feed_outage_notify_s: float = Field(60.0, ge=0)
    notify_entries: bool = True
    notify_exits: bool = True
    notify_pauses: bool = True
    notify_risk_limits: bool = True
    notify_quarantine: bool = True
    notify_feed: bool = True
    notify_reconciliation: bool = True
    notify_errors: bool = True
    notify_daily_summary: bool = True

    _split = field_validator("allowed_user_ids", mode="before")(_split_csv)


class StorageSettings(Section):
    """Where the bot keeps its database, its runtime changes and its logs."""

    data_dir: Path = Path("var")
    database: Path | None = Field(None, description="Default: <data_dir>/bot.db")
    runtime_file: Path | None = Field(None, description="Default: <data_dir>/runtime.json")

    @property
    def database_path(self) -> Path:
        return self.database if self.database is not None else self.data_dir / "bot.db"

    @property
    def runtime_path(self) -> Path:
        return self.runtime_file if self.runtime_file is not None else self.data_dir / "runtime.json"


class LoggingSettings(Section):
    """Console and rotating-file logging."""

    level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    file: Path | None = Field(None, description="Default: <storage.data_dir>/bot.log; empty string: no file")
    file_enabled: bool = Field(True, description="False (or file set to an empty string): console only")
    metrics_port: int | None = Field(None, ge=1, le=65535, description="Prometheus metrics on 127.0.0.1")
    max_bytes: int = Field(10_000_000, ge=10_000)
    backups: int = Field(5, ge=0, le=100)
    status_interval_s: float = Field(60.0, gt=0)

    @model_validator(mode="before")
    @classmethod
    def _empty_file_means_none(cls, data: object) -> object:
        if isinstance(data, dict) and data.get("file") == "":
            data = {**data, "file": None, "file_enabled": False}
        return data


class SupervisionSettings(Section):
    """Restart intensity and heartbeats of the actor supervisors (Erlang-style one_for_one)."""

    max_restarts: int = Field(3, ge=0, le=100)
    within_s: float = Field(60.0, gt=0)
    backoff_initial_s: float = Field(0.2, ge=0)
    backoff_max_s: float = Field(10.0, ge=0)
    heartbeat_interval_s: float = Field(5.0, gt=0)
    heartbeat_timeout_s: float = Field(10.0, gt=0)


class ControlSettings(Section):
    """State changed from Telegram at run time and persisted in the runtime JSON."""

    paused: bool = False
    pause_reason: str = ""


class ChaosSettings(Section):
    """Deliberate faults for resilience tests and soak runs. Empty in production."""

    fail_symbols: tuple[str, ...] = Field((), description="SymbolActors of these symbols raise on every candle")
    symbol_failure_rate: float = Field(0.0, ge=0, le=1, description="Chance that a SymbolActor raises on a candle")
    seed: int = Field(0, ge=0, description="Seed of the random faults above")

    _split = field_validator("fail_symbols", mode="before")(_split_csv)
