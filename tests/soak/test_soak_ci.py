"""The CI's soak: one simulated day of the 16 real symbols with every fault family injected and one
``kill -9``; every check of ``benchmarks/soak.py`` must hold. (The 7-day run is in the README.)"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from tests.support import REPO_ROOT, require_shared_data

pytestmark = [pytest.mark.system, pytest.mark.slow]


def test_one_simulated_day_under_faults_keeps_every_promise(tmp_path: Path) -> None:
    require_shared_data()
    sys.path.insert(0, str(REPO_ROOT / "benchmarks"))
    from soak import run_soak

    report = run_soak(days=1.0, speed=960.0, workdir=tmp_path, fault_every_s=6.0)
    failed = [name for name, ok in report["checks"].items() if not ok]
    assert not failed, json.dumps(report, indent=2)
    assert report["trades"] > 0 and report["kill9_restarts"] == 1
    assert all(count > 0 for count in report["faults_injected"].values()) and len(report["faults_injected"]) == 8
