"""Configuration: typed pydantic settings, profiles, layered loading, the runtime file and secrets."""

from config.errors import ConfigError
from config.loader import LoadedSettings, load_settings
from config.profiles import PROFILE_NAMES, PROFILES, ProfileName, profile_overlay
from config.runtime import RuntimeFileError, read_runtime_file, write_runtime_changes
from config.secrets import SECRET_ENV_NAMES, Secrets
from config.sections import (
    ControlSettings,
    DemoSettings,
    ExchangeSettings,
    LoggingSettings,
    OrderSettings,
    RiskSettings,
    StorageSettings,
    StrategySettings,
    SupervisionSettings,
    SymbolSettings,
    TelegramSettings,
)
from config.settings import Settings

__all__ = [
    "PROFILES",
    "PROFILE_NAMES",
    "SECRET_ENV_NAMES",
    "ConfigError",
    "ControlSettings",
    "DemoSettings",
    "ExchangeSettings",
    "LoadedSettings",
    "LoggingSettings",
    "OrderSettings",
    "ProfileName",
    "RiskSettings",
    "RuntimeFileError",
    "Secrets",
    "Settings",
    "StorageSettings",
    "StrategySettings",
    "SupervisionSettings",
    "SymbolSettings",
    "TelegramSettings",
    "load_settings",
    "profile_overlay",
    "read_runtime_file",
    "write_runtime_changes",
]
