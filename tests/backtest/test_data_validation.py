"""Bad data is reported per file and never traded on: unusable rows are dropped, gaps stay gaps."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from backtest.data import load_market_data
from tests.support import REPO_ROOT

T0 = 1_746_403_200_000  # 2025-05-05 00:00 UTC
M = 60_000
ROWS = 1300


def _rows() -> list[list[str]]:
    rng = np.random.default_rng(3)
    close = 150 * np.exp(np.cumsum(rng.normal(0, 0.0015, ROWS)))
    rows = []
    for i in range(ROWS):
        o = close[i - 1] if i else close[0]
        c = close[i]
        h, low = max(o, c) * 1.0008, min(o, c) * 0.9992
        rows.append([str(T0 + i * M), f"{o:.2f}", f"{h:.2f}", f"{low:.2f}", f"{c:.2f}", f"{rng.uniform(10, 99):.3f}"])
    return rows


def _write_bad_folder(folder: Path) -> dict[str, int]:
    rows = _rows()
    removed = {100, 101, 102, 103, 104}
    rows[500][4] = "nan"
    rows[600][1] = "0"
    rows[700][2], rows[700][3] = rows[700][3], rows[700][2]  # high < low
    rows[700][2] = str(float(rows[700][3]) - 1)
    rows[800][3] = ""  # a missing field
    rows[900][0] = str(int(rows[900][0]) + 1234)  # not on the minute
    body = [r for i, r in enumerate(rows) if i not in removed]
    body.append(list(rows[200]))  # an identical duplicate
    conflicting = list(rows[300])
    conflicting[4] = f"{float(conflicting[3]) + 0.01:.2f}"
    body.append(conflicting)  # a duplicate minute with another close
    k = body.index(rows[400])
    body[k], body[k + 1] = body[k + 1], body[k]  # two rows out of order
    text = "open_time,open,high,low,close,volume\n" + "\n".join(",".join(r) for r in body) + "\n"
    (folder / "SOLUSDT-1m.csv").write_text(text)
    (folder / "SOLUSDT-8h-funding.csv").write_text(
        f"funding_time,funding_rate\n{T0 + 8 * 3_600_000},0.0001\n{T0 + 16 * 3_600_000},nan\n")
    (folder / "FOOUSDT-1m.csv").write_text("open_time,open,high,low,close,volume\n" + "\n".join(
        ",".join(r) for r in rows[:50]) + "\n")
    return {"removed": len(removed)}


def test_every_problem_is_counted_per_file_and_bad_rows_become_gaps(tmp_path: Path) -> None:
    _write_bad_folder(tmp_path)
    data = load_market_data(tmp_path)
    check = next(c for c in data.files if c.file == "SOLUSDT-1m.csv")
    assert (check.nan_rows, check.bad_price_rows, check.inconsistent_rows) == (2, 1, 1)
    assert (check.misaligned, check.duplicates, check.conflicting_duplicates) == (1, 2, 1)
    assert check.unordered >= 1 and check.rows == ROWS - 5 + 2
    foo = next(c for c in data.files if c.file == "FOOUSDT-1m.csv")
    assert "not a USDC perpetual" in foo.skipped and "FOOUSDC" not in data.series
    series = data.series["SOLUSDC"]
    t, o, h, low, c, v = series.view()
    assert np.all(np.diff(t) > 0) and np.all(t % M == 0)
    assert np.isfinite(np.stack([o, h, low, c, v])).all() and (np.stack([o, h, low, c]) > 0).all()
    assert np.all(h >= low)
    missing = {T0 + i * M for i in (100, 101, 102, 103, 104, 500, 600, 700, 800)}
    assert not missing & set(t.tolist())  # gaps are skipped, never filled
    (symbol_check,) = data.symbols
    assert (symbol_check.gaps, symbol_check.missing_minutes, symbol_check.largest_gap_minutes) == (5, 9, 5)
    assert symbol_check.funding_events == 1  # the NaN funding row is dropped
    problems = "\n".join(data.problems())
    for words in ("NaN", "zero or negative", "high < low", "out of time order", "duplicate", "not on a minute",
                  "9 missing minutes", "not a USDC perpetual"):
        assert words in problems, words


def test_an_unknown_requested_symbol_is_reported(tmp_path: Path) -> None:
    _write_bad_folder(tmp_path)
    data = load_market_data(tmp_path, ["SOL", "DOGE"])
    assert set(data.series) == {"SOLUSDC"} and "DOGEUSDC" in data.skipped


def test_missing_folder_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError):
        load_market_data(tmp_path / "nope")


def test_the_cli_reports_bad_data_and_still_backtests_the_good_rows(tmp_path: Path) -> None:
    folder = tmp_path / "klines"
    folder.mkdir()
    _write_bad_folder(folder)
    out = tmp_path / "out"
    result = subprocess.run([sys.executable, str(REPO_ROOT / "run.py"), "backtest", "--data", str(folder), "--out",
                             str(out), "--no-progress"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr
    assert "rows with NaN/missing values dropped" in result.stderr and "not a USDC perpetual" in result.stderr
    report = json.loads((out / "report.json").read_text())
    files = {f["file"]: f for f in report["data_validation"]["files"]}
    assert files["SOLUSDT-1m.csv"]["bad_price_rows"] == 1
    assert report["data_validation"]["symbols"][0]["gaps"] == 5
