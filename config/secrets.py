"""Secrets: API keys and the Telegram token, read from the environment or the ``.env`` file only.

They are ``SecretStr`` so that ``repr``, logs, ``check`` output and exception text show ``**********``.
They never come from the JSON config or the runtime file (those are not meant to be private), and
nothing in the bot writes them to the database.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

SECRET_ENV_NAMES = (
    "BINANCE_API_KEY",
    "BINANCE_API_SECRET",
    "TELEGRAM_TOKEN",
    "TELEGRAM_CHAT_ID",
    "TELEGRAM_ALLOWED_USER_IDS",
    "TELEGRAM_API_URL",
)


class Secrets(BaseSettings):
    """Values of the six secret/identity variables. Process environment wins over ``.env``."""

    model_config = SettingsConfigDict(extra="ignore", frozen=True, env_file=None, case_sensitive=True)

    binance_api_key: SecretStr | None = Field(None, alias="BINANCE_API_KEY")
    binance_api_secret: SecretStr | None = Field(None, alias="BINANCE_API_SECRET")
    telegram_token: SecretStr | None = Field(None, alias="TELEGRAM_TOKEN")
    telegram_chat_id: int | None = Field(None, alias="TELEGRAM_CHAT_ID")
    telegram_allowed_user_ids: str | None = Field(None, alias="TELEGRAM_ALLOWED_USER_IDS")
    telegram_api_url: str | None = Field(None, alias="TELEGRAM_API_URL")

    @field_validator("binance_api_key", "binance_api_secret", "telegram_token", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @property
    def has_binance_keys(self) -> bool:
        return self.binance_api_key is not None and self.binance_api_secret is not None

    def secret_values(self) -> tuple[str, ...]:
        """The raw secret strings, for the log redaction filter (never for display)."""
        values = (self.binance_api_key, self.binance_api_secret, self.telegram_token)
        return tuple(v.get_secret_value() for v in values if v is not None and v.get_secret_value())


def load_secrets(env_file: Path | None) -> Secrets:
    """Read secrets from the process environment and, when it exists, ``env_file``."""
    if env_file is not None and env_file.exists():
        return Secrets(_env_file=env_file)  # type: ignore[call-arg]
    return Secrets()
