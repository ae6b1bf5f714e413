"""Logging: console and a rotating file, every line passed through the secret redactor.

The redactor works on the *formatted* text (message, arguments and traceback alike), so a secret can
reach no handler even inside an exception message from a library.
"""

from __future__ import annotations

import logging
import logging.handlers
import sys
from collections.abc import Iterable
from pathlib import Path

REDACTED = "***REDACTED***"
FORMAT = "%(asctime)s %(levelname)-7s %(name)s: %(message)s"


class RedactingFormatter(logging.Formatter):
    """A formatter that replaces every known secret with ``***REDACTED***``."""

    def __init__(self, secrets: Iterable[str], fmt: str = FORMAT) -> None:
        super().__init__(fmt)
        self.secrets = tuple(sorted({s for s in secrets if s and len(s) >= 6}, key=len, reverse=True))

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record), self.secrets)


def redact(text: str, secrets: Iterable[str]) -> str:
    for secret in secrets:
        if secret in text:
            text = text.replace(secret, REDACTED)
    return text


class FullDiskSafeHandler(logging.handlers.RotatingFileHandler):
    """A rotating file handler that survives a full disk: it reports once on stderr and keeps going
    (console logging still works; trading is never stopped by a log file)."""

    failed = False

    def handleError(self, record: logging.LogRecord) -> None:  # noqa: N802 (logging's API)
        if not self.failed:
            self.failed = True
            sys.stderr.write(f"log file {self.baseFilename} cannot be written; continuing without it\n")

    def flush(self) -> None:
        try:
            super().flush()
        except OSError:  # buffered lines that cannot reach a full disk are lost, not fatal
            self.handleError(None)  # type: ignore[arg-type]

    def close(self) -> None:
        try:
            super().close()
        except OSError:  # closing flushes too; the stream is gone either way
            self.handleError(None)  # type: ignore[arg-type]


def setup_logging(level: str, log_file: Path | None, secrets: Iterable[str], max_bytes: int = 10_000_000,
                  backups: int = 5, console: bool = True) -> list[logging.Handler]:
    """Install the handlers on the root logger (replacing earlier ones) and return them."""
    formatter = RedactingFormatter(secrets)
    root = logging.getLogger()
    for handler in list(root.handlers):
        root.removeHandler(handler)
        handler.close()
    handlers: list[logging.Handler] = []
    if console:
        stream = logging.StreamHandler(sys.stderr)
        stream.setFormatter(formatter)
        handlers.append(stream)
    if log_file is not None:
        log_file.parent.mkdir(parents=True, exist_ok=True)
        file_handler = FullDiskSafeHandler(log_file, maxBytes=max_bytes, backupCount=backups, encoding="utf-8")
        file_handler.setFormatter(formatter)
        handlers.append(file_handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("websockets", "urllib3", "asyncio", "ccxt", "aiohttp", "pykka", "peewee", "matplotlib", "PIL"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, logging.getLevelName(level)))
    return handlers
