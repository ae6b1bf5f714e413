"""Builds ``Settings`` from its layers, later wins:

built-in defaults → the selected profile → the JSON config file (``--config``) → the runtime JSON
(changes made while running) → environment variables ``BOT__SECTION__KEY`` → secrets from the
environment or ``.env`` (``BINANCE_API_KEY``, ``BINANCE_API_SECRET``, ``TELEGRAM_TOKEN``,
``TELEGRAM_CHAT_ID``, ``TELEGRAM_ALLOWED_USER_IDS``, ``TELEGRAM_API_URL``).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from config.errors import ConfigError, format_validation_error
from config.profiles import PROFILE_NAMES, profile_overlay
from config.runtime import RuntimeFileError, deep_merge, read_runtime_file
from config.secrets import Secrets, load_secrets
from config.settings import Settings

ENV_PREFIX = "BOT__"


@dataclass(frozen=True)
class LoadedSettings:
    """The settings plus what the loader had to say about them (shown at start and by ``check``)."""

    settings: Settings
    warnings: tuple[str, ...] = field(default=())
    runtime_overlay: Mapping[str, Any] = field(default_factory=dict)


def load_settings(
    config_file: Path | None = None,
    *,
    profile: str | None = None,
    env: Mapping[str, str] | None = None,
    env_file: Path | None = Path(".env"),
    overrides: Mapping[str, Any] | None = None,
) -> LoadedSettings:
    """Read every layer and validate the result; raise ``ConfigError`` listing every problem.

    ``profile`` (the ``--profile`` flag) counts as part of the config-file layer; ``overrides`` are
    command-line settings applied on top of the config file (e.g. ``--data`` for the demo).
    """
    environ = os.environ if env is None else env
    warnings: list[str] = []

    file_layer = _read_config_file(config_file) if config_file is not None else {}
    if profile is not None:
        file_layer = deep_merge(file_layer, {"profile": profile})
    if overrides:
        file_layer = deep_merge(file_layer, dict(overrides))
    env_layer = _env_layer(environ)
    secrets = _load_secrets(env_file, environ)

    runtime_path = _runtime_path(deep_merge(file_layer, env_layer))
    try:
        runtime_layer = read_runtime_file(runtime_path)
    except RuntimeFileError as exc:
        # The owner may have paused trading: starting unpaused from a file we cannot read would undo
        # that. Start paused and say why; the service still runs and the owner can /resume.
        warnings.append(f"{exc}; ignoring it and starting PAUSED for safety")
        runtime_layer = {"control": {"paused": True, "pause_reason": f"unreadable runtime file {runtime_path}"}}

    selected = "balanced"
    for layer in (file_layer, runtime_layer, env_layer):
        if "profile" in layer:
            selected = layer["profile"]
    if selected not in PROFILE_NAMES:
        raise ConfigError([f"profile: must be one of {', '.join(PROFILE_NAMES)}, got {selected!r}"])

    merged: dict[str, Any] = profile_overlay(selected)
    for layer in (file_layer, runtime_layer, env_layer, _secret_layer(secrets)):
        merged = deep_merge(merged, layer)
    merged["profile"] = selected

    explicit_mode = any("mode" in layer.get("exchange", {}) for layer in (file_layer, runtime_layer, env_layer))
    if not explicit_mode and secrets.has_binance_keys:
        merged = deep_merge(merged, {"exchange": {"mode": "paper"}})
        warnings.append("Binance keys are configured but no exchange.mode is set: running in paper mode")

    try:
        settings = Settings.model_validate({**merged, "secrets": secrets})
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, Settings)) from None
    _check_mode_secrets(settings)
    return LoadedSettings(settings=settings, warnings=tuple(warnings), runtime_overlay=runtime_layer)


def _read_config_file(path: Path) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError([f"cannot read config file {path}: {exc.strerror}"]) from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno} column {exc.colno}"
        raise ConfigError([f"config file {path}: invalid JSON at {where}: {exc.msg}"]) from None
    if not isinstance(data, dict):
        raise ConfigError([f"config file {path}: must hold a JSON object, got {type(data).__name__}"])
    if "secrets" in data:
        message = f"config file {path}: secrets do not belong in the config file; use .env or the environment"
        raise ConfigError([message])
    return data


def _env_layer(environ: Mapping[str, str]) -> dict[str, Any]:
    """``BOT__ORDERS__STOP_LOSS_PCT=1.5`` → ``{"orders": {"stop_loss_pct": 1.5}}`` (JSON values allowed)."""
    layer: dict[str, Any] = {}
    for name, raw in environ.items():
        if not name.startswith(ENV_PREFIX):
            continue
        path = [part.lower() for part in name[len(ENV_PREFIX):].split("__") if part]
        if not path:
            continue
        try:
            value: Any = json.loads(raw)
        except json.JSONDecodeError:
            value = raw
        node = layer
        for part in path[:-1]:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise ConfigError([f"environment variable {name}: {'.'.join(path)} is not a section"])
        node[path[-1]] = value
    return layer


def _load_secrets(env_file: Path | None, environ: Mapping[str, str]) -> Secrets:
    if environ is os.environ:
        try:
            return load_secrets(env_file)
        except ValidationError as exc:
            raise ConfigError(format_validation_error(exc, Secrets), source="secrets") from None
    # An explicit mapping (tests): read only from it, still honouring the .env file beneath it.
    from dotenv import dotenv_values

    values: dict[str, Any] = {}
    if env_file is not None and env_file.exists():
        values.update({k: v for k, v in dotenv_values(env_file).items() if v is not None})
    values.update({k: v for k, v in environ.items() if k in Secrets.model_fields or k.isupper()})
    try:
        return Secrets.model_validate(values)
    except ValidationError as exc:
        raise ConfigError(format_validation_error(exc, Secrets), source="secrets") from None


def _secret_layer(secrets: Secrets) -> dict[str, Any]:
    telegram: dict[str, Any] = {}
    if secrets.telegram_chat_id is not None:
        telegram["chat_id"] = secrets.telegram_chat_id
    if secrets.telegram_allowed_user_ids:
        telegram["allowed_user_ids"] = secrets.telegram_allowed_user_ids
    if secrets.telegram_api_url:
        telegram["api_url"] = secrets.telegram_api_url
    return {"telegram": telegram} if telegram else {}


def _runtime_path(layers: Mapping[str, Any]) -> Path:
    storage = layers.get("storage", {})
    if storage.get("runtime_file"):
        return Path(storage["runtime_file"])
    return Path(storage.get("data_dir", "var")) / "runtime.json"


def _check_mode_secrets(settings: Settings) -> None:
    if settings.exchange.mode in {"testnet", "live"} and not settings.secrets.has_binance_keys:
        raise ConfigError(
            [f"exchange.mode: {settings.exchange.mode} needs BINANCE_API_KEY and BINANCE_API_SECRET, got none"]
        )
