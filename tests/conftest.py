"""Fixtures available to every test."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support import EXCHANGE_INFO_FILE, KLINES_DIR, require_shared_data


@pytest.fixture
def klines_dir() -> Path:
    """The real 1m candles of ``../shared``; the test is skipped when they are absent."""
    return require_shared_data(KLINES_DIR)


@pytest.fixture
def exchange_info_file() -> Path:
    """The real exchangeInfo of the USDC perpetuals; the test is skipped when it is absent."""
    return require_shared_data(EXCHANGE_INFO_FILE)
