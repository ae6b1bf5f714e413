"""The README says what is true: its profile table equals ``config/profiles.py``."""

from __future__ import annotations

from config import load_settings
from config.profiles import PROFILE_NAMES, PROFILES
from tests.support import REPO_ROOT


def _table() -> dict[str, dict[str, str]]:
    text = (REPO_ROOT / "README.md").read_text()
    block = text.split("<!-- profiles-table:start -->")[1].split("<!-- profiles-table:end -->")[0]
    rows = [line.strip().strip("|").split("|") for line in block.strip().splitlines()[2:]]
    return {cells[0].strip(): dict(zip(PROFILE_NAMES, (c.strip() for c in cells[1:]), strict=True)) for cells in rows}


def test_readme_profile_table_matches_the_profiles() -> None:
    table = _table()
    differing = {f"{section}.{key}" for overlay in PROFILES.values() for section, values in overlay.items()
                 for key in values}
    assert set(table) == differing
    for profile in PROFILE_NAMES:
        settings = load_settings(env={}, env_file=None, profile=profile).settings
        for path, row in table.items():
            section, key = path.split(".")
            assert str(getattr(getattr(settings, section), key)) == row[profile], (profile, path)
