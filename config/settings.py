"""The root ``Settings`` model: every section plus the selected profile and the secrets."""

from __future__ import annotations

import re
from typing import Any

from pydantic import Field, field_validator

from config.profiles import ProfileName
from config.secrets import Secrets
from config.sections import (
    ChaosSettings,
    ControlSettings,
    DemoSettings,
    ExchangeSettings,
    LoggingSettings,
    OrderSettings,
    RiskSettings,
    Section,
    StorageSettings,
    StrategySettings,
    SupervisionSettings,
    SymbolSettings,
    TelegramSettings,
)

BOT_ID_PATTERN = re.compile(r"^[a-z0-9]{1,6}$")


class Settings(Section):
    """Everything the bot is configured with. Build it with ``config.load_settings``."""

    profile: ProfileName = "balanced"
    bot_id: str = Field("ufb", description="Prefix of client order ids; tells our orders from others'")
    exchange: ExchangeSettings = ExchangeSettings()
    demo: DemoSettings = DemoSettings()
    symbols: SymbolSettings = SymbolSettings()
    strategy: StrategySettings = StrategySettings()
    orders: OrderSettings = OrderSettings()
    risk: RiskSettings = RiskSettings()
    telegram: TelegramSettings = TelegramSettings()
    storage: StorageSettings = StorageSettings()
    logging: LoggingSettings = LoggingSettings()
    supervision: SupervisionSettings = SupervisionSettings()
    control: ControlSettings = ControlSettings()
    chaos: ChaosSettings = ChaosSettings()
    secrets: Secrets = Field(default_factory=Secrets, exclude=True)

    @field_validator("bot_id")
    @classmethod
    def _bot_id(cls, value: str) -> str:
        if not BOT_ID_PATTERN.match(value):
            raise ValueError(f"must be 1 to 6 lower-case letters or digits, got {value!r}")
        return value

    def public_dict(self) -> dict[str, Any]:
        """The effective settings as plain JSON-able data, secrets masked."""
        data = self.model_dump(mode="json", exclude={"secrets"})
        s = self.secrets
        data["secrets"] = {
            "BINANCE_API_KEY": _mask(s.binance_api_key is not None),
            "BINANCE_API_SECRET": _mask(s.binance_api_secret is not None),
            "TELEGRAM_TOKEN": _mask(s.telegram_token is not None),
        }
        return data


def _mask(present: bool) -> str:
    return "********** (set)" if present else "(not set)"
